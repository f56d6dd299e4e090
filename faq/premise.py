"""Statements a guest asks us to confirm: "forum jest w Krakowie, prawda?", "it starts at
10, right?", "organizuje to MON?". The claim is read here; whether it holds is checked
against the event's facts, so the reply can begin with "No" (or "Yes") before the facts.

Only place, date, time, duration and organiser claims are read; anything else is answered
without a verdict.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from faq.normalize import GENERIC_WORDS, LEXICON, fold, words

About = Literal["place", "date", "time", "duration", "organiser", "audience", "edition", "hall",
                "fee"]
# The entry that answers each kind of claim, and the entries that answer it as well.
ENTRY: dict[str, str] = {"place": "venue", "date": "date", "time": "time",
                         "duration": "duration", "organiser": "organiser",
                         "audience": "audience", "edition": "first_time", "hall": "hall",
                         "fee": "fee"}
FAMILY: dict[str, frozenset[str]] = {
    "place": frozenset({"venue", "address", "directions", "hall", "mspo"}),
    "date": frozenset({"date", "time", "duration"}),
    "time": frozenset({"time", "date", "duration"}),
    "duration": frozenset({"duration", "time", "date"}),
    "organiser": frozenset({"organiser", "paturej"}),
    "audience": frozenset({"audience", "invitation"}),
    "edition": frozenset({"first_time", "about", "mspo"}),
    "hall": frozenset({"hall", "venue"}),
    "fee": frozenset({"fee"}),
}
# The entry on the edition after this one: questions about its date or place go there.
NEXT_EDITION = "next_edition"
# ... and the one on the edition before ("Kiedy odbyło się forum w Piasecznie?"), named by
# the words of `previous_edition_words`.
PREVIOUS_EDITION = "piaseczno"
PREVIOUS_WORDS = frozenset(LEXICON["claims"]["previous_edition_words"])
EDITION_FACTS = FAMILY["place"] | FAMILY["date"]

_CLAIMS = LEXICON["claims"]
_PLACES = frozenset(_CLAIMS["places"])
_PLACE_PREPOSITIONS = frozenset(_CLAIMS["place_prepositions"])
_MONTHS = {form: n + 1 for n, forms in enumerate(_CLAIMS["months"]) for form in forms}
_WEEKDAYS = {form: n for n, forms in enumerate(_CLAIMS["weekdays"]) for form in forms}
MONTH_WORDS = frozenset(_MONTHS)
DATE_WORDS = MONTH_WORDS | frozenset(_WEEKDAYS)  # folded: "wrzesniu", "piatek"
_DAY_PARTS = {word: tuple(hours) for word, hours in _CLAIMS["day_parts"].items()}
_END_WORDS = frozenset(_CLAIMS["end_words"])
_TIME_WORDS = frozenset(_CLAIMS["time_words"])
_DURATION_UNITS = _CLAIMS["duration_units"]
_DURATION_WORDS = frozenset(_CLAIMS["duration_words"])
_LENGTH_WORDS = _CLAIMS["length_words"]
_NUMBERS = _CLAIMS["numbers"]
_ORDINALS: dict[str, int] = _CLAIMS["ordinals"]
_EDITION_WORDS = frozenset(_CLAIMS["edition_words"])
_HALL_WORDS = frozenset({"hala", "hali", "hale", "halle", "pawilon", "pawilonie", "hall",
                         "pavilion", "sala", "sali", "room"})
_ORGANISER_WORDS = frozenset(_CLAIMS["organiser_words"])
_ORGANISER_NAMES = frozenset(_CLAIMS["organiser_names"])
_RUNS = frozenset({"run", "runs"})  # "run by ICCSS", "ICCSS runs it"; not "runs all week"
_THIS_EDITION = frozenset({"znowu", "znow", "ponownie", "again", "tegoroczne", "tegoroczny"})
_ONLINE = frozenset(_CLAIMS["online_words"])
_CURRENCY = frozenset(_CLAIMS["currency_words"])
_ONLY = frozenset(_CLAIMS["only_words"])
_FOR = frozenset({"dla", "for"})
_DEMONSTRATIVES = frozenset({"this", "that", "it", "tego", "tej", "to", "ten", "niego", "niej"})
_NUMBER_AND_UNIT = re.compile(r"(\d+)([a-z]+)")
_OTHER_EVENTS = frozenset(_CLAIMS["other_event_words"])
_NEXT_PHRASES = {tuple(phrase.split()) for phrase in _CLAIMS["next_edition_phrases"]}
_DESTINATIONS = frozenset(_CLAIMS["destination_prepositions"])
_WEAK_EVENT_WORDS = frozenset({"it", "its", "to", "ten", "ta", "this", "jest", "is", "bedzie",
                               "will", "o", "at", "from", "od", "am", "pm"})
# A claim is about the event when it names the event or what the event does.
_EVENT_WORDS = frozenset(_CLAIMS["event_words"]) | GENERIC_WORDS | _ORGANISER_WORDS | (
    _DURATION_WORDS | _TIME_WORDS - {"o", "at", "from", "od", "am", "pm"})
_AT = re.compile(r"(?:\bo|\bat|\bgodz\.?|\bod|\bfrom|\bdo|\buntil|\bstart)\s*$", re.I)
_YEAR = re.compile(r"20[2-4]\d")
_CLOCK = re.compile(  # "14", "14:00", "2 pm", "9am"; not "10th" (a day)
    r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?![\d.:])(?!(?:st|nd|rd|th)\b)", re.I)


# What Polish adds to a surname: "Paturej|a|em|owi", "Ostrek|iem", "Czerw|ówna".
_NAME_ENDINGS = frozenset(["", "a", "u", "em", "iem", "owi", "ie", "y", "ego", "emu", "owa",
                           "owej", "owna", "owny"])


@dataclass(frozen=True, slots=True)
class Facts:
    """What a claim is checked against, from the event file."""

    places: frozenset[str]  # the city and venue, folded ("kielce", "targi")
    day: int
    month: int
    weekday: int
    start_hour: int
    end_hour: int
    hours: float
    organisers: frozenset[str]  # folded words naming the organiser ("iccss", "paturej")
    year: int | None = None
    # Folded words only the next edition has: its year, its host's name ("2027", "ifre").
    next_words: frozenset[str] = frozenset()
    # The contact people: each one's folded surname and the entry with their contact
    # (("paturej", "contact_programme"), ...).
    people: tuple[tuple[str, str], ...] = ()

    def person(self, found: Iterable[str]) -> str | None:
        """The contact entry of the person one of `found` names: the surname, or it
        declined ("Paturejem", "Ostreka"; not "czerwca" for "Czerw")."""
        for word in found:
            for surname, entry in self.people:
                if word.startswith(surname) and word[len(surname):] in _NAME_ENDINGS:
                    return entry
        return None


def about_next_edition(text: str, facts: Facts) -> bool:
    """Whether a question is about the edition after this one ("the 2027 event", "w
    przyszłym roku", "kolejna edycja"), not this one."""
    found = words(text)
    pairs = set(itertools.pairwise(found))
    return any(w in facts.next_words for w in found) or bool(pairs & _NEXT_PHRASES)


@dataclass(frozen=True, slots=True)
class Claim:
    about: About
    places: tuple[str, ...] = ()
    days: tuple[int, ...] = ()
    years: tuple[int, ...] = ()  # "2026, a nie 2027?": one of them is claimed
    month: int | None = None
    weekday: int | None = None
    hours: tuple[int, ...] = ()
    part: tuple[int, int] | None = None
    ends: bool = False
    length: float | None = None  # hours
    names: tuple[str, ...] = ()
    ordinal: int | None = None  # "the third edition"
    stated: tuple[str, ...] = ()  # the words that state the claimed value

    @property
    def entry(self) -> str:
        return ENTRY[self.about]

    def holds(self, facts: Facts) -> bool | None:
        """True or False when the facts settle it, None when they do not."""
        if self.about == "place":
            return all(_is_place(p, facts) for p in self.places)
        if self.about == "date":
            if self.years and facts.year is not None and facts.year not in self.years:
                return False
            if self.month is not None and self.month != facts.month:
                return False
            if self.weekday is not None and self.weekday != facts.weekday:
                return False
            if self.days:
                return set(self.days) == {facts.day}
            return True if (self.month or self.weekday is not None or self.years) else None
        if self.about == "time":
            hour = facts.end_hour if self.ends else facts.start_hour
            if self.part:
                first, last = self.part
                return first <= hour <= last
            return all(h in (hour, hour - 12) for h in self.hours)
        if self.about == "duration":
            return self.length is not None and abs(self.length - facts.hours) < 0.01
        if self.about == "edition":
            # the first at MSPO: "the third edition" is wrong, "the first" needs no "yes"
            return False if self.ordinal and self.ordinal > 1 else None
        if self.about == "organiser":
            named = set(self.names)
            if named & facts.organisers:
                return True
            return None if named & {"targi", "mspo", "fair", "kielce"} else False
        return None


def find_claim(text: str, facts: Facts | None = None) -> Claim | None:
    """The claim a statement makes about the event, if it makes one; of several, the first
    the facts contradict ("the forum is in Kielce on 10 June, right?": the date)."""
    found = words(text)
    other = [w for w in found if w in _OTHER_EVENTS]
    named = any(w in _EVENT_WORDS for w in found)
    alone = _date(found, text)
    if (not named and (other or alone is None or not (alone.days or alone.weekday))) or (
            other and not _this_date(other, found, text, facts)):
        # not about this event ("następna edycja będzie w Warszawie?"); a date said alone
        # ("czyli piątek 10 września o 14, tak?") can only be this event's
        return None
    cased = re.findall(r"[^\W_]+", text)
    claims = [c for c in (_place(found), alone, _duration(found),
                          _time(found, text), _organiser(found, cased), _audience(found),
                          _edition(found), _hall(found), _fee(found)) if c is not None]
    if facts is not None:
        wrong = [c for c in claims if c.holds(facts) is False]
        claims = wrong or claims
    return claims[0] if claims else None


def _this_date(other: list[str], found: list[str], text: str, facts: Facts | None) -> bool:
    """"Forum w Piasecznie 10 września?", "W tym roku znowu w Piasecznie?": the other
    edition's place (or year) named with this one's date, or "again", is a claim about
    this one."""
    date = _date(found, text)
    if facts is None:
        return False
    if date is not None and date.days and all(_YEAR.fullmatch(w) for w in other):
        # "my colleague says it's on 10 September 2025": this event's day, another year
        return replace(date, years=()).holds(facts) is True
    this = (date is not None and date.holds(facts) is True) or any(
        w in _THIS_EDITION for w in found)
    return all(w in _PLACES for w in other) and this


_STRONG_EVENT_WORDS = _EVENT_WORDS - _WEAK_EVENT_WORDS


def names_event(text: str) -> bool:
    """Names the event or what it does by more than "it", "is", "will" ("spotkanie", "held",
    "the ticket")."""
    return any(w in _STRONG_EVENT_WORDS for w in words(text))


def elsewhere(text: str, facts: Facts) -> bool:
    """Whether the text asks about going to or being in another place, not the event's
    ("jak dojechać do Zakopanego?", "restaurants in Warsaw")."""
    found = words(text)
    # ("take place" names the event by "take"; "a sushi place in Warsaw" does not)
    if any(w in _EVENT_WORDS - _WEAK_EVENT_WORDS - {"place"} or w in _OTHER_EVENTS
           or _is_place(w, facts) for w in found):
        return False  # about the event, or the editions before and after it
    return any(w in _PLACES and i and found[i - 1] in _DESTINATIONS
               for i, w in enumerate(found))


def _is_place(place: str, facts: Facts) -> bool:
    return any(place.startswith(p[:5]) for p in facts.places)


def _hall(found: list[str]) -> Claim | None:
    """"forum jest w hali E", "it's in pavilion 3": a hall named (none is announced)."""
    for word, after in itertools.pairwise(found):
        if word in _HALL_WORDS and (len(after) == 1 or after.isdigit()):
            return Claim("hall", stated=(word, after))
    return None


def _fee(found: list[str]) -> Claim | None:
    """"wstęp kosztuje 300 zł", "it's 50 euro per person", "EUR 40": a price stated (the
    facts do not settle it: the answer says what is announced about a fee)."""
    for word, after in itertools.pairwise(found):
        if (word.isdigit() and after in _CURRENCY) or (word in _CURRENCY and after.isdigit()):
            return Claim("fee", stated=(word, after))
    return None


def _place(found: list[str]) -> Claim | None:
    # ("at the Poznań fairgrounds": the article between)
    places = tuple(w for i, w in enumerate(found)
                   if (w in _PLACES and i and (found[i - 1] in _PLACE_PREPOSITIONS or (
                       found[i - 1] == "the" and i > 1 and found[i - 2] in _PLACE_PREPOSITIONS)))
                   or w in _ONLINE)  # "it's fully online this year"
    return Claim("place", places=places, stated=places) if places else None


_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)$")


def _date(found: list[str], text: str) -> Claim | None:
    months = [_MONTHS[w] for w in found if w in _MONTHS]
    weekdays = [_WEEKDAYS[w] for w in found if w in _WEEKDAYS]
    years = tuple(int(w) for w in found if _YEAR.fullmatch(w))
    numeric = re.findall(r"\b(\d{1,2})[./](\d{1,2})\b", text)
    if numeric and not months:
        day, month = numeric[0]
        if 1 <= int(month) <= 12:
            return Claim("date", days=(int(day),), month=int(month), years=years,
                         stated=numeric[0])
    if not months and not weekdays and not years:
        return None
    # ("the 12th of September", "1st")
    days = tuple(int(n) for n in (_ORDINAL.sub("", w) for w in found)
                 if n.isdigit() and 1 <= int(n) <= 31) if months else ()
    stated = tuple(w for w in found if w in _MONTHS or w in _WEEKDAYS
                   or _ORDINAL.sub("", w).isdigit())
    return Claim("date", days=days, month=months[0] if months else None,
                 weekday=weekdays[0] if weekdays else None, years=years, stated=stated)


def _time(found: list[str], text: str) -> Claim | None:
    ends = any(w in _END_WORDS for w in found)
    parts = [_DAY_PARTS[w] for w in found if w in _DAY_PARTS]
    if parts:
        stated = tuple(w for w in found if w in _DAY_PARTS)
        return Claim("time", part=parts[0], ends=ends, stated=stated)
    if not any(w in _TIME_WORDS for w in found):
        return None
    hours = []
    for clock in _CLOCK.finditer(text):
        hour, minutes, half = clock.groups(default="")
        if (minutes and int(minutes) <= 12 and 1 <= int(hour) <= 31 and clock.group()[2:3] == "."
                and not _AT.search(text[:clock.start()])):
            continue  # "forum jest 10.09, start 14:00": a day and a month, not 10:09
        value = int(hour)
        if half.lower().startswith("p") and value < 12:
            value += 12
        if value <= 24 and (minutes or half or value >= 6):
            hours.append(value)
    stated = tuple(w for w in found
                   if w in ("am", "pm") or w.removesuffix("am").removesuffix("pm").isdigit())
    return Claim("time", hours=tuple(hours), ends=ends, stated=stated) if hours else None


def _duration(found: list[str]) -> Claim | None:
    """"trwa 3 godziny", "two-day event", "całodniowe", "only 2h": a length stated."""
    for word in found:
        if word in _LENGTH_WORDS:
            return Claim("duration", length=float(_LENGTH_WORDS[word]), stated=(word,))
    # (count, unit, the words that say it): "trzy dni", and "2h" as typed
    stated = [(before, word, (before, word)) for before, word in itertools.pairwise(found)]
    stated += [(*joined.groups(), (joined.group(),))
               for joined in map(_NUMBER_AND_UNIT.fullmatch, found) if joined]
    for number, unit_word, words_said in stated:
        unit = _DURATION_UNITS.get(unit_word)
        count = int(number) if number.isdigit() else _NUMBERS.get(number)
        # "trwa trzy dni", or a number of days without a verb ("a two-day event")
        if unit and count and (unit >= 24 or any(w in _DURATION_WORDS for w in found)):
            return Claim("duration", length=float(count * unit), stated=words_said)
    return None


def _edition(found: list[str]) -> Claim | None:
    """"Słyszałem, że to już trzecia edycja tego forum na MSPO", "the 5th edition": which
    edition this is, stated."""
    if not _EDITION_WORDS & set(found):
        return None
    ordinals = [w for w in found if w in _ORDINALS]
    return Claim("edition", ordinal=_ORDINALS[ordinals[0]], stated=(ordinals[0],)) if ordinals else None


def _audience(found: list[str]) -> Claim | None:
    """"tylko dla wojskowych", "only for military officers": who may come, stated; the
    facts do not settle it, the answer says who the forum is for."""
    # "I'd fly in just for this", "tylko dla tego": for a thing, not for some people
    only = [i for i, w in enumerate(found[:-2]) if w in _ONLY and found[i + 1] in _FOR
            and found[i + 2] not in _DEMONSTRATIVES]
    return Claim("audience", stated=tuple(found[only[0]:])) if only else None


def _organiser(found: list[str], cased: list[str]) -> Claim | None:
    if not any(w in _ORGANISER_WORDS for w in found):
        return None
    names = [w for w in found if w in _ORGANISER_NAMES]
    runs = [i for i, w in enumerate(found) if w in _RUNS]
    if runs and all(w in _RUNS or w not in _ORGANISER_WORDS for w in found) and not (
            found[runs[0] + 1:runs[0] + 2] == ["by"]
            or any(w in _ORGANISER_NAMES for w in found[:runs[0]])):
        return None  # "the forum runs the whole MSPO week": how long, not who
    names += [fold(w) for i, w in enumerate(cased)
              if i and w.isupper() and len(w) > 1 and fold(w) not in GENERIC_WORDS]
    named = tuple(dict.fromkeys(names))
    return Claim("organiser", names=named, stated=named) if names else None
