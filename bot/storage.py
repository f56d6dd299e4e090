"""All persistent state, in one SQLite file (WAL). The only module that speaks SQL.

Writes happen inside `async with storage.transaction():` — one writer at a time (an
asyncio lock in this process, `BEGIN IMMEDIATE` against other processes), committed as a
whole or rolled back as a whole. A transaction never spans a network call: callers
collect what to send, write it to the outbox inside the transaction, and the outbox
workers send after it committed. Reads outside a transaction use a second connection,
so they never see another task's uncommitted work.

Migrations are numbered steps recorded in `schema_version`; each runs once, inside an
immediate transaction that re-reads the version, so a second process (the CLI while the
bot starts) waits instead of racing. Foreign keys are on; ids are AUTOINCREMENT, never
reused (a desk answer can never reach the asker of a deleted ticket).

Bookkeeping (statistics) is best effort: `bookkeeping()` runs it in a savepoint and a
failure is logged once, never raised. Only what a feature needs is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import stamp
from bot.messages import ChatRef

log = logging.getLogger(__name__)

DatabaseError = sqlite3.Error

MIGRATIONS: list[str] = [
    # 1: chats, adapter state, question statistics
    """
    CREATE TABLE users (
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        language TEXT,
        reminders INTEGER NOT NULL DEFAULT 0,
        blocked INTEGER NOT NULL DEFAULT 0,
        is_private INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        PRIMARY KEY (transport, chat_id)
    );
    CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE unanswered (id INTEGER PRIMARY KEY, text TEXT NOT NULL, asked_at TEXT NOT NULL);
    CREATE TABLE question_stats (
        day TEXT NOT NULL, entry TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (day, entry, kind)
    );
    """,
    # 2: broadcasts and their outbox (one row per broadcast and recipient); reminders sent
    """
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'broadcast',
        text_pl TEXT NOT NULL,
        text_en TEXT,
        transports TEXT NOT NULL,
        created_by TEXT NOT NULL,
        origin_transport TEXT,
        origin_chat TEXT,
        state TEXT NOT NULL DEFAULT 'draft',
        not_before TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        progress_message TEXT,
        reported_percent INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE outbox (
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        lang TEXT NOT NULL DEFAULT 'pl',
        is_private INTEGER NOT NULL DEFAULT 1,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL DEFAULT '',
        sent_at TEXT,
        error TEXT,
        PRIMARY KEY (broadcast_id, transport, chat_id)
    );
    CREATE INDEX outbox_pending ON outbox (state, next_attempt_at);
    ALTER TABLE users ADD COLUMN subscribed_at TEXT;
    CREATE TABLE sent_reminders (
        event TEXT NOT NULL,
        reminder TEXT NOT NULL,
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        state TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (event, reminder, transport, chat_id)
    );
    """,
    # 3: press questions handed to the media desk, and the desk messages that carry them
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        asker_transport TEXT NOT NULL,
        asker_chat TEXT NOT NULL,
        asker_name TEXT NOT NULL DEFAULT '',
        lang TEXT NOT NULL,
        question TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL,
        answered_at TEXT
    );
    CREATE INDEX tickets_asker ON tickets (asker_transport, asker_chat, created_at);
    CREATE TABLE ticket_messages (
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
        PRIMARY KEY (transport, chat_id, message_id)
    );
    """,
    # 4: one outbox for every message that leaves the bot (replies first), ids never reused,
    # foreign keys that cascade, and the inbox of updates already answered (exactly once).
    """
    DROP INDEX outbox_pending;
    DROP INDEX tickets_asker;
    ALTER TABLE outbox RENAME TO outbox_v3;
    ALTER TABLE broadcasts RENAME TO broadcasts_v3;
    ALTER TABLE ticket_messages RENAME TO ticket_messages_v3;
    ALTER TABLE tickets RENAME TO tickets_v3;
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL DEFAULT 'broadcast',
        text_pl TEXT NOT NULL,
        text_en TEXT,
        transports TEXT NOT NULL,
        created_by TEXT NOT NULL,
        origin_transport TEXT,
        origin_chat TEXT,
        state TEXT NOT NULL DEFAULT 'draft',
        not_before TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        progress_message TEXT,
        reported_percent INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO broadcasts SELECT * FROM broadcasts_v3;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        priority INTEGER NOT NULL,
        broadcast_id INTEGER REFERENCES broadcasts(id) ON DELETE CASCADE,
        lang TEXT NOT NULL DEFAULT 'pl',
        is_private INTEGER NOT NULL DEFAULT 1,
        body TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL,
        expires_at TEXT,
        lease_until TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        message_id TEXT,
        error TEXT,
        UNIQUE (broadcast_id, transport, chat_id)
    );
    CREATE INDEX outbox_due ON outbox (transport, state, priority, id);
    CREATE INDEX outbox_chat ON outbox (transport, chat_id);
    INSERT INTO outbox (transport, chat_id, kind, priority, broadcast_id, lang, is_private,
                        state, attempts, not_before, created_at, sent_at, error)
        SELECT o.transport, o.chat_id, b.kind, CASE b.kind WHEN 'reminder' THEN 2 ELSE 3 END,
               o.broadcast_id, o.lang, o.is_private, o.state, o.attempts,
               CASE o.next_attempt_at WHEN '' THEN b.created_at ELSE o.next_attempt_at END,
               b.created_at, o.sent_at, o.error
        FROM outbox_v3 o JOIN broadcasts b ON b.id = o.broadcast_id;
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL DEFAULT 'media',
        asker_transport TEXT NOT NULL,
        asker_chat TEXT NOT NULL,
        asker_name TEXT NOT NULL DEFAULT '',
        lang TEXT NOT NULL,
        question TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL,
        answered_at TEXT
    );
    INSERT INTO tickets (id, asker_transport, asker_chat, asker_name, lang, question, state,
                         created_at, answered_at)
        SELECT id, asker_transport, asker_chat, asker_name, lang, question, state, created_at,
               answered_at FROM tickets_v3;
    CREATE INDEX tickets_asker ON tickets (asker_transport, asker_chat, created_at);
    CREATE TABLE ticket_messages (
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        PRIMARY KEY (transport, chat_id, message_id)
    );
    INSERT INTO ticket_messages SELECT * FROM ticket_messages_v3
        WHERE ticket_id IN (SELECT id FROM tickets);
    DROP TABLE outbox_v3;
    DROP TABLE ticket_messages_v3;
    DROP TABLE tickets_v3;
    DROP TABLE broadcasts_v3;
    CREATE TABLE inbox (
        transport TEXT NOT NULL,
        update_key TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (transport, update_key)
    );
    CREATE INDEX inbox_age ON inbox (received_at);
    """,
    # 5: sessions of the programme that guests starred, each as the guest last heard of it
    # (title, times, room; no start = told it is cancelled), and the start a reminder was
    # queued for
    """
    CREATE TABLE stars (
        event TEXT NOT NULL,
        transport TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        title TEXT NOT NULL,
        starts_at TEXT,
        ends_at TEXT,
        room TEXT NOT NULL DEFAULT '',
        starred_at TEXT NOT NULL,
        reminded_for TEXT,
        PRIMARY KEY (event, transport, chat_id, session_id)
    );
    CREATE INDEX stars_session ON stars (event, session_id);
    """,
    # 6: how many of a message's parts (a long text is several) went out before a failure,
    # so a retry sends only the rest
    """
    ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
    """,
    # 7: questions counted per local hour as well as per day (older rows: hour -1);
    # reload requests from the shell; the running bot's status (one row, rewritten)
    """
    CREATE TABLE question_stats_hourly (
        day TEXT NOT NULL, hour INTEGER NOT NULL DEFAULT -1, entry TEXT NOT NULL,
        kind TEXT NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (day, hour, entry, kind)
    );
    INSERT INTO question_stats_hourly (day, entry, kind, count)
        SELECT day, entry, kind, count FROM question_stats;
    DROP TABLE question_stats;
    ALTER TABLE question_stats_hourly RENAME TO question_stats;
    CREATE TABLE reload_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        requested_at TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        finished_at TEXT,
        result TEXT
    );
    CREATE TABLE bot_status (
        id INTEGER PRIMARY KEY CHECK (id = 1), updated_at TEXT NOT NULL, body TEXT NOT NULL
    );
    """,
    # 8: a random id of this database, so an outbox row id names one delivery among every
    # database that ever used the same Matrix device (a rehearsal database, a fresh start)
    """
    INSERT OR IGNORE INTO state (key, value) VALUES ('database.id', lower(hex(randomblob(8))));
    """,
]

# Outbox states: pending -> claimed -> sent | failed | blocked | pending (retry);
# pending/claimed -> cancelled (broadcast cancelled) | expired (too late to make sense).
OPEN_STATES = ("pending", "claimed")
LEASE = timedelta(seconds=10)  # only another process honours it; a restart waits this long
WAL_ATTEMPTS = 30  # ~10 s of retries when another process holds a fresh database


@dataclass(frozen=True, slots=True)
class User:
    transport: str
    chat_id: str
    language: str | None
    reminders: bool
    blocked: bool
    is_private: bool

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.transport, self.chat_id)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> User:
        return cls(
            row["transport"], row["chat_id"], row["language"],
            bool(row["reminders"]), bool(row["blocked"]), bool(row["is_private"]),
        )


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message to send: a reply (body holds it), or one recipient of a broadcast."""

    id: int
    transport: str
    chat_id: str
    kind: str
    priority: int
    broadcast_id: int | None
    lang: str
    is_private: bool
    body: dict[str, Any] | None
    state: str
    attempts: int
    expires_at: datetime | None
    parts_sent: int = 0

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.transport, self.chat_id)

    @classmethod
    def from_row(cls, r: aiosqlite.Row) -> OutboxRow:
        return cls(
            r["id"], r["transport"], r["chat_id"], r["kind"], r["priority"], r["broadcast_id"],
            r["lang"], bool(r["is_private"]), json.loads(r["body"]) if r["body"] else None,
            r["state"], r["attempts"],
            datetime.fromisoformat(r["expires_at"]) if r["expires_at"] else None,
            r["parts_sent"],
        )


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to put in the outbox."""

    chat: ChatRef
    kind: str
    priority: int
    body: dict[str, Any] | None = None
    lang: str = "pl"
    is_private: bool = True
    broadcast_id: int | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    kind: str
    asker: ChatRef
    asker_name: str
    lang: str
    question: str
    state: str
    created_at: datetime

    @classmethod
    def from_row(cls, r: aiosqlite.Row) -> Ticket:
        return cls(
            r["id"], r["kind"], ChatRef(r["asker_transport"], r["asker_chat"]), r["asker_name"],
            r["lang"], r["question"], r["state"], datetime.fromisoformat(r["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class Star:
    """A starred session as its guests last heard of it; `starts_at` None: told cancelled."""

    session_id: str
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    room: str

    @classmethod
    def from_row(cls, r: aiosqlite.Row) -> Star:
        return cls(r["session_id"], r["title"], _time(r["starts_at"]), _time(r["ends_at"]), r["room"])


@dataclass(frozen=True, slots=True)
class StarHolder:
    """Who starred a session, and how to reach them."""

    chat: ChatRef
    lang: str
    is_private: bool


class StorageUnavailable(Exception):
    """The database file cannot be opened or written (path, permissions, disk)."""


_writing: contextvars.ContextVar[Storage | None] = contextvars.ContextVar("writing", default=None)


def _wall() -> datetime:
    """Real time, for leases: a rehearsal or test clock must not keep a row claimed forever."""
    return datetime.now(UTC)


class Storage:
    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self.writable = True
        self._warned: set[str] = set()
        self._id: str | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        memory = str(path) == ":memory:"
        try:
            writer = await _connect(path)
            reader = writer if memory else await _connect(path)
        except sqlite3.Error as exc:
            raise StorageUnavailable(f"{path}: cannot open the database ({exc})") from None
        storage = cls(writer, reader)
        try:
            await storage._migrate()
        except sqlite3.Error as exc:
            await storage.close()
            raise StorageUnavailable(f"{path}: cannot prepare the database ({exc})") from None
        return storage

    async def close(self) -> None:
        await self._writer.close()
        if self._reader is not self._writer:
            await self._reader.close()

    # transactions

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One atomic block of writes. Re-entrant within a task (inner blocks join it)."""
        if _writing.get() is self:
            yield
            return
        async with self._lock:
            token = _writing.set(self)
            try:
                try:
                    # (stopped while the BEGIN is on its way, the task must still undo it:
                    # aiosqlite's thread runs it anyway, and an open transaction would fail
                    # every later write)
                    await self._writer.execute("BEGIN IMMEDIATE")
                    yield
                except BaseException:
                    await asyncio.shield(self._writer.rollback())
                    raise
                await self._writer.commit()
                self.writable = True
            finally:
                _writing.reset(token)

    async def bookkeeping(self, what: str, work: Callable[[], Awaitable[object]]) -> None:
        """Best-effort writes (statistics): in a savepoint of the caller's transaction, or
        a transaction of their own; a failure is logged once and never raised."""
        try:
            if _writing.get() is self:
                await self._writer.execute("SAVEPOINT bookkeeping")
                try:
                    await work()
                except sqlite3.Error:
                    await self._writer.execute("ROLLBACK TO bookkeeping")
                    await self._writer.execute("RELEASE bookkeeping")
                    raise
                await self._writer.execute("RELEASE bookkeeping")
            else:
                async with self.transaction():
                    await work()
        except sqlite3.Error as exc:
            self.failed(what, exc)

    def failed(self, what: str, exc: BaseException) -> None:
        """Note a failed write: the database is not writable; say so once per kind of work."""
        self.writable = False
        if what not in self._warned:
            self._warned.add(what)
            log.error("database: could not save %s (%s); answering anyway", what, exc)

    def _db(self) -> aiosqlite.Connection:
        return self._writer if _writing.get() is self else self._reader

    async def _write(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Cursor:
        if _writing.get() is not self:
            raise RuntimeError("a write outside storage.transaction()")
        return await self._writer.execute(sql, params)

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        # Executed and read to the end in one step of the connection's thread. A cursor
        # read in several steps keeps its statement, and so its read transaction, open
        # across awaits: other tasks' reads on the shared reader connection then join that
        # snapshot, and a row claimed a moment ago still reads 'pending' (the send skipped
        # it, and it waited out its lease: a 10 s late answer).
        return list(await self._db().execute_fetchall(sql, params))

    async def _migrate(self) -> None:
        # foreign_keys cannot change inside a transaction: off while tables are rebuilt.
        await self._writer.execute("PRAGMA foreign_keys=OFF")
        await self._writer.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        for version, script in enumerate(MIGRATIONS, start=1):
            async with self.transaction():
                row = await self._one("SELECT MAX(version) FROM schema_version")
                if (row[0] or 0) >= version:  # type: ignore[index]
                    continue
                for statement in _statements(script):
                    await self._write(statement)
                await self._write("INSERT INTO schema_version VALUES (?)", (version,))
        await self._writer.execute("PRAGMA foreign_keys=ON")

    async def database_id(self) -> str:
        """The random id this database got when it was created; it never changes."""
        if self._id is None:
            row = await self._one("SELECT value FROM state WHERE key = 'database.id'")
            self._id = str(row[0]) if row else secrets.token_hex(8)
        return self._id

    async def schema_version(self) -> int:
        row = await self._one("SELECT MAX(version) FROM schema_version")
        return int(row[0] or 0) if row else 0

    async def check_writable(self) -> bool:
        """Try a write (rolled back): the health line at start and in `irlf-bot stats`."""
        try:
            async with self.transaction():
                await self._write("CREATE TEMP TABLE IF NOT EXISTS _probe (x)")
                await self._write("INSERT INTO state (key, value) VALUES ('_probe', '1') "
                                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                await self._write("DELETE FROM state WHERE key = '_probe'")
        except sqlite3.Error as exc:
            self.failed("a test write", exc)
            return False
        return True

    # adapter state (Matrix sync token, Telegram update offset, per-room flags)

    async def get_state(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM state WHERE key = ?", (key,))
        return row[0] if row else None

    async def set_state(self, key: str, value: str) -> None:
        async with self.transaction():
            await self._write(
                "INSERT INTO state (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # the inbox: updates already answered

    async def receive(self, transport: str, update_key: str, now: datetime) -> bool:
        """Record an update as answered (inside the transaction that queues its replies);
        False if it was answered before (a replay after a restart)."""
        async with self.transaction():
            cur = await self._write(
                "INSERT OR IGNORE INTO inbox (transport, update_key, received_at) VALUES (?, ?, ?)",
                (transport, update_key, stamp(now)),
            )
            return cur.rowcount > 0

    # users

    async def get_user(self, chat: ChatRef) -> User | None:
        row = await self._one(
            "SELECT * FROM users WHERE transport = ? AND chat_id = ?",
            (chat.transport, chat.chat_id),
        )
        return User.from_row(row) if row else None

    async def remember_chat(
        self, chat: ChatRef, is_private: bool, now: datetime, language: str | None = None
    ) -> None:
        """Record a chat the assistant talks to (broadcast recipients); unblock it if it was.
        `language` (the platform's hint) is kept until the user chooses one with /lang."""
        async with self.transaction():
            await self._write(
                "INSERT INTO users (transport, chat_id, is_private, created_at, language) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(transport, chat_id) DO UPDATE SET blocked = 0, "
                "language = COALESCE(users.language, excluded.language)",
                (chat.transport, chat.chat_id, int(is_private), stamp(now), language),
            )

    async def set_private(self, chat: ChatRef, is_private: bool) -> None:
        """A chat became a private (direct) chat, or stopped being one."""
        async with self.transaction():
            await self._write(
                "UPDATE users SET is_private = ? WHERE transport = ? AND chat_id = ?",
                (int(is_private), chat.transport, chat.chat_id),
            )

    async def set_language(self, chat: ChatRef, language: str) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE users SET language = ? WHERE transport = ? AND chat_id = ?",
                (language, chat.transport, chat.chat_id),
            )

    async def set_reminders(self, chat: ChatRef, enabled: bool, now: datetime) -> None:
        """Opt in (from `now`: only reminders still to come) or out."""
        async with self.transaction():
            if enabled:
                await self._write(
                    "UPDATE users SET reminders = 1, subscribed_at = ? "
                    "WHERE transport = ? AND chat_id = ? AND reminders = 0",
                    (stamp(now), chat.transport, chat.chat_id),
                )
            else:
                await self._write(
                    "UPDATE users SET reminders = 0 WHERE transport = ? AND chat_id = ?",
                    (chat.transport, chat.chat_id),
                )

    async def mark_blocked(self, chat: ChatRef) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE users SET blocked = 1 WHERE transport = ? AND chat_id = ?",
                (chat.transport, chat.chat_id),
            )

    async def forget(self, chat: ChatRef) -> tuple[bool, list[Ticket]]:
        """Erase everything kept about a chat: the user row, reminders, queued messages to
        it, and its tickets with their desk messages. Returns whether there was anything,
        and the open tickets withdrawn (the desk is told)."""
        async with self.transaction():
            withdrawn = [
                Ticket.from_row(r) for r in await self._all(
                    "SELECT * FROM tickets WHERE asker_transport = ? AND asker_chat = ? "
                    "AND state = 'open'", (chat.transport, chat.chat_id),
                )
            ]
            erased = 0
            for sql in (
                "DELETE FROM users WHERE transport = ? AND chat_id = ?",
                "DELETE FROM sent_reminders WHERE transport = ? AND chat_id = ?",
                "DELETE FROM outbox WHERE transport = ? AND chat_id = ?",
                "DELETE FROM tickets WHERE asker_transport = ? AND asker_chat = ?",
                "DELETE FROM stars WHERE transport = ? AND chat_id = ?",
            ):
                cur = await self._write(sql, (chat.transport, chat.chat_id))
                erased += max(cur.rowcount, 0)
            return erased > 0, withdrawn

    async def users(
        self, transports: Iterable[str] | None = None, *, reminders_only: bool = False
    ) -> list[User]:
        """Chats that can be reached (not blocked), optionally only reminder subscribers."""
        query = "SELECT * FROM users WHERE blocked = 0"
        params: list[object] = []
        if transports is not None:
            names = list(transports)
            query += f" AND transport IN ({','.join('?' * len(names))})"
            params += names
        if reminders_only:
            query += " AND reminders = 1"
        rows = await self._all(query + " ORDER BY transport, chat_id", params)
        return [User.from_row(row) for row in rows]

    # statistics (best effort)

    async def record_question(
        self, day: str, entry: str | None, kind: str, text: str, asked_at: datetime,
        *, hour: int = -1,
    ) -> None:
        """Count a question on its local `day` and `hour`; keep an unanswered one's text."""

        async def count() -> None:
            await self._write(
                "INSERT INTO question_stats (day, hour, entry, kind, count) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT(day, hour, entry, kind) DO UPDATE SET count = count + 1",
                (day, hour, entry or "", kind),
            )
            if kind in ("fallback", "suggest"):
                await self._write(
                    "INSERT INTO unanswered (text, asked_at) VALUES (?, ?)",
                    (text, stamp(asked_at)),
                )

        await self.bookkeeping("question statistics", count)

    async def subscribers_by_language(self) -> list[tuple[str, str, int, int]]:
        rows = await self._all(
            "SELECT transport, COALESCE(language, '-'), COUNT(*), SUM(reminders) FROM users "
            "WHERE blocked = 0 GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return [(t, lang, n, r or 0) for t, lang, n, r in rows]

    async def questions_per_day(self) -> list[tuple[str, int]]:
        rows = await self._all("SELECT day, SUM(count) FROM question_stats GROUP BY day ORDER BY day")
        return [(day, n) for day, n in rows]

    async def top_entries(self, limit: int) -> list[tuple[str, int]]:
        rows = await self._all(
            "SELECT entry, SUM(count) FROM question_stats WHERE entry != '' "
            "GROUP BY entry ORDER BY 2 DESC, 1 LIMIT ?", (limit,)
        )
        return [(entry, n) for entry, n in rows]

    async def unanswered(self, limit: int) -> list[tuple[str, str]]:
        rows = await self._all(
            "SELECT asked_at, text FROM unanswered ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [(at, text) for at, text in rows]

    async def unanswered_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """The unanswered questions asked since `since`, oldest first: (text, when)."""
        rows = await self._all(
            "SELECT text, asked_at FROM unanswered WHERE asked_at >= ? ORDER BY asked_at, id",
            (stamp(since),),
        )
        return [(text, datetime.fromisoformat(at)) for text, at in rows]

    async def question_counts(self, first_day: str) -> list[tuple[str, int, str, str, int]]:
        """(day, hour, entry, kind, count) from the local day `first_day` on."""
        rows = await self._all(
            "SELECT day, hour, entry, kind, count FROM question_stats WHERE day >= ? "
            "ORDER BY day, hour", (first_day,),
        )
        return [(day, hour, entry, kind, count) for day, hour, entry, kind, count in rows]

    # the outbox

    async def enqueue(self, messages: Iterable[NewMessage], now: datetime) -> int:
        """Queue messages (a broadcast recipient is queued once); the number queued."""
        rows = [
            (
                m.chat.transport, m.chat.chat_id, m.kind, m.priority, m.broadcast_id, m.lang,
                int(m.is_private), json.dumps(m.body, ensure_ascii=False) if m.body else None,
                stamp(m.not_before or now), stamp(m.expires_at) if m.expires_at else None,
                stamp(now),
            )
            for m in messages
        ]
        async with self.transaction():
            before = self._writer.total_changes
            await self._writer.executemany(
                "INSERT OR IGNORE INTO outbox (transport, chat_id, kind, priority, broadcast_id, "
                "lang, is_private, body, not_before, expires_at, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            return self._writer.total_changes - before

    async def claim(
        self, transport: str, now: datetime, limit: int, busy_chats: set[str]
    ) -> list[OutboxRow]:
        """Claim the next due messages of one transport, most urgent first, at most one per
        chat and none for a chat that has a message in flight (each chat gets its messages
        in order). A claim is a lease: a crashed worker's rows come back when it ends."""
        async with self.transaction():
            wall = _wall()
            rows = await self._all(
                "SELECT o.* FROM outbox o LEFT JOIN broadcasts b ON b.id = o.broadcast_id "
                "WHERE o.transport = ? AND (o.state = 'pending' OR (o.state = 'claimed' "
                "AND o.lease_until < ?)) AND o.not_before <= ? "
                "AND (o.broadcast_id IS NULL OR b.state = 'sending') "
                "ORDER BY o.priority, o.id LIMIT ?",
                (transport, stamp(wall), stamp(now), max(limit * 8, 64)),
            )
            picked: list[OutboxRow] = []
            chats = set(busy_chats)
            for row in rows:
                if row["chat_id"] in chats:
                    continue
                chats.add(row["chat_id"])
                picked.append(OutboxRow.from_row(row))
                if len(picked) >= limit:
                    break
            lease = stamp(wall + LEASE)
            for row in picked:
                await self._write(
                    "UPDATE outbox SET state = 'claimed', lease_until = ?, attempts = attempts + 1 "
                    "WHERE id = ? AND state IN ('pending', 'claimed')",
                    (lease, row.id),
                )
            return picked

    async def still_claimed(self, row_id: int) -> bool:
        """Right before a send: is the message still ours (not cancelled, not erased)? A
        guarded write, so it sees every commit, and it renews the lease."""
        async with self.transaction():
            cur = await self._write(
                "UPDATE outbox SET lease_until = ? WHERE id = ? AND state = 'claimed'",
                (stamp(_wall() + LEASE), row_id),
            )
            return cur.rowcount > 0

    async def settle(
        self,
        row_id: int,
        state: str,
        now: datetime,
        *,
        expected: tuple[str, ...] = ("claimed",),
        error: str | None = None,
        message_id: str | None = None,
    ) -> bool:
        """Move a message to its final state, only from the state it is expected in."""
        marks = ",".join("?" * len(expected))
        async with self.transaction():
            cur = await self._write(
                # The content is not needed once settled (privacy: desk rows hold questions).
                f"UPDATE outbox SET state = ?, sent_at = ?, error = ?, message_id = ?, "
                f"lease_until = NULL, body = NULL WHERE id = ? AND state IN ({marks})",
                (state, stamp(now), error and error[:300], message_id, row_id, *expected),
            )
            return cur.rowcount > 0

    async def release(
        self, row_id: int, not_before: datetime, *, error: str | None = None, count: bool = True,
        parts_sent: int = 0,
    ) -> bool:
        """Put a claimed message back to be tried again later (`count=False`: the attempt
        was the platform's fault — a pause or an outage — not the recipient's); the parts
        that went out are not sent again."""
        async with self.transaction():
            cur = await self._write(
                "UPDATE outbox SET state = 'pending', not_before = ?, error = ?, lease_until = NULL, "
                "attempts = attempts - ?, parts_sent = MAX(parts_sent, ?) "
                "WHERE id = ? AND state = 'claimed'",
                (stamp(not_before), error and error[:300], 0 if count else 1, parts_sent, row_id),
            )
            return cur.rowcount > 0

    async def expire_due(self, now: datetime) -> int:
        """Messages that no longer make sense (a reminder after the doors opened) expire."""
        async with self.transaction():
            cur = await self._write(
                "UPDATE outbox SET state = 'expired', lease_until = NULL "
                "WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?",
                (stamp(now),),
            )
            return cur.rowcount

    async def pending_count(self, transports: Iterable[str] | None = None) -> int:
        """Messages still to send (pending or in flight) of running broadcasts and replies."""
        names = list(transports) if transports is not None else None
        where = f" AND o.transport IN ({','.join('?' * len(names))})" if names else ""
        row = await self._one(
            "SELECT COUNT(*) FROM outbox o LEFT JOIN broadcasts b ON b.id = o.broadcast_id "
            "WHERE o.state IN ('pending', 'claimed') "
            "AND (o.broadcast_id IS NULL OR b.state IN ('sending', 'scheduled'))" + where,
            names or (),
        )
        return int(row[0]) if row else 0

    async def outbox_counts(self) -> dict[tuple[str, str, str], int]:
        """Messages in the outbox per (transport, kind, state)."""
        rows = await self._all("SELECT transport, kind, state, COUNT(*) FROM outbox GROUP BY 1, 2, 3")
        return {(transport, kind, state): n for transport, kind, state, n in rows}

    async def retry_failed(self, broadcast_id: int, now: datetime) -> int:
        """Queue a broadcast's failed recipients again (and reopen it if it had finished)."""
        async with self.transaction():
            cur = await self._write(
                "UPDATE outbox SET state = 'pending', attempts = 0, not_before = ?, error = NULL "
                "WHERE broadcast_id = ? AND state = 'failed'",
                (stamp(now), broadcast_id),
            )
            if cur.rowcount:
                await self._write(
                    "UPDATE broadcasts SET state = 'sending', finished_at = NULL, reported_percent = 0 "
                    "WHERE id = ? AND state = 'done'",
                    (broadcast_id,),
                )
            return cur.rowcount

    async def cancel_messages(self, *, broadcast_id: int | None = None, kind: str | None = None,
                              chat: ChatRef | None = None) -> int:
        """Cancel queued messages (not those already in the platform's hands)."""
        clauses, params = ["state IN ('pending', 'claimed')"], []
        if broadcast_id is not None:
            clauses.append("broadcast_id = ?")
            params.append(broadcast_id)
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if chat is not None:
            clauses += ["transport = ?", "chat_id = ?"]
            params += [chat.transport, chat.chat_id]
        async with self.transaction():
            cur = await self._write(
                f"UPDATE outbox SET state = 'cancelled' WHERE {' AND '.join(clauses)}", params
            )
            return cur.rowcount

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        rows = await self._all(
            "SELECT state, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY state",
            (broadcast_id,),
        )
        return {state: n for state, n in rows}

    async def prune(self, now: datetime, keep: timedelta, keep_personal: timedelta) -> None:
        """Forget old bookkeeping (answered update ids, settled outbox rows) after `keep`,
        and what people wrote (unanswered questions, desk tickets) after `keep_personal`."""
        cutoff, personal = stamp(now - keep), stamp(now - keep_personal)

        async def prune() -> None:
            await self._write("DELETE FROM inbox WHERE received_at < ?", (cutoff,))
            await self._write(
                "DELETE FROM outbox WHERE broadcast_id IS NULL AND state NOT IN ('pending', 'claimed') "
                "AND created_at < ?", (cutoff,),
            )
            await self._write("DELETE FROM unanswered WHERE asked_at < ?", (personal,))
            await self._write("DELETE FROM tickets WHERE created_at < ?", (personal,))

        await self.bookkeeping("pruning", prune)

    # broadcasts

    async def create_broadcast(
        self, *, kind: str, text_pl: str, text_en: str | None, transports: Iterable[str],
        created_by: str, origin: ChatRef | None, state: str, not_before: datetime, now: datetime,
    ) -> int:
        async with self.transaction():
            cur = await self._write(
                "INSERT INTO broadcasts (kind, text_pl, text_en, transports, created_by, "
                "origin_transport, origin_chat, state, not_before, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind, text_pl, text_en, ",".join(transports), created_by,
                    origin.transport if origin else None, origin.chat_id if origin else None,
                    state, stamp(not_before), stamp(now),
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    async def broadcast(self, broadcast_id: int) -> aiosqlite.Row | None:
        return await self._one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))

    async def broadcasts_in(self, state: str) -> list[aiosqlite.Row]:
        return await self._all("SELECT * FROM broadcasts WHERE state = ? ORDER BY id", (state,))

    async def due_broadcasts(self, now: datetime) -> list[aiosqlite.Row]:
        return await self._all(
            "SELECT * FROM broadcasts WHERE state = 'scheduled' AND not_before <= ? ORDER BY id",
            (stamp(now),),
        )

    async def move_broadcast(
        self, broadcast_id: int, expected: tuple[str, ...], state: str, now: datetime
    ) -> bool:
        """Change a broadcast's state only from one it is expected in; cancelling also
        cancels every message of it not yet in the platform's hands."""
        marks = ",".join("?" * len(expected))
        column = {"sending": "started_at", "done": "finished_at"}.get(state)
        extra = f", {column} = ?" if column else ""
        params: list[Any] = [state, *([stamp(now)] if column else []), broadcast_id, *expected]
        async with self.transaction():
            cur = await self._write(
                f"UPDATE broadcasts SET state = ?{extra} WHERE id = ? AND state IN ({marks})", params
            )
            if cur.rowcount and state == "cancelled":
                await self._write(
                    "UPDATE outbox SET state = 'cancelled' WHERE broadcast_id = ? "
                    "AND state IN ('pending', 'claimed')",
                    (broadcast_id,),
                )
            return cur.rowcount > 0

    async def set_broadcast_report(
        self, broadcast_id: int, *, percent: int | None = None, message_id: str | None = None
    ) -> None:
        async with self.transaction():
            if percent is not None:
                await self._write(
                    "UPDATE broadcasts SET reported_percent = ? WHERE id = ?", (percent, broadcast_id)
                )
            if message_id is not None:
                await self._write(
                    "UPDATE broadcasts SET progress_message = ? WHERE id = ?", (message_id, broadcast_id)
                )

    # reminders

    async def reminder_subscribers(
        self, occasion: str, label: str, due_at: datetime
    ) -> list[aiosqlite.Row]:
        """Subscribers (since before `due_at`) who have not had this reminder."""
        return await self._all(
            "SELECT transport, chat_id, COALESCE(language, 'pl') AS lang, is_private, subscribed_at "
            "FROM users u WHERE reminders = 1 AND blocked = 0 AND subscribed_at <= ? "
            "AND NOT EXISTS (SELECT 1 FROM sent_reminders s WHERE s.event = ? AND s.reminder = ? "
            "AND s.transport = u.transport AND s.chat_id = u.chat_id)",
            (stamp(due_at), occasion, label),
        )

    async def record_reminders(self, records: Iterable[tuple[str, str, str, str, str, str]]) -> None:
        """(event, reminder, transport, chat, state, at): queued or skipped, never again."""
        async with self.transaction():
            await self._writer.executemany(
                "INSERT OR IGNORE INTO sent_reminders (event, reminder, transport, chat_id, state, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                list(records),
            )

    # stars (the programme); bot/session_reminders.py decides what they mean

    async def add_star(self, event: str, chat: ChatRef, star: Star, now: datetime) -> bool:
        """Star a session for a chat; False if it was starred already."""
        async with self.transaction():
            cur = await self._write(
                "INSERT OR IGNORE INTO stars (event, transport, chat_id, session_id, title, "
                "starts_at, ends_at, room, starred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (event, chat.transport, chat.chat_id, star.session_id, star.title,
                 _stamp(star.starts_at), _stamp(star.ends_at), star.room, stamp(now)),
            )
            return cur.rowcount > 0

    async def remove_star(self, event: str, chat: ChatRef, session_id: str) -> bool:
        async with self.transaction():
            cur = await self._write(
                "DELETE FROM stars WHERE event = ? AND transport = ? AND chat_id = ? AND session_id = ?",
                (event, chat.transport, chat.chat_id, session_id),
            )
            return cur.rowcount > 0

    async def stars_of(self, event: str, chat: ChatRef) -> list[Star]:
        rows = await self._all(
            "SELECT * FROM stars WHERE event = ? AND transport = ? AND chat_id = ? "
            "ORDER BY starts_at IS NULL, starts_at, session_id",
            (event, chat.transport, chat.chat_id),
        )
        return [Star.from_row(r) for r in rows]

    async def starred_sessions(self, event: str) -> list[Star]:
        """Every version of a starred session that some guest last heard of."""
        rows = await self._all(
            "SELECT DISTINCT session_id, title, starts_at, ends_at, room FROM stars WHERE event = ?",
            (event,),
        )
        return [Star.from_row(r) for r in rows]

    async def star_holders(
        self, event: str, star: Star, *, unreminded_before: datetime | None = None
    ) -> list[StarHolder]:
        """Reachable chats that last heard of the session as `star`; with
        `unreminded_before`, only those who starred it by then and had no reminder for
        this start yet."""
        query = (
            "SELECT s.transport, s.chat_id, COALESCE(u.language, 'pl') AS lang, u.is_private "
            "FROM stars s JOIN users u ON u.transport = s.transport AND u.chat_id = s.chat_id "
            "WHERE u.blocked = 0 AND s.event = ? AND s.session_id = ? AND s.starts_at IS ? "
            "AND s.ends_at IS ? AND s.room = ?"
        )
        params: list[Any] = [event, star.session_id, _stamp(star.starts_at), _stamp(star.ends_at),
                             star.room]
        if unreminded_before is not None:
            query += " AND s.starred_at <= ? AND s.reminded_for IS NOT s.starts_at"
            params.append(stamp(unreminded_before))
        rows = await self._all(query + " ORDER BY s.transport, s.chat_id", params)
        return [StarHolder(ChatRef(r["transport"], r["chat_id"]), r["lang"], bool(r["is_private"]))
                for r in rows]

    async def replace_star(self, event: str, old: Star, new: Star) -> None:
        """Every guest who knew the session as `old` now knows it as `new` (which may carry
        another id: the same session exported with other ids)."""
        where = "WHERE event = ? AND session_id = ? AND starts_at IS ? AND ends_at IS ? AND room = ?"
        key = (event, old.session_id, _stamp(old.starts_at), _stamp(old.ends_at), old.room)
        async with self.transaction():
            await self._write(
                f"UPDATE OR IGNORE stars SET session_id = ?, title = ?, starts_at = ?, ends_at = ?, "
                f"room = ? {where}",
                (new.session_id, new.title, _stamp(new.starts_at), _stamp(new.ends_at), new.room, *key),
            )
            if new.session_id != old.session_id:  # left: the guest starred it under the new id too
                await self._write(f"DELETE FROM stars {where}", key)

    async def mark_reminded(self, event: str, session_id: str, start: datetime,
                            chats: Iterable[ChatRef]) -> None:
        async with self.transaction():
            await self._writer.executemany(
                "UPDATE stars SET reminded_for = ? "
                "WHERE event = ? AND session_id = ? AND transport = ? AND chat_id = ?",
                [(stamp(start), event, session_id, c.transport, c.chat_id) for c in chats],
            )

    # desk tickets

    async def open_ticket(
        self, kind: str, asker: ChatRef, name: str, lang: str, question: str, now: datetime
    ) -> int:
        async with self.transaction():
            cur = await self._write(
                "INSERT INTO tickets (kind, asker_transport, asker_chat, asker_name, lang, question, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, asker.transport, asker.chat_id, name, lang, question, stamp(now)),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    async def tickets_since(self, asker: ChatRef, since: datetime, kind: str = "media") -> int:
        """How many tickets of a kind the asker opened since `since` (the hourly limit)."""
        row = await self._one(
            "SELECT COUNT(*) FROM tickets WHERE asker_transport = ? AND asker_chat = ? "
            "AND kind = ? AND created_at > ?",
            (asker.transport, asker.chat_id, kind, stamp(since)),
        )
        return int(row[0]) if row else 0

    async def ticket(self, ticket_id: int) -> Ticket | None:
        row = await self._one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
        return Ticket.from_row(row) if row else None

    async def open_tickets(self, kinds: Sequence[str] = ("media",), limit: int = 50) -> list[Ticket]:
        rows = await self._all(
            f"SELECT * FROM tickets WHERE state = 'open' AND kind IN ({','.join('?' * len(kinds))}) "
            "ORDER BY id LIMIT ?", (*kinds, limit),
        )
        return [Ticket.from_row(r) for r in rows]

    async def add_ticket_message(self, ticket_id: int, chat: ChatRef, message_id: str) -> None:
        """Remember which desk message carries a ticket (a desk reply to it answers it)."""
        async with self.transaction():
            await self._write(
                "INSERT OR IGNORE INTO ticket_messages (transport, chat_id, message_id, ticket_id) "
                "SELECT ?, ?, ?, id FROM tickets WHERE id = ?",
                (chat.transport, chat.chat_id, message_id, ticket_id),
            )

    async def ticket_for_message(self, chat: ChatRef, message_id: str) -> int | None:
        row = await self._one(
            "SELECT ticket_id FROM ticket_messages WHERE transport = ? AND chat_id = ? "
            "AND message_id = ?",
            (chat.transport, chat.chat_id, message_id),
        )
        return int(row[0]) if row else None

    async def mark_ticket_answered(self, ticket_id: int, now: datetime) -> None:
        async with self.transaction():
            await self._write(
                "UPDATE tickets SET state = 'answered', answered_at = ? WHERE id = ?",
                (stamp(now), ticket_id),
            )

    # operations: the running bot's status row, reload requests from the shell

    async def write_status(self, body: str, now: datetime) -> None:
        """The running bot's status (JSON), rewritten by its heartbeat."""
        async with self.transaction():
            await self._write(
                "INSERT INTO bot_status (id, updated_at, body) VALUES (1, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body",
                (stamp(now), body),
            )

    async def read_status(self) -> tuple[datetime, str] | None:
        row = await self._one("SELECT updated_at, body FROM bot_status WHERE id = 1")
        return (datetime.fromisoformat(row[0]), row[1]) if row else None

    async def request_reload(self, requested_by: str, now: datetime) -> int:
        async with self.transaction():
            cur = await self._write(
                "INSERT INTO reload_requests (requested_at, requested_by) VALUES (?, ?)",
                (stamp(now), requested_by),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    async def pending_reload_requests(self) -> list[int]:
        rows = await self._all("SELECT id FROM reload_requests WHERE state = 'pending' ORDER BY id")
        return [row[0] for row in rows]

    async def finish_reload_request(
        self, request_id: int, state: str, result: str, now: datetime
    ) -> None:
        """Answer a pending request: 'done' or 'refused', with what the bot said."""
        async with self.transaction():
            await self._write(
                "UPDATE reload_requests SET state = ?, result = ?, finished_at = ? "
                "WHERE id = ? AND state = 'pending'",
                (state, result, stamp(now), request_id),
            )

    async def reload_request(self, request_id: int) -> tuple[str, str | None] | None:
        """(state, result) of a reload request."""
        row = await self._one("SELECT state, result FROM reload_requests WHERE id = ?", (request_id,))
        return (row[0], row[1]) if row else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _stamp(when: datetime | None) -> str | None:
    return stamp(when) if when is not None else None


async def _connect(path: Path | str) -> aiosqlite.Connection:
    # isolation_level=None: no implicit transactions; `transaction()` opens them explicitly.
    db = await aiosqlite.connect(str(path), isolation_level=None)
    db.row_factory = aiosqlite.Row
    await db.execute("PRAGMA busy_timeout=10000")
    if str(path) != ":memory:":
        await _write_ahead_log(db)
    await db.execute("PRAGMA synchronous=NORMAL")
    await db.execute("PRAGMA foreign_keys=ON")
    return db


async def _write_ahead_log(db: aiosqlite.Connection) -> None:
    """Switch a database to WAL. The switch needs the database to itself and SQLite does not
    wait for it (busy_timeout does not apply): a second process opening a fresh database at
    the same moment got "database is locked" and failed to start. Retry for up to ~10 s."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                await db.close()
                raise
            await asyncio.sleep(min(0.01 * 2 ** attempt, 0.5))


def _statements(script: str) -> list[str]:
    """A migration script as single statements (executescript would commit on its own)."""
    return [s.strip() for s in script.split(";") if s.strip()]
