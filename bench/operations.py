"""What the organisers' live tools cost the running bot.

    .venv/bin/python bench/operations.py [--questions 5000]

Prints: how long a reload (read, check and swap event, knowledge base and UI texts) holds
the event loop; how long grouping N unanswered questions takes (/unanswered); how long
the chart takes from the database to a PNG, cold (with matplotlib's import) and warm;
how long a /metrics scrape takes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.chart import LABELS, chart_data, draw  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.review import group_questions  # noqa: E402
from bot.service import open_services  # noqa: E402

WARSAW = ZoneInfo("Europe/Warsaw")
DAY = datetime(2026, 9, 10, tzinfo=WARSAW)
TOPICS = ["szatnia", "parking dla autokarów", "tłumacz migowy", "apteka", "bankomat", "pies",
          "rower", "wózek", "ładowarka", "toaleta", "palarnia", "plecak", "aparat", "dron",
          "kawa", "woda", "hotel", "taksówka", "pociąg", "lotnisko", "cloakroom", "charger",
          "pharmacy", "cash machine", "bike", "wheelchair", "smoking area", "backpack"]
FRAMES = ["czy jest {}?", "{}", "gdzie {}", "czy będzie {} na miejscu", "is there a {}?",
          "{} please", "a {}?", "czy można {}"]


def question(rng: random.Random) -> str:
    text = rng.choice(FRAMES).format(rng.choice(TOPICS))
    if rng.random() < 0.3:  # a typo
        at = rng.randrange(len(text))
        text = text[:at] + text[at + 1:]
    return text


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"


async def run(count: int) -> None:
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as tmp:
        clock = ManualClock(DAY)
        async with open_services(Config(database=Path(tmp) / "bench.db"), clock) as services:
            reloads = []
            for _ in range(20):
                started = time.perf_counter()
                assert services.control.reload("bench").ok
                reloads.append(time.perf_counter() - started)
            print(f"reload (read, check, swap): {percentiles(reloads)} of the event loop")

            matcher = services.content.current.matcher
            asked = [(question(rng), DAY) for _ in range(count)]
            for size in (1000, count):
                started = time.perf_counter()
                groups = group_questions(asked[:size], matcher)
                took = time.perf_counter() - started
                print(f"/unanswered: {size} questions into {len(groups)} groups in {took:.2f} s")

            storage = services.storage
            for hour in range(24):
                for _ in range(40):
                    kind = rng.choice(["answer", "answer", "answer", "suggest", "fallback"])
                    entry = rng.choice(["venue", "date", "time", "agenda"]) if kind == "answer" else None
                    await storage.record_question(DAY.date().isoformat(), entry, kind, "x",
                                                  DAY + timedelta(hours=hour), hour=hour)
            phrases = services.content.phrases
            labels = {key: phrases.text("pl", key) for key in LABELS}
            started = time.perf_counter()
            data = await chart_data(storage, DAY + timedelta(hours=23), WARSAW)
            fetched = time.perf_counter() - started
            started = time.perf_counter()
            png = draw(data, labels)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            draw(data, labels)
            warm = time.perf_counter() - started
            print(f"chart: figures {fetched * 1000:.0f} ms; drawing {cold:.2f} s cold "
                  f"(matplotlib import), {warm:.2f} s warm; PNG {len(png) // 1024} KiB")

            scrapes = []
            for _ in range(50):
                started = time.perf_counter()
                await services.health.metrics()
                scrapes.append(time.perf_counter() - started)
            print(f"/metrics scrape: {percentiles(scrapes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=5000)
    asyncio.run(run(parser.parse_args().questions))


if __name__ == "__main__":
    main()
