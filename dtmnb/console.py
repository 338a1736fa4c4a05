"""Where the engine's words go: log lines, progress, and the Continue? question.

The engine talks only to a Console. ``TerminalConsole`` prints dtm's log lines to stderr and asks
``Continue? [y/n]`` on the terminal; ``QuietConsole`` keeps the lines in a list (tests, library use);
the notebook's widget console lives in ui.py (ipywidgets is imported only there).
"""
from __future__ import annotations

import sys

from . import log
from .errors import UsageError


class Console:
    """Base console: log lines go to the default sink, progress is ignored, confirmation refused."""

    def log(self, level: str, message: str) -> None:
        log._default_sink(level, message)

    def progress(self, done: int, total: int, label: str) -> None:
        """Called after each change: ``done`` of ``total`` changes processed."""

    def confirm(self, changes) -> bool:
        """Ask whether to run ``changes`` (the plan DataFrame); True to go on."""
        return False


class TerminalConsole(Console):
    """dtm's terminal behaviour: log lines on stderr, ``Continue? [y/n]`` on stdout/stdin."""

    def __init__(self, stream=None, stdin=None, stdout=None, debug: bool = False, require_tty: bool = False):
        self.sink = log.StreamSink(stream, debug=debug)
        self.stdin = stdin
        self.stdout = stdout
        self.require_tty = require_tty

    def log(self, level: str, message: str) -> None:
        self.sink(level, message)

    def confirm(self, changes) -> bool:
        stdin = self.stdin or sys.stdin
        stdout = self.stdout or sys.stdout
        if self.require_tty and not (hasattr(stdin, "isatty") and stdin.isatty()):
            raise UsageError("refusing to go on without confirmation: standard input is not a terminal, so "
                             "nobody can answer 'Continue? [y/n]'. Pass -y/--yes (or set DTMNB_AUTO_APPROVE=1) "
                             "to run without asking.")
        print("Continue? [y/n]", file=stdout)
        while True:
            print("Enter a value (Default is n): ", end="", file=stdout, flush=True)
            answer = stdin.readline()
            if not answer:  # EOF
                print(file=stdout)
                return False
            answer = answer.strip()
            if answer in ("", "n"):
                print(file=stdout)
                return False
            if answer == "y":
                print(file=stdout)
                return True
            print("Failed to validate input string: input must be y or n", file=stdout)


class QuietConsole(Console):
    """Keeps log lines in ``records``; confirms according to ``answer``."""

    def __init__(self, answer: bool = False):
        self.sink = log.ListSink()
        self.answer = answer

    @property
    def messages(self) -> list[str]:
        return self.sink.messages

    def log(self, level: str, message: str) -> None:
        self.sink(level, message)

    def confirm(self, changes) -> bool:
        return self.answer
