"""Shared fixtures: the real knowledge base and event, a storage in a temp dir, a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.assistant import Assistant
from bot.clock import ManualClock
from bot.config import Config
from bot.service import Services, open_services

WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 9, 1, 12, 0, tzinfo=WARSAW))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(database=tmp_path / "bot.db")


@pytest.fixture
async def services(config: Config, clock: ManualClock) -> AsyncIterator[Services]:
    async with open_services(config, clock) as opened:
        yield opened


@pytest.fixture
def assistant(services: Services) -> Assistant:
    return services.assistant
