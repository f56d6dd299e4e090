"""Settings: defaults, then an optional TOML file, then the environment (which wins).

Secrets (`TELEGRAM_BOT_TOKEN`, `MATRIX_ACCESS_TOKEN`, `MATRIX_PASSWORD`,
`MATRIX_PICKLE_KEY`) are SecretStr so they never print. A bad file raises `ConfigError`
naming the file, the field and the problem; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from faq.knowledge import DATA_DIR

DEFAULT_EVENT_FILE = Path(__file__).resolve().parent.parent / "events" / "irlf-2026.toml"
DEFAULT_UI_FILE = DATA_DIR.parent / "ui.toml"
DEFAULT_CONFIG_FILE = Path("config.toml")
DEFAULT_DATABASE = Path("irlf-bot.db")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the field."""


def _web_address(value: str) -> str:
    """An http(s) URL with a host; anything else would be retried forever at start."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 — raises on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL like https://example.org")
    return value


WebAddress = Annotated[str, AfterValidator(_web_address)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TelegramSettings(_Section):
    token: SecretStr | None = None
    base_url: WebAddress | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: WebAddress | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    admins: list[int] = Field(default_factory=list)
    media_desk_chat: str | None = None
    poll_interval: float = Field(default=0.0, ge=0)

    @property
    def enabled(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value())


class MatrixSettings(_Section):
    homeserver: WebAddress | None = None
    user_id: str | None = None
    access_token: SecretStr | None = None
    password: SecretStr | None = None
    device_id: str = "IRLFBOT"
    display_name: str = "IRLF Assistant"
    allowed_inviters: list[str] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list)
    management_room: str | None = None
    media_desk_room: str | None = None
    broadcast_rooms: list[str] = Field(default_factory=list)
    max_retries: int = Field(default=5, ge=0)
    # End-to-end encryption: the keys live in `store_path` (default: beside the database),
    # encrypted with `pickle_key` (MATRIX_PICKLE_KEY).
    encryption: bool = True
    store_path: Path | None = None
    pickle_key: SecretStr | None = None
    # Replace a cross-signing identity the store does not hold (needs the password).
    reset_cross_signing: bool = False

    @property
    def enabled(self) -> bool:
        secret = self.access_token or self.password
        return bool(self.homeserver and self.user_id and secret and secret.get_secret_value())

    @property
    def server_name(self) -> str:
        return (self.user_id or "").partition(":")[2]


class ReminderSettings(_Section):
    before: list[str] = Field(default_factory=lambda: ["7d", "1d", "2h"])

    @field_validator("before")
    @classmethod
    def _parse_all(cls, values: list[str]) -> list[str]:
        for value in values:
            parse_duration(value)
        return values

    @property
    def offsets(self) -> list[timedelta]:
        return sorted((parse_duration(v) for v in self.before), reverse=True)


class ProgrammeSettings(_Section):
    remind_before: str = "15m"

    @field_validator("remind_before")
    @classmethod
    def _parse(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def lead(self) -> timedelta:
        """How long before a starred session its reminder goes out."""
        return parse_duration(self.remind_before)


class BroadcastSettings(_Section):
    # Overall (every message, replies first) and bulk (broadcasts, reminders) rates.
    # 28, not Telegram's ~30: the pacing lets any one second hold 5% more than the rate,
    # and a crowd of answers beside a broadcast met 429s at 30 (bench/broadcast.py).
    telegram_overall_rate: float = Field(default=28.0, gt=0)
    telegram_rate: float = Field(default=25.0, gt=0)
    telegram_per_chat_interval: float = Field(default=1.0, ge=0)
    telegram_group_per_minute: int = Field(default=20, gt=0)
    matrix_overall_rate: float = Field(default=10.0, gt=0)
    matrix_rate: float = Field(default=0.5, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    # Seconds between two updates of the admin's progress message (one message, edited).
    progress_seconds: float = Field(default=3.0, gt=0)


class MediaSettings(_Section):
    tickets_per_hour: int = Field(default=3, ge=1)


class HealthSettings(_Section):
    listen: str | None = None  # "127.0.0.1:9108" serves /healthz and /metrics

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value:
            parse_listen(value)
        return value or None


class DeskSettings(_Section):
    # The info desk: questions the bot cannot answer go here (Telegram chat id, Matrix room).
    info_chat: str | None = None
    info_room: str | None = None
    info_tickets_per_hour: int = Field(default=3, ge=1)


class PrivacySettings(_Section):
    # Unanswered questions (masked, no user ids) and desk tickets are erased after this.
    keep_days: int = Field(default=30, ge=1, le=3650)


class LimitSettings(_Section):
    # Per sender: a burst of `flood_burst` questions, then one more per `flood_refill_seconds`.
    flood_burst: int = Field(default=10, ge=1)
    flood_refill_seconds: float = Field(default=1.0, gt=0)


class Config(_Section):
    event_file: Path = DEFAULT_EVENT_FILE
    knowledge_dir: Path = DATA_DIR
    ui_file: Path = DEFAULT_UI_FILE
    database: Path = DEFAULT_DATABASE
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_content: bool = False  # names and message texts in our log lines (personal data)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    programme: ProgrammeSettings = Field(default_factory=ProgrammeSettings)
    broadcast: BroadcastSettings = Field(default_factory=BroadcastSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    desk: DeskSettings = Field(default_factory=DeskSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

    def is_organiser(self, transport: str, sender_id: str) -> bool:
        """The sender is named in their transport's `admins` (wherever they write from)."""
        if transport == "telegram":
            return sender_id in {str(a) for a in self.telegram.admins}
        if transport == "matrix":
            return sender_id in self.matrix.admins
        return transport == "console"

    @property
    def matrix_store(self) -> Path:
        """Where the Matrix encryption keys live: `[matrix] store_path`, else beside the database."""
        if self.matrix.store_path is not None:
            return self.matrix.store_path
        return self.database.with_name(f"{self.database.stem}-matrix-store")


_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """'7d', '2h', '30m' -> timedelta (for reminder offsets)."""
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in _UNITS or not text[:-1].isdigit():
        raise ValueError(f"{text!r} is not a duration like '7d', '2h' or '30m'")
    return timedelta(seconds=int(text[:-1]) * _UNITS[text[-1]])


def parse_listen(text: str) -> tuple[str, int]:
    """'127.0.0.1:9108' -> ('127.0.0.1', 9108); '[::1]:9108' works too."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:  # 0: any free port
        raise ValueError(f"{text!r} is not host:port, e.g. 127.0.0.1:9108")
    return host.strip("[]"), int(port)


# environment variable -> (section, field)
ENVIRONMENT: dict[str, tuple[str | None, str]] = {
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "MATRIX_HOMESERVER": ("matrix", "homeserver"),
    "MATRIX_USER_ID": ("matrix", "user_id"),
    "MATRIX_ACCESS_TOKEN": ("matrix", "access_token"),
    "MATRIX_PASSWORD": ("matrix", "password"),
    "MATRIX_PICKLE_KEY": ("matrix", "pickle_key"),
    "IRLF_DB": (None, "database"),
    "IRLF_EVENT_FILE": (None, "event_file"),
}


def problems(exc: ValidationError, variables: Mapping[tuple[str, ...], str] | None = None) -> str:
    """A validation error as one line: each field (and its variable, if it came from one)."""
    lines = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        variable = (variables or {}).get(loc)
        named = f"field '{'.'.join(loc) or '(top)'}'" + (f" ({variable})" if variable else "")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "timezone_aware":
            message += " (a UTC offset, e.g. 2026-09-10T14:00:00+02:00)"
        lines.append(f"{named}: {message}")
    return "; ".join(lines)


def load_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Build the configuration; `path` None means `config.toml` if it exists."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    source = "environment"
    if path is None and DEFAULT_CONFIG_FILE.exists():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        source = str(path)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: the config file does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        base = Path(path).resolve().parent
        for key in ("event_file", "knowledge_dir", "ui_file", "database"):
            if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
                data[key] = str(base / data[key])
        matrix = data.get("matrix")
        if isinstance(matrix, dict) and isinstance(matrix.get("store_path"), str):
            if not Path(matrix["store_path"]).is_absolute():
                matrix["store_path"] = str(base / matrix["store_path"])
    from_environment: dict[tuple[str, ...], str] = {}
    for variable, (section, name) in ENVIRONMENT.items():
        value = environ.get(variable)
        if value:
            target = data.setdefault(section, {}) if section else data
            if not isinstance(target, dict):
                raise ConfigError(f"{source}: [{section}] must be a table")
            target[name] = value
            from_environment[(section, name) if section else (name,)] = variable
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {problems(exc, from_environment)}") from None
    return config
