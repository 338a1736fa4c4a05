"""``load_config``: read the main file and the files it names, render variables, check everything, and
fail once with every problem found."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from ..limits import MAX_DEPTH
from ..schema import did_you_mean
from .checks import EntryChecker, check_references
from .model import Config, StateConfig, Tool
from .options import check_tools, read_state
from .sections import CORE_KEYS, NO_STATE, Sections, find_sections
from .source import Problems, Source, read_text, show, split_lines
from .variables import Renderer
from .yamldoc import NOT_YAML, Doc, YamlProblems, parse

# tools: -> list -> entry -> options: the options map and 63 levels inside it, as the state may hold
DEPTH = MAX_DEPTH + 3
DEPTH_NOTE = f" (options may nest at most {MAX_DEPTH} levels deep)"
QUOTE_HINT = "; if a value comes from a variable, quote the placeholder: \"[[ name ]]\""


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read a dtm config (any of the three forms) into a Config, or raise one ConfigError listing every problem.

    Relative ``varFile``/``toolFile``/``stateFile`` paths are read from the main file's folder. As in dtm, a
    ``toolFile`` wins over a tools section in the main file; likewise a ``varFile`` wins over a variables section
    (dtm ignored ``varFile`` when the tools were inline, which only ever led to undefined variables). Each
    tool's options are checked against its plugin's schema, the ``state:`` section against its backend's;
    nothing is filled into a tool's options. What was ignored is listed in ``Config.warnings``.
    """
    return _Loader(Path(path).expanduser().absolute()).load()


class _Pointer:
    """A ``varFile``/``toolFile`` entry of the core section: the file it names and where it was written."""

    def __init__(self, path: Path, key: str, line: int | None, value: str):
        self.path, self.key, self.line, self.value = path, key, line, value


class _Loader:
    """One load: reads the files, records problems, and fails once at the end with all of them."""

    def __init__(self, path: Path):
        self.path, self.base = path, path.parent
        self.problems = Problems(path)
        self.warnings: list[str] = []

    def load(self) -> Config:
        text = read_text(self.path, self.problems)
        if text is None:
            self.problems.fail()
        sections = find_sections(self.path, text, self.problems)
        core_src = sections.core
        core = self.core(core_src, sections.form) if core_src is not None else None
        state = read_state(core[0], core[1], core_src, self.base, self.problems) \
            if core is not None and core_src is not None and "state" in core[0] else None
        var_file, tool_file = self.pointers(core, sections)
        tools_src = self.tools_source(sections, tool_file)
        vars_src = self.read_pointed(var_file) if var_file else sections.vars
        if vars_src is False or tools_src is False:
            self.problems.fail()
        vars_doc = self.variables(vars_src)
        tools: list[Tool] = []
        if tools_src is not None and vars_doc is not False:
            hint = self.var_hint(sections.form, var_file, vars_src, tool_file)
            tools = self.tools(tools_src, vars_doc, hint)
        if self.problems or state is None:
            self.problems.fail()
        assert isinstance(state, StateConfig)
        variables = vars_doc.value if isinstance(vars_doc, Doc) and isinstance(vars_doc.value, dict) else {}
        return Config(self.path, tools, state, variables, sections.form, self.warnings)

    # --- reading --------------------------------------------------------------------------------
    def parse(self, src: Source, raw: Source | None = None) -> tuple[Any, Doc] | None:
        """(value, doc) of a section: the top-level map, or the value under ``src.key``; None after problems.
        ``raw``: the text before rendering (to tell whether a broken line held a placeholder)."""
        try:
            doc = parse(src.text, DEPTH)
        except YamlProblems as exc:
            for line, column, message in exc.problems:
                file_line = src.line(line) if line else None
                hint = ""
                if message.startswith(NOT_YAML) and file_line and raw is not None and "[[" in _line(raw, file_line):
                    hint = QUOTE_HINT
                note = DEPTH_NOTE if message.startswith("nested too deeply") else ""
                col = column if file_line not in src.rendered else None
                self.problems.add(src.path, file_line, message + note + hint, col)
            return None
        data = doc.value if doc.value is not None else {}
        if not isinstance(data, dict):
            kind = {"list": "list", "str": "text"}.get(type(data).__name__, "single value")
            self.problems.add(src.path, src.line(_first_line(src.text)), f"the top level is a {kind}, not a map of "
                                                                         f"`key: value` lines")
            return None
        if src.key:
            return data.get(src.key), doc
        return data, doc

    def read_pointed(self, pointer: _Pointer) -> Source | Literal[False]:
        text = read_text(pointer.path, self.problems, (self.path, pointer.line, f"{pointer.key} {pointer.value}"))
        return False if text is None else Source(pointer.path, text)

    def core(self, src: Source, form: str) -> tuple[dict, Doc] | None:
        """The core section (``config:`` in v0.10) with its unknown keys reported; None after a problem."""
        parsed = self.parse(src)
        if parsed is None:
            return None
        core, doc = parsed
        if not isinstance(core, dict):
            self.problems.add(src.path, src.line(_first_line(src.text)), "`config:` must be a map holding `state:` "
                              "(and its `options:`)" if form == "v0.10" else "the core section must be a map")
            return None
        known = ("state",) if form == "v0.10" else CORE_KEYS
        for key in core:
            if key not in known:
                self.problems.add(src.path, src.line(doc.key_line(core, key) or 0) or None,
                                  f"unknown key `{key}` in the core section{did_you_mean(key, known)}; it holds "
                                  f"only {', '.join(known)}" + (" (variables go in their own `---` section or in "
                                                                "varFile)" if len(known) > 1 else ""))
        if "state" not in core:
            self.problems.add(src.path, None, NO_STATE)
        return core, doc

    def pointers(self, core: tuple[dict, Doc] | None, sections: Sections) -> tuple[_Pointer | None, _Pointer | None]:
        if core is None or sections.form == "v0.10":
            return None, None
        var_file, tool_file = self.pointer(*core, "varFile"), self.pointer(*core, "toolFile")
        for pointer, src, what in ((tool_file, sections.tools, "tools"), (var_file, sections.vars, "variables")):
            if pointer and src:
                self.warnings.append(f"{show(self.path)}: {pointer.key} is set, so the {what} section written in "
                                     f"this file is ignored ({what} are read from {show(pointer.path)})")
        return var_file, tool_file

    def pointer(self, core: dict, doc: Doc, key: str) -> _Pointer | None:
        """The file the core's ``varFile``/``toolFile`` names; None when unset (or after a problem)."""
        value = core.get(key)
        if value in (None, ""):
            return None
        line = doc.key_line(core, key)
        if isinstance(value, (dict, list)):
            self.problems.add(self.path, line, f"`{key}` must be a file path, got {value!r}")
            return None
        text = doc.text(core, key) or ""
        p = Path(text).expanduser()
        return _Pointer(p if p.is_absolute() else self.base / p, key, line, text)

    def tools_source(self, sections: Sections, tool_file: _Pointer | None) -> Source | Literal[False] | None:
        if tool_file:
            return self.read_pointed(tool_file)
        if sections.tools is None and sections.core is not None:
            self.problems.add(self.path, None, "no tools: add a `tools:` list" + (
                "" if sections.form == "v0.10" else " (in its own `---` section) or `toolFile: tools.yaml`"))
        return sections.tools

    def var_hint(self, form: str, var_file: _Pointer | None, vars_src: Any, tool_file: _Pointer | None) -> str:
        """Where a missing variable should be added, for the fix in the message."""
        if var_file:
            return show(var_file.path)
        if form == "v0.10":
            return f"the `vars:` section of {show(self.path)}"
        if vars_src:
            return f"the variables section of {show(self.path)}"
        if tool_file:
            return f"a variables file (set `varFile: variables.yaml` in {show(self.path)})"
        return f"a variables section of {show(self.path)} (a `---` section of `name: value` lines)"

    # --- variables and tools --------------------------------------------------------------------
    def variables(self, src: Source | None) -> Doc | None | Literal[False]:
        """The variables as a Doc whose value is a map; None when there are none; False when unusable."""
        if src is None:
            return None
        parsed = self.parse(src)
        if parsed is None:
            return False
        data, doc = parsed
        if data is None:
            return None
        if not isinstance(data, dict):
            self.problems.add(src.path, src.line(_first_line(src.text)), "variables must be a map of `name: value`")
            return False
        doc.value = data
        return doc

    def tools(self, raw: Source, vars_doc: Doc | None, hint: str) -> list[Tool]:
        before = len(self.problems)
        src = Renderer(self.problems, vars_doc, hint).render(raw)
        after = len(self.problems)
        tools = self.read_tools(src, raw)
        if after > before:   # placeholders left unrendered may break the YAML: not a problem of its own
            items = self.problems.items
            items[after:] = [p for p in items[after:] if f": {NOT_YAML}" not in p]
        return tools

    def read_tools(self, src: Source, raw: Source) -> list[Tool]:
        parsed = self.parse(src, raw)
        if parsed is None:
            return []
        data, doc = parsed
        for key in data:
            if key != "tools":
                self.problems.add(src.path, src.line(doc.key_line(data, key) or 1), f"unknown key `{key}` in the "
                                  f"tools section{did_you_mean(key, ['tools'])}; it holds only `tools:`")
        if "tools" not in data:
            self.problems.add(src.path, None, "no `tools:` list")
        entries = data.get("tools")
        if entries is None:
            return []
        if not isinstance(entries, list):
            at = doc.line(entries) or doc.key_line(data, "tools") or 1
            self.problems.add(src.path, src.line(at), "`tools:` must be a list of `- name: ...` entries")
            return []
        checker = EntryChecker(self.problems, doc, src)
        located = checker.read(entries)
        tools = [e.tool for e in located]
        check_references(tools, checker.written, src.path, self.problems)
        check_tools(located, self.problems)
        return tools


def _first_line(text: str) -> int:
    """1-based line of the first line that holds more than blanks and comments."""
    for i, (s, _) in enumerate(split_lines(text)):
        if s.strip() and not s.lstrip().startswith("#"):
            return i + 1
    return 1


def _line(src: Source, file_line: int) -> str:
    """The text of a file line in ``src`` (before rendering, text lines are file lines)."""
    lines = split_lines(src.text)
    return lines[file_line - 1][0] if 0 < file_line <= len(lines) else ""
