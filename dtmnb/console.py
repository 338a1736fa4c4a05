"""Where the engine's words go: log lines, progress, and the Continue? question.

``TerminalConsole`` prints dtm's log lines to stderr and asks ``Continue? [y/n]`` on the terminal;
``QuietConsole`` keeps the lines in a list (tests, library use); the notebook's widget console lives in
ui.py (ipywidgets is imported only there). ``attach(console)`` routes the ``dtmnb`` loggers to a console
for the length of a ``with`` block.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any, TextIO, TypeVar

from .errors import UsageError
from .log import ConsoleHandler, ListSink, StreamSink

C = TypeVar("C", bound="Console")


def in_notebook() -> bool:
    """True when running inside an IPython kernel (Jupyter, nbclient, nbval), False in a terminal/script."""
    if "IPython" not in sys.modules:  # not imported: certainly no kernel, and we do not import it
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def default_stream() -> TextIO:
    """stderr, as dtm logs; stdout inside a notebook, where stderr is shown as an alarm (red)."""
    return sys.stdout if in_notebook() else sys.stderr


class Console:
    """Base console: log lines to stderr (stdout in a notebook), progress ignored, confirmation refused."""

    debug = False

    def __init__(self, debug: bool = False):
        self.debug = debug
        self.sink = StreamSink(debug=debug, stream_of=default_stream)

    def log(self, level: str, message: str) -> None:
        self.sink(level, message)

    def progress(self, done: int, total: int, label: str) -> None:
        """Called after each change: ``done`` of ``total`` changes processed."""

    def confirm(self, changes: Any) -> bool:
        """Ask whether to run ``changes`` (the plan DataFrame); True to go on."""
        return False


class TerminalConsole(Console):
    """dtm's terminal behaviour: log lines on stderr, ``Continue? [y/n]`` on stdout/stdin."""

    def __init__(self, stream: TextIO | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 debug: bool = False, require_tty: bool = False):
        self.debug = debug
        self.sink = StreamSink(stream, debug=debug)
        self.stdin = stdin
        self.stdout = stdout
        self.require_tty = require_tty

    def confirm(self, changes: Any) -> bool:
        stdin = self.stdin or sys.stdin
        stdout = self.stdout or sys.stdout
        if self.require_tty and not (hasattr(stdin, "isatty") and stdin.isatty()):
            raise UsageError("refusing to go on without confirmation: standard input is not a terminal, so "
                             "nobody can answer 'Continue? [y/n]'. Pass -y/--yes on the command line, "
                             "auto_approve=True in Python, or set DTMNB_AUTO_APPROVE=1 to run without asking.")
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
    """Keeps log lines in ``records``/``messages``; confirms according to ``answer``."""

    def __init__(self, answer: bool = False, debug: bool = False):
        self.debug = debug
        self.lines = ListSink()
        self.answer = answer

    @property
    def records(self) -> list[tuple[str, str]]:
        return self.lines.records

    @property
    def messages(self) -> list[str]:
        return self.lines.messages

    def log(self, level: str, message: str) -> None:
        if level != "debug" or self.debug:
            self.lines(level, message)

    def confirm(self, changes: Any) -> bool:
        return self.answer


_ROOT = logging.getLogger("dtmnb")
_current: ConsoleHandler | None = None


@contextlib.contextmanager
def attach(console: C) -> Iterator[C]:
    """Send the ``dtmnb`` loggers' records to ``console`` inside the block (replacing any console attached
    around it, restored after). The logger's level is lowered to INFO (DEBUG for a debug console) meanwhile."""
    global _current
    outer, outer_level = _current, _ROOT.level
    handler = ConsoleHandler(console)
    if outer is not None:
        _ROOT.removeHandler(outer)
    _ROOT.addHandler(handler)
    _current = handler
    wanted = logging.DEBUG if getattr(console, "debug", False) else logging.INFO
    if _ROOT.level == logging.NOTSET or _ROOT.level > wanted:
        _ROOT.setLevel(wanted)
    try:
        yield console
    finally:
        _ROOT.removeHandler(handler)
        _ROOT.setLevel(outer_level)
        _current = outer
        if outer is not None:
            _ROOT.addHandler(outer)


__all__ = ["Console", "QuietConsole", "TerminalConsole", "attach", "default_stream", "in_notebook"]
