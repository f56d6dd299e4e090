"""One picture for the organisers: questions per hour and per day (answered, "did you
mean", unanswered), the most asked entries, and how reminders and broadcasts were delivered.

`chart_data` reads the figures (tested on its own); `draw` turns them into a PNG with
matplotlib's Agg backend (no display needed). matplotlib is the plotting library every
Python user knows, well kept, and it writes PNG without system libraries; it is imported
only when a chart is drawn (about 1 s), so it costs the bot nothing at start.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.storage import Storage

# How each recorded kind of question counts on the chart; small talk is no question.
OUTCOME = {"answer": "answered", "handoff": "answered", "suggest": "suggested", "fallback": "unanswered"}
OUTCOMES = ("answered", "suggested", "unanswered")
DELIVERY_STATES = ("sent", "blocked", "failed", "pending")
WIDTH, HEIGHT, DPI = 12, 8, 100  # inches at DPI: a 1200 x 800 PNG
# The chart's texts, from faq/ui.toml in the reader's language.
LABELS = (
    "chart_title", "chart_per_hour", "chart_per_day", "chart_top", "chart_delivery",
    "chart_answered", "chart_suggested", "chart_unanswered", "chart_sent", "chart_blocked",
    "chart_failed", "chart_pending", "chart_kind_broadcast", "chart_kind_reminder", "chart_nothing",
)


@dataclass(slots=True)
class ChartData:
    """The numbers behind the chart."""

    now: datetime
    per_hour: list[tuple[datetime, dict[str, int]]] = field(default_factory=list)  # local hour starts
    per_day: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    top_entries: list[tuple[str, int]] = field(default_factory=list)
    delivery: dict[str, dict[str, int]] = field(default_factory=dict)  # reminder/broadcast -> state -> n

    @property
    def questions(self) -> int:
        return sum(sum(counts.values()) for _, counts in self.per_day)


async def chart_data(
    storage: Storage, now: datetime, zone: ZoneInfo, *, hours: int = 48, days: int = 14, top: int = 10
) -> ChartData:
    """The last `hours` hours and `days` days up to `now` (local time), the `top` entries
    of those days, and the delivery of every reminder and broadcast."""
    local_now = now.astimezone(zone)
    first_day = local_now.date() - timedelta(days=days - 1)
    by_hour: dict[datetime, Counter[str]] = defaultdict(Counter)
    by_day: dict[date, Counter[str]] = defaultdict(Counter)
    entries: Counter[str] = Counter()
    for day_text, hour, entry, kind, count in await storage.question_counts(first_day.isoformat()):
        outcome = OUTCOME.get(kind)
        if outcome is None:
            continue
        day = date.fromisoformat(day_text)
        by_day[day][outcome] += count
        if entry:
            entries[entry] += count
        if hour >= 0:
            start = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
            by_hour[start][outcome] += count
    this_hour = local_now.replace(minute=0, second=0, microsecond=0)
    hour_starts = [_local_hour(this_hour, back, zone) for back in range(hours - 1, -1, -1)]
    data = ChartData(now)
    data.per_hour = [(start, _full(by_hour.get(start))) for start in hour_starts]
    data.per_day = [
        (first_day + timedelta(days=n), _full(by_day.get(first_day + timedelta(days=n))))
        for n in range(days)
    ]
    data.top_entries = entries.most_common(top)
    for (_, kind, state), count in (await storage.outbox_counts()).items():
        state = "pending" if state == "claimed" else state
        if kind in ("broadcast", "reminder") and state in DELIVERY_STATES:
            data.delivery.setdefault(kind, dict.fromkeys(DELIVERY_STATES, 0))[state] += count
    return data


def _local_hour(this_hour: datetime, back: int, zone: ZoneInfo) -> datetime:
    """The local hour `back` hours before `this_hour`, counted in real hours (DST-safe)."""
    start = (this_hour.astimezone(ZoneInfo("UTC")) - timedelta(hours=back)).astimezone(zone)
    return datetime(start.year, start.month, start.day, start.hour, tzinfo=zone)


def _full(counts: Counter[str] | None) -> dict[str, int]:
    return {outcome: (counts or Counter())[outcome] for outcome in OUTCOMES}


def draw(data: ChartData, labels: dict[str, str], titles: dict[str, str] | None = None) -> bytes:
    """The chart as PNG bytes. `labels` are the texts in the reader's language (ui.toml
    chart_*); `titles` the entries' titles to show instead of their ids."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    colours = {"answered": "#2e7d32", "suggested": "#f9a825", "unanswered": "#c62828"}
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    (hourly, daily), (top, delivery) = figure.subplots(2, 2)
    figure.suptitle(labels["chart_title"].format(when=f"{data.now:%Y-%m-%d %H:%M}"))

    def stacked(axes, rows: list, tick: str, title: str) -> None:
        axes.set_title(title)
        positions = range(len(rows))
        bottom = [0] * len(rows)
        for outcome in OUTCOMES:
            heights = [counts[outcome] for _, counts in rows]
            axes.bar(positions, heights, bottom=bottom, color=colours[outcome],
                     label=labels[f"chart_{outcome}"], width=0.85)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        step = max(1, len(rows) // 12)
        axes.set_xticks(list(positions)[::step], [f"{when:{tick}}" for when, _ in rows][::step],
                        rotation=45, ha="right", fontsize=8)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.legend(fontsize=8, loc="upper left")

    stacked(hourly, data.per_hour, "%d.%m %H:00", labels["chart_per_hour"])
    stacked(daily, data.per_day, "%d.%m", labels["chart_per_day"])

    top.set_title(labels["chart_top"])
    names = [(titles or {}).get(entry, entry) for entry, _ in data.top_entries][::-1]
    bars = top.barh(range(len(names)), [n for _, n in data.top_entries][::-1], color="#1565c0")
    top.bar_label(bars, fontsize=8, padding=2)
    top.set_yticks(range(len(names)), [name[:40] for name in names], fontsize=8)
    if not names:
        top.text(0.5, 0.5, labels["chart_nothing"], ha="center", va="center", transform=top.transAxes)

    delivery.set_title(labels["chart_delivery"])
    kinds = sorted(data.delivery)
    state_colours = {"sent": "#2e7d32", "blocked": "#6d4c41", "failed": "#c62828", "pending": "#9e9e9e"}
    left = [0] * len(kinds)
    for state in DELIVERY_STATES:
        widths = [data.delivery[kind][state] for kind in kinds]
        bars = delivery.barh(range(len(kinds)), widths, left=left, height=0.5,
                             color=state_colours[state], label=labels[f"chart_{state}"])
        delivery.bar_label(bars, [str(w) if w else "" for w in widths], label_type="center",
                           color="white", fontsize=9)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    delivery.set_yticks(range(len(kinds)), [labels.get(f"chart_kind_{kind}", kind) for kind in kinds])
    if kinds:
        delivery.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=4)
    else:
        delivery.text(0.5, 0.5, labels["chart_nothing"], ha="center", va="center",
                      transform=delivery.transAxes)

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
