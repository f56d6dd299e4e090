"""The unanswered questions of the last days, grouped by similarity, for the organisers.

Each question is reduced as the matcher sees it (faq/normalize.py: case and Polish letters
folded, fillers, question words and the event's own name dropped, words stemmed), so "Czy jest parking?"
and "parking dla autokarów???" meet. A question joins the group of the most similar
question seen before when that is similar enough (rapidfuzz token_set_ratio of the
reduced forms >= SIMILAR: one's terms all in the other's counts as similar), else it
starts a group. Groups come
biggest first, each with its count, its wordings (most frequent first) and the entry of
the knowledge base closest to it: the entry to give a new phrasing, an off-topic example
(`off_...`: deliberately not answered), or none (a new entry may be needed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process

from faq.matcher import Matcher
from faq.normalize import fold, generic_terms, lexicon_words, tokens

SIMILAR = 80
_GENERIC = generic_terms()
# "gdzie", "kiedy", "is", "can"...: they open a question but say nothing about its topic
_QUESTION_WORDS = lexicon_words("question_words", "question_starts")


@dataclass(slots=True)
class Group:
    key: str
    wordings: Counter[str] = field(default_factory=Counter)
    last_at: datetime | None = None
    closest: tuple[str, float] | None = None

    @property
    def count(self) -> int:
        return sum(self.wordings.values())

    def examples(self, limit: int = 3) -> list[str]:
        return [text for text, _ in self.wordings.most_common(limit)]


def reduced(text: str) -> str:
    """A question as the matcher compares it, without question words and the event's own
    name: its distinct terms, sorted."""
    found = {term for term, surface in tokens(text) if surface not in _QUESTION_WORDS}
    return " ".join(sorted(found - _GENERIC or found)) or " ".join(fold(text).split())


def group_questions(questions: list[tuple[str, datetime]], matcher: Matcher) -> list[Group]:
    """Group (text, asked at) pairs by similarity; biggest group first, then most recent."""
    groups: list[Group] = []
    owner: dict[str, int] = {}  # every distinct reduced question seen -> its group
    # Shortest first: "parking" founds the group that "parking dla autokarów" and "parking
    # w nocy" both join, which neither would with the other.
    reduced_questions = sorted(
        ((reduced(text), text, asked_at) for text, asked_at in questions),
        key=lambda item: len(item[0].split()),
    )
    for key, text, asked_at in reduced_questions:
        if not key:
            continue
        if key not in owner:
            found = process.extractOne(
                key, list(owner), scorer=fuzz.token_set_ratio, score_cutoff=SIMILAR
            )
            if found is None:
                groups.append(Group(key))
            owner[key] = len(groups) - 1 if found is None else owner[found[0]]
        chosen = groups[owner[key]]
        chosen.wordings[" ".join(text.split())] += 1
        if chosen.last_at is None or asked_at > chosen.last_at:
            chosen.last_at = asked_at
    for chosen in groups:
        chosen.closest = matcher.closest(chosen.examples(1)[0])
    groups.sort(key=lambda g: (g.count, g.last_at.timestamp() if g.last_at else 0.0), reverse=True)
    return groups
