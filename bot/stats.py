"""Organiser statistics: subscribers, questions per day, top entries, unanswered questions."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from bot.storage import Storage


@dataclass(slots=True)
class Stats:
    subscribers: list[tuple[str, str, int, int]] = field(default_factory=list)
    per_day: list[tuple[str, int]] = field(default_factory=list)
    top_entries: list[tuple[str, int]] = field(default_factory=list)
    unanswered: list[tuple[str, str]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Every figure as (table, key, detail, value): one CSV for a spreadsheet."""
        out: list[tuple[str, str, str, str]] = []
        out += [("subscribers", t, lang, f"{n}") for t, lang, n, _ in self.subscribers]
        out += [("reminders", t, lang, f"{r}") for t, lang, _, r in self.subscribers]
        out += [("questions_per_day", day, "", f"{n}") for day, n in self.per_day]
        out += [("top_entries", entry, "", f"{n}") for entry, n in self.top_entries]
        out += [("unanswered", at, text, "") for at, text in self.unanswered]
        return out

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["table", "key", "detail", "value"])
            writer.writerows(self.rows())

    def table(self) -> str:
        lines = ["Subscribers (transport, language: chats / reminders on)"]
        lines += [f"  {t:<10} {lang:<4} {n:>6} / {r}" for t, lang, n, r in self.subscribers]
        lines += ["", "Questions per day"]
        lines += [f"  {day}  {n:>6}" for day, n in self.per_day]
        lines += ["", "Most asked entries"]
        lines += [f"  {entry:<24} {n:>6}" for entry, n in self.top_entries]
        lines += ["", "Unanswered questions (latest first; no user ids kept)"]
        lines += [f"  {at[:16]}  {text}" for at, text in self.unanswered]
        return "\n".join(lines)


async def gather(storage: Storage, top: int = 10, unanswered: int = 50) -> Stats:
    return Stats(
        subscribers=await storage.subscribers_by_language(),
        per_day=await storage.questions_per_day(),
        top_entries=await storage.top_entries(top),
        unanswered=await storage.unanswered(unanswered),
    )
