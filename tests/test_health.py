"""Health for operators: the status row and `irlf-bot status`, /healthz and /metrics."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.cli import main
from bot.clock import ManualClock, SystemClock
from bot.config import Config
from bot.health import STALE_AFTER, http_endpoint, status_report
from bot.messages import Incoming
from bot.service import open_services, operating
from bot.transport import RecipientGone
from tests.fakes import RecordingTransport


def metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the Prometheus text format, parsed by prometheus_client's parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def with_telegram(config: Config) -> Config:
    config.telegram.token = SecretStr("1:x")
    config.telegram.admins = [42]
    config.broadcast.telegram_per_chat_interval = 0
    config.broadcast.telegram_rate = 1000
    config.health.listen = "127.0.0.1:0"
    return config


async def test_metrics_count_answers_fallbacks_handoffs_latency_and_the_outbox(
    with_telegram: Config, clock: ManualClock
) -> None:
    async with open_services(with_telegram, clock) as services:
        tg = RecordingTransport()
        services.board.attach(tg)
        for chat, text in [("1", "gdzie jest forum"), ("2", "kiedy jest forum"),
                           ("3", "przepis na pierogi"), ("4", "jestem dziennikarzem")]:
            await services.board.dispatch(Incoming("telegram", chat, chat, text))
        await services.outbox.drain(timeout=10)
        tg.failures["3"] = [RecipientGone("blocked")]
        await services.board.dispatch(Incoming("telegram", "42", "42", "", command="broadcast", args="Hej"))
        await services.board.dispatch(Incoming("telegram", "42", "42", "", command="confirm", args="1"))
        await services.outbox.drain(timeout=10)
        async with http_endpoint(services.health, "127.0.0.1:0") as port, httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = metrics(response.text)
    tg_label = (("transport", "telegram"),)
    assert found[("irlf_questions_total", (("kind", "answer"), *tg_label))] == 2
    assert found[("irlf_questions_total", (("kind", "fallback"), *tg_label))] == 1
    assert found[("irlf_questions_total", (("kind", "handoff"), *tg_label))] == 1
    assert found[("irlf_reply_seconds_count", tg_label)] == 6  # four questions, two commands
    assert found[("irlf_reply_seconds_bucket", (("le", "+Inf"), *tg_label))] == 6
    replies, broadcast = (("kind", "reply"), *tg_label), (("kind", "broadcast"), *tg_label)
    assert found[("irlf_outbox_sent_total", replies)] == 6  # four answers, preview, confirmation
    assert found[("irlf_outbox_sent_total", broadcast)] == 4  # 1, 2, 4 and the admin
    assert found[("irlf_outbox_blocked_total", broadcast)] == 1  # 3 blocked the bot
    assert not any(v for (name, _), v in found.items() if name == "irlf_outbox_pending")
    assert found[("irlf_transport_up", tg_label)] == 1


async def test_healthz_says_503_and_why_when_a_transport_is_down(
    with_telegram: Config, clock: ManualClock
) -> None:
    async with open_services(with_telegram, clock) as services:
        async with http_endpoint(services.health, "127.0.0.1:0") as port, httpx.AsyncClient() as http:
            down = await http.get(f"http://127.0.0.1:{port}/healthz")
            services.board.attach(RecordingTransport())
            up = await http.get(f"http://127.0.0.1:{port}/healthz")
    assert down.status_code == 503 and down.json()["problems"] == ["telegram: not running"]
    assert up.status_code == 200 and up.json()["ok"] is True
    assert up.json()["content"]["version"] == services.content.current.version


async def test_status_reads_the_running_bots_heartbeat(with_telegram: Config, clock: ManualClock) -> None:
    wall = SystemClock()
    async with open_services(with_telegram, clock) as services:
        services.board.attach(RecordingTransport())
        await services.board.dispatch(Incoming("telegram", "1", "1", "gdzie jest forum"))
        async with operating(services):
            row = await services.storage.read_status()
            outbox = await services.storage.outbox_counts()
    report = status_report(row, outbox, True, wall.now())
    text = "\n".join(report.lines)
    assert report.ok, text
    assert "bot:       running, pid" in text
    assert f"content:   v{services.content.current.version}" in text
    assert "telegram   connected, last update 0 s ago" in text
    later = status_report(row, outbox, True, wall.now() + STALE_AFTER + timedelta(seconds=1))
    assert not later.ok and "NOT running" in "\n".join(later.lines)


def test_status_of_a_database_no_bot_ever_used_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("IRLF_DB", str(tmp_path / "bot.db"))
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "database:  writable" in out and "never ran" in out


async def test_status_says_when_the_database_takes_no_writes(config: Config, clock: ManualClock) -> None:
    async with open_services(config, clock) as services:
        assert await services.storage.check_writable()
        await services.storage._writer.execute("PRAGMA query_only = ON")  # as a read-only file
        writable = await services.storage.check_writable()
    assert not writable
    report = status_report(None, {}, writable, clock.now())
    assert not report.ok and report.lines[0].startswith("database:  NOT writable")


async def test_heartbeat_notices_a_database_that_takes_no_writes(
    config: Config, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_services(config, clock) as services:
        await services.storage._writer.execute("PRAGMA query_only = ON")
        await services.health.beat()
        assert services.health.verdict().problems[0].startswith("database not writable")
        await services.health.beat()
        assert caplog.text.count("does not take writes") == 1  # said once
        await services.storage._writer.execute("PRAGMA query_only = OFF")
        await services.health.beat()
        assert services.health.verdict().ok
        row = await services.storage.read_status()
    assert row is not None and json.loads(row[1])["pid"] == os.getpid()

