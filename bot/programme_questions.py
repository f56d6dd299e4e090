"""Questions about the programme in the guest's own words: "co teraz?", "kiedy jest panel o
CIMIC?", "what's in hall B after lunch?", "who speaks on Friday?".

Independent of the knowledge-base matcher. The question is read for what a programme
knows — a moment (now, next, a day, a part of the day, an hour), a room, a speaker, a
kind of session, the words of a title — and the sessions that fit are selected. What is
not recognisably about the programme is left to the knowledge base (None); a question
about a session the programme does not have is told so honestly.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from rapidfuzz import fuzz

from bot.programme import Programme, Session
from faq.normalize import STOP_WORDS, fold, stem

Mode = Literal["detail", "list", "now", "next", "who", "overview", "not_in_programme", "nothing"]
NOON, EVENING, LUNCH_ENDS = time(12, 0), time(17, 0), time(13, 0)
LUNCH_WORDS = ("obiad", "lunch")  # how a lunch break is named in a programme
# Classes of words that only qualify a time ("o 14", "after 3 pm"); read with the digits.
TIME_WORDS = ("at", "after", "before")
_WORD = re.compile(r"[a-z0-9]+")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?\b")
_HOUR = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b")


@dataclass(frozen=True, slots=True)
class _Phrase:
    """Words in a row; a part ending in '*' matches words beginning with it."""

    parts: tuple[str, ...]

    def length_at(self, words: list[str], i: int) -> int:
        if i + len(self.parts) > len(words):
            return 0
        for part, word in zip(self.parts, words[i:], strict=False):
            if not (word.startswith(part[:-1]) if part.endswith("*") else word == part):
                return 0
        return len(self.parts)


class Vocabulary:
    """The word classes of faq/programme.toml ([words.pl], [words.en])."""

    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        entries: list[tuple[str, str, _Phrase]] = []  # (class, language, phrase)
        self.months: dict[str, int] = {}
        self.words_of: dict[str, set[str]] = {}
        for lang, classes in data.items():
            for name, listed in classes.items():
                if name == "weekdays":  # class "weekday:N", N = 0 for Monday
                    entries += [(f"weekday:{n}", lang, _phrase(w)) for n, forms in enumerate(listed)
                                for w in forms]
                elif name == "months":
                    self.months.update({fold(m): n for n, m in enumerate(listed, start=1)})
                else:
                    entries += [(name, lang, _phrase(e)) for e in listed]
                    self.words_of.setdefault(name, set()).update(fold(e) for e in listed)
        # Looked up by a question's word: the phrases whose first part is that word, or a
        # beginning of it ("nastepn*"), longest phrases first ("po obiedzie" before "po").
        self._exact: dict[str, list[tuple[str, str, _Phrase]]] = {}
        self._prefixed: dict[str, list[tuple[str, str, _Phrase]]] = {}
        for entry in sorted(entries, key=lambda e: -len(e[2].parts)):
            first = entry[2].parts[0]
            if first.endswith("*"):
                self._prefixed.setdefault(first[:-1], []).append(entry)
            else:
                self._exact.setdefault(first, []).append(entry)

    def longest_at(self, words: list[str], i: int) -> tuple[str, str, int]:
        """(class, language, number of words) of the longest phrase at words[i], if any."""
        word = words[i]
        candidates = list(self._exact.get(word, ()))
        for prefix, entries in self._prefixed.items():
            if word.startswith(prefix):
                candidates += entries
        best = ("", "", 0)
        for name, lang, phrase in candidates:
            if name in TIME_WORDS:
                continue
            length = phrase.length_at(words, i)
            if length > best[2]:
                best = (name, lang, length)
        return best


def _phrase(text: str) -> _Phrase:
    return _Phrase(tuple(fold(text).split()))


@dataclass(slots=True)
class Reading:
    """What a question asks of the programme."""

    classes: Counter[str] = field(default_factory=Counter)
    langs: Counter[str] = field(default_factory=Counter)
    days: set[date] = field(default_factory=set)
    unknown_day: bool = False  # a day was named that the programme does not have
    after: time | None = None
    before: time | None = None
    at: time | None = None
    rooms: set[str] = field(default_factory=set)
    speakers: set[str] = field(default_factory=set)
    session_words: list[str] = field(default_factory=list)
    topic: list[tuple[str, str]] = field(default_factory=list)  # (term, word as typed)

    def has(self, *names: str) -> bool:
        return any(self.classes[name] for name in names)

    @property
    def lang(self) -> str | None:
        if not self.langs:
            return None
        (first, count), *rest = self.langs.most_common()
        return first if not rest or rest[0][1] < count else None

    @property
    def filtered(self) -> bool:
        return bool(self.days or self.unknown_day or self.after or self.before or self.at or self.rooms)


@dataclass(slots=True)
class Selection:
    """The sessions that answer a question, and how to present them."""

    mode: Mode
    sessions: list[Session] = field(default_factory=list)
    lang: str | None = None
    topic: str = ""


class ProgrammeQuestions:
    def __init__(self, vocabulary: Vocabulary, event_terms: set[str]) -> None:
        self.vocabulary = vocabulary
        self.event_terms = event_terms  # the event's own name: asking by it is for the FAQ
        self._index: tuple[Programme, dict[str, tuple[_Terms, _Terms]]] | None = None
        self._speakers_of: tuple[Programme, list[tuple[str, list[str]]]] | None = None

    # reading

    def read(self, question: str, programme: Programme, today: date) -> Reading:
        reading = Reading()
        text = re.sub(r"(\d)([a-z])", r"\1 \2", fold(question))  # "2pm" -> "2 pm"
        text = self._dates(text, programme, today, reading)
        words = _WORD.findall(text)
        used = [False] * len(words)
        self._times(words, used, reading)
        self._classes(words, used, reading, programme, today)
        self._rooms(words, used, reading, programme)
        self._speakers(words, used, reading, programme)
        qualifiers = set().union(*(self.vocabulary.words_of.get(name, set()) for name in TIME_WORDS))
        reading.topic = [
            (stem(w), w) for w, taken in zip(words, used, strict=True)
            if not taken and w not in STOP_WORDS and w not in qualifiers and not w.isdigit() and len(w) > 1
        ]
        return reading

    def _dates(self, text: str, programme: Programme, today: date, reading: Reading) -> str:
        """Dates written out (2027-06-11, 11.06, 11 czerwca, June 11); removed from the text."""
        months = "|".join(self.vocabulary.months)
        patterns = [
            (_ISO, lambda m: _date(int(m[1]), int(m[2]), int(m[3]))),
            (_DAY_MONTH, lambda m: _date(_year(m[3], today), int(m[2]), int(m[1]))),
            (re.compile(rf"\b(\d{{1,2}})\s+({months})\b"),
             lambda m: _date(today.year, self.vocabulary.months[m[2]], int(m[1]))),
            (re.compile(rf"\b({months})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b"),
             lambda m: _date(today.year, self.vocabulary.months[m[1]], int(m[2]))),
        ]
        days = programme.days()
        for pattern, to_date in patterns:
            for found in list(pattern.finditer(text)):
                when = to_date(found)
                if when is None:
                    continue
                if when.year != days[0].year and when.replace(year=days[0].year) in days:
                    when = when.replace(year=days[0].year)  # "11 czerwca" means this edition's
                self._day(when, days, reading)
                text = text.replace(found[0], " ", 1)
        return text

    def _times(self, words: list[str], used: list[bool], reading: Reading) -> None:
        """'o 14', 'po 15:30', 'before 12', 'at 2 pm' (an hour needs its little word)."""
        joined = " ".join(words)
        qualifiers = {w: name for name in TIME_WORDS for w in self.vocabulary.words_of.get(name, ())}
        for found in re.finditer(r"\b([a-z]+) (\d{1,2})(?: (\d{2}))?(?: (am|pm))?\b", joined):
            kind = qualifiers.get(found[1])
            hour, minute = int(found[2]), int(found[3] or 0)
            if kind is None or hour > 23 or minute > 59:
                continue
            if (found[4] == "pm" and hour < 12) or (found[4] is None and hour < 7):
                hour += 12  # sessions run by day: "at 2" is 14:00
            setattr(reading, kind, time(hour, minute))
            first = len(joined[:found.start()].split())
            for i in range(first, first + len(found[0].split())):
                used[i] = True

    def _classes(self, words: list[str], used: list[bool], reading: Reading, programme: Programme,
                 today: date) -> None:
        days = programme.days()
        i = 0
        while i < len(words):
            name, lang, length = (("", "", 0) if used[i] else self.vocabulary.longest_at(words, i))
            if not length:
                i += 1
                continue
            if name != "event":  # "forum", "expo": the same in both languages
                reading.langs[lang] += 1
            if name.startswith("weekday:"):
                number = int(name.partition(":")[2])
                for day in [d for d in days if d.weekday() == number] or [None]:
                    self._day(day, days, reading)
            else:
                reading.classes[name] += 1
            if name == "session":
                reading.session_words.append(words[i])
            for j in range(i, i + length):
                used[j] = True
            i += length
        self._relative_days(words, used, reading, days, today)

    def _relative_days(self, words: list[str], used: list[bool], reading: Reading, days: list[date],
                       today: date) -> None:
        """today, tomorrow; the first/second/last day, day 2 (by the programme's days)."""
        for name, offset in (("today", 0), ("tomorrow", 1), ("day_after_tomorrow", 2)):
            if reading.classes[name]:
                self._day(today + timedelta(days=offset), days, reading)
        if not reading.classes["day"]:
            return
        ordinals = {"first": 0, "second": 1, "third": 2, "last": -1}
        for name, index in ordinals.items():
            if reading.classes[name] and -len(days) <= index < len(days):
                self._day(days[index], days, reading)
        for i, word in enumerate(words):
            if word.isdigit() and i and fold(words[i - 1]) in self.vocabulary.words_of.get("day", ()):
                number = int(word)
                self._day(days[number - 1] if 1 <= number <= len(days) else None, days, reading)
                used[i] = True

    @staticmethod
    def _day(day: date | None, days: list[date], reading: Reading) -> None:
        if day in days:
            reading.days.add(day)  # type: ignore[arg-type]
        else:
            reading.unknown_day = True

    def _rooms(self, words: list[str], used: list[bool], reading: Reading, programme: Programme) -> None:
        """'hala B', 'hall b', 'sali C', 'Foyer': a room's own words (a one-letter name only
        after a word for room)."""
        room_words = self.vocabulary.words_of.get("rooms", set())
        for room in programme.rooms():
            own = _WORD.findall(fold(room))
            distinct = [w for w in own if w not in room_words] or own
            for i in range(len(words) - len(distinct) + 1):
                if words[i:i + len(distinct)] != distinct:
                    continue
                named = i > 0 and words[i - 1] in room_words
                if named or len(distinct[0]) > 2 or len(distinct) > 1:
                    reading.rooms.add(room)
                    for j in range(max(0, i - 1) if named else i, i + len(distinct)):
                        used[j] = True

    def _speakers(self, words: list[str], used: list[bool], reading: Reading, programme: Programme) -> None:
        """A speaker by surname, in any grammatical case ('Kowalskiej', 'Webera')."""
        for name, own in self._speaker_words(programme):
            surname = own[-1]
            for i, word in enumerate(words):
                if _inflected(word, surname):
                    reading.speakers.add(name)
                    used[i] = True
                    if i and _inflected(words[i - 1], own[0]):
                        used[i - 1] = True

    def _speaker_words(self, programme: Programme) -> list[tuple[str, list[str]]]:
        if self._speakers_of is None or self._speakers_of[0] is not programme:
            names = sorted({name for s in programme.sessions for name in s.speakers})
            found = [(name, _WORD.findall(fold(name))) for name in names]
            self._speakers_of = (programme, [(name, own) for name, own in found if own])
        return self._speakers_of[1]

    # selecting

    def select(self, question: str, programme: Programme, now: datetime) -> Selection | None:
        """The sessions a question asks about; None when it is not about the programme."""
        if not programme.sessions:
            return None
        today = programme.local(now).date()
        reading = self.read(question, programme, today)
        lang = reading.lang
        days = programme.days()
        under_way = days[0] <= today <= days[-1]
        blocked_next = reading.has("event")  # "the next forum" is the next edition
        # "when's this thing happening": a question about when, not about what is on now;
        # "czy forum trwa do 18?", "trwa od 10 do 12?": what it lasts, an hour stated.
        on_now = reading.has("now") and not reading.has("when") and not (
            reading.at or reading.after or reading.before)
        if programme.implicit:  # the event itself: only "what is on now" is the programme's
            # ("I'm at the fair right now, which hall is it in?" asks where)
            if on_now and not reading.topic and not reading.has("next", "where"):
                return Selection("now", programme.running(now), lang)
            return None
        if reading.topic:
            return self._by_topic(reading, programme, lang)
        if on_now:
            return Selection("now", self._in_rooms(programme.running(now), reading), lang)
        if reading.has("next") and not blocked_next and under_way:
            return Selection("next", self._in_rooms(programme.upcoming(now), reading), lang)
        if reading.speakers:
            chosen = self._filter(self._by_speaker(reading, programme), reading, programme, today)
            return Selection("list", chosen, lang)
        everything = self._of_kinds(list(programme.sessions), reading)
        if reading.has("lunch") and not reading.has("after_lunch", "before_lunch"):
            breaks = [s for s in everything if _is_lunch(s)]
            chosen = self._filter(breaks, reading, programme, today) if reading.filtered else breaks
            return Selection("list" if chosen else "nothing", chosen, lang)
        if reading.has("who"):
            if not reading.filtered and under_way:
                reading.days.add(today)
            chosen = self._filter(everything, reading, programme, today)
            return Selection("who", [s for s in chosen if s.speakers], lang)
        asks = reading.has("what", "when", "where", "programme", "session") or bool(reading.rooms)
        about_event = reading.has("event") and not reading.has("programme", "session")
        if reading.filtered and asks and not about_event:
            chosen = self._filter(everything, reading, programme, today)
            return Selection("list" if chosen else "nothing", chosen, lang)
        if reading.session_words and len(everything) < len(programme):
            return Selection("list", everything, lang)  # "the keynotes", "warsztaty"
        if reading.has("programme", "session"):
            return Selection("overview", [], lang)
        return None

    def _by_topic(self, reading: Reading, programme: Programme, lang: str | None) -> Selection | None:
        terms = {term for term, _ in reading.topic}
        named_event = terms <= self.event_terms
        if named_event and not (reading.session_words or reading.speakers or reading.rooms):
            return None  # "kiedy jest Forum Odporności" asks about the event: the FAQ
        scored = self._scores(reading, programme)
        best = max(scored.values(), default=0.0)
        found = [s for s in programme.sessions if scored.get(s.id, 0.0) >= max(0.5, best - 0.01)]
        found = self._of_kinds(found, reading)  # "panel o ..." prefers the panels among equals
        if reading.speakers:
            found = [s for s in found if set(s.speakers) & reading.speakers] or found
        if found:
            today = programme.local(found[0].start).date()
            narrowed = self._filter(found, reading, programme, today, default_today=False)
            found = narrowed or found  # the filter would hide the answer: show the facts
            return Selection("detail" if len(found) == 1 else "list", found, lang)
        if reading.session_words and reading.has("who", "when", "where"):
            # "kiedy jest panel o pogodzie?": surely about a session, and there is none
            typed = " ".join(word for _, word in reading.topic)
            return Selection("not_in_programme", [], lang, topic=typed)
        return None  # perhaps a question for the knowledge base

    def _scores(self, reading: Reading, programme: Programme) -> dict[str, float]:
        index = self._session_terms(programme)
        scores: dict[str, float] = {}
        for session_id, (strong, weak) in index.items():
            total = 0.0
            for term, word in reading.topic:
                if _hit(term, word, strong):
                    total += 1.0
                elif _hit(term, word, weak):
                    total += 0.5
            if total:
                scores[session_id] = total / len(reading.topic)
        return scores

    def _session_terms(self, programme: Programme) -> dict[str, tuple[_Terms, _Terms]]:
        """Per session: the words of its title, kind and track; of its description."""
        if self._index is not None and self._index[0] is programme:
            return self._index[1]
        index = {
            s.id: (_Terms.of(f"{s.title.pl} {s.title.en} {s.kind} {s.track}"),
                   _Terms.of(f"{s.description.pl} {s.description.en}"))
            for s in programme.sessions
        }
        self._index = (programme, index)  # held, so a new programme is never mistaken for it
        return index

    def _by_speaker(self, reading: Reading, programme: Programme) -> list[Session]:
        return [s for s in programme.sessions if set(s.speakers) & reading.speakers]

    def _filter(self, sessions: list[Session], reading: Reading, programme: Programme, today: date,
                default_today: bool = True) -> list[Session]:
        """Keep the sessions on the days, at the times and in the rooms asked about. With a
        time or room but no day, the day is today while the programme runs."""
        days = set(reading.days)
        if not days and default_today and (reading.at or reading.after or reading.before or reading.rooms
                                           or reading.has("morning", "afternoon", "evening")):
            days = {today} if today in programme.days() else set()
        if reading.unknown_day and not reading.days:
            return []
        after, before = reading.after, reading.before
        if reading.has("morning"):
            before = before or NOON
        if reading.has("afternoon"):
            after = after or NOON
        if reading.has("evening"):
            after = after or EVENING
        kept = []
        for s in sessions:
            day = programme.day_of(s)
            start, end = programme.local(s.start).time(), programme.local(s.end).time()
            if days and day not in days:
                continue
            if reading.rooms and s.room not in reading.rooms:
                continue
            if reading.has("after_lunch") and start < _lunch(programme, day, ends=True):
                continue
            if reading.has("before_lunch") and start >= _lunch(programme, day, ends=False):
                continue
            if (after and start < after) or (before and start >= before):
                continue
            if reading.at and not (start <= reading.at < end):
                continue
            kept.append(s)
        return kept

    @staticmethod
    def _of_kinds(sessions: list[Session], reading: Reading) -> list[Session]:
        """The sessions of the kind named (keynote, panel, warsztat), if any are."""
        if not reading.session_words:
            return sessions
        return [s for s in sessions if _of_kind(s, reading.session_words)] or sessions

    @staticmethod
    def _in_rooms(sessions: list[Session], reading: Reading) -> list[Session]:
        return [s for s in sessions if not reading.rooms or s.room in reading.rooms]


def _lunch(programme: Programme, day: date, *, ends: bool) -> time:
    """When that day's lunch break ends (or starts): a session named so, else about 13:00."""
    for s in programme.on(day):
        if _is_lunch(s):
            return programme.local(s.end if ends else s.start).time()
    return LUNCH_ENDS if ends else NOON


def _is_lunch(session: Session) -> bool:
    words = _WORD.findall(fold(f"{session.title.pl} {session.title.en}"))
    return any(w.startswith(LUNCH_WORDS) for w in words)


@dataclass(frozen=True, slots=True)
class _Terms:
    """A text's words as typed (folded) and their stems."""

    words: tuple[str, ...]
    stems: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Terms:
        found = (w for w in _WORD.findall(fold(text)) if w not in STOP_WORDS and len(w) > 1)
        words = tuple(dict.fromkeys(found))
        return cls(words, frozenset(stem(w) for w in words))


def _hit(term: str, word: str, known: _Terms) -> bool:
    """Whether a question's word is among a text's words: the same stem or word, the same
    beginning ('mediach' ~ 'mediów', 'cyber' ~ 'cyberbezpieczeństwo'), or a typo."""
    if term in known.stems or word in known.words:
        return True
    for other in known.words:
        if other[:4] != word[:4]:
            continue
        shared = next((i for i, (a, b) in enumerate(zip(word, other, strict=False)) if a != b),
                      min(len(word), len(other)))
        if shared >= 4 and shared >= min(len(word), len(other)) - 3:
            return True
    return len(word) >= 6 and any(fuzz.ratio(word, other) >= 85 for other in known.words)


def _of_kind(session: Session, asked: list[str]) -> bool:
    words = _WORD.findall(fold(f"{session.kind} {session.title.pl} {session.title.en}"))
    return any(w[:5] == a[:5] for w in words for a in asked)


def _inflected(word: str, name: str) -> bool:
    """'kowalskiej' is Kowalska, 'webera' is Weber, 'kowalenko' is Kovalenko; short names
    must match whole."""
    if word == name:
        return True
    if len(name) < 5:
        return False
    if word.startswith(name[:-1]) and len(word) - len(name) <= 3:
        return True
    return len(name) >= 6 and fuzz.ratio(word, name) >= 85  # a typo: 'kowalenko'



def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _year(text: str | None, today: date) -> int:
    if not text:
        return today.year
    year = int(text)
    return year + 2000 if year < 100 else year
