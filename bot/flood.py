"""Flood control: one token bucket per sender, so one noisy member cannot mute a group.

Each sender has `burst` tokens; a question spends one and the bucket earns one back every
`refill_seconds`. With the defaults (10 tokens, one a second) a person who types a
question every second never runs dry, and a burst of 10 passes; a script firing 30 at
once gets 10 answers, then one polite notice, then silence. Messages refused while
flooding cost a token too (down to `burst` tokens of debt), so a script that keeps going
stays quiet; once the sender has been calm long enough to earn a token, they are answered
again and a later flood gets a new notice. An idle sender's bucket is full, so it is
forgotten (and memory stays bounded).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import Enum

from bot.recent import RecentMap

MAX_SENDERS = 10_000


class Verdict(Enum):
    ANSWER = "answer"
    NOTICE = "notice"  # the first refused message of a flood: say so, once
    QUIET = "quiet"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class FloodGuard:
    def __init__(
        self,
        burst: int,
        refill_seconds: float,
        *,
        max_senders: int = MAX_SENDERS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.monotonic = monotonic
        # From the deepest debt (-burst) back to full takes 2 × burst refills; a sender
        # idle that long has a full bucket, which is what a forgotten sender gets.
        self._buckets: RecentMap[Hashable, _Bucket] = RecentMap(
            max_senders, 2 * burst * refill_seconds, monotonic
        )

    def check(self, sender: Hashable) -> Verdict:
        """Spend one of `sender`'s tokens: answer, say once that they flood, or stay quiet."""
        now = self.monotonic()
        bucket = self._buckets.get(sender) or _Bucket(float(self.burst), now)
        earned = (now - bucket.at) / self.refill_seconds
        bucket.tokens = min(float(self.burst), bucket.tokens + earned)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            verdict = Verdict.ANSWER
        else:
            bucket.tokens = max(-float(self.burst), bucket.tokens - 1)
            verdict = Verdict.QUIET if bucket.warned else Verdict.NOTICE
            bucket.warned = True
        self._buckets.set(sender, bucket)
        return verdict

    def __len__(self) -> int:
        return len(self._buckets)
