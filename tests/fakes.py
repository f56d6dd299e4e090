"""A transport that records what it is asked to send (unit tests only; e2e uses real servers)."""

from __future__ import annotations

from collections import Counter

from bot.messages import Reply
from bot.transport import DeliveryError


class RecordingTransport:
    """Stands in for an adapter: records sends; chosen chats fail with a chosen error."""

    def __init__(self, name: str = "telegram", edits_messages: bool = True) -> None:
        self.name = name
        self.edits_messages = edits_messages
        self.sent: list[tuple[str, Reply]] = []
        self.failures: dict[str, list[DeliveryError]] = {}
        self._ids = 0

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        queue = self.failures.get(chat_id)
        if queue:
            raise queue.pop(0) if len(queue) > 1 else queue[0]
        self.sent.append((chat_id, reply))
        if reply.edit_of:
            return reply.edit_of
        self._ids += 1
        return str(self._ids)

    def texts_to(self, chat_id: str) -> list[str]:
        return [reply.text for chat, reply in self.sent if chat == chat_id]

    def deliveries(self) -> Counter[str]:
        return Counter(chat for chat, _ in self.sent)
