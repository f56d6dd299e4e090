"""Matcher speed: per-question latency (p50, p99) on the real knowledge base and on a
synthetic one of 10,000 entries, and questions per second through `irlf-bot ask`.

    .venv/bin/python bench/matcher.py [--entries 10000]

Prints figures; asserts nothing (machines here are noisy).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faq.knowledge import Entry, KnowledgeBase  # noqa: E402
from faq.matcher import Matcher  # noqa: E402

QUESTIONS = [q["text"] for q in tomllib.loads(
    (ROOT / "tests" / "data" / "questions.toml").read_text(encoding="utf-8"))["q"]]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latencies(matcher: Matcher, questions: list[str], rounds: int) -> list[float]:
    for question in questions:  # warm the caches as a running bot would be
        matcher.match(question)
    timings = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            matcher.match(question)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def cold_latencies(matcher: Matcher, questions: list[str]) -> list[float]:
    timings = []
    for question in questions:
        matcher._lookup.cache_clear()
        start = time.perf_counter()
        matcher.match(question)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def synthetic(count: int, seed: int = 7) -> KnowledgeBase:
    """`count` entries of 8 phrasings per language over a vocabulary of made-up words."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "przy", "sze", "to", "wa", "ne", "ru", "dy", "gro", "ble"]
    vocab = list({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
                  for _ in range(count * 3)})
    kb = KnowledgeBase()
    for n in range(count):
        topic = rng.sample(vocab, 4)
        phrasings = {
            lang: tuple(" ".join(rng.sample(topic, 2) + rng.sample(vocab, 2)) for _ in range(8))
            for lang in ("pl", "en")
        }
        kb.entries[f"e{n}"] = Entry(
            id=f"e{n}", category="about", title={"pl": f"e{n}", "en": f"e{n}"},
            questions=phrasings, answer={"pl": "x", "en": "x"},
        )
    return kb


def report(label: str, timings: list[float]) -> None:
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    print(f"{label:42} p50 {p50:7.3f} ms   p99 {p99:7.3f} ms"
          f"   mean {statistics.fmean(timings):7.3f} ms   n={len(timings)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    kb = KnowledgeBase.load()
    start = time.perf_counter()
    real = Matcher(kb)
    built = (time.perf_counter() - start) * 1000
    print(f"real knowledge base: {len(kb)} entries, built in {built:.0f} ms")
    report("real KB, warm (repeat questions)", latencies(real, QUESTIONS, args.rounds))
    report("real KB, cold (term cache cleared)", cold_latencies(real, QUESTIONS))

    big_kb = synthetic(args.entries)
    start = time.perf_counter()
    big = Matcher(big_kb)
    built = time.perf_counter() - start
    print(f"synthetic knowledge base: {len(big_kb)} entries, built in {built:.1f} s")
    sample = [" ".join(q.split()[:3]) for e in list(big_kb)[:: max(1, args.entries // 200)]
              for q in e.questions["pl"][:1]]
    sample += QUESTIONS[:100]
    report(f"synthetic {args.entries} entries, cold", cold_latencies(big, sample))
    report(f"synthetic {args.entries} entries, warm", latencies(big, sample, 3))

    feed = "\n".join(QUESTIONS * 4) + "\n"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json"], input=feed, cwd=ROOT,
                   capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    total = len(QUESTIONS) * 4
    print(f"irlf-bot ask --json: {total} questions in {elapsed:.2f} s (start-up included) = "
          f"{total / elapsed:.0f} questions/s")


if __name__ == "__main__":
    main()
