"""The event as an iCalendar (.ics) file, made with the icalendar library."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bot.event import Event


def event_calendar(event: Event, lang: str, after: datetime) -> tuple[str, bytes]:
    """(filename, .ics bytes): this event, or the next edition (whole days) once it is over."""
    cal = Calendar()
    cal.add("prodid", "-//ICCSS//IRLF assistant//PL")
    cal.add("version", "2.0")
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
    cal.add_component(entry)
    return filename, cal.to_ical()
