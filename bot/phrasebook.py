"""Everything the assistant says in pl or en: UI strings (faq/ui.toml) and event facts.

Knowledge-base answers and UI strings share one set of placeholders, filled from the
event file, so the next edition changes data, not code.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import ConfigError
from bot.event import Event
from faq.knowledge import PLACEHOLDERS, placeholders

UI_FILE = Path(__file__).resolve().parent.parent / "faq" / "ui.toml"
PROGRAMME_FILE = UI_FILE.with_name("programme.toml")  # the programme's strings and words
LANGS = ("pl", "en")
# The event facts every string may use: the knowledge base's placeholders and the map link.
FACTS = PLACEHOLDERS | {"map_url"}


def read_ui(path: Path = UI_FILE) -> tuple[dict[str, Any], list[str]]:
    """The UI strings and their problems: a string missing in a language, a placeholder
    that is neither an event fact nor listed for its string in [placeholders] (misspelt:
    it would be shown to users as written)."""
    try:
        with open(path, "rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return {}, [f"{path}: cannot be read: {exc}"]
    problems: list[str] = []
    extras = data.get("placeholders", {})
    for lang in LANGS:
        other = LANGS[1 - LANGS.index(lang)]
        for key, template in data.get(lang, {}).items():
            if key not in data.get(other, {}):
                problems.append(f"{path}: [{other}] has no '{key}' (translation of [{lang}])")
            if not isinstance(template, str):
                continue
            allowed = FACTS | set(extras.get(key, []))
            problems += [
                f"{path}: [{lang}] {key} uses unknown placeholder {{{name}}}"
                for name in placeholders(template) if name not in allowed
            ]
    return data, problems


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def plural(count: int, forms: list[str]) -> str:
    """Pick the Polish (or English) plural form: 1 godzina, 2 godziny, 5 godzin."""
    one, few, many = forms
    if count == 1:
        return one
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return few
    return many


class Phrasebook:
    def __init__(self, event: Event, paths: tuple[Path, ...] = (UI_FILE, PROGRAMME_FILE)) -> None:
        self.data: dict[str, Any] = {}
        for path in paths:  # later files add keys to the tables of earlier ones
            data, problems = read_ui(path)
            if problems:
                raise ConfigError("; ".join(problems))
            _merge(self.data, data)
        self.event = event
        self._facts = {lang: self._make_facts(lang) for lang in ("pl", "en")}

    def text(self, lang: str, key: str, **extra: object) -> str:
        """A UI string in `lang`, with event facts and `extra` filled in."""
        template = self.data[_lang(lang)][key]
        return template.format_map(_Blank({**self._facts[_lang(lang)], **extra}))

    def words(self, lang: str, key: str) -> list[str]:
        return list(self.data[_lang(lang)][key])

    def topic(self, lang: str, category: str) -> str:
        titles = self.data["topics"].get(category)
        return titles[_lang(lang)] if titles else category

    def facts(self, lang: str) -> dict[str, str]:
        return self._facts[_lang(lang)]

    def fill(self, lang: str, template: str) -> str:
        """A knowledge-base answer with the event facts filled in."""
        return template.format_map(_Blank(self._facts[_lang(lang)]))

    def day(self, lang: str, when: date) -> str:
        """'czwartek, 10 września 2026' / 'Thursday, 10 September 2026'."""
        return self.data[_lang(lang)]["date_format"].format(
            weekday=self.words(lang, "weekdays")[when.weekday()],
            day=when.day, month=self.words(lang, "months")[when.month - 1], year=when.year,
        )

    def day_range(self, lang: str, first: date, last: date) -> str:
        """'10–12 czerwca 2027' / '10–12 June 2027' (same month), else both dates in full."""
        months = self.words(lang, "months")
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}–{last.day} {months[first.month - 1]} {first.year}"
        return (
            f"{first.day} {months[first.month - 1]} {first.year} – "
            f"{last.day} {months[last.month - 1]} {last.year}"
        )

    def hours(self, lang: str, count: int) -> str:
        return f"{count} {plural(count, self.words(lang, 'hours'))}"

    def count(self, lang: str, number: int, unit: str) -> str:
        """'2 godziny', '1 dzień', '7 days' — unit is a plural-forms key of ui.toml."""
        return f"{number} {plural(number, self.words(lang, unit))}"

    def span(self, lang: str, delta: timedelta) -> str:
        """A reminder offset in words: '7 dni', '1 day', '2 hours', '30 minutes'."""
        seconds = int(delta.total_seconds())
        if seconds % 86400 == 0:
            return self.count(lang, seconds // 86400, "days")
        if seconds % 3600 == 0:
            return self.count(lang, seconds // 3600, "hours")
        return self.count(lang, max(1, seconds // 60), "minutes")

    def spans(self, lang: str, deltas: list[timedelta]) -> str:
        """'7 dni, 1 dzień i 2 godziny'."""
        words = [self.span(lang, d) for d in deltas]
        if len(words) < 2:
            return "".join(words)
        return ", ".join(words[:-1]) + self.data[_lang(lang)]["offset_join"] + words[-1]

    def countdown(self, lang: str, now: datetime, start: datetime, end: datetime) -> str | None:
        """'za tydzień (7 dni)', 'jutro o 14:00', 'in 2 hours', 'happening now'; None after the end."""
        if now >= end:
            return None
        if now >= start:
            return self.text(lang, "countdown_now")
        zone = self.event.zone
        days = (start.astimezone(zone).date() - now.astimezone(zone).date()).days
        left = start - now
        time = self.clock(start)
        if left < timedelta(hours=1):
            minutes = max(1, round(left.total_seconds() / 60))
            return self.text(lang, "countdown_minutes", count=self.count(lang, minutes, "minutes"))
        if left <= timedelta(hours=6):
            hours = round(left.total_seconds() / 3600)
            return self.text(lang, "countdown_hours", count=self.count(lang, hours, "hours"))
        if days == 0:
            return self.text(lang, "countdown_today", time=time)
        if days == 1:
            return self.text(lang, "countdown_tomorrow", time=time)
        if days == 7:
            return self.text(lang, "countdown_week", days=self.count(lang, 7, "days"))
        return self.text(lang, "countdown_days", days=self.count(lang, days, "days"))

    def clock(self, when: datetime) -> str:
        return when.astimezone(self.event.zone).strftime("%H:%M")

    def _make_facts(self, lang: str) -> dict[str, str]:
        e = self.event
        start, end = e.local_start, e.local_end
        minutes = int((end - start).total_seconds() // 60)
        duration = (
            self.hours(lang, minutes // 60) if minutes % 60 == 0
            else f"{minutes // 60}:{minutes % 60:02d} h"
        )
        return {
            "event_name": e.name(lang),
            "event_short": e.short_name,
            "date": self.day(lang, start.date()) if start.date() == end.date()
            else self.day_range(lang, start.date(), end.date()),
            "start_time": self.clock(start),
            "end_time": self.clock(end),
            "duration": duration,
            "timezone_note": self.data[lang]["timezone_note"],
            "host_event": e.host_event(lang),
            "venue_name": e.venue.name(lang),
            "venue_address": e.venue.address,
            "city": e.venue.city,
            "website": e.website,
            "organiser": e.organiser(lang),
            "contact_programme": e.contacts.programme.line(),
            "contact_organisation": e.contacts.organisation.line(),
            "contact_media": e.contacts.media.line(),
            "map_url": e.venue.map_url or e.website,
            "next_name": e.next.name(lang) if e.next else "",
            "next_host": e.next.host if e.next else "",
            "next_dates": self.day_range(lang, e.next.first_day, e.next.last_day) if e.next else "",
        }


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _lang(lang: str | None) -> str:
    return "en" if lang == "en" else "pl"
