"""The event as data: names, times, venue, contacts, the next edition (events/*.toml)."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import ConfigError

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
    start: datetime | None = None


class Event(_Data):
    id: str
    short_name: str
    timezone: str = "Europe/Warsaw"
    start: datetime
    end: datetime
    website: str
    name: Text
    host_event: Text
    organiser: Text
    venue: Venue
    contacts: Contacts
    next: NextEdition | None = None

    @model_validator(mode="after")
    def _check_times(self) -> Event:
        ZoneInfo(self.timezone)
        for label, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is None:
                raise ValueError(f"{label} needs a UTC offset, e.g. 2026-09-10T14:00:00+02:00")
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
            problems = "; ".join(
                f"field '{'.'.join(str(p) for p in e['loc']) or '(top)'}': {e['msg']}"
                for e in exc.errors()
            )
            raise ConfigError(f"{path}: {problems}") from None
