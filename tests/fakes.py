"""Transports for unit tests (end-to-end tests use the real servers).

Both really await, like a network call does, and can be told to raise any exception,
not only the delivery errors an adapter is expected to translate to.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from bot.messages import Reply


class RecordingTransport:
    """Stands in for an adapter: records sends; chosen chats fail with a chosen error.

    `failures[chat]` is a list of exceptions raised by the next sends to that chat (the
    last one stays until the list is removed); `delay` is how long each send takes.
    """

    def __init__(self, name: str = "telegram", edits_messages: bool = True, delay: float = 0.0) -> None:
        self.name = name
        self.edits_messages = edits_messages
        self.delay = delay
        self.sent: list[tuple[str, Reply]] = []
        self.times: list[float] = []
        self.failures: dict[str, list[BaseException]] = {}
        self.fail_all: BaseException | None = None
        self._ids = 0

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        await asyncio.sleep(self.delay)
        if self.fail_all is not None:
            raise self.fail_all
        queue = self.failures.get(chat_id)
        if queue:
            raise queue.pop(0) if len(queue) > 1 else queue[0]
        self.sent.append((chat_id, reply))
        self.times.append(time.monotonic())
        if reply.edit_of:
            return reply.edit_of
        self._ids += 1
        return str(self._ids)

    def texts_to(self, chat_id: str) -> list[str]:
        return [reply.text for chat, reply in self.sent if chat == chat_id]

    def deliveries(self) -> Counter[str]:
        return Counter(chat for chat, _ in self.sent)
