"""What the assistant knows and says, as one immutable object that a reload swaps whole.

`Content` is the event, the knowledge base, its matcher and the phrasebook (UI texts),
read from their files together and checked together (`check` is what `irlf-bot
check-faq` runs). `LiveContent` holds the one in use. A reload (SIGHUP, `irlf-bot reload`,
an admin's /reload) reads and checks the files anew: with any problem the old content
stays and the problems are returned; otherwise the new one replaces it in one assignment.
A message being answered keeps the content it started with (`turn`), so a reload never
mixes old and new data in one answer.

A reload runs on the event loop (p50 0.14 s for the shipped files, bench/operations.py): the stemmers the
matcher uses are not thread-safe, so building it in a thread could corrupt a question
being matched at the same moment.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Config, ConfigError
from bot.event import Event, facts_of
from bot.phrasebook import PROGRAMME_FILE, UI_FILE, Phrasebook, read_ui
from faq.classifier import MODEL_FILE, NONE, ChatClassifier, ModelError
from faq.knowledge import DATA_DIR, LANGS, KnowledgeBase
from faq.matcher import Matcher, find_collisions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the content is read from."""

    event_file: Path
    data_dir: Path = DATA_DIR
    ui_file: Path = UI_FILE

    @classmethod
    def of(cls, config: Config) -> Sources:
        return cls(config.event_file, config.knowledge_dir, config.ui_file)

    @property
    def ui_files(self) -> tuple[Path, ...]:
        """The UI strings, then the programme's strings and words (bot/phrasebook.py)."""
        return (self.ui_file, PROGRAMME_FILE)

    def files(self) -> list[Path]:
        return [self.event_file, *self.ui_files, *sorted(Path(self.data_dir).glob("*.toml")),
                Path(self.data_dir) / MODEL_FILE]

    def version(self) -> str:
        """A short fingerprint of every file's name and bytes: changes when any file does."""
        digest = hashlib.sha256()
        for path in self.files():
            digest.update(path.name.encode())
            with contextlib.suppress(OSError):
                digest.update(path.read_bytes())
        return digest.hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Content:
    event: Event
    kb: KnowledgeBase
    matcher: Matcher
    phrases: Phrasebook
    version: str
    loaded_at: datetime

    def describe(self) -> str:
        """'v1a2b3c4d5e6f: 44 entries, event irlf-2026' for logs and admins."""
        return f"v{self.version}: {len(self.kb)} entries, event {self.event.id}"


@dataclass(frozen=True, slots=True)
class Checked:
    """The result of reading the files: the content when it is usable, and every problem."""

    content: Content | None
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    phrasings: int = 0


def check(sources: Sources, now: datetime) -> Checked:
    """Read and validate event, knowledge base and UI texts (schema, translations,
    placeholders, colliding phrasings); `content` is None when anything is wrong."""
    problems: list[str] = []
    event: Event | None = None
    try:
        event = Event.load(sources.event_file)
    except ConfigError as exc:
        problems.append(str(exc))
    kb, found = KnowledgeBase.read(sources.data_dir)
    problems += found
    problems += find_collisions(kb)
    ui_problems: list[str] = []
    for path in sources.ui_files:
        data, found = read_ui(path)
        ui_problems += found
        if path == sources.ui_file and data:
            ui_problems += _ui_names_entries(data, path, kb)
    problems += ui_problems
    counts = len(kb), sum(len(e.questions[lang]) for e in kb for lang in LANGS)
    if event is None or ui_problems:
        return Checked(None, problems, *counts)
    phrases = Phrasebook(event, sources.ui_files)
    for entry in kb:
        for lang in LANGS:
            filled = phrases.fill(lang, entry.answer[lang])
            if "{" in filled or "}" in filled:
                problems.append(f"{entry.source}: answer.{lang} has an unfilled placeholder")
    if problems:
        return Checked(None, problems, *counts)
    try:
        model = ChatClassifier.read(sources.data_dir)
    except ModelError as exc:
        return Checked(None, [str(exc)], *counts)
    if model is not None and (unknown := sorted(set(model.classes) - set(kb.entries) - {NONE})):
        return Checked(None, [f"{sources.data_dir / MODEL_FILE}: the chat model names entries the "
                              f"knowledge base lacks: {', '.join(unknown)} (make chat-model)"],
                       *counts)
    matcher = Matcher(kb, facts=facts_of(event), model=model)
    content = Content(event, kb, matcher, phrases, sources.version(), now)
    return Checked(content, [], *counts)


def load(sources: Sources, now: datetime) -> Content:
    """The content, or `ConfigError` naming every problem (at start: exit code 2)."""
    checked = check(sources, now)
    if checked.content is None:
        raise ConfigError("; ".join(checked.problems))
    return checked.content


def _ui_names_entries(data: dict[str, Any], path: Path, kb: KnowledgeBase) -> list[str]:
    """The sections the code reads are there, and [commands]/[dated] name entries that exist."""
    problems = [
        f"{path.name}: section [{section}] is missing"
        for section in ("topics", "commands", "dated", "menu") if not isinstance(data.get(section), dict)
    ]
    for section in ("commands", "dated"):
        for name, ids in (data.get(section) or {}).items():
            for entry_id in ids if isinstance(ids, list) else []:
                if kb.entries and entry_id not in kb.entries:
                    problems.append(
                        f"{path.name}: [{section}] {name} names entry '{entry_id}', which does not exist"
                    )
    return problems


@dataclass(frozen=True, slots=True)
class Reload:
    """What a reload did: `ok` with the new content's description, or the problems."""

    ok: bool
    version: str
    description: str
    problems: list[str] = field(default_factory=list)
    changed: bool = False


class LiveContent:
    """The content in use, replaced whole by `reload` when the new files pass every check."""

    def __init__(self, content: Content, sources: Sources, clock: Clock) -> None:
        self._latest = content
        self.sources = sources
        self.clock = clock
        self.last_reload: Reload | None = None
        # Each instance has its own variable: two bots in one process (tests) stay apart.
        self._turn: contextvars.ContextVar[Content | None] = contextvars.ContextVar(
            f"content-{id(self)}", default=None
        )

    @classmethod
    def open(cls, sources: Sources, clock: Clock) -> LiveContent:
        return cls(load(sources, clock.now()), sources, clock)

    @property
    def current(self) -> Content:
        """The content of the message being answered, else the latest."""
        return self._turn.get() or self._latest

    @property
    def phrases(self) -> Phrasebook:
        return self.current.phrases

    @property
    def event(self) -> Event:
        return self.current.event

    @contextlib.contextmanager
    def turn(self) -> Iterator[Content]:
        """Pin the latest content for one message's whole answer."""
        token = self._turn.set(self._latest)
        try:
            yield self._latest
        finally:
            self._turn.reset(token)

    def reload(self) -> Reload:
        """Read and check the files; swap them in only if every check passes."""
        old = self._latest
        checked = check(self.sources, self.clock.now())
        if checked.content is None:
            result = Reload(False, old.version, old.describe(), checked.problems)
            log.warning("reload refused, keeping %s: %d problem(s): %s", old.describe(),
                        len(checked.problems), "; ".join(checked.problems[:5]))
        else:
            self._latest = checked.content
            changed = checked.content.version != old.version
            result = Reload(True, checked.content.version, checked.content.describe(), changed=changed)
            log.info("reloaded content: %s (%s)", checked.content.describe(),
                     "changed" if changed else "unchanged")
        self.last_reload = result
        return result

