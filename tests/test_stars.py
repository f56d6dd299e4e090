"""Starred sessions: ⭐, /starred, .ics; a reminder before each and news when one moves or
is cancelled, exactly once across restarts (sample programme, clock inside its day two)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.clock import ManualClock
from bot.config import Config
from bot.event import Event
from bot.messages import Incoming, Reply
from bot.programme import Programme, Session, programme_path, read_programme, write_programme
from bot.programme_import import read_schedule
from bot.service import Services
from tests.fakes import RecordingTransport
from tests.test_reminders import running

WARSAW = ZoneInfo("Europe/Warsaw")
SAMPLE = Path(__file__).parent / "data" / "ifre-2027"
DAY_TWO = datetime(2027, 6, 11, 10, 5, tzinfo=WARSAW)
HEALTH = "206"  # Panel: Zdrowie publiczne w sytuacjach kryzysowych, 11:45–12:45, Hala A
HEALTH_START = datetime(2027, 6, 11, 11, 45, tzinfo=WARSAW)
HEALTH_TITLE = "Panel: Zdrowie publiczne w sytuacjach kryzysowych"


def at(hour: int, minute: int) -> datetime:
    return datetime(2027, 6, 11, hour, minute, tzinfo=WARSAW)


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    """A copy of the sample event and its programme, free to re-import."""
    for name in ("event.toml", "event.programme.json"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    return tmp_path / "event.toml"


@pytest.fixture
def config(tmp_path: Path, event_file: Path) -> Config:
    config = Config(database=tmp_path / "bot.db", event_file=event_file)
    config.broadcast.telegram_rate = 1000
    config.broadcast.telegram_per_chat_interval = 0
    return config


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DAY_TWO)


async def say(services: Services, command: str, args: str = "", chat: str = "1", **fields: object) -> Reply:
    base: dict = {"transport": "telegram", "chat_id": chat, "sender_id": chat,
                  "text": f"/{command} {args}".strip(), "command": command, "args": args}
    base.update(fields)
    [reply] = await services.assistant.handle(Incoming(**base))
    return reply


async def deliver(services: Services, tg: RecordingTransport) -> list[tuple[str, str]]:
    """One tick of the session reminders, the outbox until empty: (chat, text) sent now."""
    before = len(tg.sent)
    await services.sessions.tick()
    await services.outbox.drain(timeout=10)
    return [(chat, reply.text) for chat, reply in tg.sent[before:]]


def reimport(event_file: Path, change: Callable[[Programme], list[Session]]) -> None:
    """Write a new version of the programme, as `irlf-bot programme import` does."""
    event = Event.load(event_file)
    path = programme_path(event_file)
    old = read_programme(event, path)
    write_programme(Programme(change(old), old.zone), event, path, "schedule-v2.json", DAY_TWO)


def moved(session_id: str, **update: object) -> Callable[[Programme], list[Session]]:
    return lambda p: [s.model_copy(update=update) if s.id == session_id else s for s in p.sessions]


def without(session_id: str) -> Callable[[Programme], list[Session]]:
    return lambda p: [s for s in p.sessions if s.id != session_id]


def payloads(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


# ⭐, /starred, .ics


async def test_a_star_saves_the_session_and_starred_lists_it(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, _):
        saved = await say(services, "star", HEALTH)
        assert saved.text == ("⭐ Zapisane: „Panel: Zdrowie publiczne w sytuacjach kryzysowych” — piątek, "
                              "11 czerwca 2027, 11:45–12:45. Przypomnienie: 15 minut przed startem. "
                              "Twoje sesje: /starred")
        assert payloads(saved) == [f"unstar {HEALTH}", f"ics {HEALTH}"]
        again = await say(services, "star", HEALTH)
        assert "już jest na Twojej liście" in again.text
        listed = await say(services, "starred")
        assert listed.text.split("\n") == [
            "⭐ Twoje sesje (przypomnienie: 15 minut przed każdą):",
            "11:45–12:45 · Hala A · Panel: Zdrowie publiczne w sytuacjach kryzysowych — Ewa Kamińska, "
            "Maria Rossi",
        ]
        assert payloads(listed) == [f"session {HEALTH}", "ics starred"]
        card = await say(services, "session", HEALTH)
        assert payloads(card)[0] == f"unstar {HEALTH}"
        removed = await say(services, "unstar", HEALTH)
        assert removed.text == "Usunięte z Twojej listy: „Panel: Zdrowie publiczne w sytuacjach kryzysowych”."
        assert "Nie masz jeszcze zapisanych sesji" in (await say(services, "starred")).text


async def test_a_session_under_way_or_over_cannot_be_starred(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, _):
        reply = await say(services, "star", "202")  # Panel CIMIC, since 10:00
        assert reply.text.startswith("„Panel CIMIC: współpraca cywilno-wojskowa w kryzysie” już się odbyła")
        assert "Nie masz jeszcze" in (await say(services, "starred")).text


async def test_starring_too_late_for_a_reminder_says_so(config: Config, clock: ManualClock) -> None:
    clock.set(at(11, 35))
    async with running(config, clock) as (services, tg):
        reply = await say(services, "star", HEALTH, language_hint="en")
        assert reply.text == ("⭐ Saved: “Panel: Zdrowie publiczne w sytuacjach kryzysowych” — it starts "
                              "in 10 minutes, too soon for a reminder.")
        clock.set(at(11, 40))
        assert await deliver(services, tg) == []


async def test_a_room_needs_a_moderator_to_star(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, _):
        room = {"transport": "matrix", "chat_id": "!r:x", "is_private": False}
        refused = await say(services, "star", HEALTH, sender_id="@guest:x", **room)
        assert "moderatorzy" in refused.text
        saved = await say(services, "star", HEALTH, sender_id="@mod:x", is_room_moderator=True, **room)
        assert saved.text.startswith("⭐ Zapisane")
        unknown = await say(services, "star", "999", **room)
        assert unknown.text == "Nie ma w programie sesji „999”. Program: !programme"


async def test_ics_for_one_session_and_for_all_starred(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, _):
        one = await say(services, "ics", HEALTH)
        assert one.attachment is not None and one.attachment.filename == f"ifre-2027-{HEALTH}.ics"
        calendar = Calendar.from_ical(one.attachment.data)
        assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Warsaw"]
        [entry] = calendar.walk("VEVENT")
        assert entry.decoded("dtstart") == HEALTH_START
        for session_id in (HEALTH, "208", "303"):
            await say(services, "star", session_id)
        every = await say(services, "ics", "starred", language_hint="en")
        assert every.text == "Your sessions (3) in one calendar file."
        assert every.attachment is not None
        entries = Calendar.from_ical(every.attachment.data).walk("VEVENT")
        starts = [e.decoded("dtstart").strftime("%d %H:%M") for e in entries]
        assert starts == ["11 11:45", "11 13:45", "12 10:45"]


async def test_forget_erases_the_stars(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        await say(services, "forget", "yes")
        assert "Nie masz jeszcze" in (await say(services, "starred")).text
        clock.set(at(11, 30))
        assert await deliver(services, tg) == []


# reminders


async def test_a_reminder_goes_out_fifteen_minutes_before_once(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        await say(services, "star", HEALTH, chat="2", language_hint="en")
        clock.set(at(11, 29))
        assert await deliver(services, tg) == []
        clock.set(at(11, 30))
        assert sorted(await deliver(services, tg)) == [
            ("1", f"⏰ Za 15 minut: „{HEALTH_TITLE}” — 11:45–12:45, Hala A."),
            ("2", f"⏰ In 15 minutes: “{HEALTH_TITLE}” — 11:45–12:45, Hala A."),
        ]
        clock.set(at(11, 31))
        assert await deliver(services, tg) == []


async def test_a_reminder_is_sent_once_across_a_restart(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        await say(services, "star", "208", chat="2")
        clock.set(at(11, 30))
        assert await services.sessions.tick() == 1  # queued, then the bot stops before sending
    async with running(config, clock) as (services, tg):
        clock.set(at(11, 32))
        [(chat, text)] = await deliver(services, tg)
        assert chat == "1" and text.startswith("⏰ Za 13 minut")  # worded when it is sent
    async with running(config, clock) as (services, tg):
        clock.set(at(11, 40))
        assert await deliver(services, tg) == []
        clock.set(at(13, 30))
        [(chat, text)] = await deliver(services, tg)
        assert chat == "2" and "Rola mediów" in text


async def test_a_reminder_missed_while_down_comes_late_but_never_after_the_start(
    config: Config, clock: ManualClock
) -> None:
    async with running(config, clock) as (services, _):
        await say(services, "star", HEALTH)
        await say(services, "star", "205")  # 11:15
    clock.set(at(11, 40))  # the bot was down from 10:05 to 11:40
    async with running(config, clock) as (services, tg):
        assert await deliver(services, tg) == [
            ("1", f"⏰ Za 5 minut: „{HEALTH_TITLE}” — 11:45–12:45, Hala A."),
        ]


async def test_a_reminder_held_up_past_the_start_is_dropped(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        clock.set(at(11, 44))
        assert await services.sessions.tick() == 1
        clock.set(at(11, 46))  # held up (Telegram unreachable) until after the start
        await services.outbox.drain(timeout=10)
        assert tg.sent == []


async def test_the_lead_is_configurable(config: Config, clock: ManualClock) -> None:
    config.programme.remind_before = "1h"
    async with running(config, clock) as (services, tg):
        saved = await say(services, "star", HEALTH)
        assert "Przypomnienie: 1 godzina przed startem" in saved.text
        clock.set(at(10, 45))
        [(_, text)] = await deliver(services, tg)
        assert text.startswith("⏰ Za 60 minut")


# change notices


async def test_a_moved_session_is_told_to_who_starred_it_once(
    config: Config, clock: ManualClock, event_file: Path
) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        await say(services, "star", HEALTH, chat="2", language_hint="en")
        await say(services, "star", "208", chat="3")
        reimport(event_file, moved(HEALTH, start=at(16, 0), end=at(17, 0), room="Hala C"))
        notices = sorted(await deliver(services, tg))
        assert notices == [
            ("1", "⚠️ Zmiana w programie: „Panel: Zdrowie publiczne w sytuacjach kryzysowych” — było: "
                  "piątek, 11 czerwca 2027, 11:45–12:45, Hala A; teraz: piątek, 11 czerwca 2027, "
                  "16:00–17:00, Hala C."),
            ("2", f"⚠️ Programme change: “{HEALTH_TITLE}” — was: Friday, 11 June 2027, 11:45–12:45, "
                  "Hala A; now: Friday, 11 June 2027, 16:00–17:00, Hala C."),
        ]
        assert await deliver(services, tg) == []
    async with running(config, clock) as (services, tg):  # a restart tells no one again
        assert await deliver(services, tg) == []
        clock.set(at(11, 30))
        assert await deliver(services, tg) == []  # no reminder at the old time
        clock.set(at(15, 45))
        assert [chat for chat, _ in await deliver(services, tg)] == ["1", "2"]


async def test_an_import_while_the_bot_was_down_is_told_when_it_starts(
    config: Config, clock: ManualClock, event_file: Path
) -> None:
    async with running(config, clock) as (services, _):
        await say(services, "star", HEALTH)
    reimport(event_file, moved(HEALTH, room="Hala D"))
    async with running(config, clock) as (services, tg):
        [(_, text)] = await deliver(services, tg)
        assert "było: piątek, 11 czerwca 2027, 11:45–12:45, Hala A; teraz: piątek, 11 czerwca 2027, " \
               "11:45–12:45, Hala D" in text


async def test_a_cancelled_session_is_told_and_so_is_its_return(
    config: Config, clock: ManualClock, event_file: Path
) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        reimport(event_file, without(HEALTH))
        [(_, cancelled)] = await deliver(services, tg)
        assert cancelled == ("⚠️ Zmiana w programie: „Panel: Zdrowie publiczne w sytuacjach kryzysowych” "
                             "(piątek, 11 czerwca 2027, 11:45–12:45, Hala A) nie ma już w programie.")
        listed = await say(services, "starred")
        assert "(nie ma jej już w programie)" in listed.text
        clock.set(at(11, 30))
        assert await deliver(services, tg) == []
        shutil.copy(SAMPLE / "event.programme.json", programme_path(event_file))
        [(_, back), (_, reminder)] = await deliver(services, tg)
        assert back.startswith("✅ „Panel: Zdrowie publiczne w sytuacjach kryzysowych” wraca do programu: "
                               "piątek, 11 czerwca 2027, 11:45–12:45, Hala A")
        assert reminder.startswith("⏰ Za 15 minut")
        assert await deliver(services, tg) == []


async def test_only_a_new_title_or_other_ids_tell_no_one(
    config: Config, clock: ManualClock, event_file: Path
) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        reimport(event_file, lambda p: [
            s.model_copy(update={"speakers": ("Ewa Kamińska",)}) if s.id == HEALTH else s for s in p.sessions
        ])
        assert await deliver(services, tg) == []
        from_ics = read_schedule(SAMPLE / "exports" / "schedule.ics", WARSAW).programme
        reimport(event_file, lambda _: list(from_ics.sessions))  # another tool, other ids
        assert await deliver(services, tg) == []
        [star] = await services.storage.stars_of("ifre-2027", Incoming("telegram", "1", "1").chat)
        assert star.session_id != HEALTH and from_ics.get(star.session_id) is not None
        clock.set(at(11, 30))
        [(_, text)] = await deliver(services, tg)
        assert text.startswith("⏰ Za 15 minut: „Panel: Zdrowie publiczne")


async def test_a_change_to_a_past_session_tells_no_one(
    config: Config, clock: ManualClock, event_file: Path
) -> None:
    async with running(config, clock) as (services, tg):
        await say(services, "star", HEALTH)
        clock.set(at(13, 0))
        reimport(event_file, moved(HEALTH, end=at(12, 50)))
        assert await deliver(services, tg) == []


async def test_who_starred_after_the_move_hears_nothing_of_it(
    config: Config, clock: ManualClock, event_file: Path
) -> None:
    async with running(config, clock) as (services, tg):
        reimport(event_file, moved(HEALTH, room="Hala D"))
        await deliver(services, tg)
        await say(services, "star", HEALTH)
        assert await deliver(services, tg) == []
