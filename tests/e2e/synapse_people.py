"""People in the test Synapse: matrix-nio clients that create rooms, talk and listen.

A `Person` keeps its own sync position, so `wait_for` sees only what arrived after the
person last looked, and it long-polls (no sleeps): an answer is seen as soon as it lands.
An encrypting person (`encrypting_person`) has a key store and does what an encrypting
client does after every sync (upload, query and claim keys, send to-device messages);
nio hands it the decrypted events.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    Event,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessageNotice,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)
from nio.store import SqliteStore

from tests.e2e.synapse_server import Account, SynapseServer

# Synapse shows 10 events per room and sync by default; a test that floods a room needs all.
SYNC_FILTER = {"room": {"timeline": {"limit": 200}}}
ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


class Person:
    """One Matrix user driven by a test."""

    def __init__(self, server: SynapseServer, account: Account, store: Path | None = None) -> None:
        self.account = account
        self.user_id = account.user_id
        self.encrypting = store is not None
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            server.url,
            account.user_id,
            device_id=account.device_id,
            store_path=str(store or ""),
            config=AsyncClientConfig(
                max_timeouts=3, encryption_enabled=self.encrypting, store=SqliteStore
            ),
        )
        if self.encrypting:
            self.client.restore_login(account.user_id, account.device_id, account.access_token)
        else:
            self.client.access_token = account.access_token
        self.seen: list[tuple[str, Event]] = []  # (room id, event) not yet taken by wait_for

    async def close(self) -> None:
        await self.client.close()

    # talking

    async def create_room(
        self,
        invite: list[str],
        *,
        direct: bool = False,
        name: str | None = None,
        encrypted: bool = False,
        room_version: str | None = None,
        additional_creators: list[str] | None = None,
    ) -> str:
        """A new room (the server's default version unless given) with `invite` invited."""
        method, path, data = Api.room_create(
            self.client.access_token,
            name=name,
            is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            invite=invite,
            initial_state=[ENCRYPTION_STATE] if encrypted else [],
            room_version=room_version,
        )
        body = json.loads(data)
        if additional_creators:  # nio's room_create has no parameter for it (room version 12)
            body["creation_content"]["additional_creators"] = additional_creators
        response = await self.client._send(RoomCreateResponse, method, path, json.dumps(body))
        assert isinstance(response, RoomCreateResponse), response
        return response.room_id

    async def join(self, room_id: str) -> None:
        response = await self.client.join(room_id)
        assert not hasattr(response, "status_code") or response.status_code is None, response

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        """Send a text message (extra content keys as given); return its event id."""
        return await self.send(room_id, {"msgtype": "m.text", "body": text, **extra})

    async def send(self, room_id: str, content: dict[str, Any], event_type: str = "m.room.message") -> str:
        if self.encrypting and room_id not in self.client.rooms:
            await self._sync(0)  # nio encrypts only for rooms it has synced
        response = await self.client.room_send(room_id, event_type, content, ignore_unverified_devices=True)
        assert isinstance(response, RoomSendResponse), response
        return response.event_id

    async def mark_direct(self, other: str, room_id: str) -> None:
        """Make `room_id` this person's direct chat with `other` in `m.direct`, as clients
        do; the direct chats with everyone else stay listed."""
        path = f"/_matrix/client/v3/user/{quote(self.user_id)}/account_data/m.direct"
        headers = {"Authorization": f"Bearer {self.account.access_token}"}
        current = await self.client.send("GET", path, headers=headers)
        direct = await current.json() if current.status == 200 else {}
        direct[other] = [room_id]
        response = await self.client.send("PUT", path, json.dumps(direct), headers=headers)
        assert response.status == 200, await response.text()

    # listening

    async def catch_up(self) -> None:
        """Skip everything up to now: later waits see only newer events."""
        await self._sync(0)
        self.seen.clear()

    async def wait_for(self, room_id: str, match: Callable[[Event], bool], within: float = 10.0) -> Event:
        """The first event in `room_id` that matches, waiting up to `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            for index, (room, event) in enumerate(self.seen):
                if room == room_id and match(event):
                    del self.seen[index]
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.user_id}: nothing matched in {room_id} in {within}s")
            await self._sync(int(min(remaining, 5.0) * 1000) or 1)

    async def collect(self, room_id: str, match: Callable[[Event], bool], within: float) -> list:
        """Every matching event in `room_id` arriving within `within` seconds."""
        found = []
        deadline = time.monotonic() + within
        while (remaining := deadline - time.monotonic()) > 0:
            await self._sync(max(1, int(remaining * 1000)))
        for index in reversed(range(len(self.seen))):
            room, event = self.seen[index]
            if room == room_id and match(event):
                found.insert(0, event)
                del self.seen[index]
        return found

    async def wait_for_notice(
        self, room_id: str, sender: str, in_reply_to: str | None = None, within: float = 10.0
    ) -> RoomMessageNotice:
        event = await self.wait_for(room_id, notice_from(sender, in_reply_to), within)
        assert isinstance(event, RoomMessageNotice)
        return event

    async def ask(self, room_id: str, text: str, bot: str, within: float = 10.0) -> RoomMessageNotice:
        """Say `text` and wait for `bot`'s notice replying to it."""
        return await self.wait_for_notice(room_id, bot, await self.say(room_id, text), within)

    async def wait_for_membership(
        self, room_id: str, user_id: str, membership: str, within: float = 10.0
    ) -> RoomMemberEvent:
        def is_it(event: Event) -> bool:
            return (
                isinstance(event, RoomMemberEvent)
                and event.state_key == user_id
                and event.membership == membership
            )

        event = await self.wait_for(room_id, is_it, within)
        assert isinstance(event, RoomMemberEvent)
        return event

    async def _sync(self, timeout_ms: int) -> None:
        response = await self.client.sync(timeout=timeout_ms, sync_filter=SYNC_FILTER)
        assert isinstance(response, SyncResponse), response
        if self.encrypting:
            await self.keep_keys()
        for room_id, info in response.rooms.join.items():
            self.seen += [(room_id, event) for event in info.timeline.events]
        for room_id, left in response.rooms.leave.items():
            self.seen += [(room_id, event) for event in left.timeline.events]


    async def keep_keys(self) -> None:
        """What an encrypting client does after each sync."""
        client = self.client
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        await client.send_to_device_messages()


def notice_from(sender: str, in_reply_to: str | None = None) -> Callable[[Event], bool]:
    """Matches a notice from `sender` (replying to `in_reply_to`, when given)."""

    def is_it(event: Event) -> bool:
        if not isinstance(event, RoomMessageNotice) or event.sender != sender:
            return False
        if in_reply_to is None:
            return True
        relation = event.source["content"].get("m.relates_to", {})
        return relation.get("m.in_reply_to", {}).get("event_id") == in_reply_to

    return is_it


async def direct_chat(person: Person, bot: Account) -> str:
    """A direct chat `person` opens with the running bot (it joins by itself)."""
    room_id = await person.create_room([bot.user_id], direct=True)
    await person.wait_for_membership(room_id, bot.user_id, "join")
    return room_id


async def room_joined_beforehand(
    synapse: SynapseServer, owner: Person, bot: Account, *, direct: bool = False,
    name: str | None = None,
) -> str:
    """A room the bot joined before this run (no answers from it yet; its id can go into
    the config)."""
    room_id = await owner.create_room([bot.user_id], direct=direct, name=name)
    bot_as_person = Person(synapse, bot)
    try:
        await bot_as_person.join(room_id)
        if direct:
            await bot_as_person.mark_direct(owner.user_id, room_id)
    finally:
        await bot_as_person.close()
    return room_id


@pytest.fixture
def bot_account(synapse: SynapseServer) -> Account:
    """The bot's own Matrix account."""
    return synapse.register("irlfbot")


@pytest.fixture
async def alice(synapse: SynapseServer) -> AsyncIterator[Person]:
    person = Person(synapse, synapse.register("alice"))
    yield person
    await person.close()


async def encrypting_person(synapse: SynapseServer, store: Path, prefix: str) -> Person:
    """A new user whose client encrypts, its device keys already on the server."""
    person = Person(synapse, synapse.register(prefix), store=store)
    await person.catch_up()
    return person


@pytest.fixture
async def bob(synapse: SynapseServer) -> AsyncIterator[Person]:
    person = Person(synapse, synapse.register("bob"))
    yield person
    await person.close()


@pytest.fixture
async def carol(synapse: SynapseServer) -> AsyncIterator[Person]:
    """A third person, for rooms where two people and the bot must not be a direct chat."""
    person = Person(synapse, synapse.register("carol"))
    yield person
    await person.close()
