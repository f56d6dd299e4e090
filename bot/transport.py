"""What the core needs from a transport, and the delivery errors adapters translate to.

Every adapter in handlers/ implements `Transport.send`; the core never sees a platform
exception, only these.
"""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply


class DeliveryError(Exception):
    """A message could not be delivered; worth retrying later.

    `parts_sent`: how many of the reply's platform messages went out before the failure
    (a long text is several); retry with `Reply.parts_sent` set to it to send only the rest.
    """

    parts_sent: int = 0


class RecipientGone(DeliveryError):
    """The recipient blocked the bot or removed it: do not try them again."""


class RetryLater(DeliveryError):
    """The platform asked us to slow down."""

    def __init__(self, retry_after: float, message: str = "") -> None:
        super().__init__(message or f"retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class Transport(Protocol):
    name: str

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send one reply to a chat; return the platform's message id (or None)."""
        ...


class TransportDown(DeliveryError):
    """The platform cannot be reached (network, 5xx): pause the transport, blame no one."""
