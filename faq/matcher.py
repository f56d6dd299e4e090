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
from faq.normalize import generic_terms, guess_language, mentions_press, terms

Kind = Literal["answer", "suggest", "handoff", "fallback"]
GENERIC_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class Thresholds:
    answer: float = 0.55
    margin: float = 0.02
    suggest: float = 0.45
    coverage: float = 0.4
    query_weight: float = 0.65
    unknown: float = 1.2


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
        for entry in kb:
            for lang in LANGS:
                for question in entry.questions[lang]:
                    texts.append((entry.id, lang, terms(question)))
            for keyword in entry.keywords:
                texts.append((entry.id, None, terms(keyword)))
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
        self._vocabulary_of: dict[str, set[str]] = {lang: set() for lang in LANGS}
        for _, lang, found in texts:
            if lang:
                self._vocabulary_of[lang].update(found)
        self._phrasings: list[_Phrasing] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        for entry_id, lang, found in texts:
            if not found:
                continue
            weights = {t: self._idf[t] for t in found}
            index = len(self._phrasings)
            self._phrasings.append(_Phrasing(entry_id, lang, weights, sum(weights.values())))
            for term in weights:
                self._postings[term].append(index)
        self._vocabulary = list(self._postings)
        self._lookup = lru_cache(maxsize=16384)(self._lookup_uncached)

    def _lookup_uncached(self, term: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms this question term stands for, with a similarity in (0, 1]."""
        if term in self._postings:
            return ((term, 1.0),)
        if len(term) < 4 or term.isdigit():
            return ()
        cutoff = 75 if len(term) < 6 else 80
        found = process.extract(
            term, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
        )
        return tuple((word, score / 100) for word, score, _ in found)

    def match(self, question: str) -> Match:
        """Classify one question into answer / suggest / handoff / fallback."""
        t = self.thresholds
        query = list(dict.fromkeys(terms(question)))
        scored = self._score(query)
        best_per_entry: dict[str, tuple[float, str | None]] = {}
        coverage_of: dict[str, float] = {}
        for score, query_cover, phrasing in scored:
            if phrasing.entry not in best_per_entry:
                best_per_entry[phrasing.entry] = (score, phrasing.lang)
                coverage_of[phrasing.entry] = query_cover
        ranked = sorted(best_per_entry.items(), key=lambda item: -item[1][0])
        guessed = guess_language(question)
        if mentions_press(question):
            entry = next((e for e, _ in ranked if e in self._handoff_entries), None)
            entry = entry or (self._handoff_entries[0] if self._handoff_entries else None)
            score = best_per_entry.get(entry, (0.0, None))[0] if entry else 0.0
            lang = self._language(entry, query, guessed, best_per_entry)
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
        lang = self._language(top_id, query, guessed, best_per_entry)
        coverage = coverage_of[top_id]
        if top >= t.answer and top - second >= t.margin and coverage >= t.coverage:
            kind: Kind = "handoff" if top_id in self._handoff_entries else "answer"
            return Match(kind, top_id, round(top, 3), lang)
        close = [e for e, (s, _) in ranked[:3] if s >= t.suggest and s >= top - 0.15]
        if top >= t.suggest and coverage >= t.coverage and close:
            return Match("suggest", None, round(top, 3), lang, close)
        return Match("fallback", None, round(top, 3), guessed)

    def _score(self, query: list[str]) -> list[tuple[float, float, _Phrasing]]:
        """Every phrasing sharing a term with the query, best first."""
        if not query:
            return []
        query_weights: list[float] = []
        matched: dict[int, list[float]] = {}
        covered: dict[int, float] = defaultdict(float)
        for position, term in enumerate(query):
            candidates = self._lookup(term)
            if not candidates:
                query_weights.append(self._unknown_weight)
                continue
            query_weights.append(max(self._idf[w] for w, _ in candidates))
            best_here: dict[int, tuple[float, float]] = {}
            for word, similarity in candidates:
                weight = self._idf[word]
                for index in self._postings[word]:
                    gain = weight * similarity
                    if index not in best_here or best_here[index][0] < gain:
                        best_here[index] = (gain, similarity)
            for index, (gain, similarity) in best_here.items():
                matched.setdefault(index, [0.0] * len(query))[position] = similarity
                covered[index] += gain
        total_query = sum(query_weights)
        alpha = self.thresholds.query_weight
        results: list[tuple[float, float, _Phrasing]] = []
        for index, similarities in matched.items():
            phrasing = self._phrasings[index]
            explained = sum(w * s for w, s in zip(query_weights, similarities, strict=True))
            query_cover = explained / total_query
            phrasing_cover = min(1.0, covered[index] / phrasing.total)
            score = alpha * query_cover + (1 - alpha) * phrasing_cover
            results.append((score, query_cover, phrasing))
        results.sort(key=lambda item: -item[0])
        return results

    def _language(
        self,
        entry_id: str | None,
        query: list[str],
        guessed: str | None,
        best: dict[str, tuple[float, str | None]],
    ) -> str | None:
        """The question's language: its own words, else the language only one side uses."""
        if guessed:
            return guessed
        only = {
            lang: sum(
                t in self._vocabulary_of[lang] and t not in self._vocabulary_of[other]
                for t in query
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
                key = tuple(sorted(set(terms(question))))
                if not key:
                    continue
                owners[key].add(entry.id)
                originals.setdefault(key, question)
    return [
        f"phrasing '{originals[key]}' collides in entries {', '.join(sorted(ids))}"
        for key, ids in owners.items()
        if len(ids) > 1
    ]
