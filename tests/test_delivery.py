"""The delivery core: one transactional store, an outbox per transport, answers exactly once.

Each test pins one way an organiser's message used to be doubled, stalled, lost or late
(issue 10). The fake transports really await and may raise anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

import bot.storage as storage_module
from bot.clock import ManualClock
from bot.config import Config
from bot.messages import ChatRef, Incoming, Reply
from bot.outbox import CONCURRENCY, Recipient
from bot.service import Services, open_services
from bot.storage import MIGRATIONS, Storage
from bot.transport import DeliveryError, RecipientGone, TransportDown
from tests.fakes import RecordingTransport
from tests.test_broadcasts import (
    ADMIN,
    admin_config,
    command,
    confirm_broadcast,
    from_user,
    subscribe,
    with_subscribers,
)


@contextlib.asynccontextmanager
async def working(services: Services) -> AsyncIterator[None]:
    """The outbox running in the background, as in the served bot."""
    worker = asyncio.create_task(services.outbox.run())
    try:
        yield
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


async def test_a_slow_matrix_does_not_hold_up_telegram(config: Config, clock: ManualClock) -> None:
    config = admin_config(config)
    config.broadcast.matrix_rate = 2.0
    async with open_services(config, clock) as services:
        tg, mx = RecordingTransport("telegram"), RecordingTransport("matrix", edits_messages=False)
        services.board.attach(tg)
        services.board.attach(mx)
        broadcast = await services.outbox.create("Zmiana sali", None, ["telegram", "matrix"], "shell",
                                                 state="sending")
        await services.outbox.enqueue(broadcast, [Recipient("matrix", f"!r{n}", "pl") for n in range(20)])
        await services.outbox.enqueue(broadcast, [Recipient("telegram", "1", "pl")])
        started = time.monotonic()
        async with working(services):
            await until(lambda: tg.sent)
            telegram_after = time.monotonic() - started
            assert len(mx.sent) < 5  # 20 Matrix rows at 2/s would take 10 s
    assert telegram_after < 2.0


async def test_one_unexpected_exception_neither_doubles_nor_blocks(config: Config,
                                                                   clock: ManualClock) -> None:
    config.broadcast.max_attempts = 3
    async with with_subscribers(config, clock, 60, 100, delay=0.002) as (services, tg, chats):
        tg.failures["130"] = [RuntimeError("a bug in a library")]
        broadcast = await confirm_broadcast(services, "Wszyscy")
        for _ in range(3):
            await services.outbox.drain(timeout=10)
            clock.advance(timedelta(minutes=10))  # past every backoff
        progress = await services.outbox.progress(broadcast)
        assert (await services.outbox.get(broadcast)).state == "done"
    announcements = [c for c, r in tg.sent if r.text == "Wszyscy"]
    assert sorted(announcements) == sorted(c for c in [*chats, ADMIN] if c != "130")
    assert progress.failed == 1 and progress.sent == 60  # the admin is a recipient too


async def test_cancel_stops_a_broadcast_before_the_next_send(config: Config, clock: ManualClock) -> None:
    config.broadcast.telegram_rate = 50
    async with with_subscribers(config, clock, 200, 200, delay=0.01) as (services, tg, _):
        broadcast = await confirm_broadcast(services, "Odwołane")
        async with working(services):
            await until(lambda: len(tg.sent) >= 20)
            [said] = await services.assistant.handle(command(ADMIN, "cancel", str(broadcast)))
            at_cancel = len(tg.sent)
            await asyncio.sleep(1.0)
        assert "anulowany" in said.text
        after = len(tg.sent) - at_cancel
        assert after <= CONCURRENCY
        assert (await services.outbox.get(broadcast)).state == "cancelled"
        progress = await services.outbox.progress(broadcast)
        sent = [c for c, r in tg.sent if r.text == "Odwołane"]
        assert progress.sent == len(sent)  # nothing sent is marked otherwise, nothing resurrected


async def test_an_outage_pauses_the_transport_and_fails_no_one(config: Config, clock: ManualClock) -> None:
    config.broadcast.max_attempts = 2
    async with with_subscribers(config, clock, 30, 300) as (services, tg, chats):
        tg.fail_all = TransportDown("connection refused")
        broadcast = await confirm_broadcast(services, "Mimo awarii")
        async with working(services):
            await asyncio.sleep(2.5)  # several attempts per recipient while the network is gone
            tg.fail_all = None
            await until(lambda: len(tg.sent) >= len(chats) + 1, timeout=40)  # and the admin
            await asyncio.sleep(0.2)
        progress = await services.outbox.progress(broadcast)
    assert progress.failed == 0 and progress.pending == 0
    assert set(chats) <= {c for c, r in tg.sent if r.text == "Mimo awarii"}
    delivered = [c for c, r in tg.sent if r.text == "Mimo awarii"]
    assert len(delivered) == len(set(delivered))


async def test_messages_failing_in_one_outage_pause_the_transport_once(services: Services) -> None:
    tg = RecordingTransport(delay=0.05)
    tg.fail_all = TransportDown("Bad Gateway")
    services.board.attach(tg)
    for n in range(CONCURRENCY):
        await services.board.dispatch(from_user(str(500 + n), "kiedy jest forum", update_key=str(n)))
    pacer = services.outbox.pacers["telegram"]
    async with working(services):
        await until(lambda: pacer.outages > 0)
        await asyncio.sleep(0.5)  # the other replies in hand meet the outage too
        outages, paused_for = pacer.outages, pacer.paused_until - time.monotonic()
    # the first step of the backoff, not the eighth: a 4 s blip must not silence the bot 30 s
    assert outages == 1 and paused_for <= 1.0


async def test_failed_recipients_can_be_queued_again(config: Config, clock: ManualClock) -> None:
    config = admin_config(config)
    config.broadcast.max_attempts = 1
    async with open_services(config, clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1", "2")
        tg.failures["2"] = [DeliveryError("Bad Request: something odd")]
        broadcast = await confirm_broadcast(services, "Raz jeszcze")
        await services.outbox.drain(timeout=10)
        assert (await services.outbox.progress(broadcast)).failed == 1
        tg.failures.pop("2")
        assert await services.outbox.retry_failed(broadcast) == 1
        await services.outbox.drain(timeout=10)
        assert (await services.outbox.progress(broadcast)).failed == 0
    assert tg.texts_to("2") == ["Raz jeszcze"]


async def test_a_reply_that_fails_once_is_retried(services: Services, clock: ManualClock) -> None:
    tg = RecordingTransport()
    services.board.attach(tg)
    tg.failures["7"] = [DeliveryError("Bad Gateway")]
    await services.board.dispatch(from_user("7", "gdzie jest forum", update_key="1"))
    await services.outbox.drain(timeout=5)
    assert tg.texts_to("7") == []
    tg.failures.pop("7")
    clock.advance(timedelta(seconds=5))
    await services.outbox.drain(timeout=5)
    [answer] = tg.texts_to("7")
    assert "Kielce" in answer


async def test_an_update_is_answered_once_however_often_it_comes(services: Services) -> None:
    tg = RecordingTransport()
    services.board.attach(tg)
    question = from_user("8", "kiedy jest forum", update_key="4711")
    for _ in range(3):  # a restart replays what it had not confirmed
        await services.board.dispatch(question)
    await services.outbox.drain(timeout=5)
    assert len(tg.texts_to("8")) == 1


async def test_messages_of_one_chat_are_answered_in_order(services: Services) -> None:
    tg = RecordingTransport()
    services.board.attach(tg)
    await asyncio.gather(
        services.board.dispatch(from_user("9", "/lang en", command="lang", args="en", update_key="1")),
        services.board.dispatch(from_user("9", "/venue", command="venue", update_key="2")),
    )
    await services.outbox.drain(timeout=5)
    first, second = tg.texts_to("9")
    assert "English" in first
    assert "Kielce" in second and "Address" in second  # in the language just chosen


async def test_answers_go_before_a_broadcast(config: Config, clock: ManualClock) -> None:
    config.broadcast.telegram_rate = 20
    async with with_subscribers(config, clock, 100, 400) as (services, tg, _):
        await confirm_broadcast(services, "Dużo odbiorców")
        async with working(services):
            await until(lambda: len(tg.sent) >= 10)
            asked = time.monotonic()
            await services.board.dispatch(from_user("999", "kiedy jest forum", update_key="77"))
            await until(lambda: tg.texts_to("999"))
            waited = time.monotonic() - asked
            remaining = 100 - len([c for c, _ in tg.sent if c != "999"])
    assert remaining > 50  # the broadcast was still going on
    assert waited < 1.0


async def test_a_desk_answer_never_reaches_the_asker_of_a_deleted_ticket(config: Config,
                                                                        clock: ManualClock) -> None:
    config.matrix.media_desk_room = "!desk:localhost"
    async with open_services(config, clock) as services:
        tg, mx = RecordingTransport(), RecordingTransport("matrix", edits_messages=False)
        services.board.attach(tg)
        services.board.attach(mx)
        press = "Jestem dziennikarzem, proszę o akredytację"
        await services.board.dispatch(from_user("alice", press, sender_name="Alice"))
        await services.board.dispatch(from_user("bob", press, sender_name="Bob"))
        await services.board.dispatch(from_user("bob", "/forget yes", command="forget", args="yes"))
        await services.board.dispatch(from_user("carol", press, sender_name="Carol"))
        await services.outbox.drain(timeout=10)
        desk = mx.texts_to("!desk:localhost")
        assert any("#2" in text and ("wycofane" in text or "withdrawn" in text) for text in desk)
        assert any("#3" in text and "Carol" in text for text in desk)
        answer = Incoming("matrix", "!desk:localhost", "@press:localhost", "!answer 2 potwierdzona",
                          is_private=False, command="answer", args="2 potwierdzona")
        await services.board.dispatch(answer)
        await services.outbox.drain(timeout=10)
    assert not any("potwierdzona" in t for t in tg.texts_to("carol") + tg.texts_to("bob"))


async def test_the_desk_hears_sent_only_after_delivery(config: Config, clock: ManualClock) -> None:
    config.matrix.media_desk_room = "!desk:localhost"
    config.broadcast.max_attempts = 1
    async with open_services(config, clock) as services:
        tg, mx = RecordingTransport(), RecordingTransport("matrix", edits_messages=False)
        services.board.attach(tg)
        services.board.attach(mx)
        await services.board.dispatch(from_user("alice", "Jestem dziennikarką, wywiad?", sender_name="Alice"))
        await services.outbox.drain(timeout=10)
        tg.failures["alice"] = [RecipientGone("Forbidden: bot was blocked by the user")]
        answer = Incoming("matrix", "!desk:localhost", "@press:localhost", "!answer 1 tak",
                          is_private=False, command="answer", args="1 tak")
        await services.board.dispatch(answer)
        await services.outbox.drain(timeout=10)
    desk = mx.texts_to("!desk:localhost")
    assert not any("wysłana" in t for t in desk)
    assert any("Nie udało się dostarczyć" in t for t in desk)


async def test_an_unwritable_database_still_answers(services: Services, caplog) -> None:
    tg = RecordingTransport()
    services.board.attach(tg)
    await services.storage._writer.execute("PRAGMA query_only=ON")  # as a read-only file or full disk
    caplog.set_level(logging.ERROR)
    await services.board.dispatch(from_user("5", "gdzie jest forum", update_key="1"))
    await services.board.dispatch(from_user("5", "kiedy jest forum", update_key="2"))
    answers = tg.texts_to("5")
    assert len(answers) == 2 and "Kielce" in answers[0]
    assert len([r for r in caplog.records if "could not save an answer" in r.getMessage()]) == 1
    assert not services.storage.writable


async def test_a_reminder_held_up_past_the_start_is_never_sent(config: Config, clock: ManualClock) -> None:
    async with open_services(config, clock) as services:
        event = services.assistant.event
        clock.set(event.start - timedelta(hours=2, minutes=-1))
        tg = RecordingTransport()
        await services.storage.remember_chat(ChatRef("telegram", "6"), True, clock.now())
        await services.storage.set_reminders(ChatRef("telegram", "6"), True, event.start - timedelta(days=30))
        assert await services.reminders.tick() == 1
        clock.set(event.start + timedelta(minutes=1))  # the transport was down until after the start
        services.board.attach(tg)
        await services.outbox.drain(timeout=5)
    assert not [t for t in tg.texts_to("6") if "przypomnienie" in t.lower() or "Przypominam" in t]


async def test_a_reminder_is_worded_when_it_is_sent(config: Config, clock: ManualClock) -> None:
    async with open_services(config, clock) as services:
        event = services.assistant.event
        clock.set(event.start - timedelta(days=7, minutes=-1))
        await services.storage.remember_chat(ChatRef("telegram", "6"), True, clock.now())
        await services.storage.set_reminders(ChatRef("telegram", "6"), True, event.start - timedelta(days=30))
        assert await services.reminders.tick() == 1
        clock.set(event.start - timedelta(days=1))  # sent a week late (a long outage)
        tg = RecordingTransport()
        services.board.attach(tg)
        await services.outbox.drain(timeout=5)
    [reminder] = tg.texts_to("6")
    assert "jutro" in reminder.lower() and "7 dni" not in reminder


async def test_a_transaction_never_commits_another_tasks_half_done_work(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path / "t.db")
    try:
        entered = asyncio.Event()

        async def half_done() -> None:
            async with storage.transaction():
                await storage.set_state("half", "done")
                entered.set()
                await asyncio.sleep(0.1)
                raise RuntimeError("crashed half way")

        async def other() -> None:
            await entered.wait()
            await storage.set_state("other", "committed")

        results = await asyncio.gather(half_done(), other(), return_exceptions=True)
        assert isinstance(results[0], RuntimeError)
        assert await storage.get_state("half") is None
        assert await storage.get_state("other") == "committed"
    finally:
        await storage.close()


async def test_a_task_stopped_while_it_begins_a_transaction_leaves_none_open(
        tmp_path: Path) -> None:
    # Stopped (shutdown, a timeout) while its BEGIN was on its way to SQLite, a task left the
    # transaction open: every later write failed ("cannot start a transaction within a
    # transaction") and a courier went on failing until the process restarted. A real
    # stop at every point of the way, not a fake: the BEGIN runs in aiosqlite's thread.
    storage = await Storage.open(tmp_path / "t.db")
    try:
        for ticks in range(6):
            async def write() -> None:
                async with storage.transaction():
                    await storage.set_state("stopped", "never")
            task = asyncio.create_task(write())
            for _ in range(ticks):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await storage.set_state("after", str(ticks))  # fails if one was left open
            assert await storage.get_state("after") == str(ticks)
    finally:
        await storage.close()


async def test_what_was_just_committed_reads_back_while_other_tasks_read(tmp_path: Path) -> None:
    # A stale read made a courier skip the row it had just claimed ('pending', it read),
    # and the row waited out its 10 s lease: an answer during a broadcast came 10 s late.
    storage = await Storage.open(tmp_path / "t.db")
    stale, writing = [], True

    async def others_reading() -> None:
        while writing:
            await storage.get_state("other")

    async def write_and_read_back() -> None:
        nonlocal writing
        for n in range(300):
            await storage.set_state("k", str(n))
            if (read := await storage.get_state("k")) != str(n):
                stale.append((n, read))
        writing = False

    try:
        await storage.set_state("other", "a row to read")
        await asyncio.gather(write_and_read_back(), *(others_reading() for _ in range(4)))
    finally:
        await storage.close()
    assert stale == []


async def test_two_processes_migrating_a_fresh_database_do_not_race(tmp_path: Path) -> None:
    for round_ in range(5):
        path = tmp_path / f"fresh{round_}.db"
        opened = await asyncio.gather(*(Storage.open(path) for _ in range(6)))
        try:
            assert {await s.schema_version() for s in opened} == {len(MIGRATIONS)}
        finally:
            for storage in opened:
                await storage.close()


async def test_a_database_locked_while_switching_to_wal_is_waited_for() -> None:
    """Switching to WAL needs the database to itself, and SQLite does not wait for it: a
    bot started beside another process on a fresh database failed with "database is
    locked" (once in ~75 starts of six at once)."""

    class Busy:
        def __init__(self) -> None:
            self.tries = 0

        async def execute(self, sql: str) -> None:
            await asyncio.sleep(0)
            self.tries += 1
            if self.tries < 4:
                raise sqlite3.OperationalError("database is locked")

        async def close(self) -> None:
            await asyncio.sleep(0)

    busy = Busy()
    await storage_module._write_ahead_log(busy)  # type: ignore[arg-type]
    assert busy.tries == 4


@pytest.mark.parametrize("argv", [["run", "-c", "CONFIG"], ["-c", "CONFIG", "run"]])
def test_config_file_is_accepted_before_and_after_the_command(argv: list[str], tmp_path: Path) -> None:
    from bot.cli import _parser

    config = tmp_path / "c.toml"
    args = _parser().parse_args([str(config) if a == "CONFIG" else a for a in argv])
    assert args.config == config


def test_a_rehearsal_refuses_the_real_database(tmp_path: Path, capsys, monkeypatch) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IRLF_DB", raising=False)
    assert main(["run", "--now", "2026-09-09T12:00+02:00"]) == 2
    assert "--db" in capsys.readouterr().err
    assert not (tmp_path / "irlf-bot.db").exists()


async def test_a_retry_sends_only_the_parts_that_did_not_go_out(
    services: Services, clock: ManualClock
) -> None:
    class TwoParts(RecordingTransport):
        """Every reply is two platform messages; the second fails once."""

        def __init__(self) -> None:
            super().__init__()
            self.started_at: list[int] = []

        async def send(self, chat_id: str, reply: Reply) -> str | None:  # type: ignore[no-untyped-def]
            self.started_at.append(reply.parts_sent)
            if len(self.started_at) == 1:
                error = DeliveryError("Bad Gateway on part 2")
                error.parts_sent = 1
                raise error
            return await super().send(chat_id, reply)

    tg = TwoParts()
    services.board.attach(tg)
    await services.board.dispatch(from_user("3", "gdzie jest forum", update_key="9"))
    await services.outbox.drain(timeout=5)
    clock.advance(timedelta(seconds=5))
    await services.outbox.drain(timeout=5)
    assert tg.started_at == [0, 1]


async def test_a_message_the_platform_always_refuses_does_not_stall_the_rest(
    config: Config, clock: ManualClock
) -> None:
    config.broadcast.max_attempts = 1
    async with with_subscribers(config, clock, 20, 500, delay=0.01) as (services, tg, _):
        tg.failures["505"] = [TransportDown("500 Internal Server Error")]
        broadcast = await confirm_broadcast(services, "Dla wszystkich")
        async with working(services):
            await until(lambda: len([c for c, r in tg.sent if r.text == "Dla wszystkich"]) >= 20, 20)
            for _ in range(200):
                clock.advance(timedelta(minutes=5))
                if (await services.outbox.progress(broadcast)).pending == 0:
                    break
                await asyncio.sleep(0.2)
        progress = await services.outbox.progress(broadcast)
    assert progress.pending == 0 and progress.failed == 1


def test_the_shell_cancels_an_announcement_it_queued(tmp_path: Path, monkeypatch, capsys) -> None:
    from bot.cli import main

    database = tmp_path / "bot.db"
    monkeypatch.setenv("IRLF_DB", str(database))
    monkeypatch.chdir(tmp_path)

    async def queue() -> int:
        async with open_services(Config(database=database)) as services:
            for chat in ("1", "2", "3"):
                await services.storage.remember_chat(ChatRef("telegram", chat), True, services.clock.now())
            broadcast = await services.outbox.create("Z powłoki", None, ["telegram"], "shell",
                                                     state="scheduled")
            await services.outbox.tend()  # the running bot starts it: recipients queued
            return broadcast

    broadcast = asyncio.run(queue())
    assert main(["broadcast", "--cancel", str(broadcast)]) == 0
    assert "cancelled" in capsys.readouterr().out

    async def after() -> tuple[str, int]:
        async with open_services(Config(database=database)) as services:
            tg = RecordingTransport()
            services.board.attach(tg)
            await services.outbox.drain(timeout=5)
            return (await services.outbox.get(broadcast)).state, len(tg.sent)

    assert asyncio.run(after()) == ("cancelled", 0)
    assert main(["broadcast", "--cancel", str(broadcast)]) == 1  # no longer open


class SlowAdminChat(RecordingTransport):
    """The admin's chat answers slowly (a phone on a fair's network), the rest at once."""

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        if chat_id == ADMIN:
            await asyncio.sleep(1.5)  # longer than the scheduler takes to look again
        return await super().send(chat_id, reply)


async def test_progress_sent_while_the_last_is_on_its_way_edits_it(config: Config,
                                                                  clock: ManualClock) -> None:
    """A progress note queued while the previous one was still being sent edited the message
    known before it: a second new message, then a third — the admin's chat filled with
    stale percentages (seen in CI as "12%" left beside "93%")."""
    config = admin_config(config)
    config.broadcast.telegram_rate = 20
    config.broadcast.telegram_per_chat_interval = 0
    config.broadcast.progress_seconds = 0.05
    async with open_services(config, clock) as services:
        tg = SlowAdminChat()
        services.board.attach(tg)
        await subscribe(services, *(str(500 + n) for n in range(100)))
        broadcast = await confirm_broadcast(services, "Drzwi o 13:30")
        async with working(services):
            for _ in range(200):
                if (await services.outbox.get(broadcast)).state == "done":
                    break
                await asyncio.sleep(0.1)
        assert (await services.outbox.get(broadcast)).state == "done"
        await services.outbox.drain(timeout=10)  # the final report
    progress = [r for chat, r in tg.sent if chat == ADMIN and r.text.startswith("Komunikat #1:")]
    assert len(progress) >= 3  # it was edited several times while the rest went out
    first_id = tg.sent.index((ADMIN, progress[0])) + 1  # the fake numbers new messages 1, 2, …
    assert [r.edit_of for r in progress] == [None] + [str(first_id)] * (len(progress) - 1)
    texts = [r.text for r in progress]
    assert len(set(texts)) == len(texts)  # no note repeats the last one (nothing to edit)
