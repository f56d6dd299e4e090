"""Asking about the programme: free text in both languages, /programme, /now, /next, with
the sample programme (tests/data/ifre-2027) and a clock inside its second day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.assistant import Assistant
from bot.clock import ManualClock
from bot.config import Config
from bot.event import Event
from bot.messages import Incoming, Reply
from bot.programme import programme_path, read_programme, write_programme
from bot.service import Services, open_services

WARSAW = ZoneInfo("Europe/Warsaw")
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "ifre-2027"
DAY_TWO = datetime(2027, 6, 11, 10, 5, tzinfo=WARSAW)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(DAY_TWO)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(database=tmp_path / "bot.db", event_file=SAMPLE / "event.toml")


def titles(text: str) -> list[str]:
    """The session titles in a listing, in order ('10:00–11:30 · Hala A · Title — ...')."""
    return [line.split(" · ")[-1].split(" — ")[0] for line in text.split("\n") if " · " in line]


async def command(services: Services, name: str, args: str = "", **fields: object) -> Reply:
    base: dict = {"transport": "telegram", "chat_id": "7", "sender_id": "7",
                  "text": f"/{name} {args}".strip(), "command": name, "args": args}
    base.update(fields)
    [reply] = await services.assistant.handle(Incoming(**base))
    return reply


def payloads(reply: Reply) -> list[str]:
    return [b.payload for row in reply.buttons for b in row]


# free text


def test_co_teraz_names_the_sessions_running_now(assistant: Assistant) -> None:
    answer = assistant.ask("co teraz?")
    assert (answer.kind, answer.entry, answer.lang) == ("answer", "programme", "pl")
    assert answer.text.startswith("Teraz (10:05):")
    assert titles(answer.text) == ["Panel CIMIC: współpraca cywilno-wojskowa w kryzysie",
                                   "Cyberbezpieczeństwo infrastruktury krytycznej w gminie"]


def test_ask_on_the_command_line_names_the_session_running_then() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_"))}
    env["IRLF_EVENT_FILE"] = str(SAMPLE / "event.toml")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--now", "2027-06-11T10:05+02:00", "co teraz?"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Panel CIMIC: współpraca cywilno-wojskowa w kryzysie" in result.stdout
    assert "Keynote: NATO" not in result.stdout  # over at 10:00


def test_when_is_the_cimic_panel_gets_its_day_time_and_hall(assistant: Assistant) -> None:
    for question, lang in (("kiedy jest panel o CIMIC?", "pl"), ("when is the CIMIC panel?", "en")):
        answer = assistant.ask(question)
        assert answer.lang == lang
        assert "Panel CIMIC" in answer.text and "10:00–11:30" in answer.text and "Hala A" in answer.text
        assert ("piątek, 11 czerwca 2027" if lang == "pl" else "Friday, 11 June 2027") in answer.text
        assert [b.payload for row in answer.buttons for b in row][:2] == ["star 202", "ics 202"]


def test_whats_in_hall_b_after_lunch_lists_todays_afternoon_there(assistant: Assistant) -> None:
    answer = assistant.ask("what's in hall B after lunch?")
    assert answer.lang == "en"
    assert titles(answer.text) == ["Odporność gmin: doświadczenia samorządów",
                                   "Ukraine's civil defence: lessons from three years of war"]


def test_after_lunch_follows_the_days_own_lunch_break(assistant: Assistant, clock: ManualClock) -> None:
    clock.set(datetime(2027, 6, 10, 9, 0, tzinfo=WARSAW))  # day one: lunch ends at 13:00
    answer = assistant.ask("co jest po obiedzie w hali B?")
    assert titles(answer.text) == ["Drones in civil protection: lessons from Ukraine"]


def test_who_speaks_on_friday_lists_fridays_speakers_only(assistant: Assistant) -> None:
    answer = assistant.ask("who speaks on Friday?")
    assert answer.text.startswith("Who speaks:")
    listed = titles(answer.text)
    assert len(listed) == 10 and "Przerwa obiadowa" not in listed  # the break has no speakers
    assert "Otwarcie Forum" not in listed and "David Miller" in answer.text


def test_a_speaker_in_any_grammatical_case(assistant: Assistant) -> None:
    answer = assistant.ask("kiedy występuje pani Kamińskiej?")
    assert titles(answer.text) == [
        "Panel: Ochrona ludności w nowej ustawie – co zmienia się dla gmin",
        "Panel: Zdrowie publiczne w sytuacjach kryzysowych",
        "Warsztat: Pierwsza pomoc i ewakuacja szkół",
    ]


def test_a_day_by_name_and_a_part_of_it(assistant: Assistant) -> None:
    answer = assistant.ask("co jest w sobotę rano?")
    assert "sobota, 12 czerwca 2027" in answer.text
    assert titles(answer.text) == ["Edukacja dla bezpieczeństwa: szkoły i uczelnie",
                                   "Panel: Europejski rynek odporności",
                                   "Early warning systems in the European Union"]


def test_a_session_that_is_not_in_the_programme_is_said_so(assistant: Assistant) -> None:
    answer = assistant.ask("kiedy jest panel o pogodzie?")
    assert (answer.kind, answer.entry) == ("fallback", "programme")
    assert "nie ma w programie" in answer.text and "„pogodzie”" in answer.text
    assert "k.paturej@iccsm.network" in answer.text


def test_a_day_without_sessions_is_said_so(assistant: Assistant) -> None:
    answer = assistant.ask("co jest w niedzielę w hali A?")
    assert answer.text == "W programie nie ma sesji w tym dniu, porze lub sali."


def test_knowledge_base_questions_still_reach_the_knowledge_base(assistant: Assistant) -> None:
    expected = {
        "gdzie jest parking": "parking", "jak się zarejestrować": "registration",
        "kiedy następna edycja?": "next_edition", "where is the venue": "venue",
        "w jakim języku będą panele?": "language",
    }
    got = {question: assistant.ask(question).entry for question in expected}
    assert got == expected
    assert assistant.ask("jestem dziennikarzem, proszę o akredytację").kind == "handoff"
    media_panel = assistant.ask("gdzie jest panel o mediach?")  # "media": a session, not the press
    assert media_panel.entry == "programme" and "Rola mediów" in media_panel.text


def test_nothing_on_now_names_what_comes_next(assistant: Assistant, clock: ManualClock) -> None:
    clock.set(datetime(2027, 6, 11, 8, 15, tzinfo=WARSAW))
    answer = assistant.ask("what's on now?")
    assert answer.text.startswith("Nothing is on right now (08:15).\nNext:")
    assert titles(answer.text) == [  # the first session in each hall
        "Keynote: NATO and EU resilience baseline requirements",
        "Cyberbezpieczeństwo infrastruktury krytycznej w gminie",
        "Workshop: Shelters and evacuation planning", "Przerwa obiadowa",
    ]


def test_next_in_each_hall(assistant: Assistant) -> None:
    answer = assistant.ask("co dalej?")
    assert titles(answer.text) == [
        "Workshop: Shelters and evacuation planning", "Łańcuch dostaw odporności społecznej",
        "Panel: Zdrowie publiczne w sytuacjach kryzysowych", "Przerwa obiadowa",
    ]


def test_before_the_event_whats_next_is_about_the_next_edition(assistant: Assistant,
                                                              clock: ManualClock) -> None:
    clock.set(datetime(2027, 5, 2, 12, 0, tzinfo=WARSAW))
    assert assistant.ask("co dalej?").entry == "next_edition"
    # This event file announces no next edition: the answer says so, with no blanks.
    answer = assistant.ask("what's next after this forum?")
    assert answer.entry == "next_edition"
    assert "not announced the next edition" in answer.text and " ,  " not in answer.text


async def test_the_single_session_event_is_a_programme_of_one(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 9, 10, 14, 30, tzinfo=WARSAW))
    async with open_services(Config(database=tmp_path / "b.db"), clock) as services:
        answer = services.assistant.ask("co teraz?")
        assert titles(answer.text) == ["Międzynarodowe Forum Liderów Odporności"]
        assert services.assistant.ask("kiedy jest forum").entry == "date"
        # A guest at the fair "right now" asking where is told the place, not what is on.
        for where in ("im at the fair right now, which hall is the forum in??",
                      "jestem teraz na targach, gdzie jest forum?"):
            assert services.assistant.ask(where).entry in {"hall", "venue", "address"}, where
        reply = await command(services, "programme")
        assert "czwartek, 10 września 2026" in reply.text and "14:00–16:00" in reply.text


async def test_what_the_forum_lasts_is_no_question_about_now(tmp_path: Path) -> None:
    # ("trwa" also means "is on": "Forum trwa od 10 do 12?" got "nothing is on now (12:00)")
    clock = ManualClock(datetime(2026, 9, 3, 12, tzinfo=WARSAW))
    async with open_services(Config(database=tmp_path / "b.db"), clock) as services:
        for claim in ("Forum trwa od 10 do 12?", "Does the forum run from 10 to 12?"):
            answer = services.assistant.ask(claim)
            assert answer.entry == "time" and answer.text.startswith(("Nie.", "No.")), claim
        assert "nic się nie odbywa" in services.assistant.ask("co teraz trwa?").text


async def test_a_running_bot_picks_up_an_imported_programme(tmp_path: Path, clock: ManualClock) -> None:
    event_file = tmp_path / "ifre.toml"
    event_file.write_bytes((SAMPLE / "event.toml").read_bytes())
    async with open_services(Config(database=tmp_path / "b.db", event_file=event_file), clock) as services:
        before = services.assistant.ask("co teraz?")
        assert "Panel CIMIC" not in before.text  # no programme yet: the event is its only session
        event = Event.load(event_file)
        programme = read_programme(event, programme_path(SAMPLE / "event.toml"))
        write_programme(programme, event, programme_path(event_file), "schedule.json", clock.now())
        assert "Panel CIMIC" in services.assistant.ask("co teraz?").text
        programme_path(event_file).write_text("{not json", encoding="utf-8")  # a broken re-export
        assert "Panel CIMIC" in services.assistant.ask("co teraz?").text  # the last good one stays


# commands


async def test_programme_offers_the_days(services: Services) -> None:
    reply = await command(services, "programme")
    assert reply.text == "📋 Program: 25 sesji, 3 dni (10–12 czerwca 2027). Wybierz dzień:"
    assert payloads(reply) == ["programme 2027-06-10", "programme 2027-06-11", "programme 2027-06-12",
                               "now", "next"]
    assert [b.label for b in reply.buttons[0]] == ["czw 10.06", "pt 11.06", "sob 12.06"]


async def test_one_days_programme_has_a_button_per_session_and_the_other_days(services: Services) -> None:
    reply = await command(services, "programme", "2027-06-12", language_hint="en")
    assert reply.text.startswith("📋 The programme — Saturday, 12 June 2027:")
    assert len(titles(reply.text)) == 4
    assert payloads(reply) == ["session 301", "session 302", "session 303", "session 304",
                               "programme 2027-06-10", "programme 2027-06-11"]
    same = await command(services, "programme", "sobota")
    assert payloads(same)[:4] == payloads(reply)[:4]


async def test_an_unknown_day_is_said_and_the_days_offered(services: Services) -> None:
    reply = await command(services, "programme", "2027-06-14")
    assert reply.text.startswith("Nie ma takiego dnia w programie (10–12 czerwca 2027)")
    assert payloads(reply)[:3] == ["programme 2027-06-10", "programme 2027-06-11", "programme 2027-06-12"]


async def test_now_and_next_commands(services: Services) -> None:
    now = await command(services, "now")
    assert titles(now.text)[0] == "Panel CIMIC: współpraca cywilno-wojskowa w kryzysie"
    assert payloads(now) == ["session 202", "session 203", "next"]
    following = await command(services, "next", language_hint="en")
    assert following.text.startswith("Next:") and len(titles(following.text)) == 4


async def test_a_sessions_card(services: Services) -> None:
    card = await command(services, "session", "202")
    assert card.text.split("\n")[:4] == [
        "„Panel CIMIC: współpraca cywilno-wojskowa w kryzysie”",
        "piątek, 11 czerwca 2027, 10:00–11:30, Hala A",
        "Występują: Tomasz Zieliński, Ioana Popescu, Katarzyna Lewandowska",
        "Ścieżka: Obrona cywilna",
    ]
    assert payloads(card) == ["star 202", "ics 202", "programme 2027-06-11"]
    unknown = await command(services, "session", "999")
    assert unknown.text == "Nie ma w programie sesji „999”. Program: /programme"
    matrix = await command(services, "session", "", transport="matrix", chat_id="!r:x")
    assert "!session 12" in matrix.text
