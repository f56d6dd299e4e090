"""The event as data: names, times, venue, contacts, the next edition (events/*.toml)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config import ConfigError, problems
from faq.normalize import common_word, fold, words
from faq.premise import Facts

LANGS = ("pl", "en")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Data):
    """One text in both languages."""

    pl: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.pl


class Contact(_Data):
    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: Text
    # What guests call them instead of the name ("mail do ambasadora?"), any case.
    titles: list[str] = []

    def line(self) -> str:
        return f"{self.name} — {self.email}"


class Venue(_Data):
    name: Text
    address: str
    city: str
    country: Text
    map_url: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class Contacts(_Data):
    programme: Contact
    organisation: Contact
    media: Contact


class NextEdition(_Data):
    name: Text
    host: str
    city: str
    first_day: date
    last_day: date
    # Every time in the file carries its UTC offset, e.g. 2027-06-10T10:00:00+02:00: a
    # naive time cannot be compared with the clock (the scheduler failed on it every 30 s).
    start: AwareDatetime | None = None

    @model_validator(mode="after")
    def _check_days(self) -> NextEdition:
        if self.last_day < self.first_day:
            raise ValueError("last_day must not be before first_day")
        if self.start is not None and not self.first_day <= self.start.date() <= self.last_day:
            raise ValueError("start must fall between first_day and last_day")
        return self


class Event(_Data):
    id: str
    short_name: str
    timezone: str = "Europe/Warsaw"
    start: AwareDatetime
    end: AwareDatetime
    website: str
    name: Text
    host_event: Text
    organiser: Text
    venue: Venue
    contacts: Contacts
    next: NextEdition | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone like Europe/Warsaw") from None
        return value

    @model_validator(mode="after")
    def _check_times(self) -> Event:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.zone)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.zone)

    @classmethod
    def load(cls, path: Path) -> Event:
        """Read and validate an event file; problems raise ConfigError naming the field."""
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: the event file does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{path}: {problems(exc)}") from None


def facts_of(event: Event) -> Facts:
    """What a guest's statement is checked against ("forum jest w Krakowie, prawda?")."""
    start, end = event.local_start, event.local_end
    places = {fold(event.venue.city)} | {
        w for lang in ("pl", "en") for w in words(event.venue.name(lang)) if len(w) > 3
    }
    organisers = {w for lang in ("pl", "en") for w in words(event.organiser(lang)) if len(w) > 3}
    organisers |= set(words(event.contacts.programme.name))
    next_words: set[str] = set()
    if event.next is not None:
        next_words = {str(event.next.first_day.year)} | {
            w for w in words(event.next.host) if w not in places and not common_word(w)
            and not w.isdigit()}  # "ifre", not "expo"
        next_words.discard(str(start.year))
    return Facts(
        places=frozenset(places), day=start.day, month=start.month, year=start.year, weekday=start.weekday(),
        start_hour=start.hour, end_hour=end.hour, hours=(end - start).total_seconds() / 3600,
        organisers=frozenset(organisers), next_words=frozenset(next_words),
        people=tuple((word, f"contact_{role}") for role, contact in event.contacts
                     for word in [*words(contact.name)[-1:], *(fold(t) for t in contact.titles)]),
    )
