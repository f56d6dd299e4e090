"""Health for operators: what the running bot tells `irlf-bot status`, /healthz and /metrics.

- A heartbeat every HEARTBEAT_SECONDS rewrites one status row in the database (pid, start,
  content version, each transport's connection and last update received). `irlf-bot
  status` reads it; its age tells whether the bot runs and can still write its database.
- Metrics (prometheus_client, a registry per bot): questions by kind and transport, the
  time from a message received to its replies delivered (a histogram), reloads; the
  outbox (sent, failed, pending per transport) is counted from the database at each
  scrape, so the figures survive restarts.
- `[health] listen = "127.0.0.1:9108"` serves /healthz (200 or 503, JSON) and /metrics
  over aiohttp (which matrix-nio already brings).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections import Counter as Tally
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.clock import Clock, stamp
from bot.config import Config, parse_listen
from bot.content import LiveContent
from bot.storage import DatabaseError, OutboxRow, Storage

if TYPE_CHECKING:
    from bot.switchboard import Switchboard

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
STALE_AFTER = timedelta(seconds=20)  # no heartbeat for this long: the bot is down or stuck
TRANSPORTS = ("telegram", "matrix")
# Seconds from a message received to its replies delivered (Telegram p99 is ~40 ms here,
# Matrix ~120 ms; a slow answer is seconds).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class TransportStatus:
    name: str
    running: bool  # started and attached to the switchboard
    connected: bool  # the platform answers (Telegram polling, Matrix sync)
    last_update_at: str | None  # the last message received, UTC ISO


@dataclass(frozen=True, slots=True)
class Verdict:
    """/healthz: healthy or not, and why not."""

    ok: bool
    problems: list[str]


class _Gauges(Collector):
    """The outbox's depth (from the database) and the transports' states, read just
    before each scrape."""

    def __init__(self) -> None:
        self.outbox: dict[tuple[str, str, str], int] = {}
        self.transports: list[TransportStatus] = []

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "irlf_outbox_pending", "Messages waiting to be sent (or in flight)", labels=["transport", "kind"]
        )
        waiting: dict[tuple[str, str], int] = {}
        for (transport, kind, state), count in self.outbox.items():
            if state in ("pending", "claimed"):
                waiting[transport, kind] = waiting.get((transport, kind), 0) + count
        for (transport, kind), count in sorted(waiting.items()):
            pending.add_metric([transport, kind], count)
        up = GaugeMetricFamily("irlf_transport_up", "1 if the transport is connected", labels=["transport"])
        for status in self.transports:
            up.add_metric([status.name], 1.0 if status.running and status.connected else 0.0)
        yield from (pending, up)


class Health:
    def __init__(
        self, config: Config, storage: Storage, content: LiveContent, clock: Clock
    ) -> None:
        self.config = config
        self.storage = storage
        self.content = content
        self.clock = clock
        self.board: Switchboard | None = None
        self.started_at = clock.now()
        self.last_update: dict[str, datetime] = {}
        self.db_error: str | None = None
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "irlf_questions", "Free-text questions by outcome (answer, suggest, handoff, "
            "fallback, small_talk)", ["transport", "kind"], registry=self.registry,
        )
        self.reply_seconds = Histogram(
            "irlf_reply_seconds", "Seconds from a message received to its replies worked out and "
            "queued (including waiting behind earlier messages of the same chat)",
            ["transport"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.reloads = Counter(
            "irlf_content_reloads", "Reloads of event, knowledge base and UI texts", ["result"],
            registry=self.registry,
        )
        self.outbox = {
            state: Counter(f"irlf_outbox_{state}", f"Messages {state} (replies, desk, reminders, "
                           "broadcasts...)", ["transport", "kind"], registry=self.registry)
            for state in ("sent", "failed", "blocked")
        }
        self._gauges = _Gauges()
        self.registry.register(self._gauges)
        self._news = asyncio.Event()  # something the status row should show at once

    # what the bot reports as it works

    def received(self, transport: str) -> None:
        self.last_update[transport] = self.clock.now()

    def question(self, transport: str, kind: str) -> None:
        self.questions.labels(transport, kind).inc()

    def replied(self, transport: str, seconds: float) -> None:
        self.reply_seconds.labels(transport).observe(seconds)

    def settled(self, row: OutboxRow, state: str) -> None:
        """An outbox message was sent, or given up (failed, recipient blocked the bot)."""
        if state in self.outbox:
            self.outbox[state].labels(row.transport, row.kind).inc()

    def reloaded(self, ok: bool) -> None:
        self.reloads.labels("applied" if ok else "refused").inc()
        self._news.set()

    # what it tells operators

    def transports(self) -> list[TransportStatus]:
        """Every transport the configuration enables, started or not."""
        attached = self.board.transports if self.board is not None else {}
        enabled = {"telegram": self.config.telegram.enabled, "matrix": self.config.matrix.enabled}
        found = []
        for name in TRANSPORTS:
            if not enabled[name] and name not in attached:
                continue
            transport = attached.get(name)
            last = self.last_update.get(name)
            found.append(TransportStatus(
                name, transport is not None,
                transport is not None and bool(getattr(transport, "connected", True)),
                stamp(last) if last else None,
            ))
        return found

    def snapshot(self, *, stopped: bool = False) -> dict[str, Any]:
        """The status row's body."""
        content = self.content.current
        reload = self.content.last_reload
        return {
            "pid": os.getpid(),
            "started_at": stamp(self.started_at),
            "stopped_at": stamp(self.clock.now()) if stopped else None,
            "content": {
                "version": content.version, "description": content.describe(),
                "loaded_at": stamp(content.loaded_at),
            },
            "last_reload": asdict(reload) if reload else None,
            "transports": [asdict(t) for t in self.transports()],
        }

    def verdict(self) -> Verdict:
        problems = []
        if self.db_error:
            problems.append(f"database not writable: {self.db_error}")
        for status in self.transports():
            if not status.running:
                problems.append(f"{status.name}: not running")
            elif not status.connected:
                problems.append(f"{status.name}: not connected")
        return Verdict(not problems, problems)

    async def beat(self, *, stopped: bool = False) -> None:
        """Rewrite the status row (`stopped`: the last one, on a clean stop); remember
        whether the database took the write."""
        body = json.dumps(self.snapshot(stopped=stopped))
        try:
            await self.storage.write_status(body, self.clock.now())
        except DatabaseError as exc:  # read-only file, disk full: say so once, keep answering
            if self.db_error is None:
                log.error("the database does not take writes: %s", exc)
            self.db_error = f"{type(exc).__name__}: {exc}"
        else:
            if self.db_error is not None:
                log.info("the database takes writes again")
            self.db_error = None

    async def run(self) -> None:
        """Heartbeat until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), HEARTBEAT_SECONDS)
            self._news.clear()
            await self.beat()

    async def metrics(self) -> bytes:
        """The Prometheus text format, with the database figures read now."""
        with contextlib.suppress(Exception):  # a scrape must answer even if the database won't
            self._gauges.outbox = await self.storage.outbox_counts()
        self._gauges.transports = self.transports()
        return generate_latest(self.registry)


# the HTTP endpoint


@contextlib.asynccontextmanager
async def http_endpoint(health: Health, listen: str) -> AsyncIterator[int]:
    """Serve /healthz and /metrics on `listen` until the block ends; yield the port."""

    async def healthz(request: web.Request) -> web.Response:
        verdict = health.verdict()
        body = {"ok": verdict.ok, "problems": verdict.problems, **health.snapshot()}
        return web.json_response(body, status=200 if verdict.ok else 503)

    async def metrics(request: web.Request) -> web.Response:
        body = await health.metrics()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    host, port = parse_listen(listen)
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("health endpoint on http://%s:%s/healthz and /metrics", host, bound)
        yield bound
    finally:
        await runner.cleanup()


# `irlf-bot status`: the status row read from the shell


@dataclass(frozen=True, slots=True)
class StatusReport:
    lines: list[str]
    ok: bool


def status_report(
    row: tuple[datetime, str] | None,
    outbox: dict[tuple[str, str, str], int],
    writable: bool,
    now: datetime,
) -> StatusReport:
    """What `irlf-bot status` prints, and whether all is well (exit code 0 or 1)."""
    lines: list[str] = []
    ok = True
    if not writable:
        lines.append("database:  NOT writable (read-only file, full disk or locked; see the log)")
        ok = False
    else:
        lines.append("database:  writable")
    if row is None:
        lines.append("bot:       never ran with this database")
        body: dict[str, Any] = {}
        ok = False
    else:
        updated_at, text = row
        body = json.loads(text)
        age = now - updated_at
        stopped = body.get("stopped_at")
        fresh = age <= STALE_AFTER and not stopped
        ok = ok and fresh
        state = "running" if fresh else (f"NOT running (stopped at {stopped[:19]}Z)" if stopped
                                         else "NOT running (or stuck)")
        lines.append(f"bot:       {state}, pid {body.get('pid')}, last heartbeat {_ago(age)} ago, "
                     f"started {body.get('started_at', '?')[:19]}Z")
        content = body.get("content") or {}
        lines.append(f"content:   {content.get('description', '?')}, "
                     f"loaded {content.get('loaded_at', '?')[:19]}Z")
        reload = body.get("last_reload")
        if reload and not reload.get("ok"):
            lines.append(f"           last reload refused: {'; '.join(reload.get('problems', []))[:300]}")
        for transport in body.get("transports", []):
            connected = transport["running"] and transport["connected"]
            ok = ok and (connected or not fresh)
            last = transport.get("last_update_at")
            seen = f"last update {_ago(now - datetime.fromisoformat(last))} ago" if last else "no update yet"
            state = "connected" if connected else ("NOT connected" if transport["running"] else "NOT running")
            lines.append(f"{transport['name']:<10} {state}, {seen}")
    states: dict[str, Tally[str]] = {t["name"]: Tally() for t in body.get("transports", [])}
    for (transport, _, state), count in outbox.items():
        states.setdefault(transport, Tally())[state] += count
    for name in sorted(states):
        counts = states[name]
        waiting = counts["pending"] + counts["claimed"]
        lines.append(f"outbox:    {name}: {waiting} waiting, {counts['failed']} failed, "
                     f"{counts['sent']} sent")
    return StatusReport(lines, ok)


def _ago(age: timedelta) -> str:
    seconds = max(0, int(age.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
