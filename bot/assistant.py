"""The assistant: one message in, the replies out. Every transport calls this.

Commands, buttons and free text all arrive as `Incoming`; the answer is a list of
`Reply`. Nothing here knows which platform the user is on, beyond the command prefix it
should show them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.content import LiveContent
from bot.event import Event, facts_of
from bot.flood import FloodGuard, Verdict
from bot.logs import shown
from bot.markup import user_text
from bot.messages import Button, ChatRef, Incoming, Reply, Venue, valid_text
from bot.phrasebook import Phrasebook
from bot.privacy import mask_personal
from bot.recent import RecentMap
from bot.storage import Storage, Ticket, User
from faq.knowledge import KnowledgeBase
from faq.matcher import Match, Matcher
from faq.normalize import small_talk

if TYPE_CHECKING:
    from bot.health import Health

log = logging.getLogger(__name__)

MAX_QUESTION = 1000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_NEXT_PLACEHOLDER = re.compile(r"\{next_\w+\}")  # {next_name}, {next_host}, {next_dates}
PREFIX = {"telegram": "/", "matrix": "!", "console": "/"}
NON_TEXT_QUIET = 60.0  # seconds: one "text only" reply per burst of stickers/photos
MAX_CHATS_REMEMBERED = 10_000  # per-chat memories (the "text only" notice) are bounded

Handler = Callable[[Incoming, str], Awaitable[list[Reply]]]


class Handoff(Protocol):
    """What the assistant needs from the desks (bot/desk.py)."""

    def is_desk(self, chat: ChatRef) -> bool: ...

    def serves(self, kind: str) -> bool: ...

    def remember(self, chat: ChatRef, question: str) -> None: ...

    async def hand_off(
        self, kind: str, msg: Incoming, question: str, lang: str, said: str = ""
    ) -> list[Reply]: ...

    async def from_desk(self, msg: Incoming) -> list[Reply] | None: ...

    async def withdrawn(self, tickets: list[Ticket]) -> list[Reply]: ...


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer to one free-text question, as `irlf-bot ask --json` prints it
    (`buttons`, the answer's own buttons, are not printed)."""

    question: str
    kind: str
    entry: str | None
    score: float
    lang: str
    text: str
    suggestions: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)  # every entry answered, `entry` first
    buttons: list[list[Button]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["buttons"]
        return data


class Consultant(Protocol):
    """Answers the questions it knows before the knowledge base does (the programme)."""

    def consult(self, question: str, lang: str | None) -> Answer | None: ...


class Assistant:
    def __init__(
        self,
        config: Config,
        content: LiveContent,
        storage: Storage,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.content = content
        self.storage = storage
        self.clock = clock or SystemClock()
        self.desk: Handoff | None = None
        self.health: Health | None = None
        self.consultants: list[Consultant] = []
        self._non_text_at: RecentMap[ChatRef, bool] = RecentMap(MAX_CHATS_REMEMBERED, NON_TEXT_QUIET)
        limits = config.limits
        self.flood = FloodGuard(limits.flood_burst, limits.flood_refill_seconds)
        self._commands: dict[str, Handler] = {
            "start": self.start,
            "help": self.help,
            "faq": self.faq,
            "show": self.show,
            "agenda": self.agenda,
            "venue": self.venue,
            "contacts": self.contacts,
            "lang": self.lang,
            "forget": self.forget,
            "privacy": self.privacy,
        }

    # the content of this turn: a reload swaps it whole, never in the middle of an answer

    @property
    def event(self) -> Event:
        return self.content.current.event

    @property
    def kb(self) -> KnowledgeBase:
        return self.content.current.kb

    @property
    def matcher(self) -> Matcher:
        return self.content.current.matcher

    @property
    def phrases(self) -> Phrasebook:
        return self.content.current.phrases

    # the pure question -> answer path (no storage, no network): `irlf-bot ask`

    def ask(self, question: str, lang: str | None = None) -> Answer:
        """Answer one free-text question; `lang` is the user's choice when the text is neutral."""
        cleaned = clean(question, lines=True)[:MAX_QUESTION]
        consulted = next(
            (a for c in self.consultants if (a := c.consult(cleaned, lang)) is not None), None
        )
        if consulted is not None and consulted.kind == "answer":
            return replace(consulted, question=question)
        match = self.matcher.match(cleaned, _known(lang))
        if consulted is not None and match.kind != "handoff":
            # The consultant's honest "not here" (no such session), unless it is for the press.
            return replace(consulted, question=question)
        reply_lang = match.lang or _known(lang) or "pl"
        return Answer(
            question=question,
            kind=match.kind,
            entry=match.entry,
            score=match.score,
            lang=reply_lang,
            text=self._answer_text(match, reply_lang, cleaned),
            suggestions=match.suggestions,
            entries=match.entries or ([match.entry] if match.entry else []),
        )

    def _dated(self, text: str, lang: str) -> str:
        """Before the event: the answer and a countdown. After it: it took place; what next."""
        now, event = self.clock.now(), self.event
        countdown = self.phrases.countdown(lang, now, event.start, event.end)
        if countdown is None:
            return self.phrases.text(lang, "took_place" if event.next else "took_place_no_next")
        countdown = countdown[:1].upper() + countdown[1:]
        return f"{text}\n{self.phrases.text(lang, 'countdown_line', countdown=countdown)}"

    def _answer_text(self, match: Match, lang: str, question: str) -> str:
        text = self._matched_text(match, lang, question)
        if match.claim is not None and match.kind == "answer":
            holds = match.claim.holds(self.matcher.facts or facts_of(self.event))
            if holds is not None:
                verdict = self.phrases.text(lang, "premise_right" if holds else "premise_wrong")
                text = f"{verdict} {text}"
        return text

    def _matched_text(self, match: Match, lang: str, question: str) -> str:
        if match.kind == "suggest":
            titles = "\n".join(f"• {self.kb.entries[e].title[lang]}" for e in match.suggestions)
            return f"{self.phrases.text(lang, 'suggest')}\n{titles}"
        if match.kind == "fallback" or match.entry is None:
            if match.kind == "handoff":
                return self.phrases.text(lang, "handoff_contact")
            chat = small_talk(question)
            if chat is not None:
                # "help" gets what to ask and how, as a greeting does
                return self.phrases.text(lang, "thanks" if chat == "thanks" else "greeting_short")
            return self.phrases.text(lang, "fallback")
        text = self.entries_answer(match.entries or [match.entry], lang)
        if match.kind == "handoff" or any(
            self.kb.entries[e].handoff for e in match.entries
        ):
            media = self.event.contacts.media.email
            if media not in text:
                text = f"{text}\n{self.phrases.text(lang, 'handoff_contact')}"
        return text

    def entry_text(self, entry_id: str, lang: str) -> str:
        answer = self.kb.entries[entry_id].answer[lang]
        if self.event.next is None and _NEXT_PLACEHOLDER.search(answer):
            # An event file without [next]: say so, never "during  in ." with blanks.
            return self.phrases.text(lang, "next_unannounced")
        return self.phrases.fill(lang, answer)

    def entry_answer(self, entry_id: str, lang: str) -> str:
        """An entry's answer as the user reads it today (dated entries carry the countdown)."""
        return self.entries_answer([entry_id], lang)

    def entries_answer(self, entry_ids: list[str], lang: str) -> str:
        """The answers to one message's questions, in order, as one reply. Before the
        event the date and time carry a countdown; after it, the date, time, length and
        place are told in the past tense and what comes next is said once, at the end."""
        if self.clock.now() >= self.event.end and any(self._has_past(e) for e in entry_ids):
            texts = [self.phrases.text(lang, f"past_{e}") if self._has_past(e)
                     else self.entry_text(e, lang) for e in entry_ids]
            texts.append(self.phrases.text(lang, "past_next" if self.event.next else "past_no_next"))
            return "\n\n".join(texts)
        text = "\n\n".join(self.entry_text(e, lang) for e in entry_ids)
        if any(e in self.phrases.data["dated"]["entries"] for e in entry_ids):
            text = self._dated(text, lang)
        return text

    def _has_past(self, entry_id: str) -> bool:
        return f"past_{entry_id}" in self.phrases.data["en"]

    def follow_up_buttons(self, entry_id: str | None, lang: str) -> list[list[Button]]:
        """"Remind me" and "calendar" under the date and venue answers."""
        if entry_id in self.phrases.data["dated"]["offer_reminder"]:
            return [self._reminder_buttons(lang)]
        return []

    # the conversation: every transport calls this

    async def handle(self, msg: Incoming) -> list[Reply]:
        """All replies to one incoming message (possibly none)."""
        if not msg.is_private and not msg.addressed:
            return []
        with self.content.turn():
            return await self._handle(msg)

    async def _handle(self, msg: Incoming) -> list[Reply]:
        verdict = self._flood_verdict(msg)
        if verdict is Verdict.QUIET:
            return []
        user = await self.storage.get_user(msg.chat)
        if verdict is Verdict.NOTICE:
            return [self.say(self.phrases.text(self._lang(msg, user), "flood"))]
        lang = self._lang(msg, user)
        if user is None and msg.is_private:
            hint = _known(msg.language_hint)
            await self.storage.bookkeeping(
                "a new chat", lambda: self.storage.remember_chat(msg.chat, True, self.clock.now(), hint)
            )
        if self.desk is not None and self.desk.is_desk(msg.chat):
            answered = await self.desk.from_desk(msg)
            if answered is not None:
                return answered
        if not msg.is_text:
            return self._text_only(msg, lang)
        if msg.command is not None:
            handler = self._commands.get(msg.command.lower())
            if handler is None:
                return [self.say(self.phrases.text(
                    lang, "unknown_command", command=user_text(clean(msg.command)[:40]),
                    p=PREFIX.get(msg.transport, "/"),
                ))]
            return await handler(msg, lang)
        return await self.answer_question(msg, lang)

    async def answer_question(self, msg: Incoming, lang: str) -> list[Reply]:
        """Free text: the matched answer, suggestions, a handoff or an honest fallback."""
        text = clean(msg.text, lines=True)
        if not text:
            return [self.say(self.phrases.text(lang, "empty"))]
        notes: list[str] = []
        if len(text) > MAX_QUESTION:
            text = text[:MAX_QUESTION]
            notes.append(self.phrases.text(lang, "too_long"))
        answer = self.ask(text, lang)
        log.debug("question %s: %s %s (%.2f)", shown(text), answer.kind, answer.entry, answer.score)
        now = self.clock.now()
        local = now.astimezone(self.event.zone)
        # "thanks" and "hello" are conversation, not questions left unanswered
        kind = "small_talk" if answer.kind == "fallback" and small_talk(text) else answer.kind
        await self.storage.record_question(
            local.date().isoformat(), answer.entry, kind, mask_personal(clean(text)), now,
            hour=local.hour,
        )
        if self.health is not None:
            self.health.question(msg.transport, kind)
        said = "\n\n".join([*notes, answer.text])
        if self.desk is not None:
            if answer.kind == "handoff":
                return await self.desk.hand_off("media", msg, text, answer.lang, said)
            if kind == "fallback" and self.desk.serves("info"):
                return await self.desk.hand_off("info", msg, text, answer.lang, said)
            self.desk.remember(msg.chat, text)
        buttons: list[list[Button]] = []
        if answer.buttons:
            buttons = answer.buttons
        elif answer.kind == "suggest":
            buttons = [
                [Button(self.kb.entries[e].title[answer.lang], f"show {e}")]
                for e in answer.suggestions
            ]
            if self.desk is not None and self.desk.serves("info"):
                buttons.append([Button(self.phrases.text(answer.lang, "button_ask"), "ask")])
        else:
            buttons = self.follow_up_buttons(answer.entry, answer.lang)
        return [self.say(said, buttons)]

    def _reminder_buttons(self, lang: str) -> list[Button]:
        return [
            Button(self.phrases.text(lang, "button_remind"), "remind"),
            Button(self.phrases.text(lang, "button_calendar"), "calendar"),
        ]

    # commands

    async def start(self, msg: Incoming, lang: str) -> list[Reply]:
        """Greet the user in their language and offer the main topics."""
        name = clean(msg.sender_name).split(" ")[0][:40] if msg.sender_name else ""
        greeting = self.phrases.text(lang, "greeting", name=f", {user_text(name)}" if name else "")
        parts = [greeting, self.phrases.text(lang, "privacy", p=PREFIX.get(msg.transport, "/"))]
        if self.clock.now() >= self.event.end:
            parts.insert(1, self._dated("", lang))
        text = "\n\n".join(parts)
        return [self.say(text, [*self._topic_buttons(lang), self._reminder_buttons(lang)])]

    async def help(self, msg: Incoming, lang: str) -> list[Reply]:
        """Explain how to ask and list the commands."""
        return [self.say(self.phrases.text(lang, "help", p=PREFIX.get(msg.transport, "/")))]

    async def faq(self, msg: Incoming, lang: str) -> list[Reply]:
        """List the topics, or the questions of one topic."""
        category = msg.args.strip().lower()
        if category not in self.kb.categories():
            return [self.say(self.phrases.text(lang, "topics"), self._topic_buttons(lang))]
        entries = self.kb.in_category(category)
        title = self.phrases.topic(lang, category)
        lines = "\n".join(f"• {e.title[lang]}" for e in entries)
        text = f"{self.phrases.text(lang, 'topic_questions', topic=title)}\n{lines}"
        buttons = [[Button(e.title[lang], f"show {e.id}")] for e in entries]
        buttons.append([Button(self.phrases.text(lang, "more_topics"), "faq")])
        return [self.say(text, buttons)]

    async def show(self, msg: Incoming, lang: str) -> list[Reply]:
        """Answer one knowledge-base entry by id (a tapped suggestion or topic button)."""
        entry_id = msg.args.strip()
        if entry_id not in self.kb.entries:
            return [self.say(self.phrases.text(lang, "fallback"))]
        return [self.say(self.entry_answer(entry_id, lang), self.follow_up_buttons(entry_id, lang))]

    async def agenda(self, msg: Incoming, lang: str) -> list[Reply]:
        """Date, hours and programme."""
        return [self.say(self._joined("agenda", lang))]

    async def venue(self, msg: Incoming, lang: str) -> list[Reply]:
        """Address, how to get there, a map link and a pin where coordinates are known."""
        v = self.event.venue
        text = self._joined("venue", lang)
        if v.map_url:
            text = f"{text}\n{self.phrases.text(lang, 'venue_map', map_url=v.map_url)}"
        pin = None
        if v.latitude is not None and v.longitude is not None:
            pin = Venue(v.name(lang), v.address, v.latitude, v.longitude)
        reply = self.say(text)
        reply.venue = pin
        return [reply]

    async def contacts(self, msg: Incoming, lang: str) -> list[Reply]:
        """The contacts: programme, organisation, media."""
        return [self.say(self._joined("contacts", lang))]

    async def lang(self, msg: Incoming, lang: str) -> list[Reply]:
        """Switch the reply language (remembered), or offer the choice."""
        if not msg.may_change_chat_settings:
            return [self._moderators_only(lang)]
        choice = msg.args.strip().lower()[:2]
        if choice not in ("pl", "en"):
            buttons = [[Button("🇵🇱 Polski", "lang pl"), Button("🇬🇧 English", "lang en")]]
            return [self.say(self.phrases.text(lang, "lang_choose"), buttons)]
        await self.storage.remember_chat(msg.chat, msg.is_private, self.clock.now())
        await self.storage.set_language(msg.chat, choice)
        return [self.say(self.phrases.text(choice, "lang_set"))]

    async def privacy(self, msg: Incoming, lang: str) -> list[Reply]:
        """What is kept about the user, why, and for how long."""
        text = self.phrases.text(
            lang, "privacy_details", days=self.config.privacy.keep_days, p=PREFIX.get(msg.transport, "/")
        )
        return [self.say(text)]

    async def forget(self, msg: Incoming, lang: str) -> list[Reply]:
        """Erase what is kept about the user, after they confirm."""
        if not msg.may_change_chat_settings:
            return [self._moderators_only(lang)]
        answer = msg.args.strip().lower()
        if answer == "yes":
            erased, withdrawn = await self.storage.forget(msg.chat)
            key = "forget_done" if erased else "forget_nothing"
            notices = await self.desk.withdrawn(withdrawn) if self.desk is not None else []
            return [self.say(self.phrases.text(lang, key)), *notices]
        if answer == "no":
            return [self.say(self.phrases.text(lang, "forget_cancelled"))]
        buttons = [[
            Button(self.phrases.text(lang, "button_yes"), "forget yes"),
            Button(self.phrases.text(lang, "button_no"), "forget no"),
        ]]
        return [self.say(self.phrases.text(lang, "forget_confirm"), buttons)]

    def command_menu(self, lang: str) -> list[tuple[str, str]]:
        """(command, description) pairs for the platform's command menu."""
        menu = self.phrases.data["menu"]["en" if lang == "en" else "pl"]
        return [(name, text) for name, text in menu.items() if name in self._commands]

    # helpers

    def say(self, text: str, buttons: list[list[Button]] | None = None) -> Reply:
        """A reply to the same chat, with its HTML form."""
        return Reply.of(text, buttons)

    def register(self, commands: dict[str, Handler]) -> None:
        """Add a feature's commands (broadcasts, reminders, the desks)."""
        self._commands.update(commands)

    def _joined(self, command: str, lang: str) -> str:
        ids = self.phrases.data["commands"][command]
        return "\n\n".join(self.entry_text(i, lang) for i in ids if i in self.kb.entries)

    def _topic_buttons(self, lang: str) -> list[list[Button]]:
        topics = [Button(self.phrases.topic(lang, c), f"faq {c}") for c in self.kb.categories()]
        return [topics[i:i + 2] for i in range(0, len(topics), 2)]

    def language_hint(self, msg: Incoming) -> str:
        """The language to use when the user's saved choice cannot be read."""
        return _known(msg.language_hint) or "pl"

    def _lang(self, msg: Incoming, user: User | None) -> str:
        return (user.language if user else None) or _known(msg.language_hint) or "pl"

    def _text_only(self, msg: Incoming, lang: str) -> list[Reply]:
        said = self._non_text_at.get(msg.chat)
        self._non_text_at.set(msg.chat, True)  # a burst keeps it quiet until 60 s of calm
        return [] if said else [self.say(self.phrases.text(lang, "non_text"))]

    # permissions and flood control

    def _flood_verdict(self, msg: Incoming) -> Verdict:
        """Questions are metered per sender; button taps, the desk and organisers are not."""
        exempt = (
            msg.payload is not None
            or self.config.is_organiser(msg.transport, msg.sender_id)
            or (self.desk is not None and self.desk.is_desk(msg.chat))
        )
        return Verdict.ANSWER if exempt else self.flood.check((msg.transport, msg.sender_id))

    def _moderators_only(self, lang: str) -> Reply:
        """The polite refusal when a room member who does not moderate it changes its settings."""
        return self.say(self.phrases.text(lang, "room_settings_moderators"))


def clean(text: str, lines: bool = False) -> str:
    """Drop control and direction characters, collapse whitespace, replace lone surrogates.
    With `lines`, line breaks are kept (empty lines dropped): a question typed over several
    lines ("stoję pod halą A\nktóra hala??") is read line by line."""
    text = _CONTROL.sub(" ", valid_text(text or ""))
    if not lines:
        return " ".join(text.split())
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _known(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()[:2]
    return lang if lang in ("pl", "en") else None
