"""Text to comparable terms: fold case and Polish letters, drop fillers, reduce inflection.

"Gdzie jest Forum w Kielcach?" -> ["gdzie", "forum", "kielc"]. The same function runs on
the knowledge base and on every question, so both sides meet in the same form.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

import Stemmer

LEXICON_FILE = Path(__file__).with_name("lexicon.toml")

# ł has no decomposition in Unicode, so NFD alone would keep it; fold it by hand.
_POLISH = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")
_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[^\W_]+")
_POLISH_STEMMER = Stemmer.Stemmer("polish")
_ENGLISH_STEMMER = Stemmer.Stemmer("english")


def fold(text: str) -> str:
    """Lower case, Polish letters and other accents folded to ASCII."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_POLISH)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of a text, in order (nothing dropped)."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Reduce one folded word: the Polish Snowball stemmer, then the English one. Stemming
    the folded form makes 'zaproponować' and 'zaproponowac' one term, as users type both."""
    reduced = _POLISH_STEMMER.stemWord(word)
    reduced = _ENGLISH_STEMMER.stemWord(reduced)
    return reduced if len(reduced) >= 2 else word


def _load_lexicon() -> dict[str, list[str]]:
    with open(LEXICON_FILE, "rb") as fh:
        return tomllib.load(fh)


_LEXICON = _load_lexicon()
STOP_WORDS = frozenset(_LEXICON["stop_words"])
MEDIA_PREFIXES = tuple(_LEXICON["media_prefixes"])
MEDIA_WORDS = frozenset(_LEXICON["media_words"])
GENERIC_WORDS = frozenset(_LEXICON["generic_words"])
GREETING_WORDS = frozenset(_LEXICON["greeting_words"])
UNSTEMMED = frozenset(_LEXICON["unstemmed"])
THANKS_WORDS = frozenset(_LEXICON["thanks_words"])
QUESTION_WORDS = frozenset(_LEXICON["question_words"])


def generic_terms() -> frozenset[str]:
    """The stems of the generic words (the event's own name, 'event', 'take place')."""
    return frozenset(stem(word) for word in GENERIC_WORDS)


def tokens(text: str) -> list[tuple[str, str]]:
    """(term, surface) for each meaningful word: the stem the matcher compares, and the
    folded word as typed (typos are matched on the surface: 'kidey' is close to 'kiedy',
    not to its stem 'kied')."""
    lowered = unicodedata.normalize("NFKC", text).lower()
    result = []
    for raw in _TOKEN.findall(lowered):
        folded = fold(raw)
        if folded in STOP_WORDS:
            continue
        if folded in UNSTEMMED or not raw.isalpha():
            result.append((folded, folded))
        else:
            result.append((stem(folded), folded))
    return result


def terms(text: str) -> list[str]:
    """The terms the matcher compares: words without fillers, stemmed, in order."""
    return [term for term, _ in tokens(text)]


def small_talk(text: str) -> str | None:
    """'greeting' or 'thanks' when the message is only that, else None."""
    found = words(text)
    if not found:
        return None
    if all(w in GREETING_WORDS for w in found):
        return "greeting"
    if all(w in THANKS_WORDS for w in found):
        return "thanks"
    return None


def mentions_press(text: str) -> bool:
    """Whether the text is a press question: journalist, accreditation, interview, TV..."""
    for word in words(text):
        if word in MEDIA_WORDS or word.startswith(MEDIA_PREFIXES):
            return True
    return False


_LANG_MARKERS = {
    "pl": frozenset(
        "czy jest jak gdzie kiedy ile jaki jaka jakie sie na do w z o ktorej kto co mozna "
        "bedzie prosze dzien dobry czesc dziekuje forumu zapisac trwa kosztuje".split()
    ),
    "en": frozenset(
        "is the where when what how who which can i do does will of to a an at for "
        "please hello hi thanks thank much long it register".split()
    ),
}


def guess_language(text: str) -> str | None:
    """'pl' or 'en' when the text says so clearly (Polish letters, common words), else None."""
    if any(ch in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ" for ch in text):
        return "pl"
    found = words(text)
    pl = sum(w in _LANG_MARKERS["pl"] for w in found)
    en = sum(w in _LANG_MARKERS["en"] for w in found)
    if pl > en:
        return "pl"
    if en > pl:
        return "en"
    return None
