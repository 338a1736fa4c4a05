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
    """The first YAML document of ``text`` (None for an empty one). Raises :class:`YamlProblems`."""
    import yaml

    parser = _parser(text)
    try:
        return _Builder(max_depth).run(parser.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise YamlProblems([(mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                             f"{NOT_YAML}: {what}")]) from None
    except yaml.YAMLError as exc:   # e.g. a ReaderError: report what it says, without a traceback
        raise YamlProblems([(None, None, f"{NOT_YAML}: {str(exc).strip() or type(exc).__name__}")]) from None
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose:
            dispose()


def _short_tag(tag: str) -> str:
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


def _allowed_alias_ratio(decodes: int) -> float:
    """yaml.v3's limit on the share of decoding done inside aliases (0.99 small, 0.10 from 4M nodes)."""
    if decodes <= 400_000:
        return 0.99
    if decodes >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decodes - 400_000) / 3_600_000


def _copy(value: Any) -> Any:
    """A fresh copy of a decoded value (yaml.v3 decodes an alias anew each time)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class _Frame:
    """A map or list being built."""

    __slots__ = ("container", "lines", "texts", "key", "ktext", "merges", "anchor", "start", "height", "line",
                 "typed_keys")

    def __init__(self, container: Any, line: int, anchor: str | None, start: int):
        self.container = container
        self.lines: Any = {} if isinstance(container, dict) else []
        self.texts: dict = {}
        self.key: Any = _NO_KEY
        self.ktext: str = ""
        self.merges: list = []
        self.anchor = anchor
        self.start = start
        self.height = 1
        self.line = line


class _Builder:
    """Builds one document's value from parser events (see the module documentation)."""

    def __init__(self, max_depth: int):
        self.max_depth = max_depth
        self.frames: list[_Frame] = []
        self.info: dict[int, _Info] = {}
        self.anchors: dict[str, tuple[Any, int, int] | None] = {}   # name -> (value, size, height); None: open
        self.count = 0          # nodes decoded, aliases counted with their size (yaml.v3's decodeCount)
        self.aliased = 0        # of which inside aliases (yaml.v3's aliasCount)
        self.duplicates: list[tuple[int | None, int | None, str]] = []
        self.root: Any = _NO_KEY

    def run(self, get: Any) -> Doc:
        from yaml import events as ev

        get()                                           # StreamStart
        if isinstance(get(), ev.StreamEndEvent):        # else DocumentStart
            return Doc(None)
        scalar, alias = ev.ScalarEvent, ev.AliasEvent
        mapping, sequence = ev.MappingStartEvent, ev.SequenceStartEvent
        while self.root is _NO_KEY:
            e = get()
            cls = type(e)
            if cls is scalar:
                self.scalar(e)
            elif cls is mapping or cls is sequence:
                self.push({} if cls is mapping else [], e)
            elif cls is alias:
                self.alias(e)
            else:                                       # MappingEnd / SequenceEnd
                self.pop()
        get()                                           # DocumentEnd: its look-ahead may find an error
        if self.duplicates:
            raise YamlProblems(self.duplicates)
        return Doc(self.root, self.info)

    # --- scalars ------------------------------------------------------------------------------
    def scalar(self, e: Any) -> None:
        line = e.start_mark.line + 1
        self.count += 1
        tag, text = e.tag, e.value
        if tag is None or tag == "!":
            if e.style:                                 # quoted or block: text
                value, is_str, source = text, True, None
            elif text == "<<" and self.expects_key():
                self.key(_MERGE_KEY, "<<", line)
                return
            else:
                if len(text) > MAX_INT_DIGITS and _LONG_INT.fullmatch(text):
                    self.too_long(text, e)
                rtag, value = resolve(text)
                is_str = rtag == STR
                source = None if is_str else text
        else:
            value, is_str, source = self.tagged(_short_tag(tag), text, e, line)
            if value is _MERGE_KEY:
                self.key(_MERGE_KEY, "<<", line)
                return
        if e.anchor is not None:
            self.anchors[e.anchor] = (value, 1, 0)
        self.add(value, line, source, is_str, 0)

    def tagged(self, tag: str, text: str, e: Any, line: int) -> tuple[Any, bool, str | None]:
        """(value, counts as a string key, source text if it differs) of an explicitly tagged scalar."""
        if tag == STR:
            return text, True, None
        if tag == MERGE:
            return (_MERGE_KEY if text == "<<" and self.expects_key() else text), True, None
        if tag == BINARY:
            try:
                raw = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
            except (ValueError, binascii.Error):
                raise YamlProblems([(line, None, f"{NOT_V3}: !!binary value contains invalid base64 data")]) from None
            try:
                return raw.decode("utf-8"), False, text
            except UnicodeDecodeError:
                return raw, False, text
        if tag not in (NULL, BOOL, INT, FLOAT, TIME):
            return text, False, None                   # an unknown or local tag: the text
        if len(text) > MAX_INT_DIGITS and _LONG_INT.fullmatch(text):
            self.too_long(text, e)
        rtag, value = resolve(text)
        if rtag == tag:
            return value, False, text
        if tag == FLOAT and rtag == INT:
            return float(value), False, text
        raise YamlProblems([(line, None, f"{NOT_V3}: cannot decode {rtag} `{text}` as a {tag}")])

    @staticmethod
    def too_long(text: str, e: Any) -> None:
        raise YamlProblems([(e.start_mark.line + 1, e.start_mark.column + 1,
                             f"a number with {len(text)} digits is longer than dtmnb reads (at most "
                             f"{MAX_INT_DIGITS} digits); quote it if it is text")])

    # --- collections ----------------------------------------------------------------------------
    def expects_key(self) -> bool:
        return bool(self.frames) and self.frames[-1].key is _NO_KEY and isinstance(self.frames[-1].container, dict)

    def push(self, container: Any, e: Any) -> None:
        line = e.start_mark.line + 1
        if self.expects_key():
            raise YamlProblems([(line, e.start_mark.column + 1, "a map or list cannot be a key here")])
        if len(self.frames) >= self.max_depth:
            raise YamlProblems([(line, e.start_mark.column + 1,
                                 f"nested too deeply: more than {self.max_depth} levels of maps and lists")])
        self.count += 1
        if e.anchor is not None:
            self.anchors[e.anchor] = None               # open: an alias to it inside is a cycle
        self.frames.append(_Frame(container, line, e.anchor, self.count))

    def pop(self) -> None:
        f = self.frames.pop()
        if f.merges:
            self.merge(f)
        self.info[id(f.container)] = _Info(f.line, f.lines, f.texts)
        if f.anchor is not None:
            self.anchors[f.anchor] = (f.container, self.count - f.start + 1, f.height)
        self.add(f.container, f.line, None, False, f.height)

    def merge(self, f: _Frame) -> None:
        """Apply ``<<`` merges: explicit keys win, then earlier merged maps over later ones."""
        d = f.container
        for value, line in f.merges:
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(s, dict) for s in sources) or not isinstance(value, (list, dict)):
                raise YamlProblems([(line, None, f"{NOT_V3}: map merge requires map or sequence of maps as the value")])
            for src in sources:
                info = self.info.get(id(src))
                for k, v in src.items():
                    if k not in d:
                        d[k] = v
                        if info is not None and isinstance(info.lines, dict):
                            ktext = k if isinstance(k, str) else str(k)
                            f.lines.setdefault(ktext, info.lines.get(ktext, line))
                            if ktext in info.texts:
                                f.texts.setdefault(ktext, info.texts[ktext])

    def alias(self, e: Any) -> None:
        name, line = e.anchor, e.start_mark.line + 1
        if name not in self.anchors:
            raise YamlProblems([(line, e.start_mark.column + 1, f"{NOT_V3}: unknown anchor '{name}' referenced")])
        found = self.anchors[name]
        if found is None:
            raise YamlProblems([(line, e.start_mark.column + 1, f"{NOT_V3}: anchor '{name}' value contains itself")])
        value, size, height = found
        if len(self.frames) + height > self.max_depth:
            raise YamlProblems([(line, e.start_mark.column + 1,
                                 f"nested too deeply: more than {self.max_depth} levels of maps and lists "
                                 f"(through the alias *{name})")])
        self.count += size
        self.aliased += size
        if self.aliased > 100 and self.count > 1000 and self.aliased / self.count > _allowed_alias_ratio(self.count):
            raise YamlProblems([(line, None, f"{NOT_V3}: document contains excessive aliasing")])
        if self.expects_key():
            if isinstance(value, (dict, list)):
                raise YamlProblems([(line, e.start_mark.column + 1, "a map or list cannot be a key here")])
            self.key(value, "*" + name, line)
            return
        self.add(_copy(value), line, None, isinstance(value, str), height)

    # --- placing a value ------------------------------------------------------------------------
    def key(self, key: Any, ktext: str, line: int) -> None:
        f = self.frames[-1]
        if ktext in f.lines:
            self.duplicates.append((line, None, f"key `{ktext}` is written twice in the same map (also at line "
                                                f"{f.lines[ktext]}); keep one"))
        else:
            f.lines[ktext] = line
        f.key, f.ktext = key, ktext

    def add(self, value: Any, line: int, source: str | None, is_str: bool, height: int) -> None:
        if not self.frames:
            self.root = value
            return
        f = self.frames[-1]
        if height >= f.height:
            f.height = height + 1
        c = f.container
        if c.__class__ is list:
            if source is not None:
                f.texts[len(c)] = source
            c.append(value)
            f.lines.append(line)
            return
        key = f.key
        if key is _NO_KEY:                               # this scalar is a key
            self.key(value, value if is_str else source if source is not None else str(value), line)
            return
        f.key = _NO_KEY
        if key is _MERGE_KEY:
            f.merges.append((value, line))
        elif key not in c:
            c[key] = value
            if source is not None:
                f.texts[f.ktext] = source
