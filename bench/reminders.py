"""The reminder scheduler's own work: queue one reminder for 10,000 subscribers.

    .venv/bin/python bench/reminders.py [--subscribers 10000]

Prints the time `tick()` takes to find who is due, record each (subscriber, reminder) and
put the messages in the outbox (the sending then follows the outbox pacing).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import ManualClock  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.messages import ChatRef  # noqa: E402
from bot.service import open_services  # noqa: E402

START = datetime(2026, 9, 10, 14, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


async def run(subscribers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(START - timedelta(days=10))
        async with open_services(Config(database=Path(tmp) / "bench.db"), clock) as services:
            storage, now = services.storage, clock.now()
            async with storage.transaction():  # one transaction for the whole set-up
                for n in range(subscribers):
                    chat = ChatRef("telegram" if n % 3 else "matrix", str(n))
                    await storage.remember_chat(chat, True, now, "en" if n % 4 == 0 else "pl")
                    await storage.set_reminders(chat, True, now)
            clock.set(START - timedelta(days=7))
            began = time.perf_counter()
            queued = await services.reminders.tick()
            took = time.perf_counter() - began
            again = time.perf_counter()
            repeat = await services.reminders.tick()
            took_again = time.perf_counter() - again
            pending = await services.storage.pending_count()
    print(f"queued the 7-day reminder for {queued} subscribers in {took * 1000:.0f} ms "
          f"({queued / took:,.0f} per second); outbox rows pending: {pending}")
    print(f"a second tick right after: {repeat} queued, {took_again * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().subscribers))


if __name__ == "__main__":
    main()
