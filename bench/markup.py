"""Rendering plain text to HTML (`bot.markup.to_html`) on long and hostile texts.

    .venv/bin/python bench/markup.py

Prints the time per call (median of several runs) for texts of 1,000, 4,000 and 16,000
characters: prose, one long word without spaces, and runs built to make a link pattern
backtrack. The growth from 4,000 to 16,000 characters shows linear (x4) or quadratic (x16)
work. Prints figures; asserts nothing (machines here are noisy).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.markup import to_html  # noqa: E402

SHAPES = {
    "prose with links": lambda n: ("Forum w Kielcach https://www.irif.eu/ kontakt "
                                   "a.b@example.org & <b> " * n)[:n],
    "one word, no spaces": lambda n: "a" * n,
    "dotted, no spaces": lambda n: "a." * (n // 2),
    "at signs, no spaces": lambda n: "a@b" * (n // 3),
    "url of dots": lambda n: "http://" + "." * (n - 7),
}


def per_call_ms(text: str, rounds: int = 5) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        to_html(text)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    print(f"{'text':22} {'1,000':>9} {'4,000':>9} {'16,000':>9}  16k/4k")
    for name, make in SHAPES.items():
        ms = [per_call_ms(make(n)) for n in (1000, 4000, 16000)]
        print(f"{name:22} " + " ".join(f"{m:7.2f}ms" for m in ms) + f"  x{ms[2] / ms[1]:.1f}")


if __name__ == "__main__":
    main()
