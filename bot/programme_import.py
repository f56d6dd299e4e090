"""The programme from what planning tools export: the pretalx/frab schedule JSON (the
c3voc schema), frab XML and iCalendar (.ics). The format is read from the content, not
the file name. Every problem names the session it is about; nothing is guessed: a time
without a zone is read in the event's timezone, and the import says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from pydantic import ValidationError

from bot.event import Text
from bot.programme import ID_PATTERN, Programme, Session, problems_in

MAX_BYTES = 20_000_000
DESCRIPTION_CHARS = 500
FORMATS = {
    "json": "pretalx/frab schedule JSON",
    "xml": "frab schedule XML",
    "ics": "iCalendar",
}
_DURATION = re.compile(r"(\d{1,3}):(\d{2})(?::(\d{2}))?")


class ScheduleError(Exception):
    """The file cannot become a programme; `problems` lists why, each on its own."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(slots=True)
class Imported:
    programme: Programme
    format: str  # a key of FORMATS
    notes: list[str] = field(default_factory=list)  # what the reader should know


def read_schedule(path: Path, zone: ZoneInfo) -> Imported:
    """Read and check one exported schedule; raise ScheduleError with every problem found."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScheduleError([f"{path}: larger than {MAX_BYTES // 1_000_000} MB; not a schedule"])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScheduleError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ScheduleError([f"{path}: a folder, not a file"]) from None
    except PermissionError:
        raise ScheduleError([f"{path}: not allowed to read it"]) from None
    try:
        return parse_schedule(data, zone, name=path.name)
    except ScheduleError as exc:
        raise ScheduleError([f"{path}: {problem}" for problem in exc.problems]) from None


def parse_schedule(data: bytes, zone: ZoneInfo, name: str = "") -> Imported:
    """Bytes of an exported schedule -> the checked programme (format from the content)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start}); export the schedule again as UTF-8"
        raise ScheduleError([problem]) from None
    kind = detect_format(text)
    reader = _Reader(zone)
    parse: Callable[[str, bytes], None] = {
        "json": reader.schedule_json, "xml": reader.frab_xml, "ics": reader.ical,
    }[kind]
    parse(text, data)
    if reader.problems:
        raise ScheduleError(reader.problems)
    if not reader.sessions:
        raise ScheduleError([f"a {FORMATS[kind]} file without any session"])
    problems = problems_in(reader.sessions, zone)
    if problems:
        raise ScheduleError(problems)
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix and suffix != kind and not (suffix == "ical" and kind == "ics"):
        reader.notes.insert(0, f"read as {FORMATS[kind]}, although the name ends in .{suffix}")
    return Imported(Programme(reader.sessions, zone), kind, reader.notes)


def detect_format(text: str) -> str:
    """'json', 'xml' or 'ics' from how the content begins."""
    head = text.lstrip()[:400]
    lowered = head.lower()
    if head.startswith(("{", "[")):
        return "json"
    if lowered.startswith(("<!doctype html", "<html")):
        raise ScheduleError([
            "a web page (HTML), not a schedule export; download the schedule as JSON, XML or .ics "
            "(in pretalx: Schedule → Exports)"
        ])
    if head.startswith("<"):
        return "xml"
    if lowered.startswith("begin:vcalendar"):
        return "ics"
    raise ScheduleError([
        "cannot tell the format: expected a pretalx/frab schedule JSON, a frab XML or an "
        "iCalendar (.ics) file"
    ])


class _Reader:
    """Turns the entries of one file into sessions, collecting problems and notes."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.sessions: list[Session] = []
        self.problems: list[str] = []
        self.notes: list[str] = []
        self._floating = 0

    # pretalx / frab schedule JSON

    def schedule_json(self, text: str, _: bytes) -> None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
            raise ScheduleError([problem]) from None
        conference = _get(data, "schedule", "conference")
        days = conference.get("days") if isinstance(conference, dict) else None
        if not isinstance(days, list):
            raise ScheduleError([
                "a JSON file, but not a schedule export: it has no schedule.conference.days "
                "(expected the pretalx/frab schedule.json)"
            ])
        file_zone = self._zone_named(conference.get("time_zone_name"), "conference.time_zone_name")
        for number, day in enumerate(days, start=1):
            rooms = day.get("rooms") if isinstance(day, dict) else None
            if not isinstance(rooms, dict):
                self.problems.append(f"day {number}: no 'rooms' with sessions")
                continue
            for room, talks in rooms.items():
                for talk in talks if isinstance(talks, list) else []:
                    if not isinstance(talk, dict):
                        self.problems.append(f"day {number}, room '{room}': an entry that is not a session")
                        continue
                    persons = talk.get("persons") or []
                    self._add(
                        raw_id=talk.get("id") or talk.get("guid") or talk.get("code"),
                        title=talk.get("title"),
                        start=self._start(talk.get("date"), day.get("date"), talk.get("start"), file_zone),
                        duration=talk.get("duration"),
                        room=talk.get("room") or room,
                        track=talk.get("track"),
                        kind=talk.get("type"),
                        speakers=[
                            p.get("public_name") or p.get("name") or ""
                            for p in persons if isinstance(p, dict)
                        ],
                        description=talk.get("abstract") or talk.get("description"),
                        language=talk.get("language"),
                    )

    # frab XML

    def frab_xml(self, _: str, data: bytes) -> None:
        if re.search(rb"<!(DOCTYPE|ENTITY)", data[:4096], re.IGNORECASE):
            raise ScheduleError(["XML with a DOCTYPE or entities is not read (they can expand "
                                 "without limit); export the schedule again without one"])
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            line, column = exc.position
            raise ScheduleError([f"not valid XML (line {line}, column {column + 1})"]) from None
        if root.tag != "schedule":
            raise ScheduleError([f"an XML file, but not a frab schedule: it begins with <{root.tag}>, "
                                 "not <schedule>"])
        file_zone = self._zone_named(root.findtext("conference/time_zone_name"),
                                     "conference/time_zone_name")
        for day in root.iter("day"):
            for room in day.iter("room"):
                for talk in room.iter("event"):
                    self._add(
                        raw_id=talk.get("id") or talk.get("guid"),
                        title=talk.findtext("title"),
                        start=self._start(talk.findtext("date"), day.get("date"),
                                          talk.findtext("start"), file_zone),
                        duration=talk.findtext("duration"),
                        room=talk.findtext("room") or room.get("name"),
                        track=talk.findtext("track"),
                        kind=talk.findtext("type"),
                        speakers=[p.text or "" for p in talk.iter("person")],
                        description=talk.findtext("abstract") or talk.findtext("description"),
                        language=talk.findtext("language"),
                    )

    # iCalendar

    def ical(self, text: str, _: bytes) -> None:
        try:
            calendar = Calendar.from_ical(text)
        except ValueError as exc:
            raise ScheduleError([f"not valid iCalendar: {exc}"]) from None
        file_zone = self._zone_named(calendar.get("X-WR-TIMEZONE"), "X-WR-TIMEZONE")
        entries = calendar.walk("VEVENT")
        if not entries:
            raise ScheduleError(["an iCalendar file without any event (VEVENT)"])
        for entry in entries:
            title = str(entry.get("SUMMARY") or "")
            if str(entry.get("STATUS") or "").upper() == "CANCELLED":
                self.notes.append(f"left out '{title}': it is marked cancelled")
                continue
            start, end = entry.get("DTSTART"), entry.get("DTEND")
            if start is not None and not isinstance(start.dt, datetime):
                self.notes.append(f"left out '{title}': a whole-day entry, not a session")
                continue
            if entry.get("RRULE") is not None:
                self.notes.append(f"'{title}' repeats (RRULE): only its first time is imported")
            where = f"session '{title}' (UID {entry.get('UID')})"
            begin = self._ical_time(start, file_zone, where)
            if start is not None and begin is None:
                continue  # its unknown timezone is reported
            finish = self._ical_time(end, file_zone, where)
            if end is not None and finish is None:
                continue
            duration = entry.get("DURATION")
            if finish is None and duration is not None and begin is not None:
                finish = begin + duration.dt
            category = entry.get("CATEGORIES")
            categories = [str(c) for c in category.cats] if category is not None else []
            attendees = entry.get("ATTENDEE") or []
            attendees = attendees if isinstance(attendees, list) else [attendees]
            self._add(
                raw_id=entry.get("UID"),
                title=title,
                start=begin,
                duration=(finish - begin) if begin is not None and finish is not None else None,
                room=str(entry.get("LOCATION") or ""),
                track=categories[0] if categories else "",
                kind="",
                speakers=[str(a.params.get("CN", "")) for a in attendees],
                description=str(entry.get("DESCRIPTION") or ""),
                language=str(entry["SUMMARY"].params.get("LANGUAGE", "")) if title else "",
                start_field="DTSTART",
                end_field="DTEND or DURATION",
            )

    def _ical_time(self, prop: Any, file_zone: ZoneInfo | None, where: str) -> datetime | None:
        if prop is None or not isinstance(prop.dt, datetime):
            return None
        value: datetime = prop.dt
        if value.tzinfo is None:
            tzid = prop.params.get("TZID")
            if tzid:  # icalendar knew neither the name nor a VTIMEZONE for it
                self.problems.append(f"{where}: unknown timezone '{tzid}'")
                return None
            return self._localise(value, file_zone)
        return value

    # shared

    def _start(self, stamp: object, day: object, clock: object,
               file_zone: ZoneInfo | None) -> datetime | None:
        """A session's start from a full timestamp, else its day and HH:MM."""
        if isinstance(stamp, str) and stamp.strip():
            try:
                value = datetime.fromisoformat(stamp.strip())
            except ValueError:
                return None
            return value if value.tzinfo else self._localise(value, file_zone)
        if isinstance(day, str) and isinstance(clock, str):
            try:
                value = datetime.combine(date.fromisoformat(day.strip()),
                                         datetime.strptime(clock.strip()[:5], "%H:%M").time())
            except ValueError:
                return None
            return self._localise(value, file_zone)
        return None

    def _localise(self, value: datetime, file_zone: ZoneInfo | None) -> datetime:
        zone = file_zone or self.zone
        if file_zone is None:
            self._floating += 1
            if self._floating == 1:
                self.notes.append(f"times without a timezone are read as {self.zone.key} "
                                  "(the event's timezone)")
        return value.replace(tzinfo=zone)

    def _zone_named(self, name: object, where: str) -> ZoneInfo | None:
        if name is None or not str(name).strip():
            return None
        try:
            return ZoneInfo(str(name).strip())
        except (ValueError, KeyError):
            raise ScheduleError([f"{where}: unknown timezone '{name}'"]) from None

    def _add(self, *, raw_id: object, title: object, start: datetime | None, duration: object,
             room: object, track: object, kind: object, speakers: list[str], description: object,
             language: object, start_field: str = "start time",
             end_field: str = "duration") -> None:
        titles = _titles(title)
        label = titles.pl if titles else "(no title)"
        where = f"session '{label}'" + (f" (id {raw_id})" if raw_id not in (None, "") else "")
        found: list[str] = []
        if titles is None:
            found.append("no title")
        if raw_id in (None, ""):
            found.append("no id (the programme needs one to follow a session across imports)")
        if start is None:
            found.append(f"no {start_field}, or one that is not a date and time")
        length = duration if isinstance(duration, timedelta) else _duration(duration)
        if length is None and start is not None:
            found.append(f"no {end_field}, or one that is not hours:minutes")
        if found:
            self.problems.extend(f"{where}: {problem}" for problem in found)
            return
        assert start is not None and length is not None and titles is not None
        text = _clip(description)
        try:
            self.sessions.append(Session(
                id=_short_id(str(raw_id)), title=titles, start=start, end=start + length,
                room=_plain(room), track=_plain(track), kind=_plain(kind),
                speakers=tuple(name for name in (_plain(s) for s in speakers) if name),
                description=Text(pl=text, en=text), language=_plain(language)[:8],
            ))
        except ValidationError as exc:
            self.problems.append(f"{where}: {exc.errors()[0]['msg']}")


def _get(data: object, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _titles(value: object) -> Text | None:
    """A title as both languages: one string serves both; pretalx's {"pl": .., "en": ..} is
    used as given (a missing language takes the other's)."""
    if isinstance(value, dict):
        texts = {k: _plain(v) for k, v in value.items() if _plain(v)}
        if not texts:
            return None
        first = next(iter(texts.values()))
        return Text(pl=texts.get("pl") or texts.get("en") or first,
                    en=texts.get("en") or texts.get("pl") or first)
    text = _plain(value)
    return Text(pl=text, en=text) if text else None


def _plain(value: object) -> str:
    return " ".join(str(value).split()) if value not in (None, False) else ""


def _clip(value: object) -> str:
    text = _plain(value)
    if len(text) <= DESCRIPTION_CHARS:
        return text
    cut = text.rfind(" ", 0, DESCRIPTION_CHARS)
    return text[:cut if cut > 0 else DESCRIPTION_CHARS] + "…"


def _duration(value: object) -> timedelta | None:
    """'01:30' or '01:30:00' (hours:minutes[:seconds], as frab and pretalx write them)."""
    found = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))


def _short_id(raw: str) -> str:
    """The source's id when it is short enough to type (`!star 12`), else a stable digest
    of it (long iCalendar UIDs): the same source id always gives the same session id."""
    raw = raw.strip()
    if re.fullmatch(ID_PATTERN, raw) and len(raw) <= 16:
        return raw
    return hashlib.blake2s(raw.encode(), digest_size=4).hexdigest()
