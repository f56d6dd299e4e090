"""The organisers' chart: the numbers behind it from a day of traffic, then a real PNG."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.chart import LABELS, ChartData, chart_data, draw
from bot.cli import main
from bot.clock import ManualClock
from bot.config import Config
from bot.messages import Incoming
from bot.service import Services, open_services
from bot.transport import RecipientGone
from tests.conftest import WARSAW
from tests.fakes import RecordingTransport

DAY = datetime(2026, 9, 10, 0, 0, tzinfo=WARSAW)
ADMIN = "42"
# asked every hour of the day in hour-dependent numbers (per_hour), so each hour differs
THANKS = "dziękuję"
QUESTIONS = ["gdzie jest forum", "kiedy jest forum", "przepis na pierogi", "udział", THANKS]


def per_hour(hour: int) -> list[str]:
    """The questions asked in one hour: more around the event (14:00-16:00)."""
    crowd = 4 if 13 <= hour <= 16 else 1
    asked = [QUESTIONS[0]] * crowd + [QUESTIONS[1]] * (hour % 3) + [QUESTIONS[4]]
    if hour % 2:
        asked.append(QUESTIONS[2])
    if hour % 5 == 0:
        asked.append(QUESTIONS[3])
    return asked


async def a_day_of_traffic(services: Services, clock: ManualClock) -> dict[int, Counter[str]]:
    """Guests ask through the real assistant all day; returns what they got, per hour."""
    outcome = {"answer": "answered", "handoff": "answered", "suggest": "suggested",
               "fallback": "unanswered"}
    expected: dict[int, Counter[str]] = {}
    guest = 1000
    for hour in range(24):
        clock.set(DAY + timedelta(hours=hour, minutes=20))
        got: Counter[str] = Counter()
        for question in per_hour(hour):
            guest += 1
            await services.assistant.handle(Incoming("telegram", str(guest), str(guest), question))
            if question == THANKS:  # small talk is no question
                continue
            answer = services.assistant.ask(question)
            got[outcome[answer.kind]] += 1
            if answer.entry:
                got[f"entry:{answer.entry}"] += 1
        expected[hour] = got
    return expected


@pytest.fixture
def day_clock() -> ManualClock:
    return ManualClock(DAY)


@pytest.fixture
async def busy(config: Config, day_clock: ManualClock):
    config.telegram.admins = [int(ADMIN)]
    config.broadcast.telegram_per_chat_interval = 0
    config.broadcast.telegram_rate = 1000
    async with open_services(config, day_clock) as services:
        expected = await a_day_of_traffic(services, day_clock)
        yield services, expected


async def send_a_broadcast(services: Services, blocked: str) -> None:
    tg = RecordingTransport()
    tg.failures[blocked] = [RecipientGone("blocked")]
    services.board.attach(tg)
    [preview] = await services.assistant.handle(
        Incoming("telegram", ADMIN, ADMIN, "/broadcast Drzwi 13:30", command="broadcast",
                 args="Drzwi 13:30"))
    number = preview.buttons[0][0].payload.split()[1]
    await services.assistant.handle(Incoming("telegram", ADMIN, ADMIN, "", command="confirm", args=number))
    await services.outbox.drain(timeout=10)


async def test_chart_numbers_match_a_day_of_traffic(busy, day_clock: ManualClock) -> None:
    services, expected = busy
    await send_a_broadcast(services, blocked="1001")
    now = DAY + timedelta(hours=23, minutes=50)
    data = await chart_data(services.storage, now, WARSAW)

    assert len(data.per_hour) == 48
    assert data.per_hour[-1][0] == DAY + timedelta(hours=23)
    assert data.per_hour[0][0] == DAY - timedelta(hours=24)
    yesterday, today = data.per_hour[:24], data.per_hour[24:]
    assert all(sum(counts.values()) == 0 for _, counts in yesterday)
    for (start, counts), hour in zip(today, range(24), strict=True):
        assert start.hour == hour
        assert counts == {k: expected[hour][k] for k in ("answered", "suggested", "unanswered")}, hour

    day, totals = data.per_day[-1]
    assert day == DAY.date()
    for outcome in ("answered", "suggested", "unanswered"):
        assert totals[outcome] == sum(expected[h][outcome] for h in range(24))
    assert all(sum(c.values()) == 0 for _, c in data.per_day[:-1])

    entries = Counter()
    for hour in range(24):
        entries.update({k[6:]: v for k, v in expected[hour].items() if k.startswith("entry:")})
    assert data.top_entries == entries.most_common(10)

    # the admin and 10xx guests subscribed by talking; one of them blocked the bot
    recipients = 1 + sum(len(per_hour(h)) for h in range(24))
    assert data.delivery["broadcast"] == {
        "sent": recipients - 1, "blocked": 1, "failed": 0, "pending": 0,
    }


async def test_the_chart_is_a_png_of_a_sane_size(busy) -> None:
    services, _ = busy
    data = await chart_data(services.storage, DAY + timedelta(hours=23), WARSAW)
    phrases = services.content.phrases
    png = draw(data, {key: phrases.text("en", key) for key in LABELS})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1200, 800)
    assert 20_000 < len(png) < 1_000_000


def test_an_empty_database_still_draws(config: Config) -> None:
    labels = {key: key for key in LABELS}
    png = draw(ChartData(DAY), labels)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


async def test_admin_stats_is_an_image_and_others_are_refused(busy) -> None:
    services, _ = busy
    [refused] = await services.assistant.handle(Incoming("telegram", "7", "7", "/stats", command="stats"))
    assert "uprawnień" in refused.text and refused.image is None
    [reply] = await services.assistant.handle(Incoming("telegram", ADMIN, ADMIN, "/stats", command="stats"))
    assert reply.image is not None and reply.image.size == (1200, 800)
    assert "pytań" in reply.text


def test_stats_plot_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IRLF_DB", str(tmp_path / "bot.db"))
    target = tmp_path / "chart.png"
    assert main(["stats", "--plot", str(target), "--lang", "en"]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {target}" in capsys.readouterr().out
