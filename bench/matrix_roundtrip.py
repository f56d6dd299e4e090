"""Question-to-answer round trip in a Matrix room through a real Synapse (p50, p99).

    .venv/bin/python bench/matrix_roundtrip.py [--questions 50]

Starts its own Synapse with the test harness (tests/e2e/synapse_server.py; `make peers`
installs it), registers a bot and a user, and runs `irlf-bot run` as a separate process
with MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN, exactly as an operator
would. The user invites the bot to a room and asks; each question is timed from the
user's send until the bot's notice reaches the user's own long-polling sync, so the
figure includes both clients' trips through the homeserver. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.synapse_people import Person  # noqa: E402
from tests.e2e.synapse_server import Account, SynapseServer, start_synapse  # noqa: E402

QUESTIONS = [
    q["text"] for q in tomllib.loads((ROOT / "tests" / "data" / "questions.toml").read_text("utf-8"))["q"]
]
# The core's flood guard (a burst of 10 per sender) would stop a benchmark from one sender.
CONFIG = "[limits]\nflood_burst = 100000\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(synapse: SynapseServer, bot: Account, count: int) -> list[float]:
    user = Person(synapse, synapse.register("partner"))
    try:
        room_id = await user.create_room([bot.user_id], name="Partners")
        await user.wait_for_membership(room_id, bot.user_id, "join", within=60)
        mention = {"m.mentions": {"user_ids": [bot.user_id]}}
        warm_up = await user.say(room_id, "IRLF Assistant: gdzie jest forum?", **mention)
        await user.wait_for_notice(room_id, bot.user_id, warm_up, within=30)
        timings = []
        for question in itertools.islice(itertools.cycle(QUESTIONS), count):
            started = time.perf_counter()
            sent = await user.say(room_id, f"IRLF Assistant: {question}", **mention)
            await user.wait_for_notice(room_id, bot.user_id, sent, within=10)
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await user.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        synapse = start_synapse(Path(folder) / "synapse")
        try:
            account = synapse.register("irlfbot")
            config = Path(folder) / "config.toml"
            config.write_text(CONFIG)
            env = {
                **os.environ,
                "MATRIX_HOMESERVER": synapse.url,
                "MATRIX_USER_ID": account.user_id,
                "MATRIX_ACCESS_TOKEN": account.access_token,
                "IRLF_DB": str(Path(folder) / "bench.db"),
            }
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "-c", str(config), "run"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                timings = asyncio.run(measure(synapse, account, args.questions))
            finally:
                bot.send_signal(signal.SIGINT)
                try:
                    bot.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    bot.kill()
        finally:
            synapse.stop()
    print(f"matrix round trip over {len(timings)} questions (ms, through Synapse):")
    print(
        f"  p50 {percentile(timings, 50):.1f}  p99 {percentile(timings, 99):.1f}  "
        f"mean {statistics.mean(timings):.1f}  min {min(timings):.1f}  max {max(timings):.1f}"
    )


if __name__ == "__main__":
    main()
