"""Organisers run the bot live, end to end: /reload and SIGHUP against a real `irlf-bot run`,
`irlf-bot reload` and `status` from the shell, /healthz and /metrics over HTTP, and /stats
as a photo on Telegram and an image on Matrix."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from nio import DownloadResponse, RoomMessageImage
from prometheus_client.parser import text_string_to_metric_families

from bot.config import DEFAULT_EVENT_FILE, DEFAULT_UI_FILE
from faq.knowledge import DATA_DIR
from tests.e2e.synapse_people import Person, room_joined_beforehand
from tests.e2e.synapse_server import Account, SynapseServer
from tests.e2e.telegram_emulator import TelegramSession, TelegramUser
from tests.e2e.test_across import make_config, running, text_of
from tests.e2e.test_telegram import free_port

OLD = "Informacji o parkingu organizatorzy nie ogłosili"
NEW = "Parking P3 przy bramie wschodniej jest bezpłatny"
ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def copy_content(folder: Path) -> None:
    """The shipped event, knowledge base and texts, where the test edits them."""
    import shutil

    shutil.copytree(DATA_DIR, folder / "data")
    shutil.copy(DEFAULT_EVENT_FILE, folder / "event.toml")
    shutil.copy(DEFAULT_UI_FILE, folder / "ui.toml")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def break_venue(folder: Path) -> None:
    edit(folder / "data" / "venue.toml", 'category = "venue"', 'category = "lunch"')


def fix_venue(folder: Path) -> None:
    edit(folder / "data" / "venue.toml", 'category = "lunch"', 'category = "venue"')


async def ask(user: TelegramUser, question: str) -> str:
    await user.send(question)
    return (await user.reply(within=15)).text


async def test_admin_reload_keeps_the_old_answers_until_the_files_are_fixed(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account, tmp_path: Path,
) -> None:
    copy_content(tmp_path)
    admin, guest = telegram.user(), telegram.user()
    config = make_config(
        telegram, synapse, bot_account, tmp_path / "bot.db", telegram={"admins": [admin.id]},
    )
    config = config.model_copy(update={
        "event_file": tmp_path / "event.toml", "knowledge_dir": tmp_path / "data",
        "ui_file": tmp_path / "ui.toml",
    })
    async with running(config):
        assert OLD in await ask(guest, "czy jest parking")
        edit(tmp_path / "data" / "not_announced.toml", OLD, NEW)
        break_venue(tmp_path)
        refused = await ask(admin, "/reload")
        assert "Nie wczytano" in refused and "venue.toml" in refused and "'category'" in refused
        assert OLD in await ask(guest, "czy jest parking")
        fix_venue(tmp_path)
        edit(tmp_path / "ui.toml", 'faq = "Tematy i pytania"', 'faq = "Tematy, pytania i odpowiedzi"')
        done = await ask(admin, "/reload")
        assert done.startswith("Wczytano")
        assert NEW in await ask(guest, "czy jest parking")
        assert "uprawnień" in await ask(guest, "/reload")
        for _ in range(50):  # the command menu follows the reloaded texts (in the background)
            menus = [c for c in await telegram.absorbed("setMyCommands") if c.get("language_code") == "pl"]
            faq = [c["description"] for c in menus[-1]["commands"] if c["command"] == "faq"]
            if faq == ["Tematy, pytania i odpowiedzi"]:
                break
            await asyncio.sleep(0.1)
        assert faq == ["Tematy, pytania i odpowiedzi"]


def start_bot(folder: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`irlf-bot run` in `folder` (its config.toml), its output in folder/output.log."""
    with open(folder / "output.log", "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], cwd=folder, env={**os.environ, **env},
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )


async def shell(folder: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """An `irlf-bot` command in the shell next to the running bot."""
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot.cli", *args], cwd=folder,
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )


async def wait_for_log(folder: Path, text: str, within: float = 15.0) -> str:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        log = (folder / "output.log").read_text(encoding="utf-8")
        if text in log:
            return log
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} not in the log:\n{log[-3000:]}")


async def test_a_running_irlf_bot_reloads_on_sighup_and_on_irlf_bot_reload(
    telegram: TelegramSession, tmp_path: Path,
) -> None:
    copy_content(tmp_path)
    port = free_port()
    (tmp_path / "config.toml").write_text(
        'event_file = "event.toml"\nknowledge_dir = "data"\nui_file = "ui.toml"\n'
        f'[health]\nlisten = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    env = {"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_BASE_URL": telegram.base_url,
           "IRLF_DB": str(tmp_path / "bot.db")}
    bot = start_bot(tmp_path, env)
    guest = telegram.user()
    try:
        await guest.send("/start")
        await guest.reply(within=30)
        assert OLD in await ask(guest, "czy jest parking")

        # SIGHUP with a broken file: refused, the old answer stays; then fixed: the new one
        edit(tmp_path / "data" / "not_announced.toml", OLD, NEW)
        break_venue(tmp_path)
        bot.send_signal(signal.SIGHUP)
        log = await wait_for_log(tmp_path, "reload refused")
        assert "venue.toml" in log and bot.poll() is None
        assert OLD in await ask(guest, "czy jest parking")
        fix_venue(tmp_path)
        bot.send_signal(signal.SIGHUP)
        await wait_for_log(tmp_path, "reloaded content")
        assert NEW in await ask(guest, "czy jest parking")

        # the shell asks the running bot through its database, and prints its answer
        edit(tmp_path / "data" / "not_announced.toml", NEW, "Parking jest przy hali C")
        break_venue(tmp_path)
        refused = await shell(tmp_path, env, "reload")
        assert refused.returncode == 1 and "venue.toml" in refused.stderr
        fix_venue(tmp_path)
        done = await shell(tmp_path, env, "reload")
        assert done.returncode == 0 and done.stdout.startswith("reloaded: v"), done.stderr
        assert "Parking jest przy hali C" in await ask(guest, "czy jest parking")

        status = await shell(tmp_path, env, "status")
        assert status.returncode == 0, status.stdout
        assert "bot:       running" in status.stdout and "telegram   connected" in status.stdout
        version = done.stdout.split()[1].rstrip(":")
        assert f"content:   {version}" in status.stdout

        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{port}/healthz")
            scraped = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert health.status_code == 200 and health.json()["content"]["version"] == version[1:]
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(scraped.text) for s in family.samples
        }
        assert samples[("irlf_questions_total", (("kind", "answer"), ("transport", "telegram")))] == 4
        assert samples[("irlf_content_reloads_total", (("result", "refused"),))] == 2
        assert samples[("irlf_content_reloads_total", (("result", "applied"),))] == 2
        assert samples[("irlf_outbox_sent_total", (("kind", "reply"), ("transport", "telegram")))] >= 5
    finally:
        bot.terminate()
        bot.wait(timeout=15)
    stopped = await shell(tmp_path, env, "status")
    assert stopped.returncode == 1 and "NOT running" in stopped.stdout


async def test_stats_is_a_photo_on_telegram_and_an_image_on_matrix(
    telegram: TelegramSession, synapse: SynapseServer, bot_account: Account,
    bob: Person, tmp_path: Path,
) -> None:
    admin = telegram.user()
    management = await room_joined_beforehand(synapse, bob, bot_account, name="Organisers")
    config = make_config(
        telegram, synapse, bot_account, tmp_path / "bot.db", telegram={"admins": [admin.id]},
        matrix={"admins": [bob.user_id], "management_room": management},
    )
    async with running(config):
        await admin.send("gdzie jest forum")
        await admin.reply()
        await admin.send("/stats")
        summary = await text_of(admin, "pytań")
        assert "1 pytań" in summary or "1 pyta" in summary
        for _ in range(100):
            if photos := await telegram.absorbed("sendPhoto"):
                break
            await asyncio.sleep(0.1)
        (photo,) = photos
        assert str(photo["chat_id"]) == str(admin.chat_id)
        png = base64.b64decode(photo["photo"]["base64"])
        assert png.startswith(PNG) and 20_000 < len(png) < 1_000_000

        await bob.say(management, "!stats")
        image = await bob.wait_for(
            management, lambda e: isinstance(e, RoomMessageImage) and e.sender == bot_account.user_id,
            within=30,
        )
        assert isinstance(image, RoomMessageImage)
        info = image.source["content"]["info"]
        assert (info["w"], info["h"], info["mimetype"]) == (1200, 800, "image/png")
        downloaded = await bob.client.download(image.url)
        assert isinstance(downloaded, DownloadResponse), downloaded
        assert downloaded.body.startswith(PNG) and len(downloaded.body) == info["size"]


# broadcast progress: one message, edited every few seconds; deleted -> replaced once


async def bot_texts(session: TelegramSession, chat_id: int) -> list[str]:
    """Every message the bot has in a chat now, as edited (the emulator's history)."""
    history = await session.post("/getUpdatesHistory", {"token": session.token})
    return [item["message"].get("text", "") for item in history["result"]
            if "chat_id" in item["message"] and str(item["message"]["chat_id"]) == str(chat_id)]


async def test_a_deleted_progress_message_is_replaced_once_on_telegram(
    telegram: TelegramSession, tmp_path: Path,
) -> None:
    from bot.messages import ChatRef
    from tests.e2e.test_telegram import make_config as telegram_config
    from tests.e2e.test_telegram import running as telegram_running

    admin = telegram.user()
    config = telegram_config(telegram, tmp_path / "bot.db", admins=[admin.id])
    config.broadcast.telegram_rate = 4  # 30 recipients: about 8 s
    config.broadcast.telegram_per_chat_interval = 0
    config.broadcast.progress_seconds = 1
    async with telegram_running(config) as (services, _):
        for n in range(30):
            await services.storage.remember_chat(ChatRef("telegram", str(90_000 + n)), True,
                                                 services.clock.now())
        await admin.send("/broadcast Drzwi otwieramy o 13:30")
        preview = await admin.reply()
        await admin.tap(preview, next(p for p in preview.payloads if p.startswith("confirm")))
        first = await text_of(admin, "Komunikat #1:")
        messages = await telegram.post("/getUpdatesHistory", {"token": telegram.token})
        (stored,) = [item for item in messages["result"] if item["message"].get("text", "")
                     .startswith("Komunikat #1:")]  # one progress message so far
        deleted = await telegram.http.post(
            f"{telegram.base_url}{telegram.token}/deleteMessage",
            json={"chat_id": admin.chat_id, "message_id": stored["messageId"]},
        )
        assert deleted.json()["ok"], deleted.text
        await text_of(admin, "wysłany", within=30)
        texts = await bot_texts(telegram, admin.chat_id)
    replacements = [t for t in texts if t.startswith("Komunikat #1:")]
    assert len(replacements) == 1, texts  # one new message, edited from then on
    assert replacements[0] != first  # and it was edited after it replaced the deleted one


async def test_a_redacted_progress_notice_is_replaced_once_on_matrix(
    synapse: SynapseServer, bot_account: Account, bob: Person, tmp_path: Path,
) -> None:
    from nio import RoomMessageNotice

    from bot.config import Config
    from bot.messages import ChatRef
    from bot.service import background_work, open_services
    from handlers.matrix import MatrixTransport

    management = await room_joined_beforehand(synapse, bob, bot_account, name="Organisers")
    config = Config.model_validate({
        "database": tmp_path / "bot.db",
        "matrix": {"homeserver": synapse.url, "user_id": bot_account.user_id,
                   "access_token": bot_account.access_token, "admins": [bob.user_id],
                   "management_room": management},
        "broadcast": {"matrix_rate": 1, "progress_seconds": 1},  # 8 recipients: about 8 s
    })
    partners = [await room_joined_beforehand(synapse, bob, bot_account, name=f"Partner {n}")
                for n in range(8)]

    def progress_notice(event: object) -> bool:
        return (isinstance(event, RoomMessageNotice) and event.sender == bot_account.user_id
                and event.body.startswith(("Komunikat #1:", "* Komunikat #1:")))

    def relation(event: RoomMessageNotice) -> dict:
        return event.source["content"].get("m.relates_to") or {}

    async with open_services(config) as services, background_work(services):
        bot = MatrixTransport(services, max_backoff=1.0)
        await bot.start()
        try:
            await asyncio.wait_for(bot.ready.wait(), timeout=20)
            for room in partners:
                await services.storage.remember_chat(ChatRef("matrix", room), True, services.clock.now())
            await bob.say(management, "!broadcast Drzwi otwieramy o 13:30")
            await bob.wait_for_notice(management, bot_account.user_id)
            await bob.say(management, "!confirm 1")
            first = await bob.wait_for(management, progress_notice, within=20)
            assert relation(first).get("rel_type") != "m.replace"
            await bob.client.room_redact(management, first.event_id)
            await bob.wait_for(
                management, lambda e: isinstance(e, RoomMessageNotice) and "wysłany" in e.body,
                within=40,
            )
            after = await bob.collect(management, progress_notice, within=0.5)
        finally:
            await bot.stop()
    new = [e for e in after if relation(e).get("rel_type") != "m.replace"]
    assert len(new) == 1, [e.body for e in after]  # one notice replaced the deleted one
    later = after[after.index(new[0]) + 1:]
    edited = [relation(e).get("event_id") for e in later]
    assert edited and set(edited) == {new[0].event_id}  # and only it is edited from then on
