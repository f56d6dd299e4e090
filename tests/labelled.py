"""The labelled question sets in tests/data and how one answer is judged against its label.

A label gives the band (`kind`), the acceptable entries (`entry`) and, for a message that
asks two things, the entries that must also be answered (`also`). An answer is right when
its band matches, it answers one acceptable entry, every `also` entry, and nothing outside
those, in the question's language. An answer or handoff that states another entry's facts
(or answers what should fall back) is confidently wrong: the worst mistake a guest can get.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

DATA = Path(__file__).parent / "data"
Verdict = Literal["right", "wrong", "confidently_wrong"]


# The sets studied while building the matcher (bench/matcher.py says when each was written),
# and so the ones the chat model (faq/classifier.py) is trained on: `tune` is the studied
# split of chat_questions.toml. Every other set is only measured.
STUDIED = ("questions.toml", "chat_questions.toml:tune", *(
    f"chat_questions_{name}.toml"
    for name in "a b d e h k l n o p s t v w y z ab ad af ai".split()))


def studied() -> list[dict[str, Any]]:
    """Every message of the studied sets, with its label."""
    cases: list[dict[str, Any]] = []
    for name in STUDIED:
        file, _, split = name.partition(":")
        cases += [q for q in load(file) if not split or q.get("split") == split]
    return cases


def load(name: str) -> list[dict[str, Any]]:
    """The labelled questions of tests/data/`name`."""
    return tomllib.loads((DATA / name).read_text(encoding="utf-8"))["q"]


def judge(answer: Any, case: dict[str, Any], check_lang: bool = True) -> Verdict:
    """How `answer` (bot.assistant.Answer) fares against the label `case`."""
    expected, acceptable = case["kind"], set(case["entry"])
    also = set(case.get("also", []))
    answered = list(getattr(answer, "entries", None) or ([answer.entry] if answer.entry else []))
    if expected == "fallback":
        if answer.kind in ("answer", "handoff"):
            return "confidently_wrong"
        return "right" if answer.kind == "fallback" else "wrong"
    facts_right = (
        bool(set(answered) & acceptable)
        and also <= set(answered)
        and set(answered) <= acceptable | also
    )
    if answer.kind in ("answer", "handoff") and not facts_right:
        return "confidently_wrong"
    if answer.kind != expected or not facts_right:
        return "wrong"
    if check_lang and case["lang"] != "any" and answer.lang != case["lang"]:
        return "wrong"
    return "right"
