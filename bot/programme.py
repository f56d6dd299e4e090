"""The programme: an event's sessions as data, kept in a file beside the event file.

`irlf-bot programme import` writes `events/<name>.programme.json` next to
`events/<name>.toml`; the bot and `irlf-bot ask` read it from there, and a running bot
notices a new one by itself. An event without a programme file is a programme of one
session: the event itself, so a single-session edition needs nothing more.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config import ConfigError
from bot.event import Event, Text
from faq.normalize import fold

log = logging.getLogger(__name__)

FORMAT = "irlf-programme/1"
SUFFIX = ".programme.json"
LONGEST_SESSION = timedelta(hours=24)
ID_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
NO_TEXT = Text(pl="", en="")


class Session(BaseModel):
    """One item of the programme: a talk, a panel, a break."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    title: Text
    start: datetime
    end: datetime
    room: str = ""
    track: str = ""
    kind: str = ""
    speakers: tuple[str, ...] = ()
    description: Text = NO_TEXT
    language: str = ""

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2027-06-11T10:00:00+02:00")
        return value

    def name(self, zone: ZoneInfo) -> str:
        """How problems and the shell name a session: 'Title' (id 12, 2027-06-11 10:00)."""
        return f"'{self.title.pl}' (id {self.id}, {self.start.astimezone(zone):%Y-%m-%d %H:%M})"

    def place_and_time(self) -> tuple[datetime, datetime, str]:
        """What makes a session 'moved' when it changes."""
        return self.start, self.end, self.room


class ProgrammeFile(BaseModel):
    """The programme file as written by `irlf-bot programme import`."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["irlf-programme/1"] = FORMAT
    event: str
    timezone: str
    source: str = ""
    imported_at: datetime | None = None
    sessions: list[Session]


class Programme:
    """The sessions of one event, earliest first, with the questions guests ask of them."""

    def __init__(self, sessions: Iterable[Session], zone: ZoneInfo, *, implicit: bool = False,
                 source: str = "") -> None:
        self.sessions = tuple(sorted(sessions, key=lambda s: (s.start, s.room, s.id)))
        self.zone = zone
        self.implicit = implicit  # the event itself, no programme file
        self.source = source
        self._by_id = {s.id: s for s in self.sessions}
        self._days = {s.id: s.start.astimezone(zone).date() for s in self.sessions}

    @classmethod
    def of_event(cls, event: Event) -> Programme:
        """A single-session event as its programme: the event's name, times and venue."""
        session = Session(
            id=event.id if _valid_id(event.id) else "event",
            title=Text(pl=event.name.pl, en=event.name.en),
            start=event.start, end=event.end,
            description=Text(pl=event.host_event.pl, en=event.host_event.en),
        )
        return cls([session], event.zone, implicit=True)

    def __len__(self) -> int:
        return len(self.sessions)

    def get(self, session_id: str) -> Session | None:
        return self._by_id.get(session_id)

    def find(self, title: str, start: datetime | None,
             among: Iterable[Session] | None = None) -> Session | None:
        """The one session with this title (and start, if two share the title), if any."""
        key = fold(" ".join(title.split()))
        same = [s for s in (self.sessions if among is None else among)
                if fold(" ".join(s.title.pl.split())) == key]
        at_start = [s for s in same if s.start == start]
        if len(at_start) == 1:
            return at_start[0]
        return same[0] if len(same) == 1 else None

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.zone)

    def day_of(self, session: Session) -> date:
        if self._by_id.get(session.id) is session:
            return self._days[session.id]
        return self.local(session.start).date()

    def days(self) -> list[date]:
        return sorted(set(self._days.values()))

    def rooms(self) -> list[str]:
        return sorted({s.room for s in self.sessions if s.room})

    def on(self, day: date) -> list[Session]:
        return [s for s in self.sessions if self.day_of(s) == day]

    def running(self, at: datetime) -> list[Session]:
        """Sessions under way at `at`."""
        return [s for s in self.sessions if s.start <= at < s.end]

    def upcoming(self, at: datetime) -> list[Session]:
        """What comes next: in each room the first session starting after `at`, on the day
        of the earliest of them (tomorrow's first talk is not 'next' while today goes on)."""
        later = [s for s in self.sessions if s.start > at]
        if not later:
            return []
        first_day = self.day_of(later[0])
        firsts: dict[str, Session] = {}
        for session in later:
            if self.day_of(session) == first_day:
                firsts.setdefault(session.room, session)
        return sorted(firsts.values(), key=lambda s: (s.start, s.room))

    def pick_day(self, text: str, today: date | None = None) -> date | None:
        """A day of the programme from what a user or organiser types: 2027-06-11, 11.06,
        its number (1, 2, 3), a weekday name (en/pl) or today/tomorrow."""
        text = fold(text.strip())
        days = self.days()
        candidates: list[date] = []
        day_month = DAY_MONTH.fullmatch(text)
        if text.isdigit():
            number = int(text)
            candidates = days[number - 1:number] if number >= 1 else []
        elif day_month:
            candidates = [d for d in days if (d.day, d.month) == tuple(map(int, day_month.groups()))]
        elif text in WEEKDAY_NAMES:
            candidates = [d for d in days if d.weekday() == WEEKDAY_NAMES[text]]
        elif text in RELATIVE_DAYS and today is not None:
            candidates = [today + timedelta(days=RELATIVE_DAYS[text])]
        else:
            with contextlib.suppress(ValueError):
                candidates = [date.fromisoformat(text)]
        return next((d for d in candidates if d in days), None)


# Weekday names for `pick_day` (folded: lower case, no Polish letters), both languages.
WEEKDAY_NAMES: dict[str, int] = {
    name: number
    for number, names in enumerate([
        ("monday", "mon", "poniedzialek", "pon", "pn"),
        ("tuesday", "tue", "wtorek", "wt"),
        ("wednesday", "wed", "sroda", "sr"),
        ("thursday", "thu", "czwartek", "czw"),
        ("friday", "fri", "piatek", "pt"),
        ("saturday", "sat", "sobota", "sob"),
        ("sunday", "sun", "niedziela", "nd", "ndz"),
    ])
    for name in names
}
RELATIVE_DAYS = {"today": 0, "dzis": 0, "dzisiaj": 0, "tomorrow": 1, "jutro": 1}
DAY_MONTH = re.compile(r"(\d{1,2})[./](\d{1,2})\.?")


def _valid_id(text: str) -> bool:
    return re.fullmatch(ID_PATTERN, text) is not None


# validation


def problems_in(sessions: list[Session], zone: ZoneInfo) -> list[str]:
    """What makes a programme unusable, each naming the session: repeated ids, an end
    before the start, a session longer than a day, two sessions at once in one room."""
    problems: list[str] = []
    seen: dict[str, Session] = {}
    for session in sessions:
        if session.id in seen:
            problems.append(
                f"session {session.name(zone)}: the id is also used by {seen[session.id].name(zone)}"
            )
        seen.setdefault(session.id, session)
        if session.end <= session.start:
            problems.append(f"session {session.name(zone)}: ends before it starts")
        elif session.end - session.start > LONGEST_SESSION:
            problems.append(f"session {session.name(zone)}: lasts more than 24 hours")
    by_room: dict[str, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.room:
            by_room[session.room].append(session)
    for room, held in sorted(by_room.items()):
        held.sort(key=lambda s: s.start)
        latest = held[0]  # of the sessions so far, the one that ends last
        for later in held[1:]:
            if later.start < latest.end:
                problems.append(
                    f"room '{room}': session {later.name(zone)} starts before "
                    f"{latest.name(zone)} ends ({latest.end.astimezone(zone):%H:%M})"
                )
            if later.end > latest.end:
                latest = later
    return problems


# comparing two versions


@dataclass(slots=True)
class ProgrammeDiff:
    """What a new version of the programme changes for guests."""

    added: list[Session] = field(default_factory=list)
    removed: list[Session] = field(default_factory=list)
    moved: list[tuple[Session, Session]] = field(default_factory=list)  # (before, after)
    changed: list[tuple[Session, Session]] = field(default_factory=list)  # same time and room

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.changed)


def compare(old: Programme | None, new: Programme) -> ProgrammeDiff:
    """Sessions added, removed, moved (time or room) and otherwise changed. A session is
    the same across versions by its id, else by its title (an export from another tool
    gives other ids; guests' stars must not see a cancellation there)."""
    diff = ProgrammeDiff()
    if old is None or old.implicit:
        diff.added = list(new.sessions)
        return diff
    old_ids = {s.id for s in old.sessions}
    matched: set[str] = set()
    for previous in old.sessions:
        current = new.get(previous.id)
        if current is None:
            free = [s for s in new.sessions if s.id not in old_ids and s.id not in matched]
            current = new.find(previous.title.pl, previous.start, among=free)
        if current is None:
            diff.removed.append(previous)
            continue
        matched.add(current.id)
        if previous.place_and_time() != current.place_and_time():
            diff.moved.append((previous, current))
        elif previous != current:
            diff.changed.append((previous, current))
    diff.added = [s for s in new.sessions if s.id not in matched]
    return diff


# the file beside the event file


def programme_path(event_file: Path) -> Path:
    """events/ifre-2027.toml -> events/ifre-2027.programme.json"""
    return event_file.with_name(f"{event_file.stem}{SUFFIX}")


def read_programme(event: Event, path: Path) -> Programme:
    """The programme in `path`, or the event as a programme of one when there is no file.
    A file that cannot be used raises ConfigError naming the file and the field."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Programme.of_event(event)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the programme: {exc.strerror}") from None
    try:
        data = ProgrammeFile.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(str(p) for p in e['loc']) or '(top)'}': {e['msg']}"
            for e in exc.errors()[:5]
        )
        raise ConfigError(f"{path}: {problems}") from None
    if data.event != event.id:
        raise ConfigError(f"{path}: the programme is for event '{data.event}', not '{event.id}'")
    try:
        zone = ZoneInfo(data.timezone)
    except (ValueError, KeyError):
        raise ConfigError(f"{path}: field 'timezone': unknown timezone '{data.timezone}'") from None
    problems = problems_in(data.sessions, zone)
    if problems:
        raise ConfigError(f"{path}: {'; '.join(problems)}")
    return Programme(data.sessions, zone, source=data.source)


def write_programme(programme: Programme, event: Event, path: Path, source: str,
                    now: datetime) -> None:
    """Write the programme file in one step: a reader sees the old file or the new one."""
    data = ProgrammeFile(
        event=event.id, timezone=str(programme.zone.key), source=source,
        imported_at=now.astimezone(UTC).replace(microsecond=0), sessions=list(programme.sessions),
    )
    text = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ProgrammeSource:
    """The programme in use. Re-read when its file changes, so an import reaches a running
    bot; a broken new file is logged and the last good programme stays in use."""

    def __init__(self, event: Event, event_file: Path) -> None:
        self.event = event
        self.path = programme_path(event_file)
        self._stamp = _stamp(self.path)
        self._programme = read_programme(event, self.path)  # a bad file stops the start

    def current(self) -> Programme:
        stamp = _stamp(self.path)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._programme = read_programme(self.event, self.path)
            except ConfigError as exc:
                log.error("programme not reloaded, the previous one stays in use: %s", exc)
            else:
                log.info("programme reloaded from %s: %d sessions", self.path, len(self._programme))
        return self._programme


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size
