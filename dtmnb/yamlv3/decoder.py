"""Nodes to Python values, the way yaml.v3 decodes into each Go target type (docs/state-format.md §3.2)."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from ..limits import MAX_INT_DIGITS
from .nodes import Alias, Mapping, Node, Scalar, Sequence
from .scalars import NULLS, is_long_int, resolve
from .values import BINARY, BOOL, FLOAT, INT, MERGE, NULL, STR, TIME, YAMLv3Error

DROP = object()  # a key function's answer for "leave this entry out" (a null key in a typed map)
KeyOf = Callable[[Node], Any]


def _quote(text: str) -> str:
    """Go's %#v for a string, close enough for messages."""
    return json.dumps(text, ensure_ascii=False)


def node_tag(n: Node) -> str:
    """yaml.v3 ``Node.ShortTag``: the tag a node counts as (aliases count as their target)."""
    while type(n) is Alias:
        n = n.target
    if type(n) is Mapping:
        return n.tag or "!!map"
    if type(n) is Sequence:
        return n.tag or "!!seq"
    assert type(n) is Scalar
    if n.tag:
        return n.tag
    return resolve(n.text)[0] if n.plain else STR


def _collect_text_keys(kids: list[Node], out: list[tuple[Any, Node]]) -> None:
    """Decoder.pairs' common case, made quick: untagged scalar keys of a string-keyed map, no merge."""
    lines: dict[str, int] = {}
    for i in range(0, len(kids), 2):
        k = kids[i]
        text = k.text  # type: ignore[union-attr]
        if text in lines:
            raise YAMLv3Error(f"mapping key {_quote(text)} already defined at line {lines[text]}", k.line)
        lines[text] = k.line
        if not (k.plain and text in NULLS):  # type: ignore[union-attr]
            out.append((text, kids[i + 1]))


def _merge_sources(merge: Node) -> list[Node]:
    """The maps a merge key's value ``<<: *a`` or ``<<: [*a, *b]`` merges in, in order."""
    target = merge.target if type(merge) is Alias else merge
    if type(target) is Mapping:
        return [merge]
    if type(merge) is Sequence and all(type(s.target if type(s) is Alias else s) is Mapping for s in merge.items):
        return merge.items
    raise YAMLv3Error("map merge requires map or sequence of maps as the value", merge.line)


class Decoder:
    """Decodes nodes as yaml.v3 decodes into Go types; methods are named after the Go target type.

    Errors raise :class:`YAMLv3Error` with yaml.v3's wording (``cannot unmarshal !!seq into string``).
    Aliases are followed (:func:`load` has already refused an excessive expansion). Two bounds of
    dtmnb's own, off by default: ``max_depth`` (maps and lists nested in one decoded value) and
    ``refuse_long_ints`` (a plain integer literal over MAX_INT_DIGITS digits, which yaml.v3 reads as text).
    """

    def __init__(self, max_depth: int | None = None, refuse_long_ints: bool = False):
        self._open: set[int] = set()  # collections being decoded (an alias to one is a cycle)
        self.max_depth = max_depth
        self.refuse_long_ints = refuse_long_ints
        self._depth = 0

    # -- helpers ---------------------------------------------------------------------------------
    def deref(self, n: Node) -> Node:
        """Follow an alias to its node (an alias to a collection being decoded is a cycle)."""
        while type(n) is Alias:
            if id(n.target) in self._open:
                raise YAMLv3Error(f"anchor '{n.name}' value contains itself", n.line)
            n = n.target
        return n

    @staticmethod
    def type_error(n: Node, target: str) -> YAMLv3Error:
        if type(n) is Scalar:
            text = n.text if len(n.text) <= 10 else n.text[:7] + "..."
            return YAMLv3Error(f"cannot unmarshal {node_tag(n)} `{text}` into {target}", n.line)
        return YAMLv3Error(f"cannot unmarshal {node_tag(n)} into {target}", n.line)

    def _enter(self, n: Mapping | Sequence) -> None:
        if self.max_depth is not None and self._depth >= self.max_depth:
            raise YAMLv3Error(f"maps and lists nested more than {self.max_depth} levels deep", n.line)
        self._depth += 1
        self._open.add(id(n))

    def _leave(self, n: Mapping | Sequence) -> None:
        self._depth -= 1
        self._open.discard(id(n))

    def _plain(self, n: Scalar) -> Any:
        """interface{} value of an untagged plain scalar."""
        tag, value = resolve(n.text)
        if self.refuse_long_ints and tag == STR and is_long_int(n.text):
            raise YAMLv3Error(
                f"the number {n.text[:12]}... has {sum(c.isdigit() for c in n.text)} digits; dtmnb reads "
                f"numbers of at most {MAX_INT_DIGITS} digits (quote it to keep it as text)", n.line)
        return value

    @staticmethod
    def _tagged(n: Scalar) -> Any:
        """The value of a scalar with an explicit tag (yaml.v3 checks the text fits the tag)."""
        tag, text = n.tag, n.text
        if tag == STR:
            return text
        if tag == BINARY:
            try:
                raw = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
            except ValueError:
                raise YAMLv3Error("!!binary value contains invalid base64 data", n.line) from None
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw
        if tag not in (NULL, BOOL, INT, FLOAT, TIME):
            return text  # an unknown or local tag: the text
        rtag, value = resolve(text)
        if rtag == tag:
            return value
        if tag == FLOAT and rtag == INT:
            return float(value)  # type: ignore[arg-type]
        raise YAMLv3Error(f"cannot decode {rtag} `{text}` as a {tag}", n.line)

    def scalar_value(self, n: Scalar) -> Any:
        """interface{} value of a scalar node."""
        if n.tag is None:
            return self._plain(n) if n.plain else n.text
        return n.text if n.tag == MERGE else self._tagged(n)

    def pairs(self, n: Node, key_of: KeyOf) -> list[tuple[Any, Node]]:
        """[(key, value node)] of a mapping: duplicate keys refused, merge keys expanded, explicit keys
        before merged ones and earlier merged maps before later ones (the first one seen wins).
        ``key_of(key node)`` gives the decoded key, or DROP to leave the entry out."""
        n = self.deref(n)
        assert type(n) is Mapping
        out: list[tuple[Any, Node]] = []
        self._collect(n, key_of, {}, out, True)
        return out

    def _collect(self, n: Mapping, key_of: KeyOf, seen: dict[Any, bool], out: list[tuple[Any, Node]],
                 top: bool = False) -> None:
        kids = n.items
        keys = kids[::2]
        if top and key_of == self.string_key and all(type(k) is Scalar and k.tag is None for k in keys):
            _collect_text_keys(kids, out)
            return
        ident: dict[tuple[type, str], int] = {}
        merge = None
        for i, k in enumerate(keys):
            name = k.text if type(k) is Scalar else k.name if type(k) is Alias else ""
            kid = (type(k), name)
            if kid in ident:
                raise YAMLv3Error(f"mapping key {_quote(name)} already defined at line {ident[kid]}", k.line)
            ident[kid] = k.line
            if type(k) is Scalar and k.tag == MERGE and k.text == "<<":
                merge = kids[2 * i + 1]
                continue
            key = key_of(k)
            if key is DROP or key in seen:
                continue
            seen[key] = True
            out.append((key, kids[2 * i + 1]))
        if merge is None:
            return
        self._open.add(id(n))
        try:
            for s in _merge_sources(merge):
                self._collect(self.deref(s), key_of, seen, out)  # type: ignore[arg-type]
        finally:
            self._open.discard(id(n))

    # -- Go target types ---------------------------------------------------------------------------
    def string(self, n: Node, target: str = "string") -> Any:
        """A Go string: the scalar's source text; None for a null (a zero string / dropped item)."""
        n = self.deref(n)
        if type(n) is not Scalar:
            raise self.type_error(n, target)
        tag = n.tag
        if tag is None or tag == MERGE:
            if n.plain and n.text in NULLS:
                return None
            return n.text
        value = self._tagged(n)
        if value is None:
            return None
        return value if tag == BINARY else n.text

    def string_key(self, k: Node) -> Any:
        """Key function for Go maps with string keys: a null key drops the entry."""
        s = self.string(k)
        return DROP if s is None else s

    def string_list(self, n: Node, target: str = "[]string") -> list[Any]:
        """A Go []string: null gives [], null items are dropped."""
        n = self.deref(n)
        if type(n) is Scalar and self.string(n) is None:
            return []
        if type(n) is not Sequence:
            raise self.type_error(n, target)
        self._enter(n)
        try:
            return [s for s in map(self.string, n.items) if s is not None]
        finally:
            self._leave(n)

    def is_null(self, n: Node) -> bool:
        """Whether a node decodes to nil (yaml.v3 then leaves a Go target at its zero value)."""
        n = self.deref(n)
        return type(n) is Scalar and (n.tag is None or n.tag == NULL) and self.scalar_value(n) is None

    def string_map(self, n: Node, target: str = "map[string]interface {}") -> dict[str, Any]:
        """A Go map[string]interface{}: keys are source text (a null key drops the entry)."""
        n = self.deref(n)
        if type(n) is not Mapping:
            if self.is_null(n):
                return {}
            raise self.type_error(n, target)
        self._enter(n)
        try:
            interface = self.interface
            return {k: interface(v) for k, v in self.pairs(n, self.string_key)}
        finally:
            self._leave(n)

    def _any_key(self, k: Node) -> Any:
        k = self.deref(k)
        if type(k) is not Scalar:
            raise YAMLv3Error("invalid map key: a map or list cannot be a key here", k.line)
        return self.scalar_value(k)

    def interface(self, n: Node) -> Any:
        """A Go interface{}: resolved scalars, []interface{}, map[string]interface{} when every key
        is tagged !!str (or is a merge), otherwise map[interface{}]interface{} with typed keys."""
        if type(n) is Scalar:
            return self.scalar_value(n)
        n = self.deref(n)
        if type(n) is Scalar:
            return self.scalar_value(n)
        assert type(n) is Mapping or type(n) is Sequence
        self._enter(n)
        try:
            if type(n) is Sequence:
                return [self.interface(i) for i in n.items]
            kids = n.items
            string_keys = all(node_tag(kids[i]) in (STR, MERGE) for i in range(0, len(kids), 2))
            interface = self.interface
            return {k: interface(v) for k, v in self.pairs(n, self.string_key if string_keys else self._any_key)}
        finally:
            self._leave(n)
