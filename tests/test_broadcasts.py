"""Broadcasts: admins only, preview and confirm, the paced outbox that loses nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from bot.clock import ManualClock
from bot.config import Config
from bot.messages import ChatRef, Incoming
from bot.service import Services, open_services
from bot.transport import DeliveryError, RecipientGone, RetryLater
from tests.fakes import RecordingTransport

ADMIN = "42"


def admin_config(config: Config) -> Config:
    config.telegram.admins = [int(ADMIN)]
    config.broadcast.telegram_rate = 1000
    config.broadcast.telegram_per_chat_interval = 0
    return config


def from_user(chat_id: str, text: str = "", **fields: object) -> Incoming:
    base: dict = {"transport": "telegram", "chat_id": chat_id, "sender_id": chat_id, "text": text}
    base.update(fields)
    return Incoming(**base)


def command(chat_id: str, name: str, args: str = "") -> Incoming:
    return from_user(chat_id, f"/{name} {args}", command=name, args=args)


async def subscribe(services: Services, *chats: str, lang: str = "pl") -> None:
    for chat in chats:
        await services.assistant.handle(command(chat, "lang", lang))


@contextlib.asynccontextmanager
async def with_subscribers(
    config: Config, clock: ManualClock, count: int, first: int, delay: float = 0.0
) -> AsyncIterator[tuple[Services, RecordingTransport, list[str]]]:
    """An admin's bot on a recording Telegram with `count` subscribed chats."""
    chats = [str(first + n) for n in range(count)]
    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport(delay=delay)
        services.board.attach(tg)
        await subscribe(services, *chats)
        yield services, tg, chats


async def confirm_broadcast(services: Services, text: str) -> int:
    [preview] = await services.assistant.handle(command(ADMIN, "broadcast", text))
    payload = preview.buttons[0][0].payload
    assert payload.startswith("confirm ")
    [ok] = await services.assistant.handle(command(ADMIN, "confirm", payload.split()[1]))
    assert "#" in ok.text
    return int(payload.split()[1])


async def test_non_admin_is_refused_and_logged(services: Services, caplog) -> None:
    [reply] = await services.assistant.handle(command("7", "broadcast", "Hello"))
    assert "uprawnień" in reply.text
    assert "not allowed" in caplog.text
    assert await services.outbox.get(1) is None


async def test_preview_counts_recipients_then_each_gets_their_language(config: Config,
                                                                      clock: ManualClock) -> None:
    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1", "2", lang="pl")
        await subscribe(services, "3", lang="en")
        [preview] = await services.assistant.handle(command(ADMIN, "broadcast", "Drzwi 13:30 || Doors 13:30"))
        assert "3 odbiorców" in preview.text or "4 odbiorców" in preview.text
        assert "telegram" in preview.text
        await services.assistant.handle(command(ADMIN, "confirm", preview.buttons[0][0].payload.split()[1]))
        await services.outbox.drain(timeout=10)
        assert tg.texts_to("1")[-1] == "Drzwi 13:30"
        assert tg.texts_to("3")[-1] == "Doors 13:30"
        report = tg.texts_to(ADMIN)[-1]
        assert "wysłany" in report and "0 nieudanych" in report


async def test_only_the_author_confirms(config: Config, clock: ManualClock) -> None:
    config.telegram.admins = [42, 43]
    async with open_services(config, clock) as services:
        [preview] = await services.assistant.handle(command("42", "broadcast", "Test"))
        number = preview.buttons[0][0].payload.split()[1]
        [other] = await services.assistant.handle(command("43", "confirm", number))
        assert "tylko jego autor" in other.text
        assert (await services.outbox.get(int(number))).state == "draft"


async def test_blocked_recipient_is_marked_and_skipped_next_time(config: Config,
                                                                clock: ManualClock) -> None:
    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1", "2")
        tg.failures["2"] = [RecipientGone("Forbidden: bot was blocked by the user")]
        first = await confirm_broadcast(services, "Pierwszy")
        await services.outbox.drain(timeout=10)
        progress = await services.outbox.progress(first)
        assert (progress.sent, progress.blocked) == (2, 1)  # users 1 and the admin; 2 blocked
        user = await services.storage.get_user(ChatRef("telegram", "2"))
        assert user is not None and user.blocked
        second = await confirm_broadcast(services, "Drugi")
        await services.outbox.drain(timeout=10)
        assert (await services.outbox.progress(second)).total == 2
        assert "Drugi" not in " ".join(tg.texts_to("2"))


async def test_retry_after_is_honoured_and_nothing_is_lost(config: Config, clock: ManualClock) -> None:
    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1")
        tg.failures["1"] = [RetryLater(0.2), RetryLater(0.2)]
        tg.failures["1"] = [RetryLater(0.2)]

        async def recover() -> None:
            await asyncio.sleep(0.3)
            tg.failures.pop("1")

        broadcast = await confirm_broadcast(services, "Po przerwie")
        await asyncio.gather(services.outbox.drain(timeout=10), recover())
        assert tg.texts_to("1") == [tg.texts_to("1")[0]] and "Po przerwie" in tg.texts_to("1")
        assert (await services.outbox.progress(broadcast)).sent == 2


async def test_errors_retried_with_backoff_then_failed(config: Config, clock: ManualClock) -> None:
    config.broadcast.max_attempts = 3
    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1")
        tg.failures["1"] = [DeliveryError("timeout")]
        broadcast = await confirm_broadcast(services, "Nie dojdzie")
        for _ in range(4):
            await services.outbox.work_once()
            clock.advance(timedelta(minutes=10))
        progress = await services.outbox.progress(broadcast)
        assert (progress.sent, progress.failed) == (1, 1)


async def test_a_killed_outbox_resumes_without_skipping_anyone(config: Config,
                                                               clock: ManualClock) -> None:
    config.broadcast.telegram_rate = 200
    async with with_subscribers(config, clock, 300, 1000) as (services, tg, chats):
        await confirm_broadcast(services, "Wszyscy")
        worker = asyncio.create_task(services.outbox.run())
        while len(tg.sent) < 100:
            await asyncio.sleep(0.01)
        worker.cancel()  # the process dies here: nothing after this line of the old worker runs
        first_run = list(tg.sent)
    async with open_services(config, clock) as services:
        tg2 = RecordingTransport()
        services.board.attach(tg2)
        await services.outbox.drain(timeout=20)
    delivered = [c for c, r in first_run + tg2.sent if r.text == "Wszyscy"]
    assert set(chats) <= set(delivered)
    duplicates = len(delivered) - len(set(delivered))
    assert duplicates <= 8  # at most the messages in flight at the kill


async def test_scheduled_broadcast_waits_for_its_time(config: Config, clock: ManualClock) -> None:
    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1")
        broadcast = await services.outbox.create(
            "Później", None, ["telegram"], "shell", state="scheduled",
            not_before=clock.now() + timedelta(hours=1),
        )
        await services.outbox.work_once()
        assert "Później" not in tg.texts_to("1")
        clock.advance(timedelta(hours=1, seconds=1))
        await services.outbox.drain(timeout=10)
        assert tg.texts_to("1")[-1] == "Później"
        assert (await services.outbox.get(broadcast)).state == "done"


async def test_matrix_admins_broadcast_only_in_the_management_room(config: Config,
                                                                   clock: ManualClock) -> None:
    config.matrix.admins = ["@org:localhost"]
    config.matrix.management_room = "!manage:localhost"
    async with open_services(config, clock) as services:
        def matrix(room: str, sender: str, text: str) -> Incoming:
            name, _, args = text[1:].partition(" ")
            return Incoming("matrix", room, sender, text, is_private=False, command=name, args=args)

        [elsewhere] = await services.assistant.handle(matrix("!other:localhost", "@org:localhost",
                                                             "!broadcast Hej"))
        assert "uprawnień" in elsewhere.text
        [stranger] = await services.assistant.handle(matrix("!manage:localhost", "@eve:localhost",
                                                            "!broadcast Hej"))
        assert "uprawnień" in stranger.text
        [preview] = await services.assistant.handle(matrix("!manage:localhost", "@org:localhost",
                                                           "!broadcast Hej"))
        assert "!confirm 1" in preview.text and "!cancel 1" in preview.text
        [cancelled] = await services.assistant.handle(matrix("!manage:localhost", "@org:localhost",
                                                             "!cancel 1"))
        assert "anulowany" in cancelled.text
        assert (await services.outbox.get(1)).state == "cancelled"


async def test_matrix_progress_comes_as_milestone_notices(config: Config,
                                                          clock: ManualClock) -> None:
    config.matrix.admins = ["@org:localhost"]
    config.matrix.management_room = "!manage:localhost"
    config.broadcast.matrix_rate = 1000
    async with open_services(config, clock) as services:
        mx = RecordingTransport("matrix", edits_messages=False)
        services.board.attach(mx)
        for n in range(8):
            await services.assistant.handle(Incoming("matrix", f"!dm{n}:localhost", f"@u{n}:x", "hej"))
        [_preview] = await services.assistant.handle(
            Incoming("matrix", "!manage:localhost", "@org:localhost", "!broadcast Hej",
                     is_private=False, command="broadcast", args="Hej"))
        await services.assistant.handle(
            Incoming("matrix", "!manage:localhost", "@org:localhost", "!confirm 1",
                     is_private=False, command="confirm", args="1"))
        await services.outbox.drain(timeout=10)
        reports = mx.texts_to("!manage:localhost")
        assert reports[-1].startswith("Komunikat #1 wysłany: 8 dostarczonych")
        assert all(r.startswith("Komunikat #1") for r in reports)
        assert len(reports) <= 4  # 25/50/75% at most, then the final report


async def test_shell_progress_bar_runs_until_the_bot_has_sent_everything(
    config: Config, clock: ManualClock, capsys
) -> None:
    from bot.cli import _show_progress

    async with open_services(admin_config(config), clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        await subscribe(services, "1", "2", "3")
        broadcast = await services.outbox.create("Z powłoki", None, ["telegram"], "shell",
                                                 state="scheduled")
        await asyncio.gather(_show_progress(services.outbox, broadcast),
                             services.outbox.drain(timeout=10))
    out = capsys.readouterr().out
    assert "100% 3/3 sent 3 blocked 0 failed 0 (done)" in out
    assert "[" + "#" * 30 + "]" in out
