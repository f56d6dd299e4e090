"""The chat model (faq/classifier.py): a second opinion where the matcher cannot place a
message — long letters, hearsay, unusual wording — never over the matcher's own answer."""

from __future__ import annotations

import math
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.content import Sources, check
from bot.event import Event, facts_of
from bot.service import open_services
from faq.classifier import MODEL_FILE, NONE, SURE, ChatClassifier, ModelError
from faq.knowledge import DATA_DIR, KnowledgeBase
from faq.matcher import Matcher
from tests.conftest import WARSAW

BEFORE = datetime(2026, 9, 3, 12, tzinfo=WARSAW)


def tiny_model(folder: Path, classes: list[str], weights: list[list[float]],
               bias: list[float] | None = None) -> ChatClassifier:
    """A model of two features, the word "gdzie" and the letters " gd", written as
    `make chat-model` writes one."""
    np.savez_compressed(
        folder / MODEL_FILE, classes=np.array(classes), weights=np.array(weights),
        bias=np.array(bias or [0.0] * len(classes)), vocabulary0=np.array(["gdzie"]), idf0=np.array([1.0]),
        vocabulary1=np.array([" gd"]), idf1=np.array([1.0]))
    model = ChatClassifier.read(folder)
    assert model is not None
    return model


def test_the_model_weighs_words_and_letters_as_trained(tmp_path: Path) -> None:
    model = tiny_model(tmp_path, ["venue", NONE], [[2.0, 1.0], [0.0, 0.0]])
    # each part scaled to length 1: the word and the letters count 1 each
    entry, probability = model.guess("Gdzie?")
    assert entry == "venue"
    assert probability == pytest.approx(math.exp(3) / (math.exp(3) + 1))
    # a message with nothing the model knows is a coin toss: never sure
    assert model.guess("hello there")[1] == pytest.approx(0.5)
    assert SURE > 0.5
    assert ChatClassifier.read(tmp_path / "none") is None


@pytest.fixture(scope="module")
def matchers() -> tuple[Matcher, Matcher]:
    kb, facts = KnowledgeBase.load(), facts_of(Event.load(Config().event_file))
    return Matcher(kb, facts=facts), Matcher(kb, facts=facts, model=ChatClassifier.read(DATA_DIR))


@pytest.mark.parametrize(("message", "kind", "entry"), [
    ("I'm flying in from Helsinki via Warsaw and I'd like to know the venue address.",
     "answer", "address"),
    ("szef ma kolizje terminow, czy zastepca moze przyjsc w jego miejsce",
     "answer", "contact_organisation"),
    ("da sie gdzies zostawic auto blisko wejscia czy lepiej wziac taxi", "answer", "parking"),
    ("Can I get a comment from the organisers on the Taiwanese participation for a story "
     "I'm filing?", "handoff", "contact_media"),
])
def test_what_the_matcher_cannot_place_the_model_answers(
        matchers: tuple[Matcher, Matcher], message: str, kind: str, entry: str) -> None:
    alone, helped = matchers
    assert alone.match(message).kind in ("fallback", "suggest")
    found = helped.match(message)
    assert (found.kind, found.entries) == (kind, [entry])


@pytest.mark.parametrize("message", [
    # a short question asking after something no one has asked about: not answered
    # ("dla" would have made it whom the forum is for; "jest" the venue)
    "czy jest szatnia dla psów?", "gdzie jest bankomat", "czy jest bankomat?",
    "jaka będzie pogoda w Kielcach we wrześniu?", "what's the euro exchange rate today",
    "polecicie dobra pizzerie w Krakowie?", "asdf qwer", "a b c", "thanks a lot"])
def test_off_topic_and_garbage_are_not_placed(
        matchers: tuple[Matcher, Matcher], message: str) -> None:
    assert matchers[1].match(message).kind in ("fallback", "suggest")


@pytest.mark.parametrize("message", ["Dzień dobry!", "dzięki", "elo", "ok"])
def test_a_greeting_thanks_or_one_word_is_never_the_models(tmp_path: Path, message: str) -> None:
    """Even a model sure of everything (it leans to the venue whatever is written)."""
    sure = tiny_model(tmp_path, ["venue", NONE], [[0.0, 0.0], [0.0, 0.0]], bias=[9.0, 0.0])
    assert sure.guess(message) == ("venue", pytest.approx(1.0, abs=1e-3))
    matcher = Matcher(KnowledgeBase.load(), model=sure)
    assert matcher.match(message).kind in ("fallback", "suggest")
    assert matcher.match(f"{message} a b c d e f").entries == ["venue"]


@pytest.mark.parametrize("message", [
    "Gdzie jest forum?", "kto jest organizatorem jaki jest adres strony",
    "Forum jest w Krakowie, prawda?"])
def test_the_matchers_own_answers_stand(matchers: tuple[Matcher, Matcher], message: str) -> None:
    alone, helped = matchers
    assert helped.match(message) == alone.match(message)


async def test_a_guest_gets_the_models_answer_in_their_language() -> None:
    async with open_services(Config(database=Path(":memory:")), ManualClock(BEFORE)) as s:
        answer = s.assistant.ask("szef ma kolizje terminow, czy zastepca moze przyjsc w jego miejsce")
    assert (answer.kind, answer.entries, answer.lang) == ("answer", ["contact_organisation"], "pl")
    assert s.assistant.event.contacts.organisation.email in answer.text


def test_a_model_naming_an_entry_the_knowledge_base_lacks_fails_the_check(tmp_path: Path) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    tiny_model(tmp_path / "data", ["venue", "lunch_menu", NONE], [[1.0, 0.0]] * 3)
    checked = check(Sources(Config().event_file, tmp_path / "data"), BEFORE)
    assert checked.content is None
    assert any(MODEL_FILE in p and "lunch_menu" in p for p in checked.problems)


@pytest.mark.parametrize(("message", "weak", "entry"), [
    # words around the question pulled the matcher to another entry
    ("czy moge przepisac swoje miejsce na kolege z jednostki? ja nie moge byc",
     "invitation", "contact_organisation"),
    ("wojt sie rozchorowal, zamiast niego bedzie sekretarz gminy, gdzie to zglosic",
     "registration", "contact_organisation"),
    ("Rozmawiałem z panią Dorotą Czerw w zeszłym tygodniu, ale zgubiłem maila. Gdzie jest "
     "strona z programem?", "website", "agenda"),
])
def test_a_weak_answer_to_a_longer_message_gives_way_to_a_surer_model(
        matchers: tuple[Matcher, Matcher], message: str, weak: str, entry: str) -> None:
    alone, helped = matchers
    assert alone.match(message).entries == [weak]
    assert helped.match(message).entries == [entry]


@pytest.mark.parametrize(("message", "entry"), [
    # answered strongly
    ("Hello, I would like to ask what time the forum starts on that day", "time"),
    # a claim to check: the matcher's correction of it stands
    ("Forum jest 12 września w Kielcach, prawda? Pytam, bo planuję wyjazd służbowy", "date"),
    # a short question: its own words decide
    ("kto jeszcze przyjezdza z zagranicy?", "international"),
])
def test_strong_answers_claims_and_short_questions_are_the_matchers(
        tmp_path: Path, message: str, entry: str) -> None:
    sure = tiny_model(tmp_path, ["venue", NONE], [[0.0, 0.0], [0.0, 0.0]], bias=[9.0, 0.0])
    matcher = Matcher(KnowledgeBase.load(), facts=facts_of(Event.load(Config().event_file)),
                      model=sure)
    assert matcher.match(message).entries == [entry]
    # a weak answer to a longer message is the model's (here: the venue, whatever is asked)
    assert matcher.match("O której godzinie zaczyna się forum w Kielcach w tym roku?").entries == [
        "venue"]


@pytest.mark.parametrize("damage", ["not a zip", "half"])
def test_a_damaged_model_fails_the_check_naming_its_file(tmp_path: Path, damage: str) -> None:
    shutil.copytree(DATA_DIR, tmp_path / "data")
    path = tmp_path / "data" / MODEL_FILE
    path.write_bytes(b"not a zip" if damage == "not a zip" else path.read_bytes()[:50_000])
    checked = check(Sources(Config().event_file, tmp_path / "data"), BEFORE)
    assert checked.content is None
    assert any(str(path) in p and "make chat-model" in p for p in checked.problems)


def test_weights_that_do_not_fit_the_vocabulary_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="do not fit"):
        tiny_model(tmp_path, ["venue", NONE], [[1.0], [0.0]])
