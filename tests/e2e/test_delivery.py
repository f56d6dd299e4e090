"""Delivery end to end (issue 10): the real `irlf-bot run` process against the real peers,
stopped the ways a service is stopped — SIGTERM (systemd, docker), SIGINT (Ctrl-C),
`kill -9` — in the middle of answering a crowd and of a broadcast, and with the Bot API
gone for a while or answering 502.

What an organiser can rely on, and these tests pin:
- after a clean stop (SIGTERM, SIGINT) and a restart every message is answered exactly
  once, and the stop takes less than the 10 s systemd and docker allow;
- after `kill -9` every message is still answered; on Telegram at most the messages in
  flight at the kill (`CONCURRENCY`) can arrive twice, on Matrix none (a resent event
  carries the transaction id of the first attempt, and the homeserver keeps one event);
- a cancel lets at most the messages in flight out after the "cancelled" confirmation;
- an outage of the Bot API pauses a broadcast and fails no one; one transport that cannot
  connect does not hold up the other.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.messages import ChatRef
from bot.outbox import CONCURRENCY
from bot.storage import Storage
from tests.e2e.bot_process import BotProcess
from tests.e2e.synapse_people import Person, notice_from, room_joined_beforehand
from tests.e2e.synapse_server import Account, SynapseServer, free_port
from tests.e2e.telegram_emulator import Emulator, TelegramSession, new_token

QUESTION = "kiedy jest forum"
ANNOUNCEMENT = "Zmiana sali: panel otwarcia w sali B2"

MakeBot = Callable[[dict[str, str]], BotProcess]


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[MakeBot]:
    """`irlf-bot run` processes in the test's folder; none outlives the test."""
    made: list[BotProcess] = []

    def make(env: dict[str, str]) -> BotProcess:
        made.append(BotProcess(tmp_path, {"IRLF_DB": str(tmp_path / "bot.db"), **env}))
        return made[-1]

    yield make
    for bot in made:
        bot.kill()


def telegram_env(session: TelegramSession) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": session.token, "TELEGRAM_BASE_URL": session.base_url}


def matrix_env(synapse: SynapseServer, account: Account) -> dict[str, str]:
    return {
        "MATRIX_HOMESERVER": synapse.url,
        "MATRIX_USER_ID": account.user_id,
        "MATRIX_ACCESS_TOKEN": account.access_token,
    }


def report(what: str) -> None:
    """A measured figure, shown with `pytest -s` (tests assert behaviour, not speed)."""
    print(f"\n  {what}", flush=True)


# --- Matrix: a crowd of direct chats ------------------------------------------------------


@dataclass
class Guest:
    """A Matrix user in a direct chat with the bot, and how often the bot answered them."""

    person: Person
    room: str
    question: str | None = None  # the event id of what they asked
    answers: int = 0

    async def listen(self, bot_id: str, seconds: float) -> None:
        answers = await self.person.collect(self.room, notice_from(bot_id, self.question), seconds)
        self.answers += len(answers)


@pytest.fixture
async def crowd(synapse: SynapseServer, bot_account: Account) -> AsyncIterator[list[Guest]]:
    """30 people, each in a direct chat the bot joined beforehand."""
    people = [Person(synapse, synapse.register("guest")) for _ in range(30)]
    rooms = [await room_joined_beforehand(synapse, p, bot_account, direct=True) for p in people]
    yield [Guest(person, room) for person, room in zip(people, rooms, strict=True)]
    for person in people:
        await person.close()


async def until_following(person: Person, bot: Account) -> None:
    """Until the bot has made its first sync: it joins an invite that arrives after it."""
    room = await person.create_room([bot.user_id], direct=True)
    await person.wait_for_membership(room, bot.user_id, "join", within=60)


async def until_answered(guests: list[Guest], bot_id: str, *, within: float, settle: float) -> None:
    """Listen until every guest has an answer, then `settle` seconds more for repeats."""
    deadline = time.monotonic() + within
    while (waiting := [g for g in guests if not g.answers]) and time.monotonic() < deadline:
        await asyncio.gather(*(g.listen(bot_id, 1.0) for g in waiting))
    await asyncio.gather(*(g.listen(bot_id, settle) for g in guests))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "kill-9"])
async def test_matrix_crowd_is_answered_once_across_a_stop_while_answering(
    signum: signal.Signals, synapse: SynapseServer, bot_account: Account,
    crowd: list[Guest], bots: MakeBot,
) -> None:
    bot = bots(matrix_env(synapse, bot_account)).start()
    await until_following(crowd[0].person, bot_account)
    await asyncio.gather(*(g.person.catch_up() for g in crowd))
    asked = await asyncio.gather(*(g.person.say(g.room, QUESTION) for g in crowd))
    for guest, event_id in zip(crowd, asked, strict=True):
        guest.question = event_id
    await asyncio.sleep(0.3)  # the bot is in the middle of answering
    took = bot.stop(signum)
    report(f"matrix, 30 questions, {signum.name} 0.3 s later: exited in {took:.2f} s")

    bot.start()
    await until_answered(crowd, bot_account.user_id, within=60, settle=3.0)
    bot.stop()
    answers = Counter(g.answers for g in crowd)
    report(f"after the restart: guests by number of answers {dict(sorted(answers.items()))}")
    assert answers[0] == 0, "somebody was never answered"
    assert set(answers) == {1}, "somebody was answered twice"
    assert bot.exit_codes == [-signal.SIGKILL if signum == signal.SIGKILL else 0, 0]  # clean stops


# --- Telegram: 200 chats at once -----------------------------------------------------------


async def until_polling(session: TelegramSession) -> None:
    """Until the bot answers (it started and polls the emulator)."""
    probe = session.user()
    await probe.send("/start")
    await probe.reply(within=60)


async def answers_per_chat(
    session: TelegramSession, chats: set[int], text: str | None = None, *, within: float,
    settle: float,
) -> Counter[int]:
    """Messages the bot delivered to each of `chats` (containing `text`, if given), once
    every chat has one (or `within` passed) and `settle` seconds more for repeats."""

    async def count() -> Counter[int]:
        return Counter(
            d.chat_id for d in await session.delivered()
            if d.chat_id in chats and (text is None or text in d.text)
        )

    deadline = time.monotonic() + within
    while len(await count()) < len(chats) and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    await asyncio.sleep(settle)
    return await count()


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "kill-9"]
)
async def test_telegram_crowd_is_answered_once_across_a_stop_while_answering(
    signum: signal.Signals, telegram: TelegramSession, bots: MakeBot
) -> None:
    bot = bots(telegram_env(telegram)).start()
    await until_polling(telegram)
    people = [telegram.user() for _ in range(200)]
    asking = time.monotonic()
    await asyncio.gather(*(p.send(QUESTION) for p in people))
    await asyncio.sleep(max(0.0, asking + 1.0 - time.monotonic()))
    took = bot.stop(signum)
    chats = {p.chat_id for p in people}
    before = await answers_per_chat(telegram, chats, within=0, settle=0)
    report(f"telegram, 200 chats, {signum.name} 1 s later: exited in {took:.2f} s, "
           f"{len(before)} chats answered before the stop")

    bot.start()
    answers = await answers_per_chat(telegram, chats, within=60, settle=2.0)
    bot.stop()
    unanswered = chats - set(answers)
    repeats = sum(n - 1 for n in answers.values())
    report(f"after the restart: {len(unanswered)} unanswered, {repeats} answered twice")
    assert not unanswered
    if signum == signal.SIGKILL:
        assert repeats <= CONCURRENCY  # at most the replies in flight at the kill
    else:
        assert repeats == 0
        assert bot.exit_codes == [0, 0]  # a clean stop, not death by signal


# --- broadcasts ----------------------------------------------------------------------------


async def seed_recipients(database: Path, chats: list[int]) -> None:
    """Telegram users who talked to the bot before (the broadcast's recipients)."""
    storage = await Storage.open(database)
    try:
        now = datetime.now(UTC)
        for chat in chats:
            await storage.remember_chat(ChatRef("telegram", str(chat)), True, now)
    finally:
        await storage.close()


async def until_delivered(session: TelegramSession, text: str, count: int, within: float) -> None:
    deadline = time.monotonic() + within
    while sum(text in d.text for d in await session.delivered()) < count:
        assert time.monotonic() < deadline, f"fewer than {count} deliveries of {text!r}"
        await asyncio.sleep(0.1)


async def test_cancel_in_the_middle_of_a_broadcast_lets_out_at_most_the_messages_in_flight(
    telegram: TelegramSession, bots: MakeBot, tmp_path: Path
) -> None:
    admin = telegram.user(language="pl")
    (tmp_path / "config.toml").write_text(f"[telegram]\nadmins = [{admin.id}]\n", encoding="utf-8")
    recipients = [7_000_000 + n for n in range(300)]
    await seed_recipients(tmp_path / "bot.db", recipients)
    bot = bots(telegram_env(telegram)).start()
    await admin.send("/start")
    await admin.reply(within=60)
    await admin.send(f"/broadcast {ANNOUNCEMENT}")
    preview = await admin.reply()
    confirm = next(p for p in preview.payloads if p.startswith("confirm"))
    cancel = next(p for p in preview.payloads if p.startswith("cancel"))
    await admin.tap(preview, confirm)
    await until_delivered(telegram, ANNOUNCEMENT, 40, within=30)
    await admin.tap(preview, cancel)
    await until_delivered(telegram, "anulowany", 1, within=10)
    await asyncio.sleep(2.0)  # whatever was still in flight lands
    bot.stop()

    delivered = await telegram.delivered()
    cancelled_at = next(d.seq for d in delivered if "anulowany" in d.text)
    announcements = [d for d in delivered if d.text == ANNOUNCEMENT]
    after = [d for d in announcements if d.seq > cancelled_at]
    report(f"cancel: {len(announcements)} of 301 sent, {len(after)} after the confirmation")
    assert len(after) <= CONCURRENCY
    assert len(announcements) < 200  # it did stop
    assert len({d.chat_id for d in announcements}) == len(announcements)  # nobody twice


async def test_a_broadcast_survives_the_bot_api_gone_for_90_seconds(
    bots: MakeBot, tmp_path: Path
) -> None:
    emulator = Emulator.start(journal=tmp_path / "delivered.jsonl")  # this test stops it
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            session = TelegramSession(emulator, new_token(), http)
            recipients = [8_000_000 + n for n in range(300)]
            await seed_recipients(tmp_path / "bot.db", recipients)
            bot = bots(telegram_env(session)).start()
            queued = bot.command("broadcast", "--text-pl", ANNOUNCEMENT, "--to", "telegram", "--yes")
            assert queued.returncode == 0, queued.stderr
            await until_delivered(session, ANNOUNCEMENT, 100, within=60)
            emulator.stop()
            await asyncio.sleep(90)
            emulator = session.emulator = emulator.restart()
            answers = await answers_per_chat(
                session, set(recipients), ANNOUNCEMENT, within=120, settle=1.0
            )
            await until_logged(bot, "broadcast #1 done", within=10)
            bot.stop()
    finally:
        emulator.stop()
    missing = set(recipients) - set(answers)
    repeats = sum(n - 1 for n in answers.values())
    done = next(line for line in bot.output().splitlines() if "broadcast #1 done" in line)
    report(f"Bot API gone 90 s: {len(missing)} missed, {repeats} twice; {done.split(': ', 1)[-1]}")
    assert not missing
    assert "0 failed" in done
    assert repeats <= CONCURRENCY  # sends the emulator took just before it went away


async def until_logged(bot: BotProcess, line: str, within: float) -> None:
    deadline = time.monotonic() + within
    while line not in bot.output():
        assert time.monotonic() < deadline, f"the bot never logged {line!r}"
        await asyncio.sleep(0.2)


# --- one transport in trouble --------------------------------------------------------------


async def test_matrix_answers_while_telegram_cannot_connect(
    synapse: SynapseServer, bot_account: Account, alice: Person, bots: MakeBot
) -> None:
    nobody_listens = f"http://127.0.0.1:{free_port()}/bot"
    env = {**matrix_env(synapse, bot_account),
           "TELEGRAM_BOT_TOKEN": new_token(), "TELEGRAM_BASE_URL": nobody_listens}
    bot = bots(env).start()
    started = time.monotonic()
    room = await alice.create_room([bot_account.user_id], direct=True)
    await alice.wait_for_membership(room, bot_account.user_id, "join", within=60)
    question = await alice.say(room, "gdzie jest forum")
    answer = await alice.wait_for_notice(room, bot_account.user_id, question, within=5)
    report(f"Telegram unreachable: Matrix answered {time.monotonic() - started:.1f} s after start")
    bot.stop()
    assert "Kielce" in answer.body
    assert "telegram: cannot connect to the Bot API" in bot.output()  # and it keeps trying
    assert "Unclosed" not in bot.output()  # and a stop leaves no connection open behind it


async def test_questions_asked_during_a_run_of_502s_are_answered_after_it(
    telegram: TelegramSession, bots: MakeBot
) -> None:
    bot = bots(telegram_env(telegram)).start()
    await until_polling(telegram)
    await telegram.fail_for(4.0, status=502, methods=["sendMessage"])
    people = [telegram.user() for _ in range(6)]
    for person in people:  # spread over the 4 s the Bot API answers 502
        await person.send(QUESTION)
        await asyncio.sleep(0.5)
    answers = await answers_per_chat(telegram, {p.chat_id for p in people}, within=60, settle=1.0)
    bot.stop()
    assert set(answers) == {p.chat_id for p in people}
    assert set(answers.values()) == {1}
