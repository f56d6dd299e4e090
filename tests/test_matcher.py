"""Matcher behaviour a user notices, beyond the labelled set."""

from __future__ import annotations

import pytest

from faq.knowledge import KnowledgeBase
from faq.matcher import Matcher
from faq.normalize import fold, mentions_press, terms


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KnowledgeBase.load())


def test_polish_letters_fold_including_l_with_stroke() -> None:
    assert fold("Łódź, Zakładowa, WRZEŚNIA") == "lodz, zakladowa, wrzesnia"
    assert terms("września") == terms("wrzesnia")
    assert terms("zaproponować") == terms("zaproponowac")


@pytest.mark.parametrize(
    ("question", "entry"),
    [("gdzie jest forum", "venue"), ("gdzie jest forum?", "venue"), ("GDZIE JEST FORUM", "venue"),
     ("kidey jest forum", "date"), ("adres", "address"), ("ile kosztuje udzial", "fee")],
)
def test_typos_case_and_keywords(matcher: Matcher, question: str, entry: str) -> None:
    match = matcher.match(question)
    assert (match.kind, match.entry) == ("answer", entry)


def test_words_only_the_off_topic_examples_know_point_away(matcher: Matcher) -> None:
    assert matcher.match("what is the capital of Taiwan").kind == "fallback"
    taking_part = matcher.match("is Taiwan taking part?")
    assert (taking_part.kind, taking_part.entry) == ("answer", "international")


def test_press_words_in_any_form_hand_off(matcher: Matcher) -> None:
    for question in ["Jestem dziennikarką TVP", "akredytacji prasowej", "a reporter here",
                     "czy mogę nagrać wywiad", "relacjonować forum dla portalu"]:
        assert mentions_press(question), question
        assert matcher.match(question).kind == "handoff", question


def test_a_one_word_phrasing_does_not_swallow_a_longer_question(matcher: Matcher) -> None:
    match = matcher.match("adres sklepu z parasolami w Warszawie")
    assert match.kind == "fallback"


def test_empty_and_punctuation_only(matcher: Matcher) -> None:
    for question in ["", "   ", "???", "🙂🙂"]:
        assert matcher.match(question).kind == "fallback"
