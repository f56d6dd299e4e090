"""The knowledge base: entries loaded from faq/data/*.toml, validated, with answers per language."""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")
LANGS = ("pl", "en")
CATEGORIES = (
    "schedule", "venue", "participation", "contacts", "about", "media", "not_announced",
    "off_topic",
)
# Questions the assistant must not answer (weather, sport, jokes...): phrasings only, no
# answer. A question closest to one of these gets the honest fallback.
OFF_TOPIC = "off_topic"
PLACEHOLDERS = frozenset(
    "event_name event_short date start_time end_time duration timezone_note host_event "
    "venue_name venue_address city website organiser contact_programme contact_organisation "
    "contact_media next_name next_host next_dates".split()
)
_FIELDS = {"id", "category", "handoff", "keywords", "title", "questions", "answer"}


class KnowledgeBaseError(Exception):
    """The knowledge base has problems; `problems` lists each, naming file and entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    category: str
    title: dict[str, str]
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]
    keywords: tuple[str, ...] = ()
    handoff: str | None = None
    source: str = ""


@dataclass(slots=True)
class KnowledgeBase:
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path = DATA_DIR) -> KnowledgeBase:
        """Load every *.toml in `directory`; raise KnowledgeBaseError listing all problems."""
        kb, problems = cls.read(directory)
        if problems:
            raise KnowledgeBaseError(problems)
        return kb

    @classmethod
    def read(cls, directory: Path = DATA_DIR) -> tuple[KnowledgeBase, list[str]]:
        """Load what can be loaded and return it with the list of problems found."""
        kb = cls()
        problems: list[str] = []
        files = sorted(Path(directory).glob("*.toml"))
        if not files:
            problems.append(f"{directory}: no knowledge-base files (*.toml)")
        for path in files:
            try:
                with open(path, "rb") as fh:
                    data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                problems.append(f"{path.name}: not valid TOML: {exc}")
                continue
            for index, raw in enumerate(data.get("entry", [])):
                entry, found = _parse_entry(raw, f"{path.name} entry #{index + 1}")
                problems.extend(found)
                if entry is None:
                    continue
                if entry.id in kb.entries:
                    problems.append(f"{path.name}: entry id '{entry.id}' is used twice")
                    continue
                kb.entries[entry.id] = entry
        return kb, problems

    def __iter__(self) -> Iterable[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def in_category(self, category: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.category == category]

    def categories(self) -> list[str]:
        """The categories users can browse (not the off-topic examples)."""
        present = {e.category for e in self.entries.values()}
        return [c for c in CATEGORIES if c in present and c != OFF_TOPIC]


def _parse_entry(raw: dict, where: str) -> tuple[Entry | None, list[str]]:
    problems: list[str] = []
    entry_id = raw.get("id")
    if not isinstance(entry_id, str) or not entry_id:
        return None, [f"{where}: field 'id' is missing"]
    where = f"{where.split(' entry')[0]} entry '{entry_id}'"
    unknown = set(raw) - _FIELDS
    if unknown:
        problems.append(f"{where}: unknown field(s) {sorted(unknown)}")
    category = raw.get("category")
    if category not in CATEGORIES:
        problems.append(f"{where}: field 'category' must be one of {', '.join(CATEGORIES)}")
    handoff = raw.get("handoff")
    if handoff not in (None, "media"):
        problems.append(f"{where}: field 'handoff' may only be \"media\"")
    per_lang: dict[str, dict] = {}
    required = ("questions",) if category == OFF_TOPIC else ("title", "questions", "answer")
    for name in ("title", "questions", "answer"):
        if name not in required:
            per_lang[name] = raw.get(name) or {}
            continue
        value = raw.get(name)
        if not isinstance(value, dict):
            problems.append(f"{where}: field '{name}' is missing (a table with pl and en)")
            value = {}
        for lang in LANGS:
            if not value.get(lang):
                problems.append(f"{where}: field '{name}.{lang}' is missing (translation)")
        per_lang[name] = value
    questions = {
        lang: tuple(q for q in per_lang["questions"].get(lang, []) if isinstance(q, str))
        for lang in LANGS
    }
    for lang in LANGS:
        answer = per_lang["answer"].get(lang, "")
        for name in placeholders(answer):
            if name not in PLACEHOLDERS:
                problems.append(f"{where}: answer.{lang} uses unknown placeholder {{{name}}}")
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append(f"{where}: field 'keywords' must be a list of words")
        keywords = []
    entry = Entry(
        id=entry_id,
        category=str(category),
        title={lang: str(per_lang["title"].get(lang, entry_id)) for lang in LANGS},
        questions=questions,
        answer={lang: str(per_lang["answer"].get(lang, "")) for lang in LANGS},
        keywords=tuple(keywords),
        handoff=handoff,
        source=where,
    )
    return entry, problems


def placeholders(text: str) -> list[str]:
    """The `{names}` in a template (a knowledge-base answer, a UI string)."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return ["(unbalanced braces)"]
