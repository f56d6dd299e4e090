"""The terminal as a transport: type questions, see replies; numbers tap the buttons."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.messages import Button, Incoming, Reply
from bot.service import Services

CHAT_ID = "console"


class ConsoleTransport:
    name = "console"

    def __init__(self, services: Services, out: TextIO | None = None) -> None:
        self.services = services
        self.out = out or sys.stdout
        self._buttons: list[Button] = []

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Print a reply; number its buttons so the user can type the number."""
        lines = [reply.text]
        if reply.attachment:
            lines.append(f"[file: {reply.attachment.filename}]")
        self._buttons = [button for row in reply.buttons for button in row]
        lines += [f"  [{n}] {b.label}" for n, b in enumerate(self._buttons, start=1)]
        print("\n".join(lines) + "\n", file=self.out, flush=True)
        return None

    def to_incoming(self, line: str) -> Incoming:
        """A typed line: a button number, a /command, or a question."""
        text = line.strip()
        base = {"transport": self.name, "chat_id": CHAT_ID, "sender_id": CHAT_ID}
        if text.isdigit() and 1 <= int(text) <= len(self._buttons):
            payload = self._buttons[int(text) - 1].payload
            command, _, args = payload.partition(" ")
            return Incoming(**base, text=payload, command=command, args=args, payload=payload)
        if text.startswith("/") and len(text) > 1:
            command, _, args = text[1:].partition(" ")
            return Incoming(**base, text=text, command=command, args=args)
        return Incoming(**base, text=text)

    async def converse(self, stdin: TextIO | None = None) -> None:
        """Read lines until end of input (Ctrl-D) and answer each."""
        stdin = stdin or sys.stdin
        self.services.board.attach(self)
        await self.answer(self.to_incoming("/start"))
        loop = asyncio.get_running_loop()
        while True:
            print("> ", end="", file=self.out, flush=True)
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                print(file=self.out)
                break
            if line.strip() in ("/quit", "/exit"):
                break
            await self.answer(self.to_incoming(line))

    async def answer(self, msg: Incoming) -> None:
        """Print the replies at once: the terminal needs no outbox (nothing to pace or
        lose); replies for other chats (a desk) are queued as usual."""
        replies = await self.services.assistant.handle(msg)
        for reply in replies:
            if reply.chat in (None, msg.chat):
                await self.send(msg.chat_id, reply)
        elsewhere = [r for r in replies if r.chat not in (None, msg.chat)]
        if elsewhere:
            await self.services.outbox.queue_replies(elsewhere, msg)
