"""A crowd: 1,000 Telegram chats ask at once, through the emulator, to `irlf-bot run`.

    .venv/bin/python bench/crowd.py [--chats 1000] [--pacing raised|configured|both] [--log FILE]

Starts telegram-test-api (with the test shim, tests/e2e/telegram_emulator.js) and, for each
pacing, `irlf-bot run` as its own process pointed at it, exactly as an operator would.
After a warm-up question, every chat's question (from the labelled set in tests/data)
reaches the emulator at once, in one request to the shim, in a known order. Prints the
time from the questions' arrival to the last answer, the p50/p99 of each chat's wait for
its answer (emulator time stamps), and the CPU time of the bot process alone (from /proc)
per message.

- `raised`: the reply pacing raised out of reach (the emulator has no limit): the bot's
  own cost. Target: last answer within 5 s, at most 3 ms CPU per message.
- `configured`: the pacing of config.example.toml, as real Telegram needs it (about 30
  messages/s per bot). Also prints whether the first asked were the first answered.

Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.telegram_emulator import Emulator, TelegramSession, new_token  # noqa: E402

QUESTIONS = [q["text"] for q in tomllib.loads(
    (ROOT / "tests" / "data" / "questions.toml").read_text(encoding="utf-8"))["q"]]
# The outbox's Telegram pacing, out of reach of a crowd (the emulator enforces no limit).
RAISED = (
    "[broadcast]\ntelegram_overall_rate = 100000.0\ntelegram_rate = 100000.0\n"
    "telegram_per_chat_interval = 0.0\ntelegram_group_per_minute = 100000\n"
)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ANSWERED_WITHIN = 120.0  # seconds before the benchmark gives up waiting


@dataclass
class Figures:
    chats: int
    answered: int
    last_answer: float  # seconds from the questions' arrival to the last answer
    waits: list[float]  # seconds, each chat's question to its answer
    cpu_ms_per_message: float
    displacement: int  # the most places any chat's answer moved from its place in the queue


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (not its children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def answers_by_chat(session: TelegramSession) -> dict[int, float]:
    """The emulator's time stamp (s) of the bot's first message in each chat."""
    history = (await session.post("/getUpdatesHistory", {"token": session.token}))["result"]
    first: dict[int, float] = {}
    for item in history:
        message = item.get("message", {})
        if "chat_id" in message:  # the bot's own messages (the users' have a "chat")
            first.setdefault(int(message["chat_id"]), item["time"] / 1000)
    return first


async def crowd(emulator: Emulator, token: str, chats: int, bot_pid: int) -> Figures:
    async with httpx.AsyncClient(timeout=60) as http:
        session = TelegramSession(emulator, token, http)
        warm = session.user(language=None)
        await warm.send("gdzie jest forum")  # the bot is up and warm once it answers
        await warm.replies(1, within=60)
        users = [session.user(language=None) for _ in range(chats)]
        queue = [user.chat_id for user in users]  # first asked first
        messages = [user.typed(q) for user, q in zip(users, itertools.cycle(QUESTIONS))]
        cpu_before = cpu_seconds(bot_pid)
        asked = await session.crowd(messages)
        deadline = time.monotonic() + ANSWERED_WITHIN
        answered: dict[int, float] = {}
        while len(answered) < chats and time.monotonic() < deadline:
            await asyncio.sleep(1.0)  # each look costs the emulator (and so the bot) time
            found = await answers_by_chat(session)
            answered = {chat: found[chat] for chat in queue if chat in found}
        await asyncio.sleep(0.5)  # the bot's bookkeeping after its last answer counts too
        cpu = cpu_seconds(bot_pid) - cpu_before
    by_answer = sorted(answered, key=lambda chat: answered[chat])
    place = {chat: n for n, chat in enumerate(queue)}
    return Figures(
        chats=chats,
        answered=len(answered),
        last_answer=max(answered.values(), default=asked) - asked,
        waits=[at - asked for at in answered.values()] or [float("nan")],
        cpu_ms_per_message=cpu * 1000 / chats,
        displacement=max((abs(n - place[chat]) for n, chat in enumerate(by_answer)), default=0),
    )


def run_bot(
    folder: Path, emulator: Emulator, token: str, config: str, log: Path | None
) -> subprocess.Popen[bytes]:
    (folder / "config.toml").write_text(config, encoding="utf-8")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "IRLF_DB": str(folder / "crowd.db"),
    }
    output = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], cwd=folder, env=env,
        stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
    )


def measure(emulator: Emulator, chats: int, pacing: str, log: Path | None) -> Figures:
    token = new_token()
    with tempfile.TemporaryDirectory() as folder:
        config = RAISED if pacing == "raised" else ""
        bot = run_bot(Path(folder), emulator, token, config, log)
        try:
            return asyncio.run(crowd(emulator, token, chats, bot.pid))
        finally:
            bot.terminate()
            bot.wait(timeout=15)


def report(pacing: str, figures: Figures) -> None:
    print(f"{figures.chats} chats at once, reply pacing {pacing}:")
    print(f"  answered {figures.answered}/{figures.chats}; last answer after "
          f"{figures.last_answer:.2f} s")
    print(f"  wait for an answer: p50 {percentile(figures.waits, 50):.2f} s, "
          f"p99 {percentile(figures.waits, 99):.2f} s")
    print(f"  bot CPU: {figures.cpu_ms_per_message:.2f} ms per message")
    if pacing == "configured":
        print(f"  first asked, first answered: {'yes' if figures.displacement == 0 else 'no'} "
              f"(an answer moved at most {figures.displacement} places from its question's)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--pacing", choices=("raised", "configured", "both"), default="both")
    parser.add_argument("--log", type=Path, help="append the bot's log to this file")
    args = parser.parse_args()
    pacings = ("raised", "configured") if args.pacing == "both" else (args.pacing,)
    emulator = Emulator.start()
    try:
        for pacing in pacings:
            report(pacing, measure(emulator, args.chats, pacing, args.log))
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
