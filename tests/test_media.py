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
        services.media.announce()
        await exchange(services, asker())
        [reply] = tg.texts_to("500")
        assert "p.ostrek@iccsm.network" in reply and "#" not in reply
        assert mx.sent == []
    assert "no media desk configured" in caplog.text
