"""The ``[[ name ]]`` / ``[[ a.b ]]`` renderer, as dtm v0.9 (Go text/template with missingkey=error).

Rendering happens on the tools text before it is read as YAML, line by line, over comments too (as in
dtm). A value is pasted as Go's fmt prints the value yaml.v3 decoded (``0x1F`` -> ``31``, ``7.0`` -> ``7``);
a quoted value as written. Every placeholder that cannot be rendered is a problem naming its line and
the fix (a did-you-mean when a variable of a close name exists); it is replaced by a stand-in so that
the rest of the tools can still be checked. dtm's behaviour and sources: docs/dtm-compatibility.md#variables.
"""
from __future__ import annotations

import math
import re
from typing import Any

from ..yamlv3 import Timestamp, format_float
from .source import Problems, Source, closest, split_lines
from .yamldoc import Doc

_NAME_PATH = re.compile(r"[\w-]+(\.[\w-]+)*")
_PLACEHOLDER = re.compile(r"\[\[(.*?)\]\]")
_OTHER_BREAK = re.compile("[\r\x85\u2028\u2029]")
_ANY_BREAK = re.compile("[\n\r\x85\u2028\u2029]")
UNRENDERED = "dtmnb-undefined"   # stands in for a placeholder in error, so the tools can still be checked


def go_text(value: Any, source: str | None) -> str | None:
    """A scalar variable as dtm printed it (None: null). ``source`` is its text when it decoded to something
    else. Dates are pasted as written (dtm printed Go's time.Time form, "2022-05-31 00:00:00 +0000 UTC")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return format_float(value)   # Go's %v of a float64 is strconv's shortest 'g' form
    if isinstance(value, (Timestamp, bytes)):
        return source if source is not None else str(value)
    return str(value)


class Renderer:
    """Renders one tools text with the variables in ``vars_doc`` (a map, or None when there are none);
    ``where`` names the place a missing variable should be added (for the fix in messages)."""

    def __init__(self, problems: Problems, vars_doc: Doc | None, where: str):
        self.problems, self.doc, self.where = problems, vars_doc, where
        self.vars = vars_doc.value if vars_doc is not None and isinstance(vars_doc.value, dict) else None
        self.cache: dict[str, str] = {}

    def render(self, src: Source) -> Source:
        """The rendered text (file lines kept in ``lines``); problems are recorded."""
        if "[[" not in src.text:
            return src
        if not _OTHER_BREAK.search(src.text):
            before = len(self.problems.items)
            fast = self.render_fast(src)
            if fast is not None:
                return fast
            del self.problems.items[before:]   # a value with a line break: render again, line by line
        return self.render_lines(src)

    def render_fast(self, src: Source) -> Source | None:
        """Render a text whose only line break is \\n, visiting only the lines with a placeholder; None when a
        value would add a line break (line numbers then need :meth:`render_lines`)."""
        text = src.text
        missing: dict[str, list[int]] = {}
        out: list[str] = []
        changed: set[int] = set()
        comments: set[int] = set()
        pos = counted = 0
        index = 1
        i = text.find("[[")
        while i != -1:
            index += text.count("\n", counted, i)
            counted = i
            start = text.rfind("\n", 0, i) + 1
            end = text.find("\n", i)
            end = len(text) if end == -1 else end
            old = text[start:end]
            line = src.line(index)
            if old.lstrip().startswith("#"):
                comments.add(line)
            new = self.render_line(old, src, line, missing)
            if new != old:
                if _ANY_BREAK.search(new):
                    return None
                changed.add(line)
            out += (text[pos:start], new)
            pos = end
            i = text.find("[[", end)
        out.append(text[pos:])
        for name, where in missing.items():
            self.report_missing(src, name, where, comments)
        return Source(src.path, "".join(out), src.key, src.lines, frozenset(changed))

    def render_lines(self, src: Source) -> Source:
        """Render line by line, following the lines a multi-line value adds."""
        missing: dict[str, list[int]] = {}
        out: list[str] = []
        lines: list[int] = []
        changed: set[int] = set()
        comments: set[int] = set()
        for i, (text, brk) in enumerate(split_lines(src.text)):
            line = src.line(i + 1)
            if "[[" in text:
                if text.lstrip().startswith("#"):
                    comments.add(line)
                new = self.render_line(text, src, line, missing)
                if new != text:
                    changed.add(line)
                    lines += [line] * (len(split_lines(new)) - 1)
                text_out = new
            else:
                text_out = text
            out += (text_out, brk)
            lines.append(line)
        for name, where in missing.items():
            self.report_missing(src, name, where, comments)
        return Source(src.path, "".join(out), src.key, lines, frozenset(changed))

    def render_line(self, text: str, src: Source, line: int, missing: dict[str, list[int]]) -> str:
        found = 0

        def value(m: re.Match) -> str:
            nonlocal found
            found += 1
            return self.value(m, src, line, missing)

        new = _PLACEHOLDER.sub(value, text)
        if text.count("[[") > found:
            self.problems.add(src.path, line, "`[[` without a closing `]]` on the same line: a variable is "
                                              "written `[[ name ]]`; for a nested YAML list put a space between "
                                              "the brackets: `[ [1, 2] ]`")
        return new

    def report_missing(self, src: Source, name: str, where: list[int], comments: set[int]) -> None:
        also = ""
        if len(where) > 1:
            also = f" (also used at line{'s' if len(where) > 2 else ''} {', '.join(map(str, where[1:]))})"
        note = " (placeholders in comments are rendered too, as in dtm)" if where[0] in comments else ""
        self.problems.add(src.path, where[0], f"variable [[ {name} ]] is not defined{also}; {self.fix(name)}{note}")

    def value(self, m: re.Match, src: Source, line: int, missing: dict[str, list[int]]) -> str:
        inner = m.group(1).strip()
        cached = self.cache.get(inner)
        if cached is not None:
            return cached
        if not _NAME_PATH.fullmatch(inner):
            if inner.startswith(".") and _NAME_PATH.fullmatch(inner[1:]):
                self.problems.add(src.path, line, f"write [[ {inner[1:]} ]], without the dot: dtm adds the dot "
                                                  f"itself, so [[ {inner} ]] is not a variable")
            else:
                self.problems.add(src.path, line, f"`{m.group(0)}` is not a variable: write [[ name ]] or [[ a.b ]] "
                                                  f"(letters, digits, '_' and '-'); for a nested YAML list put a "
                                                  f"space between the brackets: `[ [1, 2] ]`")
            return UNRENDERED
        text = self.lookup(inner, src, line)
        if text is not None and text is not UNRENDERED:
            self.cache[inner] = text
        if text is None:
            lines = missing.setdefault(inner, [])
            if line not in lines:
                lines.append(line)
            return UNRENDERED
        return text

    def lookup(self, inner: str, src: Source, line: int) -> str | None:
        """The text for ``[[ inner ]]``; None when it is not defined (UNRENDERED after another problem)."""
        segs = inner.split(".")
        container: Any = self.vars
        for n, seg in enumerate(segs):
            if n and not isinstance(container, dict):
                self.problems.add(src.path, line, f"variable {'.'.join(segs[:n])} is not a map, so [[ {inner} ]] "
                                                  f"cannot be looked up")
                return UNRENDERED
            if container is None or seg not in container:
                return None
            parent, container = container, container[seg]
        if isinstance(container, (dict, list)):
            kind = "list" if isinstance(container, list) else "map"
            self.problems.add(src.path, line, f"variable {inner} is a {kind}; list and map values are not supported "
                                              f"in [[ ]] (as in dtm): use a single value (text, number or true/false)")
            return UNRENDERED
        text = go_text(container, self.doc.text(parent, segs[-1]) if self.doc else None)
        if text is None:
            self.problems.add(src.path, line, f"variable {inner} has no value; give it one (`{segs[-1]}: \"\"` for "
                                              f"an empty string)")
            return UNRENDERED
        return text

    def fix(self, name: str) -> str:
        """What to do about an undefined variable: the close name that exists, else where to add it."""
        segs, container, have = name.split("."), self.vars, 0
        while have < len(segs) - 1 and isinstance(container, dict) and isinstance(container.get(segs[have]), dict):
            container, have = container[segs[have]], have + 1
        rest = segs[have:]
        snippet = rest[-1] + ": ..."
        for seg in reversed(rest[:-1]):
            snippet = f"{seg}: {{{snippet}}}"
        under = f" under `{'.'.join(segs[:have])}`" if have else ""
        add = f"add `{snippet}`{under} to {self.where}"
        close = closest(rest[0], [k for k in container if isinstance(k, str)]) if isinstance(container, dict) \
            else None
        if close is not None:
            existing = ".".join([*segs[:have], close, *rest[1:]])
            return f"did you mean [[ {existing} ]]? Otherwise {add}"
        return add
