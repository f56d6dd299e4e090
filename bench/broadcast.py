"""Broadcast pacing against a local fake Bot API that enforces Telegram's limits.

    .venv/bin/python bench/broadcast.py [--recipients 5000] [--rate 200]

The fake server (127.0.0.1, this file with --serve) answers 429 with retry_after when a
request would exceed its overall rate (a sliding one-second window, at 1.2 x the bot's
configured rate — as Telegram's ~30/s stands to our default 25/s) or one message per
second to one chat, and counts every delivery. A real `irlf-bot run` sends one broadcast
to N recipients; then the same again with a `kill -9` at half way and a restart.
Prints achieved rate / configured limit, 429s, duplicates and losses. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "123456:BENCH-not-a-real-token"


class FakeBotApi(BaseHTTPRequestHandler):
    """Just enough of the Bot API for python-telegram-bot, with Telegram's limits."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real Bot API
    limit_per_second = 30.0
    lock = threading.Lock()
    window: ClassVar[deque[float]] = deque()
    last_per_chat: ClassVar[dict[str, float]] = {}
    delivered: ClassVar[Counter[str]] = Counter()
    accepted_at: ClassVar[list[float]] = []
    too_many = 0

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # headers and body leave in two writes: without this, Nagle and delayed ACKs add 40 ms
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            params = json.loads(raw) if raw.startswith(b"{") else {}
        except ValueError:
            params = {}
        if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            from urllib.parse import parse_qsl

            params = dict(parse_qsl(raw.decode()))
        self.answer(*self.handle_method(method, params))

    def handle_method(self, method: str, params: dict) -> tuple[int, dict]:
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Bench",
                                                "username": "bench_bot"}}
        if method == "getUpdates":
            time.sleep(0.5)
            return 200, {"ok": True, "result": []}
        if method == "stats":
            with self.lock:
                return 200, {"delivered": dict(self.delivered), "too_many": self.too_many,
                             "accepted_at": self.accepted_at}
        if method != "sendMessage":
            return 200, {"ok": True, "result": True}
        chat = str(params.get("chat_id"))
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
            self.accepted_at.append(now)
        message = {"message_id": sum(self.delivered.values()), "date": int(time.time()),
                   "chat": {"id": int(chat), "type": "private"}, "text": params.get("text", "")}
        return 200, {"ok": True, "result": message}

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST


def serve(port: int, limit: float) -> None:
    FakeBotApi.limit_per_second = limit
    ThreadingHTTPServer(("127.0.0.1", port), FakeBotApi).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/bot{TOKEN}/stats", timeout=10) as r:
        return json.loads(r.read())


async def seed(db: Path, count: int) -> list[str]:
    from bot.messages import ChatRef
    from bot.storage import Storage

    storage = await Storage.open(db)
    chats = [str(10_000_000 + n) for n in range(count)]
    now = datetime.now(UTC)
    for chat in chats:
        await storage.remember_chat(ChatRef("telegram", chat), True, now)
    await storage.close()
    return chats


def start_bot(env: dict[str, str], config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "-c", str(config), "run"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def run_case(label: str, recipients: int, rate: float, kill_at_half: bool) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port),
                               "--limit", str(rate * 1.2)])
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        config = Path(tmp) / "config.toml"
        config.write_text(
            f'log_level = "WARNING"\n[broadcast]\ntelegram_rate = {rate}\n'
            "telegram_per_chat_interval = 1.0\n",
            encoding="utf-8",
        )
        chats = asyncio.run(seed(db, recipients))
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "IRLF_DB": str(db),
               "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot"}
        time.sleep(0.5)
        subprocess.run([sys.executable, "-m", "bot.cli", "-c", str(config), "broadcast",
                        "--text-pl", "Drzwi otwieramy o 13:30", "--to", "telegram", "--yes"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        bot = start_bot(env, config)
        killed_after = None
        deadline = time.monotonic() + recipients / rate * 3 + 60
        restarted = False
        while time.monotonic() < deadline:
            time.sleep(0.25)
            done = sum(server_stats(port)["delivered"].values())
            if kill_at_half and not restarted and done >= recipients // 2:
                bot.send_signal(signal.SIGKILL)
                bot.wait()
                killed_after = done
                bot = start_bot(env, config)
                restarted = True
            if done >= recipients and (not kill_at_half or restarted):
                time.sleep(1.0)  # let any duplicate in flight land before counting
                break
        bot.terminate()
        bot.wait(timeout=20)
        stats = server_stats(port)
        server.terminate()
    delivered = Counter({k: v for k, v in stats["delivered"].items()})
    lost = sum(1 for c in chats if delivered.get(c, 0) == 0)
    duplicates = sum(n - 1 for c, n in delivered.items() if c in set(chats) and n > 1)
    times = sorted(stats["accepted_at"])
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    # the restart's start-up pause is not sending time: measure the rate in each run
    achieved = (len(times) - 1) / span if span else 0.0
    if kill_at_half and killed_after:
        gaps = [b - a for a, b in itertools.pairwise(times)]
        pause = max(gaps) if gaps else 0.0
        achieved = (len(times) - 2) / (span - pause) if span > pause else achieved
    print(f"{label}: {recipients} recipients, configured {rate:.0f}/s, server limit "
          f"{rate * 1.2:.0f}/s")
    print(f"  achieved {achieved:.1f}/s = {achieved / rate:.1%} of the configured limit; "
          f"429s: {stats['too_many']}; lost: {lost}; duplicates: {duplicates}"
          + (f"; killed after {killed_after} deliveries, then restarted" if killed_after else ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--no-kill", action="store_true", help="skip the kill -9 run")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.limit)
        return
    run_case("straight run", args.recipients, args.rate, kill_at_half=False)
    if not args.no_kill:
        run_case("kill -9 at half way", args.recipients, args.rate, kill_at_half=True)


if __name__ == "__main__":
    main()
