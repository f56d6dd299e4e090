"""The organisers' live tools in the chat: /reload, /unanswered, /stats (admins only).

- /reload re-reads the event, knowledge base and UI texts; the admin gets the version
  now in use, or every problem found while the old content stays.
- /unanswered [days] groups the questions left unanswered in the last days (7 by
  default) by similarity, with counts and the closest entry (bot/review.py).
- /stats sends the chart (bot/chart.py) as an image, with a one-line summary.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.admins import Admins
from bot.assistant import PREFIX, Handler, clean
from bot.chart import LABELS, chart_data, draw
from bot.clock import Clock
from bot.config import Config
from bot.content import LiveContent
from bot.control import Control
from bot.markup import user_text
from bot.messages import Image, Incoming, Reply
from bot.review import group_questions
from bot.storage import Storage

log = logging.getLogger(__name__)

REVIEW_DAYS = 7
MAX_DAYS = 90
MAX_GROUPS = 15
MAX_PROBLEMS = 20


class OrganiserDesk:
    def __init__(
        self, config: Config, storage: Storage, content: LiveContent, control: Control, clock: Clock
    ) -> None:
        self.admins = Admins(config)
        self.storage = storage
        self.content = content
        self.control = control
        self.clock = clock

    def commands(self) -> dict[str, Handler]:
        return {"reload": self.reload, "unanswered": self.unanswered, "stats": self.stats}

    async def reload(self, msg: Incoming, lang: str) -> list[Reply]:
        """Reload event, knowledge base and UI texts; report the version or the problems."""
        phrases = self.content.phrases
        if not self.admins.allow(msg, "reload"):
            return [Reply.of(phrases.text(lang, "not_allowed"))]
        result = self.control.reload(f"{msg.transport}:{msg.sender_id}")
        if result.ok:
            key = "reload_done" if result.changed else "reload_unchanged"
            return [Reply.of(self.content.phrases.text(lang, key, version=result.description))]
        shown = [f"• {p}" for p in result.problems[:MAX_PROBLEMS]]
        if len(result.problems) > MAX_PROBLEMS:
            shown.append(f"… +{len(result.problems) - MAX_PROBLEMS}")
        text = phrases.text(lang, "reload_refused", version=result.description,
                            count=len(result.problems))
        return [Reply.of("\n".join([text, *shown]))]

    async def unanswered(self, msg: Incoming, lang: str) -> list[Reply]:
        """The unanswered questions of the last days, grouped, with the closest entry."""
        content = self.content.current
        phrases = content.phrases
        if not self.admins.allow(msg, "unanswered"):
            return [Reply.of(phrases.text(lang, "not_allowed"))]
        arg = msg.args.strip()
        if arg and not (arg.isdigit() and 1 <= int(arg) <= MAX_DAYS):
            p = PREFIX.get(msg.transport, "/")
            return [Reply.of(phrases.text(lang, "unanswered_usage", p=p, max=MAX_DAYS))]
        days = int(arg) if arg else REVIEW_DAYS
        questions = await self.storage.unanswered_since(self.clock.now() - timedelta(days=days))
        groups = group_questions(questions, content.matcher)
        if not groups:
            return [Reply.of(phrases.text(lang, "unanswered_none", days=days))]
        lines = [phrases.text(lang, "unanswered_header", days=days, count=len(questions),
                              groups=len(groups))]
        for group in groups[:MAX_GROUPS]:
            first, *others = [
                phrases.text(lang, "unanswered_quote", text=user_text(clean(t)[:120]))
                for t in group.examples()
            ]
            also = phrases.text(lang, "unanswered_also", texts=", ".join(others)) if others else ""
            if group.closest is None:
                closest = phrases.text(lang, "unanswered_no_entry")
            else:
                entry_id, score = group.closest
                entry = content.kb.entries.get(entry_id)
                title = entry.title[lang] if entry and entry.title[lang] != entry_id else entry_id
                closest = phrases.text(lang, "unanswered_closest", title=title, id=entry_id,
                                       score=f"{score:.2f}")
            lines.append(phrases.text(lang, "unanswered_line", count=group.count, text=first,
                                      also=also, closest=closest))
        if len(groups) > MAX_GROUPS:
            lines.append(phrases.text(lang, "unanswered_more", count=len(groups) - MAX_GROUPS))
        return [Reply.of("\n".join(lines))]

    async def stats(self, msg: Incoming, lang: str) -> list[Reply]:
        """The chart of questions and deliveries, as an image."""
        content = self.content.current
        phrases = content.phrases
        if not self.admins.allow(msg, "stats"):
            return [Reply.of(phrases.text(lang, "not_allowed"))]
        data = await chart_data(self.storage, self.clock.now(), content.event.zone)
        labels = {key: phrases.text(lang, key) for key in LABELS}
        titles = {entry.id: entry.title[lang] for entry in content.kb}
        # matplotlib draws for about a second: off the event loop, so nobody waits for it
        png = await asyncio.to_thread(draw, data, labels, titles)
        answered = sum(counts["answered"] for _, counts in data.per_day)
        summary = phrases.text(lang, "stats_summary", count=data.questions, answered=answered,
                               days=len(data.per_day))
        image = Image(f"irlf-stats-{data.now:%Y%m%d-%H%M}.png", png)
        return [Reply.of(summary, image=image)]
