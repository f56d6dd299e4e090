"""What people write stays out of the log, at every level, unless `log_content = true`."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import run_cli

QUESTION = "gdzie jest forum Xyzzyplugh"


def converse_at_debug(tmp_path: Path, *settings: str) -> str:
    """`irlf-bot run` with no transport (the console) at DEBUG: one question; the log."""
    config = tmp_path / "config.toml"
    config.write_text("\n".join(['log_level = "DEBUG"', *settings]) + "\n", encoding="utf-8")
    result = run_cli(
        "-c", str(config), "run", stdin=f"{QUESTION}\n",
        env={"IRLF_DB": str(tmp_path / "bot.db")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Kielce") >= 2  # greeted and answered
    return result.stderr


def test_debug_log_holds_no_message_text_nor_sql_parameters(tmp_path: Path) -> None:
    log = converse_at_debug(tmp_path)
    assert "Xyzzyplugh" not in log
    assert "aiosqlite" not in log and "INSERT" not in log
    assert " DEBUG bot.assistant: question <27 characters>: " in log  # DEBUG was on


def test_log_content_shows_texts_but_never_sql_parameters(tmp_path: Path) -> None:
    log = converse_at_debug(tmp_path, "log_content = true")
    assert f"question '{QUESTION}'" in log
    assert "aiosqlite" not in log and "INSERT" not in log
