"""How operators reach the running bot: SIGHUP, `irlf-bot reload` and an admin's /reload
all reload the event, the knowledge base and the UI texts (bot/content.py).

`irlf-bot reload` writes a request row into the bot's database; the running bot looks for
requests every POLL_SECONDS, reloads, and writes the outcome back, which the shell prints
(with every problem when the new files were refused). A row rather than a pid file: it
reaches the bot wherever the shell can open its database (another user, a container, no
permission to signal), and it carries the answer back. SIGHUP (`kill -HUP`, `systemctl
reload`) does the same, with the outcome in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.content import LiveContent, Reload
from bot.health import STALE_AFTER, Health
from bot.storage import Storage

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
ANSWER_WITHIN = 15.0  # seconds the shell waits for the running bot's answer


class Control:
    def __init__(self, storage: Storage, content: LiveContent, health: Health, clock: Clock) -> None:
        self.storage = storage
        self.content = content
        self.health = health
        self.clock = clock
        self.listeners: list[Callable[[], Awaitable[None]]] = []  # e.g. the Telegram command menu
        self._tasks: set[asyncio.Task[None]] = set()

    def reload(self, origin: str) -> Reload:
        """Reload the content now; the old one stays if the new files have problems.
        After a change the listeners run in the background (nobody waits for them)."""
        log.info("reload requested (%s)", origin)
        result = self.content.reload()
        self.health.reloaded(result.ok)
        if result.changed:
            for listener in self.listeners:
                # a fresh context: not the content pinned for the message that asked (/reload)
                task = asyncio.get_running_loop().create_task(listener(), context=contextvars.Context())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return result

    def listen_for_sighup(self) -> None:
        """SIGHUP reloads (where the platform has it)."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload, "SIGHUP")

    def stop_listening(self) -> None:
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    async def answer_requests(self) -> None:
        """Reload for each request from the shell and write back what happened."""
        for request_id in await self.storage.pending_reload_requests():
            result = self.reload(f"irlf-bot reload, request {request_id}")
            state = "done" if result.ok else "refused"
            await self.storage.finish_reload_request(
                request_id, state, describe(result), self.clock.now()
            )

    async def run(self) -> None:
        """Answer the shell's requests until cancelled."""
        while True:
            try:
                await self.answer_requests()
            except Exception:  # a locked or unwritable database: try again shortly
                log.exception("could not answer reload requests")
            await asyncio.sleep(POLL_SECONDS)


def describe(result: Reload) -> str:
    """One text for the shell and the log: the version in use, and any problems."""
    if result.ok:
        state = "reloaded" if result.changed else "reloaded (no file had changed)"
        return f"{state}: {result.description}"
    problems = "\n".join(f"  - {p}" for p in result.problems)
    return f"refused; still serving {result.description}. Problems:\n{problems}"


async def request_reload(storage: Storage, clock: Clock, requested_by: str) -> tuple[str, str]:
    """From the shell: ask the running bot to reload and wait for its answer.
    Returns (state, text): 'done', 'refused', 'not-running' or 'no-answer'."""
    row = await storage.read_status()
    now = clock.now()
    if row is None or now - row[0] > STALE_AFTER:
        seen = "never" if row is None else f"last heartbeat at {row[0]:%Y-%m-%d %H:%M:%S} UTC"
        return "not-running", f"no running bot uses this database ({seen}); it reads the files when it starts"
    request_id = await storage.request_reload(requested_by, now)
    deadline = asyncio.get_running_loop().time() + ANSWER_WITHIN
    while asyncio.get_running_loop().time() < deadline:
        answer = await storage.reload_request(request_id)
        if answer is not None and answer[0] != "pending":
            return answer[0], answer[1] or ""
        await asyncio.sleep(POLL_SECONDS / 4)
    return "no-answer", f"the bot has not answered request {request_id} within {ANSWER_WITHIN:.0f} s"

