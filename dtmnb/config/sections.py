"""Finding the core, variables and tools sections of a main config file, in any of dtm's three forms.

- files (v0.6): the main file holds the core section (``state:``, ``varFile:``, ``toolFile:``);
- sections (v0.7-v0.9): ``---`` lines split the file; each piece is recognised by its keys, in any order;
- v0.10: top-level ``config:``, ``vars:`` and ``tools:`` blocks in one file.

Each section keeps the file's line numbers: lines that are not part of it are blanked, never removed.
Lines are split where YAML breaks lines (see :func:`~dtmnb.config.source.split_lines`). dtm's forms, and
where dtmnb differs from them: docs/dtm-compatibility.md#config-forms.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .source import Problems, Source, split_lines

CORE_KEYS = ("varFile", "toolFile", "pluginDir", "state")
V10_KEYS = ("config", "vars", "tools")
NO_STATE = ("no `state` section: add\n      state:\n        backend: local\n        options:\n"
            "          stateFile: devstream.state")
_TOP_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:(\s|$)")


@dataclass
class Sections:
    """What the main file holds; a section is None when the file has none."""

    form: str                       # 'files', 'sections' or 'v0.10'
    core: Source | None
    vars: Source | None
    tools: Source | None


def _top_blocks(lines: list[tuple[str, str]], start: int, end: int) -> list[tuple[str, int, int]]:
    """(key, first line, end line) of each top-level ``key:`` block in lines[start:end] (0-based)."""
    heads = [(m.group(1), i) for i in range(start, end) if (m := _TOP_KEY.match(lines[i][0]))]
    return [(k, i, heads[n + 1][1] if n + 1 < len(heads) else end) for n, (k, i) in enumerate(heads)]


def _cut(path: Path, lines: list[tuple[str, str]], keep: Iterable[int], key: str | None = None) -> Source:
    keep = set(keep)
    text = "".join((s if i in keep else "") + brk for i, (s, brk) in enumerate(lines))
    return Source(path, text if text.endswith(("\n", "\r")) else text + "\n", key)


def _pieces(lines: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """(start, end) of each ``---``-separated piece that holds more than comments and blank lines."""
    pieces, start = [], 0
    for i, (s, _) in enumerate([*lines, ("---", "")]):
        if s.rstrip(" \t") == "---":
            if any(x.strip(" \t") and not x.lstrip(" \t").startswith("#") for x, _ in lines[start:i]):
                pieces.append((start, i))
            start = i + 1
    return pieces


class _Finder:
    def __init__(self, path: Path, text: str, problems: Problems):
        self.path, self.problems = path, problems
        self.lines = split_lines(text)
        self.found: dict[str, tuple[int, Source]] = {}

    def put(self, kind: str, first: int, src: Source, label: str) -> None:
        if kind in self.found:
            self.problems.add(self.path, first + 1, f"a second {label} (the first is at line "
                                                    f"{self.found[kind][0] + 1}); keep only one")
        else:
            self.found[kind] = (first, src)

    def get(self, kind: str) -> Source | None:
        return self.found[kind][1] if kind in self.found else None

    def v10_piece(self, blocks: list[tuple[str, int, int]]) -> None:
        for key, b0, b1 in blocks:
            if key in V10_KEYS:
                self.put(key, b0, _cut(self.path, self.lines, range(b0, b1), key if key != "tools" else None),
                         f"`{key}:` section")
            elif key in ("apps", "pipelineTemplates"):
                self.problems.add(self.path, b0 + 1, f"`{key}:` is not supported by dtmnb (it came with dtm "
                                                     f"v0.10); write each tool under `tools:` instead")
            else:
                self.problems.add(self.path, b0 + 1, f"unknown top-level key `{key}`; a v0.10 config has only "
                                                     f"config:, vars: and tools:")

    def piece(self, start: int, end: int, blocks: list[tuple[str, int, int]], first: int) -> None:
        keys = {b[0] for b in blocks}
        if keys & set(CORE_KEYS):
            tools = [(b0, b1) for k, b0, b1 in blocks if k == "tools"]
            rest = [i for i in range(start, end) if not any(b0 <= i < b1 for b0, b1 in tools)]
            self.put("core", first, _cut(self.path, self.lines, rest), "core section (with `state:`)")
            for b0, b1 in tools:
                self.put("tools", b0, _cut(self.path, self.lines, range(b0, b1)), "tools section")
        elif "tools" in keys:
            self.put("tools", first, _cut(self.path, self.lines, range(start, end)), "tools section")
        else:
            self.put("vars", first, _cut(self.path, self.lines, range(start, end)), "variables section")

    def find(self) -> Sections:
        pieces = _pieces(self.lines)
        v10 = False
        for start, end in pieces:
            blocks = _top_blocks(self.lines, start, end)
            keys = {b[0] for b in blocks}
            if "config" in keys and "state" not in keys and (len(pieces) == 1 or keys & {"tools", "vars"}):
                v10 = True
                self.v10_piece(blocks)
            else:
                self.piece(start, end, blocks, blocks[0][1] if blocks else start)
        if v10 and len(pieces) > 1 and (self.get("core") or self.get("vars")):
            self.problems.add(self.path, None, "mixes the v0.10 form (`config:`) with `---` sections; use one")
        core = self.get("config") if v10 else self.get("core")
        if core is None:
            self.problems.add(self.path, None, NO_STATE)
        form = "v0.10" if v10 else "sections" if len(pieces) > 1 or self.get("tools") else "files"
        return Sections(form, core, self.get("vars"), self.get("tools"))


def find_sections(path: Path, text: str, problems: Problems) -> Sections:
    """The main file's form and sections; problems (a second core section, no state...) are recorded."""
    return _Finder(path, text, problems).find()
