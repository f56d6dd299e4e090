"""Question-to-answer round trip in a Matrix room through a real Synapse, plain and
end-to-end encrypted (p50, p99).

    .venv/bin/python bench/matrix_roundtrip.py [--questions 50]

Starts its own Synapse with the test harness (tests/e2e/synapse_server.py; `make peers`
installs it), registers a bot and a user, and runs `irlf-bot run` as a separate process
with MATRIX_HOMESERVER, MATRIX_USER_ID and MATRIX_ACCESS_TOKEN, exactly as an operator
would. Two users invite the bot, one to a plain room and one, whose nio client encrypts,
to an encrypted room; they ask in turns. Each question is timed from the user's send
until the bot's notice reaches (and, encrypted, is decrypted by) the user's own
long-polling sync, so the figure includes both clients' trips through the homeserver.
The first question in each room is reported apart (an encrypted room's first message
sets up the olm and megolm sessions). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import secrets
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


async def open_room(synapse: SynapseServer, bot: Account, store: Path | None) -> tuple[Person, str]:
    user = Person(synapse, synapse.register("partner"), store=store)
    await user.catch_up()  # an encrypting user's device keys go up here
    room_id = await user.create_room([bot.user_id], name="Partners", encrypted=store is not None)
    await user.wait_for_membership(room_id, bot.user_id, "join", within=60)
    return user, room_id


async def ask(user: Person, room_id: str, bot: Account, question: str) -> float:
    """Milliseconds from sending a question (mentioning the bot) to seeing the answer."""
    started = time.perf_counter()
    mention = {"m.mentions": {"user_ids": [bot.user_id]}}
    sent = await user.say(room_id, f"IRLF Assistant: {question}", **mention)
    await user.wait_for_notice(room_id, bot.user_id, sent, within=30)
    return (time.perf_counter() - started) * 1000


async def measure(synapse: SynapseServer, bot: Account, count: int, keys: Path) -> dict[str, list[float]]:
    """Round trips per kind of room; the first of each under "<kind> first"."""
    rooms = {"plain": await open_room(synapse, bot, None), "encrypted": await open_room(synapse, bot, keys)}
    timings: dict[str, list[float]] = {}
    try:
        for kind, (user, room_id) in rooms.items():
            timings[f"{kind} first"] = [await ask(user, room_id, bot, "gdzie jest forum?")]
        for question in itertools.islice(itertools.cycle(QUESTIONS), count):
            for kind, (user, room_id) in rooms.items():  # in turns, so both meet the same load
                timings.setdefault(kind, []).append(await ask(user, room_id, bot, question))
        return timings
    finally:
        for user, _ in rooms.values():
            await user.close()


def main() -> None:
    logging.getLogger("nio").setLevel(logging.ERROR)  # the users' clients chat about sessions
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
                "MATRIX_PICKLE_KEY": secrets.token_hex(16),
            }
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "-c", str(config), "run"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                timings = asyncio.run(measure(synapse, account, args.questions, Path(folder) / "keys"))
            finally:
                bot.send_signal(signal.SIGINT)
                try:
                    bot.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    bot.kill()
        finally:
            synapse.stop()
    print(f"matrix round trip over {args.questions} questions per room (ms, through Synapse):")
    for kind in ("plain", "encrypted"):
        values = timings[kind]
        print(
            f"  {kind:9} p50 {percentile(values, 50):6.1f}  p99 {percentile(values, 99):6.1f}  "
            f"mean {statistics.mean(values):6.1f}  min {min(values):6.1f}  max {max(values):6.1f}  "
            f"first message {timings[f'{kind} first'][0]:.1f}"
        )
    plain, encrypted = timings["plain"], timings["encrypted"]
    print(
        f"  encrypted - plain: p50 {percentile(encrypted, 50) - percentile(plain, 50):+.1f}  "
        f"p99 {percentile(encrypted, 99) - percentile(plain, 99):+.1f}  "
        f"(ratio p50 {percentile(encrypted, 50) / percentile(plain, 50):.2f})"
    )


if __name__ == "__main__":
    main()
