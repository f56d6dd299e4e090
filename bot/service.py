"""Wiring: config -> storage, knowledge base, event, assistant, switchboard, transports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from bot.assistant import Assistant
from bot.broadcasts import BroadcastDesk
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.event import Event
from bot.media import MediaDesk
from bot.outbox import Outbox
from bot.programme import ProgrammeSource
from bot.programme_desk import ProgrammeDesk
from bot.reminders import ReminderScheduler, RemindersDesk
from bot.storage import Storage
from bot.switchboard import Switchboard
from faq.knowledge import KnowledgeBase

log = logging.getLogger(__name__)


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
        outbox = Outbox(storage, board, clock, config.broadcast, assistant.phrases)
        phrases = assistant.phrases
        reminders = ReminderScheduler(storage, outbox, phrases, clock, config.reminders)
        assistant.register(BroadcastDesk(config, outbox, phrases, clock).commands())
        assistant.register(RemindersDesk(reminders, storage, phrases, clock).commands())
        media = MediaDesk(config, storage, phrases, clock)
        assistant.media = media
        assistant.register(media.commands())
        desk = ProgrammeDesk(programme, storage, phrases, clock, config.programme)
        assistant.register(desk.commands())
        assistant.consultants.append(desk)
        yield Services(config, clock, storage, assistant, board, outbox, reminders, media, programme)
    finally:
        await storage.close()


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


async def serve(services: Services, transports: list[Any]) -> None:
    """Run the transports and the background work (outbox) until cancelled; stop cleanly."""
    started: list[Any] = []
    workers: list[asyncio.Task[None]] = []
    services.media.announce()
    try:
        for transport in transports:
            await transport.start()
            started.append(transport)
            log.info("%s transport running", transport.name)
        workers.append(asyncio.create_task(
            services.outbox.run(services.config.matrix.broadcast_rooms), name="outbox"
        ))
        workers.append(asyncio.create_task(services.reminders.run(), name="reminders"))
        await asyncio.gather(*workers)
    finally:
        for worker in workers:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker
        for transport in reversed(started):
            with contextlib.suppress(Exception):
                await transport.stop()
