"""`irlf-bot run` as a real process, as an operator (systemd, docker, a terminal) runs it.

The end-to-end tests that stop the bot — SIGTERM, SIGINT, `kill -9` — need the real
thing: a task cancelled in the test's own event loop proves nothing about a process
killed between two instructions. `BotProcess` starts the installed `irlf-bot run` in a
folder of its own (configured by environment variables, and a config.toml there if the
test writes one), with each run's output in that folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

IRLF_BOT = Path(sys.executable).with_name("irlf-bot")  # the console script of this virtualenv
# Variables the bot reads; the developer's own must not leak into a test's bot.
OWN_VARIABLES = ("TELEGRAM_", "MATRIX_", "IRLF_")


class BotProcess:
    """One bot (one database), started and stopped as often as a test needs."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.exit_codes: list[int] = []  # of each run stopped so far

    def start(self) -> BotProcess:
        self.runs += 1
        with open(self.log_path(), "wb") as output:
            self.process = subprocess.Popen(
                [str(IRLF_BOT), "run"], cwd=self.folder, env=self._environment(),
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
        return self

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another `irlf-bot` command on the same database, as the organiser's shell runs it."""
        return subprocess.run(
            [str(IRLF_BOT), *args], cwd=self.folder, env=self._environment(),
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    def _environment(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
        return {**inherited, **self.env}

    def stop(self, signum: signal.Signals = signal.SIGTERM, within: float = 10.0) -> float:
        """Send `signum` and wait for the process to end (its exit code goes to
        `exit_codes`); the seconds that took. Fails if it still runs after `within`
        seconds (systemd and docker kill it at 10 s)."""
        assert self.process is not None, "the bot is not running"
        process, self.process = self.process, None
        sent = time.monotonic()
        process.send_signal(signum)
        try:
            code = process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(
                f"irlf-bot still ran {within:.0f} s after {signum.name}:\n{self.output()[-3000:]}"
            ) from None
        self.exit_codes.append(code)
        return time.monotonic() - sent

    def kill(self) -> None:
        """Make sure nothing is left running (test teardown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log_path(self, run: int | None = None) -> Path:
        return self.folder / f"run{run or self.runs}.log"

    def output(self, run: int | None = None) -> str:
        """What one run (default: the last) wrote to its log."""
        return self.log_path(run).read_text(encoding="utf-8", errors="replace")
