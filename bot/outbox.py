"""The outbox: the one way anything leaves the bot — replies, desk traffic, reminders,
broadcasts — each message a row in SQLite, sent exactly once as far as a platform allows.

- A worker (`Courier`) per transport, each with its own pacing and concurrency, so a slow
  Matrix homeserver never holds up Telegram.
- A row is claimed (with a lease) before it is sent; every state change names the state
  it expects, so a cancel, a crash or a second worker can never double or resurrect a
  message. After `kill -9` at most the messages in flight (`CONCURRENCY` per transport)
  can repeat.
- Replies first: rows are claimed by priority, and only broadcasts and reminders wait on
  the bulk rate; replies share only the platform's overall rate.
- One chat gets its messages in order: at most one message per chat is in flight.
- A cancel takes effect before the next send (the row is re-checked right before it).
- `RetryLater` pauses the transport; `TransportDown` (network, 5xx) pauses it with a
  growing backoff and blames no recipient; `RecipientGone` marks the chat blocked; any
  other failure, of any kind, counts as one attempt of that row only, then `failed`.
- Time-bound messages (reminders) are rendered when sent and expire when they no longer
  make sense.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter

from bot.clock import Clock
from bot.config import BroadcastSettings
from bot.content import LiveContent
from bot.markup import to_html
from bot.messages import ChatRef, Incoming, Reply
from bot.phrasebook import Phrasebook
from bot.storage import DatabaseError, NewMessage, OutboxRow, Storage
from bot.switchboard import Switchboard
from bot.transport import DeliveryError, RecipientGone, RetryLater, TransportDown

log = logging.getLogger(__name__)

CONCURRENCY = 8  # messages in flight per transport: the most a kill -9 can repeat
IDLE_SECONDS = 1.0
BURST_SECONDS = 0.05
MAX_OUTAGE_PAUSE = 30.0
OUTAGE_BUDGET = 10  # x max_attempts: tries of one message while the platform seems down
KEEP_SETTLED = timedelta(days=7)

# Lower first. Replies never wait behind anything; bulk (>= BULK) waits on the bulk rate.
PRIORITY = {"reply": 0, "desk": 1, "progress": 1, "notice": 1, "reminder": 2, "broadcast": 3}
BULK = 2

Renderer = Callable[[OutboxRow, datetime], Awaitable[Reply | None]]
DeliveredHook = Callable[[str, ChatRef, str | None], Awaitable[None]]
EditTarget = Callable[[str], Awaitable[str | None]]
Observer = Callable[[OutboxRow, str], None]  # a row reached its final state (metrics)


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
    cancelled: int = 0

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed

    @property
    def percent(self) -> int:
        counted = self.total - self.cancelled
        return 100 if counted <= 0 else int(100 * self.done / counted)


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
    def from_row(cls, r: Any) -> BroadcastRow:
        origin = ChatRef(r["origin_transport"], r["origin_chat"]) if r["origin_chat"] else None
        return cls(
            r["id"], r["kind"], r["text_pl"], r["text_en"],
            tuple(t for t in r["transports"].split(",") if t), r["created_by"], origin,
            r["state"], datetime.fromisoformat(r["not_before"]),
            datetime.fromisoformat(r["started_at"]) if r["started_at"] else None,
            r["progress_message"], r["reported_percent"],
        )


class Pacer:
    """How fast one transport may send: overall, bulk (broadcasts), per chat, per group."""

    def __init__(self, rate: float, bulk_rate: float, per_chat: float, group_per_minute: int) -> None:
        self.overall = _limiter(rate)
        self.bulk = _limiter(bulk_rate)
        self.per_chat = per_chat
        self.group_per_minute = group_per_minute
        self._last: dict[str, float] = {}
        self._groups: dict[str, AsyncLimiter] = {}
        self.paused_until = 0.0
        self.outages = 0
        self.last_success = float("-inf")

    async def wait(self, chat_id: str, is_private: bool, *, bulk: bool) -> None:
        await self.wait_unpaused()
        if bulk:
            await self.bulk.acquire()
        if not is_private:
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = AsyncLimiter(1, 60 / self.group_per_minute)
                if len(self._groups) > 10_000:
                    self._groups.pop(next(iter(self._groups)))
            await group.acquire()
        last = self._last.get(chat_id)
        if last is not None and (gap := self.per_chat - (time.monotonic() - last)) > 0:
            await asyncio.sleep(gap)
        await self.overall.acquire()
        while self.paused_until > time.monotonic():
            # A pause began while this message waited its turn (a 429, an outage): sending
            # now would meet the same answer; wait it out and take a fresh turn.
            await self.wait_unpaused()
            await self.overall.acquire()
        self._last[chat_id] = time.monotonic()
        if len(self._last) > 50_000:
            horizon = time.monotonic() - self.per_chat
            self._last = {c: t for c, t in self._last.items() if t > horizon}

    async def wait_unpaused(self) -> None:
        while (delay := self.paused_until - time.monotonic()) > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)

    def outage(self) -> float:
        """The platform is unreachable: pause 1 s, 2 s, 4 s ... up to MAX_OUTAGE_PAUSE.

        A send that fails while a pause is on was under way when it began: it shares that
        pause instead of doubling it (eight sends in flight would turn a 4 s run of 502s
        into a 30 s silence)."""
        if (left := self.paused_until - time.monotonic()) > 0:
            return left
        self.outages += 1
        seconds = min(MAX_OUTAGE_PAUSE, 2 ** (self.outages - 1))
        self.pause(seconds)
        return seconds

    def reachable(self) -> None:
        self.outages = 0
        self.last_success = time.monotonic()


def _limiter(rate: float) -> AsyncLimiter:
    # A bucket of 50 ms worth of messages: a late sender can catch up a little, yet no
    # one-second window ever holds more than 1.05 x the rate.
    burst = max(1.0, rate * BURST_SECONDS)
    return AsyncLimiter(burst, burst / rate)


class Outbox:
    def __init__(
        self,
        storage: Storage,
        board: Switchboard,
        clock: Clock,
        settings: BroadcastSettings,
        content: LiveContent,
        matrix_rooms: Iterable[str] = (),
        keep_days: int = 30,
    ) -> None:
        self.keep_days = keep_days
        self.content = content
        self.storage = storage
        self.board = board
        self.clock = clock
        self.settings = settings
        self.matrix_rooms = list(matrix_rooms)
        self.pacers: dict[str, Pacer] = {
            "telegram": Pacer(
                settings.telegram_overall_rate, settings.telegram_rate,
                settings.telegram_per_chat_interval, settings.telegram_group_per_minute,
            ),
            "matrix": Pacer(settings.matrix_overall_rate, settings.matrix_rate, 0.0, 10_000),
        }
        self.couriers = {name: Courier(self, name, pacer) for name, pacer in self.pacers.items()}
        self.renderers: dict[str, Renderer] = {}
        self.delivered_hooks: dict[str, DeliveredHook] = {"progress": self._progress_delivered}
        # A tagged reply edits the message its tag's owner knows as it goes out (not as it was
        # queued: the one before it may have been on its way then, a new message).
        self.edit_targets: dict[str, EditTarget] = {"progress": self._progress_message}
        self.observers: list[Observer] = []
        self._wake = asyncio.Event()
        # broadcast id -> when its progress was last queued, and how many were done then
        self._progress_at: dict[int, tuple[float, int]] = {}
        self._pruned_at: float | None = None
        board.outbox = self

    @property
    def phrases(self) -> Phrasebook:
        return self.content.phrases

    def wake(self, transport: str | None = None) -> None:
        """New rows are waiting: stop idling."""
        self._wake.set()
        for name, courier in self.couriers.items():
            if transport is None or transport == name:
                courier.wake()

    # queueing

    async def queue_replies(self, replies: Iterable[Reply], origin: Incoming | None = None) -> None:
        """Queue the replies to one message (inside the caller's transaction, if any)."""
        now = self.clock.now()
        messages = []
        for reply in replies:
            chat = reply.chat or (origin.chat if origin else None)
            if chat is None:
                raise ValueError("a reply needs a chat or an origin")
            if origin is not None:
                reply.relate_to(origin)
            kind = "reply" if reply.chat in (None, origin.chat if origin else None) else "desk"
            messages.append(NewMessage(
                chat, kind, PRIORITY[kind], {"reply": reply.to_dict()},
                is_private=origin.is_private if origin and chat == origin.chat else True,
            ))
        if messages:
            await self.storage.enqueue(messages, now)

    async def queue(self, message: NewMessage) -> None:
        await self.storage.enqueue([message], self.clock.now())

    # broadcasts

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
        broadcast_id = await self.storage.create_broadcast(
            kind=kind, text_pl=text_pl, text_en=text_en, transports=transports,
            created_by=created_by, origin=origin, state=state, not_before=not_before or now, now=now,
        )
        self.wake()
        return broadcast_id

    async def get(self, broadcast_id: int) -> BroadcastRow | None:
        row = await self.storage.broadcast(broadcast_id)
        return BroadcastRow.from_row(row) if row else None

    async def move(self, broadcast_id: int, expected: tuple[str, ...], state: str) -> bool:
        """Change a broadcast's state if it is still in one of `expected` (cancel: every
        message not yet handed to a platform is cancelled with it)."""
        moved = await self.storage.move_broadcast(broadcast_id, expected, state, self.clock.now())
        self.wake()
        return moved

    async def retry_failed(self, broadcast_id: int) -> int:
        count = await self.storage.retry_failed(broadcast_id, self.clock.now())
        self.wake()
        return count

    async def enqueue(
        self, broadcast_id: int, recipients: Iterable[Recipient], kind: str = "broadcast"
    ) -> int:
        """Add recipients to a broadcast (idempotent: a recipient is added once)."""
        count = await self.storage.enqueue(
            [
                NewMessage(ChatRef(r.transport, r.chat_id), kind, PRIORITY[kind], None, r.lang,
                           r.is_private, broadcast_id)
                for r in recipients
            ],
            self.clock.now(),
        )
        self.wake()
        return count

    async def recipients(
        self, transports: Iterable[str], matrix_rooms: Iterable[str] | None = None
    ) -> list[Recipient]:
        """Everyone a broadcast reaches now: private chats not blocked, opted-in Matrix rooms."""
        wanted = list(transports)
        rooms = self.matrix_rooms if matrix_rooms is None else list(matrix_rooms)
        found = [
            Recipient(u.transport, u.chat_id, u.language or "pl", u.is_private)
            for u in await self.storage.users(wanted)
            if u.is_private and u.transport != "console"
        ]
        if "matrix" in wanted:
            known = {r.chat_id for r in found if r.transport == "matrix"}
            found += [Recipient("matrix", room, "pl", False) for room in rooms if room not in known]
        return found

    async def progress(self, broadcast_id: int) -> Progress:
        counts = await self.storage.broadcast_counts(broadcast_id)
        return Progress(
            broadcast_id, sum(counts.values()), counts.get("sent", 0), counts.get("blocked", 0),
            counts.get("failed", 0), counts.get("pending", 0) + counts.get("claimed", 0),
            counts.get("cancelled", 0) + counts.get("expired", 0),
        )

    # rendering: what a row says when it is sent

    async def render(self, row: OutboxRow, now: datetime) -> Reply | None:
        if row.broadcast_id is not None and (row.body is None or "render" not in row.body):
            broadcast = await self.get(row.broadcast_id)
            if broadcast is None:
                return None
            text = broadcast.text_for(row.lang)
            return Reply(text=text, html=to_html(text))
        body = row.body or {}
        if "reply" in body:
            reply = Reply.from_dict(body["reply"])
            owner, _, key = (reply.tag or "").partition(":")
            if owner in self.edit_targets:
                reply.edit_of = await self.edit_targets[owner](key)
            return reply
        renderer = self.renderers.get(str(body.get("render")))
        if renderer is None:
            raise ValueError(f"no renderer for outbox row {row.id} ({body.get('render')!r})")
        return await renderer(row, now)

    async def delivered(self, reply: Reply, chat: ChatRef, message_id: str | None) -> None:
        """A sent reply's tag tells who wants to know its platform id (inside the transaction)."""
        if reply.tag:
            hook = self.delivered_hooks.get(reply.tag.partition(":")[0])
            if hook is not None:
                await hook(reply.tag, chat, message_id)

    def settled(self, row: OutboxRow, state: str) -> None:
        """Tell the observers (health metrics) a message was sent, blocked or failed."""
        for observe in self.observers:
            observe(row, state)

    # working

    async def run(self, matrix_rooms: Iterable[str] | None = None) -> None:
        """Work the outbox until cancelled: a courier per transport, and the scheduler."""
        if matrix_rooms is not None:
            self.matrix_rooms = list(matrix_rooms)
        couriers = [asyncio.create_task(c.run(), name=f"outbox-{n}") for n, c in self.couriers.items()]
        try:
            while True:
                try:
                    await self.tend()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox: unexpected error while scheduling; continuing")
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)
        finally:
            for task in couriers:
                task.cancel()
            await asyncio.gather(*couriers, return_exceptions=True)
            await asyncio.gather(*(c.abandon(2.0) for c in self.couriers.values()))

    async def stop(self, grace: float) -> None:
        """Let each courier finish the messages in its hands (claims no more)."""
        await asyncio.gather(*(c.stop(grace) for c in self.couriers.values()))

    async def tend(self) -> None:
        """Start due broadcasts, expire what is too late, report progress, prune."""
        now = self.clock.now()
        await self._start_due(now)
        await self.storage.expire_due(now)
        await self._report_and_finish()
        if self._pruned_at is None or time.monotonic() - self._pruned_at > 3600:
            self._pruned_at = time.monotonic()
            await self.storage.prune(now, KEEP_SETTLED, timedelta(days=self.keep_days))

    async def work_once(self, matrix_rooms: Iterable[str] | None = None) -> bool:
        """One round, in the foreground (tests): tend, then send what each transport can
        claim now; True if anything was sent."""
        if matrix_rooms is not None:
            self.matrix_rooms = list(matrix_rooms)
        await self.tend()
        busy = any(await asyncio.gather(*(c.round(wait=True) for c in self.couriers.values())))
        await self._report_and_finish()
        return busy

    async def drain(self, timeout: float = 60.0, matrix_rooms: Iterable[str] | None = None) -> None:
        """Work until nothing is pending for a running transport (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not await self.work_once(matrix_rooms):
                running = [t for t in self.board.transports if t in self.couriers]
                if not await self.storage.pending_count(running):
                    return
                await asyncio.sleep(0.05)

    async def _start_due(self, now: datetime) -> None:
        for row in await self.storage.due_broadcasts(now):
            broadcast = BroadcastRow.from_row(row)
            if broadcast.kind == "broadcast":
                await self.enqueue(broadcast.id, await self.recipients(broadcast.transports))
            if await self.storage.move_broadcast(broadcast.id, ("scheduled",), "sending", now):
                log.info("broadcast #%s started", broadcast.id)
                self.wake()

    async def _report_and_finish(self) -> None:
        for row in await self.storage.broadcasts_in("sending"):
            broadcast = BroadcastRow.from_row(row)
            progress = await self.progress(broadcast.id)
            finished = progress.pending == 0
            if finished:
                if not await self.move(broadcast.id, ("sending",), "done"):
                    continue
                log.info(
                    "broadcast #%s done: %s sent, %s blocked, %s failed", broadcast.id,
                    progress.sent, progress.blocked, progress.failed,
                )
            if broadcast.origin is not None and broadcast.kind == "broadcast":
                await self._tell_admin(broadcast, progress, finished)

    async def _tell_admin(self, broadcast: BroadcastRow, progress: Progress, finished: bool) -> None:
        """Progress for the admin, queued like any message: one edited message where the
        platform edits, else milestones (25/50/75/100%)."""
        assert broadcast.origin is not None
        origin = broadcast.origin
        admin = await self.storage.get_user(origin)
        lang = (admin.language if admin else None) or "pl"
        elapsed = (self.clock.now() - (broadcast.started_at or self.clock.now())).total_seconds()
        key = "broadcast_done" if finished else "broadcast_progress"
        text = self.phrases.text(
            lang, key, id=broadcast.id, percent=progress.percent, done=progress.done,
            total=progress.total, sent=progress.sent, blocked=progress.blocked,
            failed=progress.failed, seconds=round(elapsed),
        )
        transport = self.board.transports.get(origin.transport)
        edits = bool(getattr(transport, "edits_messages", origin.transport == "telegram"))
        reply = Reply(text=text, html=to_html(text), chat=origin)
        if edits:
            last, done = self._progress_at.get(broadcast.id, (0.0, -1))
            if not finished and (time.monotonic() - last < self.settings.progress_seconds
                                 or progress.done == done):  # the same text: nothing to edit
                return
            self._progress_at[broadcast.id] = (time.monotonic(), progress.done)
            if not finished:  # edits the last progress message (see render)
                reply.tag = f"progress:{broadcast.id}"
        else:
            milestone = 100 if finished else (progress.percent // 25) * 25
            if milestone <= broadcast.reported_percent or milestone == 0:
                return
        async with self.storage.transaction():
            if edits:  # an older progress note still queued is superseded by this one
                await self.storage.cancel_messages(kind="progress", chat=origin)
            else:
                await self.storage.set_broadcast_report(broadcast.id, percent=100 if finished else milestone)
            await self.queue(NewMessage(origin, "progress", PRIORITY["progress"], {"reply": reply.to_dict()}))
        if finished:
            self._progress_at.pop(broadcast.id, None)
        self.wake(origin.transport)

    async def _progress_message(self, key: str) -> str | None:
        broadcast = await self.get(int(key))
        return broadcast.progress_message if broadcast else None

    async def _progress_delivered(self, tag: str, chat: ChatRef, message_id: str | None) -> None:
        if message_id:
            await self.storage.set_broadcast_report(int(tag.partition(":")[2]), message_id=message_id)


class Courier:
    """Sends one transport's messages: claims due rows, paces them, records each result."""

    def __init__(self, outbox: Outbox, name: str, pacer: Pacer) -> None:
        self.outbox = outbox
        self.storage = outbox.storage
        self.name = name
        self.pacer = pacer
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.busy_chats: set[str] = set()
        self._unsettled: list[tuple[OutboxRow, Reply, str | None]] = []
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                busy = await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox %s: unexpected error; continuing", self.name)
                busy = False
            if busy and len(self.in_flight) < CONCURRENCY:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_SECONDS)

    async def stop(self, grace: float) -> None:
        self._stopping = True
        self._wake.set()
        tasks = list(self.in_flight.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    async def abandon(self, grace: float) -> None:
        """The worker is going away: finish in-flight sends briefly, then give them back."""
        await self.stop(grace)
        for task in list(self.in_flight.values()):
            task.cancel()
        await asyncio.gather(*self.in_flight.values(), return_exceptions=True)
        self._stopping = False

    async def round(self, *, wait: bool = False) -> bool:
        """Claim what may go now and start sending it; `wait`: until it is all sent."""
        await self._settle_leftovers()
        transport = self.outbox.board.transports.get(self.name)
        if transport is None or self._stopping:
            return False
        if self.pacer.paused_until > time.monotonic():
            if not wait:
                return False
            await self.pacer.wait_unpaused()
        free = CONCURRENCY - len(self.in_flight)
        if free <= 0:
            return True
        rows = await self.storage.claim(self.name, self.outbox.clock.now(), free, self.busy_chats)
        for row in rows:
            self.busy_chats.add(row.chat_id)
            task = asyncio.create_task(self._send(row), name=f"send-{self.name}-{row.id}")
            self.in_flight[row.id] = task
            task.add_done_callback(lambda _t, r=row: self._done(r))
        if wait and rows:
            await asyncio.gather(*(self.in_flight[r.id] for r in rows if r.id in self.in_flight))
        return bool(rows)

    def _done(self, row: OutboxRow) -> None:
        self.in_flight.pop(row.id, None)
        if not any(r.id == row.id for r, _, _ in self._unsettled):
            self.busy_chats.discard(row.chat_id)
        self._wake.set()

    async def _send(self, row: OutboxRow) -> None:
        clock, settings = self.outbox.clock, self.outbox.settings
        started = float("inf")
        try:
            transport = self.outbox.board.transports.get(self.name)
            if transport is None:
                await self.storage.release(row.id, clock.now(), count=False)
                return
            reply = await self.outbox.render(row, clock.now())
            if reply is None:
                await self.storage.settle(row.id, "expired", clock.now())
                return
            reply.parts_sent = row.parts_sent  # a retry sends only what did not go out
            await self.pacer.wait(row.chat_id, row.is_private, bulk=row.priority >= BULK)
            if not await self.storage.still_claimed(row.id):
                return  # cancelled (or erased by /forget) while it waited its turn
            if row.expires_at is not None and clock.now() >= row.expires_at:
                await self.storage.settle(row.id, "expired", clock.now())
                return
            reply.delivery_key = f"irlf-{await self.storage.database_id()}-{row.id}"
            started = time.monotonic()
            message_id = await transport.send(row.chat_id, reply)
        except RecipientGone as exc:
            log.info("outbox: %s:%s is gone (%s); skipped from now on", self.name, row.chat_id, exc)
            async with self.storage.transaction():
                await self.storage.mark_blocked(row.chat)
                if await self.storage.settle(row.id, "blocked", clock.now(), error=str(exc)):
                    await self._follow_up(row, "failed")
                    self.outbox.settled(row, "blocked")
        except RetryLater as exc:
            log.warning("outbox: %s asks to wait %.1fs", self.name, exc.retry_after)
            self.pacer.pause(exc.retry_after)
            await self.storage.release(row.id, clock.now(), error=str(exc), count=False,
                                       parts_sent=exc.parts_sent)
        except TransportDown as exc:
            if self.pacer.last_success > started:  # others got through meanwhile: it is this message
                await self._failed_attempt(row, exc, settings.max_attempts)
                return
            pause = self.pacer.outage()
            log.warning("outbox: %s unreachable (%s); pausing %.0fs", self.name, exc, pause)
            # Counted against a far larger budget: an outage of ~20 minutes fails no one, a
            # message the platform refuses for ever does not retry for ever.
            if row.attempts + 1 >= settings.max_attempts * OUTAGE_BUDGET:
                await self._failed_attempt(row, exc, 0)
            else:
                await self.storage.release(row.id, clock.now(), error=str(exc), parts_sent=exc.parts_sent)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.storage.release(row.id, clock.now(), count=False))
            raise
        except Exception as exc:  # DeliveryError or anything unexpected: one attempt of this row
            if not isinstance(exc, DeliveryError):
                log.exception("outbox: sending message %s to %s failed", row.id, self.name)
            await self._failed_attempt(row, exc, settings.max_attempts)
        else:
            if self.pacer.outages:
                log.info("outbox: %s reachable again", self.name)
            self.pacer.reachable()
            try:  # shielded: a stop must not turn a sent message back into a pending one
                await asyncio.shield(self._record_sent(row, reply, message_id))
            except DatabaseError as exc:
                # Sent, but not recorded: keep the chat busy and retry the record, so the
                # lease cannot hand the row to another send.
                self.storage.failed("a sent message", exc)
                self._unsettled.append((row, reply, message_id))

    async def _failed_attempt(self, row: OutboxRow, exc: BaseException, max_attempts: int) -> None:
        clock = self.outbox.clock
        attempts = row.attempts + 1
        try:
            if attempts >= max_attempts:
                async with self.storage.transaction():
                    if await self.storage.settle(row.id, "failed", clock.now(), error=str(exc)):
                        await self._follow_up(row, "failed")
                        self.outbox.settled(row, "failed")
                log.warning("outbox: message %s to %s:%s failed for good: %s",
                            row.id, self.name, row.chat_id, exc)
            else:
                retry = clock.now() + timedelta(seconds=min(300, 2 ** attempts))
                await self.storage.release(row.id, retry, error=f"{type(exc).__name__}: {exc}",
                                           parts_sent=getattr(exc, "parts_sent", 0))
        except DatabaseError as db_exc:
            self.storage.failed("a delivery result", db_exc)

    async def _record_sent(self, row: OutboxRow, reply: Reply, message_id: str | None) -> None:
        async with self.storage.transaction():
            if await self.storage.settle(
                row.id, "sent", self.outbox.clock.now(), expected=("claimed", "cancelled"),
                message_id=message_id,
            ):
                await self.outbox.delivered(reply, row.chat, message_id)
                await self._follow_up(row, "sent")
                self.outbox.settled(row, "sent")

    async def _follow_up(self, row: OutboxRow, outcome: str) -> None:
        """Messages that wait for this one's outcome (a desk confirmation after the asker
        got the answer, a notice if they could not)."""
        follow = (((row.body or {}).get("reply") or {}).get("then") or {}).get(outcome) or []
        for data in follow:
            reply = Reply.from_dict(data)
            if reply.chat is None:
                continue
            await self.outbox.queue(NewMessage(reply.chat, "desk", PRIORITY["desk"], {"reply": data}))
        if follow:
            self.outbox.wake()

    async def _settle_leftovers(self) -> None:
        while self._unsettled:
            row, reply, message_id = self._unsettled[0]
            try:
                await self._record_sent(row, reply, message_id)
            except DatabaseError:
                return
            self._unsettled.pop(0)
            self.busy_chats.discard(row.chat_id)
