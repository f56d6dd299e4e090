"""Matcher accuracy and speed.

Accuracy on the labelled sets of tests/data, through the assistant as `irlf-bot ask` runs
it, with a clock before the event and after it, and the confidently wrong answers (an
answer or handoff stating the wrong facts); per-question latency (p50, p99) on the real
knowledge base and on a synthetic one of 10,000 entries; questions per second through
`irlf-bot ask`.

    .venv/bin/python bench/matcher.py [--entries 10000] [--failures]

The sets and how they may be used (the protocol of issue 11; the chat model,
faq/classifier.py, is trained on the studied sets only, tests/labelled.py STUDIED):
- questions.toml (clean), chat_questions.toml's `tune` split, chat_questions_a.toml (set A),
  chat_questions_b.toml (set B, measured only in the second round), chat_questions_d.toml and
  chat_questions_e.toml (sets D and E, written for the third round, each measured first),
  chat_questions_h.toml, _k, _l, _n, _o and _p (sets H, K, L, N, O and P, written for the
  fourth round, each measured first), chat_questions_s.toml, _t, _v, _w and _y (sets S, T,
  V, W and Y, written in the sixth round, each measured first), chat_questions_z.toml (set Z,
  written in the seventh round, measured first), chat_questions_ab.toml (set AB, written in
  the eighth round, measured first), chat_questions_ad.toml and _af (sets AD and AF, written
  in the ninth round, each measured first), chat_questions_ai.toml (set AI, written in the
  tenth round, measured first): studied;
  `--failures` lists what they get wrong.
- chat_questions.toml's `holdout` split, chat_questions_c.toml (set C, written for the third
  round), chat_questions_f.toml and chat_questions_g.toml (sets F and G, written at its
  end), chat_questions_i.toml, _j and _m (sets I, J and M, written for the fourth round;
  M last), chat_questions_q.toml and _r (sets Q and R, written at the start of the fifth),
  chat_questions_u.toml and _x (sets U and X, written in the sixth), chat_questions_aa.toml
  (set AA, written in the seventh), chat_questions_ac.toml (set AC, written in the eighth,
  after its changes for AB), chat_questions_ae.toml and _ag (sets AE and AG, written in the
  ninth; AG after its first changes), chat_questions_ah.toml, _aj and _ak (sets AH, AJ and AK,
  written in the tenth; AJ after its first changes, AK at its end), chat_questions_al.toml
  and _am (sets AL and AM, written at the start of the eleventh, before the chat model),
  chat_questions_an.toml and _ao (sets AN and AO, written after the chat model):
  measured only, never
  studied — `--failures` never lists them. Each set
  was first measured before any change made for it; those first-sight figures are the
  honest estimate for unseen messages (README, "Measured here").

Prints figures; asserts nothing about speed (machines here are noisy: the fastest of N
rounds per question is the matcher's own time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.assistant import facts_of  # noqa: E402
from bot.clock import ManualClock, parse_when  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.event import Event  # noqa: E402
from bot.service import open_services  # noqa: E402
from faq import normalize  # noqa: E402
from faq.classifier import ChatClassifier  # noqa: E402
from faq.knowledge import DATA_DIR, Entry, KnowledgeBase  # noqa: E402
from faq.matcher import Matcher  # noqa: E402
from tests.labelled import judge, load  # noqa: E402

CLEAN = load("questions.toml")
CHAT = load("chat_questions.toml")
CHAT_A = load("chat_questions_a.toml")
CHAT_B = load("chat_questions_b.toml")
CHAT_C = load("chat_questions_c.toml")
CHAT_D = load("chat_questions_d.toml")
CHAT_E = load("chat_questions_e.toml")
CHAT_F = load("chat_questions_f.toml")
CHAT_G = load("chat_questions_g.toml")
CHAT_H = load("chat_questions_h.toml")
CHAT_I = load("chat_questions_i.toml")
CHAT_J = load("chat_questions_j.toml")
CHAT_K = load("chat_questions_k.toml")
CHAT_L = load("chat_questions_l.toml")
CHAT_N = load("chat_questions_n.toml")
CHAT_O = load("chat_questions_o.toml")
CHAT_P = load("chat_questions_p.toml")
CHAT_M = load("chat_questions_m.toml")
CHAT_Q = load("chat_questions_q.toml")
CHAT_R = load("chat_questions_r.toml")
CHAT_S = load("chat_questions_s.toml")
CHAT_T = load("chat_questions_t.toml")
CHAT_U = load("chat_questions_u.toml")
CHAT_V = load("chat_questions_v.toml")
CHAT_W = load("chat_questions_w.toml")
CHAT_X = load("chat_questions_x.toml")
CHAT_Y = load("chat_questions_y.toml")
CHAT_Z = load("chat_questions_z.toml")
CHAT_AA = load("chat_questions_aa.toml")
CHAT_AB = load("chat_questions_ab.toml")
CHAT_AC = load("chat_questions_ac.toml")
CHAT_AD = load("chat_questions_ad.toml")
CHAT_AE = load("chat_questions_ae.toml")
CHAT_AF = load("chat_questions_af.toml")
CHAT_AG = load("chat_questions_ag.toml")
CHAT_AH = load("chat_questions_ah.toml")
CHAT_AI = load("chat_questions_ai.toml")
CHAT_AJ = load("chat_questions_aj.toml")
CHAT_AK = load("chat_questions_ak.toml")
CHAT_AL = load("chat_questions_al.toml")
CHAT_AM = load("chat_questions_am.toml")
CHAT_AN = load("chat_questions_an.toml")
CHAT_AO = load("chat_questions_ao.toml")
QUESTIONS = [q["text"] for q in CLEAN]
CHAT_QUESTIONS = [q["text"] for q in CHAT + CHAT_A + CHAT_B + CHAT_C + CHAT_D + CHAT_E + CHAT_F
                                          + CHAT_G + CHAT_H + CHAT_I + CHAT_J + CHAT_K + CHAT_L
                                          + CHAT_N + CHAT_O + CHAT_P + CHAT_M + CHAT_Q
                                          + CHAT_R + CHAT_S + CHAT_T + CHAT_U
                                          + CHAT_V + CHAT_W + CHAT_X + CHAT_Y
                                          + CHAT_Z + CHAT_AA + CHAT_AB + CHAT_AC
                                          + CHAT_AD + CHAT_AE + CHAT_AF + CHAT_AG
                                          + CHAT_AH + CHAT_AI + CHAT_AJ + CHAT_AK
                                          + CHAT_AL + CHAT_AM + CHAT_AN + CHAT_AO]
CLOCKS = {"before": "2026-09-03T12:00+02:00", "after": "2026-12-02T12:00+01:00"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latencies(matcher: Matcher, questions: list[str], rounds: int,
              call: Callable[[str], object] | None = None) -> list[float]:
    """Each question's time in each round (`call`: what to time, else the matcher)."""
    call = call or matcher.match
    for question in questions:  # warm the caches as a running bot would be
        call(question)
    timings = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            call(question)
            timings.append((time.perf_counter() - start) * 1000)
    return timings


def fastest(timings: list[float], questions: int) -> list[float]:
    """Each question's fastest round: the matcher's own time, without what other processes
    on a shared machine took from it."""
    return [min(timings[i::questions]) for i in range(questions)]


def cold_latencies(matcher: Matcher, questions: list[str]) -> list[float]:
    timings = []
    for question in questions:
        matcher._lookup.cache_clear()
        for cached in (normalize.fold, normalize._words, normalize._tokens, normalize.stem):
            cached.cache_clear()
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


def labelled_sets(holdout: bool) -> list[tuple[str, list[dict], bool]]:
    """(name, cases, studied): the failures of a studied set may be listed; the others are
    only measured."""
    sets = [("clean", CLEAN, True), ("chat tune", [q for q in CHAT if q["split"] == "tune"], True),
            ("chat A", CHAT_A, True), ("chat B", CHAT_B, True), ("chat D", CHAT_D, True),
            ("chat E", CHAT_E, True), ("chat H", CHAT_H, True),
            ("chat K", CHAT_K, True), ("chat L", CHAT_L, True),
            ("chat N", CHAT_N, True),
            ("chat O", CHAT_O, True), ("chat P", CHAT_P, True),
            ("chat S", CHAT_S, True), ("chat T", CHAT_T, True),
            ("chat V", CHAT_V, True), ("chat W", CHAT_W, True),
            ("chat Y", CHAT_Y, True), ("chat Z", CHAT_Z, True),
            ("chat AB", CHAT_AB, True), ("chat AD", CHAT_AD, True),
            ("chat AF", CHAT_AF, True), ("chat AI", CHAT_AI, True)]
    if holdout:
        sets += [("chat holdout", [q for q in CHAT if q["split"] == "holdout"], False),
                 ("chat C", CHAT_C, False), ("chat F", CHAT_F, False),
                 ("chat G", CHAT_G, False), ("chat I", CHAT_I, False),
                 ("chat J", CHAT_J, False), ("chat M", CHAT_M, False),
                 ("chat Q", CHAT_Q, False), ("chat R", CHAT_R, False),
                 ("chat U", CHAT_U, False), ("chat X", CHAT_X, False),
                 ("chat AA", CHAT_AA, False), ("chat AC", CHAT_AC, False),
                 ("chat AE", CHAT_AE, False), ("chat AG", CHAT_AG, False),
                 ("chat AH", CHAT_AH, False), ("chat AJ", CHAT_AJ, False),
                 ("chat AK", CHAT_AK, False), ("chat AL", CHAT_AL, False),
                 ("chat AM", CHAT_AM, False), ("chat AN", CHAT_AN, False),
                 ("chat AO", CHAT_AO, False)]
    return sets


def accuracy(show_failures: bool, holdout: bool = True) -> None:
    """Right answers per labelled set and clock (band, entries and language all right),
    through the assistant as `irlf-bot ask` runs it (the programme desk consulted first);
    confidently wrong ones counted apart, and how many were right but for the language."""
    asyncio.run(_accuracy(show_failures, holdout))


async def _accuracy(show_failures: bool, holdout: bool) -> None:
    memory = Config(database=Path(":memory:"))
    for clock_name, when in CLOCKS.items():
        async with open_services(memory, ManualClock(parse_when(when))) as services:
            assistant = services.assistant
            for name, cases, studied in labelled_sets(holdout):
                judged = [(case, answer, judge(answer, case), judge(answer, case, False))
                          for case in cases for answer in [assistant.ask(case["text"])]]
                right = sum(v == "right" for _, _, v, _ in judged)
                sure_wrong = sum(v == "confidently_wrong" for _, _, v, _ in judged)
                lang_only = sum(v != "right" and w == "right" for _, _, v, w in judged)
                print(f"{name:13} clock {clock_name:6} {right:4}/{len(cases):<4} = "
                      f"{100 * right / len(cases):5.1f}%   confidently wrong {sure_wrong}"
                      f"   wrong only in language {lang_only}")
                if show_failures and clock_name == "before" and studied:
                    for case, answer, verdict, _ in judged:
                        if verdict != "right":
                            print(f"   {verdict[:4]} want {case['kind']} {case['entry']}"
                                  f"{' +' + str(case.get('also')) if case.get('also') else ''}"
                                  f" {case['lang']} got {answer.kind} {answer.entries}"
                                  f" {answer.score} {answer.lang} {answer.suggestions}"
                                  f"{' [' + case['class'] + ']' if 'class' in case else ''}"
                                  f" | {case['text'][:150]!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--failures", action="store_true", help="list the tune split's failures")
    parser.add_argument("--accuracy-only", action="store_true", help="skip the speed figures")
    parser.add_argument("--no-holdout", action="store_true", help="leave the holdout split out")
    args = parser.parse_args()

    start = time.perf_counter()
    normalize.everyday("")
    word_lists = (time.perf_counter() - start) * 1000
    kb = KnowledgeBase.load()
    accuracy(args.failures, not args.no_holdout)
    if args.accuracy_only:
        return
    start = time.perf_counter()
    model = ChatClassifier.read(DATA_DIR)
    loaded = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    real = Matcher(kb, facts=facts_of(Event.load(Config().event_file)), model=model)
    built = (time.perf_counter() - start) * 1000
    print(f"real knowledge base: {len(kb)} entries, built in {built:.0f} ms (the everyday "
          f"word lists were loaded above, once per process: {word_lists:.0f} ms; the chat "
          f"model in {loaded:.0f} ms)")
    if model is not None:
        guesses = latencies(real, CHAT_QUESTIONS, args.rounds, call=model.guess)
        report(f"chat model alone, chat set, fastest of {args.rounds}",
               fastest(guesses, len(CHAT_QUESTIONS)))
    for name, questions in (("clean", QUESTIONS), ("chat", CHAT_QUESTIONS)):
        warm = latencies(real, questions, args.rounds)
        report(f"real KB, {name} set, warm", warm)
        report(f"real KB, {name} set, fastest of {args.rounds} rounds",
               fastest(warm, len(questions)))
        report(f"real KB, {name} set, cold (cache cleared)", cold_latencies(real, questions))
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

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
