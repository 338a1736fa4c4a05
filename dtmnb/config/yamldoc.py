"""One YAML document read the way dtm's yaml.v3 decodes it into ``interface{}``, with line numbers kept.

The events come from libyaml's C parser when PyYAML was built with it (``yaml._yaml.CParser``), else from
PyYAML's pure-Python parser; both give the same events, so the result is the same either way. Values are
built straight from the events (no node tree, no second pass), following yaml.v3's rules: plain scalars
resolve as :func:`dtmnb.yamlv3.resolve` says (``yes`` stays text, ``0755`` is 493), quoted ones are text,
explicit tags are checked, anchors/aliases and ``<<`` merge keys work, duplicate keys are errors, and
excessive aliasing is refused like yaml.v3 refuses it.

Where each key and item was written is kept beside the values (:class:`Doc`), so that every problem
found later can name its line. Bounds: nesting deeper than ``max_depth`` and integer literals longer than
:data:`~dtmnb.limits.MAX_INT_DIGITS` are problems with a line, never a RecursionError or ValueError.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from ..limits import MAX_INT_DIGITS
from ..yamlv3 import resolve
from ..yamlv3.nodes import allowed_alias_ratio

STR, NULL, BOOL, INT, FLOAT, TIME, MERGE, BINARY = (
    "!!str", "!!null", "!!bool", "!!int", "!!float", "!!timestamp", "!!merge", "!!binary")
NOT_YAML = "not valid YAML"
NOT_V3 = "not valid YAML for dtm (yaml.v3)"
_LONG_INT = re.compile(r"[-+]?[0-9][0-9_]*")
_NO_KEY = object()     # a mapping frame waiting for its next key
_MERGE_KEY = object()  # the key just read is `<<`


class YamlProblems(Exception):
    """The document cannot be used: ``problems`` is a list of (line or None, column or None, message)."""

    def __init__(self, problems: list[tuple[int | None, int | None, str]]):
        self.problems = problems
        super().__init__("; ".join(p[2] for p in problems))


@dataclass
class _Info:
    """Where a map or list was written: its first line, the line of each key (by the key's text) or
    item, and the source text of scalar values that decoded to something other than their text."""

    line: int
    lines: Any                                   # dict key text -> line (maps), list of lines (lists)
    texts: dict = field(default_factory=dict)    # key text / item index -> source text


@dataclass
class Doc:
    """A decoded document: ``value`` and where its parts were written."""

    value: Any
    info: dict[int, _Info] = field(default_factory=dict)

    def line(self, container: Any) -> int | None:
        """First line of a map or list of this document."""
        info = self.info.get(id(container))
        return info.line if info else None

    def key_line(self, mapping: Any, key: Any, default: int | None = None) -> int | None:
        """Line of ``key`` in ``mapping`` (``default`` when unknown, e.g. for a merged-in key)."""
        info = self.info.get(id(mapping))
        if info is None or not isinstance(info.lines, dict):
            return default
        return info.lines.get(key if isinstance(key, str) else str(key), default)

    def item_line(self, seq: Any, index: int, default: int | None = None) -> int | None:
        info = self.info.get(id(seq))
        if info is None or not isinstance(info.lines, list) or index >= len(info.lines):
            return default
        return info.lines[index]

    def text(self, container: Any, key: Any) -> str | None:
        """The value at ``container[key]`` as Go reads it into a ``string`` field: a scalar's source text,
        None for null or a missing key. (Callers check for maps and lists first.)"""
        try:
            value = container[key]
        except (KeyError, IndexError, TypeError):
            return None
        info = self.info.get(id(container))
        if info is not None:
            ref = key if isinstance(container, list) else (key if isinstance(key, str) else str(key))
            if ref in info.texts:
                return info.texts[ref]
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)


def parser_name() -> str:
    """``"libyaml"`` when PyYAML's C parser is importable (and used), else ``"pure-python"``."""
    try:
        from yaml._yaml import CParser  # noqa: F401
    except ImportError:
        return "pure-python"
    return "libyaml"


def _parser(text: str) -> Any:
    try:
        from yaml._yaml import CParser
    except ImportError:   # PyYAML without libyaml: its pure-Python parser gives the same events
        import yaml

        return yaml.SafeLoader(text)
    return CParser(text)


def parse(text: str, max_depth: int) -> Doc:
    """The first YAML document of ``text`` (None for an empty one). Raises :class:`YamlProblems`.

    A syntax error found by libyaml is reported as PyYAML's pure-Python parser words and places it (the two
    word it differently, and libyaml's look-ahead may stop at its own nesting limit first), so that a message
    does not depend on how PyYAML was built."""
    import yaml

    parser = _parser(text)
    try:
        return _Builder(max_depth).run(parser.get_event)
    except yaml.MarkedYAMLError as exc:
        if not isinstance(parser, yaml.SafeLoader):
            _pure_problems(text, max_depth)
        raise _syntax_problem(exc) from None
    except yaml.YAMLError as exc:   # e.g. a ReaderError: report what it says, without a traceback
        raise YamlProblems([(None, None, f"{NOT_YAML}: {str(exc).strip() or type(exc).__name__}")]) from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose:
            dispose()


def _syntax_problem(exc: Any) -> YamlProblems:
    mark = exc.problem_mark or exc.context_mark
    what = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
    return YamlProblems([(mark.line + 1 if mark else None, mark.column + 1 if mark else None, f"{NOT_YAML}: {what}")])


def _pure_problems(text: str, max_depth: int) -> None:
    """Raise what reading ``text`` with the pure-Python parser finds wrong (a syntax error, or a bound that
    libyaml's look-ahead did not reach); return when it finds nothing."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        _Builder(max_depth).run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(exc) from None
    finally:
        loader.dispose()


def _short_tag(tag: str) -> str:
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


def _copy(value: Any) -> Any:
    """A fresh copy of a decoded value (yaml.v3 decodes an alias anew each time)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _height(value: Any) -> int:
    """Levels of maps and lists in ``value`` (0 for a scalar), without recursion."""
    best, todo = 0, [(value, 1)]
    while todo:
        v, depth = todo.pop()
        items = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        if items is not None:
            best = max(best, depth)
            todo.extend((x, depth + 1) for x in items)
    return best


class _Frame:
    """A map or list being built: the parent's state is saved here while a child is open."""

    __slots__ = ("container", "lines", "texts", "key", "ktext", "merges", "anchor", "start", "line")

    def __init__(self, container: Any, lines: Any, texts: dict | None, key: Any, ktext: str, merges: list | None,
                 anchor: str | None, start: int, line: int):
        self.container, self.lines, self.texts, self.key, self.ktext = container, lines, texts, key, ktext
        self.merges, self.anchor, self.start, self.line = merges, anchor, start, line


class _Builder:
    """Builds one document's value from parser events (see the module documentation).

    The loop keeps the open map or list in local variables (this is the hot path of loading a big config);
    each enclosing one waits in a _Frame on ``stack``.
    """

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.info: dict[int, _Info] = {}
        self.anchors: dict[str, tuple[Any, int] | None] = {}   # name -> (value, size); None while open
        self.heights: dict[str, int] = {}
        self.aliased = 0        # of which inside aliases (yaml.v3's aliasCount)
        self.duplicates: list[tuple[int | None, int | None, str]] = []

    def run(self, get: Any) -> Doc:  # noqa: C901 - one loop over event kinds, kept together for speed
        from yaml import events as ev

        get()                                           # StreamStart
        if isinstance(get(), ev.StreamEndEvent):        # else DocumentStart
            return Doc(None)
        scalar, alias = ev.ScalarEvent, ev.AliasEvent
        mapping, sequence = ev.MappingStartEvent, ev.SequenceStartEvent
        stack: list[_Frame] = []
        info, resolve_, limit = self.info, resolve, MAX_INT_DIGITS
        c: Any = None                                   # the open map or list (None: at the root)
        lines: Any = None                               # its key lines (dict) or item lines (list)
        texts: dict | None = None
        key: Any = _NO_KEY
        ktext = ""
        merges: list | None = None
        count = 0
        while True:
            e = get()
            cls = type(e)
            if cls is scalar:
                count += 1
                text = e.value
                line = e.start_mark.line + 1
                if e.tag is None and e.anchor is None:  # scalar()'s plain case inlined: the hot path of a load
                    if e.style:
                        value, source = text, None
                    elif text == "<<" and key is _NO_KEY and c.__class__ is dict:
                        value, source = _MERGE_KEY, None
                    else:
                        if len(text) > limit and _LONG_INT.fullmatch(text):
                            self.too_long(text, e)
                        rtag, value = resolve_(text)
                        source = None if rtag == STR else text
                else:
                    value, source = self.scalar(e, key is _NO_KEY and c.__class__ is dict)
            elif cls is mapping or cls is sequence:
                count += 1
                line = e.start_mark.line + 1
                if key is _NO_KEY and c.__class__ is dict:
                    raise YamlProblems([(line, e.start_mark.column + 1, "a map or list cannot be a key here")])
                if len(stack) >= self.max_depth:
                    raise YamlProblems([(line, e.start_mark.column + 1, f"nested too deeply: more than "
                                                                        f"{self.max_depth} levels of maps and lists")])
                if e.anchor is not None:
                    self.anchors[e.anchor] = None       # open: an alias to it inside is a cycle
                    self.heights.pop(e.anchor, None)
                stack.append(_Frame(c, lines, texts, key, ktext, merges, e.anchor, count, line))
                if cls is mapping:
                    c, lines = {}, {}
                else:
                    c, lines = [], []
                texts, key, ktext, merges = None, _NO_KEY, "", None
                continue
            elif cls is alias:
                line = e.start_mark.line + 1
                value, count = self.alias(e, len(stack), key is _NO_KEY and c.__class__ is dict, count)
                source, text = None, "*" + e.anchor
            else:                                       # MappingEnd / SequenceEnd
                f = stack.pop()
                if merges:
                    self.merge(c, lines, texts, merges)
                info[id(c)] = _Info(f.line, lines, texts or {})
                if f.anchor is not None:
                    self.anchors[f.anchor] = (c, count - f.start + 1)
                value, source, line, text = c, None, f.line, ""
                c, lines, texts, key, ktext, merges = f.container, f.lines, f.texts, f.key, f.ktext, f.merges
            # place the value in the open map or list
            if c is None:
                root = value
                break
            if c.__class__ is list:
                if source is not None:
                    if texts is None:
                        texts = {}
                    texts[len(c)] = source
                c.append(value)
                lines.append(line)
            elif key is _NO_KEY:                        # the value is a key
                if text in lines:
                    self.duplicates.append((line, None, f"key `{text}` is written twice in the same map (also at "
                                                        f"line {lines[text]}); keep one"))
                else:
                    lines[text] = line
                key, ktext = value, text
            else:
                if key is _MERGE_KEY:
                    if merges is None:
                        merges = []
                    merges.append((value, line))
                elif key not in c:
                    c[key] = value
                    if source is not None:
                        if texts is None:
                            texts = {}
                        texts[ktext] = source
                key = _NO_KEY
        get()                                           # DocumentEnd: its look-ahead may find an error
        if self.duplicates:
            raise YamlProblems(self.duplicates)
        return Doc(root, info)

    # --- the rarer kinds of node ----------------------------------------------------------------
    def scalar(self, e: Any, is_key: bool) -> tuple[Any, str | None]:
        """(value, source text if it differs) of a tagged or anchored scalar."""
        tag, text = e.tag, e.value
        if tag is None or tag == "!":
            if e.style:
                value, source = text, None
            elif text == "<<" and is_key:
                value, source = _MERGE_KEY, None
            else:
                if len(text) > MAX_INT_DIGITS and _LONG_INT.fullmatch(text):
                    self.too_long(text, e)
                rtag, value = resolve(text)
                source = None if rtag == STR else text
        else:
            value, source = self.tagged(_short_tag(tag), text, e, is_key)
        if e.anchor is not None and value is not _MERGE_KEY:
            self.anchors[e.anchor] = (value, 1)
            self.heights[e.anchor] = 0
        return value, source

    def tagged(self, tag: str, text: str, e: Any, is_key: bool) -> tuple[Any, str | None]:
        """(value, source text if it differs) of an explicitly tagged scalar."""
        line = e.start_mark.line + 1
        if tag == STR:
            return text, None
        if tag == MERGE:
            return (_MERGE_KEY if text == "<<" and is_key else text), None
        if tag == BINARY:
            try:
                raw = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
            except (ValueError, binascii.Error):
                raise YamlProblems([(line, None, f"{NOT_V3}: !!binary value contains invalid base64 data")]) from None
            try:
                return raw.decode("utf-8"), text
            except UnicodeDecodeError:
                return raw, text
        if tag not in (NULL, BOOL, INT, FLOAT, TIME):
            return text, None                           # an unknown or local tag: the text
        if len(text) > MAX_INT_DIGITS and _LONG_INT.fullmatch(text):
            self.too_long(text, e)
        rtag, value = resolve(text)
        if rtag == tag:
            return value, text
        if tag == FLOAT and rtag == INT:
            assert isinstance(value, int)
            return float(value), text
        raise YamlProblems([(line, None, f"{NOT_V3}: cannot decode {rtag} `{text}` as a {tag}")])

    @staticmethod
    def too_long(text: str, e: Any) -> None:
        raise YamlProblems([(e.start_mark.line + 1, e.start_mark.column + 1,
                             f"a number with {len(text)} digits is longer than dtmnb reads (at most "
                             f"{MAX_INT_DIGITS} digits); quote it if it is text")])

    def merge(self, d: dict, lines: dict, texts: dict | None, merges: list) -> None:
        """Apply ``<<`` merges: explicit keys win, then earlier merged maps over later ones."""
        for value, line in merges:
            sources = value if isinstance(value, list) else [value]
            if not isinstance(value, (list, dict)) or not all(isinstance(s, dict) for s in sources):
                raise YamlProblems([(line, None, f"{NOT_V3}: map merge requires map or sequence of maps as the "
                                                 f"value")])
            for src in sources:
                found = self.info.get(id(src))
                for k, v in src.items():
                    if k in d:
                        continue
                    d[k] = v
                    ktext = k if isinstance(k, str) else str(k)
                    lines.setdefault(ktext, found.lines.get(ktext, line) if found else line)
                    if found is not None and ktext in found.texts and texts is not None:
                        texts.setdefault(ktext, found.texts[ktext])

    def alias(self, e: Any, depth: int, is_key: bool, count: int) -> tuple[Any, int]:
        """(a fresh copy of the anchored value, the node count with it); checks depth and aliasing bounds."""
        name, line, column = e.anchor, e.start_mark.line + 1, e.start_mark.column + 1
        if name not in self.anchors:
            raise YamlProblems([(line, column, f"{NOT_V3}: unknown anchor '{name}' referenced")])
        found = self.anchors[name]
        if found is None:
            raise YamlProblems([(line, column, f"{NOT_V3}: anchor '{name}' value contains itself")])
        value, size = found
        if name not in self.heights:
            self.heights[name] = _height(value)
        if depth + self.heights[name] > self.max_depth:
            raise YamlProblems([(line, column, f"nested too deeply: more than {self.max_depth} levels of maps and "
                                               f"lists (through the alias *{name})")])
        self.aliased += size
        total = count + size
        if self.aliased > 100 and total > 1000 and self.aliased / total > allowed_alias_ratio(total):
            raise YamlProblems([(line, None, f"{NOT_V3}: document contains excessive aliasing")])
        if is_key and isinstance(value, (dict, list)):
            raise YamlProblems([(line, column, "a map or list cannot be a key here")])
        return _copy(value), total
