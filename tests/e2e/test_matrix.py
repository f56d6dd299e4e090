"""The Matrix adapter end to end: a real Synapse on 127.0.0.1, the real core, nio users."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from nio import DownloadResponse, RoomMessageFile

from bot.config import Config, MatrixSettings
from bot.messages import ChatRef
from bot.service import background_work, open_services
from handlers.matrix import MatrixTransport
from tests.e2e.synapse_people import Person, direct_chat, notice_from, room_joined_beforehand
from tests.e2e.synapse_server import Account, SynapseServer
from tests.telegram_html import links

QUIET = 1.0  # seconds to listen for an answer that must not come


@contextlib.asynccontextmanager
async def running_bot(
    synapse: SynapseServer, account: Account, database: Path, **settings: Any
) -> AsyncIterator[MatrixTransport]:
    """The real core and the Matrix adapter, logged in as `account`, until the block ends."""
    undecryptable_wait = settings.pop("undecryptable_wait", 1.0)
    login = (
        {"password": account.password}
        if settings.pop("by_password", False)
        else {"access_token": account.access_token}
    )
    config = Config(
        database=database,
        matrix=MatrixSettings(homeserver=synapse.url, user_id=account.user_id, **login, **settings),
    )
    async with open_services(config) as services, background_work(services):
        bot = MatrixTransport(services, max_backoff=1.0, undecryptable_wait=undecryptable_wait)
        await bot.start()
        try:
            await asyncio.wait_for(bot.ready.wait(), timeout=20)
            yield bot
        finally:
            await bot.stop()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture(autouse=True)
def synapse_is_up(synapse: SynapseServer) -> Iterator[None]:
    """A test that stops Synapse must not take it away from the next one."""
    yield
    if not synapse.running:
        synapse.start()


async def group_room(alice: Person, bob: Person, bot: Account) -> str:
    room_id = await alice.create_room([bot.user_id, bob.user_id], name="Partners")
    await bob.join(room_id)
    await alice.wait_for_membership(room_id, bot.user_id, "join")
    return room_id


async def start_later(synapse: SynapseServer, delay: float) -> None:
    await asyncio.sleep(delay)
    await asyncio.to_thread(synapse.start)


async def test_invite_from_own_homeserver_is_joined(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    async with running_bot(synapse, bot_account, database):
        room_id = await alice.create_room([bot_account.user_id], name="Partners")
        await alice.wait_for_membership(room_id, bot_account.user_id, "join")


async def test_invite_from_disallowed_user_is_rejected(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person
) -> None:
    async with running_bot(synapse, bot_account, database, allowed_inviters=[bob.user_id]):
        room_id = await alice.create_room([bot_account.user_id], direct=True)
        await alice.wait_for_membership(room_id, bot_account.user_id, "leave")
        allowed = await bob.create_room([bot_account.user_id], direct=True)
        await bob.wait_for_membership(allowed, bot_account.user_id, "join")


async def test_direct_chat_question_is_answered_with_a_notice(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    async with running_bot(synapse, bot_account, database):
        room_id = await direct_chat(alice, bot_account)
        question = await alice.say(room_id, "gdzie jest forum")
        answer = await alice.wait_for_notice(room_id, bot_account.user_id, question)
    assert "Kielce" in answer.body
    assert answer.format == "org.matrix.custom.html"
    assert "Kielce" in (answer.formatted_body or "")


async def test_calendar_command_uploads_an_ics_file(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await direct_chat(alice, bot_account)
        await alice.ask(room_id, "!calendar", bot_id)
        sent = await alice.wait_for(room_id, lambda e: isinstance(e, RoomMessageFile) and e.sender == bot_id)
    assert isinstance(sent, RoomMessageFile)
    assert sent.body.endswith(".ics")
    downloaded = await alice.client.download(sent.url)
    assert isinstance(downloaded, DownloadResponse), downloaded
    assert downloaded.body.startswith(b"BEGIN:VCALENDAR")


async def test_group_room_answers_mentions_commands_and_replies_only(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await group_room(alice, bob, bot_account)
        await alice.say(room_id, "gdzie jest forum")
        assert await alice.collect(room_id, notice_from(bot_id), within=QUIET) == []

        mention = await alice.say(
            room_id, "IRLF Assistant: where is the forum?", **{"m.mentions": {"user_ids": [bot_id]}}
        )
        assert "Kielce" in (await alice.wait_for_notice(room_id, bot_id, mention)).body

        venue = await bob.say(room_id, "!venue")
        venue_answer = await alice.wait_for_notice(room_id, bot_id, venue)
        assert "Kielce" in venue_answer.body

        follow_up = await alice.say(
            room_id,
            "when is it?",
            **{"m.relates_to": {"m.in_reply_to": {"event_id": venue_answer.event_id}}},
        )
        await alice.wait_for_notice(room_id, bot_id, follow_up)


async def test_restart_answers_missed_message_once_and_replays_nothing(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await direct_chat(alice, bot_account)
        await alice.ask(room_id, "gdzie jest forum", bot_id)

    missed = await alice.say(room_id, "when is the forum?")
    new_room = await alice.create_room([bot_id], direct=True)  # invited while it is down
    asked_there = await alice.say(new_room, "gdzie jest forum")
    async with running_bot(synapse, bot_account, database, by_password=True) as bot:
        assert bot.client.device_id == "IRLFBOT"
        await alice.wait_for_notice(room_id, bot_id, missed)
        await alice.wait_for_notice(new_room, bot_id, asked_there)
        again = await alice.collect(room_id, notice_from(bot_id), within=QUIET)
    assert again == [], [event.body for event in again]


async def test_first_start_does_not_answer_history(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    room_id = await room_joined_beforehand(synapse, alice, bot_account, direct=True)
    await alice.say(room_id, "gdzie jest forum")
    async with running_bot(synapse, bot_account, database):
        assert await alice.collect(room_id, notice_from(bot_account.user_id), within=QUIET) == []
        question = await alice.say(room_id, "gdzie jest forum")
        await alice.wait_for_notice(room_id, bot_account.user_id, question)


async def test_answers_again_after_synapse_restart(
    synapse: SynapseServer,
    bot_account: Account,
    database: Path,
    alice: Person,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await direct_chat(alice, bot_account)
        await asyncio.to_thread(synapse.stop)
        try:
            await asyncio.sleep(2.0)  # the bot's syncs fail meanwhile; it backs off
        finally:
            await asyncio.to_thread(synapse.start)
        question = await alice.say(room_id, "gdzie jest forum")
        await alice.wait_for_notice(room_id, bot_id, question, within=20)
        assert await alice.collect(room_id, notice_from(bot_id), within=QUIET) == []
    assert "sync failed" in caplog.text


async def test_bot_started_while_synapse_is_down_answers_once_it_is_up(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    room_id = await room_joined_beforehand(synapse, alice, bot_account, direct=True)
    await asyncio.to_thread(synapse.stop)
    comeback = asyncio.create_task(start_later(synapse, delay=1.0))
    try:
        async with running_bot(synapse, bot_account, database):
            question = await alice.say(room_id, "gdzie jest forum")
            await alice.wait_for_notice(room_id, bot_account.user_id, question)
    finally:
        await comeback


async def test_question_asked_right_after_the_invite_is_answered(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    async with running_bot(synapse, bot_account, database):
        room_id = await alice.create_room([bot_account.user_id], direct=True)
        question = await alice.say(room_id, "gdzie jest forum")
        await alice.wait_for_notice(room_id, bot_account.user_id, question)


async def test_room_history_before_the_invite_is_not_answered(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await alice.create_room([bob.user_id], name="Partners")
        await bob.join(room_id)
        await alice.say(room_id, "!venue")
        await alice.client.room_invite(room_id, bot_id)
        await alice.wait_for_membership(room_id, bot_id, "join")
        assert await alice.collect(room_id, notice_from(bot_id), within=QUIET) == []


async def test_room_of_two_is_not_a_direct_chat_unless_marked_so(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await alice.create_room([bot_id], name="Management")  # two people, no is_direct
        await alice.wait_for_membership(room_id, bot_id, "join")
        await alice.say(room_id, "gdzie jest forum")
        assert await alice.collect(room_id, notice_from(bot_id), within=QUIET) == []
        await alice.ask(room_id, "IRLF Assistant: gdzie jest forum?", bot_id)


async def test_a_direct_chat_removed_from_m_direct_becomes_a_room(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database) as bot:
        room_id = await direct_chat(alice, bot_account)
        await alice.ask(room_id, "gdzie jest forum", bot_id)
        chat = ChatRef("matrix", room_id)
        assert (await bot.services.storage.get_user(chat)).is_private

        bot_elsewhere = Person(synapse, bot_account)  # the bot's account in another client
        try:
            await bot_elsewhere.mark_direct(alice.user_id, "!another:localhost")
        finally:
            await bot_elsewhere.close()
        await alice.say(room_id, "gdzie jest forum")
        assert await alice.collect(room_id, notice_from(bot_id), within=QUIET) == []
        assert not (await bot.services.storage.get_user(chat)).is_private
        recipients = await bot.services.outbox.recipients(["matrix"], [])
        assert room_id not in [r.chat_id for r in recipients]  # broadcasts go to direct chats only


async def test_rate_limited_replies_wait_and_arrive(
    synapse: SynapseServer,
    bot_account: Account,
    database: Path,
    alice: Person,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = synapse.register("admin", admin=True)
    synapse.limit_messages(admin, bot_account.user_id, per_second=2, burst=1)
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await direct_chat(alice, bot_account)
        questions = [await alice.say(room_id, "gdzie jest forum") for _ in range(3)]
        for question in questions:
            await alice.wait_for_notice(room_id, bot_id, question)
    assert "429" in caplog.text  # the homeserver did say "slow down"


async def test_irlf_bot_run_serves_matrix_from_the_environment(
    synapse: SynapseServer, bot_account: Account, alice: Person, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text('log_level = "DEBUG"\n', encoding="utf-8")
    env = {
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot_account.user_id,
        "MATRIX_ACCESS_TOKEN": bot_account.access_token,
        "MATRIX_PICKLE_KEY": "pickle-key-that-must-not-be-logged",
        "IRLF_DB": str(tmp_path / "bot.db"),
    }
    bot = start_irlf_bot(tmp_path, env)
    try:
        room_id = await alice.create_room([bot_account.user_id], name="Partners")
        await alice.wait_for_membership(room_id, bot_account.user_id, "join", within=30)
        question = await alice.say(room_id, "!venue")
        assert "Kielce" in (await alice.wait_for_notice(room_id, bot_account.user_id, question)).body
    finally:
        bot.terminate()
        bot.wait(timeout=10)
    output_text = (tmp_path / "output.log").read_text(encoding="utf-8")
    assert "logged in as" in output_text  # DEBUG logging was on...
    assert bot_account.access_token not in output_text  # ...with the token masked
    assert "pickle-key-that-must-not-be-logged" not in output_text
    store = tmp_path / "bot-matrix-store"  # beside the database
    assert store.stat().st_mode & 0o777 == 0o700
    assert (store / "identity.json").stat().st_mode & 0o777 == 0o600


def start_irlf_bot(folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`irlf-bot run` in `folder`, as an operator starts it; its output in folder/output.log."""
    with open(folder / "output.log", "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=folder, env={**os.environ, **env},
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


# flood control and who may change a room's settings (rooms of three: two would be a DM)

FLOOD_PL = "Dużo wiadomości naraz"


async def test_one_member_flooding_a_room_does_not_mute_the_others(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await group_room(alice, bob, bot_account)
        for _ in range(30):
            await alice.say(room_id, "!help")
        venue = await bob.say(room_id, "!venue")
        answer = await alice.wait_for_notice(room_id, bot_id, venue, within=30)
        assert "Kielce" in answer.body
        to_alice = await alice.collect(room_id, notice_from(bot_id), within=QUIET)
    notices = [n for n in to_alice if n.body.startswith(FLOOD_PL)]
    assert len(notices) == 1, [n.body[:40] for n in to_alice]
    assert len(to_alice) < 30  # the rest of the flood went unanswered


async def test_creator_of_a_version_12_room_may_subscribe_it_to_reminders(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database) as bot:
        room_id = await alice.create_room(
            [bot_id, bob.user_id], name="Partners", room_version="12"
        )
        await bob.join(room_id)
        await alice.wait_for_membership(room_id, bot_id, "join")
        assert bot.client.rooms[room_id].room_version == "12"
        # Version 12 leaves creators out of the power levels: alice has level 0 there.
        assert bot.client.rooms[room_id].power_levels.get_user_level(alice.user_id) == 0
        by_bob = await bob.say(room_id, "!remind")
        refused = await alice.wait_for_notice(room_id, bot_id, by_bob)
        assert refused.body.startswith("Pokój lub grupę mogą zapisać")
        by_alice = await alice.say(room_id, "!remind")
        subscribed = await alice.wait_for_notice(room_id, bot_id, by_alice)
        assert "!remind off" in subscribed.body  # subscribed (how to stop is said)
        room = await bot.services.storage.get_user(ChatRef("matrix", room_id))
        assert room is not None and room.reminders


async def test_additional_creators_of_a_version_12_room_moderate_it(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person,
    carol: Person,
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await alice.create_room(
            [bot_id, bob.user_id, carol.user_id], name="Partners", room_version="12",
            additional_creators=[bob.user_id],
        )
        await bob.join(room_id)
        await carol.join(room_id)
        await alice.wait_for_membership(room_id, bot_id, "join")
        by_carol = await carol.say(room_id, "!lang en")
        refused = await alice.wait_for_notice(room_id, bot_id, by_carol)
        assert refused.body.startswith("Ustawienia pokoju lub grupy")
        by_bob = await bob.say(room_id, "!lang en")
        assert (await alice.wait_for_notice(room_id, bot_id, by_bob)).body == (
            "OK, I will answer in English."
        )


async def test_a_member_without_power_cannot_change_or_erase_the_rooms_settings(
    synapse: SynapseServer, bot_account: Account, database: Path, alice: Person, bob: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database) as bot:
        room_id = await group_room(alice, bob, bot_account)
        subscribe = await alice.say(room_id, "!remind")
        await alice.wait_for_notice(room_id, bot_id, subscribe)
        for attempt in ("!lang en", "!forget yes"):
            by_bob = await bob.say(room_id, attempt)
            refused = await alice.wait_for_notice(room_id, bot_id, by_bob)
            assert refused.body.startswith("Ustawienia pokoju lub grupy")
        room = await bot.services.storage.get_user(ChatRef("matrix", room_id))
        assert room is not None and room.reminders and room.language is None
        help_asked = await bob.say(room_id, "!help")
        assert (await alice.wait_for_notice(room_id, bot_id, help_asked)).body.startswith("Napisz")


async def test_links_a_user_typed_are_never_posted_back(
    synapse: SynapseServer, bot_account: Account, database: Path, bob: Person
) -> None:
    bot_id = bot_account.user_id
    eve = Person(synapse, synapse.register("eve", displayname="a@evil.example"))
    desk = await room_joined_beforehand(synapse, bob, bot_account, name="Press desk")
    try:
        async with running_bot(synapse, bot_account, database, media_desk_room=desk):
            room_id = await direct_chat(eve, bot_account)
            start = await eve.say(room_id, "!start")
            greeting = await eve.wait_for_notice(room_id, bot_id, start)
            await eve.say(room_id, "Jestem dziennikarzem, akredytacja? http://evil.example/login")
            ticket = await bob.wait_for_notice(desk, bot_id)
    finally:
        await eve.close()
    assert "a@evil.example" in greeting.body
    assert "http://evil.example/login" in ticket.body and "a@evil.example" in ticket.body
    for notice in (greeting, ticket):
        assert "evil" not in "".join(links(notice.formatted_body or "")), notice.formatted_body


def test_wrong_password_is_one_line_and_exit_2(
    synapse: SynapseServer, bot_account: Account, tmp_path: Path
) -> None:
    env = {
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": bot_account.user_id,
        "MATRIX_PASSWORD": "not-the-password",
        "IRLF_DB": str(tmp_path / "bot.db"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env={**os.environ, **env},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[-1].startswith(f"irlf-bot: configuration error: Matrix login as {bot_account.user_id}")
    assert "403" in lines[-1] or "M_FORBIDDEN" in lines[-1]
    assert "Unclosed" not in result.stderr and "Traceback" not in result.stderr
    assert "not-the-password" not in result.stderr
