"""telegram-test-api (npm 4.2.1) for the end-to-end tests: the server and a test user.

`telegram_emulator` starts telegram_emulator.js with node once per session, on a free
127.0.0.1 port. That launcher puts a small route shim in front of the emulator which fixes
the gaps python-telegram-bot 22 trips over; each fix is commented there. The shim also
records the Bot API calls it absorbed (sendVenue, sendDocument, setMyCommands, ...) and
every message it delivered (`TelegramSession.delivered`, without consuming it), answers
getChatMember with the status a test gave a group member (`TelegramSession.make_member`),
and has two switches: 403 for a chat, as for a user who blocked the bot (`block`), and a
run of 5xx answers, as from a Bot API in trouble (`fail_for`). Benchmarks queue a crowd's
messages in one request (`TelegramSession.crowd`). An `Emulator` of a test's own
(`Emulator.start(journal=...)`) can be stopped and started again on the same port with its
record of deliveries kept.

`telegram` gives each test its own bot token (the emulator keeps each bot's traffic apart)
and `TelegramUser`s who send messages, commands, stickers and button taps and read the
bot's replies through the emulator's client API.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import select
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["telegram", "telegram_emulator"]

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".peers" / "telegram" / "node_modules"
LAUNCHER = Path(__file__).with_suffix(".js")
BOT_ID = 666  # the emulator's getMe
BOT_USERNAME = "TestNameBot"

_user_ids = itertools.count(1001)


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent, as the emulator stored it."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    buttons: list[list[tuple[str, str]]]  # rows of (label, callback data)

    @property
    def payloads(self) -> list[str]:
        return [data for row in self.buttons for _, data in row]


@dataclass(frozen=True)
class Delivery:
    """One message the emulator accepted from the bot; `seq` orders them as they landed."""

    seq: int
    chat_id: int
    text: str


class EmulatorMissing(RuntimeError):
    """node or telegram-test-api is not installed, or the server did not start."""


class Emulator:
    """The running emulator (a node process): its URL and how to stop it."""

    def __init__(
        self, process: subprocess.Popen[str], url: str, journal: Path | None = None
    ) -> None:
        self.process = process
        self.url = url
        self.base_url = f"{url}/bot"  # TELEGRAM_BASE_URL / telegram.base_url
        self.journal = journal

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @classmethod
    def start(cls, *, port: int | None = None, journal: Path | None = None) -> Emulator:
        """Start telegram_emulator.js on 127.0.0.1 (a free port unless `port`), keeping its
        record of delivered messages in `journal` if given; wait until it listens."""
        node = shutil.which("node")
        if node is None:
            raise EmulatorMissing(
                "node is not installed; the Telegram end-to-end tests need Node.js >= 18 "
                "(e.g. `apt-get install nodejs npm`), then `make peers`"
            )
        if not (NODE_MODULES / "telegram-test-api" / "package.json").exists():
            raise EmulatorMissing(
                f"telegram-test-api is not installed in {NODE_MODULES.parent}; run `make peers`"
            )
        options = [*(["--port", str(port)] if port else []),
                   *(["--journal", str(journal)] if journal else [])]
        process = subprocess.Popen(
            [node, str(LAUNCHER), str(NODE_MODULES), *options], stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 15)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("listening "):
            process.kill()
            raise EmulatorMissing(f"telegram-test-api did not start (said {line!r}); see stderr")
        return cls(process, f"http://127.0.0.1:{int(line.split()[1])}", journal)

    def restart(self) -> Emulator:
        """The same emulator back on the same port (and journal) after `stop`."""
        return Emulator.start(port=self.port, journal=self.journal)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class TelegramSession:
    """One test's view of the emulator: a bot token of its own and users who talk to it."""

    def __init__(self, emulator: Emulator, token: str, http: httpx.AsyncClient) -> None:
        self.emulator = emulator
        self.token = token
        self.http = http

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    def user(
        self,
        *,
        language: str | None = "pl",
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ania",
    ) -> TelegramUser:
        """A user; with `chat_id` and `chat_type` 'group' they write in that group."""
        return TelegramUser(self, next(_user_ids), language, chat_id, chat_type, first_name)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        # JSON with \u escapes, as a custom client may send a lone surrogate (httpx's own
        # encoder writes UTF-8, which cannot hold one).
        response = await self.http.post(
            f"{self.emulator.url}{path}", content=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        return response.json()

    async def absorbed(self, method: str | None = None) -> list[dict[str, Any]]:
        """Parameters of the Bot API calls the shim answered itself (sendVenue, ...)."""
        response = await self.http.get(
            f"{self.emulator.url}/_shim/absorbed", params={"token": self.token}
        )
        calls = response.json()
        return [c["params"] for c in calls if method is None or c["method"] == method]

    async def make_member(self, user: TelegramUser, status: str) -> None:
        """From now on getChatMember says `user` is `status` ("creator", "administrator",
        "member"...) in their group."""
        body = {"token": self.token, "chat_id": str(user.chat_id), "user_id": str(user.id),
                "status": status}
        await self.post("/_shim/member", body)

    async def crowd(self, messages: list[dict[str, Any]]) -> float:
        """Queue many users' messages (`TelegramUser.typed`) at once, in order; return the
        emulator's time stamp of their arrival (seconds)."""
        answer = await self.post("/_shim/crowd", {"messages": messages})
        return answer["time"] / 1000

    async def block(self, chat_id: int) -> None:
        """From now on the Bot API answers 403 'blocked by the user' for this chat."""
        await self.post("/_shim/block", {"token": self.token, "chat_id": str(chat_id)})

    async def fail_for(
        self, seconds: float, *, status: int = 502, methods: list[str] | None = None
    ) -> None:
        """For `seconds` the Bot API answers `status` to `methods` (default: every one)."""
        body: dict[str, Any] = {"token": self.token, "status": status, "seconds": seconds}
        if methods is not None:
            body["methods"] = methods
        await self.post("/_shim/fail", body)

    async def delivered(self) -> list[Delivery]:
        """Every message the bot has sent so far (sendMessage), in the order they landed."""
        response = await self.http.get(
            f"{self.emulator.url}/_shim/sent", params={"token": self.token}
        )
        response.raise_for_status()
        return [Delivery(m["seq"], int(m["chat_id"]), m["text"] or "") for m in response.json()]


class TelegramUser:
    """A person in a Telegram chat with the bot, driven through the emulator's client API."""

    def __init__(
        self,
        session: TelegramSession,
        user_id: int,
        language: str | None,
        chat_id: int | None,
        chat_type: str,
        first_name: str,
    ) -> None:
        self.session = session
        self.id = user_id
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat_type = chat_type
        self.sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language:
            self.sender["language_code"] = language
        self._message_ids = itertools.count(1)

    @property
    def chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": self.chat_type}
        if self.chat_type == "private":
            chat["first_name"] = self.sender["first_name"]
        else:
            chat["title"] = "IRLF partners"
        return chat

    def _message(self, **fields: Any) -> dict[str, Any]:
        return {
            "botToken": self.session.token,
            "from": self.sender,
            "chat": self.chat,
            "date": int(time.time()),
            **fields,
        }

    async def send(self, text: str, *, reply_to: BotMessage | None = None) -> None:
        """Type `text`; a leading /command and @mentions get entities, as Telegram adds."""
        message = self.typed(text)
        if reply_to is not None:
            message["reply_to_message"] = self._bot_message(reply_to)
        route = "/sendCommand" if text.startswith("/") else "/sendMessage"
        await self.session.post(route, message)

    def typed(self, text: str) -> dict[str, Any]:
        """The message the user sends when they type `text` (with Telegram's entities)."""
        entities = [
            {"type": "mention", "offset": word.start, "length": len(word.text)}
            for word in _words(text)
            if word.text.startswith("@")
        ]
        if text.startswith("/"):
            entities.insert(0, {"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        return self._message(text=text, entities=entities)

    async def send_sticker(self) -> None:
        """Send a sticker (a message without text)."""
        sticker = {
            "file_id": f"sticker-{secrets.token_hex(4)}",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        await self.session.post("/sendMessage", self._message(sticker=sticker))

    async def send_photo(self) -> None:
        """Send a photo without a caption."""
        photo = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 90}]
        await self.session.post("/sendMessage", self._message(photo=photo))

    async def tap(self, message: BotMessage, payload: str) -> None:
        """Tap the inline button with callback data `payload` under the bot's `message`."""
        assert payload in message.payloads, f"no button {payload!r} in {message.buttons}"
        query = {
            "botToken": self.session.token,
            "from": self.sender,
            "message": self._bot_message(message),
            "data": payload,
        }
        await self.session.post("/sendCallback", query)

    def _bot_message(self, message: BotMessage) -> dict[str, Any]:
        return {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot", "username": BOT_USERNAME},
            "text": message.text,
        }

    async def replies(
        self, count: int = 1, *, within: float = 5.0, quiet: float = 0.0, poll: float = 0.005
    ) -> list[BotMessage]:
        """Wait for `count` new bot messages in this chat, then `quiet` seconds for extras."""
        received: list[BotMessage] = []
        deadline = time.monotonic() + within
        while len(received) < count:
            if time.monotonic() > deadline:
                texts = [m.text for m in received]
                raise AssertionError(f"expected {count} replies in {within} s, got {texts}")
            received += await self._fetch()
            if len(received) < count:
                await asyncio.sleep(poll)
        if quiet:
            await asyncio.sleep(quiet)
            received += await self._fetch()
        return received

    async def reply(self, *, within: float = 5.0) -> BotMessage:
        """The one next bot message in this chat."""
        (message,) = await self.replies(1, within=within)
        return message

    async def _fetch(self) -> list[BotMessage]:
        body = {"token": self.session.token, "chatId": self.chat_id}
        stored = (await self.session.post("/getUpdates", body))["result"]
        return [_bot_message_from(item) for item in stored]


@dataclass(frozen=True)
class _Word:
    start: int
    text: str


def _words(text: str) -> Iterator[_Word]:
    start = 0
    for word in text.split(" "):
        if word:
            yield _Word(start, word.rstrip(",.:;?!"))
        start += len(word) + 1


def _bot_message_from(item: dict[str, Any]) -> BotMessage:
    message = item["message"]
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", [])
    return BotMessage(
        message_id=item["messageId"],
        chat_id=int(message["chat_id"]),
        text=message.get("text", ""),
        parse_mode=message.get("parse_mode"),
        buttons=[[(b["text"], b["callback_data"]) for b in row] for row in rows],
    )


@pytest.fixture(scope="session")
def telegram_emulator() -> Iterator[Emulator]:
    """telegram-test-api with the compatibility shim, on 127.0.0.1 for the whole session."""
    try:
        emulator = Emulator.start()
    except EmulatorMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield emulator
    finally:
        emulator.stop()


def new_token() -> str:
    """A bot token of the Bot API's shape; each test has its own bot on the emulator."""
    return f"{secrets.randbelow(10**9) + 10**9}:TEST-{secrets.token_hex(12)}"


@pytest.fixture
async def telegram(telegram_emulator: Emulator) -> AsyncIterator[TelegramSession]:
    """A fresh bot token on the emulator, and its users."""
    async with httpx.AsyncClient(timeout=10) as http:
        yield TelegramSession(telegram_emulator, new_token(), http)
