"""Unanswered questions, reviewed: grouped by similarity, counted, with the closest entry."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.config import Config
from bot.messages import Incoming
from bot.review import group_questions
from bot.service import Services, open_services
from faq.knowledge import KnowledgeBase
from faq.matcher import Matcher
from tests.conftest import WARSAW

NOW = datetime(2026, 9, 10, 12, 0, tzinfo=WARSAW)
ASKED = [
    "Czy jest szatnia?", "szatnia", "czy jest szatnia na miejscu", "SZATNIA???",
    "Jaka będzie pogoda", "pogoda w Kielcach", "jaka pogoda",
    "gdzie jest bankomat", "czy jest bankomat?",
    "Is there a cloakroom?",
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KnowledgeBase.load())


def test_similar_questions_form_one_group_biggest_first(matcher: Matcher) -> None:
    groups = group_questions([(text, NOW) for text in ASKED], matcher)
    assert [g.count for g in groups] == [4, 3, 2, 1]
    cloakroom, weather, cash, english = groups
    assert set(cloakroom.wordings) == {"Czy jest szatnia?", "szatnia", "czy jest szatnia na miejscu",
                                       "SZATNIA???"}
    assert "pogoda w Kielcach" in weather.wordings
    assert weather.closest is not None and weather.closest[0] == "off_weather"
    assert set(cash.wordings) == {"gdzie jest bankomat", "czy jest bankomat?"}
    assert english.examples() == ["Is there a cloakroom?"]


def test_the_same_wording_is_counted_not_repeated(matcher: Matcher) -> None:
    [group] = group_questions([("parking dla autokarów", NOW)] * 3, matcher)
    assert group.count == 3 and group.examples() == ["parking dla autokarów"]
    assert group.closest is not None and group.closest[0] == "parking"


async def ask_all(services: Services, clock: ManualClock) -> None:
    for number, text in enumerate(ASKED):
        clock.set(NOW - timedelta(days=number % 2 * 9, hours=1))  # every other one 9 days ago
        await services.assistant.handle(Incoming("telegram", str(number), str(number), text))
    await services.assistant.handle(Incoming("telegram", "77", "77", "dziękuję"))
    clock.set(NOW)


async def test_admins_see_the_last_days_grouped(config: Config, clock: ManualClock) -> None:
    config.telegram.admins = [42]
    async with open_services(config, clock) as services:
        await ask_all(services, clock)
        admin = {"transport": "telegram", "chat_id": "42", "sender_id": "42", "command": "unanswered"}
        [week] = await services.assistant.handle(Incoming(**admin, text="/unanswered"))
        [fortnight] = await services.assistant.handle(Incoming(**admin, text="", args="14"))
        [bad] = await services.assistant.handle(Incoming(**admin, text="", args="week"))
        [refused] = await services.assistant.handle(
            Incoming("telegram", "7", "7", "/unanswered", command="unanswered"))
    assert week.text.startswith("Pytania bez odpowiedzi z ostatnich 7 dni: 5 w 3 grupach")
    assert "dziękuję" not in week.text  # small talk is not an unanswered question
    assert "2× „Czy jest szatnia?”" in week.text
    assert "najbliżej: " in week.text and "[off_weather," in week.text
    assert "14 dni: 10 w 4 grupach" in fortnight.text
    assert "4× „" in fortnight.text
    assert "Użycie: /unanswered" in bad.text
    assert "uprawnień" in refused.text


async def record(config: Config, texts: list[str]) -> None:
    async with open_services(config, ManualClock(datetime.now(WARSAW))) as services:
        for number, text in enumerate(texts):
            await services.assistant.handle(Incoming("telegram", str(number), str(number), text))


def test_shell_lists_the_groups_as_json(
    config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    asyncio.run(record(config, ASKED))
    monkeypatch.setenv("IRLF_DB", str(config.database))
    assert main(["unanswered", "--since", "1d", "--json"]) == 0
    groups = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [g["count"] for g in groups] == [4, 3, 2, 1]
    assert groups[0]["wordings"]["szatnia"] == 1 and groups[1]["closest"] == "off_weather"
    assert main(["unanswered", "--since", "a week"]) == 2
