"""Wiring: config -> storage, knowledge base, event, assistant, switchboard, transports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Any

from bot.assistant import Assistant
from bot.broadcasts import BroadcastDesk
from bot.clock import Clock, SystemClock
from bot.config import Config, ConfigError
from bot.event import Event
from bot.media import MediaDesk
from bot.outbox import Outbox
from bot.programme import ProgrammeSource
from bot.programme_desk import ProgrammeDesk
from bot.reminders import ReminderScheduler, RemindersDesk
from bot.session_reminders import SessionReminders
from bot.storage import Storage
from bot.switchboard import Switchboard
from faq.knowledge import KnowledgeBase

log = logging.getLogger(__name__)
STOP_SECONDS = 9.0  # systemd and docker wait 10 s before they kill


@dataclass(slots=True)
class Services:
    config: Config
    clock: Clock
    storage: Storage
    assistant: Assistant
    board: Switchboard
    outbox: Outbox
    reminders: ReminderScheduler
    media: MediaDesk
    programme: ProgrammeSource
    sessions: SessionReminders


@contextlib.asynccontextmanager
async def open_services(config: Config, clock: Clock | None = None) -> AsyncIterator[Services]:
    """Everything the transports need, opened and closed together."""
    clock = clock or SystemClock()
    event = Event.load(config.event_file)
    programme = ProgrammeSource(event, config.event_file)
    kb = KnowledgeBase.load()
    storage = await Storage.open(config.database)
    try:
        assistant = Assistant(config, event, kb, storage, clock)
        board = Switchboard(assistant)
        phrases = assistant.phrases
        outbox = Outbox(storage, board, clock, config.broadcast, phrases, config.matrix.broadcast_rooms,
                        config.privacy.keep_days)
        reminders = ReminderScheduler(storage, outbox, phrases, clock, config.reminders)
        assistant.register(BroadcastDesk(config, outbox, phrases, clock).commands())
        assistant.register(RemindersDesk(reminders, storage, phrases, clock).commands())
        media = MediaDesk(config, storage, phrases, clock)
        assistant.media = media
        assistant.register(media.commands())
        outbox.delivered_hooks["ticket"] = media.on_delivered
        desk = ProgrammeDesk(programme, storage, phrases, clock, config.programme)
        assistant.register(desk.commands())
        assistant.consultants.append(desk)
        sessions = SessionReminders(programme, storage, outbox, desk, clock, config.programme)
        yield Services(config, clock, storage, assistant, board, outbox, reminders, media, programme,
                       sessions)
    finally:
        await storage.close()


@contextlib.asynccontextmanager
async def background_work(services: Services) -> AsyncIterator[None]:
    """The outbox and the reminders working until the block ends (as `serve` runs them)."""
    workers = [
        asyncio.create_task(services.outbox.run(), name="outbox"),
        asyncio.create_task(services.reminders.run(), name="reminders"),
        asyncio.create_task(services.sessions.run(), name="session-reminders"),
    ]
    try:
        yield
    finally:
        await services.outbox.stop(2.0)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def build_transports(services: Services) -> list[Any]:
    """The adapters the configuration enables (imported only when enabled)."""
    transports: list[Any] = []
    if services.config.telegram.enabled:
        from handlers.telegram import TelegramTransport

        transports.append(TelegramTransport(services))
    if services.config.matrix.enabled:
        from handlers.matrix import MatrixTransport

        transports.append(MatrixTransport(services))
    return transports


async def serve(
    services: Services, transports: list[Any], stopping: asyncio.Event | None = None
) -> None:
    """Run the transports and the background work until `stopping` is set (SIGTERM,
    SIGINT) or the task is cancelled; then stop cleanly within STOP_SECONDS.

    Each transport starts under its own supervisor: one that cannot connect keeps
    retrying without holding back the others, the outbox or the reminders. A transport
    whose credentials are refused stops the whole service (`ConfigError`).
    """
    stopping = stopping or asyncio.Event()
    fatal: list[ConfigError] = []
    services.media.announce()
    if not await services.storage.check_writable():
        log.error("database %s is not writable: answers still go out, nothing is recorded",
                  services.config.database)
    workers = [
        asyncio.create_task(services.outbox.run(), name="outbox"),
        asyncio.create_task(services.reminders.run(), name="reminders"),
        asyncio.create_task(services.sessions.run(), name="session-reminders"),
    ]
    supervisors = [
        asyncio.create_task(_supervise(t, stopping, fatal), name=f"start-{t.name}") for t in transports
    ]
    try:
        await stopping.wait()
    finally:
        await _shut_down(services, transports, supervisors, workers)
    if fatal:
        raise fatal[0]


async def _supervise(transport: Any, stopping: asyncio.Event, fatal: list[ConfigError]) -> None:
    delay = 1.0
    while not stopping.is_set():
        try:
            await transport.start()
        except ConfigError as exc:
            fatal.append(exc)
            stopping.set()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s could not start (%s); retrying in %.0f s", transport.name, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
        else:
            log.info("%s transport running", transport.name)
            return


async def _shut_down(
    services: Services, transports: list[Any], supervisors: list[asyncio.Task[None]],
    workers: list[asyncio.Task[None]],
) -> None:
    """Stop receiving, let what is in hand be answered and sent, save positions, close."""
    deadline = time.monotonic() + STOP_SECONDS
    for task in supervisors:
        task.cancel()
    await asyncio.gather(*supervisors, return_exceptions=True)
    # 1. no new updates; the updates in hand are answered (queued) and positions saved
    await asyncio.gather(
        *(_bounded(t.stop_receiving(), deadline - 2) for t in transports), return_exceptions=True
    )
    # 2. the messages in the platforms' hands are finished (the rest waits for next start)
    await services.outbox.stop(max(0.5, deadline - 1.5 - time.monotonic()))
    for task in workers:
        task.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    # 3. connections closed
    await asyncio.gather(*(_bounded(t.stop(), deadline) for t in transports), return_exceptions=True)
    log.info("stopped")


async def _bounded(call: Awaitable[None], deadline: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(call, max(0.1, deadline - time.monotonic()))
