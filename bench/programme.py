"""The programme's own work: importing, answering questions, queueing reminders and notices.

    .venv/bin/python bench/programme.py [--guests 10000]

Prints: the time to read and check each sample export and a synthetic 600-session JSON;
the latency of free-text questions answered from the programme (and of questions that go
on to the knowledge base, which now pass the programme first); and the time one tick takes
to queue a session's reminder, and a move notice, for `--guests` guests who starred it.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import shutil
import statistics
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
from bot.event import Event  # noqa: E402
from bot.messages import ChatRef  # noqa: E402
from bot.programme import Programme, programme_path, read_programme, write_programme  # noqa: E402
from bot.programme_desk import star_of  # noqa: E402
from bot.programme_import import parse_schedule  # noqa: E402
from bot.service import open_services  # noqa: E402

WARSAW = ZoneInfo("Europe/Warsaw")
SAMPLE = ROOT / "tests" / "data" / "ifre-2027"
DAY_TWO = datetime(2027, 6, 11, 10, 5, tzinfo=WARSAW)
PROGRAMME_QUESTIONS = [
    "co teraz?", "kiedy jest panel o CIMIC?", "what's in hall B after lunch?", "who speaks on Friday?",
    "co dalej?", "kiedy występuje Kamińska?", "co jest w sobotę rano?", "kiedy jest panel o pogodzie?",
    "when is the workshop on shelters?", "program na czwartek", "co w hali A o 14",
]
FAQ_QUESTIONS = [
    "gdzie jest parking", "jak się zarejestrować", "kiedy następna edycja?", "where is the venue",
    "czy jest wifi", "jaki jest adres", "who organises the forum", "przepis na pierogi",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def synthetic(rooms: int = 20, per_room: int = 30) -> bytes:
    """The sample JSON grown to rooms x per_room sessions (30-minute slots)."""
    doc = json.loads((SAMPLE / "exports" / "schedule.json").read_text(encoding="utf-8"))
    template = doc["schedule"]["conference"]["days"][1]["rooms"]["Hala A"][0]
    day = doc["schedule"]["conference"]["days"][1]
    day["rooms"] = {}
    for r in range(rooms):
        talks = []
        for n in range(per_room):
            talk = copy.deepcopy(template)
            start = datetime(2027, 6, 11, 8, 0, tzinfo=WARSAW) + timedelta(minutes=30 * n)
            talk.update(id=10_000 + r * per_room + n, room=f"Sala {r}", date=start.isoformat(),
                        start=f"{start:%H:%M}", duration="00:25", title=f"Sesja {r}-{n} o odporności")
            talks.append(talk)
        day["rooms"][f"Sala {r}"] = talks
    doc["schedule"]["conference"]["days"] = [day]
    return json.dumps(doc).encode()


def bench_imports() -> None:
    for name in ("schedule.json", "schedule.xml", "schedule.ics"):
        data = (SAMPLE / "exports" / name).read_bytes()
        runs = []
        for _ in range(20):
            began = time.perf_counter()
            programme = parse_schedule(data, WARSAW).programme
            runs.append(time.perf_counter() - began)
        median = statistics.median(runs) * 1000
        print(f"import {name:14} {len(programme):4} sessions: median {median:6.1f} ms")
    data = synthetic()
    began = time.perf_counter()
    programme = parse_schedule(data, WARSAW).programme
    took = (time.perf_counter() - began) * 1000
    print(f"import synthetic JSON  {len(programme):4} sessions: {took:6.1f} ms")


async def bench_questions(tmp: Path) -> None:
    config = Config(database=tmp / "q.db", event_file=SAMPLE / "event.toml")
    async with open_services(config, ManualClock(DAY_TWO)) as services:
        assistant = services.assistant
        for label, questions in (("programme questions", PROGRAMME_QUESTIONS),
                                 ("knowledge-base questions", FAQ_QUESTIONS)):
            times = []
            for _ in range(50):
                for question in questions:
                    began = time.perf_counter()
                    assistant.ask(question)
                    times.append((time.perf_counter() - began) * 1000)
            print(f"{label:26} p50 {percentile(times, 0.5):5.2f} ms, p99 {percentile(times, 0.99):5.2f} ms "
                  f"({len(times)} answers)")


async def bench_stars(tmp: Path, guests: int) -> None:
    for name in ("event.toml", "event.programme.json"):
        shutil.copy(SAMPLE / name, tmp / name)
    event_file = tmp / "event.toml"
    clock = ManualClock(DAY_TWO)
    config = Config(database=tmp / "stars.db", event_file=event_file)
    async with open_services(config, clock) as services:
        session = services.programme.current().get("206")
        assert session is not None
        storage = services.storage
        async with storage.transaction():
            for n in range(guests):
                chat = ChatRef("telegram" if n % 3 else "matrix", str(n))
                await storage.remember_chat(chat, True, clock.now(), "en" if n % 4 == 0 else "pl")
                await storage.add_star("ifre-2027", chat, star_of(session), clock.now())
        clock.set(session.start - timedelta(minutes=15))
        began = time.perf_counter()
        queued = await services.sessions.tick()
        print(f"reminder of one session queued for {queued} guests in "
              f"{(time.perf_counter() - began) * 1000:.0f} ms")
        event = Event.load(event_file)
        old = read_programme(event, programme_path(event_file))
        moved = [s.model_copy(update={"room": "Hala D"}) if s.id == "206" else s for s in old.sessions]
        write_programme(Programme(moved, old.zone), event, programme_path(event_file), "v2", clock.now())
        began = time.perf_counter()
        queued = await services.sessions.tick()
        print(f"move notice queued for {queued} guests in {(time.perf_counter() - began) * 1000:.0f} ms")
        began = time.perf_counter()
        again = await services.sessions.tick()
        print(f"a tick with nothing new: {again} queued, {(time.perf_counter() - began) * 1000:.1f} ms")


async def run(guests: int) -> None:
    bench_imports()
    with tempfile.TemporaryDirectory() as tmp:
        await bench_questions(Path(tmp))
        await bench_stars(Path(tmp), guests)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--guests", type=int, default=10_000)
    asyncio.run(run(parser.parse_args().guests))


if __name__ == "__main__":
    main()
