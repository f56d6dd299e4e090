"""The programme end to end on both real servers, with the clock inside day two of the
sample programme: questions, ⭐ by button (Telegram) and `!star` (Matrix), the reminder
before the session and the notice when it moves, each once across a restart."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.event import Event
from bot.programme import Programme, programme_path, read_programme, write_programme
from tests.e2e.synapse_people import Person, direct_chat
from tests.e2e.synapse_server import Account, SynapseServer
from tests.e2e.telegram_emulator import TelegramSession
from tests.e2e.test_across import make_config, running, text_of

WARSAW = ZoneInfo("Europe/Warsaw")
SAMPLE = Path(__file__).resolve().parent.parent / "data" / "ifre-2027"
QUIET = 1.5  # seconds to listen for a message that must not come


def at(hour: int, minute: int) -> datetime:
    return datetime(2027, 6, 11, hour, minute, tzinfo=WARSAW)


def sample_event(folder: Path) -> Path:
    for name in ("event.toml", "event.programme.json"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder / "event.toml"


async def test_questions_stars_reminders_and_a_moved_session_on_telegram_and_matrix(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account, alice: Person,
    tmp_path: Path,
) -> None:
    event_file = sample_event(tmp_path)
    config = make_config(telegram, synapse, bot_account, tmp_path / "bot.db")
    config.event_file = event_file
    clock = ManualClock(at(10, 5))
    guest = telegram.user(language="pl")
    async with running(config, clock) as services:
        await guest.send("co teraz?")
        now = await guest.reply()
        assert "Panel CIMIC: współpraca cywilno-wojskowa w kryzysie" in now.text
        await guest.send("kiedy jest panel o zdrowiu publicznym?")
        card = await guest.reply()
        assert "11:45–12:45, Hala A" in card.text and "star 206" in card.payloads
        await guest.tap(card, "star 206")
        assert "Zapisane" in (await guest.reply()).text

        dm = await direct_chat(alice, bot_account)
        await alice.say(dm, "!next")
        listing = await alice.wait_for_notice(dm, bot_account.user_id)
        assert "!session 206" in listing.body  # buttons read as commands on Matrix
        await alice.say(dm, "!star 206")
        assert "Zapisane" in (await alice.wait_for_notice(dm, bot_account.user_id)).body

        clock.set(at(11, 30))
        await services.sessions.tick()
        reminder = await text_of(guest, "⏰")
        assert reminder.startswith("⏰ Za 15 minut: „Panel: Zdrowie publiczne w sytuacjach kryzysowych”")
        notice = await alice.wait_for_notice(dm, bot_account.user_id)
        assert notice.body.startswith("⏰ Za 15 minut")
        assert await services.sessions.tick() == 0

    async with running(config, clock) as services:  # a restart: nothing again
        assert await services.sessions.tick() == 0
        event = Event.load(event_file)
        path = programme_path(event_file)
        old = read_programme(event, path)
        sessions = [s.model_copy(update={"start": at(16, 0), "end": at(17, 0), "room": "Hala C"})
                    if s.id == "206" else s for s in old.sessions]
        write_programme(Programme(sessions, old.zone), event, path, "schedule-v2.json", clock.now())
        await services.sessions.tick()
        moved = await text_of(guest, "Zmiana")
        assert "było: piątek, 11 czerwca 2027, 11:45–12:45, Hala A; teraz: piątek, 11 czerwca 2027, " \
               "16:00–17:00, Hala C" in moved
        assert "Zmiana w programie" in (await alice.wait_for_notice(dm, bot_account.user_id)).body
        assert await services.sessions.tick() == 0
        assert await guest.replies(0, quiet=QUIET) == []
        assert await alice.collect(dm, lambda e: getattr(e, "sender", "") == bot_account.user_id,
                                   within=QUIET) == []
