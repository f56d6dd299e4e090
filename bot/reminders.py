"""Reminders before the event, each sent exactly once, through the paced outbox.

Each reminder is rendered when it is sent (its countdown is true then) and expires at
the start: a "2 hours before" reminder held up by anything is never sent after the doors
open. The reminders count down to the event, or, once it is over, to the next edition when its
start time is in the event data. Each (subscriber, reminder) is recorded in the same
transaction that queues the message, so a restart never resends. A reminder missed while
the bot was down is sent when it comes back, unless a later one is already due (then only
the latest) or the event has started (then none). A subscriber gets only the reminders
whose time comes after they subscribed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.assistant import PREFIX, Handler
from bot.calendar import event_calendar
from bot.clock import Clock, every, stamp
from bot.config import ReminderSettings, parse_duration
from bot.event import Event
from bot.messages import Attachment, ChatRef, Incoming, Reply
from bot.outbox import PRIORITY, Outbox
from bot.phrasebook import Phrasebook
from bot.storage import NewMessage, OutboxRow, Storage

log = logging.getLogger(__name__)
TICK_SECONDS = 30.0
RENDER = "reminder"


@dataclass(frozen=True, slots=True)
class Occasion:
    """What reminders count down to: this event, or the next edition once its start is known."""

    id: str
    name: dict[str, str]
    start: datetime
    end: datetime | None
    place: dict[str, str]

    @classmethod
    def upcoming(cls, event: Event, now: datetime) -> Occasion | None:
        if now < event.start:
            place = {
                lang: f"{event.venue.name(lang)}, {event.venue.address}" for lang in ("pl", "en")
            }
            name = {lang: f"{event.name(lang)} ({event.short_name})" for lang in ("pl", "en")}
            return cls(event.id, name, event.start, event.end, place)
        following = event.next
        if following and following.start and now < following.start:
            place = {lang: f"{following.host}, {following.city}" for lang in ("pl", "en")}
            name = {lang: following.name(lang) for lang in ("pl", "en")}
            return cls(f"{event.id}/next", name, following.start, None, place)
        return None


class ReminderScheduler:
    def __init__(
        self,
        storage: Storage,
        outbox: Outbox,
        phrases: Phrasebook,
        clock: Clock,
        settings: ReminderSettings,
    ) -> None:
        self.storage = storage
        self.outbox = outbox
        self.phrases = phrases
        self.clock = clock
        self.settings = settings
        if outbox is not None:
            outbox.renderers[RENDER] = self.render

    def due(self, occasion: Occasion, now: datetime) -> list[tuple[str, datetime]]:
        """The reminders whose time has come, earliest first (none once the event started)."""
        if now >= occasion.start:
            return []
        times = [(label, self.reminder_time(occasion, label)) for label in self.settings.before]
        return sorted(((label, at) for label, at in times if at <= now), key=lambda x: x[1])

    def reminder_time(self, occasion: Occasion, label: str) -> datetime:
        """When a reminder is due. Whole days count on the local calendar, so '1d' before
        14:00 is 14:00 the day before even across a daylight-saving change; hours are exact."""
        offset = parse_duration(label)
        if offset % timedelta(days=1) == timedelta(0):
            local = occasion.start.astimezone(self.phrases.event.zone)
            return local - offset  # aware arithmetic in one zone is wall-clock arithmetic
        return occasion.start - offset

    async def tick(self) -> int:
        """Queue the latest due reminder for every subscriber who has not had it; return count."""
        now = self.clock.now()
        occasion = Occasion.upcoming(self.phrases.event, now)
        if occasion is None:
            return 0
        due = self.due(occasion, now)
        if not due:
            return 0
        latest, latest_at = due[-1]
        subscribers = await self.storage.reminder_subscribers(occasion.id, latest, latest_at)
        if not subscribers:
            return 0
        records = []
        for row in subscribers:
            for label, at in due:
                if stamp(at) >= row["subscribed_at"]:
                    state = "sent" if label == latest else "skipped"
                    records.append((occasion.id, label, row["transport"], row["chat_id"], state, stamp(now)))
        # Rendered when sent (the countdown is true then), and never after the doors open.
        body = {"render": RENDER, "occasion": occasion.id, "reminder": latest}
        messages = [
            NewMessage(ChatRef(row["transport"], row["chat_id"]), "reminder", PRIORITY["reminder"],
                       body, row["lang"], bool(row["is_private"]), expires_at=occasion.start)
            for row in subscribers
        ]
        async with self.storage.transaction():  # recorded as sent <=> queued in the outbox
            await self.storage.record_reminders(records)
            await self.storage.enqueue(messages, now)
        self.outbox.wake()
        log.info("reminder %s of %s queued for %d subscribers", latest, occasion.id, len(subscribers))
        return len(subscribers)

    async def render(self, row: OutboxRow, now: datetime) -> Reply | None:
        """A queued reminder as it reads now; None once its occasion has started."""
        occasion = Occasion.upcoming(self.phrases.event, now)
        if occasion is None or row.body is None or occasion.id != row.body.get("occasion"):
            return None
        return Reply.of(self.text(occasion, row.lang, now))

    def text(self, occasion: Occasion, lang: str, now: datetime) -> str:
        end = occasion.end or occasion.start + timedelta(hours=1)
        countdown = self.phrases.countdown(lang, now, occasion.start, end) or ""
        return self.phrases.text(
            lang, "reminder", name=occasion.name[lang], countdown=countdown,
            when=self.when(occasion, lang), place=occasion.place[lang],
        )

    def when(self, occasion: Occasion, lang: str) -> str:
        local = occasion.start.astimezone(self.phrases.event.zone)
        span = f"{local:%H:%M}"
        if occasion.end:
            span += f"–{self.phrases.clock(occasion.end)}"
        return f"{self.phrases.day(lang, local.date())}, {span}"

    async def run(self) -> None:
        """Check for due reminders every TICK_SECONDS until cancelled."""
        await every(TICK_SECONDS, self.tick, "reminders")


class RemindersDesk:
    """The user's side: /remind, /remind off, /calendar."""

    def __init__(self, scheduler: ReminderScheduler, storage: Storage, phrases: Phrasebook,
                 clock: Clock) -> None:
        self.scheduler = scheduler
        self.storage = storage
        self.phrases = phrases
        self.clock = clock

    def commands(self) -> dict[str, Handler]:
        return {"remind": self.remind, "calendar": self.calendar}

    async def remind(self, msg: Incoming, lang: str) -> list[Reply]:
        """Opt in (or `off`: out) of the reminders; a room needs a moderator to subscribe it."""
        p = PREFIX.get(msg.transport, "/")
        if not msg.may_change_chat_settings:
            return [Reply.of(self.phrases.text(lang, "remind_room_moderators"))]
        now = self.clock.now()
        if msg.args.strip().lower() in ("off", "stop", "wyłącz", "wylacz", "nie"):
            await self.storage.set_reminders(msg.chat, False, now)
            return [Reply.of(self.phrases.text(lang, "remind_off"))]
        await self.storage.remember_chat(msg.chat, msg.is_private, now)
        await self.storage.set_reminders(msg.chat, True, now)
        occasion = Occasion.upcoming(self.phrases.event, now)
        if occasion is None:
            return [Reply.of(self.phrases.text(lang, "remind_nothing", p=p))]
        offsets = self.phrases.spans(lang, self.scheduler.settings.offsets)
        return [Reply.of(self.phrases.text(
            lang, "remind_on", name=occasion.name[lang], offsets=offsets, p=p
        ))]

    async def calendar(self, msg: Incoming, lang: str) -> list[Reply]:
        """The event as an .ics file, with the date, time and address in the text too."""
        event, now = self.phrases.event, self.clock.now()
        filename, data = event_calendar(event, lang, after=now)
        if now >= event.end and event.next is not None:
            facts = self.phrases.facts(lang)
            name = facts["next_name"]
            when, place = facts["next_dates"], f"{event.next.host}, {event.next.city}"
        else:
            occasion = Occasion.upcoming(event, event.start - timedelta(seconds=1))
            assert occasion is not None
            name, place = occasion.name[lang], occasion.place[lang]
            when = self.scheduler.when(occasion, lang)
        text = self.phrases.text(lang, "calendar_text", name=name, when=when, place=place)
        return [Reply.of(text, attachment=Attachment(filename, "text/calendar", data))]
