"""Loading dtm configs into a Config: the three-file form, the `---` single file, the v0.10 one-file form.

``load_config`` reads the main file, finds its sections by content, renders ``[[ var ]]`` placeholders
into the tools text (never into the core section), parses it and validates everything. Every problem
found is collected and raised at once as one ConfigError; each names its file, line and the fix.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError

BACKENDS = ("local", "s3")
DEFAULT_STATE_FILE = "devstream.state"
S3_REQUIRED = ("bucket", "region", "key")
CORE_KEYS = ("varFile", "toolFile", "pluginDir", "state")
TOOL_KEYS = ("name", "instanceID", "dependsOn", "options")
V10_KEYS = ("config", "vars", "tools")
NO_STATE = ("no `state` section: add\n      state:\n        backend: local\n        options:\n"
            "          stateFile: devstream.state")
RFC1123 = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
RFC1123_RULE = ("an instanceID must be a DNS-1123 subdomain: lower-case letters, digits, '-' and '.', "
                "starting and ending with a letter or digit, at most 253 characters, e.g. `default` or `go-app`")


@dataclass
class Tool:
    """One entry of ``tools:``; ``file``/``line`` say where it was written (for error messages)."""

    name: str
    instance_id: str
    depends_on: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    file: str | None = None
    line: int | None = None

    @property
    def key(self) -> str:
        """The state key, ``<name>_<instanceID>``."""
        return f"{self.name}_{self.instance_id}"

    @property
    def ref(self) -> str:
        """The ``dependsOn`` form, ``<name>.<instanceID>``."""
        return f"{self.name}.{self.instance_id}"

    def where(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or "config"


@dataclass
class StateConfig:
    """The ``state:`` section. ``backend`` is lower-case ('local' or 's3'); relative paths in
    ``options`` resolve against ``base_dir`` (the main config file's folder)."""

    backend: str
    options: dict
    base_dir: Path
    file: str | None = None

    def path_option(self, name: str, default: str | None = None) -> Path | None:
        value = self.options.get(name) or default
        if value is None:
            return None
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else self.base_dir / p


@dataclass
class Config:
    """A loaded config. ``form`` is 'files', 'sections' or 'v0.10'; ``warnings`` lists what was ignored."""

    path: Path
    tools: list[Tool]
    state: StateConfig
    vars: dict = field(default_factory=dict)
    form: str = "files"
    warnings: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def tool(self, key: str) -> Tool | None:
        for t in self.tools:
            if t.key == key or t.ref == key:
                return t
        return None

    def tools_frame(self):
        """One row per tool: key, name, instance_id, depends_on, options."""
        from .frames import tools_frame

        return tools_frame(self)

    def __repr__(self) -> str:
        return (f"<Config {self.path.name}: {len(self.tools)} tool(s), "
                f"backend {self.state.backend}>")


def load_config(path) -> Config:
    """Read a dtm config (any of the three forms) into a Config, or raise one ConfigError listing every problem.

    Relative ``varFile``/``toolFile``/``stateFile`` paths are read from the main file's folder. As in dtm, a
    ``toolFile`` wins over a tools section in the main file; likewise a ``varFile`` wins over a variables section
    (dtm ignored ``varFile`` when the tools were inline, which only ever led to undefined variables).
    """
    return _Loader(Path(path).expanduser().absolute()).load()


# --- text cut out of a file -------------------------------------------------------------------------

@dataclass
class _Text:
    """YAML text from ``path``, other lines blanked so line numbers stay the file's. ``key``: the one top-level
    key whose value is the section (v0.10 blocks); ``lines[i]``: file line of text line i after rendering."""

    path: Path
    text: str
    key: str | None = None
    lines: list[int] | None = None
    rendered: frozenset = frozenset()   # file lines changed by rendering (YAML columns are off there)

    def line(self, index: int) -> int:
        if self.lines is not None and index < len(self.lines):
            return self.lines[index]
        return index + 1


def _show(path: Path) -> str:
    """The path as messages show it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _top_blocks(lines: list[str], start: int, end: int) -> list[tuple[str, int, int]]:
    """(key, first line, end line) of each top-level ``key:`` block in lines[start:end]."""
    heads = [(m.group(1), i) for i in range(start, end)
             if (m := re.match(r"([A-Za-z_][\w-]*)[ \t]*:(\s|$)", lines[i]))]
    return [(k, i, heads[n + 1][1] if n + 1 < len(heads) else end) for n, (k, i) in enumerate(heads)]


def _cut(path: Path, lines: list[str], keep, key: str | None = None) -> _Text:
    keep = set(keep)
    return _Text(path, "\n".join(s if i in keep else "" for i, s in enumerate(lines)) + "\n", key)


class _Loader:
    """One load: reads the files, records problems, and fails once at the end with all of them."""

    def __init__(self, path: Path):
        self.path, self.base = path, path.parent
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.written: list[str] = []     # name.instanceID of every tool entry, valid or not

    def problem(self, path: Path | None, line: int | None, message: str) -> None:
        where = f"{_show(path)}:{line}: " if line else f"{_show(path)}: " if path else ""
        self.problems.append(where + message)

    def fail(self):
        n = len(self.problems)
        head = f"invalid config {_show(self.path)} ({n} problem{'s' if n != 1 else ''}):"
        raise ConfigError("\n  - ".join([head] + self.problems), self.problems)

    def load(self) -> Config:
        text = self.read(self.path)
        if text is None:
            self.fail()
        form, core_src, vars_src, tools_src = self.sections(text)
        core, core_node = (self.parse(core_src) if core_src else None) or (None, None)
        state = self.state(core, core_node, ("state",) if form == "v0.10" else CORE_KEYS)
        var_file = self.pointer(core, core_node, "varFile") if form != "v0.10" else None
        tool_file = self.pointer(core, core_node, "toolFile") if form != "v0.10" else None
        for pointer, src, what in ((tool_file, tools_src, "tools"), (var_file, vars_src, "variables")):
            if pointer and src:
                self.warnings.append(f"{_show(self.path)}: {pointer[1]} is set, so the {what} section written in "
                                     f"this file is ignored ({what} are read from {_show(pointer[0])})")
        if tool_file:
            tools_src = self.read_pointed(tool_file)
        elif tools_src is None and core_src is not None:
            self.problem(self.path, None, "no tools: add a `tools:` list" + (
                "" if form == "v0.10" else " (in its own `---` section) or `toolFile: tools.yaml`"))
        if var_file:
            vars_src = self.read_pointed(var_file)
        if vars_src is False or tools_src is False:
            self.fail()
        vars_node, variables = self.variables(vars_src)
        tools = []
        if tools_src is not None and vars_node is not False:
            before = len(self.problems)
            rendered = _Renderer(self, vars_node, self.var_hint(form, var_file, vars_src, tool_file)).render(tools_src)
            after = len(self.problems)
            tools = self.tools(rendered)
            if after > before:   # placeholders left unrendered may break the YAML: not a problem of its own
                self.problems[after:] = [p for p in self.problems[after:] if "not valid YAML" not in p]
        if self.problems or state is None:
            self.fail()
        return Config(self.path, tools, state, variables or {}, form, self.warnings)

    # --- files and sections ---------------------------------------------------------------------

    def read(self, path: Path, pointer: tuple | None = None) -> str | None:
        """The file's text, or None after recording why it cannot be read (at the key that named it)."""
        if pointer is None:
            where, line, what = None, None, f"config file {path}"
            fix = "pass the path of your main config file, e.g. config.yaml"
        else:
            where, line, what = self.path, pointer[2], f"{pointer[1]} {pointer[3]}"
            fix = (f"looked for {path}; relative paths are read from the folder of {self.path.name}: fix the path "
                   f"or create the file")
        try:
            return path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.problem(where, line, f"{what} does not exist; {fix}")
        except IsADirectoryError:
            self.problem(where, line, f"{what} is a folder, not a file ({path})")
        except (OSError, UnicodeDecodeError) as e:
            self.problem(where, line, f"cannot read {what}: {e}")
        return None

    def read_pointed(self, pointer) -> _Text | bool:
        text = self.read(pointer[0], pointer)
        return False if text is None else _Text(pointer[0], text)

    def sections(self, text: str):
        """(form, core, vars, tools) of the main file; each section a _Text or None."""
        lines = text.splitlines()
        pieces, start = [], 0
        for i, s in enumerate(lines + ["---"]):
            if s.rstrip() == "---":
                if any(x.strip() and not x.lstrip().startswith("#") for x in lines[start:i]):
                    pieces.append((start, i))
                start = i + 1
        found: dict[str, tuple[int, _Text]] = {}

        def put(kind: str, first: int, src: _Text, label: str) -> None:
            if kind in found:
                self.problem(self.path, first + 1, f"a second {label} (the first is at line "
                                                   f"{found[kind][0] + 1}); keep only one")
            else:
                found[kind] = (first, src)

        v10 = False
        for start, end in pieces:
            blocks = _top_blocks(lines, start, end)
            keys = {b[0] for b in blocks}
            first = blocks[0][1] if blocks else start
            if "config" in keys and "state" not in keys and (len(pieces) == 1 or keys & {"tools", "vars"}):
                v10 = True
                for key, b0, b1 in blocks:
                    if key in V10_KEYS:
                        put(key, b0, _cut(self.path, lines, range(b0, b1), key if key != "tools" else None),
                            f"`{key}:` section")
                    elif key in ("apps", "pipelineTemplates"):
                        self.problem(self.path, b0 + 1, f"`{key}:` is not supported by dtmnb (it came with "
                                                        f"dtm v0.10); write each tool under `tools:` instead")
                    else:
                        self.problem(self.path, b0 + 1, f"unknown top-level key `{key}`; a v0.10 config "
                                                        f"has only config:, vars: and tools:")
            elif keys & set(CORE_KEYS):
                tools = [(b0, b1) for k, b0, b1 in blocks if k == "tools"]
                rest = [i for i in range(start, end) if not any(b0 <= i < b1 for b0, b1 in tools)]
                put("core", first, _cut(self.path, lines, rest), "core section (with `state:`)")
                for b0, b1 in tools:
                    put("tools", b0, _cut(self.path, lines, range(b0, b1)), "tools section")
            elif "tools" in keys:
                put("tools", first, _cut(self.path, lines, range(start, end)), "tools section")
            else:
                put("vars", first, _cut(self.path, lines, range(start, end)), "variables section")
        get = lambda kind: found.get(kind, (0, None))[1]  # noqa: E731
        if v10 and len(pieces) > 1 and (get("core") or get("vars")):
            self.problem(self.path, None, "mixes the v0.10 form (`config:`) with `---` sections; use one")
        core = get("config") if v10 else get("core")
        if core is None:
            self.problem(self.path, None, NO_STATE)
        form = "v0.10" if v10 else "sections" if len(pieces) > 1 or get("tools") else "files"
        return form, core, get("vars"), get("tools")

    def parse(self, src: _Text):
        """(data, node) of a section (``data`` a dict, or the value under ``src.key``); None after a problem."""
        loader = yaml.SafeLoader(src.text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_duplicates(self, src, node)
            data = loader.construct_document(node) if node is not None else {}
        except RecursionError:
            self.problem(src.path, None, "is nested too deeply to be a config (hundreds of levels)")
            return None
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = src.line(mark.line) if mark else None
            col = f":{mark.column + 1}" if mark and line not in src.rendered else ""
            hint = ""
            if line and "[[" in (_file_line(src.path, line) or ""):
                hint = "; if a value comes from a variable, quote the placeholder: \"[[ name ]]\""
            what = " ".join(str(x) for x in (e.context, e.problem) if x)
            self.problems.append(f"{_show(src.path)}:{line}{col}: not valid YAML: {what}{hint}")
            return None
        finally:
            loader.dispose()
        if not isinstance(data, dict):
            kind = {"list": "list", "str": "text"}.get(type(data).__name__, "single value")
            self.problem(src.path, src.line(node.start_mark.line), f"the top level is a {kind}, not a map of "
                                                                   f"`key: value` lines")
            return None
        return (data.get(src.key), _child(node, src.key)) if src.key else (data, node)

    def pointer(self, core, node, key: str):
        """(resolved path, key, line, value) for the core's ``varFile``/``toolFile``; None when unset."""
        value = core.get(key) if isinstance(core, dict) else None
        if value in (None, ""):
            return None
        line = _key_line(node, key)
        if not isinstance(value, str):
            self.problem(self.path, line, f"`{key}` must be a file path, got {value!r}")
            return None
        p = Path(value).expanduser()
        return (p if p.is_absolute() else self.base / p), key, line, value

    def var_hint(self, form, var_file, vars_src, tool_file) -> str:
        """Where a missing variable should be added, for the fix in the message."""
        if var_file:
            return _show(var_file[0])
        if form == "v0.10":
            return f"the `vars:` section of {_show(self.path)}"
        if vars_src:
            return f"the variables section of {_show(self.path)}"
        if tool_file:
            return f"a variables file (set `varFile: variables.yaml` in {_show(self.path)})"
        return f"a variables section of {_show(self.path)} (a `---` section of `name: value` lines)"

    # --- state, variables, tools ------------------------------------------------------------------

    def state(self, core, node, known) -> StateConfig | None:
        if core is None:
            return None
        for key in core:
            if key not in known:
                self.problem(self.path, _key_line(node, key), f"unknown key `{key}` in the core section"
                             f"{_did_you_mean(key, known)}; it holds only {', '.join(known)}"
                             + (" (variables go in their own `---` section or in varFile)" if len(known) > 1
                                else ""))
        st, line = core.get("state"), _key_line(node, "state")
        if "state" not in core:
            self.problem(self.path, None, NO_STATE)
            return None
        if not isinstance(st, dict):
            self.problem(self.path, line, "`state:` is empty" if st is None else "`state:` must be a map"
                         "; give it `backend: local` (or s3) and `options:`")
            return None
        st_node = _child(node, "state")
        backend, options = st.get("backend"), st.get("options")
        bline = _key_line(st_node, "backend") or line
        line = _key_line(st_node, "options") or bline
        if not isinstance(options or {}, dict):
            self.problem(self.path, line, "`state.options` must be a map")
        options = dict(options) if isinstance(options, dict) else {}
        if not isinstance(backend, str) or backend.lower() not in BACKENDS:
            got = "is missing" if backend in (None, "") else f"`{backend}` is not supported"
            self.problem(self.path, bline, f"state backend {got}: use "
                         f"`backend: local` (a state file) or `backend: s3` (an S3 object)")
            return None
        backend = backend.lower()
        if backend == "local":
            if options.get("stateFile") in (None, ""):
                options["stateFile"] = DEFAULT_STATE_FILE
            elif not isinstance(options["stateFile"], str):
                self.problem(self.path, line, "`stateFile` must be a file path")
        for key in S3_REQUIRED if backend == "s3" else ():
            if options.get(key) in (None, ""):
                self.problem(self.path, line, f"s3 backend: `{key}` is missing; add `{key}: ...` under "
                                              f"state.options (bucket, region and key are all required)")
        return StateConfig(backend, options, self.base, str(self.path))

    def variables(self, src):
        """(vars node, vars dict); (False, None) when the variables cannot be used."""
        parsed = self.parse(src) if src is not None else (None, None)
        if parsed is None:
            return False, None
        data, node = parsed
        if data is None:
            return None, {}
        if not isinstance(data, dict):
            self.problem(src.path, src.line(node.start_mark.line), "variables must be a map of `name: value`")
            return False, None
        return node, data

    def tools(self, src: _Text) -> list[Tool]:
        parsed = self.parse(src)
        if parsed is None:
            return []
        data, node = parsed
        for key in data:
            if key != "tools":
                self.problem(src.path, src.line(_key_index(node, key, 0)), f"unknown key `{key}` in the tools "
                             f"section{_did_you_mean(key, ['tools'])}; it holds only `tools:`")
        if "tools" not in data:
            self.problem(src.path, None, "no `tools:` list")
        data, node = data.get("tools"), _child(node, "tools")
        if data is None:
            return []
        if not isinstance(data, list):
            self.problem(src.path, src.line(node.start_mark.line), "`tools:` must be a list of `- name: ...` "
                                                                   "entries")
            return []
        go_entries = self.go_tools(src, len(data))
        tools = []
        for entry, n, go_entry in zip(data, node.value, go_entries):
            tool = self.tool(entry, n, src)
            if tool is not None:
                if isinstance(go_entry, dict) and isinstance(go_entry.get("options"), dict):
                    tool.options = go_entry["options"]
                tools.append(tool)
        self.check_refs(tools, src.path)
        return tools

    def go_tools(self, src: _Text, count: int) -> list:
        """The tools entries as dtm's yaml.v3 decodes them (``yes`` stays text, ``0755`` is 493 ...),
        so options mean in dtmnb what they meant to dtm; ``count`` Nones when it cannot decode them."""
        from . import yamlv3

        try:
            root = yamlv3.load(src.text)
            data = yamlv3.Decoder().interface(root) if root is not None else {}
        except RecursionError:
            return [None] * count   # parse() has reported it
        except yamlv3.YAMLv3Error as e:
            line = src.line(e.line - 1) if e.line else None
            self.problem(src.path, line, f"not valid YAML for dtm (yaml.v3): {e.problem}")
            return [None] * count
        if src.key and isinstance(data, dict):
            data = data.get(src.key)
        entries = data.get("tools") if isinstance(data, dict) else None
        return entries if isinstance(entries, list) and len(entries) == count else [None] * count

    def tool(self, entry, node, src: _Text) -> Tool | None:
        """One tools entry as a Tool, or None after recording its problems."""
        line = src.line(node.start_mark.line)
        here = lambda key: src.line(_key_index(node, key, node.start_mark.line))  # noqa: E731
        if not isinstance(entry, dict):
            self.problem(src.path, line, "a tool entry must be a map with name, instanceID and options")
            return None
        problems, typos = len(self.problems), set()
        for key in entry:
            if key not in TOOL_KEYS:
                hint = _did_you_mean(key, TOOL_KEYS)
                typos |= {k for k in TOOL_KEYS if f"`{k}`" in hint}
                self.problem(src.path, here(key), f"unknown key `{key}` in a tool entry"
                             f"{hint or ' (indent it under `options:` if it is a plugin option)'}; a tool has "
                             f"only {', '.join(TOOL_KEYS)}")
        for key in ("name", "instanceID"):
            if isinstance(entry.get(key), (list, dict)):
                self.problem(src.path, here(key), f"`{key}` must be text, not a "
                                                  f"{'list' if isinstance(entry[key], list) else 'map'}")
                typos.add(key)
        name, iid = _text(entry, node, "name"), _text(entry, node, "instanceID")
        if name and iid and not typos & {"name", "instanceID"}:
            self.written.append(f"{name}.{iid}")
        if not name and "name" not in typos:
            self.problem(src.path, line, "tool has no `name`: set it to the plugin name, e.g. "
                                         "`name: github-repo-scaffolding-golang`")
        elif name and "_" in name and "name" not in typos:
            self.problem(src.path, here("name"), f"tool name `{name}` contains '_': state keys are "
                         f"<name>_<instanceID>, so `a_b` + `c` and `a` + `b_c` would share the key a_b_c; "
                         f"use '-' instead")
        if not iid and "instanceID" not in typos:
            self.problem(src.path, line, f"tool `{name or '?'}` has no `instanceID`: add e.g. "
                                         f"`instanceID: default` ({RFC1123_RULE})")
        elif iid and "instanceID" not in typos and (len(iid) > 253 or not RFC1123.fullmatch(iid)):
            fixed = re.sub(r"[^a-z0-9.-]+", "-", iid.lower()).strip("-.")[:253]
            try_ = f"; try `{fixed}`" if fixed and RFC1123.fullmatch(fixed) else ""
            self.problem(src.path, here("instanceID"), f"instanceID `{iid}` is not valid: {RFC1123_RULE}{try_}")
        deps, deps_node = entry.get("dependsOn"), _child(node, "dependsOn")
        if not isinstance(deps if deps is not None else [], list):
            self.problem(src.path, here("dependsOn"), 'dependsOn must be a list, e.g. dependsOn: ["name.instanceID"]')
        deps = [d.strip() if isinstance(d, str) else d for d in deps] if isinstance(deps, list) else []
        for i, d in enumerate(deps):
            head, dot, tail = d.partition(".") if isinstance(d, str) else ("", "", "")
            if not (head and dot and tail):
                at = src.line(deps_node.value[i].start_mark.line) if isinstance(deps_node, yaml.SequenceNode) \
                    else here("dependsOn")
                self.problem(src.path, at, f"dependsOn entry {d!r} must be `name.instanceID` of another tool, "
                                           f"e.g. `argocd.default`")
        options = entry.get("options")
        if not isinstance(options if options is not None else {}, dict):
            self.problem(src.path, here("options"), "options must be a map of `key: value` (the plugin's options)")
        if len(self.problems) > problems:
            return None
        return Tool(name, iid, deps, options or {}, str(src.path), line)

    def check_refs(self, tools: list[Tool], path: Path) -> None:
        """Duplicates, unknown dependsOn targets and cycles."""
        by_ref: dict[str, Tool] = {}
        for t in tools:
            if t.ref in by_ref:
                self.problem(path, t.line, f"tool {t.ref} is defined twice (also at line {by_ref[t.ref].line}); "
                                           f"give one of them another instanceID")
            by_ref.setdefault(t.ref, t)
        for t in tools:
            for d in t.depends_on:
                if d not in self.written:
                    self.problem(path, t.line, f"tool {t.ref} depends on {d}, which is not in the config (tools "
                                               f"in this config: {', '.join(dict.fromkeys(self.written))})")
        seen: dict[str, bool] = {}      # False while on the stack, True when done
        stack: list[str] = []

        def visit(ref: str) -> None:
            seen[ref] = False
            stack.append(ref)
            for d in by_ref[ref].depends_on:
                if seen.get(d) is False:
                    ring = stack[stack.index(d):]
                    i = min(range(len(ring)), key=lambda k: order.index(ring[k]))
                    ring = ring[i:] + ring[:i]
                    self.problem(path, by_ref[ring[0]].line, f"dependency cycle {' -> '.join(ring + ring[:1])}; "
                                                             f"remove one of these dependsOn entries")
                elif d in by_ref and d not in seen:
                    visit(d)
            stack.pop()
            seen[ref] = True

        order = list(by_ref)
        for ref in order:
            if ref not in seen:
                visit(ref)


# --- variables -----------------------------------------------------------------------------------

_NAME_PATH = re.compile(r"[\w-]+(\.[\w-]+)*")
_PLACEHOLDER = re.compile(r"\[\[(.*?)\]\]")
_UNRENDERED = "dtmnb-undefined"   # stands in for a placeholder in error, so the tools can still be checked


class _Renderer:
    """Renders ``[[ name ]]`` / ``[[ a.b ]]`` like dtm v0.9 (text/template, missingkey=error), line by line."""

    def __init__(self, loader: _Loader, vars_node, where: str):
        self.loader, self.vars, self.where = loader, vars_node, where

    def render(self, src: _Text) -> _Text:
        """The rendered text; a placeholder that cannot be rendered is a problem and becomes _UNRENDERED."""
        missing: dict[str, list[int]] = {}
        out, lines, changed = [], [], set()
        for i, text in enumerate(src.text.split("\n")):
            line = src.line(i)
            if "[[" in text:
                if "[[" in _PLACEHOLDER.sub("", text):
                    self.loader.problem(src.path, line, "`[[` without a closing `]]` on the same line: a variable "
                                                        "is written `[[ name ]]`; for a nested YAML list put a "
                                                        "space between the brackets: `[ [1, 2] ]`")
                new = _PLACEHOLDER.sub(lambda m: self.value(m, src.path, line, missing), text)
                if new != text:
                    changed.add(line)
                text = new
            parts = text.split("\n")
            out += parts
            lines += [line] * len(parts)
        comments = {src.line(i) for i, t in enumerate(src.text.split("\n")) if t.lstrip().startswith("#")}
        for name, where in missing.items():
            also = f" (also used at line{'s' if len(where) > 2 else ''} {', '.join(map(str, where[1:]))})" \
                if len(where) > 1 else ""
            note = " (placeholders in comments are rendered too, as in dtm)" if where[0] in comments else ""
            self.loader.problem(src.path, where[0], f"variable [[ {name} ]] is not defined{also}; "
                                                    f"{self.fix(name)}{note}")
        return _Text(src.path, "\n".join(out), src.key, lines, frozenset(changed))

    def value(self, m, path: Path, line: int, missing: dict) -> str:
        inner = m.group(1).strip()
        problem = lambda msg: self.loader.problem(path, line, msg)  # noqa: E731
        if not _NAME_PATH.fullmatch(inner):
            if inner.startswith(".") and _NAME_PATH.fullmatch(inner[1:]):
                problem(f"write [[ {inner[1:]} ]], without the dot: dtm adds the dot itself, so "
                        f"[[ {inner} ]] is not a variable")
            else:
                problem(f"`{m.group(0)}` is not a variable: write [[ name ]] or [[ a.b ]] (letters, digits, "
                        f"'_' and '-'); for a nested YAML list put a space between the brackets: `[ [1, 2] ]`")
            return _UNRENDERED
        node = self.vars
        for n, seg in enumerate(inner.split(".")):
            if n and not isinstance(node, yaml.MappingNode):
                problem(f"variable {'.'.join(inner.split('.')[:n])} is not a map, so [[ {inner} ]] cannot be "
                        f"looked up")
                return _UNRENDERED
            node = _child(node, seg) if node is not None else None
            if node is None:
                missing.setdefault(inner, [])
                if line not in missing[inner]:
                    missing[inner].append(line)
                return _UNRENDERED
        if isinstance(node, yaml.ScalarNode):
            text = _go_scalar(node)
            if text is not None:
                return text
            problem(f"variable {inner} has no value; give it one (`{inner.split('.')[-1]}: \"\"` for an empty "
                    f"string)")
        else:
            kind = "list" if isinstance(node, yaml.SequenceNode) else "map"
            problem(f"variable {inner} is a {kind}; list and map values are not supported in [[ ]] (as in "
                    f"dtm): use a single value (text, number or true/false)")
        return _UNRENDERED

    def fix(self, name: str) -> str:
        segs, node, have = name.split("."), self.vars, 0
        while have < len(segs) - 1 and isinstance(node, yaml.MappingNode):
            child = _child(node, segs[have])
            if not isinstance(child, yaml.MappingNode):
                break
            node, have = child, have + 1
        rest = segs[have:]
        snippet = rest[-1] + ": ..."
        for seg in reversed(rest[:-1]):
            snippet = f"{seg}: {{{snippet}}}"
        under = f" under `{'.'.join(segs[:have])}`" if have else ""
        return f"add `{snippet}`{under} to {self.where}"


def _child(node, key: str):
    """The value node under ``key`` in a mapping node (following ``<<`` merges), or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    merged = []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and k.tag != "tag:yaml.org,2002:merge":
            return v
        if k.tag == "tag:yaml.org,2002:merge":
            merged += v.value if isinstance(v, yaml.SequenceNode) else [v]
    for m in merged:
        found = _child(m, key)
        if found is not None:
            return found
    return None


def _go_scalar(node) -> str | None:
    """A scalar variable as dtm printed it: yaml.v3's value of the scalar through Go's fmt (None: null).
    Dates are inserted as written (dtm printed Go's time.Time form, "2022-05-31 00:00:00 +0000 UTC")."""
    if node.style:                      # quoted or block scalar: a string
        return node.value
    from . import yamlv3

    _, value = yamlv3.resolve(node.value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        return yamlv3.format_float(value)   # Go's %v of a float64 is strconv's shortest 'g' form
    return node.value if isinstance(value, str) else str(value)


# --- YAML node helpers ----------------------------------------------------------------------------

def _key_index(node, key: str, default: int) -> int:
    """0-based text line of ``key`` in a mapping node, else ``default``."""
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k.start_mark.line
    return default


def _key_line(node, key: str) -> int | None:
    index = _key_index(node, key, -1)
    return index + 1 if index >= 0 else None


def _text(entry: dict, node, key: str) -> str | None:
    """A tool's name/instanceID as Go read it into a string field: the scalar's text; None if unset."""
    value = entry.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    child = _child(node, key)
    return child.value if isinstance(child, yaml.ScalarNode) else str(value)


def _check_duplicates(loader: _Loader, src: _Text, root) -> None:
    """A key written twice in one map: yaml.v3 (so dtm) rejects it; PyYAML would keep the last silently."""
    todo, seen = [root], set()
    while todo:
        node = todo.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    line = src.line(k.start_mark.line)
                    if k.value in first:
                        loader.problem(src.path, line, f"key `{k.value}` is written twice in the same map "
                                                       f"(also at line {first[k.value]}); keep one")
                    first.setdefault(k.value, line)
                todo.append(v)
        else:
            todo.extend(node.value)


def _did_you_mean(key, known) -> str:
    key = str(key)
    match = [k for k in known if k.lower() == key.lower()] or difflib.get_close_matches(key, known, 1, 0.75)
    return f" (did you mean `{match[0]}`?)" if match else ""


def _file_line(path: Path, line: int) -> str | None:
    try:
        return path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
