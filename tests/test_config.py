"""Configuration: defaults, the file, the environment on top, and clear errors (exit 2)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import DEFAULT_EVENT_FILE, ConfigError, load_config
from bot.event import Event
from bot.phrasebook import FACTS, UI_FILE, Phrasebook
from tests.test_cli import run_cli


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def edited(source: Path, copy: Path, old: str, new: str) -> Path:
    """A copy of `source` with `old` replaced by `new` (which must be there)."""
    real = source.read_text(encoding="utf-8")
    assert old in real
    return write(copy, real.replace(old, new))


def test_defaults_need_no_file_and_enable_no_transport(tmp_path: Path) -> None:
    config = load_config(None, environ={})
    assert not config.telegram.enabled
    assert not config.matrix.enabled
    assert config.reminders.offsets[0].days == 7


def test_a_good_file_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", """
database = "state/bot.db"
[telegram]
admins = [42]
[matrix]
homeserver = "http://127.0.0.1:8008"
user_id = "@bot:localhost"
access_token = "file-token"
[reminders]
before = ["3d", "1h"]
""")
    config = load_config(path, environ={})
    assert config.database == tmp_path / "state" / "bot.db"
    assert config.telegram.admins == [42]
    assert config.matrix.enabled and config.matrix.server_name == "localhost"
    assert [o.total_seconds() for o in config.reminders.offsets] == [3 * 86400, 3600]


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[telegram]\ntoken = "from-file"\n')
    env = {"TELEGRAM_BOT_TOKEN": "123:from-env", "IRLF_DB": str(tmp_path / "x.db")}
    config = load_config(path, environ=env)
    assert config.telegram.token is not None
    assert config.telegram.token.get_secret_value() == "123:from-env"
    assert config.database == tmp_path / "x.db"


def test_secrets_do_not_print(tmp_path: Path) -> None:
    config = load_config(None, environ={"TELEGRAM_BOT_TOKEN": "123:very-secret"})
    assert "very-secret" not in repr(config)
    assert "very-secret" not in str(config.telegram)


def test_matrix_key_store_lies_beside_the_database_unless_placed(tmp_path: Path) -> None:
    env = {"IRLF_DB": str(tmp_path / "data" / "bot.db"), "MATRIX_PICKLE_KEY": "pickle-secret"}
    config = load_config(None, environ=env)
    assert config.matrix.encryption
    assert config.matrix_store == tmp_path / "data" / "bot-matrix-store"
    assert "pickle-secret" not in repr(config)
    placed = load_config(write(tmp_path / "c.toml", '[matrix]\nstore_path = "keys"\n'), environ={})
    assert placed.matrix_store == tmp_path / "keys"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[telegram]\nwebhook_port = "eighty"\n', "telegram.webhook_port"),
        ('[telegram]\nadmins = ["alice"]\n', "telegram.admins"),
        ("[matrix]\nhomeserve = 'typo'\n", "matrix.homeserve"),
        ('[reminders]\nbefore = ["soon"]\n', "reminders.before"),
        ('log_level = "LOUD"\n', "log_level"),
        ('telegram = 5\n', "telegram"),
    ],
)
def test_a_bad_field_is_named_with_the_file(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path / "bad.toml", text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(path) in str(raised.value)
    assert field in str(raised.value)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.toml", "[telegram\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_config(path, environ={})


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})


def test_cli_exits_2_naming_file_and_field(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path / "bad.toml", '[broadcast]\ntelegram_rate = -1\n')
    assert main(["-c", str(path), "ask", "kiedy"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "broadcast.telegram_rate" in err


def test_cli_exits_2_on_a_bad_event_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    real = (DEFAULT_EVENT_FILE).read_text(encoding="utf-8")
    naive = real.replace("start = 2026-09-10T14:00:00+02:00", "start = 2026-09-10T14:00:00")
    assert naive != real
    event = write(tmp_path / "event.toml", naive)
    path = write(tmp_path / "c.toml", f'event_file = "{event.name}"\n')
    assert main(["-c", str(path), "ask", "kiedy"]) == 2
    err = capsys.readouterr().err
    assert "event.toml" in err and "UTC offset" in err


def test_event_file_missing_a_contact_names_it(tmp_path: Path) -> None:
    real = DEFAULT_EVENT_FILE.read_text(encoding="utf-8")
    broken = real.replace('email = "p.ostrek@iccsm.network"', 'email = "not an address"')
    event = write(tmp_path / "event.toml", broken)
    with pytest.raises(ConfigError, match=r"contacts\.media\.email"):
        Event.load(event)


def test_the_example_config_is_valid() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    config = load_config(example, environ={})
    assert config.event_file.exists()
    assert config.reminders.before == ["7d", "1d", "2h"]


@pytest.mark.parametrize("address", ["not a url", "matrix.example.org", "ftp://example.org", "http://"])
@pytest.mark.parametrize(
    ("variable", "field"),
    [("MATRIX_HOMESERVER", "matrix.homeserver"), ("TELEGRAM_BASE_URL", "telegram.base_url")],
)
def test_a_web_address_that_is_not_one_stops_the_start(
    tmp_path: Path, address: str, variable: str, field: str
) -> None:
    env = {variable: address, "TELEGRAM_BOT_TOKEN": "1:x", "MATRIX_USER_ID": "@bot:example.org",
           "MATRIX_ACCESS_TOKEN": "t", "IRLF_DB": str(tmp_path / "bot.db")}
    with pytest.raises(ConfigError) as raised:
        load_config(None, environ=env)
    assert f"field '{field}' ({variable})" in str(raised.value) and address in str(raised.value)


def test_cli_stops_at_once_on_a_homeserver_that_is_no_url(tmp_path: Path) -> None:
    result = run_cli("run", env={
        "MATRIX_HOMESERVER": "not a url", "MATRIX_USER_ID": "@bot:example.org",
        "MATRIX_PASSWORD": "secret-password", "IRLF_DB": str(tmp_path / "bot.db"),
    })
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "MATRIX_HOMESERVER" in result.stderr


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write in (root writes anywhere but in special ones)."""
    if os.geteuid() == 0:
        return Path("/sys")
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    return folder


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda tmp: tmp / "missing" / "bot.db", "does not exist"),
        (lambda tmp: tmp, "is a directory"),
        (lambda tmp: unwritable_folder(tmp) / "bot.db", "not writable"),
        (lambda tmp: write(tmp / "notes.db", "shopping list: bread, milk\n" * 40),
         "not a database"),
    ],
)
@pytest.mark.parametrize("command", ["run", "stats"])
def test_an_unusable_database_path_is_one_line_and_exit_2(
    tmp_path: Path, make: Callable[[Path], Path], said: str, command: str
) -> None:
    database = make(tmp_path)
    result = run_cli(command, stdin="kiedy\n", env={"IRLF_DB": str(database)})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert str(database) in result.stderr and said in result.stderr


def test_next_edition_start_without_utc_offset_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    event = edited(DEFAULT_EVENT_FILE, tmp_path / "next-naive.toml",
                   "last_day = 2027-06-12\n", "last_day = 2027-06-12\nstart = 2027-06-10T10:00:00\n")
    with pytest.raises(ConfigError, match=r"next-naive\.toml: field 'next\.start'.*UTC offset"):
        Event.load(event)
    config = write(tmp_path / "c.toml", f'event_file = "{event.name}"\n')
    assert main(["-c", str(config), "check-faq"]) == 1
    out = capsys.readouterr().out
    assert "next-naive.toml" in out and "next.start" in out


def test_unknown_time_zone_is_named(tmp_path: Path) -> None:
    event = edited(DEFAULT_EVENT_FILE, tmp_path / "e.toml", '"Europe/Warsaw"', '"Mars/Base"')
    with pytest.raises(ConfigError, match="field 'timezone'"):
        Event.load(event)


def test_a_misspelt_placeholder_in_the_ui_strings_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    ui = edited(UI_FILE, tmp_path / "ui.toml", "polecenia {p}{command}.", "polecenia {p}{comand}.")
    assert main(["check-faq", "--ui", str(ui)]) == 1
    assert "[pl] unknown_command uses unknown placeholder {comand}" in capsys.readouterr().out
    with pytest.raises(ConfigError, match=r"ui\.toml: \[pl\] unknown_command .*\{comand\}"):
        Phrasebook(Event.load(DEFAULT_EVENT_FILE), (ui,))


def test_every_event_fact_is_a_known_placeholder() -> None:
    phrases = Phrasebook(Event.load(DEFAULT_EVENT_FILE))
    assert set(phrases.facts("pl")) == FACTS
