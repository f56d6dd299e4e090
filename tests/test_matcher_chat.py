"""The chat-style labelled set (tests/data/chat_questions.toml): messages as guests type
them — greetings and introductions, slang, mixed languages, wrong premises, two questions.
Written by someone who had seen only the announcement, never the knowledge base.

The `tune` split was used to improve the matcher: every message must be answered right,
except the known failures below. The `holdout` split was never studied, only measured:
its accuracy must not fall below what was reached (tests/labelled.py says what "right" is).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant
from bot.clock import ManualClock
from bot.config import Config
from bot.service import open_services
from tests.conftest import WARSAW
from tests.labelled import judge, load

CHAT = load("chat_questions.toml")
TUNE = [q for q in CHAT if q["split"] == "tune"]
HOLDOUT = [q for q in CHAT if q["split"] == "holdout"]
CLOCKS = {"before": datetime(2026, 9, 3, 12, 0, tzinfo=WARSAW),
          "after": datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)}
HOLDOUT_FLOOR = 0.85  # reached: 98/114 = 86.0% (50.0% before this work)

# Known failures of the tune split, with the reason.
KNOWN_FAILURES = {
    "Dzięki! And the address? Potrzebuję do GPS":
        "language: the question is English ('And the address?'); the label says Polish",
    "Where is Targi Kielce? Jak daleko od centrum?":
        "language: as many Polish as English words; the label says English, we say Polish",
}


def cases(split: list[dict]) -> list:
    return [
        pytest.param(case, marks=pytest.mark.xfail(reason=KNOWN_FAILURES[case["text"]],
                                                   strict=True))
        if case["text"] in KNOWN_FAILURES else case
        for case in split
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=list(CLOCKS))
async def assistant_at(request: pytest.FixtureRequest) -> AsyncIterator[Assistant]:
    """The assistant with a clock before the event and one after it."""
    clock = ManualClock(CLOCKS[request.param])
    async with open_services(Config(database=Path(":memory:")), clock) as services:
        yield services.assistant


@pytest.mark.parametrize("case", cases(TUNE), ids=[q["text"][:60] for q in TUNE])
def test_chat_message_gets_the_expected_answer(assistant_at: Assistant, case: dict) -> None:
    answer = assistant_at.ask(case["text"])
    got = f"{answer.kind} {answer.entries} {answer.lang} {answer.score} {answer.suggestions}"
    assert judge(answer, case) == "right", got


def test_holdout_accuracy_stays_at_what_was_reached(assistant_at: Assistant) -> None:
    verdicts = [judge(assistant_at.ask(case["text"]), case) for case in HOLDOUT]
    assert sum(v == "right" for v in verdicts) / len(verdicts) >= HOLDOUT_FLOOR


def test_the_chat_set_is_large_enough_and_split() -> None:
    assert len(CHAT) >= 300
    assert len(HOLDOUT) >= len(CHAT) / 4
    assert {q["kind"] for q in CHAT} == {"answer", "handoff", "fallback"}
    assert sum(bool(q.get("also")) for q in CHAT) >= 20  # two questions in one message
