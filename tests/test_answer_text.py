"""What the guest reads: corrections of wrong premises, two answers in one reply, the past
tense after the event, the language of the reply."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.assistant import Assistant
from bot.clock import ManualClock
from tests.conftest import WARSAW

AFTER = datetime(2026, 12, 2, 12, 0, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("question", "start", "fact"),
    [("forum jest w Krakowie, prawda?", "Nie.", "Kielce"),
     ("The forum is in Warsaw, right?", "No.", "Kielce"),
     ("forum jest 12 września?", "Nie.", "10 września"),
     ("is it on a Friday?", "No.", "Thursday"),
     ("it starts at 10am, correct?", "No.", "14:00"),
     ("zaczyna się rano, tak?", "Nie.", "14:00"),
     ("Dobrze rozumiem, że forum trwa trzy dni?", "Nie.", "2 godziny"),
     ("organizuje to MON, tak?", "Nie.", "ICCSS"),
     # a tag that asks to confirm ("dobrze pamiętam?"), a hedge ("chyba", "I heard")
     ("zaczyna sie o 10 rano, dobrze pamietam?", "Nie.", "14:00"),
     ("I heard it's a two-day event?", "No.", "2 hours"),
     ("forum jest chyba całodniowe?", "Nie.", "2 godziny")],
)
def test_a_wrong_premise_is_corrected_with_the_fact(assistant: Assistant, question: str,
                                                    start: str, fact: str) -> None:
    answer = assistant.ask(question)
    assert answer.kind == "answer"
    assert answer.text.startswith(start) and fact in answer.text


@pytest.mark.parametrize(
    ("question", "start"),
    [("Forum starts at 14:00, correct?", "Yes."), ("Czy ICCSS organizuje forum?", "Tak."),
     ("to jest w Kielcach, prawda?", "Tak.")],
)
def test_a_right_premise_is_confirmed(assistant: Assistant, question: str, start: str) -> None:
    assert assistant.ask(question).text.startswith(start)


def test_a_plain_question_gets_no_yes_or_no(assistant: Assistant) -> None:
    text = assistant.ask("gdzie jest forum?").text
    assert not text.startswith(("Tak", "Nie"))


def test_two_questions_get_one_reply_with_both_facts(assistant: Assistant) -> None:
    answer = assistant.ask("gdzie i o której?")
    assert (answer.entry, answer.entries) == ("venue", ["venue", "time"])
    assert "Zakładowa 1" in answer.text and "14:00" in answer.text
    assert answer.text.count("⏳") == 1  # one countdown for the whole reply
    assert answer.as_json()["entries"] == ["venue", "time"]


def test_a_single_answer_lists_its_entry(assistant: Assistant) -> None:
    answer = assistant.ask("ile kosztuje udział?")
    assert answer.entries == ["fee"]
    assert assistant.ask("jak zrobić bigos?").entries == []


@pytest.mark.parametrize(
    ("question", "facts", "past"),
    [("what time did it start?", ["14:00", "16:00"], "started"),
     ("o której się zaczynało?", ["14:00", "16:00"], "zaczęło"),
     ("how long was it?", ["2 hours", "14:00"], "lasted"),
     ("ile trwało forum?", ["2 godziny"], "trwało"),
     ("where was it held?", ["Kielce", "Zakładowa 1"], "took place"),
     ("kiedy było forum?", ["10 września 2026", "14:00–16:00"], "odbyło")],
)
def test_after_the_event_the_answer_keeps_the_fact_in_the_past_tense(
        assistant: Assistant, clock: ManualClock, question: str, facts: list[str],
        past: str) -> None:
    clock.set(AFTER)
    text = assistant.ask(question).text
    assert past in text and all(fact in text for fact in facts), text
    assert "2027" in text  # and what comes next, once
    assert text.count("2027") == 1


def test_before_the_event_the_answer_counts_down(assistant: Assistant) -> None:
    text = assistant.ask("o której się zaczyna?").text
    assert "14:00" in text and "⏳" in text and "odbyło" not in text


def test_after_the_event_a_wrong_premise_is_still_corrected(assistant: Assistant,
                                                            clock: ManualClock) -> None:
    clock.set(AFTER)
    text = assistant.ask("it started at 10am, right?").text
    assert text.startswith("No.") and "14:00" in text and "started" in text


def test_a_short_follow_up_is_answered_in_the_chats_language(assistant: Assistant) -> None:
    assert assistant.ask("Kielce?", "en").lang == "en"
    assert assistant.ask("and the address?", "pl").lang == "en"
    assert assistant.ask("a gdzie dokładnie?", "en").lang == "pl"


def test_help_typed_as_a_message_says_what_to_ask_in_its_language(assistant: Assistant) -> None:
    # not "did you mean: Date, Time, Contact" (what a one-word question would get)
    answer = assistant.ask("help")
    assert answer.kind == "fallback" and not answer.suggestions
    assert "where is the forum" in answer.text
    assert "gdzie jest forum" in assistant.ask("pomocy").text
