"""All persistent state, in one SQLite file (WAL) through aiosqlite.

Migrations are numbered steps recorded in `schema_version`; each runs once, in order.
Only what a feature needs is kept: chats (not names), language, reminder choice; the
unanswered questions keep text and time, never who asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.clock import stamp
from bot.messages import ChatRef

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
    # 4: sessions of the programme that guests starred, each as the guest last heard of it
    # (title, times, room; no start = told it is cancelled), and which start a reminder
    # was queued for
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
]


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
class Star:
    """A starred session as its guests last heard of it; `starts_at` None: told cancelled."""

    session_id: str
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    room: str

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Star:
        return cls(row["session_id"], row["title"], _time(row["starts_at"]), _time(row["ends_at"]),
                   row["room"])


@dataclass(frozen=True, slots=True)
class StarHolder:
    """Who starred a session, and how to reach them."""

    chat: ChatRef
    lang: str
    is_private: bool


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Storage:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    @classmethod
    async def open(cls, path: Path | str) -> Storage:
        db = await aiosqlite.connect(str(path))
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA busy_timeout=5000")
        storage = cls(db)
        await storage._migrate()
        return storage

    async def close(self) -> None:
        await self.db.close()

    async def _migrate(self) -> None:
        await self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        async with self.db.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        current = row[0] or 0
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            await self.db.executescript(
                f"BEGIN; {script}; INSERT INTO schema_version VALUES ({version}); COMMIT;"
            )

    async def schema_version(self) -> int:
        async with self.db.execute("SELECT MAX(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        return int(row[0] or 0)

    # adapter state (Matrix sync token, per-room flags)

    async def get_state(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM state WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_state(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        await self.db.commit()

    # users

    async def get_user(self, chat: ChatRef) -> User | None:
        async with self.db.execute(
            "SELECT * FROM users WHERE transport = ? AND chat_id = ?",
            (chat.transport, chat.chat_id),
        ) as cur:
            row = await cur.fetchone()
        return User.from_row(row) if row else None

    async def remember_chat(
        self, chat: ChatRef, is_private: bool, now: datetime, language: str | None = None
    ) -> None:
        """Record a chat the assistant talks to (broadcast recipients); unblock it if it was.
        `language` (the platform's hint) is kept until the user chooses one with /lang."""
        await self.db.execute(
            "INSERT INTO users (transport, chat_id, is_private, created_at, language) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(transport, chat_id) DO UPDATE SET blocked = 0, "
            "language = COALESCE(users.language, excluded.language)",
            (chat.transport, chat.chat_id, int(is_private), stamp(now), language),
        )
        await self.db.commit()

    async def set_language(self, chat: ChatRef, language: str) -> None:
        await self.db.execute(
            "UPDATE users SET language = ? WHERE transport = ? AND chat_id = ?",
            (language, chat.transport, chat.chat_id),
        )
        await self.db.commit()

    async def set_reminders(self, chat: ChatRef, enabled: bool, now: datetime) -> None:
        """Opt in (from `now`: only reminders still to come) or out."""
        if enabled:
            await self.db.execute(
                "UPDATE users SET reminders = 1, subscribed_at = ? "
                "WHERE transport = ? AND chat_id = ? AND reminders = 0",
                (stamp(now), chat.transport, chat.chat_id),
            )
        else:
            await self.db.execute(
                "UPDATE users SET reminders = 0 WHERE transport = ? AND chat_id = ?",
                (chat.transport, chat.chat_id),
            )
        await self.db.commit()

    async def mark_blocked(self, chat: ChatRef) -> None:
        await self.db.execute(
            "UPDATE users SET blocked = 1 WHERE transport = ? AND chat_id = ?",
            (chat.transport, chat.chat_id),
        )
        await self.db.commit()

    async def forget(self, chat: ChatRef) -> bool:
        """Erase everything kept about a chat; True if there was anything."""
        cur = await self.db.execute(
            "DELETE FROM users WHERE transport = ? AND chat_id = ?",
            (chat.transport, chat.chat_id),
        )
        erased = cur.rowcount > 0
        for table, columns in FORGET_HOOKS:
            await self.db.execute(
                f"DELETE FROM {table} WHERE {columns[0]} = ? AND {columns[1]} = ?",
                (chat.transport, chat.chat_id),
            )
        await self.db.commit()
        return erased

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
        async with self.db.execute(query + " ORDER BY transport, chat_id", params) as cur:
            return [User.from_row(row) async for row in cur]

    # stars (the programme): SQL only; bot/session_reminders.py decides

    async def add_star(self, event: str, chat: ChatRef, star: Star, now: datetime) -> bool:
        """Star a session for a chat; False if it was starred already."""
        cur = await self.db.execute(
            "INSERT OR IGNORE INTO stars (event, transport, chat_id, session_id, title, starts_at, "
            "ends_at, room, starred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (event, chat.transport, chat.chat_id, star.session_id, star.title,
             _stamp(star.starts_at), _stamp(star.ends_at), star.room, stamp(now)),
        )
        await self.db.commit()
        return cur.rowcount > 0

    async def remove_star(self, event: str, chat: ChatRef, session_id: str) -> bool:
        cur = await self.db.execute(
            "DELETE FROM stars WHERE event = ? AND transport = ? AND chat_id = ? AND session_id = ?",
            (event, chat.transport, chat.chat_id, session_id),
        )
        await self.db.commit()
        return cur.rowcount > 0

    async def stars_of(self, event: str, chat: ChatRef) -> list[Star]:
        async with self.db.execute(
            "SELECT * FROM stars WHERE event = ? AND transport = ? AND chat_id = ? "
            "ORDER BY starts_at IS NULL, starts_at, session_id",
            (event, chat.transport, chat.chat_id),
        ) as cur:
            return [Star.from_row(row) async for row in cur]

    async def starred_sessions(self, event: str) -> list[Star]:
        """Every version of a starred session that some guest last heard of."""
        async with self.db.execute(
            "SELECT DISTINCT session_id, title, starts_at, ends_at, room FROM stars WHERE event = ?",
            (event,),
        ) as cur:
            return [Star.from_row(row) async for row in cur]

    async def star_holders(
        self, event: str, star: Star, *, unreminded_before: datetime | None = None
    ) -> list[StarHolder]:
        """Reachable chats that last heard of the session as `star`; with
        `unreminded_before`, only those who starred it by then and have no reminder for
        this start yet."""
        query = (
            "SELECT s.transport, s.chat_id, COALESCE(u.language, 'pl') AS lang, u.is_private "
            "FROM stars s JOIN users u ON u.transport = s.transport AND u.chat_id = s.chat_id "
            "WHERE u.blocked = 0 AND s.event = ? AND s.session_id = ? AND s.starts_at IS ? "
            "AND s.ends_at IS ? AND s.room = ?"
        )
        params: list[object] = [event, star.session_id, _stamp(star.starts_at), _stamp(star.ends_at),
                                star.room]
        if unreminded_before is not None:
            query += " AND s.starred_at <= ? AND (s.reminded_for IS NULL OR s.reminded_for != s.starts_at)"
            params.append(stamp(unreminded_before))
        async with self.db.execute(query + " ORDER BY s.transport, s.chat_id", params) as cur:
            return [
                StarHolder(ChatRef(r["transport"], r["chat_id"]), r["lang"], bool(r["is_private"]))
                async for r in cur
            ]

    async def replace_star(self, event: str, old: Star, new: Star, *, commit: bool = True) -> None:
        """Every guest who knew the session as `old` now knows it as `new` (which may carry
        another id: the same session exported with other ids)."""
        where = ("WHERE event = ? AND session_id = ? AND starts_at IS ? AND ends_at IS ? AND room = ?")
        key = (event, old.session_id, _stamp(old.starts_at), _stamp(old.ends_at), old.room)
        await self.db.execute(
            f"UPDATE OR IGNORE stars SET session_id = ?, title = ?, starts_at = ?, ends_at = ?, room = ? "
            f"{where}",
            (new.session_id, new.title, _stamp(new.starts_at), _stamp(new.ends_at), new.room, *key),
        )
        if new.session_id != old.session_id:  # left: the guest starred it under the new id too
            await self.db.execute(f"DELETE FROM stars {where}", key)
        if commit:
            await self.db.commit()

    async def mark_reminded(self, event: str, session_id: str, start: datetime,
                            chats: list[ChatRef], *, commit: bool = True) -> None:
        await self.db.executemany(
            "UPDATE stars SET reminded_for = ? "
            "WHERE event = ? AND session_id = ? AND transport = ? AND chat_id = ?",
            [(stamp(start), event, session_id, c.transport, c.chat_id) for c in chats],
        )
        if commit:
            await self.db.commit()

    # statistics

    async def record_question(
        self, day: str, entry: str | None, kind: str, text: str, asked_at: datetime
    ) -> None:
        await self.db.execute(
            "INSERT INTO question_stats (day, entry, kind, count) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(day, entry, kind) DO UPDATE SET count = count + 1",
            (day, entry or "", kind),
        )
        if kind in ("fallback", "suggest"):
            await self.db.execute(
                "INSERT INTO unanswered (text, asked_at) VALUES (?, ?)",
                (text, stamp(asked_at)),
            )
        await self.db.commit()


def _stamp(when: datetime | None) -> str | None:
    return stamp(when) if when is not None else None


# Tables with rows about one chat, erased by /forget: (table, (transport column, chat column)).
FORGET_HOOKS: list[tuple[str, tuple[str, str]]] = [
    ("stars", ("transport", "chat_id")),
    ("sent_reminders", ("transport", "chat_id")),
    ("outbox", ("transport", "chat_id")),
    ("tickets", ("asker_transport", "asker_chat")),
]
