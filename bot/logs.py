"""Logging set-up that never prints a secret, nor what people wrote unless asked to.

httpx logs every request URL at INFO, and a Telegram URL holds the bot token; matrix-nio
logs access tokens at DEBUG. A filter on every handler masks each known secret, and httpx
is lowered to WARNING as well.

Names and message texts are personal data: our own log lines show them only with
`log_content = true` (else their length), through `shown`. Libraries that log them at
DEBUG — aiosqlite every statement with its parameters, python-telegram-bot every update
and Bot API call with its text, matrix-nio whole events — never log below INFO, whatever
the level and whatever `log_content` says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "***"
CONTENT_LOGGERS = {"aiosqlite": logging.INFO, "telegram": logging.INFO, "nio": logging.WARNING}
QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "apscheduler": logging.WARNING}

_log_content = False


def shown(value: object) -> object:
    """A name or text for a log line: itself with `log_content = true`, else its length
    (worked out only if the line is logged)."""
    return _Content(value)


class _Content:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        text = str(self.value)
        return repr(text) if _log_content else f"<{len(text)} characters>"


class SecretMask(logging.Filter):
    """Replace each secret in a record's final message with ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, MASK)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text
        if exc_text:
            for secret in self.secrets:
                exc_text = exc_text.replace(secret, MASK)
            record.exc_text = exc_text
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(level: str, secrets: Iterable[str], *, log_content: bool = False) -> None:
    """Log to stderr at `level`, with every secret masked on every handler."""
    global _log_content
    _log_content = log_content
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    mask = SecretMask(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(mask)
    for name, floor in {**QUIET_LOGGERS, **CONTENT_LOGGERS}.items():
        logging.getLogger(name).setLevel(floor)
