"""Importing the programme: the three export formats, one clear error per malformed file,
the diff between versions, the file beside the event file, and .ics with VTIMEZONE."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.calendar import event_calendar, sessions_calendar
from bot.cli import main
from bot.event import Event
from bot.programme import Programme, compare, programme_path, read_programme
from bot.programme_import import ScheduleError, parse_schedule, read_schedule

WARSAW = ZoneInfo("Europe/Warsaw")
SAMPLE = Path(__file__).parent / "data" / "ifre-2027"
EXPORTS = SAMPLE / "exports"


def sample_json() -> dict:
    return json.loads((EXPORTS / "schedule.json").read_text(encoding="utf-8"))


def talks(doc: dict) -> list[dict]:
    return [t for day in doc["schedule"]["conference"]["days"] for ts in day["rooms"].values() for t in ts]


def talk(doc: dict, talk_id: int) -> dict:
    return next(t for t in talks(doc) if t["id"] == talk_id)


def parse(doc: dict | str | bytes) -> Programme:
    data = doc if isinstance(doc, bytes) else (doc if isinstance(doc, str) else json.dumps(doc)).encode()
    return parse_schedule(data, WARSAW).programme


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(data, WARSAW)
    return caught.value.problems


@pytest.mark.parametrize("name", ["schedule.json", "schedule.xml", "schedule.ics"])
def test_each_export_format_gives_the_sample_programme(name: str) -> None:
    imported = read_schedule(EXPORTS / name, WARSAW)
    programme = imported.programme
    assert imported.notes == []
    assert len(programme) == 25 and len(programme.days()) == 3
    assert programme.rooms() == ["Foyer", "Hala A", "Hala B", "Hala C"]
    cimic = programme.find("Panel CIMIC: współpraca cywilno-wojskowa w kryzysie",
                           datetime(2027, 6, 11, 10, 0, tzinfo=WARSAW))
    assert cimic is not None and cimic.room == "Hala A"
    assert cimic.end == datetime(2027, 6, 11, 11, 30, tzinfo=WARSAW)
    assert cimic.speakers == ("Tomasz Zieliński", "Ioana Popescu", "Katarzyna Lewandowska")
    assert cimic.track == "Obrona cywilna" and "wojsko" in cimic.description.pl


def test_the_three_formats_agree_on_every_session() -> None:
    shapes = []
    for name in ("schedule.json", "schedule.xml", "schedule.ics"):
        programme = read_schedule(EXPORTS / name, WARSAW).programme
        shapes.append([(s.title.pl, s.start, s.end, s.room, s.speakers) for s in programme.sessions])
    assert shapes[0] == shapes[1] == shapes[2]


def test_the_test_events_programme_is_the_imported_sample() -> None:
    event = Event.load(SAMPLE / "event.toml")
    shipped = read_programme(event, programme_path(SAMPLE / "event.toml"))
    imported = read_schedule(EXPORTS / "schedule.json", WARSAW).programme
    assert not shipped.implicit and shipped.sessions == imported.sessions


def test_the_format_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "programme.json"
    shutil.copy(EXPORTS / "schedule.ics", misnamed)
    imported = read_schedule(misnamed, WARSAW)
    assert imported.format == "ics" and len(imported.programme) == 25
    assert imported.notes == ["read as iCalendar, although the name ends in .json"]


ICS_HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"


def ics(*entries: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in entries)
    return (ICS_HEAD + body + "END:VCALENDAR\r\n").encode()


def json_with(change) -> bytes:
    doc = sample_json()
    change(doc)
    return json.dumps(doc).encode()


def _drop_duration(doc: dict) -> None:
    del talk(doc, 202)["duration"]


def _overlap(doc: dict) -> None:
    talk(doc, 203)["room"] = "Hala A"


def _same_id(doc: dict) -> None:
    talk(doc, 203)["id"] = 202


def _bad_zone(doc: dict) -> None:
    doc["schedule"]["conference"]["time_zone_name"] = "Europe/Kielce"


def _bad_date(doc: dict) -> None:
    talk(doc, 202)["date"] = "jutro rano"


MALFORMED = {
    "empty": (b"", "cannot tell the format"),
    "a web page": (b"<!DOCTYPE html><html><body>Program</body></html>", "a web page (HTML)"),
    "not UTF-8": ("Program: żółć".encode("cp1250"), "not UTF-8 text"),
    "broken JSON": (b'{"schedule": {"conference": ', "not valid JSON (line 1, column 29)"),
    "JSON, not a schedule": (b'{"talks": []}', "not a schedule export"),
    "no duration": (json_with(_drop_duration),
                    "session 'Panel CIMIC: współpraca cywilno-wojskowa w kryzysie' (id 202): no duration"),
    "a start that is no time": (json_with(_bad_date), "(id 202): no start time, or one that is not"),
    "unknown timezone (JSON)": (json_with(_bad_zone),
                                "conference.time_zone_name: unknown timezone 'Europe/Kielce'"),
    "two sessions at once in one room": (
        json_with(_overlap),
        "room 'Hala A': session 'Cyberbezpieczeństwo infrastruktury krytycznej w gminie' (id 203, "
        "2027-06-11 10:00) starts before 'Panel CIMIC: współpraca cywilno-wojskowa w kryzysie' "
        "(id 202, 2027-06-11 10:00) ends (11:30)",
    ),
    "one id twice": (json_with(_same_id), "the id is also used by 'Panel CIMIC"),
    "broken XML": (b"<schedule><day><room>", "not valid XML (line 1"),
    "XML, not a schedule": (b"<rss><channel/></rss>", "not a frab schedule: it begins with <rss>"),
    "XML with entities": (b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><schedule/>',
                          "DOCTYPE or entities"),
    "no VEVENT": ((ICS_HEAD + "END:VCALENDAR\r\n").encode(), "without any event (VEVENT)"),
    "unknown timezone (ics)": (
        ics("UID:x1\r\nSUMMARY:Panel CIMIC\r\nDTSTART;TZID=Europe/Warszawa:20270611T100000\r\n"
            "DTEND;TZID=Europe/Warszawa:20270611T113000"),
        "session 'Panel CIMIC' (UID x1): unknown timezone 'Europe/Warszawa'",
    ),
    "no end (ics)": (ics("UID:x2\r\nSUMMARY:Panel CIMIC\r\nDTSTART:20270611T080000Z"),
                     "session 'Panel CIMIC' (id x2): no DTEND or DURATION"),
    "no start (ics)": (ics("UID:x3\r\nSUMMARY:Panel CIMIC\r\nDURATION:PT1H"),
                       "session 'Panel CIMIC' (id x3): no DTSTART"),
    "no UID (ics)": (ics("SUMMARY:Panel CIMIC\r\nDTSTART:20270611T080000Z\r\nDURATION:PT1H"),
                     "session 'Panel CIMIC': no id"),
}


@pytest.mark.parametrize(("data", "expected"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_file_gets_one_clear_error(data: bytes, expected: str) -> None:
    [problem] = problems_of(data)
    assert expected in problem


def test_floating_times_are_read_in_the_events_timezone_and_the_import_says_so() -> None:
    imported = parse_schedule(ics(
        "UID:a\r\nSUMMARY:Panel A\r\nDTSTART:20270611T100000\r\nDURATION:PT1H30M\r\nLOCATION:Hala A",
        "UID:b\r\nSUMMARY:Panel B\r\nDTSTART:20270611T100000\r\nDTEND:20270611T110000\r\nLOCATION:Hala B",
    ), WARSAW)
    first = imported.programme.get("a")
    assert first is not None and first.start == datetime(2027, 6, 11, 10, 0, tzinfo=WARSAW)
    assert first.end - first.start == timedelta(minutes=90)
    assert imported.notes == ["times without a timezone are read as Europe/Warsaw (the event's timezone)"]


def test_utc_times_are_kept_as_the_same_instant() -> None:
    programme = parse(ics("UID:a\r\nSUMMARY:Panel\r\nDTSTART:20270611T080000Z\r\nDTEND:20270611T090000Z"))
    assert programme.local(programme.sessions[0].start).strftime("%H:%M") == "10:00"


def test_cancelled_and_whole_day_entries_are_left_out_with_a_note() -> None:
    imported = parse_schedule(ics(
        "UID:a\r\nSUMMARY:Panel\r\nDTSTART:20270611T080000Z\r\nDTEND:20270611T090000Z",
        "UID:b\r\nSUMMARY:Dropped talk\r\nSTATUS:CANCELLED\r\n"
        "DTSTART:20270611T090000Z\r\nDTEND:20270611T100000Z",
        "UID:c\r\nSUMMARY:Day two\r\nDTSTART;VALUE=DATE:20270611\r\nDTEND;VALUE=DATE:20270612",
    ), WARSAW)
    assert [s.id for s in imported.programme.sessions] == ["a"]
    assert imported.notes == ["left out 'Dropped talk': it is marked cancelled",
                              "left out 'Day two': a whole-day entry, not a session"]


def test_a_long_uid_becomes_a_short_id_that_stays_the_same() -> None:
    entry = ("UID:pretalx-ifre2027-ABCDEF@pretalx.example.org\r\nSUMMARY:P\r\n"
             "DTSTART:20270611T080000Z\r\nDURATION:PT1H")
    first, again = parse(ics(entry)), parse(ics(entry))
    [session] = first.sessions
    assert len(session.id) <= 16 and session.id == again.sessions[0].id


def test_a_bilingual_pretalx_title_keeps_both_languages() -> None:
    doc = sample_json()
    talk(doc, 202)["title"] = {"pl": "Panel CIMIC", "en": "CIMIC panel"}
    session = parse(doc).get("202")
    assert session is not None and (session.title.pl, session.title.en) == ("Panel CIMIC", "CIMIC panel")


# the diff between two versions


def test_the_diff_names_added_removed_moved_and_changed_sessions() -> None:
    old = parse(sample_json())
    doc = sample_json()
    moved = talk(doc, 202)
    moved["date"], moved["start"], moved["room"] = "2027-06-11T16:00:00+02:00", "16:00", "Hala C"
    talk(doc, 204)["date"] = "2027-06-11T08:30:00+02:00"
    room_b = doc["schedule"]["conference"]["days"][1]["rooms"]["Hala B"]
    room_b.remove(talk(doc, 211))
    added = copy.deepcopy(talk(doc, 209))
    added.update(id=212, title="Nowa sesja: schrony w miastach", date="2027-06-11T17:00:00+02:00")
    room_b.append(added)
    talk(doc, 205)["persons"] = []
    diff = compare(old, parse(doc))
    assert [s.id for s in diff.added] == ["212"]
    assert [s.id for s in diff.removed] == ["211"]
    assert [(b.id, b.room, a.room) for b, a in diff.moved] == [
        ("202", "Hala A", "Hala C"), ("204", "Hala C", "Hala C")]
    assert [a.id for _, a in diff.changed] == ["205"]


def test_the_same_session_exported_with_other_ids_is_not_removed() -> None:
    from_json = parse(sample_json())
    from_ics = read_schedule(EXPORTS / "schedule.ics", WARSAW).programme
    diff = compare(from_json, from_ics)
    assert diff.added == [] and diff.removed == [] and diff.moved == []


# the command line


def event_copy(tmp_path: Path) -> Path:
    event_file = tmp_path / "ifre.toml"
    shutil.copy(SAMPLE / "event.toml", event_file)
    return event_file


def test_import_writes_the_programme_beside_the_event_file_and_shows_the_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_file = event_copy(tmp_path)
    monkeypatch.setenv("IRLF_EVENT_FILE", str(event_file))
    assert main(["programme", "import", str(EXPORTS / "schedule.json")]) == 0
    out = capsys.readouterr().out
    assert "25 sessions in 4 rooms" in out and "programme of one" in out
    written = tmp_path / "ifre.programme.json"
    programme = read_programme(Event.load(event_file), written)
    assert len(programme) == 25 and programme.source == "schedule.json"

    doc = sample_json()
    talk(doc, 202)["room"] = "Hala D"
    moved = tmp_path / "schedule-v2.json"
    moved.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["programme", "check", str(moved)]) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 removed, 1 moved" in out and "nothing written" in out
    assert ("~ 'Panel CIMIC: współpraca cywilno-wojskowa w kryzysie' (id 202): "
            "2027-06-11 10:00–11:30 Hala A -> 2027-06-11 10:00–11:30 Hala D") in out
    assert read_programme(Event.load(event_file), written).get("202").room == "Hala A"  # type: ignore[union-attr]


def test_a_bad_file_exits_2_names_the_problem_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_file = event_copy(tmp_path)
    monkeypatch.setenv("IRLF_EVENT_FILE", str(event_file))
    broken = tmp_path / "schedule.json"
    broken.write_bytes(json_with(_overlap))
    assert main(["programme", "import", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "room 'Hala A'" in err and "nothing was written" in err
    assert not (tmp_path / "ifre.programme.json").exists()


def test_an_import_replaces_a_broken_programme_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_file = event_copy(tmp_path)
    (tmp_path / "ifre.programme.json").write_text("{broken", encoding="utf-8")
    monkeypatch.setenv("IRLF_EVENT_FILE", str(event_file))
    assert main(["programme", "import", str(EXPORTS / "schedule.xml")]) == 0
    assert "cannot be read" in capsys.readouterr().out
    assert len(read_programme(Event.load(event_file), tmp_path / "ifre.programme.json")) == 25


def test_show_prints_one_day(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRLF_EVENT_FILE", str(SAMPLE / "event.toml"))
    assert main(["programme", "show", "--day", "piątek"]) == 0
    out = capsys.readouterr().out
    assert "Friday, 11 June 2027" in out and "Thursday" not in out
    assert "10:00–11:30  Hala A   Panel CIMIC" in out and "[202]" in out


def test_without_a_programme_file_the_event_is_a_programme_of_one(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IRLF_EVENT_FILE", raising=False)
    assert main(["programme", "show"]) == 0
    out = capsys.readouterr().out
    assert "1 sessions, from the event itself" in out
    assert "14:00–16:00" in out and "Międzynarodowe Forum Liderów Odporności" in out


def test_a_broken_programme_file_stops_the_start_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    event_file = event_copy(tmp_path)
    (tmp_path / "ifre.programme.json").write_text('{"format": "irlf-programme/1"}', encoding="utf-8")
    monkeypatch.setenv("IRLF_EVENT_FILE", str(event_file))
    assert main(["ask", "co teraz"]) == 2
    err = capsys.readouterr().err
    assert "ifre.programme.json" in err and "field 'event'" in err


# calendars carry their VTIMEZONE


def vtimezone_offsets(data: bytes) -> tuple[str, set[str]]:
    calendar = Calendar.from_ical(data)
    [zone] = calendar.walk("VTIMEZONE")
    offsets = {part["TZOFFSETTO"].to_ical() for part in zone.subcomponents}
    return str(zone["TZID"]), offsets


def test_the_event_calendar_carries_its_vtimezone() -> None:
    event = Event.load(Path(__file__).parent.parent / "events" / "irlf-2026.toml")
    _, data = event_calendar(event, "pl", datetime(2026, 9, 1, tzinfo=WARSAW))
    assert vtimezone_offsets(data) == ("Europe/Warsaw", {"+0100", "+0200"})
    assert b"DTSTART;TZID=Europe/Warsaw:20260910T140000" in data


def test_a_sessions_calendar_carries_its_vtimezone_and_the_right_hour() -> None:
    event = Event.load(SAMPLE / "event.toml")
    programme = read_programme(event, programme_path(SAMPLE / "event.toml"))
    chosen = [programme.get("202"), programme.get("303")]
    name, data = sessions_calendar([s for s in chosen if s], event, "en", datetime(2027, 6, 1, tzinfo=WARSAW),
                                   "starred.ics")
    assert name == "starred.ics"
    assert vtimezone_offsets(data) == ("Europe/Warsaw", {"+0100", "+0200"})
    entries = Calendar.from_ical(data).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in entries] == [
        "Panel CIMIC: współpraca cywilno-wojskowa w kryzysie", "Early warning systems in the European Union"]
    assert entries[0].decoded("dtstart") == datetime(2027, 6, 11, 10, 0, tzinfo=WARSAW)
    assert "Hala A, Targi Kielce" in str(entries[0]["LOCATION"])
    assert "Tomasz Zieliński" in str(entries[0]["DESCRIPTION"])
