"""A fast decoder straight from libyaml's events, for the documents dtm and dtmnb write.

Building nodes first (:func:`~dtmnb.yamlv3.nodes.load`) and then decoding them (:class:`Decoder`) costs
twice the Python work. The common document — no anchors, aliases, tags or merge keys, string keys in
nested maps, no error — is decoded here in one pass over the events instead. Anything else raises
:class:`Unsupported` before a value is returned, and the caller decodes the same bytes with the node
decoder, which gives the same values (tests compare the two) and yaml.v3's error messages with lines.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .scalars import NULLS, is_long_int, resolve
from .values import STR

STRING, STRING_LIST, STRING_MAP = "string", "[]string", "map[string]interface {}"
_MISS = object()


class Unsupported(Exception):
    """The document needs the node decoder (see the module docstring)."""


def _events(data: bytes | str) -> tuple[Any, Callable[[], Any]]:
    try:
        from yaml._yaml import CParser
    except ImportError:  # without libyaml the node decoder's pure-Python path is the only one
        raise Unsupported from None
    p = CParser(data)
    return p, p.get_event


class _Reader:
    """Decodes values from an event source; every method raises Unsupported where the node decoder must
    take over. ``max_depth`` bounds the maps and lists nested in one decoded value."""

    def __init__(self, get: Callable[[], Any], max_depth: int, refuse_long_ints: bool):
        from yaml import events as ev

        self.get, self.max_depth, self.refuse_long_ints = get, max_depth, refuse_long_ints
        self.Scalar, self.MapStart, self.SeqStart = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent
        self.MapEnd, self.SeqEnd = ev.MappingEndEvent, ev.SequenceEndEvent
        self.values: dict[str, Any] = {}   # plain text -> its value
        self.str_keys: set[str] = set()    # plain texts known to be string keys

    def plain(self, text: str) -> Any:
        """The value of a plain scalar not yet in ``values``."""
        tag, value = resolve(text)
        if tag == STR and self.refuse_long_ints and is_long_int(text):
            raise Unsupported
        self.values[text] = value
        return value

    def key(self, k: Any) -> str:
        """The text of a key of a map with string keys (a map[string]interface{} inside interface{})."""
        if type(k) is not self.Scalar or k.anchor is not None or k.tag is not None:
            raise Unsupported
        text: str = k.value
        if not k.style and text not in self.str_keys:
            if text == "<<" or resolve(text)[0] != STR:
                raise Unsupported  # a merge key, or a map with typed keys
            self.str_keys.add(text)
        return text

    def collection(self, e: Any, depth: int) -> Any:
        """The interface{} value of the map or list ``e`` starts, at nesting ``depth`` (1 = outermost)."""
        if e.anchor is not None or e.tag is not None or depth > self.max_depth:
            raise Unsupported
        if type(e) is self.SeqStart:
            return self.sequence(depth)
        return self.mapping(depth)

    # sequence(), mapping() and string_map() decode a scalar value inline, the same six lines in each: a
    # method call per scalar made a 10,000-tool state read 2-4% slower (bench/bench_state.py)
    def sequence(self, depth: int) -> list[Any]:
        """The items of a list whose start event was just read."""
        get, Scalar, values, miss = self.get, self.Scalar, self.values, _MISS
        items: list[Any] = []
        append, SeqEnd = items.append, self.SeqEnd
        while True:
            e = get()
            c = type(e)
            if c is Scalar:
                if e.anchor is not None or e.tag is not None:
                    raise Unsupported
                if e.style:
                    append(e.value)
                else:
                    v = values.get(e.value, miss)
                    append(self.plain(e.value) if v is miss else v)
            elif c is SeqEnd:
                return items
            else:
                append(self.collection(e, depth + 1))

    def mapping(self, depth: int) -> dict[str, Any]:
        """The entries of a map (string keys) whose start event was just read."""
        get, Scalar, values, miss = self.get, self.Scalar, self.values, _MISS
        out: dict[str, Any] = {}
        MapEnd, key = self.MapEnd, self.key
        while True:
            k = get()
            if type(k) is MapEnd:
                return out
            text = key(k)
            if text in out:
                raise Unsupported  # a duplicate key: an error, worded by the node decoder
            e = get()
            if type(e) is Scalar:
                if e.anchor is not None or e.tag is not None:
                    raise Unsupported
                if e.style:
                    out[text] = e.value
                else:
                    v = values.get(e.value, miss)
                    out[text] = self.plain(e.value) if v is miss else v
            else:
                out[text] = self.collection(e, depth + 1)

    def scalar_text(self, e: Any) -> str | None:
        """A Go string target: the source text; None for a null."""
        if type(e) is not self.Scalar or e.anchor is not None or e.tag is not None:
            raise Unsupported
        text: str = e.value
        return None if not e.style and text in NULLS else text

    def string_list(self, e: Any) -> list[str]:
        """A Go []string: null gives [], null items are dropped."""
        if type(e) is not self.SeqStart:
            if self.scalar_text(e) is None:
                return []
            raise Unsupported
        if e.anchor is not None or e.tag is not None:
            raise Unsupported
        items: list[str] = []
        get, SeqEnd = self.get, self.SeqEnd
        while True:
            e = get()
            if type(e) is SeqEnd:
                return items
            text = self.scalar_text(e)
            if text is not None:
                items.append(text)

    def string_map(self, e: Any) -> dict[str, Any]:
        """A Go map[string]interface{}: keys are source text (a null key drops the entry: left to the
        node decoder)."""
        if type(e) is not self.MapStart:
            if self.scalar_text(e) is None:
                return {}
            raise Unsupported
        if e.anchor is not None or e.tag is not None:
            raise Unsupported
        out: dict[str, Any] = {}
        get, Scalar = self.get, self.Scalar
        values, miss = self.values, _MISS
        while True:
            k = get()
            if type(k) is not Scalar:
                return self.map_end(k, out)
            text = k.value
            if k.anchor is not None or k.tag is not None or text in out or not k.style and (
                    text in NULLS or text == "<<"):
                raise Unsupported  # a null or merge key, or a duplicate (an error)
            e = get()
            if type(e) is Scalar:  # the value step of mapping() inlined, as the state's hottest loop
                if e.anchor is not None or e.tag is not None:
                    raise Unsupported
                if e.style:
                    out[text] = e.value
                else:
                    v = values.get(e.value, miss)
                    out[text] = self.plain(e.value) if v is miss else v
            else:
                out[text] = self.collection(e, 2)

    def map_end(self, e: Any, out: dict[str, Any]) -> dict[str, Any]:
        """``out``, when ``e`` (read where a key of a map with scalar keys belongs) ends the map."""
        if type(e) is not self.MapEnd:
            raise Unsupported  # an alias or a collection as a key
        return out

    def struct(self, e: Any, kinds: dict[str, Callable[[Any], Any]]) -> dict[str, Any] | None:
        """A Go struct's fields found in the map ``e`` starts (decoded by ``kinds[name]``; other names are
        skipped), or None for a null."""
        if type(e) is not self.MapStart:
            if self.scalar_text(e) is not None:
                raise Unsupported  # not a map: an error
            return None
        if e.anchor is not None or e.tag is not None:
            raise Unsupported
        found: dict[str, Any] = {}
        get, Scalar = self.get, self.Scalar
        while True:
            f = get()
            if type(f) is not Scalar:
                return self.map_end(f, found)
            name = f.value
            if f.anchor is not None or f.tag is not None or name in found or not f.style and (
                    name in NULLS or name == "<<"):
                raise Unsupported
            e = get()
            kind = kinds.get(name)
            if kind is None:
                self.skip(e)
                found[name] = None  # seen (a second one is a duplicate), but not decoded
            else:
                found[name] = kind(e)

    def struct_map(self, e: Any, kinds: dict[str, Callable[[Any], Any]]) -> dict[str, dict[str, Any] | None]:
        """A Go map[string]Struct in the map ``e`` starts (a null gives {})."""
        entries: dict[str, dict[str, Any] | None] = {}
        if type(e) is self.Scalar:
            if self.scalar_text(e) is not None:
                raise Unsupported  # not a map: an error
            return entries
        if type(e) is not self.MapStart or e.anchor is not None or e.tag is not None:
            raise Unsupported
        get, MapEnd = self.get, self.MapEnd
        while True:
            k = get()
            if type(k) is MapEnd:
                return entries
            key = self.scalar_text(k)
            if key is None or key in entries or not k.style and key == "<<":
                raise Unsupported
            entries[key] = self.struct(get(), kinds)

    def skip(self, e: Any) -> None:
        """Consume the value ``e`` starts (an unknown struct field, which yaml.v3 ignores)."""
        if type(e) is self.Scalar:
            return
        if type(e) is not self.MapStart and type(e) is not self.SeqStart:
            raise Unsupported  # an alias
        depth, get = 1, self.get
        while depth:
            c = type(get())
            if c is self.MapStart or c is self.SeqStart:
                depth += 1
            elif c is self.MapEnd or c is self.SeqEnd:
                depth -= 1


def _document(data: bytes | str, empty: Any, decode: Callable[[_Reader, Any], Any], max_depth: int,
              refuse_long_ints: bool) -> Any:
    """``decode(reader, first event)`` of the first document; ``empty`` for an empty stream."""
    import yaml

    p = None
    try:
        p, get = _events(data)
        get()  # StreamStart
        if type(get()).__name__ == "StreamEndEvent":
            return empty
        value = decode(_Reader(get, max_depth, refuse_long_ints), get())
        get()  # DocumentEnd: its look-ahead can still find a syntax error
        return value
    except (yaml.YAMLError, RecursionError):
        raise Unsupported from None
    finally:
        if p is not None:
            p.dispose()


def _interface(reader: _Reader, e: Any) -> Any:
    if type(e) is not reader.Scalar:
        return reader.collection(e, 1)
    if e.anchor is not None or e.tag is not None:
        raise Unsupported
    return e.value if e.style else reader.plain(e.value)


def interface(data: bytes | str, max_depth: int = 500, refuse_long_ints: bool = False) -> Any:
    """The interface{} value of the first document (None for an empty stream)."""
    return _document(data, None, _interface, max_depth, refuse_long_ints)


def struct_map(data: bytes | str, fields: dict[str, str], max_depth: int,
               refuse_long_ints: bool = False) -> dict[str, dict[str, Any] | None]:
    """A Go ``map[string]Struct``: for each key, the struct's fields found in the document (by name,
    decoded as ``fields[name]`` says: STRING, STRING_LIST or STRING_MAP; other names are skipped), or
    None for a null entry. An empty or null document gives {}."""

    def decode(reader: _Reader, e: Any) -> dict[str, dict[str, Any] | None]:
        by_kind = {STRING: reader.scalar_text, STRING_LIST: reader.string_list, STRING_MAP: reader.string_map}
        return reader.struct_map(e, {name: by_kind[kind] for name, kind in fields.items()})

    result: dict[str, dict[str, Any] | None] = _document(data, {}, decode, max_depth, refuse_long_ints)
    return result
