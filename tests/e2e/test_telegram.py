"""The Telegram adapter with the real core, against telegram-test-api on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import DEFAULT_EVENT_FILE, Config
from bot.messages import Attachment, ChatRef, Reply, Venue
from bot.service import Services, background_work, open_services
from bot.transport import RecipientGone
from handlers.telegram import TelegramTransport
from tests.e2e.telegram_emulator import BOT_USERNAME, BotMessage, TelegramSession, TelegramUser
from tests.telegram_html import links, utf16_units, visible_text

QUIET = 0.5  # seconds to wait for a reply that must not come


def make_config(telegram: TelegramSession, database: Path, **settings: Any) -> Config:
    return Config.model_validate(
        {
            "database": database,
            "telegram": {"token": telegram.token, "base_url": telegram.base_url, **settings},
        }
    )


@contextlib.asynccontextmanager
async def running(config: Config) -> AsyncIterator[tuple[Services, TelegramTransport]]:
    """The core and the Telegram transport, as `irlf-bot run` starts them."""
    async with open_services(config) as services, background_work(services):
        transport = TelegramTransport(services)
        await transport.start()
        try:
            yield services, transport
        finally:
            await transport.stop()


@pytest.fixture
async def bot(
    telegram: TelegramSession, tmp_path: Path
) -> AsyncIterator[tuple[Services, TelegramTransport]]:
    async with running(make_config(telegram, tmp_path / "bot.db")) as started:
        yield started


@pytest.fixture(autouse=True)
def no_token_in_logs(telegram: TelegramSession, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test here logs at DEBUG, and no line may hold the bot token (setup to teardown)."""
    caplog.set_level(logging.DEBUG)
    yield
    records = [r for when in ("setup", "call", "teardown") for r in caplog.get_records(when)]
    leaks = [r.getMessage()[:200] for r in records if telegram.token in r.getMessage()]
    assert not leaks, f"the bot token is in these log lines: {leaks}"
    assert telegram.token not in caplog.text


async def test_start_greets_in_the_users_language(telegram: TelegramSession, bot: Any) -> None:
    polish, english = telegram.user(language="pl"), telegram.user(language="en")
    await polish.send("/start")
    await english.send("/start")
    greeting, hello = await polish.reply(), await english.reply()
    assert greeting.text.startswith("Dzień dobry, Ania!")
    assert "/forget" in greeting.text
    assert hello.text.startswith("Hello, Ania!")
    assert hello.parse_mode == "HTML"
    assert "faq venue" in hello.payloads


async def test_free_text_question_is_answered(telegram: TelegramSession, bot: Any) -> None:
    user = telegram.user()
    await user.send("gdzie jest forum")
    assert "Kielce" in (await user.reply()).text


async def test_bot_api_calls_are_logged_by_method_without_the_token(
    telegram: TelegramSession, bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = telegram.user()
    await user.send("kiedy")
    await user.reply()
    calls = [r.getMessage() for r in caplog.records if r.name == "handlers.telegram_http"]
    assert "Bot API sendMessage: HTTP 200" in calls  # the token: see no_token_in_logs


async def test_tapped_suggestion_is_answered(telegram: TelegramSession, bot: Any) -> None:
    services, _ = bot
    question = vague_polish_question(services)
    user = telegram.user(language="pl")
    await user.send(question)
    suggestions = await user.reply()
    payload = suggestions.payloads[0]
    entry = payload.removeprefix("show ")
    await user.tap(suggestions, payload)
    answer = await user.reply()  # the emulator keeps the HTML as sent: compare its start
    assert answer.text[:40] == services.assistant.entry_answer(entry, "pl")[:40]


def vague_polish_question(services: Services) -> str:
    """A word from the knowledge base's Polish phrasings that the assistant is unsure about."""
    assistant = services.assistant
    words = sorted({
        word for entry in assistant.kb.entries.values()
        for phrasing in entry.questions["pl"] for word in phrasing.lower().split()
    })
    for word in words:
        answer = assistant.ask(word)
        if answer.kind == "suggest" and answer.lang == "pl":
            return word
    raise AssertionError("no Polish word in the knowledge base gets 'did you mean' suggestions")


async def test_language_choice_survives_a_restart(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    config = make_config(telegram, tmp_path / "bot.db")
    user = telegram.user(language="pl")
    async with running(config):
        await user.send("/lang en")
        assert (await user.reply()).text == "OK, I will answer in English."
    async with running(config):
        await user.send("/start")
        assert (await user.reply()).text.startswith("Hello")


async def test_forget_erases_the_user(telegram: TelegramSession, bot: Any) -> None:
    services, _ = bot
    user = telegram.user(language="pl")
    await user.send("/lang en")
    await user.reply()
    await user.send("/forget")
    confirm = await user.reply()
    await user.tap(confirm, "forget yes")
    assert (await user.reply()).text.startswith("Done")
    assert await services.storage.get_user(ChatRef("telegram", str(user.chat_id))) is None
    await user.send("/help")
    assert (await user.reply()).text.startswith("Napisz pytanie")  # Polish again


async def test_a_burst_of_non_text_gets_one_short_answer(
    telegram: TelegramSession, bot: Any
) -> None:
    user = telegram.user(language="en")
    await user.send_sticker()
    await user.send_photo()
    await user.send_sticker()
    (answer,) = await user.replies(1, quiet=QUIET)
    assert answer.text == "I can read only text — please type your question."


async def test_group_message_is_answered_only_when_addressed(
    telegram: TelegramSession, bot: Any
) -> None:
    user = telegram.user(chat_id=-100123, chat_type="group")
    await user.send("gdzie jest forum")
    await user.send("/venue@SomeOtherBot")
    assert await user.replies(0, quiet=QUIET) == []
    await user.send(f"@{BOT_USERNAME} gdzie jest forum")
    answer = await user.reply()
    assert "Kielce" in answer.text
    await user.send("a kiedy?", reply_to=answer)
    assert "2026" in (await user.reply()).text


async def test_command_menu_is_registered_in_both_languages(
    telegram: TelegramSession, bot: Any
) -> None:
    calls = await telegram.absorbed("setMyCommands")
    menus = {call.get("language_code"): call["commands"] for call in calls}
    assert set(menus) == {None, "pl", "en"}
    assert menus[None] == menus["pl"]
    assert [c["command"] for c in menus["en"]] == [c["command"] for c in menus["pl"]]
    assert "lang" in [c["command"] for c in menus["en"]]


async def test_venue_pin_and_file_follow_the_text(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    event = tomllib.loads(DEFAULT_EVENT_FILE.read_text(encoding="utf-8"))
    event_file = tmp_path / "event.toml"
    event_file.write_text(
        DEFAULT_EVENT_FILE.read_text(encoding="utf-8").replace(
            "[venue]\n", "[venue]\nlatitude = 50.87\nlongitude = 20.65\n", 1
        ),
        encoding="utf-8",
    )
    config = make_config(telegram, tmp_path / "bot.db")
    config.event_file = event_file
    user = telegram.user()
    async with running(config) as (_, transport):
        await user.send("/venue")
        assert event["venue"]["address"] in (await user.reply()).text
        for _ in range(100):  # the pin follows the text: it may land a moment later
            if pins := await telegram.absorbed("sendVenue"):
                break
            await asyncio.sleep(0.02)
        (pin,) = pins
        assert (float(pin["latitude"]), float(pin["longitude"])) == (50.87, 20.65)
        assert pin["address"] == event["venue"]["address"]
        ics = Attachment("irlf.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        await transport.send(str(user.chat_id), Reply("Calendar", attachment=ics))
    (document,) = await telegram.absorbed("sendDocument")
    assert document["document"]["filename"] == "irlf.ics"
    assert document["document"]["content"].startswith("BEGIN:VCALENDAR")


async def test_long_answer_arrives_in_parts_telegram_accepts(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    admin = telegram.user(language="en")
    config = make_config(telegram, tmp_path / "bot.db", admins=[admin.id])
    # An announcement as long as Telegram lets a person type, full of what a cut can break:
    # entities, links, e-mail addresses, characters of two UTF-16 units.
    line = "Hall A & B <entry> https://www.irif.eu/programme — d.czerw@iccsm.network 😀 "
    announcement = (line * 53).strip()
    assert 3900 < utf16_units(announcement) <= 4096
    async with running(config):
        await admin.send(f"/broadcast {announcement}")
        parts = await admin.replies(2, quiet=QUIET)
    assert len(parts) == 2
    shown = [visible_text(part.text) for part in parts]  # AssertionError if not valid HTML
    assert all(part.parse_mode == "HTML" for part in parts)
    assert all(utf16_units(text) <= 4096 for text in shown)
    assert sum(utf16_units(text) for text in shown) > 4096
    assert re.sub(r"\s", "", announcement) in re.sub(r"\s", "", "".join(shown))
    assert sum(len(links(part.text)) for part in parts) == 2 * 53  # no link lost at the cut
    assert [bool(part.buttons) for part in parts] == [False, True]  # confirm under the last


async def test_links_a_user_typed_are_never_posted_back(
    telegram: TelegramSession, bot: Any
) -> None:
    user = telegram.user(language="en", first_name="a@evil.example")
    await user.send("/start")
    greeting = await user.reply()
    assert greeting.text.startswith("Hello, a@evil.example!")
    await user.send("/http://evil.example/login")
    unknown = await user.reply()
    assert "http://evil.example/login" in unknown.text
    for reply in (greeting, unknown):
        assert reply.parse_mode == "HTML"
        assert not any("evil" in label for label in links(reply.text)), reply.text


async def test_lone_surrogates_from_a_custom_client_still_get_answers(
    telegram: TelegramSession, bot: Any
) -> None:
    user = telegram.user(language="pl", first_name="Ania\ud800")
    await user.send("/start")
    assert (await user.reply()).text.startswith("Dzień dobry, Ania\ufffd!")
    await user.send("gdzie jest forum \udfff")
    assert "Kielce" in (await user.reply()).text
    await user.send("/faq \ud83d")
    assert (await user.reply()).buttons


async def test_blocked_user_is_reported_gone(telegram: TelegramSession, bot: Any) -> None:
    _, transport = bot
    user = telegram.user()
    await telegram.block(user.chat_id)
    with pytest.raises(RecipientGone):
        await transport.send(str(user.chat_id), Reply("Reminder", venue=Venue("Targi", "Kielce")))


async def test_webhook_mode_checks_the_secret_token(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    config = make_config(
        telegram,
        tmp_path / "bot.db",
        mode="webhook",
        webhook_url=url,
        webhook_port=port,
        webhook_secret="s3cret-header",
    )
    user = telegram.user()
    message = {"message_id": 1, "date": 1, "chat": user.chat, "from": user.sender}
    update = {"update_id": 1, "message": {**message, "text": "gdzie jest forum"}}
    async with running(config), httpx.AsyncClient() as http:
        (webhook,) = await telegram.absorbed("setWebhook")
        assert (webhook["url"], webhook["secret_token"]) == (url, "s3cret-header")
        header = "X-Telegram-Bot-Api-Secret-Token"
        stranger = await http.post(url, json=update, headers={header: "guess"})
        assert stranger.status_code == 403
        assert await user.replies(0, quiet=QUIET) == []
        telegram_itself = await http.post(url, json=update, headers={header: "s3cret-header"})
        assert telegram_itself.status_code == 200
        assert "Kielce" in (await user.reply()).text


async def test_unreachable_api_is_retried_quietly(
    telegram: TelegramSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nobody_listens = f"http://127.0.0.1:{free_port()}/bot"
    config = make_config(telegram, tmp_path / "bot.db", base_url=nobody_listens)
    async with open_services(config) as services:
        starting = asyncio.create_task(TelegramTransport(services).start())
        await asyncio.sleep(1.5)
        assert not starting.done()  # still trying, not crashed
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) >= 2


async def test_irlf_bot_run_serves_telegram_from_the_environment(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text('log_level = "DEBUG"\n', encoding="utf-8")
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "IRLF_DB": str(tmp_path / "bot.db"),
    }
    bot = start_irlf_bot(tmp_path, env)
    try:
        user = telegram.user(language="en")
        await user.send("/start")
        assert (await user.reply(within=30)).text.startswith("Hello")
        await user.send("gdzie jest forum")
        assert "Kielce" in (await user.reply()).text
    finally:
        bot.terminate()
        bot.wait(timeout=10)
    output = (tmp_path / "output.log").read_text(encoding="utf-8")
    assert " DEBUG bot.assistant: question" in output  # DEBUG logging was on...
    assert telegram.token not in output  # ...and the token is in no line


async def test_debug_log_holds_no_names_nor_texts_unless_asked(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "IRLF_DB": str(tmp_path / "bot.db"),
    }
    logs = []
    for log_content in ("false", "true"):
        (tmp_path / "config.toml").write_text(
            f'log_level = "DEBUG"\nlog_content = {log_content}\n', encoding="utf-8"
        )
        bot = start_irlf_bot(tmp_path, env)
        try:
            user = telegram.user(language="pl", first_name="Zbyszkowojciech")
            await user.send("/start")
            assert "Zbyszkowojciech" in (await user.reply(within=30)).text
            await user.send("gdzie jest forum Xyzzyplugh")
            await user.reply()
        finally:
            bot.terminate()
            bot.wait(timeout=10)
        logs.append((tmp_path / "output.log").read_text(encoding="utf-8"))
    hidden, shown = logs
    assert "question <27 characters>" in hidden  # DEBUG was on
    assert "Zbyszkowojciech" not in hidden and "Xyzzyplugh" not in hidden
    assert "question 'gdzie jest forum Xyzzyplugh'" in shown
    for log in logs:  # raw updates and SQL parameters: never
        assert "getUpdates` finished" not in log and "aiosqlite" not in log


def start_irlf_bot(folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`irlf-bot run` in `folder`, its output in folder/output.log."""
    with open(folder / "output.log", "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=folder, env={**os.environ, **env},
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# flood control and who may change a group's settings

FLOOD_PL = "Dużo wiadomości naraz"


async def replies_until(user: TelegramUser, found: Callable[[BotMessage], bool]) -> list[BotMessage]:
    """The bot's messages in the user's chat up to the first `found` one, and any that follow
    within a second."""
    seen: list[BotMessage] = []
    while not any(found(message) for message in seen):
        seen += await user.replies(1, within=20)
    return seen + await user.replies(0, quiet=1.0)


async def test_one_member_flooding_a_group_does_not_mute_the_others(
    telegram: TelegramSession, tmp_path: Path
) -> None:
    config = make_config(telegram, tmp_path / "bot.db")
    # The outbox's pace for a group (one message per 3 s) is not what this test is about.
    config.broadcast.telegram_group_per_minute = 6000
    config.broadcast.telegram_per_chat_interval = 0
    flooder = telegram.user(chat_id=-100400, chat_type="group")
    other = telegram.user(chat_id=-100400, chat_type="group", first_name="Bartek")
    async with running(config):
        for _ in range(30):
            await flooder.send("/help")
        await other.send("/venue")
        seen = await replies_until(other, lambda message: "Kielce" in message.text)
    assert sum(1 for m in seen if m.text.startswith(FLOOD_PL)) == 1
    assert len(seen) < 31  # the rest of the flood went unanswered


async def test_group_admins_may_subscribe_the_group_and_members_may_not(
    telegram: TelegramSession, bot: Any
) -> None:
    services, _ = bot
    owner = telegram.user(chat_id=-100401, chat_type="supergroup")
    member = telegram.user(chat_id=-100401, chat_type="supergroup")
    await telegram.make_member(owner, "creator")
    await member.send("/remind")
    assert (await member.reply()).text.startswith("Pokój lub grupę mogą zapisać")
    await owner.send("/remind")
    assert "/remind off" in (await owner.reply()).text
    group = await services.storage.get_user(ChatRef("telegram", "-100401"))
    assert group is not None and group.reminders
    await owner.send("/remind off")
    assert (await owner.reply()).text == "Przypomnienia wyłączone."
    lookups = await telegram.absorbed("getChatMember")
    assert len(lookups) == 2  # one per person: the owner's second command used the first answer


async def test_group_settings_need_a_group_admin(telegram: TelegramSession, bot: Any) -> None:
    services, _ = bot
    admin = telegram.user(chat_id=-100402, chat_type="group")
    member = telegram.user(chat_id=-100402, chat_type="group")
    await telegram.make_member(admin, "administrator")
    for attempt in ("/lang en", "/forget yes"):
        await member.send(attempt)
        assert (await member.reply()).text.startswith("Ustawienia pokoju lub grupy")
    assert await services.storage.get_user(ChatRef("telegram", "-100402")) is None
    await admin.send("/lang en")
    assert (await admin.reply()).text == "OK, I will answer in English."
    await admin.send("/forget")
    confirm = await admin.reply()
    await member.tap(confirm, "forget yes")  # a member taps the admin's button
    assert (await member.reply()).text.startswith("Only the room's or group's moderators")
    group = await services.storage.get_user(ChatRef("telegram", "-100402"))
    assert group is not None and group.language == "en"
