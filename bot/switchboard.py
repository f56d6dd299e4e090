"""Connects the assistant to the transports: a message in, its replies queued, anywhere.

`dispatch` answers one update exactly once: in one transaction it records the update as
answered (the inbox), lets the assistant work out the replies, and queues them in the
outbox, which sends them after the commit. A replay of the same update (a restart before
the platform learnt we had it) finds it answered and does nothing. Messages of one chat
are handled one after another, in the order they arrived.

If the database cannot be written, the user still gets the answer, straight through the
transport (not recorded, so a restart may repeat it); the log says once what is wrong.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.assistant import Assistant
from bot.messages import ChatRef, Incoming, Reply
from bot.storage import DatabaseError
from bot.transport import DeliveryError, Transport

if TYPE_CHECKING:
    from bot.health import Health
    from bot.outbox import Outbox

log = logging.getLogger(__name__)


class Switchboard:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.storage = assistant.storage
        self.outbox: Outbox | None = None
        self._transports: dict[str, Transport] = {}
        self._chats: dict[ChatRef, tuple[asyncio.Lock, int]] = {}
        self.health: Health | None = None

    def attach(self, transport: Transport) -> None:
        self._transports[transport.name] = transport
        if self.outbox is not None:
            self.outbox.wake(transport.name)

    def detach(self, transport: Transport) -> None:
        if self._transports.get(transport.name) is transport:
            del self._transports[transport.name]

    @property
    def transports(self) -> dict[str, Transport]:
        return dict(self._transports)

    async def dispatch(self, msg: Incoming) -> None:
        """Answer one incoming message (once), in its chat's order; failures never fatal."""
        started = time.perf_counter()
        if self.health is not None:
            self.health.received(msg.transport)
        async with self._turn(msg.chat):
            try:
                await self._answer_recorded(msg)
            except DatabaseError as exc:
                self.storage.failed("an answer", exc)
                await self._answer_unrecorded(msg)
            except Exception:
                log.exception("could not answer a message on %s", msg.transport)
        if self.health is not None:
            self.health.replied(msg.transport, time.perf_counter() - started)

    async def _answer_recorded(self, msg: Incoming) -> None:
        assert self.outbox is not None, "the outbox is not connected"
        async with self.storage.transaction():
            if msg.update_key and not await self.storage.receive(
                msg.transport, msg.update_key, self.assistant.clock.now()
            ):
                return
            replies = await self.assistant.handle(msg)
            await self.outbox.queue_replies(replies, msg)
        for transport in {(r.chat or msg.chat).transport for r in replies}:
            self.outbox.wake(transport)

    async def _answer_unrecorded(self, msg: Incoming) -> None:
        try:
            replies = await self.assistant.handle(msg)
        except DatabaseError:
            replies = [self.assistant.say(self.assistant.phrases.text(
                self.assistant.language_hint(msg), "storage_error"
            ))]
        for reply in replies:
            try:
                await self.deliver(reply, origin=msg)
            except DeliveryError as exc:
                log.warning("could not deliver a reply on %s: %s", msg.transport, exc)

    async def deliver(self, reply: Reply, origin: Incoming | None = None) -> str | None:
        """Send one reply now, bypassing the outbox (when the database cannot be written)."""
        chat = reply.chat or (origin.chat if origin else None)
        if chat is None:
            raise ValueError("a reply needs a chat or an origin")
        if origin is not None:
            reply.relate_to(origin)
        transport = self._transports.get(chat.transport)
        if transport is None:
            raise DeliveryError(f"transport {chat.transport!r} is not running")
        return await transport.send(chat.chat_id, reply)

    @asynccontextmanager
    async def _turn(self, chat: ChatRef) -> AsyncIterator[None]:
        """One message of a chat at a time, first come first served; no lock outlives use."""
        lock, users = self._chats.get(chat, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._chats[chat] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._chats[chat]
            if users <= 1:
                del self._chats[chat]
            else:
                self._chats[chat] = (lock, users - 1)
