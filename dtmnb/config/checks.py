"""Checks of the ``tools:`` list: each entry's keys, name, instanceID, dependsOn and options shape, then
duplicates, unknown ``dependsOn`` targets and dependency cycles across the list."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..graph import find_cycle
from ..schema import did_you_mean
from .model import Tool
from .source import Problems, Source
from .yamldoc import Doc

TOOL_KEYS = ("name", "instanceID", "dependsOn", "options")
RFC1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
RFC1123_RULE = ("an instanceID must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit, at most 253 characters, e.g. `default` or `go-app`")
MAX_CYCLES = 10   # cycles reported at once


@dataclass
class Entry:
    """A valid tool and where it was written (for the option checks that follow)."""

    tool: Tool
    doc: Doc
    src: Source
    entry: dict


class EntryChecker:
    """Reads the entries of one ``tools:`` list into Tools, recording every problem."""

    def __init__(self, problems: Problems, doc: Doc, src: Source):
        self.problems, self.doc, self.src = problems, doc, src
        self.written: list[str] = []     # name.instanceID of every entry, valid or not

    def read(self, entries: list) -> list[Entry]:
        out = []
        for i, entry in enumerate(entries):
            line = self.src.line(self.doc.item_line(entries, i) or 1)
            if not isinstance(entry, dict):
                self.problems.add(self.src.path, line, "a tool entry must be a map with name, instanceID and options")
                continue
            tool = self.tool(entry, self.src.line(self.doc.line(entry) or 1))
            if tool is not None:
                out.append(Entry(tool, self.doc, self.src, entry))
        return out

    def here(self, entry: dict, key: str, line: int) -> int:
        found = self.doc.key_line(entry, key)
        return self.src.line(found) if found else line

    def tool(self, entry: dict, line: int) -> Tool | None:
        """One entry as a Tool, or None after recording its problems."""
        before = len(self.problems)
        typos = self.unknown_keys(entry, line)
        for key in ("name", "instanceID"):
            if isinstance(entry.get(key), (list, dict)):
                self.problems.add(self.src.path, self.here(entry, key, line), f"`{key}` must be text, not a "
                                  f"{'list' if isinstance(entry[key], list) else 'map'}")
                typos.add(key)
        name = None if "name" in typos else self.doc.text(entry, "name") or None
        iid = None if "instanceID" in typos else self.doc.text(entry, "instanceID") or None
        if name and iid:
            self.written.append(f"{name}.{iid}")
        self.check_name(entry, name, line, typos)
        self.check_instance_id(entry, name, iid, line, typos)
        deps = self.depends_on(entry, line)
        options = entry.get("options")
        if not isinstance(options if options is not None else {}, dict):
            self.problems.add(self.src.path, self.here(entry, "options", line),
                              "options must be a map of `key: value` (the plugin's options)")
        if len(self.problems) > before or name is None or iid is None:
            return None
        return Tool(name, iid, deps, options or {}, str(self.src.path), line)

    def unknown_keys(self, entry: dict, line: int) -> set[str]:
        """Report keys a tool entry does not have; returns the known keys they were probably meant to be."""
        typos: set[str] = set()
        for key in entry:
            if key in TOOL_KEYS:
                continue
            hint = did_you_mean(key, TOOL_KEYS)
            typos |= {k for k in TOOL_KEYS if f"`{k}`" in hint}
            self.problems.add(self.src.path, self.here(entry, str(key), line), f"unknown key `{key}` in a tool entry"
                              f"{hint or ' (indent it under `options:` if it is a plugin option)'}; a tool has only "
                              f"{', '.join(TOOL_KEYS)}")
        return typos

    def check_name(self, entry: dict, name: str | None, line: int, typos: set[str]) -> None:
        if not name and "name" not in typos:
            self.problems.add(self.src.path, line, "tool has no `name`: set it to the plugin name, e.g. "
                                                   "`name: github-repo-scaffolding-golang`")
        elif name and "_" in name:
            self.problems.add(self.src.path, self.here(entry, "name", line), f"tool name `{name}` contains '_': state "
                              f"keys are <name>_<instanceID>, so `a_b` + `c` and `a` + `b_c` would share the key "
                              f"a_b_c; use '-' instead")

    def check_instance_id(self, entry: dict, name: str | None, iid: str | None, line: int, typos: set[str]) -> None:
        if not iid and "instanceID" not in typos:
            self.problems.add(self.src.path, line, f"tool `{name or '?'}` has no `instanceID`: add e.g. "
                                                   f"`instanceID: default` ({RFC1123_RULE})")
        elif iid and (len(iid) > 253 or not RFC1123.fullmatch(iid)):
            fixed = re.sub(r"[^a-z0-9.-]+", "-", iid.lower()).strip("-.")[:253]
            try_ = f"; try `{fixed}`" if fixed and RFC1123.fullmatch(fixed) else ""
            self.problems.add(self.src.path, self.here(entry, "instanceID", line),
                              f"instanceID `{iid}` is not valid: {RFC1123_RULE}{try_}")

    def depends_on(self, entry: dict, line: int) -> list[str]:
        """``dependsOn`` as Go's []string reads it (each entry's text, trimmed; nulls dropped)."""
        deps = entry.get("dependsOn")
        if deps is None:
            return []
        at = self.here(entry, "dependsOn", line)
        if not isinstance(deps, list):
            self.problems.add(self.src.path, at, 'dependsOn must be a list, e.g. dependsOn: ["name.instanceID"]')
            return []
        out = []
        for i, d in enumerate(deps):
            if d is None:
                continue
            text = None if isinstance(d, (list, dict)) else (self.doc.text(deps, i) or "").strip()
            head, dot, tail = (text or "").partition(".")
            if not (head and dot and tail):
                item_line = self.doc.item_line(deps, i)
                shown = repr(text) if text is not None else f"a {'list' if isinstance(d, list) else 'map'}"
                self.problems.add(self.src.path, self.src.line(item_line) if item_line else at,
                                  f"dependsOn entry {shown} must be `name.instanceID` of another tool, e.g. "
                                  f"`argocd.default`")
            out.append(text or "")
        return out


def check_references(tools: list[Tool], written: list[str], path: Path, problems: Problems) -> None:
    """Duplicates, ``dependsOn`` targets not in the config and dependency cycles, each with its line.
    ``written``: name.instanceID of every entry, valid or not (depending on an invalid tool is not a
    second problem)."""
    by_ref: dict[str, Tool] = {}
    for t in tools:
        if t.ref in by_ref:
            problems.add(path, t.line, f"tool {t.ref} is defined twice (also at line {by_ref[t.ref].line}); give "
                                       f"one of them another instanceID")
        by_ref.setdefault(t.ref, t)
    known = set(written)
    listing: str | None = None
    for t in tools:
        for d in t.depends_on:
            if d not in known:
                listing = listing or ", ".join(dict.fromkeys(written))
                problems.add(path, t.line, f"tool {t.ref} depends on {d}, which is not in the config (tools in "
                                           f"this config: {listing})")
    check_cycles(by_ref, path, problems)


def check_cycles(by_ref: dict[str, Tool], path: Path, problems: Problems) -> None:
    edges: dict[str, Any] = {ref: t.depends_on for ref, t in by_ref.items()}
    remaining = list(by_ref)
    for _ in range(MAX_CYCLES):
        cycle = find_cycle(remaining, edges)
        if cycle is None:
            return
        ring = " -> ".join(cycle + cycle[:1])
        problems.add(path, by_ref[cycle[0]].line, f"dependency cycle {ring}; remove one of these dependsOn entries")
        on_ring = set(cycle)
        remaining = [r for r in remaining if r not in on_ring]
