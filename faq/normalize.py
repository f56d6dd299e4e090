"""Text to comparable terms: fold case and Polish letters, drop fillers, reduce inflection.

"Gdzie jest Forum w Kielcach?" -> ["gdzie", "forum", "kielc"]. The same function runs on
the knowledge base and on every question, so both sides meet in the same form.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import Stemmer

LEXICON_FILE = Path(__file__).with_name("lexicon.toml")

# ł has no decomposition in Unicode, so NFD alone would keep it; fold it by hand.
_POLISH = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[^\W_]+")
_POLISH_STEMMER = Stemmer.Stemmer("polish")
_ENGLISH_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case, Polish letters and other accents folded to ASCII."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_POLISH)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of a text, in order (nothing dropped)."""
    return list(_words(text))


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(fold(text)))


_ENGLISH_VERB_ENDINGS = ("ise", "ize")  # no Polish word ends so


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Reduce one folded word: the Polish Snowball stemmer, then the English one. Stemming
    the folded form makes 'zaproponować' and 'zaproponowac' one term, as users type both."""
    if word.endswith(_ENGLISH_VERB_ENDINGS):
        # "organise": the Polish stemmer's dropped "e" would leave "organi", not "organis"
        return _ENGLISH_STEMMER.stemWord(word)
    reduced = _POLISH_STEMMER.stemWord(word)
    reduced = _ENGLISH_STEMMER.stemWord(reduced)
    return reduced if len(reduced) >= 2 else word


def _load_lexicon() -> dict[str, Any]:
    with open(LEXICON_FILE, "rb") as fh:
        return tomllib.load(fh)


LEXICON = _load_lexicon()


def lexicon_words(*lists: str) -> frozenset[str]:
    """The words of the named lists of faq/lexicon.toml, together."""
    return frozenset(word for name in lists for word in LEXICON[name])


STOP_WORDS = frozenset(LEXICON["stop_words"])
MEDIA_PREFIXES = tuple(LEXICON["media_prefixes"])
MEDIA_WORDS = frozenset(LEXICON["media_words"])
MEDIA_NEGATIONS = frozenset(LEXICON["media_negations"])
MEDIA_PRIVATE = frozenset(LEXICON["media_private"])
GENERIC_WORDS = frozenset(LEXICON["generic_words"])
RELATIVE_DAYS = frozenset(LEXICON["claims"]["relative_days"])
_WEEKDAYS = frozenset(w for forms in LEXICON["claims"]["weekdays"] for w in forms)
_GONE_BY = frozenset(LEXICON["claims"]["gone_by_words"])
GREETING_WORDS = frozenset(LEXICON["greeting_words"])
# Words asking for help, and their language ("menu" is both: listed under Polish).
HELP_LANGUAGE = {w: lang for lang in ("pl", "en") for w in LEXICON[f"help_words_{lang}"]}
HELP_WORDS = frozenset(HELP_LANGUAGE)
UNSTEMMED = frozenset(LEXICON["unstemmed"])
THANKS_WORDS = frozenset(LEXICON["thanks_words"])
# Colloquial phrase (as folded words) -> the words the knowledge base uses for it.
SLANG: dict[tuple[str, ...], tuple[str, ...]] = {
    tuple(phrase.split()): tuple(meaning.split())
    for table in LEXICON["slang"].values()
    for phrase, meaning in table.items()
}
_SLANG_LONGEST = max((len(phrase) for phrase in SLANG), default=1)
LANGUAGE_WORDS = {lang: frozenset(found) for lang, found in LEXICON["language"].items()}


def generic_terms() -> frozenset[str]:
    """The stems of the generic words (the event's own name, 'event', 'take place')."""
    return frozenset(stem(word) for word in GENERIC_WORDS)


def tokens(text: str) -> list[tuple[str, str]]:
    """(term, surface) for each meaningful word (see `_tokens`)."""
    return list(_tokens(text))


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[tuple[str, str], ...]:
    """(term, surface) for each meaningful word: the stem the matcher compares, and the
    folded word as typed (typos are matched on the surface: 'kidey' is close to 'kiedy',
    not to its stem 'kied'). Slang is read as the words it stands for; a single letter or
    digit says nothing."""
    result = []
    for raw, folded in _unslang([(raw, fold(raw)) for raw in raw_words(text)]):
        if folded in STOP_WORDS or len(folded) < 2:
            continue
        if folded in UNSTEMMED or not raw.isalpha():
            result.append((folded, folded))
        else:
            result.append((stem(folded), folded))
    return _relative_days(result)


def _relative_days(found: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """"jutro", "today" say when the guest asks, not what: beside a word of its own they
    count for nothing ("o której jutro?"); beside the event's name alone they ask when
    ("czy forum jest jutro?", "is it today?")."""
    # ("last Thursday", "w zeszły czwartek": a weekday gone by is a when as vague)
    gone = {i for i, (_, surface) in enumerate(found) if surface in _WEEKDAYS and i
            and found[i - 1][1] in _GONE_BY}
    gone |= {i - 1 for i in gone}
    days = [surface for i, (_, surface) in enumerate(found)
            if surface in RELATIVE_DAYS or i in gone]
    if not days:
        return tuple(found)
    rest = [(term, surface) for i, (term, surface) in enumerate(found)
            if surface not in RELATIVE_DAYS and i not in gone]
    if any(surface not in GENERIC_WORDS for _, surface in rest):
        return tuple(rest)
    when = "kiedy" if language_of_word(days[0]) == "pl" else "when"
    return (*rest, (stem(when), when))


def _unslang(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The words with each colloquial phrase replaced by its meaning, longest phrase first."""
    if not SLANG:
        return found
    result: list[tuple[str, str]] = []
    i = 0
    while i < len(found):
        for n in range(min(_SLANG_LONGEST, len(found) - i), 0, -1):
            meaning = SLANG.get(tuple(folded for _, folded in found[i:i + n]))
            if meaning is not None:
                result.extend((word, word) for word in meaning)
                i += n
                break
        else:
            result.append(found[i])
            i += 1
    return result


def terms(text: str) -> list[str]:
    """The terms the matcher compares: words without fillers, stemmed, in order."""
    return [term for term, _ in tokens(text)]


def small_talk(text: str) -> str | None:
    """'greeting', 'thanks' or 'help' when the message is only that, else None."""
    found = words(text)
    if not found:
        return None
    if all(w in GREETING_WORDS for w in found):
        return "greeting"
    if all(w in HELP_WORDS or w in GREETING_WORDS for w in found):
        return "help"
    if all(w in THANKS_WORDS for w in found):
        return "thanks"
    return None


def mentions_press(text: str) -> bool:
    """Whether the text is a press question: journalist, accreditation, interview, TV...
    ("nie ten z telewizji", "not from the press", "pytam prywatnie" are not)."""
    found = words(text)
    if any(w in MEDIA_PRIVATE for w in found):
        return False
    for i, word in enumerate(found):
        if word in MEDIA_WORDS or word.startswith(MEDIA_PREFIXES):
            if not any(w in MEDIA_NEGATIONS for w in found[max(0, i - 3):i]):
                return True
    return False


_POLISH_LETTERS = re.compile("[ąćęłńóśźż]")


def language_of_word(raw: str) -> str | None:
    """'pl' or 'en' when a word belongs to one language only (Polish letters, the function
    words of faq/lexicon.toml), else None ('forum', 'a', 'to', names)."""
    lowered = raw.lower()
    if _POLISH_LETTERS.search(lowered):
        return "pl"
    folded = fold(lowered)
    in_pl, in_en = folded in LANGUAGE_WORDS["pl"], folded in LANGUAGE_WORDS["en"]
    if in_pl != in_en:
        return "pl" if in_pl else "en"
    return None


@lru_cache(maxsize=1)
def _zipfs() -> dict[str, dict[str, float]]:
    """The words of everyday Polish and of everyday English (wordfreq's lists of words more
    frequent than one in a million), folded ("zgubie" as typed without Polish letters), each
    with the Zipf frequency of the most frequent word that folds to it (6: once in a
    thousand words, 3: once in a million)."""
    import wordfreq  # loaded once per process, when the first matcher is built

    found: dict[str, dict[str, float]] = {}
    for lang in ("pl", "en"):
        found[lang] = {}
        for word, frequency in wordfreq.get_frequency_dict(lang, wordlist="small").items():
            folded = fold(word)
            zipf = math.log10(frequency) + 9
            if zipf > found[lang].get(folded, 0.0):
                found[lang][folded] = zipf
    return found


@lru_cache(maxsize=1)
def _common_words() -> dict[str, float]:
    """The words of everyday Polish or English, with the Zipf frequency of the more
    frequent."""
    pl, en = _zipfs()["pl"], _zipfs()["en"]
    return {word: max(pl.get(word, 0.0), en.get(word, 0.0)) for word in pl.keys() | en.keys()}


def leaning(word: str) -> str | None:
    """The language a word as typed, of both, is far more common in: 'date', 'event' are
    English words Polish borrows now and then (at least 1.5 apart on the Zipf scale: 30
    times as frequent); 'link', 'forum', 'agenda', 'parking' belong to both. The lists
    hold the words of everyday use (Zipf 3 and more), so a word missing from one may still
    be at 3 there, and a word missing from both ("asdf") is no one's."""
    import wordfreq

    pl, en = (max(3.0, wordfreq.zipf_frequency(word, lang, wordlist="small"))
              for lang in ("pl", "en"))
    if abs(pl - en) < 1.5:
        return None
    return "pl" if pl > en else "en"


def english_word(folded: str) -> bool:
    """Whether a folded word is an ordinary English word ("formal", "local")."""
    return folded in _zipfs()["en"]


def common_word(folded: str) -> bool:
    """Whether a folded word is an ordinary word of Polish or English ("rock", "remove",
    "teraz"), so not a typo of a word the knowledge base knows ("rok", "remote", "straz")."""
    return folded in _common_words()


def everyday(folded: str) -> float:
    """How common a folded word is in Polish or English, as a Zipf frequency (0: unheard
    of; "jednak", "our": 6; "pogoda", "pizza": 4.5)."""
    return _common_words().get(folded, 0.0)


def cased_words(text: str) -> list[str]:
    """The words of a text exactly as typed."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


def raw_words(text: str) -> list[str]:
    """The words of a text as typed, in lower case (Polish letters kept)."""
    return [word.lower() for word in cased_words(text)]


def language_votes(text: str) -> dict[str, int]:
    """How many of the text's words are only Polish, and only English."""
    votes = {"pl": 0, "en": 0}
    for raw in raw_words(text):
        lang = language_of_word(raw)
        if lang:
            votes[lang] += 1
    return votes


def guess_language(text: str) -> str | None:
    """'pl' or 'en' when most of the words that belong to one language say so, else None."""
    votes = language_votes(text)
    if votes["pl"] != votes["en"]:
        return "pl" if votes["pl"] > votes["en"] else "en"
    return None
