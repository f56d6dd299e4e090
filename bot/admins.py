"""Who may use the organisers' commands: someone named in their transport's `admins`
(`Config.is_organiser`), writing from where organisers work — a private chat with the bot
on Telegram, the management room on Matrix — or whoever sits at the console."""

from __future__ import annotations

import logging

from bot.config import Config
from bot.messages import Incoming

log = logging.getLogger(__name__)


class Admins:
    def __init__(self, config: Config) -> None:
        self.config = config

    def include(self, msg: Incoming) -> bool:
        if not self.config.is_organiser(msg.transport, msg.sender_id):
            return False
        if msg.transport == "telegram":
            return msg.is_private
        if msg.transport == "matrix":
            return msg.chat_id == self.config.matrix.management_room
        return True

    def allow(self, msg: Incoming, what: str) -> bool:
        """True for an organiser; anyone else is logged as having tried `what`."""
        if self.include(msg):
            return True
        log.warning("not allowed: %s:%s tried %s", msg.transport, msg.sender_id, what)
        return False
