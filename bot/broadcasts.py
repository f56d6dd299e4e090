"""Organisers' announcements: /broadcast, a preview with recipient counts, confirm or cancel.

Only admins (config: Telegram user ids, Matrix user ids in the management room) may
broadcast; anyone else is told so and the attempt is logged. Only the author confirms.
The messages themselves go out through the outbox.
"""

from __future__ import annotations

import logging
from collections import Counter

from bot.assistant import PREFIX, Handler
from bot.clock import Clock
from bot.config import Config
from bot.markup import user_text
from bot.messages import Button, Incoming, Reply
from bot.outbox import Outbox
from bot.phrasebook import Phrasebook

log = logging.getLogger(__name__)
SEPARATOR = "||"
TRANSPORTS = ("telegram", "matrix")


def split_languages(text: str) -> tuple[str, str | None]:
    """'Polski || English' -> ('Polski', 'English'); one part -> everyone gets it."""
    pl, _, en = text.partition(SEPARATOR)
    return pl.strip(), (en.strip() or None)


class BroadcastDesk:
    def __init__(self, config: Config, outbox: Outbox, phrases: Phrasebook, clock: Clock) -> None:
        self.config = config
        self.outbox = outbox
        self.phrases = phrases
        self.clock = clock

    def commands(self) -> dict[str, Handler]:
        return {"broadcast": self.broadcast, "confirm": self.confirm, "cancel": self.cancel}

    def is_admin(self, msg: Incoming) -> bool:
        """An organiser, writing from where broadcasts are made (Telegram DM, management room)."""
        if not self.config.is_organiser(msg.transport, msg.sender_id):
            return False
        if msg.transport == "telegram":
            return msg.is_private
        if msg.transport == "matrix":
            return msg.chat_id == self.config.matrix.management_room
        return True

    async def broadcast(self, msg: Incoming, lang: str) -> list[Reply]:
        """Create a draft announcement and show its preview with the recipient count."""
        if not self._allowed(msg, "broadcast"):
            return [Reply.of(self.phrases.text(lang, "not_allowed"))]
        p = PREFIX.get(msg.transport, "/")
        text_pl, text_en = split_languages(msg.args)
        if not text_pl:
            return [Reply.of(self.phrases.text(lang, "broadcast_usage", p=p))]
        broadcast_id = await self.outbox.create(
            text_pl, text_en, TRANSPORTS, f"{msg.transport}:{msg.sender_id}", msg.chat
        )
        recipients = await self.describe_recipients(TRANSPORTS, lang)
        shown = text_pl if not text_en else f"PL: {text_pl}\n\nEN: {text_en}"
        text = self.phrases.text(
            lang, "broadcast_preview", id=broadcast_id, recipients=recipients, text=shown, p=p
        )
        buttons = [[
            Button(self.phrases.text(lang, "button_confirm"), f"confirm {broadcast_id}"),
            Button(self.phrases.text(lang, "button_cancel"), f"cancel {broadcast_id}"),
        ]]
        return [Reply.of(text, buttons)]

    async def describe_recipients(self, transports: tuple[str, ...] | list[str], lang: str) -> str:
        found = await self.outbox.recipients(transports, self.config.matrix.broadcast_rooms)
        per = Counter(r.transport for r in found)
        listing = ", ".join(f"{name}: {per.get(name, 0)}" for name in transports)
        return self.phrases.text(lang, "broadcast_recipients", count=len(found), per_transport=listing)

    async def confirm(self, msg: Incoming, lang: str) -> list[Reply]:
        """The author confirms a draft: it is scheduled and the outbox sends it."""
        return await self._decide(msg, lang, "scheduled", "broadcast_confirmed")

    async def cancel(self, msg: Incoming, lang: str) -> list[Reply]:
        """The author cancels a draft or a broadcast still sending."""
        return await self._decide(msg, lang, "cancelled", "broadcast_cancelled")

    async def _decide(self, msg: Incoming, lang: str, state: str, said: str) -> list[Reply]:
        if not self._allowed(msg, msg.command or "confirm"):
            return [Reply.of(self.phrases.text(lang, "not_allowed"))]
        arg = msg.args.strip().lstrip("#")
        broadcast = await self.outbox.get(int(arg)) if arg.isdigit() else None
        open_states = ("draft",) if state == "scheduled" else ("draft", "scheduled", "sending")
        if broadcast is None or broadcast.state not in open_states:
            unknown = user_text(arg[:12] or "?")
            return [Reply.of(self.phrases.text(lang, "broadcast_unknown", id=unknown))]
        if broadcast.created_by != f"{msg.transport}:{msg.sender_id}":
            log.warning("%s:%s tried to %s broadcast #%s of %s", msg.transport, msg.sender_id,
                        msg.command, broadcast.id, broadcast.created_by)
            return [Reply.of(self.phrases.text(lang, "broadcast_not_yours", id=broadcast.id))]
        if not await self.outbox.move(broadcast.id, open_states, state):  # it moved meanwhile
            return [Reply.of(self.phrases.text(lang, "broadcast_unknown", id=broadcast.id))]
        return [Reply.of(self.phrases.text(lang, said, id=broadcast.id))]

    def _allowed(self, msg: Incoming, what: str) -> bool:
        if self.is_admin(msg):
            return True
        log.warning("not allowed: %s:%s tried %s", msg.transport, msg.sender_id, what)
        return False

