"""Reminders with an injected clock: once each, restarts, downtime, opt-out, language, DST."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.content import LiveContent, Sources, load
from bot.event import Event
from bot.messages import Incoming
from bot.phrasebook import Phrasebook
from bot.reminders import Occasion, ReminderScheduler
from bot.service import Services, open_services
from tests.fakes import RecordingTransport

WARSAW = ZoneInfo("Europe/Warsaw")
START = datetime(2026, 9, 10, 14, 0, tzinfo=WARSAW)


def at(**before: float) -> datetime:
    return START - timedelta(**before)


def remind(chat: str, args: str = "", **fields: object) -> Incoming:
    base: dict = {"transport": "telegram", "chat_id": chat, "sender_id": chat,
                  "text": f"/remind {args}", "command": "remind", "args": args}
    base.update(fields)
    return Incoming(**base)


async def deliver(services: Services, tg: RecordingTransport) -> list[str]:
    """Run the scheduler once and the outbox until empty; the reminder texts sent now."""
    before = len(tg.sent)
    await services.reminders.tick()
    await services.outbox.drain(timeout=10)
    return [reply.text for _, reply in tg.sent[before:]]


@pytest.fixture
def fast(config: Config) -> Config:
    config.broadcast.telegram_rate = 1000
    config.broadcast.telegram_per_chat_interval = 0
    return config


@contextlib.asynccontextmanager
async def running(config: Config, clock: ManualClock) -> AsyncIterator[tuple[Services, RecordingTransport]]:
    """The bot's services with a recording Telegram attached."""
    async with open_services(config, clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        yield services, tg


async def test_each_reminder_fires_once_at_its_time(fast: Config) -> None:
    clock = ManualClock(at(days=10))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        assert await deliver(services, tg) == []
        clock.set(at(days=7) - timedelta(minutes=1))
        assert await deliver(services, tg) == []
        clock.set(at(days=7))
        [week] = await deliver(services, tg)
        assert "Za tydzień" in week or "za tydzień" in week
        assert "Targi Kielce" in week and "14:00" in week
        clock.advance(timedelta(minutes=5))
        assert await deliver(services, tg) == []
        clock.set(at(days=1))
        [day] = await deliver(services, tg)
        assert "jutro o 14:00" in day
        clock.set(at(hours=2))
        [hours] = await deliver(services, tg)
        assert "za 2 godziny" in hours


async def test_a_restart_never_resends(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        clock.set(at(days=7))
        assert len(await deliver(services, tg)) == 1
    async with running(fast, clock) as (services, tg):
        clock.advance(timedelta(hours=1))
        assert await deliver(services, tg) == []


async def test_downtime_over_one_reminder_sends_it_when_back(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        clock.set(at(days=6))  # the 7-day reminder fell due while we were down
        [late] = await deliver(services, tg)
        assert "za 6 dni" in late


async def test_downtime_over_two_reminders_sends_only_the_latest(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        clock.set(at(hours=20))  # 7d and 1d both passed
        [only] = await deliver(services, tg)
        assert "jutro o 14:00" in only
        clock.set(at(hours=19))
        assert await deliver(services, tg) == []  # the skipped 7-day one never comes later


async def test_nothing_after_the_start(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        clock.set(START + timedelta(minutes=1))
        assert await deliver(services, tg) == []


async def test_subscribing_late_gets_only_the_reminders_to_come(fast: Config) -> None:
    clock = ManualClock(at(days=3))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        assert await deliver(services, tg) == []  # the 7-day reminder was before they subscribed
        clock.set(at(days=1))
        assert len(await deliver(services, tg)) == 1


async def test_opting_out_stops_them(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        [off] = await services.assistant.handle(remind("1", "off"))
        assert "wyłączone" in off.text
        clock.set(at(days=7))
        assert await deliver(services, tg) == []


async def test_the_reminder_speaks_the_subscribers_language(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(Incoming("telegram", "2", "2", "/lang en", command="lang",
                                                 args="en"))
        [reply] = await services.assistant.handle(remind("2"))
        assert "7 days, 1 day and 2 hours" in reply.text
        clock.set(at(hours=2))
        [text] = await deliver(services, tg)
        assert text.startswith("⏰ Reminder") and "in 2 hours" in text


async def test_a_room_needs_a_moderator_to_subscribe(fast: Config) -> None:
    clock = ManualClock(at(days=8))
    async with running(fast, clock) as (services, _tg):
        room = {"transport": "matrix", "chat_id": "!r:x", "is_private": False}
        [refused] = await services.assistant.handle(remind("@u:x", **room))
        assert "moderator" in refused.text
        [ok] = await services.assistant.handle(remind("@mod:x", is_room_moderator=True, **room))
        assert "Przypomnę" in ok.text


@pytest.mark.parametrize(
    ("start", "day_before"),
    [
        # daylight saving starts on 28 March 2027 at 02:00: the day before is still CET
        ("2027-03-28T14:00:00+02:00", "2027-03-27T14:00:00+01:00"),
        # and ends on 25 October 2026 at 03:00: the day before is still CEST
        ("2026-10-25T14:00:00+01:00", "2026-10-24T14:00:00+02:00"),
    ],
)
def test_local_times_across_daylight_saving(config: Config, start: str, day_before: str) -> None:
    real = Event.load(config.event_file)
    begin = datetime.fromisoformat(start)
    event = real.model_copy(update={"start": begin, "end": begin + timedelta(hours=2)})
    sources = Sources(config.event_file)
    shipped = load(sources, begin)
    content = replace(shipped, event=event, phrases=Phrasebook(event))
    live = LiveContent(content, sources, ManualClock(begin))
    scheduler = ReminderScheduler(None, None, live, ManualClock(begin), config.reminders)  # type: ignore[arg-type]
    occasion = Occasion.upcoming(event, begin - timedelta(days=10))
    assert occasion is not None
    due = scheduler.reminder_time(occasion, "1d")
    assert due == datetime.fromisoformat(day_before)
    assert due.astimezone(WARSAW).strftime("%H:%M") == "14:00"
    assert scheduler.reminder_time(occasion, "2h") == begin - timedelta(hours=2)
    text = scheduler.text(occasion, "pl", due)
    assert "jutro o 14:00" in text


async def test_after_the_event_date_answers_point_to_the_next_edition(services: Services,
                                                                      clock: ManualClock) -> None:
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=WARSAW))
    answer = services.assistant.ask("kiedy jest forum")
    assert "odbyło" in answer.text and "IFRE-EXPO" in answer.text and "2027" in answer.text


async def test_the_next_edition_gets_reminders_once_its_start_is_known(fast: Config,
                                                                       tmp_path: Path) -> None:
    text = Path(fast.event_file).read_text(encoding="utf-8")
    text = text.replace("last_day = 2027-06-12", "last_day = 2027-06-12\nstart = 2027-06-10T10:00:00+02:00")
    (tmp_path / "event.toml").write_text(text, encoding="utf-8")
    fast.event_file = tmp_path / "event.toml"
    clock = ManualClock(datetime(2027, 6, 1, 12, 0, tzinfo=WARSAW))
    async with running(fast, clock) as (services, tg):
        await services.assistant.handle(remind("1"))
        clock.set(datetime(2027, 6, 9, 10, 0, tzinfo=WARSAW))
        [text_sent] = await deliver(services, tg)
        assert "Obrony Cywilnej" in text_sent and "jutro o 10:00" in text_sent


async def test_calendar_is_an_ics_file_with_the_event(services: Services) -> None:
    [reply] = await services.assistant.handle(Incoming("telegram", "1", "1", "/calendar",
                                                       command="calendar"))
    assert reply.attachment is not None and reply.attachment.filename.endswith(".ics")
    ics = reply.attachment.data.decode()
    assert "BEGIN:VEVENT" in ics and "DTSTART;TZID=Europe/Warsaw:20260910T140000" in ics
    assert "Zakładowa 1" in reply.text or "Zak" in ics
    assert "14:00" in reply.text


async def test_start_after_the_event_says_it_took_place(services: Services,
                                                       clock: ManualClock) -> None:
    clock.set(datetime(2026, 11, 28, 12, 0, tzinfo=WARSAW))
    [reply] = await services.assistant.handle(Incoming("telegram", "1", "1", "/start",
                                                       command="start", language_hint="en"))
    assert "has taken place" in reply.text and "2027" in reply.text
