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
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from faq.classifier import SURE, ChatClassifier
from faq.knowledge import LANGS, OFF_TOPIC, KnowledgeBase
from faq.message import APOLOGIES, CHECK_WORDS, LEAD_IN, POINTERS, QUESTION_WORDS, Clause, quoted, read
from faq.normalize import (
    HELP_LANGUAGE,
    LEXICON,
    cased_words,
    common_word,
    english_word,
    everyday,
    fold,
    generic_terms,
    language_of_word,
    leaning,
    lexicon_words,
    mentions_press,
    raw_words,
    small_talk,
    stem,
    tokens,
    words,
)
from faq.premise import (
    DATE_WORDS,
    EDITION_FACTS,
    FAMILY,
    MONTH_WORDS,
    NEXT_EDITION,
    PREVIOUS_EDITION,
    PREVIOUS_WORDS,
    Claim,
    Facts,
    about_next_edition,
    elsewhere,
    find_claim,
    names_event,
)

Kind = Literal["answer", "suggest", "handoff", "fallback"]
GENERIC_WEIGHT = 0.3
MAX_ENTRIES = 3  # a message asking more gets the first three
SHORTLIST = 6  # entries scored phrasing by phrasing at a time, most promising first
GENERAL_CONTACTS = "contacts"  # every contact; a question about one matter gets its own
ORGANISATION = "contact_organisation"  # changes to one's registration go there
REGISTRATION = "registration"
AUDIENCE = "audience"
WEBSITE = "website"  # in the contacts category, but no person to write to
WHERE = frozenset({"venue", "address"})
# Words that make a question about what was just named ("Is it connected to the organiser?")
_IT = frozenset({"it", "its", "this", "that", "to", "ta", "ten", "tego", "tym", "tej", "ja", "je"})
HALL = "hall"  # where inside the fair: a guest already there asks this
_ON_SITE = lexicon_words("on_site_words")
_HERE = lexicon_words("here_words")
# The "about" entries on the forum itself, not on something with a name of its own, and
# the host exhibition, which has one.
THE_FORUM = frozenset({"about", "topics"})
HOST = "mspo"
# A journalist asking to take part, register or record asks it as press: the press desk's.
AS_PRESS = frozenset({"invitation", "registration", "terms", "streaming"})
TOPIC_WORDS = 3  # a topic listed in a question ("the address", "dress code") is this short
# What joins listed topics: "i", "oraz", "and", "&", "+".
_LIST_JOINS = re.compile(r"\s+(?:i|oraz|and|[&+])\s+")
_WITH = re.compile(r"\b(?:with|including)\b", re.I)
# "my Polish is bad", "I don't speak Polish", "słabo mówię po angielsku" (folded text)
_WEAK_IN = re.compile(
    r"\b(?P<pl>my polish is (?:\w+ )?(?:bad|poor|weak|limited|not (?:so |very )?good)"
    r"|(?:don'?t|do not|can'?t|cannot) (?:really )?(?:speak|write|read|understand) polish)"
    r"|\b(?:nie|slabo|kiepsko|troche) (?:mowie|pisze|rozumiem|znam) (?:po )?angielsk")
_MODIFIERS = lexicon_words("topic_modifiers")
_CONTACT_WORDS = lexicon_words("contact_words")
# A Polish past tense, folded: "kosztow|al", "prowadz|i|l", "trw|a|lo".
_PAST = re.compile(r"(?P<base>[a-z]{3,}?)(?P<vowel>owa|a|i|y|e)l(?:a|o|i|y|em|am|es|as)?")
_PAST_SIMILARITY = 0.9
_CHANGE_STRONG = lexicon_words("change_strong_words", "cancel_words")
_CHANGE_WEAK = lexicon_words("change_weak_words")
_REGISTRATION = lexicon_words("registration_words")
_FIRST_PERSON = lexicon_words("first_person_words")
_CANCEL_WORDS = lexicon_words("cancel_words")
_CANCEL_PHRASES: dict[str, list[tuple[str, ...]]] = defaultdict(list)  # by first word
for _words_of in (tuple(phrase.split()) for phrase in LEXICON["cancel_phrases"]):
    _CANCEL_PHRASES[_words_of[0]].append(_words_of)
_THIS_EDITION = lexicon_words("this_edition_words")
_EVENT_NAMES = lexicon_words("event_names")
# A name something is likened to ("aplikacja jak Bądź Gotów", "an app like Be Ready"); not
# what one would like ("I'd like MSPO tickets").
_LIKING = frozenset({"would", "d", "i", "we", "you", "they", "should"})
_COMPARED = re.compile(
    r"\b(?:jak|like|podobn\w*\s+do|typu|such\s+as)\s+"
    r"((?:[A-ZĄĆĘŁŃÓŚŹŻ\"„'][\w\"”'-]*\s*){1,4})")
_WHAT_IS_IT = lexicon_words("what_is_it_words")
_WHERE_WHEN = lexicon_words("where_when_words")
_PRO_VERBS = lexicon_words("pro_verbs")
_WHAT_ASKED = frozenset({"co", "what", "czym", "explain", "wyjasnic", "wytlumaczyc"})
_GIVEN = {(a, b) for a in ("since", "as") for b in ("the", "it", "its", "this", "forum")}
MODEL_WORDS = 2  # one word ("elo", "parking") is the matcher's alone: nothing around it to weigh
SHORT_QUESTION = 6  # words; in a question this short, a word the chat model never saw ...
UNKNOWN_LETTERS = 4  # ... of this many letters or more leaves it to the matcher
OVERRULE_SCORE = 0.9  # a longer message's single answer scored below this ...
OVERRULE_SURE = 0.7  # ... gives way to the chat model's other entry this likely
REACH = 0.15  # an entry that cannot score within this of the best changes no band decision


@dataclass(frozen=True, slots=True)
class Thresholds:
    answer: float = 0.55
    margin: float = 0.02
    suggest: float = 0.45
    coverage: float = 0.42
    query_weight: float = 0.65
    unknown: float = 0.8
    entry_share: float = 0.5
    off_topic: float = 0.4
    single: float = 0.12  # a lone "did you mean" this far ahead of the next entry is answered
    context: float = 0.5  # how much a known word of the context counts
    intro: float = 0.2  # ... and of a self-introduction ("we come from Ukraine")
    claim_unknown: float = 0.3  # ... and one in a statement to confirm
    vague: float = 1.6  # a question with no word rarer than this names nothing ("who?", "co?")
    topic_words: int = 4  # "Parking –", "muszę odwołać swój udział,": a topic before the question
    everyday: float = 5.0  # an unknown word this common (Zipf: "jednak", "our") ...
    harmless: float = 0.3  # ... counts this much against an entry
    name: float = 2.0  # an unknown name (capitalised, in no dictionary) counts this much
    new_question: float = 0.25  # a further clause's own entry beats those answered by this
    further_coverage: float = 0.1  # a further question beside one answered may explain less


@dataclass(frozen=True, slots=True)
class Match:
    kind: Kind
    entry: str | None
    score: float
    lang: str | None
    suggestions: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)  # every entry answered, `entry` first
    claim: Claim | None = None  # a statement the question asks to confirm


@dataclass(frozen=True, slots=True)
class _Verdict:
    """The band of one asked clause."""

    kind: Kind
    entry: str | None
    score: float
    suggestions: list[str] = field(default_factory=list)
    claim: Claim | None = None
    away: bool = False  # it is one of the things we do not answer (weather, restaurants...)


@dataclass(frozen=True, slots=True)
class _Reading:
    """A question as the matcher reads it: what each word may stand for (vocabulary terms
    with a similarity), and how much each word counts (1 for what is asked)."""

    lookups: list[tuple[tuple[str, float], ...]]
    scales: list[float]
    asked: list[bool]  # False: said beside the question; it may help an entry, never hurt

    def plus(self, other: _Reading) -> _Reading:
        return _Reading(self.lookups + other.lookups, self.scales + other.scales,
                        self.asked + other.asked)


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: str
    lang: str | None
    weights: dict[str, float]
    total: float


class Matcher:
    def __init__(
        self, kb: KnowledgeBase, thresholds: Thresholds | None = None, facts: Facts | None = None,
        model: ChatClassifier | None = None,
    ) -> None:
        self.kb = kb
        self.model = model  # a second opinion where the matcher cannot place a message
        self.thresholds = thresholds or Thresholds()
        self.facts = facts  # the event's facts, to tell which of several claims is wrong
        # the event's own places as declined ("kielc": Kielce, w Kielcach)
        self._own_places = frozenset(p[:-1] if len(p) > 4 else p
                                     for p in (facts.places if facts else ()))
        self._handoff_entries = [e.id for e in kb if e.handoff == "media"]
        self._off_topic = {e.id for e in kb if e.category == OFF_TOPIC}
        self._contacts = {e.id for e in kb if e.category == "contacts"}
        self._people = self._contacts - {WEBSITE}  # the contacts that are someone to write to
        texts: list[tuple[str, str | None, list[str]]] = []
        self._surface: dict[str, str] = {}  # a word as typed (folded) -> its term
        for entry in kb:
            sources = [(lang, q) for lang in LANGS for q in entry.questions[lang]]
            sources += [(None, keyword) for keyword in entry.keywords]
            if entry.category != OFF_TOPIC:  # the title names the topic too ("Wi-Fi", "Dress code")
                sources += [(lang, entry.title[lang]) for lang in LANGS]
            for lang, text in sources:
                found = tokens(text)
                for term, surface in found:
                    self._surface.setdefault(surface, term)
                texts.append((entry.id, lang, [term for term, _ in found]))
        entries_with: dict[str, set[str]] = defaultdict(set)
        self._entries_with = entries_with  # term -> the entries whose phrasings use it
        for entry_id, _, found in texts:
            for term in found:
                entries_with[term].add(entry_id)
        count = max(len(kb), 1)
        generic = self._generic = generic_terms()
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
        self._date_terms = {stem(w) for w in DATE_WORDS}
        self._on_topic_terms = set().union(
            *(terms for entry_id, terms in self._entry_terms.items()
              if entry_id not in self._off_topic)
        )
        self._terms_of: dict[str, set[str]] = {lang: set() for lang in LANGS}
        for _, lang, found in texts:
            if lang:
                self._terms_of[lang].update(found)
        # Words as typed that only one language's phrasings use ("trwa", "starts").
        typed: dict[str, set[str]] = {lang: set() for lang in LANGS}
        for entry in kb:
            for lang in LANGS:
                for question in entry.questions[lang]:
                    typed[lang].update(fold(w) for w in raw_words(question))
        self._word_language = {
            word: lang for lang, other in (("pl", "en"), ("en", "pl"))
            for word in typed[lang] - typed[other]
        }
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
        self._postings_by_entry: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for term, indices in self._postings.items():
            for index in indices:
                entry_id = self._phrasings[index].entry
                self._postings_by_entry[term].setdefault(entry_id, []).append(index)
        # Words that name a topic: the entries' titles ("MSPO", "Parking", "Wi-Fi").
        # ("Who it is for" names nothing: "who" asks.)
        self._titles = {term for entry in kb if entry.category != OFF_TOPIC
                        for title in entry.title.values() for term, surface in tokens(title)
                        if surface not in QUESTION_WORDS}
        # The words that name each entry: its keywords and its title.
        self._named = {entry.id: {term for text in (*entry.keywords, *entry.title.values())
                                  for term, _ in tokens(text)} for entry in kb}
        # Words that name a topic: keywords and title words, not a title's question word
        # ("Who it is for").
        asking = {term for word in QUESTION_WORDS for term, _ in tokens(word)}
        self._topic_terms = set().union(*self._named.values()) - asking
        self._lookup = lru_cache(maxsize=16384)(self._lookup_uncached)
        self._weight = lru_cache(maxsize=16384)(self._weight_uncached)
        # (a message's clauses are read again beside one another: a few messages' worth)
        self._words = lru_cache(maxsize=256)(self._words_uncached)
        everyday("")  # load the everyday word lists now (~0.3 s once), not on a guest's question

    def knows(self, text: str) -> bool:
        """Whether every meaningful word of `text` is in the knowledge base's vocabulary."""
        return all(term in self._postings for term, _ in tokens(text))

    def _lookup_uncached(self, term: str, surface: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary terms a question's word stands for, with a similarity in (0, 1]:
        the same term, or the closest words as typed (a typo), best first."""
        if term in self._postings:
            return ((term, 1.0),)
        known = self._surface.get(surface)
        if known in self._postings:
            return ((known, 1.0),)
        past = _PAST.fullmatch(surface)
        if past and not english_word(surface):
            # "kosztował", "prowadził": a Polish past tense is the verb's present
            # ("kosztuje" → koszt, "prowadzi"), where the knowledge base has that stem
            for base in (past["base"] + past["vowel"], past["base"]):
                if (found := stem(base)) in self._postings:
                    return ((found, _PAST_SIMILARITY),)
        if len(surface) < 4 or surface.isdigit() or common_word(surface):
            return ()  # "rock" is no typo of "rok", nor "remove" of "remote"
        cutoff = 80  # one letter in four changed is another word ("test", "best")
        best: dict[str, float] = {}
        slack = 1 if len(surface) < 6 else 2  # a typo keeps a word's length, near enough
        for word, score, _ in process.extract(
            surface, self._surfaces, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
        ):
            if abs(len(word) - len(surface)) > slack:
                continue
            found = self._surface[word]
            best[found] = max(best.get(found, 0.0), score / 100)
        return tuple(sorted(best.items(), key=lambda item: (-item[1], item[0]))[:3])

    def match(self, question: str, chat_lang: str | None = None) -> Match:
        """Classify one message into answer / suggest / handoff / fallback (`_read_message`),
        then ask the chat model, if there is one, where the matcher is unsure:
        - a message the matcher cannot place (a fallback or a "did you mean") that the
          model places surely (`SURE`) gets the model's entry, unless it is a greeting or
          thanks, one word, or a short question with a word the model never saw;
        - a longer message the matcher answers with one entry, weakly and not as a claim to
          check, gets the model's other entry when the model is surer still
          (`OVERRULE_SURE`): the words around the question pulled the matcher away."""
        found = self._read_message(question, chat_lang)
        if self.model is None or small_talk(question):
            return found
        said = words(question)
        if found.kind in ("fallback", "suggest"):
            if len(said) < MODEL_WORDS or (len(said) <= SHORT_QUESTION and not all(
                    self.model.knows(w) for w in said if len(w) >= UNKNOWN_LETTERS)):
                # "czy jest szatnia dla psów?": a word no one has asked with, in a short
                # question, is what it asks; the matcher's honest "not here" stands
                return found
            sure = SURE
        elif (found.kind == "answer" and len(found.entries) == 1 and found.claim is None
              and found.score < OVERRULE_SCORE and len(said) > SHORT_QUESTION):
            sure = OVERRULE_SURE
        else:
            return found
        entry, probability = self.model.guess(question)
        if (entry is None or probability < sure or entry == found.entry
                or entry not in self.kb.entries):
            return found
        kind: Kind = "handoff" if entry in self._handoff_entries else "answer"
        return Match(kind, entry, round(probability, 3), found.lang, [], [entry])

    def _read_message(self, question: str, chat_lang: str | None = None) -> Match:
        """Classify one message into answer / suggest / handoff / fallback. Each clause
        that asks is matched on its own (what else the message says may lend a known word,
        never an unknown one); two questions answered with confidence give two entries.
        `chat_lang` is the language the chat has been in: a short follow-up that does not
        say otherwise clearly keeps it."""
        if question.isupper():
            question = question.lower()  # "CZY ORGANIZATOR ZAPEWNIA NOCLEG": shouted, no names
        clauses = self._unjoined(self._topic_lists(_hearsay(read(question), self.facts)))
        asked = [c for c in clauses if c.role == "question"]
        lang = self._language(clauses, chat_lang)
        if not asked:
            if lang is None and small_talk(question) == "help":
                # "help", "pomocy": asked in that word's language
                lang = next((HELP_LANGUAGE[w] for w in words(question) if w in HELP_LANGUAGE),
                            None)
            return Match("fallback", None, 0.0, lang)
        said = [c for c in clauses if c.role in ("context", "intro")]
        press_said = any(mentions_press(c.text) for c in said) and mentions_press(question)
        readings = [self._read(c, said + self._antecedent(c, asked, said)) for c in asked]
        verdicts = [self._confirm(c, self._answer(r, mentions_press(c.text), c.checks))
                    for c, r in zip(asked, readings, strict=True)]
        verdicts = [self._own_words(c, v) for c, v in zip(asked, verdicts, strict=True)]
        verdicts = [self._alone(c, v) for c, v in zip(asked, verdicts, strict=True)]
        verdicts = [self._ask_about_context(c, v, said)
                    for c, v in zip(asked, verdicts, strict=True)]
        verdicts = self._something_new(verdicts, asked, said)
        verdicts = self._further(verdicts, asked, readings)
        verdicts = [self._person_contact(c, v, clauses) for c, v in zip(asked, verdicts, strict=True)]
        # (not a tag: "… no registration is needed - correct?" corrects nothing)
        stated = " ".join(c.text for c in clauses if c.role != "small")
        if _changes_registration(stated) and ORGANISATION in self.kb.entries:
            # "proszę mnie skreślić", "I made a typo in my surname in the form, how do I fix
            # it?": an unsure reading of a change to one's registration is the organisers'
            unsure = not any(v.kind in ("answer", "handoff") for v in verdicts)
            # ("musimy odwołać jego udział. Gdzie to zgłosić?", "I can't make it, whom should I
            # tell?": whom to tell, not how to sign up nor whom the forum is for)
            cancels = _cancels(stated)
            verdicts = [_Verdict("answer", ORGANISATION, max(v.score, self.thresholds.answer))
                        if (unsure and v.kind in ("suggest", "fallback"))
                        or (cancels and v.claim is None
                            and (v.entry in (REGISTRATION, AUDIENCE) or self._vague(c)))
                        else v for c, v in zip(asked, verdicts, strict=True)]
        if self.facts is not None:
            # "Jak dojechać do Zakopanego?": somewhere else than the event is not our topic.
            verdicts = [_Verdict("fallback", None, v.score, away=True)
                        if v.kind == "answer" and v.claim is None
                        and elsewhere(c.text, self.facts) else v
                        for c, v in zip(asked, verdicts, strict=True)]
            # (a later question says which edition only for one listed with it, "Kiedy i
            # gdzie będzie IFRE-EXPO?"; not "kiedy jest forum w tym roku i kiedy następne?")
            verdicts = [self._next_edition(c, v, said + [
                a for a in asked if a.position < c.position or c.listed or c.bare])
                for c, v in zip(asked, verdicts, strict=True)]
        verdicts = self._what_it_is(verdicts, asked)
        if HALL in self.kb.entries and any(_on_site(c) for c in clauses):
            # "gdzie to jest bo się zgubiłem na tych targach": the hall, not the address
            verdicts = [replace(v, entry=HALL) if v.kind == "answer" and v.claim is None
                        and v.entry in WHERE else v for v in verdicts]
        verdicts = [self._previous_edition(c, v) for c, v in zip(asked, verdicts, strict=True)]
        # (a request after the question is one of its own: "…o której zaczyna się forum?
        # Chcemy przyjechać z kamerą.")
        last_fact = max((c.position for c, v in zip(asked, verdicts, strict=True)
                         if v.kind == "answer"), default=-1)
        asking = [(c, v) for c, v in zip(asked, verdicts, strict=True)
                  if not (c.wish and v.kind == "handoff" and c.position < last_fact)]
        if asking and len(asking) < len(asked) and self._facts_asked(
                [v for _, v in asking], [c for c, _ in asking]):
            # "Do artykułu potrzebuję jednej informacji: ilu było w Piasecznie?": a request
            # that says who asks leads into a question of fact; the fact is the answer.
            asked, verdicts = [c for c, _ in asking], [v for _, v in asking]
        asked, verdicts = self._named_over_done(asked, verdicts)
        paired = list(zip(asked, verdicts, strict=True))
        verdicts = self._distinct(verdicts, asked)
        if press_said and not self._facts_asked(verdicts, asked):
            # A journalist introduced: what they ask is for the press desk, unless it is only
            # facts we answer ("news agency here, which countries take part?").
            handed = self._hand_off(self._read_all(asked, said), lang)
            # "…Jak uzyskać akredytację? I o której startuje?": a question of fact in a
            # sentence of its own, beside the press request, is answered too.
            requests = {c.sentence for c, v in paired if v.kind == "handoff"}
            facts = [v.entry for c, v in paired
                     if requests and c.sentence not in requests and v.kind == "answer"
                     and v.entry and v.entry not in AS_PRESS | self._contacts | {handed.entry}]
            return replace(handed, entries=[*handed.entries, *facts][:MAX_ENTRIES])
        sure = [v for v in verdicts if v.kind in ("answer", "handoff")]
        if any(v.kind == "handoff" for v in sure):
            # A journalist asking whom to write to means the media contact; the press desk
            # is handed one request, the one its words name best ("TV here, we need
            # accreditation": accreditation).
            handed = max((v for v in sure if v.kind == "handoff"), key=lambda v: v.score)
            # (the website is no one to write to: "send me the website and also who
            # handles media stuff?" gets both)
            sure = [v for v in sure if v is handed
                    or (v.kind != "handoff" and v.entry not in self._people)]
        if not sure and len(asked) > 1:
            sure = [v for v in [self._answer(self._read_all(asked, said), False)]
                    if v.kind in ("answer", "handoff")]
        if sure:
            # One contact per reply: the one its question named best ("Can we present our
            # project? Who do I write to?" is one matter).
            contacts = [v for v in sure if v.entry in self._people]
            # ("Kto jest kontaktem w sprawach programu, a kto w sprawach organizacyjnych?":
            # two contacts, each named by its own question, are both asked for)
            if len(contacts) > 1 and not {v.entry for v in contacts} <= {
                    v.entry for c, v in paired
                    if not c.yes_no and v.entry in self._names(c.text)}:
                best = max(contacts, key=lambda v: (v.entry != GENERAL_CONTACTS, v.score))
                sure = [v for v in sure if v is best or v not in contacts]
            entries = list(dict.fromkeys(v.entry for v in sure if v.entry))[:MAX_ENTRIES]
            first = sure[0]
            claims = [v.claim for v in sure if v.claim is not None]
            return Match(first.kind, first.entry, first.score, lang, [], entries,
                         claims[0] if claims else None)
        best = max(verdicts, key=lambda v: (v.kind == "suggest", v.score))
        return Match(best.kind, None, best.score, lang, best.suggestions)

    def _facts_asked(self, verdicts: list[_Verdict], asked: list[Clause]) -> bool:
        """Every question answered with a fact, none of them about the press or a contact."""
        return all(v.kind == "answer" and v.entry not in self._contacts | AS_PRESS
                   for v in verdicts) and not any(mentions_press(c.text) for c in asked)

    def _topic_lists(self, clauses: list[Clause]) -> list[Clause]:
        """"godzina i adres?", "time and place pls", "what's the date and the address?",
        "data, godzina, miejsce?": topics listed in a question, each naming a different
        entry by a keyword or its title, are asked one by one."""
        result: list[Clause] = []
        for clause in clauses:
            if clause.role != "question":
                result.append(clause)
                continue
            parts = [p for p in _LIST_JOINS.split(clause.text) if words(p)]
            # ("an app with the schedule and maps?": what the app has, not two questions)
            if len(parts) > 1 and not _WITH.search(parts[0]) and self._topic(
                    parts[0], lead_in=True) and all(
                    self._topic(p) for p in parts[1:]) and _distinct_names(
                    [self._names(p) for p in parts]):
                result.extend(replace(clause, text=p, words=tuple(words(p)), listed=True)
                              for p in parts)
                continue
            listed = 0  # topics just before it in its sentence: "data, godzina, miejsce?"
            while (len(result) > listed and result[-1 - listed].role == "context"
                   and result[-1 - listed].sentence == clause.sentence
                   and self._topic(result[-1 - listed].text)):
                listed += 1
            topics = [*result[len(result) - listed:], clause]
            if listed and self._topic(clause.text) and _distinct_names(
                    [self._names(c.text) for c in topics]):
                result[len(result) - listed:] = [replace(c, role="question", listed=True)
                                                 for c in topics[:-1]]
                clause = replace(clause, listed=True)
            result.append(clause)
        # "1) data 2) godzina 3) adres": questions that each only name a topic
        for sentence in {c.sentence for c in result if c.role == "question"}:
            run = [i for i, c in enumerate(result) if c.sentence == sentence
                   and c.role == "question" and not c.listed]
            if len(run) > 1 and all(self._topic(result[i].text) and len(
                    [w for w in result[i].words if not w.isdigit()]) <= 2 for i in run) and (
                    _distinct_names([self._names(result[i].text) for i in run])):
                for i in run:
                    result[i] = replace(result[i], listed=True)
        return result

    def _unjoined(self, clauses: list[Clause]) -> list[Clause]:
        """"Czy jest parking, a jeśli tak, to gdzie?" asks where the parking is; "Czy
        obowiązuje dress code, a gdzie to jest?" asks where the forum is: a bare question
        joined to the one before it asks about that one's subject only if its entry is ever
        asked so (the parking's phrasings ask where, the dress code's never do)."""
        if not any(c.then for c in clauses):
            return clauses
        said = [c for c in clauses if c.role in ("context", "intro")]
        result: list[Clause] = []
        for clause in clauses:
            if not clause.then:
                result.append(clause)
                continue
            text = clause.text.removesuffix(clause.then).strip()
            head = replace(clause, text=text, words=tuple(words(text)), then="")
            verdict = self._answer(self._read(head, said), mentions_press(text), head.checks)
            if verdict.kind != "answer" or verdict.entry is None or self._asked_so(
                    verdict.entry, clause.then):
                result.append(clause)
                continue
            bare = replace(clause, text=clause.then, words=tuple(words(clause.then)), then="",
                           checks=False)
            result += [head, bare]
        return result

    def _own_words(self, clause: Clause, verdict: _Verdict) -> _Verdict:
        """"Z Gruzji przyjedzie delegacja, kiedy dokładnie jest forum?": what was said
        beside a question lends it only an entry ever asked so; the countries are never
        asked when, so the question is read on its own words."""
        if verdict.kind != "answer" or verdict.entry is None or verdict.claim is not None \
                or _WHERE_WHEN.isdisjoint(clause.words) or self._asked_so(verdict.entry, clause.text):
            return verdict  # (where and when: what else is asked, "co", "kto", may borrow)
        own = self._answer(self._read(clause, []), mentions_press(clause.text), clause.checks)
        if own.kind == "answer" and own.entry is not None and self._asked_so(
                own.entry, clause.text):
            return own
        return verdict

    def _asked_so(self, entry_id: str, text: str) -> bool:
        """Whether the entry is ever asked with the question words of the text ("gdzie"
        for the parking, never for the dress code), or the text has none."""
        asking = {term for term, surface in tokens(text) if surface in QUESTION_WORDS}
        return not asking or bool(asking & self._entry_terms[entry_id])

    def _topic(self, text: str, lead_in: bool = False) -> bool:
        """A short text that only names topics ("adres", "the date", "dress code pls"), or
        with `lead_in`, topics after words of asking ("Please confirm the date")."""
        # ("what's the date of the forum and the exact address?": the question word and the
        # event's own name before the first topic say nothing of it)
        found = [term for term, surface in tokens(text) if surface not in _MODIFIERS and not (
            lead_in and (surface in LEAD_IN or surface in QUESTION_WORDS
                         or term in self._generic))]
        return 0 < len(found) <= TOPIC_WORDS and all(t in self._topic_terms for t in found)

    def _names(self, text: str) -> frozenset[str]:
        """The entries a text names by a keyword or title word ("adres", "date")."""
        found = {term for term, _ in tokens(text)} & self._topic_terms
        return frozenset(e for e, named in self._named.items() if found & named)

    def _alone(self, clause: Clause, verdict: _Verdict) -> _Verdict:
        """"I saw the Forum is held at MSPO — but what is MSPO actually?": when what was said
        around it lifts other entries level with the one the question names, the question
        read alone decides among them."""
        if verdict.kind != "suggest" or clause.points_back:  # ("…jak się z nim skontaktować?")
            return verdict
        alone = self._answer(self._read(clause, []), False, clause.checks)
        # (sure alone, above the bar of a question on its own)
        return alone if (alone.kind == "answer" and alone.entry in verdict.suggestions
                         and alone.score >= self.thresholds.answer) else verdict

    def _ask_about_context(self, clause: Clause, verdict: _Verdict,
                           said: list[Clause]) -> _Verdict:
        """"Chciałbym zrezygnować z udziału. Co mam zrobić?", "whats the vibe, suits or
        casual?": a question that names nothing itself asks about what was said before it
        or beside it."""
        # (asking what "it" is, about what the writer said of themselves too: "We're very
        # interested in the resilience market idea you're launching. Could you explain
        # what it is?")
        roles = ("context", "intro") if _what_is_it(clause) else ("context",)
        context = [c for c in said if c.role in roles and not c.reason
                   and (c.position < clause.position or c.sentence == clause.sentence)]
        if verdict.kind == "handoff" or verdict.claim is not None or not context \
                or not _THIS_EDITION.isdisjoint(clause.words) or (
                    verdict.entry in THE_FORUM and not _EVENT_NAMES.isdisjoint(clause.words)):
            # ("byliśmy na forum w zeszłym roku. Gdzie będzie tegoroczne?": this year's;
            # "…first time in Poland. What is IRLF?": the forum)
            return verdict
        # "I need to change the name on our registration, who do I contact?": whom to
        # contact depends on what was said.
        general = verdict.entry == GENERAL_CONTACTS
        vague = self._vague(clause)
        if not (vague or _what_is_it(clause)) and not general:
            return verdict  # it names something ("co to jest MSPO?": a title)
        # the clause just before first ("U nas dużo się mówi o przygotowaniu mieszkańców.
        # Słyszałem, że ICCSS ma kluby odporności, co to takiego?"), then all of it
        nearest = [c for c in context if c.position < clause.position][-1:]
        for group in ([nearest, context] if nearest and _what_is_it(clause) else [context]):
            reading = self._words(clause.text, 1.0, 0.0)
            for other in group:
                reading = reading.plus(self._words(other.text, 1.0, 0.0))
            # ("Chciałbym prosić o wywiad z ambasadorem. Jak to załatwić?": a press request)
            press = mentions_press(clause.text) or any(
                o.wish and mentions_press(o.text) for o in group)
            retried = self._answer(reading, press)
            if general:
                return retried if retried.entry in self._contacts else verdict
            # (among what the question with its context came close to, if anything:
            # the hearsay at full weight must not pull it elsewhere)
            # (what the writer said of themselves only for a thing with a name of its own:
            # "…just saw a poster about IRLF. What is it exactly?" asks what the forum is)
            # ("…first time at MSPO. Where is it?": the first edition is never asked where)
            if retried.kind in ("answer", "handoff") and (
                    verdict.kind != "suggest" or retried.entry in verdict.suggestions) and (
                    self._a_name(retried.entry)
                    or (vague and all(o.role == "context" for o in group))) and (
                    retried.entry is None or self._asked_so(retried.entry, clause.text)):
                return retried
        return verdict

    def _something_new(self, verdicts: list[_Verdict], asked: list[Clause],
                       said: list[Clause]) -> list[_Verdict]:
        """"Czym jest Rynek Odporności i kto może w nim uczestniczyć?": a question pointing
        back that lands on the entry already answered asks something new about it; read
        it without what it points to."""
        result: list[_Verdict] = []
        for clause, verdict in zip(asked, verdicts, strict=True):
            earlier = {v.entry for v in result if v.kind in ("answer", "handoff")}
            lands_back = verdict.entry in earlier or (
                verdict.kind == "suggest" and earlier & set(verdict.suggestions))
            if clause.points_back and lands_back and verdict.claim is None:
                alone = self._answer(self._read(clause, said), mentions_press(clause.text))
                if alone.kind not in ("answer", "handoff") or alone.entry == GENERAL_CONTACTS:
                    # "Kim jest Paturej i jak się z nim skontaktować?": him is Paturej
                    own = " ".join(w for w in clause.text.split()
                                   if not set(words(w)) & POINTERS)
                    alone = self._answer(self._read(replace(clause, text=own), said).plus(
                        self._words(self._named_before(clause, asked), 1.0, 0.0)),
                        mentions_press(clause.text), exclude=earlier)
                if alone.kind in ("answer", "handoff") and alone.entry not in earlier:
                    verdict = alone
            result.append(verdict)
        return result

    def _further(self, verdicts: list[_Verdict], asked: list[Clause],
                 readings: list[_Reading]) -> list[_Verdict]:
        """"Czy będzie wifi? I czy organizator ma hotele z rabatem?": a question that
        opens as a further one ("i czy", "and who") beside a question answered is read
        with a lower bar."""
        if not any(v.kind in ("answer", "handoff") for v in verdicts):
            return verdicts
        return [self._answer(r, False, c.checks, further=True)
                if v.kind in ("suggest", "fallback") and not v.away
                and (c.joined or c.adds_question) else v
                for c, v, r in zip(asked, verdicts, readings, strict=True)]

    def _what_it_is(self, verdicts: list[_Verdict], asked: list[Clause]) -> list[_Verdict]:
        """"Czy Rynek Odporności został zainaugurowany? I co to właściwie jest?", "What does
        that mean in practice?": asking only what it is, a question asks about the name in
        the question before it, and gets that question's answer."""
        result: list[_Verdict] = []
        for i, (clause, verdict) in enumerate(zip(asked, verdicts, strict=True)):
            if (i and verdict.kind == "answer" and result[-1].kind == "answer"
                    and _what_is_it(clause) and (self._named_before(clause, asked)
                                                 or self._a_name(result[-1].entry))):
                verdict = result[-1]
            result.append(verdict)
        return result

    def _a_name(self, entry_id: str | None) -> bool:
        """The entry is about something with a name of its own beside the forum (the
        Resilience Market, ICCSS, MSPO): "jakiś rynek odporności?? o co w tym chodzi" asks
        about it, typed without capitals."""
        return (entry_id in self.kb.entries and entry_id not in THE_FORUM
                and (self.kb.entries[entry_id].category == "about" or entry_id == HOST))

    def _person_contact(self, clause: Clause, verdict: _Verdict, clauses: list[Clause]) -> _Verdict:
        """"How do I reach Mr Paturej?", "…z ambasadorem Paturejem. Jaki jest jego e-mail?":
        how to reach a contact person, named or pointed back to, is that person's contact."""
        if (self.facts is None or verdict.kind == "handoff"  # a journalist's is for the desk
                or not any(w in _CONTACT_WORDS for w in clause.words)):
            return verdict
        entry = self.facts.person(clause.words)
        if entry is None and clause.points_back:
            before = [c for c in clauses if c.position < clause.position]
            entry = next((e for c in reversed(before) if (e := self.facts.person(c.words))), None)
        elif entry is None and (clause.joined or clause.words[:1] in (("i",), ("and",))):
            # "Kim jest ambasador Paturej i jaki ma adres mailowy?": his, said by "i"
            before = [c for c in clauses if c.position == clause.position - 1
                      and c.sentence == clause.sentence]
            entry = next((e for c in before if (e := self.facts.person(c.words))), None)
        if entry is None or entry not in self.kb.entries:
            return verdict
        kind: Kind = "handoff" if entry in self._handoff_entries else "answer"
        return _Verdict(kind, entry, max(verdict.score, self.thresholds.answer))

    @staticmethod
    def _named_before(clause: Clause, asked: list[Clause]) -> str:
        """The names (capitalised words) in the question before `clause`."""
        before = [c for c in asked if c.position < clause.position]
        if not before:
            return ""
        return " ".join(w for i, w in enumerate(cased_words(before[-1].text))
                        if i and w[:1].isupper())

    def _previous_edition(self, clause: Clause, verdict: _Verdict) -> _Verdict:
        """"Kiedy dokładnie odbyło się to pierwsze forum w Piasecznie?": the date or place
        of the edition before, named, is that edition's entry."""
        if (verdict.kind == "answer" and verdict.claim is None and verdict.entry in EDITION_FACTS
                and PREVIOUS_EDITION in self.kb.entries and not PREVIOUS_WORDS.isdisjoint(clause.words)):
            return _Verdict("answer", PREVIOUS_EDITION, verdict.score)
        return verdict

    def _next_edition(self, clause: Clause, verdict: _Verdict, said: list[Clause]) -> _Verdict:
        """"I heard the 2027 event is also at MSPO in September?", "a kiedy kolejna
        edycja?": the date or place of the next edition is that edition's entry."""
        if NEXT_EDITION not in self.kb.entries or self.facts is None or verdict.kind == "handoff":
            return verdict
        # (a question naming nothing, "Czy wiadomo coś więcej: kiedy i gdzie?", asks about
        # what the sentence before it said too)
        first = clause.sentence - 1 if clause.bare else clause.sentence
        beside = [c.text for c in said if first <= c.sentence <= clause.sentence]
        if verdict.kind == "suggest" and NEXT_EDITION in verdict.suggestions:
            # "Forum już się odbyło, kiedy będzie następne?": of the entries it may mean,
            # the one it names
            if about_next_edition(" ".join([*beside, clause.text]), self.facts):
                return _Verdict("answer", NEXT_EDITION, verdict.score)
            return verdict
        # "Czytałem, że następne forum ma być w Warszawie. Czy to aktualne?": a statement
        # about the next edition to confirm is answered with what is known of it.
        if not clause.checks and (verdict.kind != "answer" or verdict.entry not in EDITION_FACTS):
            return verdict
        if not about_next_edition(" ".join([*beside, clause.text]), self.facts):
            return verdict
        return _Verdict("answer", NEXT_EDITION, verdict.score)

    def _vague(self, clause: Clause) -> bool:
        """The clause names nothing of its own ("co mam zrobić?", "do kogo pisać?"): no
        rare word, no title word ("co to jest MSPO?" names MSPO)."""
        return not any(self._weight(found) >= self.thresholds.vague
                       or any(word in self._titles for word, sim in found if sim == 1.0)
                       for found in self._words(clause.text, 1.0, 0.0).lookups if found)

    def _antecedent(self, clause: Clause, asked: list[Clause], said: list[Clause]
                    ) -> list[Clause]:
        """"Who is Paturej and how can I contact him?": a question pointing back borrows
        what the one before it was about, as if said at the start of its sentence."""
        before = [c for c in asked if c.position < clause.position]
        if before:
            return ([replace(before[-1], role="context", sentence=clause.sentence)]
                    if clause.points_back else [])
        query = _query(clause.text)
        if not _what_is_it(clause) and any(found and s not in _MODIFIERS for (_, s), found in zip(
                query, self._words(clause.text, 1.0, 1.0).lookups, strict=True)):
            return []
        # "I read something about a Social Resilience Market being inaugurated. What is that
        # exactly?", "Czy to jakaś platforma zakupowa?": a first question that names nothing
        # we know asks about the name said just before it, as if named at the start of its
        # sentence.
        for other in reversed([c for c in said if c.position < clause.position
                               and c.sentence >= clause.sentence - 1]):
            names = [w for i, w in enumerate(cased_words(other.text)) if i
                     and w[:1].isupper() and not w.isupper()]
            if len(names) >= 2:
                return [replace(other, text=" ".join(names), words=tuple(words(" ".join(names))),
                                sentence=clause.sentence, position=clause.position - 1)]
        return []

    def _confirm(self, clause: Clause, verdict: _Verdict) -> _Verdict:
        """A statement to confirm about the place, date, time, length or organiser is
        answered with that fact (and the reply says whether it holds)."""
        if not clause.yes_no or verdict.kind == "handoff" or (verdict.away and not (
                clause.checks and names_event(clause.text))):
            # ("Spotkanie jest w Gdańsku, prawda?", "The ticket costs 200 zloty, right?": a
            # statement about the event to confirm, however like a travel or price question)
            return verdict
        if (clause.words[:1] in (("i",), ("we",)) and not clause.hedged and not clause.checks
                and not any(language_of_word(w) == "pl" for w in clause.words)):
            # "I won't be in Poland in September": the writer's plans (a Polish "i", "we" is
            # "and", "in": "I czy forum jest 11 września?" states a date)
            return verdict
        claim = find_claim(clause.text, self.facts)
        if claim is None or claim.entry not in self.kb.entries:
            return verdict
        sure = verdict.kind == "answer"
        if not (clause.checks or clause.hedged) and not self.knows(
                _without(clause.text, claim.stated)):
            # "Czy w Kielcach jest dobry dentysta?", "any good sushi in Warsaw?" ask about
            # something else; "I heard it's a morning session, 9 to 11?" states a claim
            return verdict
        # ("To forum znowu jest w Piasecznie?": the edition before is the place claimed)
        if sure and (verdict.entry in FAMILY[claim.about] or (
                claim.about == "place" and verdict.entry == PREVIOUS_EDITION)):
            if self.facts is not None and claim.holds(self.facts) is False:
                # "forum jest 11 września o 14?": the wrong fact is the one to give.
                return replace(verdict, entry=claim.entry, claim=claim)
            return replace(verdict, claim=claim)
        if sure and not clause.checks and (claim.about != "organiser" or (
                self.facts is not None and claim.holds(self.facts))):
            # "Czy 10 września jest jeszcze rejestracja?" asks about registration, "does
            # ICCSS run any training?" about its initiatives
            return verdict
        return _Verdict("answer", claim.entry, max(verdict.score, self.thresholds.answer),
                        claim=claim)

    def _distinct(self, verdicts: list[_Verdict], asked: list[Clause]) -> list[_Verdict]:
        """Drop an answer to a clause that an earlier answer already covers: "chcę
        zaproponować temat panelu, do kogo pisać?" asks one thing, not two."""
        kept: list[_Verdict] = []
        for verdict, clause in zip(verdicts, asked, strict=True):
            answered = [earlier.entry for earlier in kept
                        if earlier.kind in ("answer", "handoff") and earlier.entry]
            before = [c for c in asked if c.position < clause.position
                      and c.sentence == clause.sentence]
            # "..., or should we come by taxi?", "Czy mogę przyjść, czy trzeba zaproszenia?"
            alternative = clause.yes_no and (clause.alternative or (
                clause.words[:1] == ("czy",) and bool(before)
                and "czy" in before[-1].words[:2]))  # ("I czy trzeba się rejestrować, czy…")
            # ("Czy ambasador Paturej to jedyny kontakt, czy jest ktoś od spraw
            # organizacyjnych?": of two contacts offered, the reply gives the one named best)
            other_contact = verdict.entry in self._people and bool(set(answered) & self._people)
            if verdict.kind in ("answer", "handoff") and answered and not clause.listed and (
                not clause.adds_question) and (
                (alternative and not other_contact)
                or (self._continues(clause, verdict, answered)
                    and not self._names_anew(clause, verdict, answered))
                or not self._asks_anew(clause, verdict)
            ):
                continue
            kept.append(verdict)
        return kept

    def _named_over_done(self, asked: list[Clause], verdicts: list[_Verdict]
                         ) -> tuple[list[Clause], list[_Verdict]]:
        """"…asked me to register us, but I don't find where to do it. Where is the
        registration form?": a question that only says "do it" is the one beside it that
        names what; its own reading ("where": the venue) is no second question."""
        if len(asked) < 2 or not any(v.kind in ("answer", "handoff") and not self._vague(c)
                                     for c, v in zip(asked, verdicts, strict=True)):
            return asked, verdicts
        kept = [(c, v) for c, v in zip(asked, verdicts, strict=True) if not (
            v.kind == "answer" and v.claim is None and not _PRO_VERBS.isdisjoint(c.words)
            and self._vague(c))]
        return [c for c, _ in kept], [v for _, v in kept]

    def _names_anew(self, clause: Clause, verdict: _Verdict, answered: list[str]) -> bool:
        """"What date is it on? Also, what's MSPO?": asking what a thing is, by the keyword or
        title of its own entry (and none of those answered), is a question of its own."""
        named = self._names(clause.text)
        return (not _WHAT_ASKED.isdisjoint(clause.words) and len(tokens(clause.text)) <= 2
                and verdict.entry in named and named.isdisjoint(answered))

    def _asks_anew(self, clause: Clause, verdict: _Verdict) -> bool:
        """Whether a further clause can be a question of its own: it asks "what/where/
        when...", states a claim to check, or names its entry by a keyword or the title.
        "Na Narodowym?", "czy mam coś odesłać?", "Są już jakieś nazwiska?" are not."""
        if not clause.yes_no or verdict.claim is not None or verdict.entry is None:
            return True
        if clause.joined:
            return True  # "i czy sesja będzie nagrywana?", "And will there be another one?"
        named = self._named[verdict.entry]
        return any(word in named for found in self._words(clause.text, 1.0, 1.0).lookups
                   for word, sim in found if sim == 1.0)

    def _continues(self, clause: Clause, verdict: _Verdict, answered: list[str]) -> bool:
        """"Can you recommend a hotel? Or do you book hotels for delegates?": a further
        clause that an entry already answered explains nearly as well as its own best
        entry goes on about the same thing; it is not a new question."""
        if verdict.claim is not None:
            return False
        own = self._score(self._words(clause.text, 1.0, 1.0), set(answered) | {verdict.entry})
        mine = own.get(verdict.entry, (verdict.score,))[0]
        return any(own[e][0] >= mine - self.thresholds.new_question
                   for e in answered if e in own and e != verdict.entry)

    def _read(self, clause: Clause, said: list[Clause]) -> _Reading:
        """A question clause's words at full weight, what else was said at less. In a
        statement to confirm ("forum jest w Krakowie, prawda?") an unknown word is the
        claim itself, so it counts little."""
        t = self.thresholds
        reading = self._words(clause.asked_text, 1.0, t.claim_unknown if clause.checks else 1.0)
        if self.facts is not None and not clause.yes_no and _WHERE_WHEN.isdisjoint(clause.words):
            # "O czym rozmawiali na forum w Kielcach?", "what did they talk about at IRLF back
            # in September?": the event's own place and month only say which event
            own = [surface in MONTH_WORDS or any(surface.startswith(p) for p in self._own_places)
                   for _, surface in _query(clause.asked_text)]
            if any(own):
                reading = replace(reading, scales=[scale * t.context if mine else scale
                                                   for scale, mine in zip(reading.scales, own, strict=True)])
        compared = _likened(clause.asked_text)
        if compared:
            # "Czy forum ma aplikację jak Bądź Gotów?": the name it is likened to is not
            # what is asked about
            reading = replace(reading, scales=[
                scale * t.intro if term in compared else scale
                for (term, _), scale in zip(_query(clause.asked_text), reading.scales, strict=True)])
        if clause.checks:
            # "Pan Paturej to prezydent Kielc, prawda?": what only the off-topic examples
            # know is the claim to correct, not a question we do not answer.
            scales = [t.claim_unknown if found and self._only_off_topic(found) else scale
                      for found, scale in zip(reading.lookups, reading.scales, strict=True)]
            reading = replace(reading, scales=scales)
        for other in said:
            if (other.role == "context" and other.sentence == clause.sentence
                    and other.position == clause.position - 1 and not other.reason
                    and len(tokens(other.text)) <= t.topic_words
                    and other.words[0] not in APOLOGIES
                    # (nor does a request saying who asks: "Potrzebuję do artykułu…:")
                    and not (other.wish and mentions_press(other.text))):
                # "muszę odwołać swój udział, do kogo pisać?": a few words just before the
                # question name what it is about; their known words count in full.
                reading = reading.plus(self._words(other.text, 1.0, 0.0))
                continue
            named = quoted(other.text)
            if named and other.sentence == clause.sentence and other.position < clause.position \
                    and (_IT & set(clause.words) or not self._names(clause.text)):
                # "my colleague mentioned this 'resilience market' thing - what is it?": what
                # is quoted just before the question is what it asks about.
                reading = reading.plus(self._words(" ".join(named), 1.0, 0.0))
            scale = t.intro if other.role == "intro" else t.context
            reading = reading.plus(self._words(other.text, scale, 0.0, asked=False))
        return reading

    def _read_all(self, asked: list[Clause], said: list[Clause]) -> _Reading:
        joined = replace(asked[-1], text=" ".join(c.text for c in asked))
        return self._read(joined, said)

    def _words_uncached(self, text: str, known: float, unknown: float,
                        asked: bool = True) -> _Reading:
        query = _query(text)
        lookups = [self._lookup(term, surface) for term, surface in query]
        names = {fold(w) for i, w in enumerate(cased_words(text))
                 if i and w[:1].isupper() and not w.isupper()}
        scales = [known if found else unknown * self._unknown_scale(surface, names)
                  for found, (_, surface) in zip(lookups, query, strict=True)]
        return _Reading(lookups, scales, [asked] * len(lookups))

    def _unknown_scale(self, surface: str, names: set[str]) -> float:
        """How much a word the knowledge base does not know counts against an entry: an
        everyday word ("jednak", "our") little; a name no dictionary has ("targi
        Agrotravel") double: the question is about something else."""
        t = self.thresholds
        common = everyday(surface)
        if common >= t.everyday:
            return t.harmless
        return t.name if surface in names and not common else 1.0

    def _hand_off(self, reading: _Reading, lang: str | None) -> Match:
        """A press question: the media entry it names (a keyword: "akredytacja") that fits
        it best, else the first (the media contact)."""
        scored = self._score(reading, set(self._handoff_entries))
        said = {word for found in reading.lookups for word, sim in found if sim == 1.0}
        ranked = sorted(
            (e for e in scored if e in self._handoff_entries and said & self._named[e]),
            key=lambda e: (-scored[e][0], e),
        )
        named = sorted((e for e in self._handoff_entries if said & self._named[e]),
                       key=lambda e: (-len(said & self._named[e]), e))
        # "Fotoreporter, potrzebuję akredytacji. Jak ją załatwić?": the request it names
        entry = (ranked or named or self._handoff_entries or [None])[0]
        score = scored[entry][0] if entry in scored else 0.0
        return Match("handoff", entry, round(score, 3), lang, [], [entry] if entry else [])

    def _answer(self, reading: _Reading, press: bool, checks: bool = False,
                exclude: frozenset[str] | set[str] = frozenset(),
                further: bool = False) -> _Verdict:
        """The band of one clause (with what else was said), among the entries not in
        `exclude` (those already answered). A `further` question beside one answered
        ("..., and is there parking for visitors?") is answered when one entry stands
        clearly ahead of the rest, however short of the bar for a question alone."""
        if press:
            handed = self._hand_off(reading, None)
            return _Verdict("handoff", handed.entry, handed.score)
        t = self.thresholds
        if further:
            t = replace(t, answer=t.suggest, margin=t.single,
                        coverage=t.coverage - t.further_coverage)
        scored = self._score(reading)
        # (the same whatever the order of a set: on a tie an off-topic example goes first,
        # then the ids in order)
        ranked = sorted(((e, v) for e, v in scored.items() if e not in exclude),
                        key=lambda item: (-item[1][0], item[0] not in self._off_topic, item[0]))
        if not ranked:
            return _Verdict("fallback", None, 0.0)
        top_id, (top, _, _) = ranked[0]
        if top_id in self._off_topic and top >= t.suggest:
            return _Verdict("fallback", None, round(top, 3), away=True)
        ranked = [item for item in ranked if item[0] not in self._off_topic]
        if not ranked:
            return _Verdict("fallback", None, 0.0)
        if (len(ranked) > 1 and ranked[0][0] == GENERAL_CONTACTS
                and ranked[1][0] in self._people
                and ranked[0][1][0] - ranked[1][1][0] < t.margin):
            # "Kto jest contact person for organisational stuff?": as good as every contact,
            # the one the matter needs
            ranked = [ranked[1], ranked[0], *ranked[2:]]
        top_id, (top, coverage, _) = ranked[0]
        # "Who do I contact for organisational stuff?": every contact is no rival to the
        # one it includes
        rival = next((s for e, (s, _, _) in ranked[1:] if not (
            top_id in self._people and e == GENERAL_CONTACTS)), 0.0)
        second = ranked[1][1][0] if len(ranked) > 1 else 0.0
        if not checks and self._off_topic_share(reading, top_id) >= t.off_topic:
            return _Verdict("fallback", None, round(top, 3), away=True)
        kind: Kind = "handoff" if top_id in self._handoff_entries else "answer"
        if top >= t.answer and top - rival >= t.margin and coverage >= t.coverage:
            return _Verdict(kind, top_id, round(top, 3))
        close = [e for e, (s, _, _) in ranked[:3] if s >= t.suggest and s >= top - 0.15]
        if top >= t.suggest and coverage >= t.coverage and close:
            if len(close) == 1 and top - second >= t.single:
                return _Verdict(kind, top_id, round(top, 3))
            return _Verdict("suggest", None, round(top, 3), close)
        return _Verdict("fallback", None, round(top, 3))

    def _weight_uncached(self, found: tuple[tuple[str, float], ...]) -> float:
        """How much a word says: its rarest meaning's weight, or the unknown word's."""
        return max((self._idf[w] for w, _ in found), default=self._unknown_weight)

    def closest(self, question: str) -> tuple[str, float] | None:
        """The entry nearest to a question however weak the match (off-topic examples
        included): where an unanswered question would belong. (entry id, score) or None."""
        scored = self._score(self._words(question, 1.0, 1.0))
        if not scored:
            return None
        entry, (score, _, _) = min(scored.items(), key=lambda item: (-item[1][0], item[0]))
        return entry, round(score, 3)

    def _score(
        self, reading: _Reading, only: set[str] | None = None
    ) -> dict[str, tuple[float, float, str | None]]:
        """The best phrasing of every entry sharing a distinctive term with the question
        (given as the vocabulary each of its words stands for, and how much each counts):
        entry -> (score, share of the question it explains, language of that phrasing).
        Only the entries whose vocabulary explains most of the question are looked at
        phrasing by phrasing."""
        lookups, asked = reading.lookups, reading.asked
        if not lookups:
            return {}
        weights = [self._weight(found) * scale
                   for found, scale in zip(lookups, reading.scales, strict=True)]
        total_query = sum(w for w, a in zip(weights, asked, strict=True) if a)
        # Only phrasings sharing a distinctive term are scored: one that shares only
        # "forum" with the question cannot explain enough of it to matter (unless the
        # question itself says nothing more: "what is the forum about?").
        asked_found = [f for f, a in zip(lookups, asked, strict=True) if a and f]
        seeds = [f for f in asked_found if self._idf[f[0][0]] > GENERIC_WEIGHT]
        seed_words = {word for found in seeds or asked_found for word, _ in found}
        seeded = set().union(*(self._entries_with[word] for word in seed_words))
        if only is not None:
            seeded &= only
        # What each such entry's whole vocabulary explains: word position -> similarity.
        known: dict[str, dict[int, float]] = {entry_id: {} for entry_id in seeded}
        for position, found in enumerate(lookups):
            for word, sim in found:
                for entry_id in self._entries_with[word] & seeded:
                    hits = known[entry_id]
                    if sim > hits.get(position, 0.0):
                        hits[position] = sim
        alpha = self.thresholds.query_weight
        # No phrasing of an entry scores above alpha * (what its vocabulary explains) +
        # (1 - alpha): entries are scored best bound first, and those that cannot come
        # within reach of the best so far (they could change no decision) are skipped.
        entry_cover: dict[str, float] = {}
        for entry_id, hits in known.items():
            explained = lent = 0.0
            for p, sim in hits.items():
                if asked[p]:
                    explained += weights[p] * sim
                else:
                    lent += weights[p] * sim
            entry_cover[entry_id] = _share(explained, lent, total_query)
        bound = {e: alpha * cover + 1 - alpha for e, cover in entry_cover.items()}
        order = sorted(bound, key=lambda e: (-bound[e], e))
        best: dict[str, tuple[float, float, str | None]] = {}
        top = 0.0
        for start in range(0, len(order), SHORTLIST):
            # (the few entries asked for by name are all scored: "is it nearly as good?")
            batch = [e for e in order[start:start + SHORTLIST]
                     if only is not None or bound[e] >= top - REACH]
            if not batch:
                break
            found = self._score_phrasings(reading, weights, total_query, set(batch),
                                          seed_words, bool(seeds))
            for entry_id, (score, query_cover, lang) in found.items():
                best[entry_id] = self._with_entry_cover(
                    score, query_cover, lang, entry_cover[entry_id])
            top = max((v[0] for v in best.values()), default=0.0)
        return best

    def _score_phrasings(
        self, reading: _Reading, weights: list[float], total_query: float, entries: set[str],
        seed_words: set[str], distinctive: bool,
    ) -> dict[str, tuple[float, float, str | None]]:
        """The best phrasing of each of `entries` that has a seed word."""
        lookups, asked = reading.lookups, reading.asked
        # The phrasings worth scoring: those of `entries` holding a seed word (generic
        # words alone never cover a long phrasing).
        candidates: set[int] = set()
        for word in seed_words:
            by_entry = self._postings_by_entry.get(word, {})
            for entry_id in entries & by_entry.keys():
                candidates.update(by_entry[entry_id])
        matched: dict[int, dict[int, tuple[float, str]]] = {
            index: {} for index in sorted(candidates)
            if distinctive or len(self._phrasings[index].weights) <= 3}
        for position, found in enumerate(lookups):
            for word, sim in found:
                by_entry = self._postings_by_entry.get(word, {})
                for entry_id in entries & by_entry.keys():
                    for index in by_entry[entry_id]:
                        hits = matched.get(index)
                        if hits is None:
                            continue
                        kept = hits.get(position)
                        if kept is None or sim > kept[0]:
                            hits[position] = (sim, word)
        alpha = self.thresholds.query_weight
        best: dict[str, tuple[float, float, str | None]] = {}
        for index, hits in matched.items():
            phrasing = self._phrasings[index]
            explained = lent = covered = 0.0
            for position, (sim, word) in hits.items():
                if asked[position]:
                    explained += weights[position] * sim
                else:
                    lent += weights[position] * sim
                covered += phrasing.weights[word] * sim * reading.scales[position]
            query_cover = _share(explained, lent, total_query)
            score = alpha * query_cover + (1 - alpha) * min(1.0, covered / phrasing.total)
            kept = best.get(phrasing.entry)
            if kept is None or score > kept[0]:
                best[phrasing.entry] = (score, query_cover, phrasing.lang)
        return best

    def _with_entry_cover(
        self, score: float, query_cover: float, lang: str | None, entry_cover: float
    ) -> tuple[float, float, str | None]:
        """A long question may be explained by several phrasings of one entry together."""
        share, alpha = self.thresholds.entry_share, self.thresholds.query_weight
        cover = (1 - share) * query_cover + share * max(entry_cover, query_cover)
        return score + alpha * (cover - query_cover), cover, lang

    def _only_off_topic(self, found: tuple[tuple[str, float], ...]) -> bool:
        words = {w for w, _ in found}
        return bool(words & self._off_topic_terms) and not words & self._on_topic_terms

    def _off_topic_share(self, reading: _Reading, entry_id: str) -> float:
        """How much of the question only the off-topic examples explain ("capital" in "the
        capital of Taiwan"): words that point away from the entry that matched best."""
        vocabulary = self._entry_terms[entry_id]
        total = away = 0.0
        for found, scale, asked in zip(reading.lookups, reading.scales, reading.asked,
                                       strict=True):
            if not asked:
                continue
            weight = self._weight(found) * scale
            total += weight
            words = {w for w, _ in found}
            if (words and not words & vocabulary and words & self._off_topic_terms
                    and words.isdisjoint(self._date_terms)):  # "we wrześniu 2027?" asks when
                away += weight
        return away / total if total else 0.0

    def _language(self, clauses: list[Clause], chat_lang: str | None = None) -> str | None:
        """The language of what is asked and of the greeting: each word one language only
        uses votes (its grammar, Polish letters: 2; a word only that language's phrasings
        use: 1), so a name or one foreign word does not tip it. A tie goes to the first
        question, then to the rest of the message, then to the chat's language; one
        content word alone ("a termin?") does not move a chat to the other language."""
        weak = _WEAK_IN.search(fold(" ".join(c.text for c in clauses)))
        if weak:
            # "Sorry my Polish is bad, kiedy jest forum?": the language the writer says
            # they do not speak well is not the one to answer in.
            return "en" if weak.group("pl") else "pl"
        asked = [c for c in clauses if c.role in ("question", "small")]
        first = [c for c in clauses if c.role == "question"][:1]
        said = [c for c in clauses if c.role in ("context", "intro")]
        for group in (asked, said, first):
            votes = {"pl": 0, "en": 0}
            for clause in group:
                for index, raw in enumerate(cased_words(clause.text)):
                    lang = language_of_word(raw)
                    if lang:
                        votes[lang] += 2
                        continue
                    if index and raw[:1].isupper():
                        continue  # a name ("Targi Kielce") is no language's word
                    lang = self._word_language.get(fold(raw)) or leaning(raw.lower())
                    if lang:
                        votes[lang] += 1
            if votes["pl"] != votes["en"]:
                if chat_lang and abs(votes["pl"] - votes["en"]) < 2:
                    return chat_lang
                return "pl" if votes["pl"] > votes["en"] else "en"
        if chat_lang:
            return chat_lang
        # Typos: the language of the vocabulary the words were matched to ("regsiter").
        text = " ".join(c.text for c in clauses)
        matched = [found[0][0] for found in (self._lookup(t, s) for t, s in tokens(text)) if found]
        only = {
            lang: sum(t in self._terms_of[lang] and t not in self._terms_of[other]
                      for t in matched)
            for lang, other in (("pl", "en"), ("en", "pl"))
        }
        if only["pl"] != only["en"]:
            return "pl" if only["pl"] > only["en"] else "en"
        return None


def _hearsay(clauses: list[Clause], facts: Facts | None) -> list[Clause]:
    """"Słyszałem, że to całodniowe, więc biorę cały dzień wolnego?": what the writer heard
    about the event, said beside a question, is a claim to check."""
    if not any(c.role == "question" for c in clauses):
        return clauses
    return [c.as_role("question", checks=True) if c.role in ("context", "intro")
            and _heard_claim(c, clauses[i - 1] if i else None, facts) else c
            for i, c in enumerate(clauses)]


def _heard_claim(clause: Clause, before: Clause | None, facts: Facts | None) -> bool:
    """What the writer heard ("słyszałem, że to całodniowe", "Słyszałem, | że forum jest w
    piątek") or takes as given ("forum jest tylko dla wojskowych, więc...") about the event,
    unless it is right ("I was at MSPO in Sept and heard about the forum"): nothing to
    correct."""
    claim = find_claim(clause.text, facts)
    if claim is not None and facts is not None and claim.holds(facts) is True:
        return False
    if claim is not None and claim.about == "place" and clause.introduces:
        return False  # "I'm an intern at a foundation in Berlin…": where the writer is
    hedged = clause.hedged or (before is not None and before.sentence == clause.sentence
                               and before.role == "small" and before.hedged) or (
        clause.words[:1] == ("skoro",) or clause.words[:2] in _GIVEN or (
            clause.words[:1] == ("since",) and len(clause.words) > 1
            and not clause.words[1].isdigit()))
    # ("Skoro forum jest w hali E, to…", "As the forum runs in the evening, …", "Since NATO
    # is organising the forum, …": taken as given; not "since 2023")
    return claim is not None and (hedged or claim.about == "audience")


def _on_site(clause: Clause) -> bool:
    """The writer says they are at the fair already (or lost in it)."""
    return not _ON_SITE.isdisjoint(clause.words) and not _HERE.isdisjoint(clause.words)


def _what_is_it(clause: Clause) -> bool:
    """The clause asks only what something is ("co to takiego?", "What does that mean?")."""
    return set(clause.words) <= _WHAT_IS_IT and not _WHAT_ASKED.isdisjoint(clause.words)


def _likened(text: str) -> set[str]:
    """The terms of the names a text likens the asked thing to ("aplikacja jak Bądź
    Gotów": "badz", "gotow")."""
    return {term for named in _COMPARED.finditer(text)
            if not set(words(text[:named.start()])[-1:]) & _LIKING
            for term, _ in tokens(named.group(1))}


@lru_cache(maxsize=256)
def _changes_registration(text: str) -> bool:
    """Whether the writer asks to change their own registration: cancel, a substitute, a
    typo, "change our registration"."""
    if _cancels(text):
        return True
    found = set(words(text))
    changed = not found.isdisjoint(_CHANGE_WEAK) and not found.isdisjoint(_REGISTRATION)
    if found.isdisjoint(_FIRST_PERSON):
        # "czy można przepisać rejestrację na niego?": someone else's, named by a pronoun
        return changed and not found.isdisjoint(POINTERS)
    return not found.isdisjoint(_CHANGE_STRONG) or changed


@lru_cache(maxsize=256)
def _cancels(text: str) -> bool:
    """Whether the writer withdraws altogether ("odwołać", "wypisać", "cancel", "can't make
    it"); a substitute or a typo is no cancelling."""
    found = words(text)
    return (not _FIRST_PERSON.isdisjoint(found) and not _CANCEL_WORDS.isdisjoint(found)) or _says(
        found, _CANCEL_PHRASES)


def _says(found: list[str], phrases: dict[str, list[tuple[str, ...]]]) -> bool:
    """One of the phrases (tuples of words, by their first word) is among the words, in a
    row."""
    return any(tuple(found[i:i + len(phrase)]) == phrase
               for i, word in enumerate(found) if word in phrases for phrase in phrases[word])


def _query(text: str) -> list[tuple[str, str]]:
    """A text's (term, surface) pairs as the matcher reads them: each once, in order."""
    return list(dict.fromkeys(tokens(text)))


def _distinct_names(named: list[frozenset[str]]) -> bool:
    """Each listed topic names entries, and no two name the same ones."""
    return all(named) and len(set(named)) == len(named)


def _without(text: str, claimed: tuple[str, ...]) -> str:
    """The text without the words that state a claim or ask to confirm it ("is it true")."""
    return " ".join(w for w in words(text) if w not in claimed and w not in CHECK_WORDS)


def _share(explained: float, lent: float, asked: float) -> float:
    """How much of the question a phrasing explains, counting what the rest of the message
    lends it (which never counts against it)."""
    whole = asked + lent
    return (explained + lent) / whole if whole else 0.0


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
