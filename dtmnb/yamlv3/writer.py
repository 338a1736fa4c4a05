"""A direct writer for the block YAML yaml.v3's Encoder writes with ``SetIndent(2)`` (docs/state-format.md §2).

It covers the shapes a state holds: maps (dicts, or :class:`Fields` in their own order), lists, strings,
numbers, booleans, null, times and bytes. Rendered strings are cached per writer, so the strings a state
repeats (keys, owners, empty values) are analysed once per document.
"""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from .order import sorted_keys
from .scalars import binary, format_float, go_time
from .styles import DOUBLE, LITERAL, PLAIN, SINGLE, double_quoted, literal, plain_at_a_glance, single_quoted, style
from .values import Fields, Timestamp

_INT_RANGE = range(-(1 << 63), 1 << 64)  # Go's int64 and uint64 together


def _fixed(s: str, key: bool) -> tuple[str, bool] | None:
    """(text, simple key) of a string whose text does not depend on the indent; None when it does."""
    if plain_at_a_glance(s):
        return s, not key or len(s) <= 128
    chosen, simple = style(s, key)
    if chosen == PLAIN:
        return s, simple
    if chosen == DOUBLE:
        return double_quoted(s), simple
    if chosen == SINGLE and "\u2028" not in s and "\u2029" not in s:
        return single_quoted(s, 0), simple
    return None


class Writer:
    """Writes values as yaml.v3's emitter does with indent 2. One writer may serve several documents.

    With ``max_indent``, a collection whose items would sit deeper than that refuses to be written
    (ValueError): each level of nesting indents by 2.
    """

    def __init__(self, max_indent: int | None = None) -> None:
        self.out: list[str] = []
        self.max_indent = max_indent                # deepest indent a collection's items may have
        self.natural: dict[str, str | None] = {}   # sort keys, shared with order.sorted_keys
        self._values: dict[str, str | None] = {}   # string -> " text\n" (None: its text depends on the indent)
        self._keys: dict[str, str | None] = {}     # string -> "text:" for a simple key (None: a complex key)
        # (keys of a map, indent) -> [(key, "<pad>text:" or None)] in yaml.v3's order: maps of one shape
        # (every tool's options, say) are sorted and their keys rendered once
        self._layouts: dict[tuple[tuple[Any, ...], int], list[tuple[Any, str | None]]] = {}

    # -- scalars ---------------------------------------------------------------------------------
    def _value_text(self, s: str) -> str | None:
        if s in self._values:
            return self._values[s]
        fixed = _fixed(s, False)
        got = self._values[s] = None if fixed is None else " " + fixed[0] + "\n"
        return got

    def key_text(self, s: str) -> str | None:
        """``text:`` for a string written as a simple key; None when it needs the complex-key form."""
        if s in self._keys:
            return self._keys[s]
        fixed = _fixed(s, True)
        got = self._keys[s] = fixed[0] + ":" if fixed is not None and fixed[1] else None
        return got

    def scalar(self, v: Any, indent: int, key: bool = False) -> tuple[str, bool, bool]:
        """(text, may be a simple key, is a block) for a scalar; a block ends with its last break."""
        if isinstance(v, str):
            return self._string(v, indent, key)
        if v is None:
            return "null", True, False
        if v is True or v is False:
            return ("true" if v else "false"), True, False
        if isinstance(v, int):
            if v not in _INT_RANGE:
                raise ValueError(f"yaml.v3 writer: the integer {v:.6g} is outside Go's int64/uint64 range")
            return str(int(v)), True, False
        if isinstance(v, float):
            return format_float(v), True, False
        if isinstance(v, (_dt.datetime, _dt.date)):
            return go_time(v), True, False
        if isinstance(v, (bytes, bytearray)):
            return self._bytes(bytes(v), indent, key)
        raise TypeError(f"yaml.v3 writer: cannot write a value of type {type(v).__name__}")

    def _string(self, v: str, indent: int, key: bool) -> tuple[str, bool, bool]:
        if isinstance(v, Timestamp):
            return str(v), True, False
        v = str.__str__(v)  # the text of a str subclass (an enum's value, not its name)
        fixed = _fixed(v, key)
        if fixed is not None:
            return fixed[0], fixed[1], False
        chosen, simple = style(v, key)
        if chosen == SINGLE:  # with a line/paragraph separator inside: the indent matters
            return single_quoted(v, indent), simple, False
        assert chosen == LITERAL
        return literal(v, indent), False, True

    def _bytes(self, b: bytes, indent: int, key: bool) -> tuple[str, bool, bool]:
        """UTF-8 bytes as their text, others as ``!!binary`` base64 (yaml.v3's []byte)."""
        try:
            return self._string(b.decode("utf-8"), indent, key)
        except UnicodeDecodeError:
            enc = binary(b)
            if "\n" in enc:
                return "!!binary " + literal(enc, indent), False, True
            return "!!binary " + enc, True, False

    # -- collections -------------------------------------------------------------------------------
    def value(self, v: Any, indent: int, after_key: bool) -> None:
        """Write ``v`` after ``key:`` (after_key) or after ``- ``/``? ``/``: `` (collections inline)."""
        out = self.out
        if type(v) is str:
            text = self._values.get(v) or self._value_text(v)
            if text is not None:
                out.append(text if after_key else text[1:])
                return
        elif isinstance(v, (dict, list, tuple)):
            if not v:
                out.append((" " if after_key else "") + ("[]\n" if type(v) in (list, tuple) else "{}\n"))
                return
            if self.max_indent is not None and indent + 2 > self.max_indent:
                raise ValueError("yaml.v3 writer: the value is nested too deeply")
            if after_key:
                out.append("\n")
            if isinstance(v, Fields):
                self.fields(v, indent + 2, not after_key)
            elif isinstance(v, dict):
                self.mapping(v, indent + 2, not after_key)
            else:
                self.sequence(v, indent + 2, not after_key)
            return
        text, _, block = self.scalar(v, indent + 2)
        out.append((" " if after_key else "") + (text if block else text + "\n"))

    def _layout(self, keys: tuple[Any, ...], indent: int) -> list[tuple[Any, str | None]]:
        pad = " " * indent
        layout: list[tuple[Any, str | None]] = []
        for k in sorted_keys(keys, self.natural):
            head = self.key_text(k) if type(k) is str else None
            layout.append((k, None if head is None else pad + head))
        return layout

    def mapping(self, d: dict[Any, Any], indent: int, inline: bool) -> None:
        """A non-empty dict in yaml.v3's key order, at ``indent`` (the first key inline after ``- ``)."""
        keys = tuple(d)
        if len(keys) == 1:
            layout = self._layout(keys, indent)
        else:
            layout = self._layouts.get((keys, indent))  # type: ignore[assignment]
            if layout is None:
                layout = self._layouts[(keys, indent)] = self._layout(keys, indent)
        out, values = self.out, self._values
        first = inline
        for k, line in layout:
            v = d[k]
            if line is None:  # not a string, or a complex key
                if isinstance(k, float) and math.isnan(k):
                    v = None  # Go's MapIndex finds nothing under a NaN key
                self.pair(k, v, indent, "" if first else " " * indent)
            else:
                head = line[indent:] if first else line
                if type(v) is str:  # the common case, without a call per value
                    text = values.get(v) or self._value_text(v)
                    if text is not None:
                        out.append(head + text)
                        first = False
                        continue
                out.append(head)
                self.value(v, indent, True)
            first = False

    def fields(self, items: Fields | list[tuple[Any, Any]], indent: int, inline: bool) -> None:
        """(name, value) pairs in their own order, like a Go struct's fields."""
        pad = " " * indent
        for n, (k, v) in enumerate(items):
            lead = "" if n == 0 and inline else pad
            head = self.key_text(k) if type(k) is str else None
            if head is None:
                self.pair(k, v, indent, lead)
            else:
                self.out.append(lead + head)
                self.value(v, indent, True)

    def pair(self, k: Any, v: Any, indent: int, lead: str) -> None:
        """``key: value``, or the complex-key form ``? key`` / ``: value`` (§2.5)."""
        if type(k) is not str and isinstance(k, (dict, list, tuple)):
            raise TypeError(f"yaml.v3 writer: a map key must be a scalar, not {type(k).__name__}")
        text, simple, block = self.scalar(k, indent + 2, key=True)
        if simple:
            self.out.append(lead + text + ":")
            self.value(v, indent, True)
        else:
            self.out.append(lead + "? " + (text if block else text + "\n") + " " * indent + ": ")
            self.value(v, indent, False)

    def sequence(self, items: list[Any] | tuple[Any, ...], indent: int, inline: bool) -> None:
        out, pad = self.out, " " * indent
        for n, item in enumerate(items):
            out.append("- " if n == 0 and inline else pad + "- ")
            self.value(item, indent, after_key=False)

    def document(self, value: dict[Any, Any] | Fields) -> str:
        """The text of one document (a non-empty map at the top level)."""
        self.out = []
        if isinstance(value, Fields):
            self.fields(value, 0, False)
        else:
            self.mapping(value, 0, False)
        text = "".join(self.out)
        self.out = []
        return text


def dump(value: dict[Any, Any] | Fields, writer: Writer | None = None) -> str:
    """The text yaml.v3's Encoder (indent 2) writes for a dict or :class:`Fields` (``{}`` when empty).

    Several related documents can share one ``writer = yamlv3.writer()`` so that its string caches
    carry over from one call to the next.
    """
    if not isinstance(value, (dict, Fields)):
        raise TypeError("yaml.v3 writer: the top level must be a dict or Fields")
    if not value:
        return "{}\n"
    return (writer or Writer()).document(value)


def writer(max_indent: int | None = None) -> Writer:
    """A writer whose caches several :func:`dump` calls can share (``max_indent``: see :class:`Writer`)."""
    return Writer(max_indent)
