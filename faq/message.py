"""A message as people write it: sentences and clauses, each with a role.

"Dzień dobry, nazywam się Jan, pracuję w urzędzie gminy. O której mam być na forum?" is a
greeting, a self-introduction, context and one question. The matcher answers what is
asked; the rest may lend a known word ("Parking — gdzie jest?") but its unknown words
(names, jobs, towns, politeness) never count against the answer.

Roles: "small" (greetings, thanks, sign-offs), "intro" (who the writer is, where they come
from), "context" (anything else said, not asked) and "question" (a clause that ends with
"?", opens with a question word or a request, or follows one as "i gdzie", "and is it").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from faq.normalize import (
    LEXICON,
    SLANG,
    STOP_WORDS,
    fold,
    language_of_word,
    lexicon_words,
    mentions_press,
    small_talk,
    words,
)

Role = Literal["small", "intro", "context", "question"]

QUESTION_WORDS = _QUESTION_WORDS = lexicon_words("question_words")
_QUESTION_STARTS = lexicon_words("question_starts")
_PREPOSITIONS = lexicon_words("question_prepositions")
_WHERE_PREPOSITIONS = frozenset({"w", "we", "na", "przy", "obok", "kolo", "in", "at", "near"})
_REQUEST_WORDS = lexicon_words("request_words")
# Words that open a sentence when capitalised mid-text ("…internetu Muszę…" is no name):
# question words and requests, not "I" (always a capital).
_STARTERS = (QUESTION_WORDS | _QUESTION_STARTS | _REQUEST_WORDS
             | lexicon_words("sentence_openers")) - {"i"}
_REQUESTS_TO_US = lexicon_words("requests_to_us")
APOLOGIES = lexicon_words("apology_words")
_CONJUNCTIONS = lexicon_words("conjunctions")
_AS_NO_REASON = frozenset({"part", "well", "planned", "scheduled", "expected", "announced",
                           "usual", "advertised"})
_SUBORDINATE = frozenset({"when", "kiedy", "gdy"})  # inside a question: when something else is
_REASONS = lexicon_words("reason_words")
_PURPOSES = lexicon_words("purpose_words")
_PURPOSE_FOLLOWERS = lexicon_words("purpose_subjects")
CHECK_WORDS = _CHECKS = lexicon_words("check_words")
_HEDGES = lexicon_words("hedge_words")
_SMALL = lexicon_words("greeting_words", "thanks_words", "sign_off_words")
_THEREFORE = frozenset({"wiec", "zatem"})
# The self-introduction phrases by length: a clause opens with one when its first n words are
# one of the n-word phrases.
_INTRO: dict[int, frozenset[tuple[str, ...]]] = {
    n: frozenset(p for p in (tuple(phrase.split()) for phrase in LEXICON["intro_phrases"])
                 if len(p) == n)
    for n in {len(phrase.split()) for phrase in LEXICON["intro_phrases"]}}
_ABBREVIATIONS = lexicon_words("abbreviations")
_ASK_WORDS = lexicon_words("ask_words")
_TAILS = lexicon_words("tail_words")
_TELL_ME = lexicon_words("tell_me_words")
_YES_NO_OPENERS = frozenset({"czy", "if", "whether"})  # question words that ask yes or no
# What follows a "jak" that compares ("jak w zeszłym roku", "jak zawsze", "jak co roku").
_AFTER_COMPARING = frozenset({"w", "we", "na", "przy", "u", "podczas", "zawsze", "zwykle", "co",
                       "ostatnio", "poprzednio", "wtedy", "wczesniej", "przedtem"})
POINTERS = _POINTERS = lexicon_words("pointer_words")
_QUESTION_COUNTS = lexicon_words("question_counts")
# Conjunctions that add a question ("i czy...", "and will..."), not an alternative ("or...").
_PLEASE = frozenset({"prosze", "poprosze", "prosimy", "uprzejmie"})  # a formal request
_ALTERNATIVES = frozenset({"or", "albo", "lub", "ewentualnie", "otherwise"})
_ADDING = frozenset({"i", "a", "oraz", "and", "also", "plus", "tez", "takze", "jeszcze"})
# Words that say nothing between a conjunction and a question word ("i w ogóle ile...").
_FILLERS = STOP_WORDS - _QUESTION_WORDS - _QUESTION_STARTS - _REQUEST_WORDS - _PREPOSITIONS
_POLISH_RELATIVES = frozenset({"ktory", "ktora", "ktore", "ktorego", "ktorym", "ktorej",
                               "ktorych", "ktorzy"})
_RELATIVE_PRONOUNS = _POLISH_RELATIVES | {"which", "who", "whom", "whose", "that"}
LEAD_IN = _LEAD_IN = (_REQUEST_WORDS | _ASK_WORDS | _SMALL | _CHECKS
                      | lexicon_words("lead_in_words"))
_RELATIVE_VERBS = frozenset({"is", "are", "was", "were", "has", "have", "will", "would",
                             "runs", "organises", "organizes", "takes"})
# After "and" in a statement these go on with it ("and will have a few hours to kill"); "and
# would appreciate knowing..." asks.
_GOES_ON = frozenset({"will", "have", "has", "had", "am", "is", "are", "was", "were"})
_THOSE = frozenset({"tych", "ci", "tym", "te", "those", "people", "anyone", "everyone",
                    "kazdy", "wszystkich", "wszyscy", "osob", "osoby", "ludzi"})
_WHO = frozenset({"co", "kto", "ktorzy", "ktore", "ktora", "ktory", "who", "that", "which"})
_TWO_WORD_CONDITIONS = frozenset({("in", "case"), ("w", "razie"), ("na", "wypadek"),
                                  ("just", "in"), ("as", "long")})
_SO = frozenset({"tak", "nie", "so", "yes", "not", "no"})  # "jeśli tak", "if so"
_CONDITIONS = frozenset({"if", "jesli", "jezeli", "gdyby", "unless"})
# Relative pronouns more often than questions inside a sentence ("forum, które...").
_RELATIVE = frozenset({"ktory", "ktora", "ktore", "ktorego", "ktorym", "ktorej", "which", "who",
                       "that", "whom", "whose", "where", "when", "what", "how", "whats"})
# What opens an indirect question without a question word ("I'd like to know the date").
_KNOW_LEADS = (("like", "to", "know"), ("want", "to", "know"), ("need", "to", "know"),
               ("wanted", "to", "know"))
# "jak" and "co" also mean "as" and "every": not a question when followed by these.
_NOT_QUESTION_AFTER = {
    "jak": frozenset({"najszybciej", "najlepiej", "najbardziej", "najwiecej", "zwykle", "zawsze"}),
    "co": frozenset({"do", "roku", "najmniej", "najwyzej", "chwile", "tydzien", "miesiac",
                     "dzien", "dnia"}),  # "na co dzień pracuję w logistyce"
}

# Sentence ends: ? ! ; … new lines and pictographs (emoji) always; a full stop when a
# space or the end follows.
_SENTENCE_END = re.compile(
    r"[?!;…\n]+|\.+(?=\s|$)|\s*[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+\s*[?!]*"
)
# A capitalised closing after a word ("…forum Z góry dziękuję", "…it Kind regards").
_CLOSINGS = (r"(?:Z góry|Z gory|Dziękuj|Dziekuj|Dzięki|Dzieki|Pozdrawiam|Pozdrowienia|"
             r"Będę wdzięczn|Bede wdzieczn|Z poważaniem|Z powazaniem|Thanks|Thank you|"
             r"Many thanks|Kind regards|Best regards|Best wishes|Regards|Cheers)")
_CLOSING = re.compile(rf"(?<=\w)\s+(?={_CLOSINGS})")
_A_CLOSING = re.compile(_CLOSINGS, re.IGNORECASE)
# A capitalised word after a lower-case one, without a full stop between them.
# The Polish "A" (and, but) capitalised after a lower-case word: a sentence of its own.
_CAPITAL_A = re.compile(r"(?<=[a-ząćęłńóśźż0-9])\s+(?=A\s+[a-ząćęłńóśźż])")
# The English "I" (with "'m", "'d"…) after a word of a lower-case clause.
_PRONOUN_I = re.compile(
    r"\b([a-z][\w']*)\s+(?=I(?:'[a-z]+)?\s(?!(?:can|could|will|would|should|must|may|might|"
    r"think|guess|believe|suppose|mean|hope|assume)\b))")
_CAPITAL_START = re.compile(r"(?<=[a-ząćęłńóśźż0-9])\s+(?=([A-ZĄĆĘŁŃÓŚŹŻ][a-ząćęłńóśźż]+)\b)")
# Quoted words ("„po co”", "'resilience market'"; not the apostrophe of "I'm").
_QUOTED = re.compile(r"[„“\"«»]([^„“”\"«»]+)[”“\"«»]|(?<!\w)'([^']+)'(?!\w)")
_QUOTED_NAME = 4  # words
_QUOTE_BREAKS = re.compile(r"[?!.,;:]+|\s[-–—]+\s")
_COMMAND = re.compile(r"\s*[/!][^\W\d]\w*(@\w+)?\s*")
_PLUS = re.compile(r"\s+[+&]\s+")
# "Where do I sign up as well as where is it?": joins a second question as "and" does.
_AS_WELL_AS = re.compile(r"\s+as well as\s+(?=(\S+\s+\S+))", re.IGNORECASE)
# Clause breaks inside a sentence: commas, colons, brackets, quotes, dashes between spaces.
_CLAUSE_BREAK = re.compile(r"[,()\[\]\"„”“«»/]|:(?!\d)|\s[-–—]+\s|[-–—]{2,}")


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    words: tuple[str, ...]
    role: Role
    sentence: int = 0
    checks: bool = False  # a statement asked to be confirmed ("..., prawda?")
    wish: bool = False  # asks only by a request word ("chcę...", "I need..."), no "?"
    position: int = 0  # its place in the message
    listed: bool = False  # one of topics listed in a question ("godzina i adres?")
    # a bare question joined to it, as typed ("…parking, a jeśli tak, to gdzie?": "gdzie")
    then: str = ""

    @property
    def bare(self) -> bool:
        """Only question words and fillers ("gdzie", "o której", "and when"): it asks, but
        names nothing to ask about."""
        return all(w in _QUESTION_WORDS or w in _QUESTION_STARTS or w in _CONJUNCTIONS
                   or w in _PREPOSITIONS or w in _SMALL or w in _TAILS or len(w) < 3
                   for w in self.words)

    @property
    def yes_no(self) -> bool:
        """Asks to confirm something: a tag ("..., prawda?"), "czy...", "is it...", or a
        statement with a question mark ("forum jest 12 września?")."""
        if self.checks:
            return True
        if self.role != "question" or not self.words:
            return False
        # "I do kogo pisać?" asks who: a question word says so whatever opens the clause
        # (the Polish "do" is no English "do").
        return not any(w in _QUESTION_WORDS and w not in _YES_NO_OPENERS
                       and not _comparing(self.words, i) for i, w in enumerate(self.words))

    @property
    def joined(self) -> bool:
        """Opens as a further question of its own: "i czy...", "and will...", "a jest..."."""
        return (len(self.words) > 1 and self.words[0] in _ADDING
                and (self.words[1] in _QUESTION_STARTS or self.words[1] in _YES_NO_OPENERS))

    @property
    def adds_question(self) -> bool:
        """"... and what is ICCSS?": a question word after "and" asks something new."""
        return (len(self.words) > 1 and self.words[0] in _ADDING
                and self.words[1] in _QUESTION_WORDS and self.words[1] not in _YES_NO_OPENERS)

    @property
    def asked_text(self) -> str:
        """The text without a "when" that only says when something else happens ("Where
        should we go when we arrive?" asks where, not when)."""
        found = list(self.words)
        cut = [i for i, w in enumerate(found) if w in _SUBORDINATE and i > 1
               and found[i - 1] not in _CONJUNCTIONS
               and any(v in _QUESTION_WORDS for v in found[:i])]
        if not cut:
            return self.text
        return " ".join(w for i, w in enumerate(found) if i not in cut)

    @property
    def introduces(self) -> bool:
        """Opens with a self-introduction ("jestem…", "I'm an intern at…")."""
        return _opens_intro(self.words)

    @property
    def alternative(self) -> bool:
        """Offers another way to the same question ("..., or should we come by taxi?")."""
        return bool(self.words) and self.words[0] in _ALTERNATIVES

    @property
    def hedged(self) -> bool:
        """Says what the writer heard or supposes ("słyszałem, że...", "I think it's...")."""
        return any(w in _HEDGES for w in self.words)

    @property
    def points_back(self) -> bool:
        """Refers to what was asked before it ("contact him", "jego mail")."""
        return any(w in _POINTERS for w in self.words)

    @property
    def reason(self) -> bool:
        """A reason or purpose ("bo słabo znam Kielce", "because my plans changed")."""
        return _opens_reason(list(self.words))

    def as_role(self, role: Role, checks: bool | None = None) -> Clause:
        return replace(self, role=role, checks=self.checks if checks is None else checks)


def _comparing(found: tuple[str, ...], i: int) -> bool:
    """"Forum znowu jest w Piasecznie, jak w zeszłym roku?": a "jak" inside the clause and
    before a preposition or "zawsze", "co roku" compares; it asks nothing."""
    return (i > 0 and found[i] == "jak" and i + 1 < len(found)
            and found[i + 1] in _AFTER_COMPARING)


def read(text: str) -> list[Clause]:
    """The clauses of a message in order, each with its role. A bare command ("/start",
    "!help") that reached the matcher has none: it asks nothing about the forum."""
    clauses: list[Clause] = []
    if _COMMAND.fullmatch(text) or small_talk(text) == "help":
        return clauses  # "help": how to use the assistant, nothing about the forum
    text = _reported(text)
    if "well as" in text.lower():
        text = _AS_WELL_AS.sub(lambda m: " and " if _opens_question(words(m.group(1))[:3])
                               else m.group(0), text)
    for number, (sentence, asked) in enumerate(_sentences(_sentence_breaks(text))):
        pieces = [p for p in _CLAUSE_BREAK.split(sentence) if words(p)]
        pieces, relative = _embedded(pieces) if asked else (pieces, set())
        # "date + dress code?": topics joined by a plus share the question mark.
        parts = [(part, n, k) for n, piece in enumerate(pieces)
                 for k, joined in enumerate(_PLUS.split(piece)) if words(joined)
                 for part in _split_questions(joined)]
        # The question mark belongs to the last part that is not a reason ("..., bo...?").
        marked = max((i for i, (p, _, _) in enumerate(parts) if not _opens_reason(words(p))
                      and not (i and _opens_condition(tuple(words(p))))
                      and not (i and _relative(words(p)) and not _leads_into(parts[i - 1][0]))),
                     default=-1)
        plus = {parts[marked][1]} if marked >= 0 and parts[marked][2] else set()
        found = [_classify(part, asked and (i == marked or n in plus), number)
                 for i, (part, n, _) in enumerate(parts)]
        # "Jak nazywała się ta inicjatywa, którą inaugurowano na forum?": a relative clause
        # after the question says which; it asks nothing.
        relative |= {n for i, (p, n, _) in enumerate(parts)
                     if i and i > marked >= 0 and _relative(words(p))
                     and not _leads_into(parts[i - 1][0])}
        found = [c.as_role("context") if n in relative else c
                 for c, (_, n, _) in zip(found, parts, strict=True)]
        if not asked:
            # 'a on zawsze pyta „po co”.': a question quoted in a statement is reported,
            # not asked.
            said = {fold(q).strip() for q in quoted(sentence)}
            # "..., which made my day.", "Sorry if this is a silly question.": a relative
            # clause or a condition in a statement asks nothing.
            # "I'm arriving by train and will have a few hours to kill.": "and will..." goes on
            # with the statement before it
            found = [c.as_role("context") if c.role == "question" and i and c.joined
                     and c.words[1] in _GOES_ON and found[i - 1].role in ("intro", "context")
                     else c for i, c in enumerate(found)]
            # "..., co rzadko się zdarza", "CIMIC is literally what we do": "co" after a
            # statement, or "what" inside it, not after "nie wiem" or "I wonder", too
            found = [c.as_role("context") if c.role == "question" and (
                fold(c.text).strip() in said
                or (i and c.words[0] in _RELATIVE_PRONOUNS and found[i - 1].role != "small"
                    and not _no_relative(found[i - 1].words[-1], c.words)
                    and not (c.words[0] in _POLISH_RELATIVES and _leads_into(found[i - 1].text))
                    and not parts[i][2])  # ("…cost & who are the speakers")
                or (i and (c.words[0] == "co" or (c.words[0] == "what" and parts[i - 1][1] == parts[i][1]
                                                  and not parts[i][2]
                                                  and found[i - 1].role != "question"))
                    and found[i - 1].words[-1] not in _ASK_WORDS)
                or _opens_condition(c.words)) else c for i, c in enumerate(found)]
        # "dla tych, co nie dojadą", "for those who cannot come": says who, asks nothing
        found = [c.as_role("context") if i and c.role == "question" and c.words[0] in _WHO
                 and found[i - 1].words[-1] in _THOSE else c for i, c in enumerate(found)]
        # "Proszę o wskazanie, w której hali...", "Czy mogę prosić o informację, kto...": a
        # request that leads into the question after it is part of it, not one of its own.
        found = [c.as_role("context") if c.role == "question"
                 and all(w in _LEAD_IN for w in c.words) and i + 1 < len(found)
                 and found[i + 1].role == "question" and not found[i + 1].wish else c
                 for i, c in enumerate(found)]
        confirmed = [c.as_role("context", False) if n in relative else c for c, (_, n, _) in zip(
            _confirmations(_guesses(found), asked), parts, strict=True)]
        confirmed = _appositions(confirmed)
        if asked and all(c.role == "small" for c in confirmed) and any(
                c.role != "small" for c in found):
            # "Czytałem, że forum będzie w Warszawie. Czy to aktualne?": a tag alone asks to
            # confirm the statements of the sentence before it.
            before = [i for i, c in enumerate(clauses) if c.sentence == number - 1]
            # "Kolega mówił, że wstęp kosztuje 500 zł. Serio?": what was said is the claim,
            # not who said it.
            said = [i for i in before if clauses[i].words[:1] in (("ze",), ("that",))]
            for i in said or before:
                if clauses[i].role in ("context", "intro"):
                    clauses[i] = clauses[i].as_role("question", checks=True)
        clauses.extend(confirmed)
    asking = {c.sentence for c in clauses if c.role == "question" and not c.wish}
    # Beside a question the wish is context: in a sentence that asks nothing ("Chcę opowiedzieć
    # uczniom o forum. Czym się zajmuje ICCSS?"), and in the question's own sentence it only
    # leads into it ("Służę w WOT, ale pytam prywatnie – ile trwa forum?") unless offered an
    # alternative ("Need register before or can come direct?"). "Poproszę maila do…", asking
    # us, is a request of its own.
    offered = asking & {c.sentence for c in clauses if c.role == "question" and c.alternative}
    # A journalist's request, before the question or after it, is one of its own ("…o której
    # zaczyna się forum? Chcemy przyjechać z kamerą.", "Chcielibyśmy umówić wywiad z
    # ambasadorem. Z kim to uzgodnić?").
    if asking:
        clauses = [c.as_role("context") if c.role == "question" and c.wish
                   and c.sentence not in offered and _first_word(c) not in _REQUESTS_TO_US
                   and not mentions_press(c.text)
                   else c for c in clauses]
    _mark_asked_last(clauses)
    return [replace(c, position=i) for i, c in enumerate(_join_bare(clauses))]


def _reported(text: str) -> str:
    """"…with just the words 'IRLF – you should go' and nothing else": words quoted inside
    a message are one thing said; their dashes and question marks break nothing."""
    def flatten(quote: re.Match[str]) -> str:
        quoted = quote.group(1) or quote.group(2)
        inside = _QUOTE_BREAKS.sub(" ", quoted)
        # a short name stays in its clause: "Co oznacza ten „Rynek Odporności”, który…?";
        # a question quoted ("pyta „po co”") stays apart, reported
        said = words(quoted)
        if any(w in _QUESTION_WORDS for w in said[:2]) or "?" in quoted:
            return f"„{inside}”"
        return f"'{inside}'" if len(inside.split()) <= _QUOTED_NAME else f"„{inside}”"
    if _QUOTED.search(text) is None or len(words(_QUOTED.sub(" ", text))) < 2:
        return text  # the whole message quoted is the message
    return _QUOTED.sub(flatten, text)


def quoted(text: str) -> list[str]:
    """The quoted parts of a text."""
    return [a or b for a, b in _QUOTED.findall(text)]


def _guesses(sentence: list[Clause]) -> list[Clause]:
    """"co to za ICCSS, jakaś firma?": a few words after a question, asking nothing by
    themselves, guess at its answer; they are not a second question."""
    result: list[Clause] = []
    asked = False
    for clause in sentence:
        opens = any(w in _QUESTION_WORDS or w in _QUESTION_STARTS for w in clause.words)
        if asked and clause.role == "question" and not opens and len(clause.words) <= 3:
            clause = clause.as_role("context")
        asked = asked or (clause.role == "question" and opens)
        result.append(clause)
    return result


def _appositions(sentence: list[Clause]) -> list[Clause]:
    """"…, że Forum odbywa się w Warszawie, w Pałacu Kultury i Nauki?": a few words that
    only say where, after a statement to confirm, belong to that statement."""
    result: list[Clause] = []
    for clause in sentence:
        if (result and clause.checks and result[-1].checks and clause.words
                and clause.words[0] in _WHERE_PREPOSITIONS and len(clause.words) <= 6):
            before = result.pop()
            clause = replace(before, text=f"{before.text}, {clause.text}",
                             words=before.words + clause.words)
        result.append(clause)
    return result


def _confirmations(sentence: list[Clause], asked: bool) -> list[Clause]:
    """A tag ("prawda?", "right?", "dobrze rozumiem, że...") makes the statements of its
    sentence questions to confirm; the tag itself asks nothing more. Without a question
    mark one word is no tag ("(wiem, wstyd)" says "I know") unless it ends the sentence as
    only a tag does ("Forum jest w Krakowie, prawda", "…at 10 am, right Want to be sure")."""
    tags = [i for i, c in enumerate(sentence) if c.role != "small" and _tag(c.words)
            and (asked or len(c.words) > 1
                 or (i == len(sentence) - 1 and i and c.words[0] in _END_TAGS))]
    if not tags:
        return sentence
    # "a ten Paturej to kto, jakiś generał czy co?": beside a question of its own, the
    # statement is a guess at the answer, not another question.
    asks = any(i not in tags and c.role == "question" and any(w in _QUESTION_WORDS for w in c.words)
               for i, c in enumerate(sentence))
    result = []
    for i, clause in enumerate(sentence):
        if i in tags:
            result.append(clause.as_role("small"))
        elif asks and clause.role == "context":
            result.append(clause)
        elif clause.role in ("context", "question") and not asks:
            result.append(clause.as_role("question", checks=True))
        else:
            result.append(clause)
    return result


def _tag(found: tuple[str, ...]) -> bool:
    """Only words that ask to confirm ("is that still the case", "ok, prawda"), with a
    greeting or thanks at either end at most: "is it in the morning or afternoon" asks."""
    inner = list(found)
    while inner and inner[0] in _SMALL and inner[0] not in _CHECKS:
        inner.pop(0)
    while inner and inner[-1] in _SMALL and inner[-1] not in _CHECKS:
        inner.pop()
    return (bool(inner) and all(w in _CHECKS for w in inner)
            and any(w not in _SMALL and w not in _CONJUNCTIONS for w in inner))


def _join_bare(clauses: list[Clause]) -> list[Clause]:
    """"Czy jest parking, a jeśli tak, to gdzie?": a bare question after a question that
    names its subject, in the same sentence, asks about that subject."""
    joined: list[Clause] = []
    for clause in clauses:
        if clause.role == "question" and clause.bare and joined:
            before = next((c for c in reversed(joined) if c.role == "question"), None)
            if (before is None or before.sentence != clause.sentence or before.bare
                    or not before.yes_no):
                # "Moja koleżanka pojedzie zamiast mnie, czy to problem?": what it asks
                # about is the statement just before it.
                before = joined[-1]
                if (before.role != "context" or before.reason
                        or before.sentence != clause.sentence):
                    joined.append(clause)
                    continue
            index = joined.index(before)
            asked = " ".join(w for w in clause.text.split() if not set(words(w)) <= _TAILS)
            joined[index] = replace(before, text=f"{before.text} {asked}".strip(),
                                    words=before.words + clause.words, role="question",
                                    then=clause.text)
            continue
        joined.append(clause)
    return joined


def _leads_on(part: str) -> bool:
    """"I jeszcze: którego dnia…", "And also: which…": only words that lead on to what
    follows, which asks (no relative clause of a noun before it)."""
    return all(w in _CONJUNCTIONS or w in _SMALL for w in words(part))


def _sentence_breaks(text: str) -> str:
    """"gdzie jest forum Będę wdzięczna za odpowiedź", "who organises it Many thanks": a
    closing typed without a full stop still ends the sentence before it; so does a capital
    opening a sentence of its own ("…dostęp do internetu Muszę odpisywać na maile", "…the
    fairgrounds Does it start at 2"): a word of the language's grammar, not a name."""
    text = _CLOSING.sub("\n", text)
    text = _CAPITAL_START.sub(lambda m: "\n" if fold(m.group(1).lower()) in _STARTERS
                              else m.group(0), text)
    # "Where was the forum held I missed it": the writer's "I" after a word that ends a
    # clause (not "where can I", "if I", "and I"; nor "the next event I can go to", "about
    # 50 people I think")
    if " A " in text:
        text = _CAPITAL_A.sub("\n", text)  # "…kolejna edycja A przy okazji kto…"
    if " I" not in text:
        return text
    return _PRONOUN_I.sub(lambda m: f"{m.group(1)}\n" if fold(m.group(1).lower()) not in _BEFORE_I
                          else m.group(0), text)


def _sentences(text: str) -> list[tuple[str, bool]]:
    """(sentence, whether it ends with a question mark)."""
    found: list[tuple[str, bool]] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        if end.group().startswith(".") and _abbreviated(text[start:end.start()], text[end.end():]):
            continue
        found.append((text[start:end.start()], "?" in end.group()))
        start = end.end()
    found.append((text[start:], False))
    return [(s, asked) for s, asked in found if s.strip()]


# Shortened words that often end a sentence: a capital after them starts the next one.
_SENTENCE_ENDINGS = frozenset({"zl", "pln", "itd", "itp", "etc", "eur"})


def _abbreviated(before: str, after: str = "") -> bool:
    """'ul.', 'np.', 'godz.', a number or an initial: a full stop that ends no sentence;
    a digit's does before a capital ("…a morning session, 9 to 1. Is that still the plan?")."""
    last = words(before[-12:])
    if last and (last[-1].isdigit() or last[-1] in _SENTENCE_ENDINGS) and (
            after.lstrip()[:1].isupper()):
        return False  # ("Bilet kosztuje chyba 500 zł. Czy można…": "zł." ends it too)
    return bool(last) and (last[-1] in _ABBREVIATIONS or len(last[-1]) == 1)


def _split_questions(piece: str) -> list[str]:
    """A clause cut where a second question starts ("gdzie i o której", "what time does it
    start and is there a dress code") or where a question follows its lead-in ("jestem z
    Lublina i chcę wiedzieć | kiedy jest forum")."""
    raw = piece.split()
    folded = [words(w) for w in raw]
    cuts = []
    started = _opens_question([w for f in folded for w in f][:3])
    for i in range(1, len(raw)):
        ahead = [w for f in folded[i:i + 2] for w in f]
        previous = folded[i - 1]
        if not ahead or not previous:
            continue
        if previous[-1] in _CONJUNCTIONS and _second_question(previous[-1], ahead):
            # "…and also | is there parking", "a | także gdzie": the question opens at the
            # last of the joining words; the first stays behind, as "i" in "…poruszane i | też"
            if cuts and cuts[-1] == i - 2 and len(folded[i - 2]) == 1:
                cuts.pop()
            cuts.append(i - 1)
            started = True
        elif started and _runs_on(folded, i):
            cuts.append(i)  # "kto jest organizatorem | jaki jest adres strony"
        elif _opens_reason([previous[-1], *ahead]):
            cuts.append(i - 1)
        elif ahead[0] in _THEREFORE and i > 2:
            # "forum trwa cały dzień do 18 | więc mogę przyjść po południu?": what follows
            # from a statement is asked apart from it
            cuts.append(i)
        elif not started and _asks(ahead) and _lead_in_ends(folded[:i], ahead):
            cuts.append(i)
            started = True
        elif (not started and i > 2 and ahead[0] in _PLEASE
              and previous[-1] not in _PREPOSITIONS):
            # "w związku z otrzymanym zaproszeniem (uprzejmie) | proszę o potwierdzenie
            # adresu": what comes before the request is its occasion
            cuts.append(i)
            started = True
    parts, last = [], 0
    for cut in cuts:
        parts.append(" ".join(raw[last:cut]))
        last = cut
    parts.append(" ".join(raw[last:]))
    return [p for p in parts if words(p)]


# The words that open a second question typed straight after a whole first one, with no
# question mark or comma between ("is there a dress code what time should we arrive", "kto
# jest organizatorem jaki jest adres strony"). Those that also open a relative clause ("a
# place where…", "the people who…") or an indirect question ("whether the sessions will
# be…") open one only as `_runs_on` reads them.
_RUN_ON_WORDS = frozenset({"what", "how", "jaki", "jaka", "jakie", "jakim", "jakich", "ile",
                           "kto", "kogo", "komu", "gdzie", "kiedy", "ktorej", "ktorym"})
_RUN_ON_VERBS = frozenset({"is", "are", "can", "do", "does", "will", "czy"})
_ENGLISH_VERBS = _RUN_ON_VERBS - {"czy"}
# The subject after an English verb that opens a question ("is there", "can we").
_ASKED_SUBJECTS = frozenset({"there", "i", "we", "you", "it"})
_PRONOUNS = frozenset({"it", "there", "them", "you", "me", "us"})
# Words after which no sentence ends ("the", "my", "ten", "się"…).
_UNENDED = frozenset({"the", "a", "an", "my", "our", "your", "this", "that", "these", "those",
                      "ten", "ta", "te", "tego", "tej", "sie", "of", "its", "their"})
_NO_END = (_ASK_WORDS | _TELL_ME | _PREPOSITIONS | _CONJUNCTIONS | _REQUEST_WORDS | _UNENDED
           | _QUESTION_WORDS)
_LEADING = _SMALL | _CONJUNCTIONS
# One word that asks to confirm at the end of a sentence, question mark or not.
_END_TAGS = frozenset({"prawda", "right", "correct", "serio", "true", "yeah", "yes", "tak",
                       "nie", "no", "racja"})
# Words after which the English "I" goes on with their clause ("can I", "if I", "so I").
_BEFORE_I = (_QUESTION_STARTS | _QUESTION_WORDS | _CONJUNCTIONS | _PREPOSITIONS | _REASONS
             | _CONDITIONS | _ASK_WORDS | lexicon_words("before_i_words"))
_JOINING = _CONJUNCTIONS - _QUESTION_WORDS - {"i"}  # a further joining word ("and also")
_DESCRIBING = _RELATIVE_PRONOUNS | {"where", "when"}  # what may open a relative clause
_RUN_ON_OPENERS = _RUN_ON_WORDS | _RUN_ON_VERBS | _DESCRIBING | {"jak"}


def _leads_into(part: str) -> bool:
    """Only words that lead on ("I jeszcze:") or ask ("Interesuje mnie,"): what follows is
    the question ("…, którego dnia jest forum"), not a relative clause of a noun."""
    found = words(part)
    return _leads_on(part) or (any(w in _ASK_WORDS for w in found) and all(
        w in LEAD_IN or w in STOP_WORDS for w in found))


def _no_relative(before: str, found: list[str] | tuple[str, ...]) -> bool:
    """"who organises it | who are the speakers": after a pronoun there is no noun for
    "who" to describe; "…the programme | who do I contact": a verb before its subject asks."""
    return before in _PRONOUNS or (len(found) > 2 and found[1] in _QUESTION_STARTS
                                   and found[2] in _ASKED_SUBJECTS)


def _runs_on(folded: list[list[str]], at: int) -> bool:
    """A second question typed on at word `at`, after a whole first one, without a break:
    the first opened with a question word and ended on a word a sentence can end on; the
    second opens as a question does and names something of its own."""
    head = [w for f in folded[at:at + 3] for w in f]
    if len(head) < 3:
        return False
    first, second = head[1:3] if head[0] in _PREPOSITIONS else head[:2]
    if first not in _RUN_ON_OPENERS:
        return False
    rest = [w for f in folded[at:] for w in f]
    said = [w for f in folded[:at] for w in f]
    while said and said[0] in _LEADING and said[0] not in _QUESTION_WORDS:
        said.pop(0)
    if len(said) < 2 or said[-1] in _NO_END or not _opens_question(said[:3]):
        return False
    if first in _ENGLISH_VERBS and _QUESTION_STARTS.isdisjoint(said):
        return False  # "What day of the week | is the forum": the first has no verb yet
    if first == "jak":
        opens = second == "sie" or second.endswith("c")  # "jak się zgłosić", not "jak w…"
    elif first in _DESCRIBING and _no_relative(said[-1], rest):
        opens = True
    elif first in ("where", "when"):
        opens = second in _QUESTION_STARTS  # "where can I park", not "where I can park"
    elif first == "which":
        opens = second not in _QUESTION_STARTS | STOP_WORDS  # "which day", not "which is"
    elif first in _ENGLISH_VERBS:
        opens = second in _ASKED_SUBJECTS  # "is there", not "…the sessions | will be"
    elif first == "czy":
        # "…w hali A czy w B", "czy w dżinsach, czy trzeba garnitur": either one, one question
        opens = second not in _PREPOSITIONS | _RUN_ON_WORDS and said[0] != "czy"
    else:
        opens = first in _RUN_ON_WORDS
    return opens and any(w not in STOP_WORDS and w not in _QUESTION_WORDS for w in rest[1:])


def _second_question(conjunction: str, ahead: list[str]) -> bool:
    """After "i/a/and/or...", whether a second question starts. English "I" is not the
    Polish "i": "I need", "I am" open no question."""
    if ahead[0] == "i" and language_of_word(conjunction) == "en":
        return False  # "and I wanted to ask...": the English pronoun after "and"
    if conjunction == "i":
        # "i gdzie", "i proszę o...", "i info, czy jest parking"
        return (_asks(ahead) or (ahead[0] in _REQUEST_WORDS and language_of_word(ahead[0]) == "pl")
                or (ahead[0] in _ASK_WORDS and _asks(ahead[1:] or [""])))
    return _opens_question(ahead)


def _lead_in_ends(before: list[list[str]], ahead: list[str]) -> bool:
    """A question word inside a sentence opens the question when the words before it are
    a lead-in: a self-introduction or words of asking ("jestem z Lublina i chcę wiedzieć |
    kiedy", "I wonder | when"). "A strona forum to jaka była?" is one question, "the one
    who asked" none."""
    lead = [w for f in before for w in f]
    while lead and lead[0] in _SMALL:
        lead.pop(0)
    if any(w in _ASK_WORDS or w in _REQUEST_WORDS for w in lead):
        return True
    first = ahead[1] if ahead[0] in _PREPOSITIONS and len(ahead) > 1 else ahead[0]
    return first not in _RELATIVE and _opens_intro(lead)


def _opens_reason(found: list[str]) -> bool:
    """A reason or purpose starts here: "bo...", "because...", "so we can..." (but not
    "so is it free?")."""
    if not found:
        return False
    if found[:1] == ["as"] and found[1:2] and found[1] in _AS_NO_REASON:
        return False  # "…happening as part of the MSPO exhibition?", "as planned": no why
    return found[0] in _REASONS or (found[0] in _PURPOSES and found[1:2] != []
                                    and found[1] in _PURPOSE_FOLLOWERS)


def _asks(first: list[str]) -> bool:
    """A question word here opens a question ("gdzie", "o której"; not "tak jak", "co roku")."""
    if first[0] in _PREPOSITIONS:
        first = first[1:]
    if not first or first[0] not in _QUESTION_WORDS:
        return False
    nxt = first[1] if len(first) > 1 else ""
    return nxt not in _NOT_QUESTION_AFTER.get(first[0], ())


def _opens_question(first: list[str]) -> bool:
    if not first:
        return False
    if first[0] == "i" and len(first) > 1 and (
            language_of_word(first[1]) == "en" or first[1] in _QUESTION_STARTS) and not (
            first[1] in _PREPOSITIONS and first[2:3] and first[2] in _QUESTION_WORDS):
        # "I am", "I need", "I was": the English pronoun, not the Polish "i" ("I do kogo
        # pisać", "I w której hali")
        return False
    if first[0] in _CONJUNCTIONS and first[0] not in _QUESTION_WORDS:
        first = first[1:]
    while first[1:] and first[0] in _JOINING:
        first = first[1:]  # "and also is there…" ("but I need": the pronoun)
    if not first:
        return False
    if first[0] in _QUESTION_STARTS and first[1:2] == ["t"]:
        return False  # "can't travel", "don't know": a statement
    if first[0] in _ASK_WORDS and _asks(first[1:] or [""]):
        return True  # "info, czy jest parking", "pytanie: gdzie..."
    return _asks(first) or first[0] in _QUESTION_STARTS or first[0] in _REQUEST_WORDS


def _classify(text: str, asked: bool, sentence: int) -> Clause:
    found = words(text)
    content = list(found)
    if all(w in _SMALL for w in found) or (not asked and all(
            w in _QUESTION_COUNTS or w.isdigit() for w in found)):
        # "Hi", and "two quick things:", "mam dwie sprawy": nothing asked, no topic named
        return Clause(text, tuple(found), "small", sentence)
    if set(found) <= _TELL_ME and not _ASK_WORDS.isdisjoint(found):
        # "how long the forum lasts. can u tell me?": asked beside it
        return Clause(text, tuple(found), "small", sentence)
    if _opens_reason(content) or (found[0] in APOLOGIES and not any(
            w in _QUESTION_WORDS and w not in _YES_NO_OPENERS for w in content)):
        # "..., bo w zaproszeniu tak pisało?": why, not what; "sorry if they're dumb:"
        return Clause(text, tuple(found), "context", sentence)
    while content and content[0] in _SMALL and content[0] not in _QUESTION_WORDS:
        content.pop(0)
    if _asks_to_know(found):
        # "I'd like to know the time of the forum and whether there's a fee": a question
        return Clause(text, tuple(found), "question", sentence)
    if asked or _opens_question(content[:3]) or _ends_asking(content) or _asks_after_filler(
            content):
        lead = content[1:] if content[0] in _CONJUNCTIONS and len(content) > 1 else content
        wish = not asked and not _asks(lead[:2]) and lead[0] in _REQUEST_WORDS
        # "Paturej to chyba wiceminister?": a hedged yes/no question states a claim.
        hedged = any(w in _HEDGES for w in found) and not any(w in _QUESTION_WORDS for w in lead)
        return Clause(text, tuple(found), "question", sentence, checks=hedged, wish=wish)
    if _opens_intro(content) or _opens_intro(found):
        return Clause(text, tuple(found), "intro", sentence)
    if any(w in _ASK_WORDS for w in content):  # "Mój szef pyta", "our delegation wonders"
        return Clause(text, tuple(found), "intro", sentence)
    return Clause(text, tuple(found), "context", sentence)


def _asks_to_know(found: list[str]) -> bool:
    """Opens with "I'd like to know", "I want to know" and names something after it. (The
    Polish "chciałabym się dowiedzieć…" was measured too: one worse on a set never read.)"""
    rest = found[1:] if found[:1] == ["i"] else found
    rest = rest[1:] if rest[:1] in (["d"], ["would"]) else rest
    for lead in _KNOW_LEADS:
        if tuple(rest[:len(lead)]) == lead and len(rest) > len(lead) + 1:
            return rest[len(lead)] not in _QUESTION_WORDS  # ("… to know when": asked anyway)
    return False


def _first_word(clause: Clause) -> str:
    """The first word that is not a greeting, thanks or filler ("Poza tym proszę…": proszę)."""
    return next((w for w in clause.words if w not in _SMALL), "")


def _relative(found: list[str]) -> bool:
    """Opens a Polish relative clause ("którą inaugurowano", "które organizuje ICCSS"), not a
    question ("który to dzień?")."""
    return found[0] in _POLISH_RELATIVES and found[1:2] != ["to"]


def _embedded(pieces: list[str]) -> tuple[list[str], set[int]]:
    """"Czy to prawda, że ta organizacja, co robi forum, prowadzi szkolenia?": a relative
    clause inside a question says which; the question is what is around it. The pieces with
    the two halves joined, the relative clause after them, and the relative clause's index."""
    for i in range(1, len(pieces) - 1):
        found, after = words(pieces[i]), words(pieces[i + 1])[:1]
        # (an English "which", "who", "that" is a relative pronoun when a verb follows it:
        # "which is run by ICCSS"; "which platform are you using" asks)
        opening = found[:1] if found[:1] and (found[0] in _POLISH_RELATIVES | {"co"} or (
            found[0] in _RELATIVE_PRONOUNS and found[1:2] and found[1] in _RELATIVE_VERBS)
        ) else []
        if (opening and after
                and after[0] not in _QUESTION_WORDS and after[0] not in _QUESTION_STARTS
                and after[0] not in _CONJUNCTIONS and after[0] not in _ADDING):
            joined = f"{pieces[i - 1]} {pieces[i + 1]}"
            return [*pieces[:i - 1], joined, pieces[i], *pieces[i + 2:]], {i}
    return pieces, set()


def _opens_intro(found: list[str] | tuple[str, ...]) -> bool:
    """Opens with a self-introduction ("nazywam się", "I work for")."""
    return any(tuple(found[:n]) in phrases for n, phrases in _INTRO.items())


def _opens_condition(found: tuple[str, ...]) -> bool:
    """"if...", "Sorry if this is a silly question", "jeśli tak...": a condition."""
    if tuple(found[:2]) in _TWO_WORD_CONDITIONS:  # "in case I have more questions"
        return True
    content = [w for w in found if w not in _SMALL or w in _CONDITIONS]
    return bool(content) and content[0] in _CONDITIONS and not _asks_after_filler(content)


def _asks_after_filler(content: list[str]) -> bool:
    """"I w ogóle ile to trwa", "and btw when is it": a question word after fillers."""
    rest = content[1:] if content and content[0] in _CONJUNCTIONS else content
    if len(rest) > 2 and rest[0] in _CONDITIONS and rest[1] in _SO:
        # "a jeśli tak, to gdzie formularz", "if so, where do I sign up"
        rest = rest[3:] if rest[2] in ("to", "then") else rest[2:]
        return bool(rest) and _asks(rest)
    skipped = 0
    if len(rest) > 2 and SLANG.get((rest[0], rest[1])) == () and _asks(rest[2:]):
        return True  # "a przy okazji kto…": a phrase that says nothing, then the question
    while rest[1:] and skipped < 3 and (rest[0] in _FILLERS or rest[1] in _FILLERS):
        rest, skipped = rest[1:], skipped + 1
    return skipped > 0 and bool(rest) and _asks(rest)


def _ends_asking(content: list[str]) -> bool:
    """"a ten Paturej to kto", "forum jest gdzie": a question word at the end asks."""
    return bool(content) and content[-1] in _QUESTION_WORDS and content[-1] not in _RELATIVE


def _mark_asked_last(clauses: list[Clause]) -> None:
    """A message that asks nothing outright ("Szukam informacji o parkingu.", "parking"):
    what it says is what it asks."""
    if any(c.role == "question" for c in clauses):
        return
    # "..., uprzejmie proszę o potwierdzenie adresu.\nZ poważaniem\nAnna Wróbel": what it
    # requests, when it requests something; the signature asks nothing.
    requests = [i for i, c in enumerate(clauses) if c.role in ("context", "intro")
                and any(w in _REQUEST_WORDS for w in c.words)]
    # "My boss asked me to find out, before tomorrow, who we should contact.": the clause
    # a question word opens, not the words around it.
    requests = requests or [i for i, c in enumerate(clauses) if c.role == "context"
                            and c.words[0] not in _POLISH_RELATIVES | {"co", "that"}
                            and _opens_question(list(c.words[:3]))]
    for role in ("context", "intro"):
        chosen = requests or [i for i, c in enumerate(clauses) if c.role == role]
        if chosen and not requests:
            # (the last sentence that is not a closing: "…agenda for the forum Many thanks",
            # "…dojazd Pozdrawiam, Anna")
            closing = {c.sentence for c in clauses if _A_CLOSING.match(c.text)}
            said = [i for i in chosen if clauses[i].sentence not in closing] or chosen
            chosen = [i for i in said if clauses[i].sentence == clauses[said[-1]].sentence]
        if chosen:
            for i in chosen:
                clauses[i] = clauses[i].as_role("question")
            return
