"""The desks: people behind the bot who answer what it cannot, as tickets.

One mechanism, two kinds of desk:
- **media**: a press question gets the media contact at once and goes to the media desk;
- **info**: a question the bot cannot answer (its honest fallback), or one the guest sends
  on purpose ("🙋 Ask the organisers" under "did you mean", `/ask question`), goes to the
  info desk.

A desk is a Telegram chat and/or a Matrix room from the config. The question reaches every
chat of its kind as ticket #N (ids never reused); a desk answers by replying to that
message or with `/answer N text`, from either transport, and the asker gets the answer in
their own chat — as many answers as the desk sends. The desk hears "sent" only once the
asker really got it. An asker opens at most `tickets_per_hour` tickets of a kind; tickets
expire with the privacy settings (`[privacy] keep_days`), and `/forget` withdraws them.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta

from bot.assistant import PREFIX, Handler, clean
from bot.clock import Clock
from bot.config import Config
from bot.content import LiveContent
from bot.markup import user_text
from bot.messages import ChatRef, Incoming, Reply
from bot.phrasebook import Phrasebook
from bot.storage import Storage, Ticket

log = logging.getLogger(__name__)
TAG = "ticket:"
REMEMBERED = 10_000  # chats whose last question `/ask` can still send


@dataclass(frozen=True, slots=True)
class DeskKind:
    """One kind of desk: where its tickets go, how many an asker may open, what it says
    (the faq/ui.toml keys of the texts that differ between kinds)."""

    name: str
    chats: tuple[ChatRef, ...]
    per_hour: int
    passed: str  # the asker: "passed to the desk as #N"
    limit: str  # the asker: too many tickets this hour
    ticket: str  # the desk: the ticket message
    answer: str  # the asker: the desk's answer
    mark: str  # the desk: the kind's sign in /tickets

    @property
    def where(self) -> str:
        return ", ".join(f"{c.transport}:{c.chat_id}" for c in self.chats)


def desk_kinds(config: Config) -> dict[str, DeskKind]:
    def chats(telegram: str | None, matrix: str | None) -> tuple[ChatRef, ...]:
        found = [ChatRef("telegram", str(telegram))] if telegram else []
        return (*found, *([ChatRef("matrix", matrix)] if matrix else []))

    return {
        "media": DeskKind(
            "media", chats(config.telegram.media_desk_chat, config.matrix.media_desk_room),
            config.media.tickets_per_hour, "ticket_passed", "ticket_limit", "desk_ticket",
            "desk_answer", "desk_mark_media",
        ),
        "info": DeskKind(
            "info", chats(config.desk.info_chat, config.desk.info_room),
            config.desk.info_tickets_per_hour, "info_passed", "info_limit", "info_ticket",
            "info_answer", "desk_mark_info",
        ),
    }


class Desk:
    def __init__(self, config: Config, storage: Storage, content: LiveContent, clock: Clock) -> None:
        self.storage = storage
        self.content = content
        self.clock = clock
        self.kinds = desk_kinds(config)
        self._last_question: OrderedDict[ChatRef, str] = OrderedDict()

    @property
    def phrases(self) -> Phrasebook:
        return self.content.phrases

    def announce(self) -> None:
        """Say once at start where tickets go."""
        media, info = self.kinds["media"], self.kinds["info"]
        if not media.chats:
            log.warning(
                "no media desk configured (telegram.media_desk_chat, matrix.media_desk_room): "
                "press questions get the media contact and are not forwarded"
            )
        else:
            log.info("press questions go to %s", media.where)
        if info.chats:
            log.info("questions the bot cannot answer go to %s", info.where)
        else:
            log.info("no info desk configured (desk.info_chat, desk.info_room): unanswered "
                     "questions get the contacts only")

    def commands(self) -> dict[str, Handler]:
        return {"answer": self.answer, "tickets": self.tickets, "ask": self.ask}

    def is_desk(self, chat: ChatRef) -> bool:
        return any(chat in kind.chats for kind in self.kinds.values())

    def serves(self, kind: str) -> bool:
        """A desk of this kind is configured."""
        return bool(self.kinds[kind].chats)

    def _kinds_of(self, chat: ChatRef) -> list[DeskKind]:
        return [kind for kind in self.kinds.values() if chat in kind.chats]

    # the asker's side

    def remember(self, chat: ChatRef, question: str) -> None:
        """The chat's last question, for "🙋 Ask the organisers" and a bare /ask (in memory)."""
        self._last_question[chat] = question
        self._last_question.move_to_end(chat)
        while len(self._last_question) > REMEMBERED:
            self._last_question.popitem(last=False)

    async def hand_off(self, kind_name: str, msg: Incoming, question: str, lang: str,
                       said: str = "") -> list[Reply]:
        """What the bot `said` and the ticket number for the asker; the question as a
        ticket for every desk of the kind (none for a desk itself, none over the limit)."""
        kind = self.kinds[kind_name]
        notes = [said] if said else []
        if not kind.chats or self.is_desk(msg.chat):
            return [Reply.of("\n\n".join(notes))] if notes else []
        now = self.clock.now()
        recent = await self.storage.tickets_since(msg.chat, now - timedelta(hours=1), kind.name)
        if recent >= kind.per_hour:
            return [Reply.of("\n\n".join([*notes, self.phrases.text(lang, kind.limit)]))]
        self._last_question.pop(msg.chat, None)
        name = clean(msg.sender_name)[:80] or msg.sender_id
        question = clean(question)[:2000]
        ticket_id = await self.storage.open_ticket(kind.name, msg.chat, name, lang, question, now)
        log.info("%s ticket #%s opened", kind.name, ticket_id)
        replies = [Reply.of("\n\n".join([*notes, self.phrases.text(lang, kind.passed, id=ticket_id)]))]
        for desk in kind.chats:
            text = self.phrases.text(
                await self._desk_lang(desk), kind.ticket, id=ticket_id, name=user_text(name),
                transport=msg.transport, language=lang, question=user_text(question),
                p=PREFIX.get(desk.transport, "/"),
            )
            replies.append(Reply.of(text, chat=desk, tag=f"{TAG}{ticket_id}"))
        return replies

    async def ask(self, msg: Incoming, lang: str) -> list[Reply]:
        """`/ask question` (or a bare /ask, the "Ask the organisers" button: the last
        question) goes to the info desk."""
        p = PREFIX.get(msg.transport, "/")
        if not self.serves("info"):
            return [Reply.of(self.phrases.text(lang, "ask_no_desk"))]
        question = clean(msg.args) or self._last_question.get(msg.chat, "")
        if not question or self.is_desk(msg.chat):
            return [Reply.of(self.phrases.text(lang, "ask_usage", p=p))]
        return await self.hand_off("info", msg, question, lang)

    async def on_delivered(self, tag: str, chat: ChatRef, message_id: str | None) -> None:
        """Remember which desk message carries which ticket, for the desk's replies."""
        if tag.startswith(TAG) and message_id is not None:
            await self.storage.add_ticket_message(int(tag[len(TAG):]), chat, message_id)

    async def withdrawn(self, tickets: list[Ticket]) -> list[Reply]:
        """Tell the desks that the asker of an open ticket erased their data."""
        replies = []
        for ticket in tickets:
            for desk in self.kinds[ticket.kind].chats if ticket.kind in self.kinds else ():
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
        """`/tickets` in a desk: its open tickets with their age and asker."""
        kinds = self._kinds_of(msg.chat)
        if not kinds:
            return [Reply.of(self.phrases.text(lang, "desk_only"))]
        marks = {kind.name: self.phrases.text(lang, kind.mark) for kind in kinds}
        open_tickets = await self.storage.open_tickets(list(marks))
        if not open_tickets:
            return [Reply.of(self.phrases.text(lang, "desk_tickets_none"))]
        now = self.clock.now()
        lines = [self.phrases.text(lang, "desk_tickets")] + [
            self.phrases.text(
                lang, "desk_ticket_line", mark=marks[t.kind], id=t.id, name=user_text(t.asker_name),
                transport=t.asker.transport, age=self._age(lang, now - t.created_at),
                question=user_text(t.question[:120]),
            )
            for t in open_tickets
        ]
        return [Reply.of("\n".join(lines))]

    async def _send_answer(self, ticket_id: int, text: str, lang: str, msg: Incoming) -> list[Reply]:
        p = PREFIX.get(msg.transport, "/")
        ticket = await self.storage.ticket(ticket_id)
        if ticket is None or ticket.kind not in {kind.name for kind in self._kinds_of(msg.chat)}:
            return [Reply.of(self.phrases.text(lang, "desk_unknown_ticket", id=ticket_id, p=p))]
        body = clean(text)[:3500]
        await self.storage.mark_ticket_answered(ticket.id, self.clock.now())
        log.info("%s ticket #%s answered from %s", ticket.kind, ticket.id, msg.transport)
        # The desk hears "sent" only once the asker really got it (the outbox follows up).
        name = user_text(ticket.asker_name)
        sent = Reply.of(self.phrases.text(lang, "desk_sent", id=ticket.id, name=name), chat=msg.chat)
        lost = Reply.of(self.phrases.text(lang, "desk_not_delivered", id=ticket.id, name=name),
                        chat=msg.chat)
        to_asker = Reply.of(
            self.phrases.text(ticket.lang, self.kinds[ticket.kind].answer, text=body),
            chat=ticket.asker, then={"sent": [sent.to_dict()], "failed": [lost.to_dict()]},
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
