"""The Matrix encryption pieces offline: cross-signing keys, the identity file, holding
undecryptable messages, direct chats by m.direct. (End to end: tests/e2e/test_matrix_encryption.py.)"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from nio import MatrixRoom, MegolmEvent, RoomMessageText, UnknownToDeviceEvent
from nio.exceptions import EncryptionError

from bot.config import Config, ConfigError, MatrixSettings
from handlers.matrix_crypto import CrossSigningKeys, Encryption, IdentityFile
from handlers.matrix_direct import DirectChats
from tests.signatures import signed_by

ME = "@irlfbot:localhost"
ALICE = "@alice:localhost"


def verifies(obj: dict[str, Any], public: str) -> bool:
    return signed_by(obj, ME, public)


class TestCrossSigningKeys:
    def test_the_lower_keys_are_signed_by_the_master_key(self) -> None:
        keys = CrossSigningKeys.generate()
        body = keys.upload_body(ME)
        master = keys.public("master")
        assert body["master_key"]["keys"] == {f"ed25519:{master}": master}
        assert verifies(body["self_signing_key"], master)
        assert verifies(body["user_signing_key"], master)

    def test_a_device_signature_keeps_the_devices_own_and_survives_a_changed_field(self) -> None:
        keys = CrossSigningKeys.generate()
        device = {
            "user_id": ME, "device_id": "D", "keys": {"ed25519:D": "x"},
            "signatures": {ME: {"ed25519:D": "own"}}, "unsigned": {"device_display_name": "n"},
        }  # fmt: skip
        signed = keys.sign("self_signing", ME, device)
        assert signed["signatures"][ME]["ed25519:D"] == "own"
        assert verifies(signed, keys.public("self_signing"))
        assert not verifies({**signed, "device_id": "E"}, keys.public("self_signing"))


class TestIdentityFile:
    def test_seeds_come_back_only_with_the_same_pickle_key(self, tmp_path: Path) -> None:
        keys = CrossSigningKeys.generate()
        IdentityFile(tmp_path / "identity.json", "right").keep_cross_signing(keys)
        assert (tmp_path / "identity.json").stat().st_mode & 0o777 == 0o600
        assert IdentityFile(tmp_path / "identity.json", "right").cross_signing() == keys
        seed_text = base64.b64encode(keys.seeds["master"]).decode().rstrip("=")
        assert seed_text not in (tmp_path / "identity.json").read_text()
        with pytest.raises(ConfigError, match="MATRIX_PICKLE_KEY"):
            IdentityFile(tmp_path / "identity.json", "wrong").cross_signing()

    def test_the_password_device_is_kept_beside_the_seeds(self, tmp_path: Path) -> None:
        identity = IdentityFile(tmp_path / "identity.json", "k")
        assert identity.password_device() is None
        identity.keep_cross_signing(CrossSigningKeys.generate())
        identity.keep_password_device("IRLFBOT_A1B2C3")
        assert identity.password_device() == "IRLFBOT_A1B2C3"
        assert identity.cross_signing() is not None


class FakeClient:
    """nio's client as far as holding messages goes: decrypt_event fails until a key comes."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.to_device_callbacks: list[Any] = []

    def add_to_device_callback(self, callback: Any, kind: Any) -> None:
        self.to_device_callbacks.append(callback)

    def decrypt_event(self, event: MegolmEvent) -> RoomMessageText:
        if event.session_id not in self.keys:
            raise EncryptionError("no session")
        return RoomMessageText.from_dict({
            "event_id": event.event_id, "sender": event.sender, "origin_server_ts": 1,
            "type": "m.room.message", "content": {"msgtype": "m.text", "body": "decrypted"},
        })  # fmt: skip


def encryption(give_up: float) -> tuple[Encryption, FakeClient]:
    client = FakeClient()
    config = Config(matrix=MatrixSettings(user_id=ME, pickle_key="k"))
    return Encryption(client, config, give_up=give_up), client  # type: ignore[arg-type]


def megolm(event_id: str, session: str, sender: str = ALICE) -> MegolmEvent:
    event = MegolmEvent.from_dict({
        "event_id": event_id, "sender": sender, "origin_server_ts": 1, "type": "m.room.encrypted",
        "content": {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "c", "sender_key": "k",
                    "session_id": session, "device_id": "ALICEDEVICE"},
    })  # fmt: skip
    assert isinstance(event, MegolmEvent)
    return event


ROOM = MatrixRoom("!dm:localhost", ME)


class TestHeldMessages:
    def test_a_key_arriving_later_makes_the_message_readable(self) -> None:
        crypto, client = encryption(give_up=3600)
        crypto.hold(ROOM, megolm("$1", "s1"))
        assert crypto.retry() == ([], [])
        client.keys.add("s1")
        [(_, event)], lost = crypto.retry()
        assert event.event_id == "$1" and event.body == "decrypted" and lost == []
        assert crypto.retry() == ([], [])  # answered once

    def test_given_up_messages_are_reported_once_per_sender_and_session(self) -> None:
        crypto, _ = encryption(give_up=0)
        held = [megolm("$1", "s1"), megolm("$2", "s1"), megolm("$3", "s2"), megolm("$4", "s1", "@bob:x")]
        for event in held:
            crypto.hold(ROOM, event)
        readable, lost = crypto.retry()
        assert readable == []
        assert [e.event_id for _, e in lost] == ["$1", "$3", "$4"]
        crypto.hold(ROOM, megolm("$5", "s1"))
        assert crypto.retry() == ([], [])

    async def test_a_withheld_key_gives_up_at_once(self) -> None:
        crypto, client = encryption(give_up=3600)
        crypto.hold(ROOM, megolm("$1", "s1"))
        crypto.hold(ROOM, megolm("$2", "s2"))
        withheld = UnknownToDeviceEvent.from_dict({
            "sender": ALICE, "type": "m.room_key.withheld",
            "content": {"session_id": "s1", "code": "m.unverified", "algorithm": "m.megolm.v1.aes-sha2"},
        })  # fmt: skip
        await client.to_device_callbacks[0](withheld)
        _, lost = crypto.retry()
        assert [e.event_id for _, e in lost] == ["$1"]
        assert 0 < crypto.sync_timeout(30_000) <= 30_000  # "$2" still waits


class TestDirectChats:
    def test_changes_in_m_direct_name_the_rooms_whose_kind_changed(self) -> None:
        direct = DirectChats()
        assert direct.update({ALICE: ["!a", "!b"]}) == {"!a", "!b"}
        assert "!a" in direct
        assert direct.update({ALICE: ["!b"], "@bob:x": ["!c"]}) == {"!a", "!c"}
        assert "!a" not in direct

    def test_adding_a_room_gives_the_content_to_store_once(self) -> None:
        direct = DirectChats()
        direct.update({"@bob:x": ["!c"]})
        assert direct.add(ALICE, "!a") == {"@bob:x": ["!c"], ALICE: ["!a"]}
        assert direct.add(ALICE, "!a") is None
