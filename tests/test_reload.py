"""Live reload: new files are checked first, swapped whole, and never mix into an answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.clock import ManualClock, SystemClock
from bot.config import DEFAULT_EVENT_FILE, DEFAULT_UI_FILE, Config
from bot.content import Sources, check
from bot.control import request_reload
from bot.messages import Incoming
from bot.service import Services, open_services, operating
from faq.knowledge import DATA_DIR

OLD = "Informacji o parkingu organizatorzy nie ogłosili"
NEW = "Parking P3 przy bramie wschodniej jest bezpłatny"


def copy_content(folder: Path) -> Config:
    """The shipped event, knowledge base and UI texts, copied where a test may edit them."""
    shutil.copytree(DATA_DIR, folder / "data")
    shutil.copy(DEFAULT_EVENT_FILE, folder / "event.toml")
    shutil.copy(DEFAULT_UI_FILE, folder / "ui.toml")
    return Config(database=folder / "bot.db", event_file=folder / "event.toml",
                  knowledge_dir=folder / "data", ui_file=folder / "ui.toml")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def console(text: str) -> Incoming:
    """The console is an organiser's seat."""
    command, _, args = text.removeprefix("/").partition(" ") if text.startswith("/") else (None, "", "")
    return Incoming("console", "console", "console", text, command=command, args=args)


def guest(text: str) -> Incoming:
    return Incoming("telegram", "42", "42", text)


@pytest.fixture
def editable(tmp_path: Path) -> Config:
    return copy_content(tmp_path)


@pytest.fixture
async def bot(editable: Config, clock: ManualClock):
    async with open_services(editable, clock) as services:
        yield services


async def answer(services: Services, text: str) -> str:
    [reply] = await services.assistant.handle(guest(text))
    return reply.text


async def test_reload_with_a_broken_file_keeps_the_old_answers_and_names_the_problem(
    bot: Services, editable: Config
) -> None:
    edit(editable.knowledge_dir / "not_announced.toml", OLD, NEW)
    edit(editable.knowledge_dir / "venue.toml", 'category = "venue"', 'category = "lunch"')
    [refusal] = await bot.assistant.handle(console("/reload"))
    assert "Nie wczytano" in refusal.text
    assert "venue.toml" in refusal.text and "'category'" in refusal.text
    assert OLD in await answer(bot, "czy jest parking")


async def test_reload_with_fixed_files_answers_with_the_new_text(
    bot: Services, editable: Config
) -> None:
    edit(editable.knowledge_dir / "not_announced.toml", OLD, NEW)
    [done] = await bot.assistant.handle(console("/reload"))
    assert "Wczytano" in done.text and bot.content.current.version in done.text
    assert NEW in await answer(bot, "czy jest parking")


async def test_reload_picks_up_the_event_file_and_the_ui_texts(bot: Services, editable: Config) -> None:
    edit(editable.event_file, "d.czerw@iccsm.network", "info@iccsm.network")
    edit(editable.ui_file, 'thanks = "Proszę bardzo!', 'thanks = "Nie ma za co!')
    await bot.assistant.handle(console("/reload"))
    assert "info@iccsm.network" in await answer(bot, "czy jest parking")
    assert (await answer(bot, "dziękuję")).startswith("Nie ma za co!")


async def test_an_answer_in_progress_keeps_the_content_it_started_with(
    bot: Services, editable: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(editable.knowledge_dir / "not_announced.toml", OLD, NEW)
    looked_up = bot.storage.get_user

    async def reload_meanwhile(chat):  # another task reloads while this answer is underway
        bot.control.reload("test")
        return await looked_up(chat)

    monkeypatch.setattr(bot.storage, "get_user", reload_meanwhile)
    assert OLD in await answer(bot, "czy jest parking")
    monkeypatch.setattr(bot.storage, "get_user", looked_up)
    assert NEW in await answer(bot, "czy jest parking")


async def test_only_organisers_may_reload(bot: Services, editable: Config) -> None:
    edit(editable.knowledge_dir / "not_announced.toml", OLD, NEW)
    [refused] = await bot.assistant.handle(Incoming("telegram", "7", "7", "/reload", command="reload"))
    assert "uprawnień" in refused.text
    assert OLD in await answer(bot, "czy jest parking")


def test_check_finds_a_missing_ui_translation_and_an_unknown_entry_in_a_command(
    editable: Config,
) -> None:
    edit(editable.ui_file, 'thanks = "Proszę bardzo!', 'thanx = "Proszę bardzo!')
    edit(editable.ui_file, 'contacts = ["contacts"]', 'contacts = ["kontakty"]')
    problems = check(Sources.of(editable), SystemClock().now()).problems
    assert any(p.endswith("ui.toml: [pl] has no 'thanks' (translation of [en])") for p in problems)
    assert any(p.endswith("ui.toml: [en] has no 'thanx' (translation of [pl])") for p in problems)
    assert any("'kontakty', which does not exist" in p for p in problems)


async def test_the_shell_asks_the_running_bot_through_its_database(
    bot: Services, editable: Config
) -> None:
    wall = SystemClock()
    state, text = await request_reload(bot.storage, wall, "shell:test")
    assert state == "not-running" and "never" in text
    edit(editable.knowledge_dir / "venue.toml", 'category = "venue"', 'category = "lunch"')
    async with operating(bot):  # heartbeat and control, as `irlf-bot run` has them
        state, text = await request_reload(bot.storage, wall, "shell:test")
        assert state == "refused" and "venue.toml" in text and "still serving" in text
        edit(editable.knowledge_dir / "venue.toml", 'category = "lunch"', 'category = "venue"')
        edit(editable.knowledge_dir / "not_announced.toml", OLD, NEW)
        state, text = await request_reload(bot.storage, wall, "shell:test")
    assert state == "done" and text.startswith("reloaded: v")
    assert NEW in await answer(bot, "czy jest parking")
