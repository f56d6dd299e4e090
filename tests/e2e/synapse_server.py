"""A real Synapse on 127.0.0.1 for the end-to-end tests and the Matrix bench.

`make peers` installs matrix-synapse into its own virtualenv (.peers/synapse); this module
writes a homeserver.yaml into a temporary folder (SQLite, no federation, rate limits
raised, fast bcrypt), starts the server as a subprocess and waits until the client API
answers. Users are registered through the admin shared-secret API, which hands back an
access token at once, so no test ever logs in by password unless it means to.

The `synapse` fixture is one server per test session; `SynapseServer.stop()`/`start()`
take the same server (same port, same database) away and bring it back.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

__all__ = ["synapse"]  # the fixture conftest.py imports

REPO = Path(__file__).resolve().parents[2]
SYNAPSE_VENV = REPO / ".peers" / "synapse"
SYNAPSE_PYTHON = SYNAPSE_VENV / "bin" / "python"
SERVER_NAME = "localhost"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

# Every rate limit a test could hit, raised far out of reach. Synapse's defaults answer
# the 6th login with 429 and let a sender post 0.2 messages/s after a burst of 10.
_GENEROUS = {"per_second": 10_000, "burst_count": 10_000}
RATE_LIMITS: dict[str, object] = {
    "rc_message": _GENEROUS,
    "rc_registration": _GENEROUS,
    "rc_registration_token_validity": _GENEROUS,
    "rc_login": {"address": _GENEROUS, "account": _GENEROUS, "failed_attempts": _GENEROUS},
    "rc_admin_redaction": _GENEROUS,
    "rc_joins": {"local": _GENEROUS, "remote": _GENEROUS},
    "rc_joins_per_room": _GENEROUS,
    "rc_invites": {"per_room": _GENEROUS, "per_user": _GENEROUS, "per_issuer": _GENEROUS},
    "rc_third_party_invite": _GENEROUS,
    "rc_room_creation": _GENEROUS,
    "rc_profile": _GENEROUS,
    "rc_media_create": _GENEROUS,
    "rc_key_requests": _GENEROUS,
    "rc_presence": {"per_user": _GENEROUS},
    "rc_delayed_event_mgmt": _GENEROUS,
    "rc_reports": _GENEROUS,
    "rc_user_directory": _GENEROUS,
}


class SynapseError(RuntimeError):
    """Synapse could not be set up, started or asked to do something."""


@dataclass(frozen=True, slots=True)
class Account:
    """A registered Matrix user and a ready access token (one device)."""

    user_id: str
    password: str
    access_token: str
    device_id: str

    @property
    def localpart(self) -> str:
        return self.user_id[1:].partition(":")[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def homeserver_config(root: Path, port: int, shared_secret: str) -> str:
    """homeserver.yaml for a private test server: SQLite, one listener on 127.0.0.1.

    Written as JSON, which is YAML too, so no YAML library is needed on our side.
    """
    config = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(root / "homeserver.pid"),
        "report_stats": False,
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "signing_key_path": str(root / "signing.key"),
        "media_store_path": str(root / "media"),
        "database": {"name": "sqlite3", "args": {"database": str(root / "homeserver.db")}},
        "listeners": [
            {
                "port": port,
                "type": "http",
                "tls": False,
                "bind_addresses": ["127.0.0.1"],
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "bcrypt_rounds": 4,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "enable_metrics": False,
        "log_config": str(root / "log.yaml"),
        **RATE_LIMITS,
    }
    return json.dumps(config, indent=2)


LOG_CONFIG = """\
version: 1
formatters:
  plain:
    format: '%(asctime)s %(levelname)s %(name)s: %(message)s'
handlers:
  console:
    class: logging.StreamHandler
    formatter: plain
root:
  level: WARNING
  handlers: [console]
disable_existing_loggers: false
"""


class SynapseServer:
    """One Synapse process, with its folder, port and shared secret.

    `start()` is idempotent while it runs; `stop()` then `start()` brings back the same
    server (same port and database) — how tests take the homeserver away under a bot.
    """

    def __init__(self, root: Path, port: int | None = None) -> None:
        if not SYNAPSE_PYTHON.exists():
            raise SynapseError(f"Synapse is not installed ({SYNAPSE_PYTHON} is missing): run `make peers`")
        self.root = root
        self.port = port or free_port()
        self.shared_secret = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = root / "homeserver.yaml"
        self.log_path = root / "homeserver.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._write_config()

    def _write_config(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "log.yaml").write_text(LOG_CONFIG)
        self.config_path.write_text(homeserver_config(self.root, self.port, self.shared_secret))
        generated = subprocess.run(
            [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver",
             "--config-path", str(self.config_path), "--generate-keys"],
            cwd=self.root, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if generated.returncode != 0:
            raise SynapseError(f"synapse --generate-keys failed:\n{generated.stderr[-3000:]}")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until its client API answers."""
        if self.running:
            return
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver",
                 "--config-path", str(self.config_path)],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SynapseError(f"Synapse exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/_matrix/client/versions", timeout=1).is_success:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise SynapseError(f"Synapse did not answer within {START_TIMEOUT:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return "(no log)"

    def register(
        self, prefix: str = "user", *, admin: bool = False, displayname: str | None = None
    ) -> Account:
        """Register a fresh user (unique name from `prefix`) with the shared-secret API."""
        username = f"{prefix}{next(self._names)}_{secrets.token_hex(3)}"
        password = secrets.token_urlsafe(12)
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = httpx.get(endpoint, timeout=10).raise_for_status().json()["nonce"]
        role = "admin" if admin else "notadmin"
        message = "\x00".join((nonce, username, password, role)).encode()
        body: dict[str, object] = {
            "nonce": nonce,
            "username": username,
            "password": password,
            "admin": admin,
            "mac": hmac.new(self.shared_secret.encode(), message, hashlib.sha1).hexdigest(),
        }
        if displayname:
            body["displayname"] = displayname
        response = httpx.post(endpoint, json=body, timeout=30)
        if not response.is_success:
            raise SynapseError(f"register {username}: {response.status_code} {response.text}")
        data = response.json()
        return Account(data["user_id"], password, data["access_token"], data["device_id"])

    def login(self, account: Account, device_id: str | None = None) -> str:
        """A new access token for `account` by password login (optionally on a set device)."""
        body: dict[str, object] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": account.user_id},
            "password": account.password,
        }
        if device_id:
            body["device_id"] = device_id
        response = httpx.post(f"{self.url}/_matrix/client/v3/login", json=body, timeout=30)
        if not response.is_success:
            raise SynapseError(f"login {account.user_id}: {response.status_code} {response.text}")
        return str(response.json()["access_token"])

    def limit_messages(self, admin: Account, user_id: str, per_second: int, burst: int) -> None:
        """Give one user a tight message rate limit (admin API), to provoke M_LIMIT_EXCEEDED."""
        response = httpx.post(
            f"{self.url}/_synapse/admin/v1/users/{user_id}/override_ratelimit",
            json={"messages_per_second": per_second, "burst_count": burst},
            headers={"Authorization": f"Bearer {admin.access_token}"},
            timeout=10,
        )
        if not response.is_success:
            raise SynapseError(f"override_ratelimit: {response.status_code} {response.text}")


def start_synapse(root: Path) -> SynapseServer:
    """Set up and start a Synapse in `root`; the caller stops it."""
    server = SynapseServer(root)
    server.start()
    return server


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    """One real Synapse for the whole test session; a missing install fails the run."""
    if not SYNAPSE_PYTHON.exists():
        pytest.fail(
            f"Synapse is not installed ({SYNAPSE_PYTHON} is missing): run `make peers`",
            pytrace=False,
        )
    server = start_synapse(tmp_path_factory.mktemp("synapse"))
    try:
        yield server
    finally:
        server.stop()
