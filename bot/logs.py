"""Logging set-up that never prints a secret.

httpx logs every request URL at INFO, and a Telegram URL holds the bot token; matrix-nio
logs access tokens at DEBUG. A filter on every handler masks each known secret, and httpx
is lowered to WARNING as well.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

MASK = "***"


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


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    """Log to stderr at `level`, with every secret masked on every handler."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    mask = SecretMask(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(mask)
    for noisy in ("httpx", "httpcore", "apscheduler", "nio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
