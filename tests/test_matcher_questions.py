"""The labelled question set (tests/data/questions.toml): band and entry of each question."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.assistant import Assistant
from bot.config import Config
from bot.service import open_services
from tests.labelled import load

QUESTIONS = load("questions.toml")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_assistant() -> AsyncIterator[Assistant]:
    async with open_services(Config(database=Path(":memory:"))) as services:
        yield services.assistant


@pytest.mark.parametrize("case", QUESTIONS, ids=[q["text"][:50] for q in QUESTIONS])
def test_question_gets_the_expected_answer(shared_assistant: Assistant, case: dict) -> None:
    answer = shared_assistant.ask(case["text"])
    got = f"{answer.kind} {answer.entry} {answer.score} {answer.suggestions}"
    assert answer.kind == case["kind"], got
    if case["entry"]:
        assert answer.entry in case["entry"], got
    else:
        assert answer.entry is None
    if case["kind"] != "fallback" and case["lang"] != "any":
        assert answer.lang == case["lang"]


def test_the_set_is_balanced_and_large_enough() -> None:
    langs = [q["lang"] for q in QUESTIONS if q["lang"] != "any"]
    assert len(QUESTIONS) >= 200
    assert abs(langs.count("pl") - langs.count("en")) <= len(QUESTIONS) * 0.1
    assert sum(q["kind"] == "fallback" for q in QUESTIONS) >= 30
