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
from bot.config import Config, ConfigError
from bot.content import LiveContent, Sources
from bot.control import Control
from bot.health import Health, http_endpoint
from bot.media import MediaDesk
from bot.organisers import OrganiserDesk
from bot.outbox import Outbox
from bot.reminders import ReminderScheduler, RemindersDesk
from bot.storage import Storage
from bot.switchboard import Switchboard

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
    content: LiveContent
    health: Health
    control: Control


@contextlib.asynccontextmanager
async def open_services(config: Config, clock: Clock | None = None) -> AsyncIterator[Services]:
    """Everything the transports need, opened and closed together."""
    clock = clock or SystemClock()
    content = LiveContent.open(Sources.of(config), clock)
    storage = await Storage.open(config.database)
    try:
        assistant = Assistant(config, content, storage, clock)
        board = Switchboard(assistant)
        outbox = Outbox(storage, board, clock, config.broadcast, content)
        reminders = ReminderScheduler(storage, outbox, content, clock, config.reminders)
        assistant.register(BroadcastDesk(config, outbox, content, clock).commands())
        assistant.register(RemindersDesk(reminders, storage, content, clock).commands())
        media = MediaDesk(config, storage, content, clock)
        assistant.media = media
        assistant.register(media.commands())
        health, control = _operations(config, storage, content, assistant, board)
        assistant.register(OrganiserDesk(config, storage, content, control, clock).commands())
        yield Services(config, clock, storage, assistant, board, outbox, reminders, media,
                       content, health, control)
    finally:
        await storage.close()


def _operations(
    config: Config, storage: Storage, content: LiveContent, assistant: Assistant, board: Switchboard
) -> tuple[Health, Control]:
    """Health and control measure liveness in real time, whatever the rehearsal clock says."""
    wall = SystemClock()
    health = Health(config, storage, content, wall)
    health.board = board
    assistant.health = board.health = health
    return health, Control(storage, content, health, wall)


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
    async with operating(services):
        await _serve(services, transports)


@contextlib.asynccontextmanager
async def operating(services: Services) -> AsyncIterator[None]:
    """What operators use while the bot runs: the heartbeat (`irlf-bot status`), reload on
    SIGHUP and on `irlf-bot reload`, and the optional /healthz and /metrics endpoint."""
    async with contextlib.AsyncExitStack() as stack:
        listen = services.config.health.listen
        if listen:
            try:
                await stack.enter_async_context(http_endpoint(services.health, listen))
            except OSError as exc:
                raise ConfigError(f"health.listen: cannot listen on {listen}: {exc.strerror}") from None
        services.control.listen_for_sighup()
        stack.callback(services.control.stop_listening)
        await services.health.beat()  # `irlf-bot status` and `reload` see the bot at once
        tasks = [asyncio.create_task(services.health.run(), name="heartbeat"),
                 asyncio.create_task(services.control.run(), name="control")]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _serve(services: Services, transports: list[Any]) -> None:
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
