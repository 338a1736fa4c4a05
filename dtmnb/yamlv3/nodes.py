"""YAML text to a tree of light nodes, with libyaml's event parser (docs/state-format.md §3).

Every node kind has a ``line`` (1-based) and is told apart by its type: :class:`Scalar`, :class:`Mapping`,
:class:`Sequence` or :class:`Alias`. ``tag`` is None, or the short form of an explicit tag (``"!!int"``,
``"!foo"``); a non-specific ``!`` counts as no tag, and a plain ``<<`` carries the merge tag.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .values import MERGE, YAMLv3Error


class Scalar:
    """A scalar: its text, and whether it was plain (not quoted, not a block)."""

    __slots__ = ("tag", "text", "plain", "line")

    def __init__(self, tag: str | None, text: str, plain: bool, line: int):
        self.tag, self.text, self.plain, self.line = tag, text, plain, line

    def __repr__(self) -> str:
        return f"Scalar({self.text!r}, tag={self.tag!r}, plain={self.plain}, line={self.line})"


class Mapping:
    """A mapping; ``items`` is flat: ``[key, value, key, value, ...]`` in document order."""

    __slots__ = ("tag", "items", "line")

    def __init__(self, tag: str | None, items: list[Node], line: int):
        self.tag, self.items, self.line = tag, items, line

    def __repr__(self) -> str:
        return f"Mapping({len(self.items) // 2} pairs, tag={self.tag!r}, line={self.line})"


class Sequence:
    """A sequence of nodes."""

    __slots__ = ("tag", "items", "line")

    def __init__(self, tag: str | None, items: list[Node], line: int):
        self.tag, self.items, self.line = tag, items, line

    def __repr__(self) -> str:
        return f"Sequence({len(self.items)} items, tag={self.tag!r}, line={self.line})"


class Alias:
    """``*name``: the node the anchor named when the alias was read (a later anchor may reuse the name)."""

    __slots__ = ("name", "target", "line")

    def __init__(self, name: str, target: Node, line: int):
        self.name, self.target, self.line = name, target, line

    def __repr__(self) -> str:
        return f"Alias({self.name!r}, line={self.line})"


Node = Scalar | Mapping | Sequence | Alias


def short_tag(tag: str | None) -> str | None:
    if not tag or tag == "!":
        return None
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


def parser(data: bytes | str) -> Any:
    """libyaml's event parser, or PyYAML's pure-Python one when the C extension is missing (slower, and
    its scanner differs on a few tab cases: docs/state-format.md §6)."""
    try:
        from yaml._yaml import CParser
        return CParser(data)
    except ImportError:
        import yaml
        return yaml.SafeLoader(data)


def yaml_error(exc: Exception) -> YAMLv3Error:
    """A PyYAML error as a YAMLv3Error with its line."""
    import yaml

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        return YAMLv3Error(problem, mark.line + 1 if mark else None)
    return YAMLv3Error(str(getattr(exc, "reason", exc) or exc).strip())  # e.g. bytes that are not UTF-8


def load(data: bytes | str) -> Node | None:
    """Parse the first YAML document into a node (None for an empty stream). Raises YAMLv3Error."""
    import yaml
    from yaml import events as ev

    p = None
    try:
        p = parser(data)  # the pure-Python reader already decodes (and may refuse) the bytes here
        get = p.get_event
        get()  # StreamStart
        if isinstance(get(), ev.StreamEndEvent):
            return None
        anchors: dict[str, Node] = {}
        root = _tree(get, anchors)
        get()  # DocumentEnd: its look-ahead can still find a syntax error, as yaml.v3's does
        if anchors:
            _check_aliasing(root)
        return root
    except yaml.YAMLError as exc:
        raise yaml_error(exc) from None
    finally:
        dispose = p is not None and getattr(p, "dispose", None)
        if dispose:
            dispose()


def _tree(get: Callable[[], Any], anchors: dict[str, Node]) -> Node:
    """The node of the document's root, read event by event from ``get``; anchors are registered in ``anchors``."""
    from yaml import events as ev

    ScalarEvent, MapStart, SeqStart, AliasEvent = (
        ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent, ev.AliasEvent)
    holder: list[Node] = []          # receives the root node
    kids, stack = holder, []         # the children list being filled, and the enclosing ones
    while True:
        e = get()
        cls = type(e)
        n: Node
        if cls is ScalarEvent:
            tag, plain = e.tag, not e.style
            if tag is not None:
                tag = short_tag(tag)
            if tag is None and plain and e.value == "<<":
                tag = MERGE
            n = Scalar(tag, e.value, plain, e.start_mark.line + 1)
            if e.anchor is not None:  # a later anchor of the same name wins, as in yaml.v3
                anchors[e.anchor] = n
            kids.append(n)
        elif cls is MapStart or cls is SeqStart:
            inner: list[Node] = []
            kind = Mapping if cls is MapStart else Sequence
            n = kind(e.tag and short_tag(e.tag), inner, e.start_mark.line + 1)
            if e.anchor is not None:  # registered before the children: an alias inside sees it
                anchors[e.anchor] = n
            kids.append(n)
            stack.append(kids)
            kids = inner
        elif cls is AliasEvent:
            kids.append(_alias(e, anchors))
        else:  # the end of a mapping or sequence
            kids = stack.pop()
        if not stack and holder:
            return holder[0]


def _alias(e: Any, anchors: dict[str, Node]) -> Alias:
    if e.anchor not in anchors:
        raise YAMLv3Error(f"unknown anchor '{e.anchor}' referenced", e.start_mark.line + 1)
    return Alias(e.anchor, anchors[e.anchor], e.start_mark.line + 1)


def allowed_alias_ratio(decodes: int) -> float:
    """yaml.v3's limit on the share of decoding done inside aliases (0.99 small, 0.10 from 4M nodes)."""
    if decodes <= 400_000:
        return 0.99
    if decodes >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decodes - 400_000) / 3_600_000


def _check_aliasing(root: Node) -> None:
    """Refuse a "billion laughs" document as yaml.v3 does: count the nodes decoding would visit and how
    many of them it visits through aliases (yaml.v3 checks as it goes; this applies its rule to the totals
    before decoding, so the expansion never has to happen)."""
    memo: dict[int, tuple[int, int]] = {}

    def size(n: Node) -> tuple[int, int]:
        if type(n) is Scalar:
            return 1, 0
        if type(n) is Alias:
            total, _ = size(n.target)
            return 1 + total, total
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = (1, 0)  # a cycle counts once here; decoding reports it
        total, aliased = 1, 0
        for child in n.items:  # type: ignore[union-attr]
            t, a = size(child)
            total, aliased = total + t, aliased + a
        memo[key] = (total, aliased)
        return total, aliased

    try:
        total, aliased = size(root)
    except RecursionError:
        raise YAMLv3Error("the document is nested too deeply") from None
    if aliased > 100 and total > 1000 and aliased / total > allowed_alias_ratio(total):
        raise YAMLv3Error("document contains excessive aliasing")
