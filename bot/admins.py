"""Who is an organiser: Telegram user ids in a private chat with the bot, Matrix user ids
in the management room (both from the config), and whoever sits at the console."""

from __future__ import annotations

import logging

from bot.config import Config
from bot.messages import Incoming

log = logging.getLogger(__name__)


class Admins:
    def __init__(self, config: Config) -> None:
        self.telegram = {str(a) for a in config.telegram.admins}
        self.matrix = set(config.matrix.admins)
        self.management_room = config.matrix.management_room

    def include(self, msg: Incoming) -> bool:
        if msg.transport == "telegram":
            return msg.is_private and msg.sender_id in self.telegram
        if msg.transport == "matrix":
            return msg.sender_id in self.matrix and msg.chat_id == self.management_room
        return msg.transport == "console"

    def allow(self, msg: Incoming, what: str) -> bool:
        """True for an organiser; anyone else is logged as having tried `what`."""
        if self.include(msg):
            return True
        log.warning("not allowed: %s:%s tried %s", msg.transport, msg.sender_id, what)
        return False
