"""The programme for guests: /programme day by day, /now, /next, a session's card with ⭐
and its .ics, /starred, and free-text questions about sessions.

Commands and buttons share one vocabulary of payloads: `programme [day]`, `session ID`,
`star ID`, `unstar ID`, `ics ID`, `ics starred`. The reminders and change notices for
starred sessions are in bot/session_reminders.py.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.assistant import PREFIX, Answer, Handler
from bot.calendar import sessions_calendar
from bot.clock import Clock
from bot.config import ProgrammeSettings
from bot.messages import Attachment, Button, Incoming, Reply
from bot.phrasebook import Phrasebook
from bot.programme import Programme, ProgrammeSource, Session
from bot.programme_questions import ProgrammeQuestions, Selection, Vocabulary
from bot.storage import Star, Storage
from faq.normalize import guess_language, stem, words

LISTED = 12  # sessions in one free-text answer; a day lists all of its own
LABEL = 38  # characters of a title on a button


class ProgrammeDesk:
    def __init__(self, source: ProgrammeSource, storage: Storage, phrases: Phrasebook, clock: Clock,
                 settings: ProgrammeSettings) -> None:
        self.source = source
        self.storage = storage
        self.phrases = phrases
        self.clock = clock
        self.settings = settings
        self.event = phrases.event
        e = self.event
        names = " ".join([e.name.pl, e.name.en, e.short_name, e.host_event.pl, e.host_event.en])
        self.questions = ProgrammeQuestions(
            Vocabulary(phrases.data["words"]), {stem(w) for w in words(names)}
        )

    def commands(self) -> dict[str, Handler]:
        return {
            "programme": self.programme, "program": self.programme, "now": self.now,
            "next": self.next, "session": self.session, "star": self.star, "unstar": self.unstar,
            "starred": self.starred, "ics": self.ics,
        }

    # free text (the assistant's consultant)

    def consult(self, question: str, lang: str | None) -> Answer | None:
        """A question about the programme answered from it; None when it is not one."""
        programme, now = self.source.current(), self.clock.now()
        selection = self.questions.select(question, programme, now)
        if selection is None:
            return None
        reply_lang = selection.lang or guess_language(question) or lang or "pl"
        text, buttons = self.render(selection, reply_lang, programme, now)
        found = selection.mode != "not_in_programme"
        return Answer(question, "answer" if found else "fallback", "programme", 1.0 if found else 0.0,
                      reply_lang, text, buttons=buttons)

    def render(self, selection: Selection, lang: str, programme: Programme,
               now: datetime) -> tuple[str, list[list[Button]]]:
        mode, sessions = selection.mode, selection.sessions
        if mode == "detail":
            return self.card(sessions[0], lang)
        if mode == "overview":
            return self.overview(programme, lang, now)
        if mode == "now":
            return self.running(programme, lang, now, sessions)
        if mode == "next":
            return self.coming(programme, lang, now, sessions)
        if mode in ("list", "who") and sessions:
            heading = self.phrases.text(lang, "who_heading" if mode == "who" else "list_heading")
            return self.listing(heading, sessions, programme, lang, programme.local(now).date(), LISTED)
        key = "not_in_programme" if mode == "not_in_programme" else "filters_nothing"
        text = self.phrases.text(lang, key, topic=selection.topic)
        return text, [[Button(self.phrases.text(lang, "button_programme"), "programme")]]

    # commands

    async def programme(self, msg: Incoming, lang: str) -> list[Reply]:
        """The days to choose from, or one day's sessions."""
        programme, now = self.source.current(), self.clock.now()
        wanted = msg.args.strip()
        days = programme.days()
        if not wanted:
            if len(days) == 1:
                return [self._day(programme, days[0], lang, now)]
            return [Reply.of(*self.overview(programme, lang, now))]
        day = programme.pick_day(wanted, programme.local(now).date())
        if day is None:
            text = self.phrases.text(lang, "programme_unknown_day", days=self._span(programme, lang))
            return [Reply.of(text, self._day_buttons(programme, lang))]
        return [self._day(programme, day, lang, now)]

    async def now(self, msg: Incoming, lang: str) -> list[Reply]:
        """What is on now, else what comes next."""
        programme, now = self.source.current(), self.clock.now()
        return [Reply.of(*self.running(programme, lang, now, programme.running(now)))]

    async def next(self, msg: Incoming, lang: str) -> list[Reply]:
        """The next session in each room."""
        programme, now = self.source.current(), self.clock.now()
        return [Reply.of(*self.coming(programme, lang, now, programme.upcoming(now)))]

    async def session(self, msg: Incoming, lang: str) -> list[Reply]:
        """One session's card, with ⭐ (or ☆ when starred) and its .ics."""
        found = self._session(msg, lang, "session")
        if isinstance(found, Reply):
            return [found]
        starred = any(s.session_id == found.id for s in await self._stars(msg))
        return [Reply.of(*self.card(found, lang, starred=starred))]

    async def star(self, msg: Incoming, lang: str) -> list[Reply]:
        """Save a session: a reminder before it, and news if it moves."""
        found = self._session(msg, lang, "star")
        if isinstance(found, Reply):
            return [found]
        p, now = PREFIX.get(msg.transport, "/"), self.clock.now()
        if not msg.is_private and not msg.is_room_moderator:
            return [Reply.of(self.phrases.text(lang, "star_room_moderators"))]
        title, when = found.title(lang), self.when(found, lang)
        if found.start <= now:
            return [Reply.of(self.phrases.text(lang, "star_past", title=title, when=when))]
        await self.storage.remember_chat(msg.chat, msg.is_private, now)
        added = await self.storage.add_star(self.event.id, msg.chat, star_of(found), now)
        buttons = [[Button(self.phrases.text(lang, "button_unstar"), f"unstar {found.id}"),
                    Button(self.phrases.text(lang, "button_session_ics"), f"ics {found.id}")]]
        if not added:
            return [Reply.of(self.phrases.text(lang, "star_already", title=title, p=p), buttons)]
        if found.start - self.settings.lead <= now:
            countdown = self.phrases.countdown(lang, now, found.start, found.end) or ""
            text = self.phrases.text(lang, "star_done_soon", title=title, countdown=countdown)
        else:
            text = self.phrases.text(lang, "star_done", title=title, when=when, p=p,
                                     lead=self.phrases.span(lang, self.settings.lead))
        return [Reply.of(text, buttons)]

    async def unstar(self, msg: Incoming, lang: str) -> list[Reply]:
        """Take a session off the list (no reminder, no news)."""
        session_id = msg.args.strip()
        p = PREFIX.get(msg.transport, "/")
        if not session_id:
            return [Reply.of(self.phrases.text(lang, "session_usage", command="unstar", p=p))]
        stars = {s.session_id: s for s in await self._stars(msg)}
        if session_id not in stars or not await self.storage.remove_star(self.event.id, msg.chat, session_id):
            return [Reply.of(self.phrases.text(lang, "unstar_missing", p=p))]
        session = self.source.current().get(session_id)
        title = session.title(lang) if session else stars[session_id].title
        return [Reply.of(self.phrases.text(lang, "unstar_done", title=title))]

    async def starred(self, msg: Incoming, lang: str) -> list[Reply]:
        """The sessions the user saved, with their cards and one .ics for all."""
        programme, now = self.source.current(), self.clock.now()
        stars = await self._stars(msg)
        if not stars:
            return [Reply.of(self.phrases.text(lang, "starred_none", p=PREFIX.get(msg.transport, "/")))]
        sessions = [s for s in (programme.get(star.session_id) for star in stars) if s]
        sessions.sort(key=lambda s: s.start)
        gone = [star for star in stars if programme.get(star.session_id) is None]
        heading = self.phrases.text(lang, "starred_heading", lead=self.phrases.span(lang, self.settings.lead))
        text, buttons = self.listing(heading, sessions, programme, lang, programme.local(now).date(),
                                     limit=None)
        lines = [text, *(f"{star.title} {self.phrases.text(lang, 'starred_gone')}" for star in gone)]
        if sessions:
            buttons.append([Button(self.phrases.text(lang, "button_starred_ics"), "ics starred")])
        return [Reply.of("\n".join(lines), buttons)]

    async def ics(self, msg: Incoming, lang: str) -> list[Reply]:
        """One session, or all the starred ones, as an .ics file (with its VTIMEZONE)."""
        programme, now = self.source.current(), self.clock.now()
        if msg.args.strip().lower() == "starred":
            chosen = [s for s in (programme.get(star.session_id) for star in await self._stars(msg)) if s]
            if not chosen:
                return [Reply.of(self.phrases.text(lang, "starred_none", p=PREFIX.get(msg.transport, "/")))]
            name, data = sessions_calendar(chosen, self.event, lang, now, f"{self.event.id}-starred.ics")
            text = self.phrases.text(lang, "starred_ics_text", count=len(chosen))
        else:
            found = self._session(msg, lang, "ics")
            if isinstance(found, Reply):
                return [found]
            name, data = sessions_calendar([found], self.event, lang, now, f"{self.event.id}-{found.id}.ics")
            text = self.phrases.text(lang, "session_ics_text", title=found.title(lang),
                                     when=self.when(found, lang))
        return [Reply.of(text, attachment=Attachment(name, "text/calendar", data))]

    # what the replies look like

    def overview(self, programme: Programme, lang: str, now: datetime) -> tuple[str, list[list[Button]]]:
        text = self.phrases.text(
            lang, "programme_overview", days=self._span(programme, lang),
            sessions=self.phrases.count(lang, len(programme), "sessions_count"),
            days_count=self.phrases.count(lang, len(programme.days()), "days_count"),
        )
        buttons = self._day_buttons(programme, lang)
        buttons.append([Button(self.phrases.text(lang, "button_now"), "now"),
                        Button(self.phrases.text(lang, "button_next"), "next")])
        return text, buttons

    def running(self, programme: Programme, lang: str, now: datetime,
                sessions: list[Session]) -> tuple[str, list[list[Button]]]:
        clock = self.phrases.clock(now)
        if sessions:
            heading = self.phrases.text(lang, "now_heading", time=clock)
            text, buttons = self.listing(heading, sessions, programme, lang, programme.local(now).date(),
                                         LISTED)
            buttons.append([Button(self.phrases.text(lang, "button_next"), "next")])
            return text, buttons
        nothing = self.phrases.text(lang, "now_nothing", time=clock)
        text, buttons = self.coming(programme, lang, now, programme.upcoming(now))
        return f"{nothing}\n{text}", buttons

    def coming(self, programme: Programme, lang: str, now: datetime,
               sessions: list[Session]) -> tuple[str, list[list[Button]]]:
        if not sessions:
            return self.phrases.text(lang, "next_nothing"), [
                [Button(self.phrases.text(lang, "button_programme"), "programme")]]
        heading = self.phrases.text(lang, "next_heading")
        return self.listing(heading, sessions, programme, lang, programme.local(now).date(), LISTED)

    def listing(self, heading: str, sessions: list[Session], programme: Programme, lang: str,
                today: date, limit: int | None) -> tuple[str, list[list[Button]]]:
        """Sessions one per line under a heading, a day's name wherever the day is not
        `today` (or several days are listed), and a button for each session's card."""
        shown = sessions if limit is None else sessions[:limit]
        lines, day = [heading], None
        for s in shown:
            if programme.day_of(s) != day:
                day = programme.day_of(s)
                if day != today or len({programme.day_of(x) for x in shown}) > 1:
                    lines.append(f"\n{self.phrases.day(lang, day)}")
            lines.append(self.line(s, lang))
        if len(shown) < len(sessions):
            lines.append(self.phrases.text(lang, "programme_more", count=len(sessions) - len(shown)))
        return "\n".join(lines), [[self._session_button(s, lang)] for s in shown]

    def line(self, session: Session, lang: str) -> str:
        """'10:00–11:30 · Hala A · Panel CIMIC… — T. Zieliński, ...'"""
        parts = [self.hours(session), session.room, session.title(lang)]
        text = " · ".join(p for p in parts if p)
        return f"{text} — {', '.join(session.speakers)}" if session.speakers else text

    def card(self, session: Session, lang: str, *, starred: bool = False) -> tuple[str, list[list[Button]]]:
        """Everything about one session, with ⭐/☆, .ics and the way back to its day."""
        where = self.place_and_time(lang, session.start, session.end, session.room)
        lines = [f"„{session.title(lang)}”" if lang == "pl" else f"“{session.title(lang)}”", where]
        if session.speakers:
            lines.append(f"{self.phrases.text(lang, 'label_speakers')}: {', '.join(session.speakers)}")
        if session.track:
            lines.append(f"{self.phrases.text(lang, 'label_track')}: {session.track}")
        if session.description(lang):
            lines += ["", session.description(lang)]
        star = (Button(self.phrases.text(lang, "button_unstar"), f"unstar {session.id}") if starred
                else Button(self.phrases.text(lang, "button_star"), f"star {session.id}"))
        day = self.source.current().day_of(session)
        return "\n".join(lines), [
            [star, Button(self.phrases.text(lang, "button_session_ics"), f"ics {session.id}")],
            [Button(self.phrases.text(lang, "button_programme"), f"programme {day.isoformat()}")],
        ]

    def when(self, session: Session, lang: str) -> str:
        """'piątek, 11 czerwca 2027, 10:00–11:30'"""
        return self.place_and_time(lang, session.start, session.end, "")

    def place_and_time(self, lang: str, start: datetime, end: datetime, room: str) -> str:
        """'piątek, 11 czerwca 2027, 10:00–11:30, Hala A'"""
        day = self.phrases.day(lang, start.astimezone(self.event.zone).date())
        hours = f"{self.phrases.clock(start)}–{self.phrases.clock(end)}"
        return ", ".join(part for part in (day, hours, room) if part)

    # helpers

    def _day(self, programme: Programme, day: date, lang: str, now: datetime) -> Reply:
        heading = self.phrases.text(lang, "programme_day", day=self.phrases.day(lang, day))
        text, buttons = self.listing(heading, programme.on(day), programme, lang, day, limit=None)
        others = [b for row in self._day_buttons(programme, lang, leave_out=day) for b in row]
        if others:
            buttons.append(others)
        return Reply.of(text, buttons)

    def _day_buttons(self, programme: Programme, lang: str,
                     leave_out: date | None = None) -> list[list[Button]]:
        short = self.phrases.words(lang, "weekdays_short")
        days = [
            Button(f"{short[d.weekday()]} {d.day:02d}.{d.month:02d}", f"programme {d.isoformat()}")
            for d in programme.days() if d != leave_out
        ]
        return [days[i:i + 4] for i in range(0, len(days), 4)]

    def _span(self, programme: Programme, lang: str) -> str:
        days = programme.days()
        if len(days) == 1:
            return self.phrases.day(lang, days[0])
        return self.phrases.day_range(lang, days[0], days[-1])

    def _session(self, msg: Incoming, lang: str, command: str) -> Session | Reply:
        session_id = msg.args.strip()
        p = PREFIX.get(msg.transport, "/")
        if not session_id:
            return Reply.of(self.phrases.text(lang, "session_usage", command=command, p=p))
        found = self.source.current().get(session_id)
        if found is None:
            return Reply.of(self.phrases.text(lang, "session_unknown", id=session_id[:40], p=p))
        return found

    def _session_button(self, session: Session, lang: str) -> Button:
        label = f"{self.phrases.clock(session.start)} {session.title(lang)}"
        return Button(label if len(label) <= LABEL else label[:LABEL - 1] + "…", f"session {session.id}")

    def hours(self, session: Session) -> str:
        """'10:00–11:30'"""
        return f"{self.phrases.clock(session.start)}–{self.phrases.clock(session.end)}"

    async def _stars(self, msg: Incoming) -> list[Star]:
        return await self.storage.stars_of(self.event.id, msg.chat)


def star_of(session: Session) -> Star:
    """What a guest who stars a session now knows of it."""
    return Star(session.id, session.title.pl, session.start, session.end, session.room)
