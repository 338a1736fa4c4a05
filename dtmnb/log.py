"""dtm-style log lines ("2022-05-30 17:07:59 ℹ [INFO]  Apply started.") sent to the active console.

Plugins and the engine call ``log.info(...)`` etc.; where the line goes (terminal, notebook, a list in a
test) is decided by the console that the engine made active with ``use_console``. Every line passes
through ``redact`` so that a secret from the environment never reaches a log.
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import os
import sys

LEVELS = {
    "debug": ("λ", "[DEBUG] "),
    "info": ("ℹ", "[INFO] "),
    "success": ("✔", "[SUCCESS] "),
    "warn": ("⚠", "[WARN] "),
    "error": ("!!", "[ERROR] "),
    "fatal": ("✖", "[FATAL] "),
}

from .redact import redact


def format_line(level: str, message: str, when: _dt.datetime | None = None) -> str:
    symbol, tag = LEVELS[level]
    stamp = (when or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S")
    return f"{stamp} {symbol} {tag} {redact(message)}"


def separator(message: str) -> str:
    return f"-------------------- [  {message}  ] --------------------"


def default_stream():
    """stderr, as dtm logs; stdout inside a notebook, where stderr is shown as an alarm (red)."""
    from .ui import in_notebook

    return sys.stdout if in_notebook() else sys.stderr


class StreamSink:
    """Writes formatted lines to a text stream (stderr by default, as dtm's logrus does)."""

    def __init__(self, stream=None, debug: bool = False):
        self.stream = stream
        self.debug = debug

    def __call__(self, level: str, message: str) -> None:
        if level == "debug" and not self.debug:
            return
        print(format_line(level, message), file=self.stream or default_stream(), flush=True)


_sink: contextvars.ContextVar = contextvars.ContextVar("dtmnb_log_sink", default=None)
_default_sink = StreamSink()


def set_default_sink(sink) -> None:
    """Choose where log lines go when no console is active (e.g. a notebook prints them to stdout)."""
    global _default_sink
    _default_sink = sink


@contextlib.contextmanager
def use_sink(sink):
    token = _sink.set(sink)
    try:
        yield sink
    finally:
        _sink.reset(token)


def emit(level: str, message: str) -> None:
    (_sink.get() or _default_sink)(level, message)


def debug(message: str) -> None:
    emit("debug", message)


def info(message: str) -> None:
    emit("info", message)


def success(message: str) -> None:
    emit("success", message)


def warn(message: str) -> None:
    emit("warn", message)


def error(message: str) -> None:
    emit("error", message)


class ListSink:
    """Collects (level, message) pairs; for tests and for widgets that show a log panel."""

    def __init__(self):
        self.records: list[tuple[str, str]] = []

    def __call__(self, level: str, message: str) -> None:
        self.records.append((level, redact(message)))

    @property
    def messages(self) -> list[str]:
        return [m for _, m in self.records]
