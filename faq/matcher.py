"""Find the entry a question is about, or say honestly that none is.

Each phrasing in the knowledge base becomes a bag of weighted terms (rarer terms weigh
more). A question's terms are looked up in the vocabulary, exactly or with a typo's
distance (rapidfuzz), and a phrasing scores by how much of the question it explains and
how much of itself the question covers. A word the knowledge base has never seen weighs
heavily against every phrasing: that is what keeps "pogoda w Kielcach" from being
answered with the venue.

Bands: answer (confident, clear margin over the next entry), suggest (up to 3 entries),
fallback. Press questions are recognised by their words and handed off.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from faq.knowledge import LANGS, OFF_TOPIC, KnowledgeBase
from faq.normalize import generic_terms, guess_language, mentions_press, tokens

Kind = Literal["answer", "suggest", "handoff", "fallback"]
GENERIC_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class Thresholds:
    answer: float = 0.55
    margin: float = 0.02
    suggest: float = 0.45
    coverage: float = 0.4
    query_weight: float = 0.65
    unknown: float = 0.8
    entry_share: float = 0.5
    off_topic: float = 0.4


@dataclass(frozen=True, slots=True)
class Match:
    kind: Kind
    entry: str | None
    score: float
    lang: str | None
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: str
    lang: str | None
    weights: dict[str, float]
    total: float


class Matcher:
    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None) -> None:
        self.kb = kb
        self.thresholds = thresholds or Thresholds()
        self._handoff_entries = [e.id for e in kb if e.handoff == "media"]
        self._off_topic = {e.id for e in kb if e.category == OFF_TOPIC}
        texts: list[tuple[str, str | None, list[str]]] = []
        self._surface: dict[str, str] = {}  # a word as typed (folded) -> its term
        for entry in kb:
            sources = [(lang, q) for lang in LANGS for q in entry.questions[lang]]
            sources += [(None, keyword) for keyword in entry.keywords]
            for lang, text in sources:
                found = tokens(text)
                for term, surface in found:
                    self._surface.setdefault(surface, term)
                texts.append((entry.id, lang, [term for term, _ in found]))
        entries_with: dict[str, set[str]] = defaultdict(set)
        for entry_id, _, found in texts:
            for term in found:
                entries_with[term].add(entry_id)
        count = max(len(kb), 1)
        generic = generic_terms()
        self._idf = {
            t: GENERIC_WEIGHT if t in generic else math.log(1 + count / len(ids))
            for t, ids in entries_with.items()
        }
        # A word no entry uses weighs as much as the rarest word one entry uses.
        self._unknown_weight = math.log(1 + count) * self.thresholds.unknown
        self._entry_terms: dict[str, set[str]] = defaultdict(set)
        for entry_id, _, found in texts:
            self._entry_terms[entry_id].update(found)
        self._off_topic_terms = set().union(
            *(terms for entry_id, terms in self._entry_terms.items() if entry_id in self._off_topic)
        )
        self._vocabulary_of: dict[str, set[str]] = {lang: set() for lang in LANGS}
        for _, lang, found in texts:
            if lang:
                self._vocabulary_of[lang].update(found)
        self._phrasings: list[_Phrasing] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        seen: set[tuple[str, str | None, frozenset[str]]] = set()
        for entry_id, lang, found in texts:
            key = (entry_id, lang, frozenset(found))
            if not found or key in seen:  # "wrzesnia" and "września" make one phrasing
                continue
            seen.add(key)
            weights = {t: self._idf[t] for t in found}
            index = len(self._phrasings)
            self._phrasings.append(_Phrasing(entry_id, lang, weights, sum(weights.values())))
            for term in weights:
                self._postings[term].append(index)
        self._surfaces = [w for w, t in self._surface.items() if t in self._postings]
        self._lookup = lru_cache(maxsize=16384)(self._lookup_uncached)

    def _lookup_uncached(self, term: str, surface: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms a question's word stands for, with a similarity in (0, 1]:
        the same term, or the closest words as typed (a typo), best first."""
        if term in self._postings:
            return ((term, 1.0),)
        known = self._surface.get(surface)
        if known in self._postings:
            return ((known, 1.0),)
        if len(surface) < 4 or surface.isdigit():
            return ()
        cutoff = 75 if len(surface) < 6 else 80
        best: dict[str, float] = {}
        for word, score, _ in process.extract(
            surface, self._surfaces, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
        ):
            found = self._surface[word]
            best[found] = max(best.get(found, 0.0), score / 100)
        return tuple(sorted(best.items(), key=lambda item: -item[1])[:3])

    def match(self, question: str) -> Match:
        """Classify one question into answer / suggest / handoff / fallback."""
        t = self.thresholds
        query = list(dict.fromkeys(tokens(question)))
        lookups = [self._lookup(term, surface) for term, surface in query]
        scored = self._score(lookups)
        best_per_entry = {entry: (score, lang) for entry, (score, _, lang) in scored.items()}
        coverage_of = {entry: cover for entry, (_, cover, _) in scored.items()}
        ranked = sorted(best_per_entry.items(), key=lambda item: -item[1][0])
        guessed = guess_language(question)
        if mentions_press(question):
            entry = next((e for e, _ in ranked if e in self._handoff_entries), None)
            entry = entry or (self._handoff_entries[0] if self._handoff_entries else None)
            score = best_per_entry.get(entry, (0.0, None))[0] if entry else 0.0
            lang = self._language(lookups, guessed)
            return Match("handoff", entry, round(score, 3), lang)
        if not ranked:
            return Match("fallback", None, 0.0, guessed)
        top_id, (top, _) = ranked[0]
        if top_id in self._off_topic and top >= t.suggest:
            return Match("fallback", None, round(top, 3), guessed)
        ranked = [item for item in ranked if item[0] not in self._off_topic]
        if not ranked:
            return Match("fallback", None, 0.0, guessed)
        top_id, (top, _) = ranked[0]
        second = ranked[1][1][0] if len(ranked) > 1 else 0.0
        lang = self._language(lookups, guessed)
        coverage = coverage_of[top_id]
        if self._off_topic_share(lookups, top_id) >= t.off_topic:
            return Match("fallback", None, round(top, 3), guessed)
        if top >= t.answer and top - second >= t.margin and coverage >= t.coverage:
            kind: Kind = "handoff" if top_id in self._handoff_entries else "answer"
            return Match(kind, top_id, round(top, 3), lang)
        close = [e for e, (s, _) in ranked[:3] if s >= t.suggest and s >= top - 0.15]
        if top >= t.suggest and coverage >= t.coverage and close:
            return Match("suggest", None, round(top, 3), lang, close)
        return Match("fallback", None, round(top, 3), guessed)

    def closest(self, question: str) -> tuple[str, float] | None:
        """The entry nearest to a question however weak the match (off-topic examples
        included): where an unanswered question would belong. (entry id, score) or None."""
        query = list(dict.fromkeys(tokens(question)))
        scored = self._score([self._lookup(term, surface) for term, surface in query])
        if not scored:
            return None
        entry, (score, _, _) = max(scored.items(), key=lambda item: item[1][0])
        return entry, round(score, 3)

    def _score(
        self, lookups: list[tuple[tuple[str, float], ...]]
    ) -> dict[str, tuple[float, float, str | None]]:
        """The best phrasing of every entry sharing a distinctive term with the question
        (given as the vocabulary each of its words stands for):
        entry -> (score, share of the question it explains, language of that phrasing)."""
        if not lookups:
            return {}
        weights = [
            max((self._idf[w] for w, _ in found), default=self._unknown_weight)
            if found else self._unknown_weight
            for found in lookups
        ]
        # Only phrasings sharing a distinctive term are scored: one that shares only
        # "forum" with the question cannot explain enough of it to matter.
        strong = [found for found in lookups if found and self._idf[found[0][0]] > GENERIC_WEIGHT]
        seeds = strong or [found for found in lookups if found]
        candidates: set[int] = set()
        for found in seeds:
            for word, _ in found:
                candidates.update(self._postings[word])
        total_query = sum(weights)
        alpha = self.thresholds.query_weight
        best: dict[str, tuple[float, float, str | None]] = {}
        for index in candidates:
            phrasing = self._phrasings[index]
            present = phrasing.weights
            explained = covered = 0.0
            for weight, found in zip(weights, lookups, strict=True):
                similarity = gain = 0.0
                for word, sim in found:
                    if word in present and sim > similarity:
                        similarity, gain = sim, present[word] * sim
                explained += weight * similarity
                covered += gain
            query_cover = explained / total_query
            score = alpha * query_cover + (1 - alpha) * min(1.0, covered / phrasing.total)
            kept = best.get(phrasing.entry)
            if kept is None or score > kept[0]:
                best[phrasing.entry] = (score, query_cover, phrasing.lang)
        share = self.thresholds.entry_share
        if share:
            # A long question may be explained by several phrasings of one entry together.
            for entry_id, (score, query_cover, lang) in best.items():
                vocabulary = self._entry_terms[entry_id]
                explained = sum(
                    weight * max((sim for word, sim in found if word in vocabulary), default=0.0)
                    for weight, found in zip(weights, lookups, strict=True)
                )
                entry_cover = explained / total_query
                cover = (1 - share) * query_cover + share * max(entry_cover, query_cover)
                best[entry_id] = (score + alpha * (cover - query_cover), cover, lang)
        return best

    def _off_topic_share(
        self, lookups: list[tuple[tuple[str, float], ...]], entry_id: str
    ) -> float:
        """How much of the question only the off-topic examples explain ("capital" in "the
        capital of Taiwan"): words that point away from the entry that matched best."""
        vocabulary = self._entry_terms[entry_id]
        total = away = 0.0
        for found in lookups:
            weight = max((self._idf[w] for w, _ in found), default=self._unknown_weight)
            total += weight
            words = {w for w, _ in found}
            if words and not words & vocabulary and words & self._off_topic_terms:
                away += weight
        return away / total if total else 0.0

    def _language(
        self, lookups: list[tuple[tuple[str, float], ...]], guessed: str | None
    ) -> str | None:
        """The question's language: its own words, else the language only one side uses."""
        if guessed:
            return guessed
        matched = [found[0][0] for found in lookups if found]
        only = {
            lang: sum(
                t in self._vocabulary_of[lang] and t not in self._vocabulary_of[other]
                for t in matched
            )
            for lang, other in (("pl", "en"), ("en", "pl"))
        }
        if only["pl"] != only["en"]:
            return "pl" if only["pl"] > only["en"] else "en"
        return None


def find_collisions(kb: KnowledgeBase) -> list[str]:
    """Phrasings that reduce to the same terms in two different entries."""
    owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    originals: dict[tuple[str, ...], str] = {}
    for entry in kb:
        for lang in LANGS:
            for question in entry.questions[lang]:
                key = tuple(sorted({term for term, _ in tokens(question)}))
                if not key:
                    continue
                owners[key].add(entry.id)
                originals.setdefault(key, question)
    return [
        f"phrasing '{originals[key]}' collides in entries {', '.join(sorted(ids))}"
        for key, ids in owners.items()
        if len(ids) > 1
    ]
