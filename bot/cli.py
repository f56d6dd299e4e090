"""`irlf-bot`: serve the transports, chat in the terminal, ask, check the knowledge base."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import io
import json
import signal
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.assistant import clean
from bot.broadcasts import TRANSPORTS
from bot.chart import LABELS, chart_data, draw
from bot.clock import Clock, ShiftedClock, SystemClock, parse_when
from bot.config import DEFAULT_DATABASE, ENVIRONMENT, Config, ConfigError, load_config, parse_duration
from bot.content import Sources, check, load
from bot.control import request_reload
from bot.event import Event
from bot.health import StatusReport, status_report
from bot.logs import setup_logging
from bot.messages import valid_text
from bot.outbox import Outbox
from bot.phrasebook import Phrasebook
from bot.programme import (
    Programme,
    ProgrammeDiff,
    Session,
    compare,
    programme_path,
    read_programme,
    write_programme,
)
from bot.programme_import import FORMATS, ScheduleError, read_schedule
from bot.review import Group, group_questions
from bot.service import build_transports, open_services, serve
from bot.stats import gather as gather_stats
from bot.storage import Storage, StorageUnavailable
from faq.knowledge import KnowledgeBaseError

EXIT_CONFIG = 2
USES_DATABASE = ("run", "chat", "broadcast", "stats", "unanswered", "reload", "status")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        config = load_config(args.config)
        config = _with_database(config, args)
        if args.command in USES_DATABASE:
            check_database(config.database)
        clock = _clock(getattr(args, "now", None))
        return args.func(args, config, clock)
    except ConfigError as exc:
        print(f"irlf-bot: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KnowledgeBaseError as exc:
        print(f"irlf-bot: the knowledge base has {len(exc.problems)} problem(s), the first: "
              f"{exc.problems[0]} (`irlf-bot check-faq` lists them)", file=sys.stderr)
        return EXIT_CONFIG
    except StorageUnavailable as exc:
        print(f"irlf-bot: database: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irlf-bot", description="The IRLF attendee assistant (Telegram, Matrix, console)."
    )
    config_help = "config file (default: ./config.toml if present)"
    parser.add_argument("-c", "--config", type=Path, help=config_help)
    # `-c` is accepted after the command too (`irlf-bot run -c config.toml`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", type=Path, default=argparse.SUPPRESS, help=config_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_parser = sub.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return _add_parser(name, parents=[common], **kwargs)

    sub.add_parser = add_parser  # type: ignore[method-assign]

    def with_now(p: argparse.ArgumentParser) -> None:
        p.add_argument("--now", metavar="TIME", help="rehearsal clock, e.g. 2026-09-09T14:00+02:00")
        p.add_argument("--db", type=Path, metavar="FILE",
                       help="the database (a rehearsal with --now needs its own)")

    run = sub.add_parser("run", help="serve every configured transport (console if none)")
    with_now(run)
    run.set_defaults(func=run_command)

    chat = sub.add_parser("chat", help="talk to the assistant in the terminal")
    with_now(chat)
    chat.set_defaults(func=chat_command)

    ask = sub.add_parser("ask", help="answer questions (from arguments, else one per stdin line)")
    ask.add_argument("question", nargs="*", help="the question (words are joined)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question and line")
    ask.add_argument("--lang", choices=["pl", "en"], help="language when the question is neutral")
    with_now(ask)
    ask.set_defaults(func=ask_command)

    cast = sub.add_parser("broadcast", help="enqueue an announcement for the running bot")
    cast.add_argument("--text-pl", help="the text (everyone gets it if alone)")
    cast.add_argument("--text-en", help="the English text for English-speaking recipients")
    cast.add_argument("--to", default="telegram,matrix", help="transports, comma-separated")
    cast.add_argument("--at", metavar="TIME", help="send at, e.g. 2026-09-10T12:00+02:00")
    cast.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    cast.add_argument("--wait", action="store_true", help="show progress until it is sent")
    cast.add_argument("--cancel", type=int, metavar="N",
                      help="cancel announcement N (the shell may cancel any; it stops before the next send)")
    cast.add_argument("--retry-failed", type=int, metavar="N",
                      help="queue again the recipients announcement N failed to reach")
    cast.set_defaults(func=broadcast_command)

    stats = sub.add_parser("stats", help="subscribers, questions per day, unanswered questions")
    stats.add_argument("--csv", type=Path, metavar="FILE", help="write the figures as CSV")
    stats.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the chart as PNG")
    stats.add_argument("--lang", choices=["pl", "en"], default="pl", help="the chart's language")
    stats.set_defaults(func=stats_command)

    unanswered = sub.add_parser("unanswered", help="unanswered questions grouped by similarity")
    unanswered.add_argument("--since", default="7d", metavar="AGE", help="e.g. 7d, 36h (default 7d)")
    unanswered.add_argument("--json", action="store_true", help="one JSON object per group and line")
    unanswered.set_defaults(func=unanswered_command)

    reload = sub.add_parser("reload", help="make the running bot re-read event, knowledge base, texts")
    reload.set_defaults(func=reload_command)

    status = sub.add_parser("status", help="is the running bot healthy: transports, outbox, database")
    status.set_defaults(func=status_command)

    programme = sub.add_parser("programme", help="import, check and show the event's programme")
    actions = programme.add_subparsers(dest="action", metavar="ACTION", required=True)
    formats = "a pretalx/frab schedule JSON, a frab XML or an iCalendar (.ics) file"
    importing = actions.add_parser("import", help=f"make {formats} the event's programme")
    checking = actions.add_parser("check", help=f"check {formats} and compare it; write nothing")
    for action, write in ((importing, True), (checking, False)):
        action.add_argument("file", type=Path, help="the exported schedule")
        action.set_defaults(func=programme_import_command, write=write)
    show = actions.add_parser("show", help="print the programme in use, day by day")
    show.add_argument("--day", help="one day: 2027-06-11, its number (1, 2...) or a weekday")
    show.set_defaults(func=programme_show_command)

    check = sub.add_parser("check-faq", help="validate event, knowledge base and UI texts")
    check.add_argument("--data", type=Path, help="knowledge-base folder (default: the config's)")
    check.add_argument("--ui", type=Path, help="the UI strings (default: the config's ui_file)")
    check.set_defaults(func=check_faq_command)
    return parser


def check_database(path: Path) -> None:
    """Stop with one line naming `path` when SQLite could not use it (a missing folder, one
    not writable, a directory, a file that is not a database) instead of a long traceback."""
    if str(path) == ":memory:":
        return
    where = f"field 'database' (IRLF_DB, --db): {path}"
    folder = path.parent
    if path.is_dir():
        raise ConfigError(f"{where}: is a directory; name a file in it, e.g. {path / 'irlf-bot.db'}")
    if not folder.is_dir():
        raise ConfigError(f"{where}: the folder {folder} does not exist")
    try:  # SQLite writes the journal (-wal, -shm) beside the file: the folder must be writable
        with tempfile.TemporaryFile(dir=folder):
            pass
        if path.exists():
            with open(path, "r+b"):
                pass
    except OSError as exc:
        raise ConfigError(f"{where}: not writable ({exc.strerror})") from None
    if path.exists() and path.stat().st_size:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            probe.execute("PRAGMA schema_version")
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        finally:
            probe.close()


def _with_database(config: Config, args: argparse.Namespace) -> Config:
    """`--db` wins; a rehearsal (`--now`) never writes into the real database, where it
    would send real reminders and record them as sent."""
    if getattr(args, "db", None):
        return config.model_copy(update={"database": args.db})
    if getattr(args, "now", None) and args.func is run_command and config.database == DEFAULT_DATABASE:
        raise ConfigError(
            f"--now rehearses with a shifted clock and would write into the real database "
            f"{config.database}; give it another one: --db rehearsal.db (or IRLF_DB)"
        )
    return config


def _clock(now: str | None) -> Clock:
    if not now:
        return SystemClock()
    try:
        return ShiftedClock(parse_when(now))
    except ValueError as exc:
        raise SystemExit(f"irlf-bot: --now: {exc}") from None


def run_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Serve the configured transports; with none, say what to set and serve the console."""
    setup_logging(config.log_level, _secrets(config), log_content=config.log_content)
    if not (config.telegram.enabled or config.matrix.enabled):
        variables = ", ".join(ENVIRONMENT)
        print(
            "No transport is configured, so the assistant serves this console.\n"
            f"To serve Telegram set TELEGRAM_BOT_TOKEN; for Matrix set MATRIX_HOMESERVER, "
            f"MATRIX_USER_ID and MATRIX_ACCESS_TOKEN (or MATRIX_PASSWORD).\n"
            f"All variables: {variables}. Type a question; Ctrl-D ends.\n",
            file=sys.stderr,
        )
        return chat_command(args, config, clock)

    async def go() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):  # systemd, docker, Ctrl-C
            loop.add_signal_handler(signum, stopping.set)
        async with open_services(config, clock) as services:
            await serve(services, build_transports(services), stopping)

    asyncio.run(go())
    return 0


def chat_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Talk to the assistant in the terminal."""
    from handlers.console import ConsoleTransport

    async def go() -> None:
        async with open_services(config, clock) as services:
            await ConsoleTransport(services).converse()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())
    return 0


def ask_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Answer each question; no network, no token, nothing stored.

    Whatever the locale: stdin is read as UTF-8 line by line (invalid bytes become U+FFFD,
    so every line gets exactly one answer) and the answers are written in UTF-8.
    """
    questions: Iterable[str]
    if args.question:  # undecodable bytes in an argument arrive as lone surrogates
        questions = [valid_text(" ".join(args.question))]
    else:
        questions = (
            line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", "replace")
            for line in sys.stdin.buffer
        )
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(encoding="utf-8")
    memory = config.model_copy(update={"database": Path(":memory:")})

    async def go() -> None:
        async with open_services(memory, clock) as services:
            for question in questions:
                answer = services.assistant.ask(question, args.lang)
                if args.json:
                    print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
                else:
                    print(f"{answer.text}\n", flush=True)

    asyncio.run(go())
    return 0


def broadcast_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Preview, confirm and enqueue an announcement; the running bot sends it."""
    if args.retry_failed is not None:
        return _retry_failed(args.retry_failed, config, clock)
    if args.cancel is not None:
        return _cancel(args.cancel, config, clock)
    if not args.text_pl:
        print("irlf-bot: broadcast needs --text-pl (or --cancel N, --retry-failed N)", file=sys.stderr)
        return EXIT_CONFIG
    transports = [t.strip() for t in args.to.split(",") if t.strip()]
    unknown = set(transports) - set(TRANSPORTS)
    if not transports or unknown:
        print(f"irlf-bot: --to takes {', '.join(TRANSPORTS)}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        at = parse_when(args.at) if args.at else None
    except ValueError as exc:
        print(f"irlf-bot: --at: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    text_pl, text_en = clean(args.text_pl), clean(args.text_en or "") or None
    if not text_pl:
        print("irlf-bot: --text-pl is empty", file=sys.stderr)
        return EXIT_CONFIG

    async def preview() -> None:
        async with open_services(config, clock) as services:
            found = await services.outbox.recipients(transports, config.matrix.broadcast_rooms)
            per = Counter(r.transport for r in found)
            print(f"To {len(found)} recipients: "
                  + ", ".join(f"{t} {per.get(t, 0)}" for t in transports))
            print(f"PL: {text_pl}" + (f"\nEN: {text_en}" if text_en else ""))
            if at:
                print(f"At: {at.astimezone(services.assistant.event.zone):%Y-%m-%d %H:%M %Z}")

    async def enqueue() -> None:
        async with open_services(config, clock) as services:
            broadcast_id = await services.outbox.create(
                text_pl, text_en, transports, "shell", state="scheduled", not_before=at
            )
            print(f"Announcement #{broadcast_id} queued; the running bot sends it.")
            if args.wait:
                await _show_progress(services.outbox, broadcast_id)

    asyncio.run(preview())
    if not args.yes:
        if not sys.stdin.isatty():
            print("irlf-bot: not confirmed (add --yes when not at a terminal)", file=sys.stderr)
            return 1
        if input("Send? [y/N] ").strip().lower() not in ("y", "yes", "t", "tak"):
            print("Cancelled.")
            return 1
    asyncio.run(enqueue())
    return 0


def _cancel(broadcast_id: int, config: Config, clock: Clock) -> int:
    """The shell is the operator's: it may cancel any announcement still open."""
    async def go() -> int:
        async with open_services(config, clock) as services:
            if await services.outbox.move(broadcast_id, ("draft", "scheduled", "sending"), "cancelled"):
                progress = await services.outbox.progress(broadcast_id)
                print(f"Announcement #{broadcast_id} cancelled: {progress.sent} had been sent, "
                      f"{progress.cancelled} will not be.")
                return 0
            print(f"irlf-bot: announcement #{broadcast_id} does not exist or is no longer open",
                  file=sys.stderr)
            return 1

    return asyncio.run(go())


def _retry_failed(broadcast_id: int, config: Config, clock: Clock) -> int:
    async def go() -> int:
        async with open_services(config, clock) as services:
            if await services.outbox.get(broadcast_id) is None:
                print(f"irlf-bot: there is no announcement #{broadcast_id}", file=sys.stderr)
                return 1
            count = await services.outbox.retry_failed(broadcast_id)
            print(f"Announcement #{broadcast_id}: {count} failed recipient(s) queued again; "
                  "the running bot sends them.")
            return 0

    return asyncio.run(go())


async def _show_progress(outbox: Outbox, broadcast_id: int) -> None:
    """A progress bar on the terminal until the running bot has sent everything."""
    width = 30
    while True:
        broadcast = await outbox.get(broadcast_id)
        progress = await outbox.progress(broadcast_id)
        filled = width * progress.percent // 100
        state = broadcast.state if broadcast else "?"
        sys.stdout.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.percent:3d}% "
            f"{progress.done}/{progress.total} sent {progress.sent} blocked {progress.blocked} "
            f"failed {progress.failed} ({state})"
        )
        sys.stdout.flush()
        if state in ("done", "cancelled") and not progress.pending:
            print()
            return
        await asyncio.sleep(0.5)


def stats_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Print the organiser statistics, write them as CSV, or draw the chart."""

    async def go() -> None:
        async with _database(config) as storage:
            figures = await gather_stats(storage)
            writable = await storage.check_writable()
            if args.plot:
                content = load(Sources.of(config), clock.now())
                data = await chart_data(storage, clock.now(), content.event.zone)
        if not writable:
            print(f"WARNING: the database {config.database} is not writable: the bot answers "
                  "but records nothing (no reminders, broadcasts or statistics)", file=sys.stderr)
        if args.plot:
            phrases = content.phrases
            labels = {key: phrases.text(args.lang, key) for key in LABELS}
            titles = {entry.id: entry.title[args.lang] for entry in content.kb}
            args.plot.write_bytes(draw(data, labels, titles))
            print(f"wrote {args.plot} ({data.questions} questions in {len(data.per_day)} days)")
        elif args.csv:
            figures.write_csv(args.csv)
            print(f"wrote {args.csv}")
        else:
            print(figures.table())

    asyncio.run(go())
    return 0


def unanswered_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """The unanswered questions since --since, grouped, with the closest entry."""
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        print(f"irlf-bot: --since: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    content = load(Sources.of(config), clock.now())

    async def go() -> list[Group]:
        async with _database(config) as storage:
            questions = await storage.unanswered_since(clock.now() - since)
        return group_questions(questions, content.matcher)

    groups = asyncio.run(go())
    for group in groups:
        closest = group.closest or (None, None)
        if args.json:
            print(json.dumps({
                "count": group.count, "wordings": dict(group.wordings.most_common()),
                "last_at": group.last_at.isoformat() if group.last_at else None,
                "closest": closest[0], "score": closest[1],
            }, ensure_ascii=False))
        else:
            near = f"{closest[0]} ({closest[1]:.2f})" if closest[0] else "nothing similar"
            print(f"{group.count:>5}x  {' | '.join(group.examples())}\n       closest: {near}")
    if not args.json:
        total = sum(g.count for g in groups)
        print(f"{total} unanswered question(s) since {args.since} ago, in {len(groups)} group(s)")
    return 0


def reload_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Ask the running bot (through its database) to reload; print its answer."""
    wall = SystemClock()

    async def go() -> tuple[str, str]:
        async with _database(config) as storage:
            return await request_reload(storage, wall, f"shell:{_user()}")

    state, text = asyncio.run(go())
    print(text, file=sys.stdout if state == "done" else sys.stderr)
    return 0 if state == "done" else 1


def status_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Transports, last updates, outbox depth, failed rows, database, content version."""
    wall = SystemClock()

    async def go() -> StatusReport:
        async with _database(config) as storage:
            writable = await storage.check_writable()
            row = await storage.read_status()
            outbox = await storage.outbox_counts()
        return status_report(row, outbox, writable, wall.now())

    report = asyncio.run(go())
    print("\n".join(report.lines))
    return 0 if report.ok else 1


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a bare container
        return "unknown"


@contextlib.asynccontextmanager
async def _database(config: Config) -> AsyncIterator[Storage]:
    storage = await Storage.open(config.database)
    try:
        yield storage
    finally:
        await storage.close()


def check_faq_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Validate event, knowledge base and UI texts as a reload does; exit 1 on any problem."""
    sources = Sources.of(config)
    if args.data:
        sources = replace(sources, data_dir=args.data)
    if args.ui:
        sources = replace(sources, ui_file=args.ui)
    checked = check(sources, clock.now())
    for problem in checked.problems:
        print(problem)
    entries = len(checked.content.kb) if checked.content else "?"
    print(
        f"{entries} entries, {checked.phrasings} phrasings: "
        + ("OK" if not checked.problems else f"{len(checked.problems)} problem(s)")
    )
    return 1 if checked.problems else 0


def programme_import_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Read an exported schedule, check it, show what changes; with `write`, attach it to
    the event (the file beside the event file, which a running bot picks up)."""
    event = Event.load(config.event_file)
    try:
        imported = read_schedule(args.file, event.zone)
    except ScheduleError as exc:
        for problem in exc.problems:
            print(f"irlf-bot: {problem}", file=sys.stderr)
        print("irlf-bot: nothing was written", file=sys.stderr)
        return EXIT_CONFIG
    new = imported.programme
    target = programme_path(config.event_file)
    try:
        old = read_programme(event, target)
    except ConfigError as exc:  # the file in use is broken: this import replaces it
        print(f"  note: the programme in use cannot be read ({exc}); comparing with none")
        old = Programme.of_event(event)
    phrases = Phrasebook(event)
    first, last = event.local_start.date(), event.local_end.date()
    notes = imported.notes + [
        f"{s.name(new.zone)} is outside the event's dates ({first} – {last})"
        for s in new.sessions if not first <= new.day_of(s) <= last
    ]
    days = ", ".join(phrases.day("en", d) for d in new.days())
    print(f"{args.file}: {FORMATS[imported.format]}, {len(new)} sessions in "
          f"{len(new.rooms())} rooms on {days}")
    for note in notes:
        print(f"  note: {note}")
    diff = compare(old, new)
    if old.implicit:
        print(f"No programme before: the event was a programme of one ({target} did not exist).")
    elif diff.empty:
        print(f"Same as the programme in use ({target}).")
    else:
        print(f"Compared with the programme in use ({target}): {len(diff.added)} added, "
              f"{len(diff.removed)} removed, {len(diff.moved)} moved, {len(diff.changed)} changed")
        for line in describe_diff(diff, new):
            print(f"  {line}")
    if not args.write:
        print("Checked; nothing written (`irlf-bot programme import FILE` makes it the programme).")
        return 0
    try:
        write_programme(new, event, target, source=args.file.name, now=clock.now())
    except OSError as exc:
        print(f"irlf-bot: cannot write {target}: {exc.strerror}; nothing was written", file=sys.stderr)
        return EXIT_CONFIG
    print(f"Wrote {target}. A running bot uses it within a minute, no restart needed; guests "
          "who starred a moved or cancelled session are told.")
    return 0


def describe_diff(diff: ProgrammeDiff, programme: Programme) -> list[str]:
    """One line per added (+), removed (-), moved (~) and changed (*) session."""
    zone = programme.zone

    def where(s: Session) -> str:
        return f"{s.start.astimezone(zone):%Y-%m-%d %H:%M}–{s.end.astimezone(zone):%H:%M} {s.room}".rstrip()

    def ids(before: Session, after: Session) -> str:
        return f"id {after.id}" if before.id == after.id else f"id {before.id}, now {after.id}"

    return [
        *(f"+ {s.name(zone)} {s.room}".rstrip() for s in diff.added),
        *(f"- {s.name(zone)} {s.room}".rstrip() for s in diff.removed),
        *(f"~ '{b.title.pl}' ({ids(b, a)}): {where(b)} -> {where(a)}" for b, a in diff.moved),
        *(f"* '{a.title.pl}' ({ids(b, a)}): details changed" for b, a in diff.changed),
    ]


def programme_show_command(args: argparse.Namespace, config: Config, clock: Clock) -> int:
    """Print the programme in use, or one day of it."""
    event = Event.load(config.event_file)
    programme = read_programme(event, programme_path(config.event_file))
    phrases = Phrasebook(event)
    days = programme.days()
    if args.day:
        day = programme.pick_day(args.day, clock.now().astimezone(event.zone).date())
        if day is None:
            listed = ", ".join(f"{n} = {d}" for n, d in enumerate(days, start=1))
            print(f"irlf-bot: no programme day '{args.day}'; the days are {listed}", file=sys.stderr)
            return 1
        days = [day]
    source = "the event itself (no programme file)" if programme.implicit else programme.source
    print(f"{event.name('en')} — {len(programme)} sessions, from {source}")
    for day in days:
        print(f"\n{phrases.day('en', day)}")
        for s in programme.on(day):
            local = programme.local
            speakers = f" — {', '.join(s.speakers)}" if s.speakers else ""
            print(f"  {local(s.start):%H:%M}–{local(s.end):%H:%M}  {s.room or '-':<8} "
                  f"{s.title.pl}{speakers}  [{s.id}]")
    return 0


def _secrets(config: Config) -> list[str]:
    values = [config.telegram.token, config.telegram.webhook_secret,
              config.matrix.access_token, config.matrix.password, config.matrix.pickle_key]
    return [v.get_secret_value() for v in values if v is not None]


if __name__ == "__main__":
    sys.exit(main())
