"""Privacy: what is kept is what the note says, personal data is masked, old data expires,
and /forget erases every row about the person."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.config import Config
from bot.messages import ChatRef, Incoming
from bot.privacy import mask_personal
from bot.service import open_services
from tests.fakes import RecordingTransport

DESK = "!desk:localhost"


def said(chat: str, text: str, **fields: object) -> Incoming:
    return Incoming("telegram", chat, chat, text, sender_name="Jan Kowalski", **fields)  # type: ignore[arg-type]


def test_phone_numbers_emails_and_id_numbers_are_masked() -> None:
    text = "Jan, PESEL 85010112345, tel. +48 600 100 200, jan@gmina.pl, dowód ABC123456 — parking?"
    masked = mask_personal(text)
    for personal in ("85010112345", "600 100 200", "jan@gmina.pl", "ABC123456"):
        assert personal not in masked
    assert "parking" in masked


def test_dates_times_and_years_are_not_masked() -> None:
    text = "forum 10.09.2026 14:00-16:00, hala 3, MSPO 2026"
    assert mask_personal(text) == text


async def test_forget_erases_every_row_about_the_person(config: Config, clock: ManualClock) -> None:
    config.matrix.media_desk_room = DESK
    async with open_services(config, clock) as services:
        tg, mx = RecordingTransport(), RecordingTransport("matrix", edits_messages=False)
        services.board.attach(tg)
        services.board.attach(mx)
        board = services.board
        personal = "Nazywam się Jan, PESEL 85010112345, tel. 600100200, gdzie parkować pod halą?"
        await board.dispatch(said("77", personal))
        await board.dispatch(said("77", "Jestem dziennikarzem TVP, proszę o wywiad"))
        await board.dispatch(said("77", "/remind", command="remind"))
        await board.dispatch(said("77", "/lang en", command="lang", args="en"))
        await services.outbox.drain(timeout=10)
        await board.dispatch(said("77", "/forget yes", command="forget", args="yes"))
        await services.outbox.drain(timeout=10)
        storage = services.storage
        chat = ChatRef("telegram", "77")
        assert await storage.get_user(chat) is None
        assert await storage.tickets_since(chat, clock.now() - timedelta(days=1)) == 0
        unanswered = " ".join(text for _, text in await storage.unanswered(50))
        assert "85010112345" not in unanswered and "600100200" not in unanswered
        rows = await storage._all(
            "SELECT body FROM outbox WHERE body LIKE '%TVP%' OR body LIKE '%Kowalski%'"
        )
        assert rows == []
        assert (await storage._all("SELECT COUNT(*) FROM ticket_messages"))[0][0] == 0
        assert any("#1" in t and "wycofane" in t for t in mx.texts_to(DESK))


async def test_a_number_typed_over_two_lines_is_masked_too(config: Config,
                                                            clock: ManualClock) -> None:
    # questions keep their line breaks for the matcher; what is kept is masked as one line
    async with open_services(config, clock) as services:
        services.board.attach(RecordingTransport())
        await services.board.dispatch(said("6", "czy jest szatnia dla psów? Jan, 600 100\n200"))
        await services.outbox.drain(timeout=10)
        unanswered = " ".join(text for _, text in await services.storage.unanswered(10))
        assert "szatnia" in unanswered and "600" not in unanswered


async def test_unanswered_questions_and_tickets_expire(config: Config, clock: ManualClock) -> None:
    config.matrix.media_desk_room = DESK
    config.privacy.keep_days = 30
    async with open_services(config, clock) as services:
        services.board.attach(RecordingTransport())
        services.board.attach(RecordingTransport("matrix", edits_messages=False))
        await services.board.dispatch(said("5", "czy jest szatnia dla psów?"))
        await services.board.dispatch(said("5", "Jestem dziennikarką, akredytacja?"))
        await services.outbox.drain(timeout=10)
        assert await services.storage.unanswered(10)
        assert await services.storage.open_tickets()
        clock.advance(timedelta(days=31))
        services.outbox._pruned_at = None
        await services.outbox.tend()
        assert await services.storage.unanswered(10) == []
        assert await services.storage.open_tickets() == []


async def test_privacy_command_says_what_is_kept_and_for_how_long(config: Config, clock: ManualClock) -> None:
    config.privacy.keep_days = 14
    async with open_services(config, clock) as services:
        [reply] = await services.assistant.handle(said("1", "/privacy", command="privacy"))
    assert "14 dni" in reply.text and "/forget" in reply.text
