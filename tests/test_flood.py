"""Flood control: per sender, a person typing fast is answered, a script is not."""

from __future__ import annotations

from bot.assistant import Assistant
from bot.config import Config, LimitSettings
from bot.flood import FloodGuard, Verdict
from bot.messages import Incoming
from bot.recent import RecentMap
from bot.service import Services

FLOOD_PL = "Dużo wiadomości naraz"


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(ticker: Ticker, **kwargs: object) -> FloodGuard:
    limits = LimitSettings()
    return FloodGuard(limits.flood_burst, limits.flood_refill_seconds, monotonic=ticker, **kwargs)  # type: ignore[arg-type]


def in_group(sender: str, text: str, **fields: object) -> Incoming:
    base: dict = {
        "transport": "telegram", "chat_id": "-100500", "sender_id": sender, "text": text,
        "is_private": False, "addressed": True,
    }
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        base.update(command=name, args=args)
    base.update(fields)
    return Incoming(**base)


def test_a_person_asking_every_second_for_a_minute_is_never_stopped() -> None:
    ticker = Ticker()
    flood = guard(ticker)
    verdicts = []
    for _ in range(60):
        verdicts.append(flood.check("ania"))
        ticker.now += 1.0
    assert set(verdicts) == {Verdict.ANSWER}


def test_a_burst_of_five_then_a_pause_and_five_more_is_answered() -> None:
    ticker = Ticker()
    flood = guard(ticker)
    first = [flood.check("ania") for _ in range(5)]
    ticker.now += 5
    second = [flood.check("ania") for _ in range(5)]
    assert set(first + second) == {Verdict.ANSWER}


def test_a_script_gets_one_notice_then_silence_until_it_calms() -> None:
    ticker = Ticker()
    flood = guard(ticker)
    burst = [flood.check("bot") for _ in range(30)]
    assert burst[:10] == [Verdict.ANSWER] * 10
    assert burst[10] is Verdict.NOTICE
    assert set(burst[11:]) == {Verdict.QUIET}
    for _ in range(20):  # keeps going at two a second: still quiet, no second notice
        ticker.now += 0.5
        assert flood.check("bot") is Verdict.QUIET
    ticker.now += 30  # calm
    assert flood.check("bot") is Verdict.ANSWER
    later = [flood.check("bot") for _ in range(30)]
    assert later.count(Verdict.NOTICE) == 1  # a new flood, a new notice


def test_idle_senders_are_forgotten_and_the_count_is_capped() -> None:
    ticker = Ticker()
    flood = guard(ticker, max_senders=1000)
    for sender in range(5000):
        flood.check(sender)
    assert len(flood) == 1000
    ticker.now += 3600
    flood.check("one more")
    assert len(flood) == 1


def test_recent_map_forgets_old_keys_and_the_least_recently_set() -> None:
    ticker = Ticker()
    recent: RecentMap[str, int] = RecentMap(max_keys=2, max_age=10, monotonic=ticker)
    recent.set("a", 1)
    recent.set("b", 2)
    recent.set("a", 3)  # "a" set again: now "b" is the oldest
    recent.set("c", 4)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (3, None, 4)
    ticker.now += 10
    assert recent.get("a") is None and len(recent) == 0


async def test_one_member_flooding_a_group_does_not_mute_the_others(assistant: Assistant) -> None:
    replies = [await assistant.handle(in_group("1", "/help")) for _ in range(30)]
    notices = [r for r in replies if r and r[0].text.startswith(FLOOD_PL)]
    assert len(notices) == 1
    assert sum(1 for r in replies if not r) >= 15  # the rest of the flood goes unanswered
    [venue] = await assistant.handle(in_group("2", "/venue"))
    assert "Kielce" in venue.text


async def test_button_taps_are_not_metered(assistant: Assistant) -> None:
    for _ in range(30):
        [reply] = await assistant.handle(in_group("1", "/show address", payload="show address"))
        assert "Zakładowa 1" in reply.text


async def test_media_desk_and_organisers_are_not_metered(tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    from bot.service import open_services

    config = Config.model_validate({
        "database": tmp_path / "bot.db",
        "telegram": {"media_desk_chat": "-100777", "admins": [42]},
    })
    async with open_services(config, clock) as services:
        assistant = services.assistant
        for _ in range(30):
            [desk] = await assistant.handle(in_group("9", "/tickets", chat_id="-100777"))
            assert not desk.text.startswith(FLOOD_PL)
            [organiser] = await assistant.handle(in_group("42", "/help"))
            assert not organiser.text.startswith(FLOOD_PL)


async def test_a_flood_notice_is_in_the_senders_language(services: Services) -> None:
    replies = [
        await services.assistant.handle(in_group("5", "/help", language_hint="en"))
        for _ in range(12)
    ]
    notices = [r[0].text for r in replies if r and r[0].text.startswith("Lots of messages")]
    assert len(notices) == 1
