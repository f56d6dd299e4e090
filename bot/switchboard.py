"""Connects the assistant to the transports: a message in, its replies out, anywhere.

A reply goes to the chat it names (the media desk may be on another transport), else
back to the chat the question came from.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from bot.assistant import Assistant
from bot.messages import ChatRef, Incoming, Reply
from bot.transport import DeliveryError, Transport

if TYPE_CHECKING:
    from bot.health import Health

log = logging.getLogger(__name__)


class Switchboard:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._transports: dict[str, Transport] = {}
        self.health: Health | None = None

    def attach(self, transport: Transport) -> None:
        self._transports[transport.name] = transport

    def detach(self, transport: Transport) -> None:
        if self._transports.get(transport.name) is transport:
            del self._transports[transport.name]

    @property
    def transports(self) -> dict[str, Transport]:
        return dict(self._transports)

    async def dispatch(self, msg: Incoming) -> None:
        """Answer one incoming message: every reply delivered, failures logged, none fatal."""
        started = time.perf_counter()
        if self.health is not None:
            self.health.received(msg.transport)
        for reply in await self.assistant.handle(msg):
            try:
                await self.deliver(reply, origin=msg.chat)
            except DeliveryError as exc:
                log.warning("could not deliver a reply to %s: %s", reply.chat or msg.chat, exc)
        if self.health is not None:
            self.health.replied(msg.transport, time.perf_counter() - started)

    async def deliver(self, reply: Reply, origin: ChatRef | None = None) -> str | None:
        """Send one reply through the transport of its chat; return the platform id."""
        chat = reply.chat or origin
        if chat is None:
            raise ValueError("a reply needs a chat or an origin")
        transport = self._transports.get(chat.transport)
        if transport is None:
            raise DeliveryError(f"transport {chat.transport!r} is not running")
        message_id = await transport.send(chat.chat_id, reply)
        if reply.tag:
            await self.assistant.on_delivered(reply.tag, chat, message_id)
        return message_id
