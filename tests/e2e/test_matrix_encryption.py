"""End-to-end encryption end to end: the bot on a real Synapse, partners whose nio clients
encrypt (the rooms created as Element X creates them), every reply read by decrypting it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from nio import DownloadResponse, RoomEncryptedFile
from nio.crypto import decrypt_attachment

from bot.config import ConfigError
from tests.e2e.synapse_people import Person, encrypting_person, notice_from
from tests.e2e.synapse_server import Account, SynapseServer
from tests.e2e.test_matrix import QUIET, running_bot
from tests.signatures import signed_by

UNREADABLE = "please send it again"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
async def carol(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Person]:
    person = await encrypting_person(synapse, tmp_path / "carol-keys", "carol")
    yield person
    await person.close()


@pytest.fixture
async def dave(synapse: SynapseServer, tmp_path: Path) -> AsyncIterator[Person]:
    person = await encrypting_person(synapse, tmp_path / "dave-keys", "dave")
    yield person
    await person.close()


async def encrypted_dm(person: Person, bot: Account) -> str:
    """A DM as Element X opens it: is_direct, trusted_private_chat, encrypted from the start."""
    room_id = await person.create_room([bot.user_id], direct=True, encrypted=True)
    await person.wait_for_membership(room_id, bot.user_id, "join")
    return room_id


def keys_of(synapse: SynapseServer, asker: Person, user_id: str) -> dict:
    response = httpx.post(
        f"{synapse.url}/_matrix/client/v3/keys/query",
        json={"device_keys": {user_id: []}},
        headers={"Authorization": f"Bearer {asker.account.access_token}"},
        timeout=10,
    )
    return response.raise_for_status().json()


async def test_encrypted_dm_as_element_x_creates_it_is_answered_encrypted(
    synapse: SynapseServer, bot_account: Account, database: Path, carol: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await encrypted_dm(carol, bot_account)
        answer = await carol.ask(room_id, "gdzie jest forum", bot_id)
        assert answer.decrypted  # it came encrypted; carol's keys opened it
        assert "Kielce" in answer.body

        await carol.ask(room_id, "!calendar", bot_id)
        sent = await carol.wait_for(
            room_id, lambda e: isinstance(e, RoomEncryptedFile) and e.sender == bot_id
        )
    assert isinstance(sent, RoomEncryptedFile)  # the file itself was uploaded encrypted
    downloaded = await carol.client.download(sent.url)
    assert isinstance(downloaded, DownloadResponse), downloaded
    assert not downloaded.body.startswith(b"BEGIN:VCALENDAR")
    plain = decrypt_attachment(downloaded.body, sent.key["k"], sent.hashes["sha256"], sent.iv)
    assert plain.startswith(b"BEGIN:VCALENDAR")


async def test_encrypted_room_of_three_answers_mentions_for_everyone(
    synapse: SynapseServer, bot_account: Account, database: Path, carol: Person, dave: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await carol.create_room([bot_id, dave.user_id], name="Partners", encrypted=True)
        await dave.join(room_id)
        await carol.wait_for_membership(room_id, bot_id, "join")
        await carol.wait_for_membership(room_id, dave.user_id, "join")

        await carol.say(room_id, "gdzie jest forum")  # not addressed to the bot
        assert await carol.collect(room_id, notice_from(bot_id), within=QUIET) == []

        mention = await carol.say(
            room_id, "IRLF Assistant: where is the forum?", **{"m.mentions": {"user_ids": [bot_id]}}
        )
        for person in (carol, dave):
            answer = await person.wait_for_notice(room_id, bot_id, mention)
            assert answer.decrypted and "Kielce" in answer.body
        assert "Kielce" in (await dave.ask(room_id, "!venue", bot_id)).body


async def test_restart_answers_encrypted_message_sent_while_down_once(
    synapse: SynapseServer, bot_account: Account, database: Path, carol: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database):
        room_id = await encrypted_dm(carol, bot_account)
        await carol.ask(room_id, "gdzie jest forum", bot_id)

    missed = await carol.say(room_id, "when is the forum?")
    async with running_bot(synapse, bot_account, database):
        answer = await carol.wait_for_notice(room_id, bot_id, missed)
        assert answer.decrypted
        assert await carol.collect(room_id, notice_from(bot_id), within=QUIET) == []
        assert "Kielce" in (await carol.ask(room_id, "!venue", bot_id)).body


async def test_undecryptable_message_gets_one_notice_per_session(
    synapse: SynapseServer, bot_account: Account, database: Path, carol: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database) as bot:
        room_id = await encrypted_dm(carol, bot_account)
        await carol.say(room_id, "!venue")  # carol's client learns the bot's device
        await carol.wait_for_notice(room_id, bot_id)
        # Carol's client withholds the room key from the bot's device from now on.
        carol.client.blacklist_device(carol.client.device_store[bot_id][bot.client.device_id])
        carol.client.olm.outbound_group_sessions.pop(room_id, None)  # a new session, without the bot
        unreadable = await carol.say(room_id, "gdzie jest forum")
        await carol.say(room_id, "when is the forum?")  # the same session: no second notice
        notice = await carol.wait_for_notice(room_id, bot_id, unreadable)
        assert UNREADABLE in notice.body and "wyślij ją proszę jeszcze raz" in notice.body
        assert await carol.collect(room_id, notice_from(bot_id), within=QUIET) == []


async def test_bot_device_is_cross_signed_by_its_own_master_key_and_stays_so(
    synapse: SynapseServer, bot_account: Account, database: Path, carol: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, database) as bot:
        device_id = bot.client.device_id
    keys = keys_of(synapse, carol, bot_id)
    master = next(iter(keys["master_keys"][bot_id]["keys"].values()))
    self_signing = keys["self_signing_keys"][bot_id]
    ssk = next(iter(self_signing["keys"].values()))
    assert signed_by(self_signing, bot_id, master)
    assert signed_by(keys["device_keys"][bot_id][device_id], bot_id, ssk)

    async with running_bot(synapse, bot_account, database):  # a restart changes nothing
        pass
    again = keys_of(synapse, carol, bot_id)
    assert again["master_keys"][bot_id] == keys["master_keys"][bot_id]


async def test_lost_store_with_token_stops_with_what_to_do(
    synapse: SynapseServer, bot_account: Account, tmp_path: Path
) -> None:
    async with running_bot(synapse, bot_account, tmp_path / "first.db"):
        pass
    with pytest.raises(ConfigError, match="Restore the store") as raised:
        async with running_bot(synapse, bot_account, tmp_path / "second.db"):
            pass
    assert "MATRIX_PASSWORD" in str(raised.value)


async def test_lost_store_with_password_takes_a_fresh_device_and_a_new_identity(
    synapse: SynapseServer, bot_account: Account, tmp_path: Path, carol: Person
) -> None:
    bot_id = bot_account.user_id
    async with running_bot(synapse, bot_account, tmp_path / "first.db", by_password=True) as bot:
        assert bot.client.device_id == "IRLFBOT"
    lost = tmp_path / "second.db"  # the store beside it is new
    with pytest.raises(ConfigError, match="reset_cross_signing"):
        async with running_bot(synapse, bot_account, lost, by_password=True):
            pass
    async with running_bot(synapse, bot_account, lost, by_password=True, reset_cross_signing=True) as bot:
        assert bot.client.device_id.startswith("IRLFBOT_")
        devices = [d["device_id"] for d in keys_of(synapse, carol, bot_id)["device_keys"][bot_id].values()]
        assert "IRLFBOT" not in devices  # the old device was deleted (with the password)
        room_id = await encrypted_dm(carol, bot_account)
        assert (await carol.ask(room_id, "gdzie jest forum", bot_id)).decrypted


async def test_wrong_pickle_key_stops_the_start(
    synapse: SynapseServer, bot_account: Account, database: Path
) -> None:
    async with running_bot(synapse, bot_account, database, pickle_key="first key"):
        pass
    with pytest.raises(ConfigError, match="MATRIX_PICKLE_KEY"):
        async with running_bot(synapse, bot_account, database, pickle_key="another key"):
            pass
