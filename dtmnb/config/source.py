"""Config text and the problems found in it: reading files, YAML's line breaks, and file:line messages."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..errors import ConfigError

# YAML's line breaks (libyaml, PyYAML and yaml.v3 alike). str.splitlines would also break at \v, \f and
# \x1c-\x1e, which YAML does not: splitting there would shift lines and change values.
_BREAK = re.compile(r"(\r\n|[\r\n\x85\u2028\u2029])")
# What YAML refuses anywhere in a stream (a leading byte order mark is removed before this check). The full
# class takes ~10 ms to compile: plain ASCII text (nearly every config) is checked with the small one.
_NOT_PRINTABLE_ASCII = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@functools.cache
def _not_printable() -> re.Pattern:
    return re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_MAX_SHOWN = 5


def show(path: Path) -> str:
    """The path as messages show it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def closest(word: str, known: list[str]) -> str | None:
    """The known name ``word`` was most likely meant to be (same rule as :func:`dtmnb.schema.did_you_mean`)."""
    import difflib

    same = [k for k in known if k.lower() == word.lower()]
    match = same or difflib.get_close_matches(word, known, 1, 0.7)
    return match[0] if match else None


def split_lines(text: str) -> list[tuple[str, str]]:
    """(content, line break) of each line as YAML counts lines; the last break may be ''."""
    parts = _BREAK.split(text)
    if len(parts) % 2:
        parts.append("")
    return [(parts[i], parts[i + 1]) for i in range(0, len(parts), 2)]


@dataclass
class Source:
    """YAML text from ``path``; lines not part of it are blanked so that line numbers stay the file's.

    ``key``: the one top-level key whose value is the section (a v0.10 block). ``lines[i]``: the file line
    of text line i when they differ (after rendering variables). ``rendered``: file lines changed by
    rendering (YAML's columns do not match the file there)."""

    path: Path
    text: str
    key: str | None = None
    lines: list[int] | None = None
    rendered: frozenset = frozenset()

    def line(self, index: int) -> int:
        """The file line (1-based) of 1-based text line ``index``."""
        if self.lines is not None and 0 < index <= len(self.lines):
            return self.lines[index - 1]
        return index


class Problems:
    """Problems found by one load, each ``file:line: message``; :meth:`fail` raises them as one ConfigError."""

    def __init__(self, main: Path):
        self.main = main
        self.items: list[str] = []

    def add(self, path: Path | None, line: int | None, message: str, column: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{show(path)}:{line}:{column}: " if line and column else \
                f"{show(path)}:{line}: " if line else f"{show(path)}: "
        self.items.append(where + message)

    def __len__(self) -> int:
        return len(self.items)

    def fail(self) -> NoReturn:
        n = len(self.items)
        head = f"invalid config {show(self.main)} ({n} problem{'s' if n != 1 else ''}):"
        raise ConfigError("\n  - ".join([head] + self.items), self.items)


def read_text(path: Path, problems: Problems, named_by: tuple[Path, int | None, str] | None = None) -> str | None:
    """The file's text (a leading byte order mark removed), or None after recording why it cannot be used:
    missing, a folder, not UTF-8, or holding characters YAML refuses. ``named_by``: (file, line, what)
    of the key that named this file, where a missing file is reported."""
    if named_by is None:
        where, line, what = None, None, f"config file {path}"
        fix = "pass the path of your main config file, e.g. config.yaml"
    else:
        where, line, what = named_by
        fix = (f"looked for {path}; relative paths are read from the folder of {problems.main.name}: fix the path "
               f"or create the file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(where, line, f"{what} does not exist; {fix}")
        return None
    except IsADirectoryError:
        problems.add(where, line, f"{what} is a folder, not a file ({path})")
        return None
    except OSError as e:
        problems.add(where, line, f"cannot read {what}: {e.strerror or e}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        bad = data[:e.start].count(b"\n") + 1
        problems.add(path, bad, f"is not UTF-8 text (byte 0x{data[e.start]:02x}); save the file as UTF-8")
        return None
    return text if _printable(path, text, problems) else None


def _printable(path: Path, text: str, problems: Problems) -> bool:
    """Whether ``text`` holds only characters YAML allows; records each one it refuses (a few at most)."""
    pattern = _NOT_PRINTABLE_ASCII if text.isascii() else _not_printable()
    first = pattern.search(text)
    if first is None:
        return True
    found = list(pattern.finditer(text, first.start()))
    for m in found[:_MAX_SHOWN]:
        before = text[:m.start()]
        lines = split_lines(before)
        line, column = len(lines), len(lines[-1][0]) + 1
        char = f"U+{ord(m.group()):04X}"
        what = "a byte order mark inside the file" if m.group() == "\ufeff" else f"control character {char}"
        problems.add(path, line, f"{what} is not allowed in YAML; remove it (inside double quotes it can be "
                                 f"written as an escape, e.g. \"\\u{ord(m.group()):04x}\")", column)
    if len(found) > _MAX_SHOWN:
        problems.add(path, None, f"{len(found) - _MAX_SHOWN} more characters that YAML does not allow")
    return False
