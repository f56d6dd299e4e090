"""Per-key state the bot keeps only for a while: bounded in age and in number of keys.

Per-sender and per-chat memories (flood buckets, "text only" notices, Telegram admin
lookups) must not grow with every stranger who ever wrote. A `RecentMap` forgets a key
`max_age` seconds after it was last set, and the least recently set keys once it holds
`max_keys`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentMap(Generic[K, V]):
    def __init__(
        self, max_keys: int, max_age: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_keys = max_keys
        self.max_age = max_age
        self.monotonic = monotonic
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()  # oldest set first

    def get(self, key: K) -> V | None:
        """The value set for `key`, unless it is older than `max_age` (then it is forgotten)."""
        self._expire(self.monotonic())
        item = self._items.get(key)
        return None if item is None else item[1]

    def set(self, key: K, value: V) -> None:
        now = self.monotonic()
        self._items[key] = (now, value)
        self._items.move_to_end(key)
        self._expire(now)
        while len(self._items) > self.max_keys:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self, now: float) -> None:
        items = self._items
        while items:
            key, (at, _) = next(iter(items.items()))
            if now - at < self.max_age:
                return
            del items[key]
