"""Delivery under load: a real `irlf-bot run` against local fakes that enforce the limits.

    .venv/bin/python bench/broadcast.py [--recipients 5000] [--rate 200] [--no-kill]

The fakes run as subprocesses of this file on 127.0.0.1:
- a Bot API that answers 429 (retry_after) when a message would exceed its overall rate
  (a sliding one-second window at 1.2 x the bot's bulk rate — as Telegram's ~30/s stands
  to our default 25/s) or one message per second to one chat, counts every delivery, and
  long-polls getUpdates with the questions this bench asks;
- a Matrix homeserver that keeps one event per transaction id (as Synapse does) and
  counts what it got.

Cases:
1. a broadcast to N Telegram recipients, with questions asked while it goes: the rate
   achieved, 429s, lost, duplicates, and how long the questions waited (p50/p99);
2. the same with `kill -9` at half way and a restart;
3. the 7-day reminder to N Telegram subscribers alone, then with N Matrix subscribers
   at the default Matrix rate (0.5/s): when the Telegram subscribers are done;
4. that mixed reminder with `kill -9` at half way.
Telegram's rates are the defaults scaled up (bulk --rate, overall 1.2 x), so a case takes
seconds, not minutes; Matrix keeps its default. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "123456:BENCH-not-a-real-token"
MATRIX_USER = "@bench:bench"
QUESTION = "kiedy jest forum"
REMINDER_TIME = "2026-09-03T14:00:05+02:00"  # just after the 7-day reminder fell due
SUBSCRIBED = datetime(2026, 8, 1, tzinfo=UTC)
# The bot's overall rate stands to its bulk rate as the defaults do (28 to 25); the fake
# Bot API's limit is 1.2 x the bulk rate, as Telegram's ~30/s stands to 25.
OVERALL_PER_BULK = 28 / 25


class FakeServer(BaseHTTPRequestHandler):
    """JSON over HTTP/1.1 keep-alive, answers without Nagle's delay."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body leave in two writes: without this, Nagle and delayed ACKs add 40 ms
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def params(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        query = dict(parse_qsl(urlsplit(self.path).query))
        if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            return {**query, **dict(parse_qsl(raw.decode()))}
        try:
            return {**query, **(json.loads(raw) if raw.startswith(b"{") else {})}
        except ValueError:
            return query

    def answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeBotApi(FakeServer):
    """Just enough of the Bot API for python-telegram-bot, with Telegram's limits."""

    limit_per_second = 30.0
    lock = threading.Condition()
    window: ClassVar[deque[float]] = deque()
    last_per_chat: ClassVar[dict[str, float]] = {}
    delivered: ClassVar[Counter[str]] = Counter()
    accepted: ClassVar[list[tuple[float, str]]] = []
    updates: ClassVar[list[dict[str, Any]]] = []
    asked: ClassVar[dict[str, float]] = {}
    answered: ClassVar[dict[str, float]] = {}
    fetched: ClassVar[dict[str, float]] = {}  # when getUpdates first handed the question out
    too_many = 0

    def do_POST(self) -> None:
        method = urlsplit(self.path).path.rsplit("/", 1)[-1]
        self.answer(*self.handle_method(method, self.params()))

    do_GET = do_POST

    def handle_method(self, method: str, params: dict[str, Any]) -> tuple[int, object]:
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Bench",
                                                "username": "bench_bot"}}
        if method == "getUpdates":
            return 200, {"ok": True, "result": self.wait_for_updates(params)}
        if method == "ask":  # the bench's own: a user sends a question
            return 200, self.ask(str(params["chat"]), str(params["text"]))
        if method == "progress":
            with self.lock:
                return 200, {"delivered": sum(self.delivered.values()), "chats": len(self.delivered)}
        if method == "stats":
            with self.lock:
                return 200, {"delivered": dict(self.delivered), "too_many": self.too_many,
                             "accepted": self.accepted, "asked": self.asked,
                             "answered": self.answered, "fetched": self.fetched}
        if method != "sendMessage":
            return 200, {"ok": True, "result": True}
        if "chat_id" not in params:  # a request cut off by a kill -9
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request"}
        return self.send_message(str(params.get("chat_id")), str(params.get("text", "")))

    def wait_for_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 10.0)
        with self.lock:
            FakeBotApi.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.lock.wait_for(lambda: bool(self.updates), timeout)
            now = time.monotonic()
            for update in self.updates:
                self.fetched.setdefault(str(update["message"]["chat"]["id"]), now)
            return list(self.updates)

    def ask(self, chat: str, text: str) -> dict[str, Any]:
        with self.lock:
            update_id = len(self.asked) + 1
            user = {"id": int(chat), "is_bot": False, "first_name": "Guest", "language_code": "pl"}
            self.updates.append({"update_id": update_id, "message": {
                "message_id": update_id, "date": int(time.time()), "text": text, "from": user,
                "chat": {"id": int(chat), "type": "private", "first_name": "Guest"},
            }})
            self.asked[chat] = time.monotonic()
            self.lock.notify_all()
        return {"ok": True}

    def send_message(self, chat: str, text: str) -> tuple[int, object]:
        now = time.monotonic()
        with self.lock:
            while self.window and now - self.window[0] >= 1.0:
                self.window.popleft()
            last = self.last_per_chat.get(chat)
            if len(self.window) >= self.limit_per_second or (last and now - last < 1.0):
                FakeBotApi.too_many += 1
                return 429, {"ok": False, "error_code": 429,
                             "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}
            self.window.append(now)
            self.last_per_chat[chat] = now
            self.delivered[chat] += 1
            self.accepted.append((now, chat))
            if chat in self.asked:
                self.answered.setdefault(chat, now)
            message_id = len(self.accepted)
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": {"id": int(chat), "type": "private"}, "text": text}
        return 200, {"ok": True, "result": message}


class FakeHomeserver(FakeServer):
    """Just enough of the Matrix client API for matrix-nio to log in, sync and send."""

    lock = threading.Lock()
    rooms = 0  # the bot's direct chats: !r0:bench ... (its m.direct)
    events: ClassVar[dict[str, str]] = {}  # transaction id -> room: one event per transaction
    accepted: ClassVar[list[tuple[float, str]]] = []
    attempts = 0

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.endswith("/account/whoami"):
            self.answer(200, {"user_id": MATRIX_USER, "device_id": "BENCH"})
        elif path.endswith("/displayname"):
            self.answer(200, {"displayname": "IRLF Assistant"})
        elif path.endswith("/sync"):
            timeout = int(self.params().get("timeout") or 0)
            time.sleep(min(timeout / 1000, 1.0))
            direct = {"type": "m.direct", "content": {"@guest:bench": room_ids(self.rooms)}}
            self.answer(200, {"next_batch": "s1", "rooms": {"join": {}, "invite": {}, "leave": {}},
                              "account_data": {"events": [direct]}})
        elif path.endswith("/stats"):
            with self.lock:
                self.answer(200, {"events": self.events, "attempts": self.attempts,
                                  "accepted": self.accepted})
        else:
            self.answer(200, {})

    def do_PUT(self) -> None:
        path = urlsplit(self.path).path
        self.params()
        if "/send/" not in path:
            self.answer(200, {})
            return
        room, txn = path.split("/rooms/", 1)[1].split("/")[0], path.rsplit("/", 1)[-1]
        with self.lock:
            FakeHomeserver.attempts += 1
            if txn not in self.events:
                self.events[txn] = room
                self.accepted.append((time.monotonic(), room))
        self.answer(200, {"event_id": f"${txn}"})

    def do_POST(self) -> None:
        self.params()
        self.answer(200, {})


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed bot hung up
            super().handle_error(request, client_address)


def room_ids(count: int) -> list[str]:
    return [f"!r{n}:bench" for n in range(count)]


def serve(kind: str, port: int, limit: float, rooms: int) -> None:
    FakeBotApi.limit_per_second = limit
    FakeHomeserver.rooms = rooms
    handler = FakeBotApi if kind == "telegram" else FakeHomeserver
    QuietServer(("127.0.0.1", port), handler).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, **params: object) -> Any:
    data = json.dumps(params).encode() if params else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


async def seed(db: Path, telegram: int, matrix: int, *, reminders: bool) -> tuple[list[str], list[str]]:
    """Chats that talked to the bot (and subscribed to reminders), in one transaction."""
    from bot.messages import ChatRef
    from bot.storage import Storage

    chats = [str(10_000_000 + n) for n in range(telegram)], room_ids(matrix)
    storage = await Storage.open(db)
    try:
        async with storage.transaction():
            for transport, ids in zip(("telegram", "matrix"), chats, strict=True):
                for chat in ids:
                    await storage.remember_chat(ChatRef(transport, chat), True, SUBSCRIBED)
                    if reminders:
                        await storage.set_reminders(ChatRef(transport, chat), True, SUBSCRIBED)
    finally:
        await storage.close()
    return chats


class Bench:
    """The fakes, a database and the bot for one case."""

    def __init__(self, folder: Path, rate: float, matrix_rooms: int = 0) -> None:
        self.folder = folder
        self.rate = rate
        self.db = folder / "bench.db"
        self.tg_port, self.mx_port = free_port(), free_port()
        self.servers = [
            subprocess.Popen([sys.executable, __file__, "--serve", kind, str(port),
                              "--limit", str(rate * 1.2), "--rooms", str(matrix_rooms)])
            for kind, port in (("telegram", self.tg_port), ("matrix", self.mx_port))
        ]
        self.config = folder / "config.toml"
        self.config.write_text(
            f'log_level = "WARNING"\n[broadcast]\ntelegram_rate = {rate}\n'
            f"telegram_overall_rate = {rate * OVERALL_PER_BULK}\ntelegram_per_chat_interval = 1.0\n"
            "[matrix]\nencryption = false\n",  # the fake homeserver keeps no keys
            encoding="utf-8",
        )
        self.env = {
            **os.environ, "IRLF_DB": str(self.db), "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": f"http://127.0.0.1:{self.tg_port}/bot",
        }
        self.bot: subprocess.Popen[bytes] | None = None
        time.sleep(0.5)

    def with_matrix(self) -> None:
        self.env |= {"MATRIX_HOMESERVER": f"http://127.0.0.1:{self.mx_port}",
                     "MATRIX_USER_ID": MATRIX_USER, "MATRIX_ACCESS_TOKEN": "bench"}

    def irlf_bot(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bot.cli", "-c", str(self.config), *args]

    def start(self, *args: str) -> None:
        self.bot = subprocess.Popen(self.irlf_bot("run", *args), cwd=ROOT, env=self.env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.bot is not None
        self.bot.send_signal(signal.SIGKILL)
        self.bot.wait()

    def telegram(self, method: str, **params: object) -> Any:
        return call(f"http://127.0.0.1:{self.tg_port}/bot{TOKEN}/{method}", **params)

    def matrix_stats(self) -> Any:
        return call(f"http://127.0.0.1:{self.mx_port}/_matrix/client/v3/stats")

    def wait(self, done: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            time.sleep(0.25)

    def close(self) -> None:
        if self.bot is not None:
            self.bot.terminate()
            self.bot.wait(timeout=20)
        for server in self.servers:
            server.terminate()


def delivered(bench: Bench) -> int:
    return int(bench.telegram("progress")["delivered"])


def telegram_figures(stats: dict[str, Any], chats: list[str]) -> str:
    counts = Counter(stats["delivered"])
    lost = sum(1 for c in chats if not counts.get(c))
    duplicates = sum(counts[c] - 1 for c in chats if counts.get(c, 0) > 1)
    return f"429s: {stats['too_many']}; lost: {lost}; duplicates: {duplicates}"


def sending_rate(times: list[float]) -> float:
    """Messages per second while sending: a restart, and the lease the messages in flight
    at a kill wait out, are not sending time."""
    gaps = [b - a for a, b in itertools.pairwise(sorted(times))]
    sending = [gap for gap in gaps if gap < 1.0]
    return len(sending) / sum(sending) if sending and sum(sending) else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def broadcast_case(recipients: int, rate: float, *, kill: bool, questions: int) -> None:
    label = "broadcast, kill -9 at half way" if kill else "broadcast"
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), rate)
        try:
            chats, _ = asyncio.run(seed(bench.db, recipients, 0, reminders=False))
            subprocess.run(bench.irlf_bot("broadcast", "--text-pl", "Drzwi otwieramy o 13:30",
                                          "--to", "telegram", "--yes"),
                           cwd=ROOT, env=bench.env, check=True, capture_output=True)
            bench.start()
            timeout = recipients / rate * 3 + 60
            bench.wait(lambda: delivered(bench) >= recipients // 10, timeout)
            for n in range(questions):  # guests ask while the broadcast goes out
                bench.telegram("ask", chat=str(90_000_000 + n), text=QUESTION)
                time.sleep(0.25)
            if kill:
                bench.wait(lambda: delivered(bench) >= recipients // 2, timeout)
                bench.kill()
                killed_after = delivered(bench)
                bench.start()
            bench.wait(lambda: delivered(bench) >= recipients + questions, timeout)
            time.sleep(1.0)  # let a duplicate in flight land before counting
            stats = bench.telegram("stats")
        finally:
            bench.close()
    times = [t for t, chat in stats["accepted"] if chat in set(chats)]
    achieved = sending_rate(times)
    waits = [stats["answered"][c] - t for c, t in stats["asked"].items() if c in stats["answered"]]
    print(f"{label}: {recipients} Telegram recipients, bulk rate {rate:.0f}/s (overall "
          f"{rate * OVERALL_PER_BULK:.0f}/s), server limit {rate * 1.2:.0f}/s")
    print(f"  achieved {achieved:.1f}/s = {achieved / rate:.1%} of the bulk rate; "
          + telegram_figures(stats, chats)
          + (f"; killed after {killed_after} deliveries, then restarted" if kill else ""))
    if waits:
        print(f"  {len(waits)} of {questions} questions asked during it answered; waited "
              f"p50 {statistics.median(waits) * 1000:.0f} ms, p99 {percentile(waits, 0.99) * 1000:.0f} ms, "
              f"max {max(waits) * 1000:.0f} ms")


def reminder_case(telegram: int, matrix: int, rate: float, *, kill: bool) -> float:
    """The 7-day reminder; returns the seconds the Telegram subscribers took."""
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), rate, matrix)
        try:
            if matrix:
                bench.with_matrix()
            tg_chats, _ = asyncio.run(seed(bench.db, telegram, matrix, reminders=True))
            rehearsal = ("--now", REMINDER_TIME, "--db", str(bench.db))
            bench.start(*rehearsal)
            timeout = telegram / rate * 3 + 60
            if kill:
                bench.wait(lambda: delivered(bench) >= telegram // 2, timeout)
                bench.kill()
                bench.start(*rehearsal)
            bench.wait(lambda: delivered(bench) >= telegram, timeout)
            time.sleep(1.0)
            stats = bench.telegram("stats")
            matrix_stats = bench.matrix_stats() if matrix else None
        finally:
            bench.close()
    times = sorted(t for t, _ in stats["accepted"])
    took = times[-1] - times[0] if times else 0.0
    label = f"reminder to {telegram} Telegram" + (f" + {matrix} Matrix" if matrix else "") + \
        " subscribers" + (", kill -9 at half way" if kill else "")
    print(f"{label}: Telegram done in {took:.1f} s ({sending_rate(times):.1f}/s); "
          + telegram_figures(stats, tg_chats))
    if matrix_stats:
        during = [t for t, _ in matrix_stats["accepted"] if times and t <= times[-1]]
        rooms = Counter(matrix_stats["events"].values())
        print(f"  Matrix meanwhile: {len(during)} sent at the default 0.5/s "
              f"({len(matrix_stats['events'])} in all, {matrix_stats['attempts']} attempts); "
              f"duplicates: {sum(n - 1 for n in rooms.values())}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="Telegram bulk rate")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--no-kill", action="store_true", help="skip the kill -9 runs")
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--rooms", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.limit, args.rooms)
        return
    n, rate = args.recipients, args.rate
    broadcast_case(n, rate, kill=False, questions=args.questions)
    if not args.no_kill:
        broadcast_case(n, rate, kill=True, questions=0)
    alone = reminder_case(n, 0, rate, kill=False)
    mixed = reminder_case(n, n, rate, kill=False)
    print(f"Telegram subscribers done with {n} Matrix subscribers beside them: "
          f"{mixed / alone:.2f} x the time alone")
    if not args.no_kill:
        reminder_case(n, n, rate, kill=True)


if __name__ == "__main__":
    main()
