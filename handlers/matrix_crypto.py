"""End-to-end encryption for the Matrix adapter, on matrix-nio's own stack (vodozemac).

- The store: nio's SqliteStore in a folder beside the database (`Config.matrix_store`,
  mode 0700), its keys pickled with MATRIX_PICKLE_KEY. The folder also holds
  `identity.json` (0600): the device id password logins use and the cross-signing seeds,
  encrypted (AES-GCM) with a key derived from the pickle key.
- Device ids: nio's keys belong to one device. A new store on a device whose keys the
  server already has cannot work (peers keep the old keys, one-time keys collide): with a
  password the bot takes a fresh device id and deletes the old device; with an access
  token it stops and says what to do.
- Cross-signing: Element's "exclude insecure devices" ignores devices their owner has not
  cross-signed, and matrix-nio has no cross-signing. At start the bot creates its master,
  self-signing and user-signing keys (ed25519), uploads them and signs its own device.
  Idempotent; a master key on the server that the store does not hold stops the start
  (unless `reset_cross_signing`). The password answers user-interactive auth when the
  server asks for it.
- After every sync: upload, query and claim keys as nio asks; send its to-device messages.
- A message that cannot be decrypted yet is held and retried after later syncs (its key
  may arrive late). After `give_up` seconds, or as soon as the sender withholds the key,
  the transport tells the sender, once per sender and megolm session.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from Crypto.Cipher import AES
from Crypto.Signature import eddsa
from nio import (
    AsyncClient,
    ErrorResponse,
    KeysQueryError,
    KeysUploadError,
    MatrixRoom,
    MegolmEvent,
    UnknownToDeviceEvent,
)
from nio.api import Api
from nio.events.room_events import Event
from nio.exceptions import EncryptionError
from nio.store import SqliteStore

from bot.config import Config, ConfigError

log = logging.getLogger(__name__)

IDENTITY_FILE = "identity.json"
# nio's own default, used (with a warning) when MATRIX_PICKLE_KEY is not set.
DEFAULT_PICKLE_KEY = "DEFAULT_KEY"
CLIENT_API = "/_matrix/client/v3"
WITHHELD = ("m.room_key.withheld", "org.matrix.room_key.withheld")
GIVE_UP = 15.0  # seconds an undecryptable message waits for its key
NOTIFIED_KEEP = 10_000


def client_options(config: Config) -> tuple[str, dict[str, Any]]:
    """The store path and AsyncClientConfig options for the configured encryption."""
    settings = config.matrix
    if not settings.encryption:
        return "", {"encryption_enabled": False}
    key = settings.pickle_key.get_secret_value() if settings.pickle_key else ""
    return str(config.matrix_store), {
        "encryption_enabled": True,
        "store": SqliteStore,
        "pickle_key": key or DEFAULT_PICKLE_KEY,
    }


async def call_api(
    client: AsyncClient, method: str, path: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """A client-server API call nio has no method for: (HTTP status, JSON answer)."""
    response = await client.send(
        method,
        CLIENT_API + path,
        json.dumps(body),
        headers={"Authorization": f"Bearer {client.access_token}", "Content-Type": "application/json"},
    )
    try:
        answer = await response.json(content_type=None)
    except ValueError:
        answer = {}
    return response.status, answer if isinstance(answer, dict) else {}


def unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


# --- cross-signing keys -------------------------------------------------------------------

USAGES = ("master", "self_signing", "user_signing")


@dataclass(frozen=True, slots=True)
class CrossSigningKeys:
    """The three ed25519 seeds of an account's cross-signing identity."""

    seeds: dict[str, bytes]  # usage -> 32-byte seed

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls({usage: secrets.token_bytes(32) for usage in USAGES})

    def public(self, usage: str) -> str:
        key = eddsa.import_private_key(self.seeds[usage])
        return unpadded_b64(key.public_key().export_key(format="raw"))

    def sign(self, usage: str, user_id: str, obj: dict[str, Any]) -> dict[str, Any]:
        """`obj` with this key's signature added (canonical JSON without signatures/unsigned)."""
        unsigned = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
        signer = eddsa.new(eddsa.import_private_key(self.seeds[usage]), "rfc8032")
        signature = unpadded_b64(signer.sign(Api.to_canonical_json(unsigned).encode()))
        signatures = {u: dict(s) for u, s in obj.get("signatures", {}).items()}
        signatures.setdefault(user_id, {})[f"ed25519:{self.public(usage)}"] = signature
        return {**unsigned, "signatures": signatures}

    def upload_body(self, user_id: str) -> dict[str, Any]:
        """The body of /keys/device_signing/upload: each key, the lower two signed by the master."""

        def key(usage: str) -> dict[str, Any]:
            public = self.public(usage)
            return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}

        return {
            "master_key": key("master"),
            "self_signing_key": self.sign("master", user_id, key("self_signing")),
            "user_signing_key": self.sign("master", user_id, key("user_signing")),
        }


class IdentityFile:
    """`identity.json` in the store: the password-login device id and the cross-signing
    seeds (encrypted with a key derived from the pickle key). Mode 0600."""

    def __init__(self, path: Path, pickle_key: str) -> None:
        self.path = path
        self._key = hashlib.sha256(b"irlf cross-signing\0" + pickle_key.encode()).digest()

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path}: unreadable ({exc})") from None
        return data if isinstance(data, dict) else {}

    def write(self, data: dict[str, Any]) -> None:
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, self.path)

    def cross_signing(self) -> CrossSigningKeys | None:
        sealed = self.read().get("cross_signing")
        if not isinstance(sealed, dict):
            return None
        try:
            cipher = AES.new(self._key, AES.MODE_GCM, nonce=_b64decode(sealed["nonce"]))
            plain = cipher.decrypt_and_verify(_b64decode(sealed["ciphertext"]), _b64decode(sealed["tag"]))
        except (KeyError, ValueError):
            raise ConfigError(
                f"{self.path}: the cross-signing keys cannot be decrypted: MATRIX_PICKLE_KEY is not "
                "the one the store was written with"
            ) from None
        seeds = json.loads(plain)
        return CrossSigningKeys({usage: _b64decode(seeds[usage]) for usage in USAGES})

    def keep_cross_signing(self, keys: CrossSigningKeys) -> None:
        plain = json.dumps({usage: unpadded_b64(seed) for usage, seed in keys.seeds.items()}).encode()
        cipher = AES.new(self._key, AES.MODE_GCM)
        ciphertext, tag = cipher.encrypt_and_digest(plain)
        sealed = {"nonce": unpadded_b64(cipher.nonce), "ciphertext": unpadded_b64(ciphertext),
                  "tag": unpadded_b64(tag)}  # fmt: skip
        self.write({**self.read(), "cross_signing": sealed})

    def password_device(self) -> str | None:
        device = self.read().get("password_device")
        return device if isinstance(device, str) else None

    def keep_password_device(self, device_id: str) -> None:
        self.write({**self.read(), "password_device": device_id})


# --- the encryption of one bot account ------------------------------------------------------


@dataclass(slots=True)
class Held:
    """A message that could not be decrypted yet."""

    room: MatrixRoom
    event: MegolmEvent
    since: float  # time.monotonic() when it arrived


class Encryption:
    """The bot's end-to-end encryption on one nio client (see the module docstring)."""

    def __init__(self, client: AsyncClient, config: Config, *, give_up: float = GIVE_UP) -> None:
        self.client = client
        self.settings = config.matrix
        self.store = config.matrix_store
        self.give_up = give_up
        self.password = self.settings.password.get_secret_value() if self.settings.password else None
        pickle_key = client_options(config)[1]["pickle_key"]
        if pickle_key == DEFAULT_PICKLE_KEY:
            log.warning("matrix: MATRIX_PICKLE_KEY is not set; the keys in %s are protected only "
                        "by the folder's permissions", self.store)  # fmt: skip
        self.identity = IdentityFile(self.store / IDENTITY_FILE, pickle_key)
        self._held: list[Held] = []
        self._withheld: set[str] = set()  # megolm session ids the senders will not share
        self._notified: OrderedDict[tuple[str, str], None] = OrderedDict()
        client.add_to_device_callback(self.on_to_device, UnknownToDeviceEvent)

    # logging in

    def _open_store(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        self.store.chmod(0o700)

    def _load_store(self) -> None:
        """Open nio's store for the client's device (after `restore_login` or `login`)."""
        try:
            self.client.load_store()
        except Exception as exc:  # vodozemac's pickle errors share no base class
            raise self._unopenable(exc) from None

    def _unopenable(self, exc: Exception) -> ConfigError:
        return ConfigError(
            f"the Matrix key store in {self.store} cannot be opened ({type(exc).__name__}): "
            "MATRIX_PICKLE_KEY is not the one it was written with"
        )

    async def restore(self, access_token: str, device_id: str) -> None:
        """Use an access token of `device_id`; stop if the server has keys this store lacks."""
        self._open_store()
        self.client.user_id = self.settings.user_id or self.client.user_id
        self.client.device_id = device_id
        self.client.access_token = access_token
        self._load_store()
        if await self._keys_elsewhere():
            raise ConfigError(
                f"the Matrix device {device_id} already has encryption keys on the server, but the "
                f"key store {self.store} is new (lost or moved?). Restore the store from the backup, "
                "or log in with MATRIX_PASSWORD instead of the token (the bot then takes a fresh "
                "device), or create an access token for a new device"
            )

    async def log_in(self, password: str, device_name: str, device_id: str) -> None:
        """Log in by password on the device the store belongs to; a fresh device if needed."""
        self._open_store()
        wanted = self.identity.password_device() or device_id
        await self._password_login(password, device_name, wanted)
        if not await self._keys_elsewhere():
            return
        fresh = f"{device_id}_{secrets.token_hex(3).upper()}"
        log.warning("matrix: device %s has keys on the server that the new store %s lacks; "
                    "moving to the fresh device %s", wanted, self.store, fresh)  # fmt: skip
        stale = Path(self.client.store.database_path) if self.client.store else None
        self.client.store, self.client.olm = None, None
        if stale is not None:
            stale.unlink(missing_ok=True)  # created just now, holds nothing
        await self._password_login(password, device_name, fresh)
        self.identity.keep_password_device(fresh)
        status, body = await self._request_with_password("POST", "/delete_devices", {"devices": [wanted]})
        if status == 200:
            log.info("matrix: deleted the old device %s", wanted)
        else:
            log.warning("matrix: could not delete the old device %s: %s %s", wanted, status, body)

    async def _password_login(self, password: str, device_name: str, device_id: str) -> None:
        self.client.device_id = device_id
        try:
            response = await self.client.login(password, device_name=device_name)
        except (aiohttp.ClientError, TimeoutError):
            raise
        except Exception as exc:  # nio opens the store while it handles the answer
            raise self._unopenable(exc) from None
        if isinstance(response, ErrorResponse):
            raise ConfigError(f"Matrix login as {self.client.user} failed: {response}")
        self._load_store()

    async def _keys_elsewhere(self) -> bool:
        """A new store (keys never uploaded) on a device the server has keys for."""
        assert self.client.olm is not None
        if self.client.olm.account.shared:
            return False
        own = await self._own_keys()
        return self.client.device_id in own.get("device_keys", {}).get(self.client.user_id, {})

    # start: device keys and cross-signing

    async def prepare(self) -> None:
        """Upload the device keys if new, then make sure the device is cross-signed."""
        if self.client.should_upload_keys:
            uploaded = await self.client.keys_upload()
            if isinstance(uploaded, KeysUploadError):
                raise ConfigError(f"the homeserver refused the bot's device keys: {uploaded}")
        await self.cross_sign()

    async def cross_sign(self) -> None:
        """Create the account's cross-signing keys if it has none; sign this device."""
        user_id, device_id = self.client.user_id, self.client.device_id
        own = await self._own_keys()
        keys = self.identity.cross_signing()
        on_server = _first_key(own.get("master_keys", {}).get(user_id))
        if on_server is None:
            keys = await self._publish_cross_signing(replacing=None)
        elif (keys is None or keys.public("master") != on_server) and self.settings.reset_cross_signing:
            keys = await self._publish_cross_signing(replacing=on_server)
        elif keys is None or keys.public("master") != on_server:
            raise ConfigError(
                f"the Matrix account {user_id} already has a cross-signing identity (master key "
                f"{on_server[:8]}…) that the key store {self.store} does not hold (lost store, or set "
                "up by another client). Restore the store from the backup; or, to give the bot a new "
                "identity, start it once with MATRIX_PASSWORD and `reset_cross_signing = true` in "
                "[matrix] (partners who verified the bot will see that its identity changed)"
            )
        device = own.get("device_keys", {}).get(user_id, {}).get(device_id)
        if device is None:
            own = await self._own_keys()
            device = own.get("device_keys", {}).get(user_id, {}).get(device_id)
        if device is None:
            raise ConfigError(f"the homeserver has no keys for the bot's device {device_id}")
        signer = f"ed25519:{keys.public('self_signing')}"
        if signer in device.get("signatures", {}).get(user_id, {}):
            return
        signed = keys.sign("self_signing", user_id, device)
        status, body = await self._request("POST", "/keys/signatures/upload", {user_id: {device_id: signed}})
        if status != 200 or body.get("failures"):
            raise ConfigError(f"the homeserver refused the bot's device signature: {status} {body}")
        log.info("matrix: device %s cross-signed", device_id)

    async def _publish_cross_signing(self, replacing: str | None) -> CrossSigningKeys:
        keys = CrossSigningKeys.generate()
        self.identity.keep_cross_signing(keys)  # first: keys on the server must never be lost
        body = keys.upload_body(self.client.user_id)
        status, answer = await self._request_with_password("POST", "/keys/device_signing/upload", body)
        if status == 401:
            raise ConfigError(
                "the homeserver asks for the account password to set up the bot's cross-signing: "
                "start it once with MATRIX_PASSWORD set"
            )
        if status != 200:
            raise ConfigError(f"the homeserver refused the cross-signing keys: {status} {answer}")
        if replacing:
            log.warning("matrix: replaced the cross-signing identity %s… with %s…",
                        replacing[:8], keys.public("master")[:8])  # fmt: skip
        else:
            log.info("matrix: cross-signing set up (master key %s…)", keys.public("master")[:8])
        return keys

    async def _own_keys(self) -> dict[str, Any]:
        status, body = await self._request("POST", "/keys/query", {"device_keys": {self.client.user_id: []}})
        if status != 200:
            raise ConfigError(f"the homeserver did not list the bot's keys: {status} {body}")
        return body

    async def _request(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return await call_api(self.client, method, path, body)

    async def _request_with_password(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """A request behind user-interactive auth: answered with the password when asked."""
        status, answer = await self._request(method, path, body)
        if status != 401 or "flows" not in answer or not self.password:
            return status, answer
        auth = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": self.client.user_id},
            "password": self.password,
            "session": answer.get("session"),
        }
        return await self._request(method, path, {**body, "auth": auth})

    # after every sync

    async def after_sync(self) -> None:
        """Upload, query and claim keys as nio asks; send its to-device messages."""
        client = self.client
        try:
            if client.should_upload_keys:
                await client.keys_upload()
            if client.should_query_keys:
                queried = await client.keys_query()
                if isinstance(queried, KeysQueryError):
                    log.warning("matrix: key query failed: %s", queried)
            if client.should_claim_keys:
                await client.keys_claim(client.get_users_for_key_claiming())
            await client.send_to_device_messages()
        except Exception as exc:  # retried after the next sync; answering goes on
            log.warning("matrix: key maintenance failed (%s: %s)", type(exc).__name__, exc)

    # messages that could not be decrypted

    async def on_to_device(self, event: UnknownToDeviceEvent) -> None:
        """Note a sender withholding a room key from us: its messages will stay unreadable."""
        if event.type in WITHHELD:
            session_id = event.source.get("content", {}).get("session_id")
            if isinstance(session_id, str):
                self._withheld.add(session_id)

    def hold(self, room: MatrixRoom, event: MegolmEvent) -> None:
        self._held.append(Held(room, event, time.monotonic()))

    def retry(self) -> tuple[list[tuple[MatrixRoom, Event]], list[tuple[MatrixRoom, MegolmEvent]]]:
        """Messages readable now, and those given up on (each sender and session once)."""
        now = time.monotonic()
        readable: list[tuple[MatrixRoom, Event]] = []
        lost: list[tuple[MatrixRoom, MegolmEvent]] = []
        waiting: list[Held] = []
        for held in self._held:
            try:
                readable.append((held.room, self.client.decrypt_event(held.event)))
                continue
            except EncryptionError:
                pass
            if held.event.session_id not in self._withheld and now - held.since < self.give_up:
                waiting.append(held)
            elif self._first_notice(held.event):
                lost.append((held.room, held.event))
        self._held = waiting
        return readable, lost

    def _first_notice(self, event: MegolmEvent) -> bool:
        key = (event.sender, event.session_id or "")
        if key in self._notified:
            return False
        self._notified[key] = None
        while len(self._notified) > NOTIFIED_KEEP:
            self._notified.popitem(last=False)
        return True

    def sync_timeout(self, longest_ms: int) -> int:
        """How long the next sync may wait: until the first held message is due to give up."""
        if not self._held:
            return longest_ms
        due = min(h.since for h in self._held) + self.give_up - time.monotonic()
        return max(0, min(longest_ms, int(due * 1000) + 50))


def _first_key(key_object: Any) -> str | None:
    if not isinstance(key_object, dict):
        return None
    keys = key_object.get("keys")
    return next(iter(keys.values()), None) if isinstance(keys, dict) else None
