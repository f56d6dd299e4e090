"""The labelled question set (tests/data/questions.toml): band and entry of each question."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.assistant import Assistant

QUESTIONS = tomllib.loads((Path(__file__).parent / "data" / "questions.toml").read_text())["q"]


@pytest.mark.parametrize("case", QUESTIONS, ids=[q["text"][:50] for q in QUESTIONS])
def test_question_gets_the_expected_answer(assistant: Assistant, case: dict) -> None:
    answer = assistant.ask(case["text"])
    got = f"{answer.kind} {answer.entry} {answer.score} {answer.suggestions}"
    assert answer.kind == case["kind"], got
    if case["entry"]:
        assert answer.entry in case["entry"]
    else:
        assert answer.entry is None
    if case["kind"] != "fallback":
        assert answer.lang == case["lang"]
