"""Press questions: the asker gets the contact at once, the desk a ticket, the asker the answer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.config import Config
from bot.messages import Incoming
from bot.service import Services, open_services
from bot.transport import RecipientGone
from tests.fakes import RecordingTransport

DESK_ROOM = "!desk:localhost"
QUESTION = "Jestem dziennikarzem, chciałbym akredytację"


@pytest.fixture
def desk_config(config: Config) -> Config:
    config.matrix.media_desk_room = DESK_ROOM
    return config


@contextlib.asynccontextmanager
async def running(
    config: Config, clock: ManualClock
) -> AsyncIterator[tuple[Services, RecordingTransport, RecordingTransport]]:
    async with open_services(config, clock) as services:
        tg, mx = RecordingTransport("telegram"), RecordingTransport("matrix", edits_messages=False)
        services.board.attach(tg)
        services.board.attach(mx)
        yield services, tg, mx


async def exchange(services: Services, msg: Incoming) -> None:
    """Hand a message to the bot and let the outbox deliver every reply."""
    await services.board.dispatch(msg)
    await services.outbox.drain(timeout=10)


def asker(text: str = QUESTION, chat: str = "500") -> Incoming:
    return Incoming("telegram", chat, chat, text, sender_name="Jan <Reporter>", language_hint="pl")


def desk_reply(text: str, reply_to: str) -> Incoming:
    return Incoming("matrix", DESK_ROOM, "@press:localhost", text, is_private=False,
                    addressed=True, reply_to=reply_to)


async def test_asker_gets_contact_desk_gets_ticket_answer_comes_back(desk_config: Config,
                                                                     clock: ManualClock) -> None:
    async with running(desk_config, clock) as (services, tg, mx):
        await exchange(services, asker())
        [to_asker] = tg.texts_to("500")
        assert "p.ostrek@iccsm.network" in to_asker and "#1" in to_asker
        [(room, ticket)] = mx.sent
        assert room == DESK_ROOM and "#1" in ticket.text and QUESTION in ticket.text
        assert "&lt;Reporter&gt;" in (ticket.html or "")
        await exchange(services, desk_reply("Zapraszamy, akredytacja potwierdzona.", "1"))
        answer = tg.texts_to("500")[-1]
        assert "zespołu prasowego" in answer and "akredytacja potwierdzona" in answer
        assert "#1" in mx.texts_to(DESK_ROOM)[-1]


async def test_answer_command_and_further_answers_reach_the_asker(desk_config: Config,
                                                                  clock: ManualClock) -> None:
    async with running(desk_config, clock) as (services, tg, _mx):
        await exchange(services, asker())
        desk = Incoming("matrix", DESK_ROOM, "@press:localhost", "!answer 1 Pierwsza",
                        is_private=False, command="answer", args="1 Pierwsza")
        await exchange(services, desk)
        await exchange(services, desk_reply("Druga odpowiedź", "1"))
        answers = [t for t in tg.texts_to("500") if "zespołu prasowego" in t]
        assert len(answers) == 2 and "Druga odpowiedź" in answers[1]


async def test_a_restart_between_question_and_answer_loses_nothing(desk_config: Config,
                                                                   clock: ManualClock) -> None:
    async with running(desk_config, clock) as (services, _tg, _mx):
        await exchange(services, asker())
    async with running(desk_config, clock) as (services, tg, _mx):
        await exchange(services, desk_reply("Po restarcie", "1"))
        assert "Po restarcie" in tg.texts_to("500")[-1]


async def test_tickets_lists_open_ones_with_age(desk_config: Config, clock: ManualClock) -> None:
    async with running(desk_config, clock) as (services, _tg, mx):
        await exchange(services, asker())
        clock.advance(timedelta(minutes=42))
        await exchange(services, Incoming("matrix", DESK_ROOM, "@press:localhost", "!tickets",
                                               is_private=False, command="tickets"))
        listing = mx.texts_to(DESK_ROOM)[-1]
        assert "#1" in listing and "42 minut" in listing and "Jan" in listing


async def test_desk_reply_to_a_non_ticket_gets_an_explanation(desk_config: Config,
                                                              clock: ManualClock) -> None:
    async with running(desk_config, clock) as (services, _tg, mx):
        await exchange(services, desk_reply("hmm", "not-a-ticket"))
        assert "To nie jest zgłoszenie" in mx.texts_to(DESK_ROOM)[-1]


async def test_answer_outside_the_desk_is_refused(desk_config: Config, clock: ManualClock) -> None:
    async with running(desk_config, clock) as (services, tg, _mx):
        await exchange(services, Incoming("telegram", "9", "9", "/answer 1 x", command="answer",
                                               args="1 x"))
        assert "tylko w czacie zespołu prasowego" in tg.texts_to("9")[-1]


async def test_ticket_limit_per_hour(desk_config: Config, clock: ManualClock) -> None:
    desk_config.media.tickets_per_hour = 2
    async with running(desk_config, clock) as (services, tg, mx):
        for n in range(3):
            await exchange(services, asker(f"{QUESTION} {n}"))
        assert len(mx.sent) == 2
        last = tg.texts_to("500")[-1]
        assert "p.ostrek@iccsm.network" in last and "#3" not in last
        clock.advance(timedelta(hours=1, minutes=1))
        await exchange(services, asker("wywiad z organizatorem?"))
        assert len(mx.sent) == 3


async def test_no_desk_means_contact_only(config: Config, clock: ManualClock, caplog) -> None:
    async with running(config, clock) as (services, tg, mx):
        services.desk.announce()
        await exchange(services, asker())
        [reply] = tg.texts_to("500")
        assert "p.ostrek@iccsm.network" in reply and "#" not in reply
        assert mx.sent == []
    assert "no media desk configured" in caplog.text


# the info desk: what the bot cannot answer goes to people, through the same mechanism

INFO_ROOM = "!info:localhost"
INFO_CHAT = "-100200"
UNKNOWN = "Czy na miejscu będzie szatnia na płaszcze?"


@pytest.fixture
def info_config(config: Config) -> Config:
    config.desk.info_room = INFO_ROOM
    config.matrix.media_desk_room = DESK_ROOM
    return config


def info_reply(text: str, reply_to: str) -> Incoming:
    return Incoming("matrix", INFO_ROOM, "@info:localhost", text, is_private=False,
                    addressed=True, reply_to=reply_to)


async def test_an_unanswered_question_reaches_the_info_desk_and_its_answer_the_guest(
    info_config: Config, clock: ManualClock
) -> None:
    async with running(info_config, clock) as (services, tg, mx):
        await exchange(services, asker(UNKNOWN))
        [to_guest] = tg.texts_to("500")
        assert "Niestety nie mam tej informacji" in to_guest and "organizatorom (pytanie #1)" in to_guest
        [ticket] = mx.texts_to(INFO_ROOM)
        assert ticket.startswith("❓ Pytanie #1") and UNKNOWN in ticket
        assert mx.texts_to(DESK_ROOM) == []  # not a press question
        await exchange(services, info_reply("Tak, szatnia jest przy wejściu B.", "1"))
        answer = tg.texts_to("500")[-1]
        assert answer.startswith("ℹ️ Odpowiedź organizatorów") and "wejściu B" in answer
        assert "wysłana" in mx.texts_to(INFO_ROOM)[-1]


async def test_the_desk_hears_sent_only_when_the_guest_got_the_answer(
    info_config: Config, clock: ManualClock
) -> None:
    async with running(info_config, clock) as (services, tg, mx):
        await exchange(services, asker(UNKNOWN))
        tg.failures["500"] = [RecipientGone("blocked")]
        await exchange(services, info_reply("Tak, przy wejściu B.", "1"))
        confirmation = mx.texts_to(INFO_ROOM)[-1]
        assert "Nie udało się dostarczyć" in confirmation and "wysłana" not in confirmation


async def test_small_talk_and_answered_questions_stay_away_from_the_desk(
    info_config: Config, clock: ManualClock
) -> None:
    async with running(info_config, clock) as (services, tg, mx):
        for text in ("dziękuję", "gdzie jest forum"):
            await exchange(services, asker(text))
        assert mx.texts_to(INFO_ROOM) == [] and len(tg.texts_to("500")) == 2


async def test_ask_the_organisers_under_did_you_mean_sends_the_question(
    info_config: Config, clock: ManualClock
) -> None:
    async with running(info_config, clock) as (services, tg, mx):
        await exchange(services, asker("udział"))
        [(_, suggestions)] = tg.sent
        assert suggestions.buttons[-1][0].payload == "ask"
        assert suggestions.buttons[-1][0].label == "🙋 Zapytaj organizatorów"
        await exchange(services, Incoming("telegram", "500", "500", "ask", command="ask", payload="ask"))
        assert "udział" in mx.texts_to(INFO_ROOM)[0]
        await exchange(services, Incoming("telegram", "500", "500", "/ask", command="ask"))
        assert "Napisz /ask i swoje pytanie" in tg.texts_to("500")[-1]  # that one was sent
        await exchange(services, Incoming("telegram", "500", "500", "/ask Czy są leżaki?",
                                          command="ask", args="Czy są leżaki?"))
        assert "Czy są leżaki?" in mx.texts_to(INFO_ROOM)[-1]


async def test_ask_without_an_info_desk_gives_the_contact(config: Config, clock: ManualClock) -> None:
    async with running(config, clock) as (services, tg, _mx):
        await exchange(services, asker("udział"))
        [(_, suggestions)] = tg.sent
        assert "ask" not in [b.payload for row in suggestions.buttons for b in row]
        await exchange(services, Incoming("telegram", "500", "500", "/ask x", command="ask", args="x"))
        assert "d.czerw@iccsm.network" in tg.texts_to("500")[-1]


async def test_each_desk_answers_and_lists_only_its_own_kind(info_config: Config, clock: ManualClock) -> None:
    async with running(info_config, clock) as (services, tg, mx):
        await exchange(services, asker(UNKNOWN, chat="501"))
        await exchange(services, asker(QUESTION, chat="502"))
        await exchange(services, Incoming("matrix", DESK_ROOM, "@press:localhost", "!answer 1 x",
                                          is_private=False, command="answer", args="1 Tak"))
        assert "Nie ma zgłoszenia #1" in mx.texts_to(DESK_ROOM)[-1]
        assert not [t for t in tg.texts_to("501") if "Tak" in t]
        await exchange(services, Incoming("matrix", INFO_ROOM, "@info:localhost", "!tickets",
                                          is_private=False, command="tickets"))
        listing = mx.texts_to(INFO_ROOM)[-1]
        assert "❓ #1" in listing and "#2" not in listing


async def test_info_tickets_are_limited_per_asker(info_config: Config, clock: ManualClock) -> None:
    info_config.desk.info_tickets_per_hour = 2
    async with running(info_config, clock) as (services, tg, mx):
        for n in range(3):
            await exchange(services, asker(f"{UNKNOWN} {'?' * n}"))
        assert len(mx.texts_to(INFO_ROOM)) == 2
        assert "już czekają u organizatorów" in tg.texts_to("500")[-1]


async def test_forget_withdraws_an_open_info_ticket_at_the_info_desk(
    info_config: Config, clock: ManualClock
) -> None:
    async with running(info_config, clock) as (services, _tg, mx):
        await exchange(services, asker(UNKNOWN))
        await exchange(services, Incoming("telegram", "500", "500", "", command="forget", args="yes"))
        assert "#1 zostało wycofane" in mx.texts_to(INFO_ROOM)[-1]
        assert mx.texts_to(DESK_ROOM) == []


async def test_info_tickets_expire_with_the_privacy_settings(info_config: Config, clock: ManualClock) -> None:
    info_config.privacy.keep_days = 30
    async with running(info_config, clock) as (services, _tg, mx):
        await exchange(services, asker(UNKNOWN))
        assert [t.kind for t in await services.storage.open_tickets(["info"])] == ["info"]
        clock.advance(timedelta(days=31))
        services.outbox._pruned_at = None
        await services.outbox.tend()
        assert await services.storage.open_tickets(["info"]) == []
        await exchange(services, info_reply("Już nieaktualne", "1"))
        assert "To nie jest zgłoszenie" in mx.texts_to(INFO_ROOM)[-1]
