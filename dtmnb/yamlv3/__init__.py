"""Read and write YAML exactly as Go's ``gopkg.in/yaml.v3`` does for dtm's state files.

dtm saves its state with yaml.v3 (``NewEncoder`` + ``SetIndent(2)``) and loads it with ``yaml.Unmarshal``
into Go types. This package reproduces both sides; docs/state-format.md writes down the rules it relies
on, with their sources, and the modules cite its sections:

* :mod:`.scalars` — what a plain scalar means (:func:`resolve`, a port of ``resolve.go`` with Go's
  ``time.Parse``), and Go's spelling of floats and times (:func:`format_float`);
* :mod:`.order` — Go's map key order (:func:`less`, :func:`sorted_keys`);
* :mod:`.styles` and :mod:`.writer` — :func:`dump` writes the bytes yaml.v3 writes (a direct writer:
  sequences indented under their key, yaml.v3's string style choice, simple keys up to 128 UTF-8 bytes,
  no line width), except where yaml.v3's own bytes would not read back as the same string (§4);
* :mod:`.nodes` and :mod:`.decoder` — :func:`load` parses with libyaml's event parser into named nodes
  (:class:`Scalar`, :class:`Mapping`, :class:`Sequence`, :class:`Alias`, each with a ``line``) and a
  :class:`Decoder` decodes them as yaml.v3 decodes into a Go target type;
* :mod:`.stream` — the same decoding in one pass over the events for the common document, used by
  :func:`decode` and by the state reader, with the node decoder as the fallback.

Values use plain Python types: ``None``, ``bool``, ``int`` (an int >= 2**63 is Go's uint64), ``float``,
``str``, ``list`` and ``dict``; :class:`Timestamp` (a ``str`` holding Go's RFC3339Nano text) stands for
``time.Time``; ``bytes`` stands for a Go string that is not valid UTF-8 (written as ``!!binary``).
:class:`Fields` is an ordered struct (written in its own order, never sorted).
"""
from __future__ import annotations

from typing import Any

from . import stream
from .decoder import DROP, Decoder
from .nodes import Alias, Mapping, Node, Scalar, Sequence, load
from .order import less, sorted_keys
from .scalars import format_float, resolve
from .values import Fields, Timestamp, YAMLv3Error
from .writer import Writer, dump, writer

__all__ = ["Timestamp", "Fields", "YAMLv3Error", "dump", "load", "decode", "resolve", "Decoder", "less",
           "sorted_keys", "format_float", "writer", "Writer", "Node", "Scalar", "Mapping", "Sequence", "Alias",
           "DROP"]


def decode(data: bytes | str) -> Any:
    """The first document as a Go ``interface{}`` (None when there is none): the same value as
    ``Decoder().interface(load(data))``, in one pass over the events when the document allows it."""
    try:
        return stream.interface(data)
    except stream.Unsupported:
        root = load(data)
        return None if root is None else Decoder().interface(root)
