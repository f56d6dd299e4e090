"""Question-to-answer round trip through the Telegram emulator (p50, p99).

    .venv/bin/python bench/telegram_roundtrip.py [--questions 100]

Starts telegram-test-api (with the test shim, tests/e2e/telegram_emulator.js) and
`irlf-bot run` as a separate process pointed at it with TELEGRAM_BOT_TOKEN and
TELEGRAM_BASE_URL, exactly as an operator would. Each question is timed from the user's
send to the moment the reply can be read from the emulator, so the figure includes the
emulator's own HTTP hops and the long poll. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.telegram_emulator import Emulator, TelegramSession, new_token  # noqa: E402

QUESTIONS = [q["text"] for q in tomllib.loads(
    (ROOT / "tests" / "data" / "questions.toml").read_text(encoding="utf-8"))["q"]]
USERS = 25  # questions rotate over users, so none trips the assistant's flood guard


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(emulator: Emulator, token: str, count: int) -> list[float]:
    async with httpx.AsyncClient(timeout=10) as http:
        session = TelegramSession(emulator, token, http)
        users = [session.user(language=None) for _ in range(USERS)]
        await users[0].send("/start")  # the bot is up once it answers
        await users[0].replies(1, within=60)
        timings = []
        for user, question in zip(itertools.cycle(users), itertools.cycle(QUESTIONS)):
            if len(timings) == count:
                break
            started = time.perf_counter()
            await user.send(question)
            await user.replies(1, within=10, poll=0.001)
            timings.append((time.perf_counter() - started) * 1000)
        return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args()
    emulator = Emulator.start()
    token = new_token()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": token,
            "TELEGRAM_BASE_URL": emulator.base_url,
            "IRLF_DB": str(Path(folder) / "bench.db"),
        }
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=folder, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            timings = asyncio.run(measure(emulator, token, args.questions))
        finally:
            bot.terminate()
            bot.wait(timeout=10)
            emulator.stop()
    print(f"telegram round trip over {len(timings)} questions (ms, through the emulator):")
    print(
        f"  p50 {percentile(timings, 50):.1f}  p99 {percentile(timings, 99):.1f}  "
        f"mean {statistics.mean(timings):.1f}  min {min(timings):.1f}  max {max(timings):.1f}"
    )


if __name__ == "__main__":
    main()
