"""The persistent, paced outbox: broadcasts and reminders reach everyone, once.

One row per message and recipient in SQLite. The running bot works the rows: each is
marked sent right after the platform accepted it, so a `kill -9` loses nothing and
repeats at most the messages in flight (`CONCURRENCY`). Pacing uses aiolimiter:
an overall rate per transport, a minimum interval per chat, a per-minute cap per group.
`RetryAfter` pauses the transport; a recipient who blocked the bot is marked and skipped
from then on; other errors are retried with backoff, then marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiolimiter import AsyncLimiter

from bot.clock import Clock, stamp
from bot.config import BroadcastSettings
from bot.content import LiveContent
from bot.markup import to_html
from bot.messages import ChatRef, Reply
from bot.phrasebook import Phrasebook
from bot.storage import Storage
from bot.switchboard import Switchboard
from bot.transport import DeliveryError, RecipientGone, RetryLater

log = logging.getLogger(__name__)

CONCURRENCY = 8  # messages in flight at once: the most a kill -9 can repeat
BATCH = 200
IDLE_SECONDS = 1.0
BURST_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Recipient:
    transport: str
    chat_id: str
    lang: str
    is_private: bool = True


@dataclass(frozen=True, slots=True)
class Progress:
    broadcast_id: int
    total: int
    sent: int
    blocked: int
    failed: int
    pending: int

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.done / self.total)


@dataclass(frozen=True, slots=True)
class BroadcastRow:
    id: int
    kind: str
    text_pl: str
    text_en: str | None
    transports: tuple[str, ...]
    created_by: str
    origin: ChatRef | None
    state: str
    not_before: datetime
    started_at: datetime | None
    progress_message: str | None
    reported_percent: int

    def text_for(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text_pl

    @classmethod
    def from_row(cls, row: object) -> BroadcastRow:
        r = row  # aiosqlite.Row
        origin = ChatRef(r["origin_transport"], r["origin_chat"]) if r["origin_chat"] else None
        return cls(
            r["id"], r["kind"], r["text_pl"], r["text_en"],
            tuple(t for t in r["transports"].split(",") if t), r["created_by"], origin,
            r["state"], datetime.fromisoformat(r["not_before"]),
            datetime.fromisoformat(r["started_at"]) if r["started_at"] else None,
            r["progress_message"], r["reported_percent"],
        )


class _Pacer:
    """How fast one transport may send: overall, per chat, per group."""

    def __init__(self, rate: float, per_chat: float, group_per_minute: int) -> None:
        # A bucket of 50 ms worth of messages: a late sender can catch up a little, yet no
        # one-second window ever holds more than 1.05 x the rate (Telegram allows 30/s; we
        # default to 25/s).
        burst = max(1.0, rate * BURST_SECONDS)
        self.overall = AsyncLimiter(burst, burst / rate)
        self.per_chat = per_chat
        self.group_per_minute = group_per_minute
        self._last: dict[str, float] = {}
        self._groups: dict[str, AsyncLimiter] = {}
        self.paused_until = 0.0

    async def wait(self, chat_id: str, is_private: bool) -> None:
        while (delay := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        if not is_private:
            group = self._groups.setdefault(
                chat_id, AsyncLimiter(1, 60 / self.group_per_minute)
            )
            await group.acquire()
        last = self._last.get(chat_id)
        if last is not None and (gap := self.per_chat - (time.monotonic() - last)) > 0:
            await asyncio.sleep(gap)
        await self.overall.acquire()
        self._last[chat_id] = time.monotonic()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


class Outbox:
    def __init__(
        self,
        storage: Storage,
        board: Switchboard,
        clock: Clock,
        settings: BroadcastSettings,
        content: LiveContent,
    ) -> None:
        self.content = content
        self.storage = storage
        self.db = storage.db
        self.board = board
        self.clock = clock
        self.settings = settings
        self.pacers: dict[str, _Pacer] = {
            "telegram": _Pacer(
                settings.telegram_rate, settings.telegram_per_chat_interval,
                settings.telegram_group_per_minute,
            ),
            "matrix": _Pacer(settings.matrix_rate, 0.0, 10_000),
        }
        self._wake = asyncio.Event()
        self._progress_at: dict[int, float] = defaultdict(float)
        self.progress_interval = 3.0

    @property
    def phrases(self) -> Phrasebook:
        return self.content.phrases

    def wake(self) -> None:
        """New rows are waiting: stop idling."""
        self._wake.set()

    # creating and scheduling

    async def create(
        self,
        text_pl: str,
        text_en: str | None,
        transports: Iterable[str],
        created_by: str,
        origin: ChatRef | None = None,
        *,
        kind: str = "broadcast",
        state: str = "draft",
        not_before: datetime | None = None,
    ) -> int:
        now = self.clock.now()
        cur = await self.db.execute(
            "INSERT INTO broadcasts (kind, text_pl, text_en, transports, created_by, "
            "origin_transport, origin_chat, state, not_before, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                kind, text_pl, text_en, ",".join(transports), created_by,
                origin.transport if origin else None, origin.chat_id if origin else None,
                state, stamp(not_before or now), stamp(now),
            ),
        )
        await self.db.commit()
        assert cur.lastrowid is not None
        self._wake.set()
        return cur.lastrowid

    async def get(self, broadcast_id: int) -> BroadcastRow | None:
        async with self.db.execute("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)) as c:
            row = await c.fetchone()
        return BroadcastRow.from_row(row) if row else None

    async def set_state(self, broadcast_id: int, state: str) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET state = ? WHERE id = ?", (state, broadcast_id)
        )
        if state == "cancelled":
            await self.db.execute(
                "UPDATE outbox SET state = 'cancelled' WHERE broadcast_id = ? AND state = 'pending'",
                (broadcast_id,),
            )
        await self.db.commit()
        self._wake.set()

    async def enqueue(
        self, broadcast_id: int, recipients: Iterable[Recipient], *, commit: bool = True
    ) -> int:
        """Add recipients to a broadcast (idempotent: a recipient is added once).
        `commit=False` leaves the transaction open for the caller's own rows (reminders)."""
        rows = [
            (broadcast_id, r.transport, r.chat_id, r.lang, int(r.is_private)) for r in recipients
        ]
        await self.db.executemany(
            "INSERT OR IGNORE INTO outbox (broadcast_id, transport, chat_id, lang, is_private) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        if commit:
            await self.db.commit()
            self._wake.set()
        return len(rows)

    async def recipients(self, transports: Iterable[str], matrix_rooms: Iterable[str]) -> list[Recipient]:
        """Everyone a broadcast reaches now: private chats not blocked, opted-in Matrix rooms."""
        wanted = list(transports)
        found = [
            Recipient(u.transport, u.chat_id, u.language or "pl", u.is_private)
            for u in await self.storage.users(wanted)
            if u.is_private and u.transport != "console"
        ]
        if "matrix" in wanted:
            known = {r.chat_id for r in found if r.transport == "matrix"}
            found += [
                Recipient("matrix", room, "pl", False) for room in matrix_rooms if room not in known
            ]
        return found

    async def progress(self, broadcast_id: int) -> Progress:
        async with self.db.execute(
            "SELECT state, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY state",
            (broadcast_id,),
        ) as cur:
            counts = {state: n async for state, n in cur}
        return Progress(
            broadcast_id, sum(counts.values()), counts.get("sent", 0),
            counts.get("blocked", 0), counts.get("failed", 0), counts.get("pending", 0),
        )

    # working

    async def run(self, matrix_rooms: Iterable[str] = ()) -> None:
        """Work the outbox until cancelled."""
        rooms = list(matrix_rooms)
        while True:
            try:
                busy = await self.work_once(rooms)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox: unexpected error; continuing")
                busy = False
            if not busy:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def work_once(self, matrix_rooms: Iterable[str] = ()) -> bool:
        """Start due broadcasts, send one batch of due messages; True if anything was sent."""
        await self._start_due(list(matrix_rooms))
        now = self.clock.now()
        running = [t for t in self.board.transports if t in self.pacers]
        if not running:
            return False
        marks = ",".join("?" * len(running))
        async with self.db.execute(
            "SELECT o.*, b.text_pl, b.text_en FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id "
            f"WHERE o.state = 'pending' AND b.state = 'sending' AND o.transport IN ({marks}) "
            "AND o.next_attempt_at <= ? ORDER BY o.broadcast_id, o.rowid LIMIT ?",
            (*running, stamp(now), BATCH),
        ) as cur:
            rows = await cur.fetchall()
        if rows:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def send(row: object) -> None:
                async with gate:
                    await self._send_one(row)

            await asyncio.gather(*(send(row) for row in rows))
        await self._report_and_finish()
        return bool(rows)

    async def drain(self, timeout: float = 60.0, matrix_rooms: Iterable[str] = ()) -> None:
        """Work until nothing is pending for a running transport (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        rooms = list(matrix_rooms)
        while time.monotonic() < deadline:
            if not await self.work_once(rooms):
                async with self.db.execute(
                    "SELECT COUNT(*) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id "
                    "WHERE o.state = 'pending' AND b.state IN ('sending', 'scheduled')"
                ) as cur:
                    (pending,) = await cur.fetchone()  # type: ignore[misc]
                if not pending:
                    return
                await asyncio.sleep(0.05)

    async def _start_due(self, matrix_rooms: list[str]) -> None:
        now = self.clock.now()
        async with self.db.execute(
            "SELECT * FROM broadcasts WHERE state = 'scheduled' AND not_before <= ?",
            (stamp(now),),
        ) as cur:
            due = [BroadcastRow.from_row(r) for r in await cur.fetchall()]
        for broadcast in due:
            if broadcast.kind == "broadcast":
                await self.enqueue(
                    broadcast.id, await self.recipients(broadcast.transports, matrix_rooms)
                )
            await self.db.execute(
                "UPDATE broadcasts SET state = 'sending', started_at = ? WHERE id = ?",
                (stamp(now), broadcast.id),
            )
            await self.db.commit()
            log.info("broadcast #%s started", broadcast.id)

    async def _send_one(self, row: object) -> None:
        r = row  # aiosqlite.Row
        key = (r["broadcast_id"], r["transport"], r["chat_id"])
        pacer = self.pacers[r["transport"]]
        await pacer.wait(r["chat_id"], bool(r["is_private"]))
        text = r["text_en"] if r["lang"] == "en" and r["text_en"] else r["text_pl"]
        reply = Reply(text=text, html=to_html(text), chat=ChatRef(r["transport"], r["chat_id"]))
        try:
            await self.board.deliver(reply)
        except RecipientGone as exc:
            log.info("outbox: %s:%s is gone (%s); skipped from now on", *key[1:], exc)
            await self.storage.mark_blocked(ChatRef(r["transport"], r["chat_id"]))
            await self._mark(key, "blocked", str(exc))
        except RetryLater as exc:
            log.warning("outbox: %s asks to wait %.1fs", r["transport"], exc.retry_after)
            pacer.pause(exc.retry_after)
        except DeliveryError as exc:
            attempts = r["attempts"] + 1
            if attempts >= self.settings.max_attempts:
                await self._mark(key, "failed", str(exc), attempts)
            else:
                retry = self.clock.now() + timedelta(seconds=min(300, 2 ** attempts))
                await self.db.execute(
                    "UPDATE outbox SET attempts = ?, next_attempt_at = ?, error = ? "
                    "WHERE broadcast_id = ? AND transport = ? AND chat_id = ?",
                    (attempts, stamp(retry), str(exc)[:200], *key),
                )
                await self.db.commit()
        else:
            await self._mark(key, "sent")

    async def _mark(
        self, key: tuple[int, str, str], state: str, error: str | None = None,
        attempts: int | None = None,
    ) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = ?, sent_at = ?, error = ?, attempts = COALESCE(?, attempts) "
            "WHERE broadcast_id = ? AND transport = ? AND chat_id = ?",
            (state, stamp(self.clock.now()), error, attempts, *key),
        )
        await self.db.commit()

    async def _report_and_finish(self) -> None:
        async with self.db.execute("SELECT * FROM broadcasts WHERE state = 'sending'") as cur:
            sending = [BroadcastRow.from_row(r) for r in await cur.fetchall()]
        for broadcast in sending:
            progress = await self.progress(broadcast.id)
            finished = progress.pending == 0
            if finished:
                await self.db.execute(
                    "UPDATE broadcasts SET state = 'done', finished_at = ? WHERE id = ?",
                    (stamp(self.clock.now()), broadcast.id),
                )
                await self.db.commit()
                log.info(
                    "broadcast #%s done: %s sent, %s blocked, %s failed", broadcast.id,
                    progress.sent, progress.blocked, progress.failed,
                )
            if broadcast.origin is not None and broadcast.kind == "broadcast":
                await self._tell_admin(broadcast, progress, finished)

    async def _tell_admin(self, broadcast: BroadcastRow, progress: Progress, finished: bool) -> None:
        """Progress for the admin: an edited message where the platform edits, else milestones."""
        assert broadcast.origin is not None
        transport = self.board.transports.get(broadcast.origin.transport)
        if transport is None:
            return
        admin = await self.storage.get_user(broadcast.origin)
        lang = (admin.language if admin else None) or "pl"
        elapsed = (self.clock.now() - (broadcast.started_at or self.clock.now())).total_seconds()
        key = "broadcast_done" if finished else "broadcast_progress"
        text = self.phrases.text(
            lang, key, id=broadcast.id, percent=progress.percent, done=progress.done,
            total=progress.total, sent=progress.sent, blocked=progress.blocked,
            failed=progress.failed, seconds=round(elapsed),
        )
        if getattr(transport, "edits_messages", False):
            due = time.monotonic() - self._progress_at[broadcast.id] >= self.progress_interval
            if not (finished or due):
                return
            self._progress_at[broadcast.id] = time.monotonic()
            reply = Reply(text=text, html=to_html(text), chat=broadcast.origin,
                          edit_of=None if finished else broadcast.progress_message)
        else:
            milestone = 100 if finished else (progress.percent // 25) * 25
            if milestone <= broadcast.reported_percent or milestone == 0:
                return
            reply = Reply(text=text, html=to_html(text), chat=broadcast.origin)
            await self.db.execute(
                "UPDATE broadcasts SET reported_percent = ? WHERE id = ?", (milestone, broadcast.id)
            )
        try:
            message_id = await self.board.deliver(reply)
        except DeliveryError as exc:
            log.warning("could not report progress of #%s: %s", broadcast.id, exc)
            return
        if reply.edit_of is None and not finished and message_id:
            await self.db.execute(
                "UPDATE broadcasts SET progress_message = ? WHERE id = ?", (message_id, broadcast.id)
            )
        await self.db.commit()
