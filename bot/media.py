"""Press questions go to the media desk as tickets; the desk's answer comes back to the asker.

The asker gets the media contact at once. The question goes to every configured desk (a
Telegram chat and/or a Matrix room) as ticket #N; the desk answers by replying to that
message or with /answer N text, from either transport, and the asker gets it in their own
chat. Tickets live in SQLite, so a restart between question and answer loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.assistant import PREFIX, Answer, Handler, clean
from bot.clock import Clock
from bot.config import Config
from bot.markup import user_text
from bot.messages import ChatRef, Incoming, Reply
from bot.phrasebook import Phrasebook
from bot.storage import Storage, Ticket

log = logging.getLogger(__name__)
TAG = "ticket:"


class MediaDesk:
    def __init__(self, config: Config, storage: Storage, phrases: Phrasebook, clock: Clock) -> None:
        self.storage = storage
        self.phrases = phrases
        self.clock = clock
        self.per_hour = config.media.tickets_per_hour
        self.desks: list[ChatRef] = []
        if config.telegram.media_desk_chat:
            self.desks.append(ChatRef("telegram", str(config.telegram.media_desk_chat)))
        if config.matrix.media_desk_room:
            self.desks.append(ChatRef("matrix", config.matrix.media_desk_room))

    def announce(self) -> None:
        """Say once at start where press questions go."""
        if not self.desks:
            log.warning(
                "no media desk configured (telegram.media_desk_chat, matrix.media_desk_room): "
                "press questions get the media contact and are not forwarded"
            )
        else:
            log.info("press questions go to %s", ", ".join(f"{d.transport}:{d.chat_id}" for d in self.desks))

    def commands(self) -> dict[str, Handler]:
        return {"answer": self.answer, "tickets": self.tickets}

    def is_desk(self, chat: ChatRef) -> bool:
        return chat in self.desks

    # the asker's side

    async def hand_off(self, msg: Incoming, answer: Answer) -> list[Reply]:
        """The media contact for the asker; the question as a ticket for every desk."""
        lang = answer.lang
        if not self.desks or self.is_desk(msg.chat):
            return [Reply.of(answer.text)]
        now = self.clock.now()
        if await self.storage.tickets_since(msg.chat, now - timedelta(hours=1)) >= self.per_hour:
            return [Reply.of(f"{answer.text}\n\n{self.phrases.text(lang, 'ticket_limit')}")]
        name = clean(msg.sender_name)[:80] or msg.sender_id
        question = clean(msg.text)[:2000]
        ticket_id = await self.storage.open_ticket("media", msg.chat, name, lang, question, now)
        log.info("media ticket #%s opened", ticket_id)
        replies = [Reply.of(f"{answer.text}\n\n{self.phrases.text(lang, 'ticket_passed', id=ticket_id)}")]
        for desk in self.desks:
            text = self.phrases.text(
                await self._desk_lang(desk), "desk_ticket", id=ticket_id, name=user_text(name),
                transport=msg.transport, language=lang, question=user_text(question),
                p=PREFIX.get(desk.transport, "/"),
            )
            replies.append(Reply.of(text, chat=desk, tag=f"{TAG}{ticket_id}"))
        return replies

    async def on_delivered(self, tag: str, chat: ChatRef, message_id: str | None) -> None:
        """Remember which desk message carries which ticket, for the desk's replies."""
        if tag.startswith(TAG) and message_id is not None:
            await self.storage.add_ticket_message(int(tag[len(TAG):]), chat, message_id)

    async def withdrawn(self, tickets: list[Ticket]) -> list[Reply]:
        """Tell every desk that the asker of an open ticket erased their data."""
        replies = []
        for ticket in tickets:
            for desk in self.desks:
                text = self.phrases.text(await self._desk_lang(desk), "desk_withdrawn", id=ticket.id)
                replies.append(Reply.of(text, chat=desk))
        return replies

    # the desk's side

    async def from_desk(self, msg: Incoming) -> list[Reply] | None:
        """A desk reply to a ticket message answers it; None lets the assistant handle the rest."""
        if msg.command is not None or msg.reply_to is None or not msg.is_text:
            return None
        lang = await self._desk_lang(msg.chat)
        ticket_id = await self.storage.ticket_for_message(msg.chat, msg.reply_to)
        if ticket_id is None:
            if not msg.addressed:
                return None
            p = PREFIX.get(msg.transport, "/")
            return [Reply.of(self.phrases.text(lang, "desk_not_ticket", p=p))]
        return await self._send_answer(ticket_id, msg.text, lang, msg)

    async def answer(self, msg: Incoming, lang: str) -> list[Reply]:
        """`/answer N text` from a desk: the asker gets the text."""
        p = PREFIX.get(msg.transport, "/")
        if not self.is_desk(msg.chat):
            return [Reply.of(self.phrases.text(lang, "desk_only"))]
        number, _, text = msg.args.strip().lstrip("#").partition(" ")
        if not number.isdigit() or not clean(text):
            return [Reply.of(self.phrases.text(lang, "desk_answer_usage", p=p))]
        return await self._send_answer(int(number), text, lang, msg)

    async def tickets(self, msg: Incoming, lang: str) -> list[Reply]:
        """`/tickets` in a desk: open tickets with their age and asker."""
        if not self.is_desk(msg.chat):
            return [Reply.of(self.phrases.text(lang, "desk_only"))]
        open_tickets = await self.storage.open_tickets()
        if not open_tickets:
            return [Reply.of(self.phrases.text(lang, "desk_tickets_none"))]
        now = self.clock.now()
        lines = [self.phrases.text(lang, "desk_tickets")] + [
            self.phrases.text(
                lang, "desk_ticket_line", id=t.id, name=user_text(t.asker_name),
                transport=t.asker.transport, age=self._age(lang, now - t.created_at),
                question=user_text(t.question[:120]),
            )
            for t in open_tickets
        ]
        return [Reply.of("\n".join(lines))]

    async def _send_answer(self, ticket_id: int, text: str, lang: str, msg: Incoming) -> list[Reply]:
        p = PREFIX.get(msg.transport, "/")
        ticket = await self.storage.ticket(ticket_id)
        if ticket is None:
            return [Reply.of(self.phrases.text(lang, "desk_unknown_ticket", id=ticket_id, p=p))]
        body = clean(text)[:3500]
        await self.storage.mark_ticket_answered(ticket.id, self.clock.now())
        log.info("media ticket #%s answered from %s", ticket.id, msg.transport)
        # The desk hears "sent" only once the asker really got it (the outbox follows up).
        name = user_text(ticket.asker_name)
        sent = Reply.of(self.phrases.text(lang, "desk_sent", id=ticket.id, name=name), chat=msg.chat)
        lost = Reply.of(self.phrases.text(lang, "desk_not_delivered", id=ticket.id, name=name),
                        chat=msg.chat)
        to_asker = Reply.of(
            self.phrases.text(ticket.lang, "desk_answer", text=body), chat=ticket.asker,
            then={"sent": [sent.to_dict()], "failed": [lost.to_dict()]},
        )
        return [to_asker]

    async def _desk_lang(self, desk: ChatRef) -> str:
        user = await self.storage.get_user(desk)
        return (user.language if user else None) or "pl"

    def _age(self, lang: str, age: timedelta) -> str:
        minutes = max(1, int(age.total_seconds() // 60))
        if minutes < 60:
            return self.phrases.count(lang, minutes, "minutes")
        if minutes < 1440:
            return self.phrases.count(lang, minutes // 60, "hours")
        return self.phrases.count(lang, minutes // 1440, "days")
