"""Injectable clocks. Every time in the core comes from one of these, always timezone-aware."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """Real time moved to start at `start` (the rehearsal clock of `--now`); it keeps ticking."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the rehearsal time needs a UTC offset, e.g. 2026-09-09T14:00+02:00")
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class ManualClock:
    """A clock that moves only when told (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, when: datetime) -> None:
        self.current = when


def parse_when(text: str) -> datetime:
    """Parse `--now` values like 2026-09-09T14:00+02:00 (an offset is required)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2026-09-09T14:00+02:00")
    return value


def stamp(when: datetime) -> str:
    """A stored time: UTC ISO 8601, so text order is time order."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


async def every(seconds: float, work: Callable[[], Awaitable[object]], what: str) -> None:
    """Run `work` now and then every `seconds` (real time) until cancelled; an error is
    logged and the next round comes anyway."""
    while True:
        try:
            await work()
        except Exception:
            log.exception("%s: unexpected error; continuing", what)
        await asyncio.sleep(seconds)
