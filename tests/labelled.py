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
