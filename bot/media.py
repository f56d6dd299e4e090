"""Press questions go to the media desk as tickets; the desk's answer comes back to the asker.

The asker gets the media contact at once. The question goes to every configured desk (a
Telegram chat and/or a Matrix room) as ticket #N; the desk answers by replying to that
message or with /answer N text, from either transport, and the asker gets it in their own
chat. Tickets live in SQLite, so a restart between question and answer loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.assistant import PREFIX, Answer, Handler, clean
from bot.clock import Clock, stamp
from bot.config import Config
from bot.markup import user_text
from bot.messages import ChatRef, Incoming, Reply
from bot.phrasebook import Phrasebook
from bot.storage import Storage

log = logging.getLogger(__name__)
TAG = "ticket:"


@dataclass(frozen=True, slots=True)
class MediaTicket:
    id: int
    asker: ChatRef
    asker_name: str
    lang: str
    question: str
    state: str
    created_at: datetime

    @classmethod
    def from_row(cls, r: object) -> MediaTicket:
        return cls(
            r["id"], ChatRef(r["asker_transport"], r["asker_chat"]), r["asker_name"], r["lang"],  # type: ignore[index]
            r["question"], r["state"], datetime.fromisoformat(r["created_at"]),  # type: ignore[index]
        )


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

    @property
    def db(self):
        return self.storage.db

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
        async with self.db.execute(
            "SELECT COUNT(*) FROM tickets WHERE asker_transport = ? AND asker_chat = ? "
            "AND created_at > ?",
            (msg.transport, msg.chat_id, stamp(now - timedelta(hours=1))),
        ) as cur:
            (recent,) = await cur.fetchone()
        if recent >= self.per_hour:
            return [Reply.of(f"{answer.text}\n\n{self.phrases.text(lang, 'ticket_limit')}")]
        name = clean(msg.sender_name)[:80] or msg.sender_id
        question = clean(msg.text)[:2000]
        cur = await self.db.execute(
            "INSERT INTO tickets (asker_transport, asker_chat, asker_name, lang, question, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (msg.transport, msg.chat_id, name, lang, question, stamp(now)),
        )
        await self.db.commit()
        ticket_id = cur.lastrowid
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
        if not tag.startswith(TAG) or message_id is None:
            return
        await self.db.execute(
            "INSERT OR IGNORE INTO ticket_messages (transport, chat_id, message_id, ticket_id) "
            "VALUES (?, ?, ?, ?)",
            (chat.transport, chat.chat_id, message_id, int(tag[len(TAG):])),
        )
        await self.db.commit()

    # the desk's side

    async def from_desk(self, msg: Incoming) -> list[Reply] | None:
        """A desk reply to a ticket message answers it; None lets the assistant handle the rest."""
        if msg.command is not None or msg.reply_to is None or not msg.is_text:
            return None
        lang = await self._desk_lang(msg.chat)
        async with self.db.execute(
            "SELECT ticket_id FROM ticket_messages WHERE transport = ? AND chat_id = ? "
            "AND message_id = ?",
            (msg.transport, msg.chat_id, msg.reply_to),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            if not msg.addressed:
                return None
            p = PREFIX.get(msg.transport, "/")
            return [Reply.of(self.phrases.text(lang, "desk_not_ticket", p=p))]
        return await self._send_answer(row[0], msg.text, lang, msg)

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
        async with self.db.execute(
            "SELECT * FROM tickets WHERE state = 'open' ORDER BY id LIMIT 50"
        ) as cur:
            open_tickets = [MediaTicket.from_row(r) for r in await cur.fetchall()]
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
        async with self.db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return [Reply.of(self.phrases.text(lang, "desk_unknown_ticket", id=ticket_id, p=p))]
        ticket = MediaTicket.from_row(row)
        body = clean(text)[:3500]
        await self.db.execute(
            "UPDATE tickets SET state = 'answered', answered_at = ? WHERE id = ?",
            (stamp(self.clock.now()), ticket.id),
        )
        await self.db.commit()
        log.info("media ticket #%s answered from %s", ticket.id, msg.transport)
        to_asker = Reply.of(
            self.phrases.text(ticket.lang, "desk_answer", text=body), chat=ticket.asker
        )
        confirmation = Reply.of(
            self.phrases.text(lang, "desk_sent", id=ticket.id, name=user_text(ticket.asker_name))
        )
        return [to_asker, confirmation]

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
