"""Schema checks at load time: each tool's options against its plugin's schema, and the ``state:`` section
against its backend's schema, every problem with the file and line of the option at fault."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import DtmnbError
from ..references import REFERENCE
from ..schema import OptionProblem, did_you_mean
from .checks import Entry
from .model import StateConfig
from .source import Problems, Source
from .yamldoc import Doc


def _references(options: Any, prefix: str = "") -> tuple[Any, set[str]]:
    """``options`` without the values that are exactly one outputs reference (their value is known after
    apply, so their type is not checked), and the dotted paths of those values."""
    if not isinstance(options, dict):
        return options, set()
    kept, found = {}, set()
    for key, value in options.items():
        path = f"{prefix}{key}"
        if isinstance(value, str) and "${{" in value and REFERENCE.fullmatch(value.strip()):
            found.add(path)
        elif isinstance(value, dict):
            kept[key], inner = _references(value, path + ".")
            found |= inner
        else:
            kept[key] = value
    return kept, found


def _line_of(doc: Doc, src: Source, container: Any, path: str, default: int) -> int:
    """File line of the option at dotted ``path`` under ``container`` (else of its nearest parent)."""
    line = default
    for seg in path.split("."):
        if not isinstance(container, dict):
            break
        found = doc.key_line(container, seg)
        if found is None:
            break
        line = src.line(found)
        container = container.get(seg)
    return line


class PluginOptions:
    """Checks tools against their plugins' schemas; each plugin is looked up once per load."""

    def __init__(self, problems: Problems):
        self.problems = problems
        self.classes: dict[str, Any] = {}

    def plugin(self, entry: Entry) -> Any:
        """The tool's plugin class; None (after a problem) when there is none."""
        name = entry.tool.name
        if name in self.classes:
            return self.classes[name]
        from .. import plugins

        cls = None
        line = _line_of(entry.doc, entry.src, entry.entry, "name", entry.tool.line or 1)
        if not plugins.is_registered(name):
            known = plugins.plugin_names()
            self.problems.add(entry.src.path, line, f"unknown plugin `{name}`{did_you_mean(name, known)}; the "
                              f"plugins are: {', '.join(known)} (a third-party plugin registers itself in the "
                              f"'dtmnb.plugins' entry-point group)")
        else:
            try:
                cls = plugins.get_plugin_class(name)
            except DtmnbError as exc:
                self.problems.add(entry.src.path, line, str(exc))
            except Exception as exc:
                self.problems.add(entry.src.path, line, f"plugin `{name}` cannot be loaded: "
                                                        f"{type(exc).__name__}: {exc}")
        self.classes[name] = cls
        return cls

    def check(self, entry: Entry) -> None:
        cls = self.plugin(entry)
        schema = getattr(cls, "schema", None)
        if cls is None or schema is None:       # no plugin (reported), or a plugin that declares no schema
            return
        options = entry.tool.options
        checked, refs = _references(options)
        found = [p for p in schema.check(checked) if p.path not in refs]
        if not found:
            try:
                found = list(cls.check_options(options))
            except Exception as exc:
                found = [OptionProblem("", f"the plugin's option check failed: {type(exc).__name__}: {exc}")]
        self.report(entry, found)

    def report(self, entry: Entry, found: list[OptionProblem]) -> None:
        if not found:
            return
        tool = entry.tool
        options = entry.entry.get("options")
        options_line = _line_of(entry.doc, entry.src, entry.entry, "options", tool.line or 1)
        for p in found:
            line = _line_of(entry.doc, entry.src, options, p.path, options_line) if p.path else options_line
            fix = f"; add `{p.path.split('.')[-1]}: ...` under `options:`" if p.message.startswith("missing") else ""
            self.problems.add(entry.src.path, line, f"tool {tool.ref}: {p.message}{fix}")


def check_tools(entries: list[Entry], problems: Problems) -> None:
    """Every tool's options against its plugin's schema and rules (unknown plugins reported once each)."""
    checker = PluginOptions(problems)
    for entry in entries:
        checker.check(entry)


def _backend_choices(names: list[str]) -> str:
    return " or ".join(f"`backend: {n}`" for n in names)


def read_state(core: dict, doc: Doc, src: Source, base: Path, problems: Problems) -> StateConfig | None:
    """The ``state:`` section checked against its backend's schema, or None after recording problems."""
    from ..backends import backend_names, get_backend_class, is_registered

    state = core.get("state")
    line = src.line(doc.key_line(core, "state") or 1)
    if not isinstance(state, dict):
        problems.add(src.path, line, ("`state:` is empty" if state is None else "`state:` must be a map")
                     + "; give it `backend: local` (or s3) and `options:`")
        return None
    backend, options = state.get("backend"), state.get("options")
    bline = src.line(doc.key_line(state, "backend") or 0) or line
    oline = src.line(doc.key_line(state, "options") or 0) or bline
    if not isinstance(options if options is not None else {}, dict):
        problems.add(src.path, oline, "`state.options` must be a map")
    options = dict(options) if isinstance(options, dict) else {}
    if backend in (None, "") or isinstance(backend, (dict, list)):
        problems.add(src.path, bline, f"state backend is missing: use {_backend_choices(backend_names())}")
        return None
    text = doc.text(state, "backend") or ""
    if not is_registered(text.lower()):
        names = backend_names()
        use = _backend_choices(names)
        problems.add(src.path, bline, f"state backend `{text}` is not supported"
                                      f"{did_you_mean(text.lower(), names)}: use {use}")
        return None
    try:
        cls = get_backend_class(text.lower(), str(src.path))
        found = list(cls.check_options(options))
    except DtmnbError as exc:
        problems.add(src.path, bline, str(exc))
        return None
    for p in found:
        at = _line_of(doc, src, state.get("options"), p.path, oline) if p.path else oline
        problems.add(src.path, at, f"state.options: {p.message}")
    if found:
        return None
    for o in cls.schema:    # textual defaults written in, as dtm wrote in the local backend's stateFile
        if o.type == "string" and o.default is not None and options.get(o.name) in (None, ""):
            options[o.name] = o.default
    return StateConfig(text.lower(), options, base, str(src.path))
