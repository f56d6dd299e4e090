"""The command line: `ask --json` contract, stdin, `check-faq` exit codes, `run` without tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["question", "kind", "entry", "score", "lang", "text", "suggestions", "entries"]


def run_cli(*args: str, stdin: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    clean_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "MATRIX_"))
    }
    clean_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
        text=True, cwd=ROOT, env=clean_env, timeout=60,
    )


def test_ask_json_prints_one_object_per_question_in_order() -> None:
    questions = ["gdzie jest forum", "when does it start", "przepis na pierogi", "jestem dziennikarką"]
    result = run_cli("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions
    assert all(list(o) == FIELDS for o in objects)
    assert [o["kind"] for o in objects] == ["answer", "answer", "fallback", "handoff"]
    assert objects[0]["lang"] == "pl" and objects[1]["lang"] == "en"
    assert objects[2]["entry"] is None and objects[2]["suggestions"] == []
    assert "p.ostrek@iccsm.network" in objects[3]["text"]
    assert all(isinstance(o["score"], int | float) for o in objects)


def test_ask_with_arguments_and_lang(capsys: pytest.CaptureFixture) -> None:
    assert main(["ask", "--json", "--lang", "en", "parking"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["entry"] == "parking" and answer["lang"] == "en"


def test_ask_plain_prints_the_text(capsys: pytest.CaptureFixture) -> None:
    assert main(["ask", "adres"]) == 0
    assert "Zakładowa 1" in capsys.readouterr().out


def test_check_faq_passes_on_the_shipped_knowledge_base(capsys: pytest.CaptureFixture) -> None:
    assert main(["check-faq"]) == 0
    assert "OK" in capsys.readouterr().out


ENTRY = """
[[entry]]
id = "{id}"
category = "schedule"
title = {{ pl = "T", en = "T" }}
questions.pl = [{pl}]
questions.en = ["when is it"]
answer.pl = "{answer}"
answer.en = "It is {{date}}."
"""


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (
            [ENTRY.format(id="a", pl='"kiedy"', answer="To {date}.").replace(
                'answer.en = "It is {date}."', ""
            )],
            "answer.en' is missing",
        ),
        ([ENTRY.format(id="a", pl='"kiedy"', answer="To {godzina}.")], "unknown placeholder"),
        (
            [
                ENTRY.format(id="a", pl='"kiedy jest"', answer="A"),
                ENTRY.format(id="b", pl='"Kiedy jest?"', answer="B"),
            ],
            "collides",
        ),
        (['[[entry]]\nid = "a"\ncategory = "nope"\n'], "category"),
        (["[[entry\n"], "not valid TOML"),
    ],
)
def test_check_faq_fails_on_a_broken_knowledge_base(
    tmp_path: Path, capsys: pytest.CaptureFixture, entries: list[str], expected: str
) -> None:
    (tmp_path / "kb.toml").write_text("\n".join(entries), encoding="utf-8")
    assert main(["check-faq", "--data", str(tmp_path)]) == 1
    assert expected in capsys.readouterr().out


def test_run_without_tokens_names_the_variables_and_serves_the_console(tmp_path: Path) -> None:
    result = run_cli("run", stdin="gdzie jest forum\n", env={"IRLF_DB": str(tmp_path / "b.db")})
    assert result.returncode == 0, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "MATRIX_HOMESERVER" in result.stderr
    assert "Kielce" in result.stdout


def test_chat_buttons_are_numbered_and_typed_numbers_tap_them(tmp_path: Path) -> None:
    result = run_cli("chat", stdin="1\n", env={"IRLF_DB": str(tmp_path / "b.db")})
    assert "[1]" in result.stdout
    assert "Pytania w temacie" in result.stdout


def test_stats_table_and_csv_keep_no_user_ids(tmp_path: Path) -> None:
    env = {"IRLF_DB": str(tmp_path / "b.db")}
    run_cli("run", stdin="gdzie jest forum\npogoda w kielcach\n/lang en\n", env=env)
    table = run_cli("stats", env=env)
    assert table.returncode == 0, table.stderr
    assert "venue" in table.stdout and "pogoda w kielcach" in table.stdout
    csv_file = tmp_path / "stats.csv"
    assert run_cli("stats", "--csv", str(csv_file), env=env).returncode == 0
    rows = csv_file.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "table,key,detail,value"
    assert any(r.startswith("unanswered,") and "pogoda w kielcach" in r for r in rows)
    assert not any("console" in r.split(",")[2] for r in rows if r.startswith("unanswered"))


def test_shell_broadcast_is_queued_for_the_running_bot(tmp_path: Path) -> None:
    env = {"IRLF_DB": str(tmp_path / "b.db")}
    result = run_cli("broadcast", "--text-pl", "Drzwi 13:30", "--text-en", "Doors 13:30",
                     "--at", "2026-09-10T12:00+02:00", "--yes", env=env)
    assert result.returncode == 0, result.stderr
    assert "queued" in result.stdout and "2026-09-10 12:00" in result.stdout
    refused = run_cli("broadcast", "--text-pl", "x", "--to", "fax", "--yes", env=env)
    assert refused.returncode == 2 and "--to" in refused.stderr
    unconfirmed = run_cli("broadcast", "--text-pl", "x", env=env)
    assert unconfirmed.returncode == 1 and "--yes" in unconfirmed.stderr


@pytest.mark.parametrize("utf8_mode", ["0", "1"])
def test_ask_answers_every_line_of_invalid_utf8_in_a_strict_locale(utf8_mode: str) -> None:
    lines = [b"gdzie jest forum", b"\xff\xfe kiedy \xc3\x28", b"zwyk\xc5\x82e\r", b"", b"\xed\xa0\x80"]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "MATRIX_", "LC_", "LANG", "PYTHONIOENCODING"))}
    env.update({"LC_ALL": "C", "PYTHONUTF8": utf8_mode})
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json"], input=b"\n".join(lines) + b"\n",
        capture_output=True, cwd=ROOT, env=env, timeout=60,
    )
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    answers = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(answers) == len(lines)
    assert [a["question"] for a in answers] == [
        "gdzie jest forum", "\ufffd\ufffd kiedy \ufffd(", "zwykłe", "", "\ufffd\ufffd\ufffd"
    ]
    assert answers[0]["entry"] == "venue" and answers[1]["entry"] == "date"
