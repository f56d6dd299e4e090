"""Which Matrix rooms are direct chats, by the Matrix meaning rather than by head count.

A direct chat is a room listed in the bot's `m.direct` account data (user id -> room ids,
kept up to date by clients and by the bot), or one it joined from an invite marked
`is_direct` (the bot then adds it to `m.direct`, as clients do). A management room with
one admin, or a new public room, is not a direct chat however few people are in it.
"""

from __future__ import annotations

from typing import Any

DIRECT_TYPE = "m.direct"


class DirectChats:
    """The bot's direct chats, from its `m.direct` account data."""

    def __init__(self) -> None:
        self._by_user: dict[str, list[str]] = {}

    @property
    def rooms(self) -> frozenset[str]:
        return frozenset(room for rooms in self._by_user.values() for room in rooms)

    def __contains__(self, room_id: object) -> bool:
        return room_id in self.rooms

    def update(self, content: dict[str, Any]) -> set[str]:
        """Take the account data's new content; return the rooms whose kind changed."""
        before = self.rooms
        self._by_user = {
            user: [r for r in rooms if isinstance(r, str)]
            for user, rooms in content.items()
            if isinstance(user, str) and isinstance(rooms, list)
        }
        return set(before ^ self.rooms)

    def add(self, user_id: str, room_id: str) -> dict[str, list[str]] | None:
        """Mark `room_id` as the direct chat with `user_id`; the new content, or None if known."""
        if room_id in self._by_user.get(user_id, []):
            return None
        self._by_user.setdefault(user_id, []).append(room_id)
        return {user: list(rooms) for user, rooms in self._by_user.items()}
