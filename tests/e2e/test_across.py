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
from tests.e2e.telegram_emulator import BotMessage, TelegramSession, TelegramUser

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


async def message_of(user: TelegramUser, containing: str, within: float = 10.0) -> BotMessage:
    """Wait for a bot message in the user's chat containing `containing`."""
    deadline = asyncio.get_running_loop().time() + within
    seen: list[str] = []
    while asyncio.get_running_loop().time() < deadline:
        for message in await user.replies(1, within=within):
            seen.append(message.text)
            if containing in message.text:
                return message
    raise AssertionError(f"no message with {containing!r}; saw {seen}")


async def text_of(user: TelegramUser, containing: str, within: float = 10.0) -> str:
    return (await message_of(user, containing, within)).text


async def desk_on_both(
    telegram: TelegramSession, synapse: SynapseServer, owner: Person, bot: Account, name: str,
    chat_id: int,
) -> tuple[str, TelegramUser]:
    """A desk as a Matrix room the bot joined beforehand and a Telegram group (its member)."""
    room = await room_joined_beforehand(synapse, owner, bot, name=name)
    return room, telegram.user(chat_id=chat_id, chat_type="group")


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
    desk_chat = -100777
    desk_room, press_officer = await desk_on_both(
        telegram, synapse, bob, bot_account, "Media desk", desk_chat
    )
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
        desk_message = await message_of(press_officer, "#2", within=30)
    async with running(config):
        await press_officer.send("Yes, at 15:30 by the stage.", reply_to=desk_message)
        answer_notice = await alice.wait_for_notice(dm, bot_account.user_id, within=15)
        assert "15:30" in answer_notice.body and "press team" in answer_notice.body
        confirmation = await text_of(press_officer, "#2")
        assert "wysłana" in confirmation


async def test_unanswered_questions_cross_to_the_info_desk_and_the_answers_come_back(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account,
    alice: Person, bob: Person, tmp_path: Path,
) -> None:
    info_chat = -100888
    info_room, volunteer = await desk_on_both(telegram, synapse, bob, bot_account, "Info desk", info_chat)
    config = make_config(
        telegram, synapse, bot_account, tmp_path / "bot.db",
        desk={"info_chat": str(info_chat), "info_room": info_room},
    )
    guest = telegram.user()
    async with running(config):
        # a Telegram guest's question the bot cannot answer, answered from the Matrix desk
        await guest.send("Czy na miejscu będzie szatnia na płaszcze?")
        fallback = await text_of(guest, "organizatorom")
        assert "Niestety nie mam tej informacji" in fallback and "#1" in fallback
        ticket = await bob.wait_for_notice(info_room, bot_account.user_id)
        assert "#1" in ticket.body and "szatnia" in ticket.body
        await text_of(volunteer, "#1")  # the Telegram desk has it too
        await bob.say(info_room, "Tak, szatnia jest przy wejściu B.",
                      **{"m.relates_to": {"m.in_reply_to": {"event_id": ticket.event_id}}})
        answer = await text_of(guest, "wejściu B")
        assert answer.startswith("ℹ️ Odpowiedź organizatorów")
        sent = await bob.wait_for_notice(info_room, bot_account.user_id)
        assert "wysłana" in sent.body

        # a Matrix guest's question, answered from the Telegram desk (a reply, then /answer)
        dm = await direct_chat(alice, bot_account)
        await alice.say(dm, "Will there be a cloakroom?")
        fallback_notice = await alice.wait_for_notice(dm, bot_account.user_id)
        assert "organisers (question #2)" in fallback_notice.body
        desk_message = await message_of(volunteer, "#2", within=30)
        assert "cloakroom" in desk_message.text
        await volunteer.send("Yes, by entrance B.", reply_to=desk_message)
        notice = await alice.wait_for_notice(dm, bot_account.user_id, within=15)
        assert notice.body.startswith("ℹ️ Answer from the organisers") and "entrance B" in notice.body
        await volunteer.send("/answer 2 It is free of charge.")
        further = await alice.wait_for_notice(dm, bot_account.user_id, within=15)
        assert "free of charge" in further.body
