"""Features written once in the core, end to end on both real servers at once:
broadcasts, reminders and the media desk, with Telegram (emulator) and Matrix (Synapse)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.config import Config
from bot.messages import ChatRef
from bot.service import Services, background_work, open_services
from handlers.matrix import MatrixTransport
from handlers.telegram import TelegramTransport
from tests.e2e.synapse_people import Person, direct_chat, room_joined_beforehand
from tests.e2e.synapse_server import Account, SynapseServer
from tests.e2e.telegram_emulator import TelegramSession, TelegramUser

WARSAW = ZoneInfo("Europe/Warsaw")
PRESS = "Jestem dziennikarzem, chciałbym akredytację"


def make_config(session: TelegramSession, synapse: SynapseServer, bot: Account,
                database: Path, **sections: dict[str, Any]) -> Config:
    data: dict[str, Any] = {
        "database": database,
        "telegram": {"token": session.token, "base_url": session.base_url},
        "matrix": {"homeserver": synapse.url, "user_id": bot.user_id,
                   "access_token": bot.access_token},
        "broadcast": {"telegram_per_chat_interval": 0, "matrix_rate": 50},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return Config.model_validate(data)


@contextlib.asynccontextmanager
async def running(config: Config, clock: ManualClock | None = None) -> AsyncIterator[Services]:
    """Both adapters and the outbox worker on one core, as `irlf-bot run` serves them."""
    async with open_services(config, clock) as services, background_work(services):
        telegram = TelegramTransport(services)
        matrix = MatrixTransport(services, max_backoff=1.0)
        await telegram.start()
        await matrix.start()
        await asyncio.wait_for(matrix.ready.wait(), timeout=20)
        try:
            yield services
        finally:
            await matrix.stop()
            await telegram.stop()


async def text_of(user: TelegramUser, containing: str, within: float = 10.0) -> str:
    """Wait for a bot message in the user's chat containing `containing`."""
    deadline = asyncio.get_running_loop().time() + within
    seen: list[str] = []
    while asyncio.get_running_loop().time() < deadline:
        for message in await user.replies(1, within=within):
            seen.append(message.text)
            if containing in message.text:
                return message.text
    raise AssertionError(f"no message with {containing!r}; saw {seen}")


async def test_broadcast_reaches_telegram_and_matrix_and_skips_who_blocked(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account,
    alice: Person, bob: Person, tmp_path: Path,
) -> None:
    admin, guest, leaver = telegram.user(), telegram.user(), telegram.user(language="en")
    partners = await room_joined_beforehand(synapse, bob, bot_account, name="Partners")
    config = make_config(
        telegram, synapse, bot_account, tmp_path / "bot.db",
        telegram={"admins": [admin.id]}, matrix={"broadcast_rooms": [partners]},
    )
    async with running(config) as services:
        for user in (admin, guest, leaver):
            await user.send("/start")
            await user.reply()
        dm = await direct_chat(alice, bot_account)
        await alice.say(dm, "gdzie jest forum")
        await alice.wait_for_notice(dm, bot_account.user_id)

        await guest.send("/broadcast Wpuszczę wszystkich")
        assert "uprawnień" in (await guest.reply()).text

        await telegram.block(leaver.chat_id)
        await admin.send("/broadcast Drzwi otwieramy o 13:30 || Doors open at 13:30")
        preview = await admin.reply()
        assert "odbiorców" in preview.text and "matrix: 2" in preview.text
        confirm = next(p for p in preview.payloads if p.startswith("confirm"))
        await admin.tap(preview, confirm)

        assert "Drzwi otwieramy o 13:30" in await text_of(guest, "Drzwi")
        notice = await alice.wait_for_notice(dm, bot_account.user_id)
        assert notice.body == "Drzwi otwieramy o 13:30"
        room_notice = await bob.wait_for_notice(partners, bot_account.user_id)
        assert "13:30" in room_notice.body
        report = await text_of(admin, "wysłany", within=15)
        assert "1 zablokowało" in report
        blocked = await services.storage.get_user(ChatRef("telegram", str(leaver.chat_id)))
        assert blocked is not None and blocked.blocked

        await admin.send("/broadcast Drugi komunikat")
        second = await text_of(admin, "Drugi komunikat")
        assert "telegram: 2" in second  # the admin and the guest; the leaver is skipped


async def test_reminders_reach_a_matrix_and_a_telegram_subscriber(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account,
    alice: Person, tmp_path: Path,
) -> None:
    clock = ManualClock(datetime(2026, 9, 1, 12, 0, tzinfo=WARSAW))
    config = make_config(telegram, synapse, bot_account, tmp_path / "bot.db")
    guest = telegram.user(language="en")
    async with running(config, clock) as services:
        await guest.send("/remind")
        assert "remind you" in (await guest.reply()).text
        dm = await direct_chat(alice, bot_account)
        await alice.say(dm, "!remind")
        assert "Przypomnę" in (await alice.wait_for_notice(dm, bot_account.user_id)).body

        clock.set(datetime(2026, 9, 3, 14, 0, tzinfo=WARSAW))  # 7 days before
        assert await services.reminders.tick() == 2
        reminder = await text_of(guest, "Reminder")
        assert "in a week" in reminder and "14:00" in reminder
        notice = await alice.wait_for_notice(dm, bot_account.user_id)
        assert "Przypomnienie" in notice.body and "za tydzień" in notice.body
        assert await services.reminders.tick() == 0  # exactly once


async def test_press_questions_cross_transports_and_survive_a_restart(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account,
    alice: Person, bob: Person, tmp_path: Path,
) -> None:
    desk_room = await room_joined_beforehand(synapse, bob, bot_account, name="Media desk")
    desk_chat = -100777
    press_officer = telegram.user(chat_id=desk_chat, chat_type="group")
    config = make_config(
        telegram, synapse, bot_account, tmp_path / "bot.db",
        telegram={"media_desk_chat": str(desk_chat)}, matrix={"media_desk_room": desk_room},
    )
    journalist = telegram.user()
    async with running(config):
        # a Telegram asker, answered from the Matrix desk room
        await journalist.send(PRESS)
        first = await text_of(journalist, "p.ostrek@iccsm.network")
        assert "#1" in first
        ticket = await bob.wait_for_notice(desk_room, bot_account.user_id)
        assert "#1" in ticket.body and "akredytację" in ticket.body
        await text_of(press_officer, "#1")  # the Telegram desk has it too
        await bob.say(desk_room, "Akredytacja potwierdzona, zapraszamy.",
                      **{"m.relates_to": {"m.in_reply_to": {"event_id": ticket.event_id}}})
        answer = await text_of(journalist, "Akredytacja potwierdzona")
        assert "zespołu prasowego" in answer

        # a Matrix asker: the question now waits while the bot restarts
        dm = await direct_chat(alice, bot_account)
        await alice.say(dm, "I'm a reporter, can I interview the organiser?")
        contact = await alice.wait_for_notice(dm, bot_account.user_id)
        assert "p.ostrek@iccsm.network" in contact.body and "#2" in contact.body
        desk_message = None
        for _ in range(5):
            for message in await press_officer.replies(1, within=10):
                if "#2" in message.text:
                    desk_message = message
            if desk_message:
                break
        assert desk_message is not None
    async with running(config):
        await press_officer.send("Yes, at 15:30 by the stage.", reply_to=desk_message)
        answer_notice = await alice.wait_for_notice(dm, bot_account.user_id, within=15)
        assert "15:30" in answer_notice.body and "press team" in answer_notice.body
        confirmation = await text_of(press_officer, "#2")
        assert "wysłana" in confirmation
