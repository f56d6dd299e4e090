"""Starred sessions: a reminder before each, and news when one moves or is cancelled,
each exactly once, through the outbox.

Every star keeps the session as its guest last heard of it. Each tick compares those
versions with the programme in use: a session that moved (time or room), left the
programme or came back is told to the guests who knew the old version. The notice is
queued in the transaction that records the new version, so a restart neither repeats nor
loses it; an import made while the bot was down is noticed when it starts.

Then every session starting within `[programme] remind_before` reminds those who starred
it before its reminder time and had no reminder for this start (a moved session reminds
again at its new time). A reminder is worded when sent (the minutes left are true then)
and expires at the start.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.clock import Clock, every, stamp
from bot.config import ProgrammeSettings
from bot.messages import Button, Reply
from bot.outbox import PRIORITY, Outbox
from bot.programme import Programme, ProgrammeSource
from bot.programme_desk import ProgrammeDesk, star_of
from bot.storage import NewMessage, OutboxRow, Star, Storage

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0
REMINDER, CHANGE = "session_reminder", "programme_change"


class SessionReminders:
    def __init__(self, source: ProgrammeSource, storage: Storage, outbox: Outbox, desk: ProgrammeDesk,
                 clock: Clock, settings: ProgrammeSettings) -> None:
        self.source = source
        self.storage = storage
        self.outbox = outbox
        self.desk = desk
        self.phrases = desk.phrases
        self.event = desk.event
        self.clock = clock
        self.settings = settings
        outbox.renderers[REMINDER] = self.render_reminder
        outbox.renderers[CHANGE] = self.render_change

    async def tick(self) -> int:
        """Queue the change notices and reminders now due; return how many were queued."""
        programme, now = self.source.current(), self.clock.now()
        queued = 0 if programme.implicit else await self.tell_changes(programme, now)
        queued += await self.remind(programme, now)
        if queued:
            self.outbox.wake()
        return queued

    async def tell_changes(self, programme: Programme, now: datetime) -> int:
        """Tell guests whose starred session moved, left the programme or came back."""
        queued = 0
        for known in await self.storage.starred_sessions(self.event.id):
            current = programme.get(known.session_id) or programme.find(known.title, known.starts_at)
            latest = star_of(current) if current else Star(known.session_id, known.title, None, None, "")
            if latest == known:
                continue
            change = _change(known, latest)
            starts = [t for t in (known.starts_at, latest.starts_at) if t is not None]
            messages: list[NewMessage] = []
            if change is not None and starts and max(starts) > now:  # nobody needs news of the past
                body = {"render": CHANGE, "change": change, "session": latest.session_id,
                        "title": known.title, "before": _where(known), "after": _where(latest)}
                messages = [
                    NewMessage(h.chat, "programme", PRIORITY["reminder"], body, h.lang, h.is_private,
                               expires_at=max(starts))
                    for h in await self.storage.star_holders(self.event.id, known)
                ]
            async with self.storage.transaction():  # told <=> the guest's version updated
                await self.storage.replace_star(self.event.id, known, latest)
                if messages:
                    await self.storage.enqueue(messages, now)
            if messages:
                log.info("programme: %s of session %s told to %d guests", change, latest.session_id,
                         len(messages))
            queued += len(messages)
        return queued

    async def remind(self, programme: Programme, now: datetime) -> int:
        """Remind the guests of every session starting within the lead time."""
        lead, queued = self.settings.lead, 0
        for session in programme.sessions:
            if not session.start - lead <= now < session.start:
                continue
            holders = await self.storage.star_holders(
                self.event.id, star_of(session), unreminded_before=session.start - lead
            )
            if not holders:
                continue
            body = {"render": REMINDER, "session": session.id, "start": stamp(session.start)}
            messages = [
                NewMessage(h.chat, "reminder", PRIORITY["reminder"], body, h.lang, h.is_private,
                           expires_at=session.start)
                for h in holders
            ]
            async with self.storage.transaction():  # reminded <=> queued
                await self.storage.mark_reminded(self.event.id, session.id, session.start,
                                                 [h.chat for h in holders])
                await self.storage.enqueue(messages, now)
            log.info("programme: reminder of session %s queued for %d guests", session.id, len(holders))
            queued += len(messages)
        return queued

    async def render_reminder(self, row: OutboxRow, now: datetime) -> Reply | None:
        """A reminder as it reads now; None if the session started, moved or went away."""
        body = row.body or {}
        session = self.source.current().get(str(body.get("session")))
        if session is None or stamp(session.start) != body.get("start") or now >= session.start:
            return None
        lang = row.lang
        minutes = max(1, round((session.start - now).total_seconds() / 60))
        text = self.phrases.text(
            lang, "session_reminder", left=self.phrases.count(lang, minutes, "minutes"),
            title=session.title(lang), time=self.desk.hours(session),
            room=session.room or self.event.venue.name(lang),
        )
        return Reply.of(text, [[Button(self.phrases.text(lang, "button_session_ics"), f"ics {session.id}")]])

    async def render_change(self, row: OutboxRow, now: datetime) -> Reply | None:
        """A change notice in the guest's language."""
        body = row.body or {}
        lang = row.lang
        before, after = (self._place(lang, body.get(side) or []) for side in ("before", "after"))
        session = self.source.current().get(str(body.get("session")))
        title = session.title(lang) if session else str(body.get("title"))
        text = self.phrases.text(lang, f"session_{body.get('change')}", title=title, before=before,
                                 after=after)
        buttons = [[Button(self.phrases.text(lang, "button_starred"), "starred")]]
        return Reply.of(text, buttons)

    def _place(self, lang: str, where: list[str | None]) -> str:
        if len(where) != 3 or where[0] is None or where[1] is None:
            return ""
        start, end = datetime.fromisoformat(where[0]), datetime.fromisoformat(where[1])
        return self.desk.place_and_time(lang, start, end, where[2] or "")

    async def run(self) -> None:
        """Tick every TICK_SECONDS until cancelled."""
        await every(TICK_SECONDS, self.tick, "programme reminders")


def _change(known: Star, latest: Star) -> str | None:
    """moved, cancelled, restored; None when only the title or the id changed."""
    if known.starts_at is None:
        return "restored" if latest.starts_at is not None else None
    if latest.starts_at is None:
        return "cancelled"
    if (known.starts_at, known.ends_at, known.room) != (latest.starts_at, latest.ends_at, latest.room):
        return "moved"
    return None


def _where(star: Star) -> list[str | None]:
    return [stamp(star.starts_at) if star.starts_at else None,
            stamp(star.ends_at) if star.ends_at else None, star.room]
