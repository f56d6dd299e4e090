"""The event and its sessions as iCalendar (.ics) files, made with the icalendar library.

Every file carries the VTIMEZONE of the times in it (RFC 5545 3.6.5): a calendar client
that does not know "Europe/Warsaw" by name still shows the right hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bot.event import Event
from bot.programme import Session

PRODID = "-//ICCSS//IRLF assistant//PL"


def event_calendar(event: Event, lang: str, after: datetime) -> tuple[str, bytes]:
    """(filename, .ics bytes): this event, or the next edition (whole days) once it is over."""
    entry = CalendarEvent()
    if after < event.end or event.next is None:
        entry.add("uid", f"{event.id}@irlf-assistant")
        entry.add("summary", f"{event.name(lang)} ({event.short_name})")
        entry.add("dtstart", event.local_start)
        entry.add("dtend", event.local_end)
        entry.add("location", f"{event.venue.name(lang)}, {event.venue.address}")
        entry.add("description", f"{event.host_event(lang)}. {event.website}")
        filename = f"{event.id}.ics"
    else:
        following = event.next
        entry.add("uid", f"{event.id}-next@irlf-assistant")
        entry.add("summary", f"{following.name(lang)} — {following.host}")
        entry.add("dtstart", following.first_day)
        entry.add("dtend", following.last_day + timedelta(days=1))  # DTEND is exclusive
        entry.add("location", f"{following.host}, {following.city}")
        filename = f"{event.id}-next.ics"
    entry.add("url", event.website)
    entry.add("dtstamp", after)
    return filename, _ical([entry])


def sessions_calendar(
    sessions: Iterable[Session], event: Event, lang: str, after: datetime, filename: str
) -> tuple[str, bytes]:
    """(filename, .ics bytes) with one entry per session. A session keeps its UID across
    re-imports, so a client that imported it before updates it when it moves."""
    entries = []
    for session in sessions:
        entry = CalendarEvent()
        entry.add("uid", f"{session.id}.{event.id}@irlf-assistant")
        entry.add("summary", session.title(lang))
        entry.add("dtstart", session.start.astimezone(event.zone))
        entry.add("dtend", session.end.astimezone(event.zone))
        place = f"{event.venue.name(lang)}, {event.venue.address}"
        entry.add("location", f"{session.room}, {place}" if session.room else place)
        lines = [", ".join(session.speakers), session.description(lang), event.website]
        entry.add("description", "\n\n".join(line for line in lines if line))
        entry.add("url", event.website)
        entry.add("dtstamp", after)
        entries.append(entry)
    return filename, _ical(entries)


def _ical(entries: list[CalendarEvent]) -> bytes:
    """The calendar around `entries`, with the VTIMEZONE of every zone they use (only the
    years around their dates, so the file stays small)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    for entry in entries:
        cal.add_component(entry)
    days = [
        value if isinstance(value, date) and not isinstance(value, datetime) else value.date()
        for entry in entries
        for value in (entry.decoded("dtstart"), entry.decoded("dtend"))
    ]
    if days:
        first, last = min(days), max(days)
        cal.add_missing_timezones(first_date=date(first.year - 1, 1, 1),
                                  last_date=date(last.year + 1, 12, 31))
    return cal.to_ical()
