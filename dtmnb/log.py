"""dtm's log line format ("2022-05-30 17:07:59 ℹ [INFO]  Apply started.") and where lines go.

The engine and plugins log to standard ``logging`` loggers under ``dtmnb``; :class:`ConsoleHandler`
forwards those records to a console (terminal, notebook widget, a list in a test) as ``(level, message)``
with the message's secrets removed. The sinks here write formatted lines to a stream or keep them in a list.
"""
from __future__ import annotations

import datetime as _dt
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

from .redact import redact
from .report import SUCCESS

LEVELS = {
    "debug": ("λ", "[DEBUG] "),
    "info": ("ℹ", "[INFO] "),
    "success": ("✔", "[SUCCESS] "),
    "warn": ("⚠", "[WARN] "),
    "error": ("!!", "[ERROR] "),
    "fatal": ("✖", "[FATAL] "),
}


def level_word(levelno: int) -> str:
    """The dtm level word for a ``logging`` level number."""
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= SUCCESS:
        return "success"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def format_line(level: str, message: str, when: _dt.datetime | None = None) -> str:
    symbol, tag = LEVELS[level]
    stamp = (when or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp} {symbol} {tag} {redact(message)}"


class StreamSink:
    """Writes formatted lines to a text stream (``stream_of()`` when none is given)."""

    def __init__(self, stream: TextIO | None = None, debug: bool = False,
                 stream_of: Callable[[], TextIO] = lambda: sys.stderr):
        self.stream = stream
        self.debug = debug
        self.stream_of = stream_of

    def __call__(self, level: str, message: str) -> None:
        if level == "debug" and not self.debug:
            return
        print(format_line(level, message), file=self.stream or self.stream_of(), flush=True)


class ListSink:
    """Collects (level, message) pairs, secrets removed; for tests and widgets that show a log panel."""

    def __init__(self) -> None:
        self.records: list[tuple[str, str]] = []

    def __call__(self, level: str, message: str) -> None:
        self.records.append((level, redact(message)))

    @property
    def messages(self) -> list[str]:
        return [m for _, m in self.records]


class ConsoleHandler(logging.Handler):
    """Forwards ``dtmnb`` log records to a console's ``log(level, message)``."""

    def __init__(self, console: Any, level: int = logging.NOTSET):
        super().__init__(level)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.log(level_word(record.levelno), redact(record.getMessage()))
        except Exception:
            self.handleError(record)


__all__ = ["ConsoleHandler", "LEVELS", "ListSink", "StreamSink", "format_line", "level_word"]
