"""The state: a map ``<name>_<instanceID>`` -> ToolState, read and written exactly as dtm does.

Two on-disk forms exist: dtm v0.6-v0.9 (fields ``name, instanceid, dependson, options, resource``) and
v0.10 (``name, instanceID, dependsOn, options, resourceStatus``). A state remembers the form it was read in
and is written back in that form; a new state uses the v0.6-v0.9 form (the tutorial's).

Reading and writing go through :mod:`dtmnb.yamlv3`, which reproduces Go's gopkg.in/yaml.v3: the bytes
written are the bytes dtm writes (``yaml.NewEncoder`` + ``SetIndent(2)`` of ``map[string]State``, and an
empty state is a 0-byte file), and reading decodes like ``yaml.Unmarshal`` into dtm's ``State`` struct
(string fields get the source text, ``options``/``resource`` get yaml.v3's scalar types). docs/state-format.md
describes the format and the few places where dtmnb deliberately differs from yaml.v3 (§4, §5).
"""
from __future__ import annotations

import copy
import datetime as _dt
import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from . import yamlv3
from .errors import StateFormatError
from .limits import MAX_DEPTH
from .yamlv3 import stream
from .yamlv3.scalars import resolve
from .yamlv3.values import TIME

FORM_V09 = "v0.9"
FORM_V10 = "v0.10"


@dataclass
class ToolState:
    name: str
    instance_id: str
    depends_on: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}_{self.instance_id}"

    @property
    def outputs(self) -> dict[str, Any]:
        out = (self.resource or {}).get("outputs")
        return out if isinstance(out, dict) else {}


@dataclass
class State:
    """All tool states, keyed ``<name>_<instanceID>``; ``form`` is the on-disk form to write back."""

    entries: dict[str, ToolState] = field(default_factory=dict)
    form: str = FORM_V09
    # key -> (ToolState, form, its YAML): entries are replaced with put(), never edited in place, so a
    # rendering stays valid while the same ToolState object sits under the key (apply rewrites the whole
    # state after every change; this keeps that linear instead of quadratic in the number of tools)
    _rendered: dict[str, tuple[ToolState, str, str]] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> ToolState | None:
        return self.entries.get(key)

    def put(self, tool_state: ToolState) -> None:
        self.entries[tool_state.key] = tool_state

    def remove(self, key: str) -> None:
        self.entries.pop(key, None)

    def copy(self) -> State:
        return State(copy.deepcopy(self.entries), self.form)

    def to_list(self) -> list[ToolState]:
        """dtm's ToList order: sorted by ``<instanceID>.<name>``."""
        return sorted(self.entries.values(), key=lambda s: f"{s.instance_id}.{s.name}")


_FIELDS = {
    FORM_V09: ("name", "instanceid", "dependson", "options", "resource"),
    FORM_V10: ("name", "instanceID", "dependsOn", "options", "resourceStatus"),
}
_ONLY_V09 = frozenset(("instanceid", "dependson", "resource"))
_ONLY_V10 = frozenset(("instanceID", "dependsOn", "resourceStatus"))
_KINDS = {"name": stream.STRING, "instanceid": stream.STRING, "instanceID": stream.STRING,
          "dependson": stream.STRING_LIST, "dependsOn": stream.STRING_LIST,
          "options": stream.STRING_MAP, "resource": stream.STRING_MAP, "resourceStatus": stream.STRING_MAP}
_STATE_MAP = "map[statemanager.StateKey]statemanager.State"


# -- reading ---------------------------------------------------------------------------------------------

def _format_error(source: str, problem: str, line: int | None) -> StateFormatError:
    where = f"{source}, line {line}" if line else source
    if source.startswith("s3://"):
        restore = "restore an earlier version of the object (S3 bucket versioning keeps them)"
    else:
        restore = f"restore it from {source}.backup"
    return StateFormatError(
        f"{where}: not a valid dtm state: {problem}. The state was left untouched; "
        f"fix it by hand or {restore}, then run again.")


def _tool_state(fields: dict[str, Any] | None, form: str) -> ToolState:
    """A ToolState from an entry's decoded fields (None: a null entry, Go's zero State)."""
    name, iid, deps, opts, res = _FIELDS[form]
    if fields is None:
        return ToolState("", "")
    return ToolState(fields.get(name) or "", fields.get(iid) or "", fields.get(deps) or [],
                     fields.get(opts) or {}, fields.get(res) or {})


def _decode_events(data: bytes) -> State:
    """The one-pass reader (raises stream.Unsupported for what it leaves to :func:`_decode_nodes`)."""
    raw = stream.struct_map(data, _KINDS, MAX_DEPTH, refuse_long_ints=True)
    forms = set()
    for fields in raw.values():
        if fields:
            v09, v10 = not _ONLY_V09.isdisjoint(fields), not _ONLY_V10.isdisjoint(fields)
            if v09:
                forms.add(FORM_V09)
            if v10:
                forms.add(FORM_V10)
    if len(forms) > 1:
        raise stream.Unsupported  # an error: the node reader names the lines
    state = State(form=forms.pop() if forms else FORM_V09)
    state.entries = {key: _tool_state(fields, state.form) for key, fields in raw.items()}
    return state


def _entry_fields(dec: yamlv3.Decoder, node: yamlv3.Mapping) -> tuple[str | None, dict[str, Any]]:
    """The form an entry's field names show (None: neither), and its decoded fields."""
    pairs = dec.pairs(node, dec.string_key)
    names = {k for k, _ in pairs}
    v09, v10 = names & _ONLY_V09, names & _ONLY_V10
    if v09 and v10:
        raise yamlv3.YAMLv3Error(
            f"the entry mixes dtm v0.6-v0.9 field names ({', '.join(sorted(v09))}) with dtm v0.10 ones "
            f"({', '.join(sorted(v10))})", node.line)
    decode = {stream.STRING: dec.string, stream.STRING_LIST: dec.string_list, stream.STRING_MAP: dec.string_map}
    fields = {}
    for k, v in pairs:  # unknown fields are ignored, as yaml.v3 does
        if k in _KINDS:
            fields[k] = decode[_KINDS[k]](v)
    return (FORM_V09 if v09 else FORM_V10 if v10 else None), fields


def _decode_nodes(data: bytes) -> State:
    """The node reader: every document, with yaml.v3's errors and their lines."""
    root = yamlv3.load(data)
    state = State()
    if root is None:
        return state
    dec = yamlv3.Decoder(max_depth=MAX_DEPTH, refuse_long_ints=True)
    top = dec.deref(root)
    if type(top) is not yamlv3.Mapping:
        if dec.is_null(top):  # a null document
            return state
        raise dec.type_error(top, _STATE_MAP)
    forms: dict[str, int] = {}
    raw: dict[str, dict[str, Any] | None] = {}
    for key, node in dec.pairs(top, dec.string_key):
        entry = dec.deref(node)
        if dec.is_null(entry):
            raw[key] = None  # a null entry: a zero State, as in Go
            continue
        if type(entry) is not yamlv3.Mapping:
            raise dec.type_error(entry, "statemanager.State")
        form, raw[key] = _entry_fields(dec, entry)
        if form:
            forms.setdefault(form, entry.line)
    if len(forms) > 1:
        raise yamlv3.YAMLv3Error(
            "entries use both the dtm v0.6-v0.9 field names (instanceid, dependson, resource; "
            f"first at line {forms[FORM_V09]}) and the dtm v0.10 ones (instanceID, dependsOn, resourceStatus; "
            f"first at line {forms[FORM_V10]}); a state file holds one form", max(forms.values()))
    state.form = next(iter(forms), FORM_V09)
    state.entries = {key: _tool_state(fields, state.form) for key, fields in raw.items()}
    return state


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading or writing a big state allocates many small acyclic objects; pausing the cyclic garbage
    collector meanwhile saves about a quarter of the time (10,000 tools)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_state(data: bytes | str, source: str) -> State:
    """Decode state bytes as dtm's ``yaml.Unmarshal`` would. ``source`` names the file/object in errors.

    Empty, blank, comment-only and ``null`` input is an empty state. The v0.10 form is recognised by its
    field names and remembered in ``State.form``. Anything dtm could not load raises StateFormatError, and
    so do two things dtm would load: options or a resource nested deeper than MAX_DEPTH, and a number of
    more than MAX_INT_DIGITS digits (docs/state-format.md §5).
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")  # a lone surrogate then fails as invalid UTF-8
    data = bytes(data)
    try:
        with _gc_paused():
            try:
                return _decode_events(data)
            except stream.Unsupported:
                return _decode_nodes(data)
    except yamlv3.YAMLv3Error as exc:
        raise _format_error(source, exc.problem, exc.line) from None
    except RecursionError:
        raise _format_error(source, "the data is nested too deeply", None) from None


# -- writing ---------------------------------------------------------------------------------------------

_MAX_INDENT = 2 + 2 * MAX_DEPTH  # options/resource items sit at indent 4 (level 1); each level adds 2


def _text(v: Any) -> str:
    """A Go string field: a Timestamp (or other str subclass) becomes plain text, other values str()."""
    return v if type(v) is str else "" if v is None else str.__str__(v) if isinstance(v, str) else str(v)


def _string_map(d: dict[Any, Any] | None) -> dict[str, Any]:
    """A Go map[string]interface{}: its keys are strings."""
    if not d:
        return {}
    if not isinstance(d, dict):
        raise TypeError(f"a {type(d).__name__} where a map belongs")
    for k in d:
        if type(k) is not str:
            return {_text(k): v for k, v in d.items()}
    return d


def _render(w: yamlv3.Writer, key: str, ts: ToolState, form: str) -> str:
    name, iid, deps, opts, res = _FIELDS[form]
    return w.document({key: yamlv3.Fields((
        (name, _text(ts.name)),
        (iid, _text(ts.instance_id)),
        (deps, [_text(d) for d in ts.depends_on if d is not None] if ts.depends_on else []),
        (opts, _string_map(ts.options)),
        (res, _string_map(ts.resource)),
    ))})


def format_state(state: State) -> bytes:
    """Encode the state as dtm does: yaml.v3, indent 2, in the state's form; an empty state is 0 bytes.

    A value the state format cannot hold (see :func:`storable_problem`: an object of another type, an
    integer beyond 64 bits, nesting deeper than MAX_DEPTH, a lone surrogate) raises StateFormatError
    naming the tool and the field; nothing is written then.
    """
    if not state.entries:
        return b""
    form = state.form if state.form in _FIELDS else FORM_V09
    with _gc_paused():
        chunks, w = [], yamlv3.writer(_MAX_INDENT)
        for key in yamlv3.sorted_keys(state.entries, w.natural):
            ts = state.entries[key]
            cached = state._rendered.get(key)
            if cached is None or cached[0] is not ts or cached[1] != form:
                try:
                    cached = (ts, form, _render(w, key, ts, form))
                except (TypeError, ValueError, RecursionError) as exc:
                    raise _unwritable(key, ts, exc) from None
                state._rendered[key] = cached
            chunks.append(cached[2])
        try:
            return "".join(chunks).encode("utf-8")
        except UnicodeEncodeError as exc:  # only a str subclass (a Timestamp) skips the writer's check
            raise StateFormatError(f"cannot write the state: {exc.object[exc.start:exc.end]!r} is not text "
                                   "UTF-8 can hold (a lone surrogate). Nothing was written.") from None


def _unwritable(key: str, ts: ToolState, exc: BaseException) -> StateFormatError:
    problem = _first_problem(ts.options, "options", False) or _first_problem(ts.resource, "resource", False)
    if problem is None:
        problem = str(exc) if not isinstance(exc, RecursionError) else "a value is nested too deeply"
    return StateFormatError(f"cannot write the state: tool {key}: {problem}. Nothing was written.")


# -- what a resource may hold -------------------------------------------------------------------------

_HOLDS = "holds only text, numbers, booleans, null, lists and maps with text keys"
_HINT = {"datetime": " (write a time as text, e.g. with .isoformat())", "date": " (write a date as text)",
         "tuple": " (use a list)", "bytes": " (write bytes as text, e.g. base64)", "set": " (use a list)"}


def storable_problem(value: Any, what: str) -> str | None:
    """None when ``value`` (a plugin's resource or options map) can be stored in the state and read back
    equal; otherwise a message naming the dotted path of the first field at fault and what is wrong.

    Storable: ``str`` (any text but a lone surrogate), ``bool``, ``int`` within Go's int64/uint64 range,
    ``float`` (an integral float reads back as an equal int), ``None``, ``list``, ``dict`` with ``str``
    keys, nested at most MAX_DEPTH levels (the map itself is level 1), and a :class:`~dtmnb.yamlv3.Timestamp`
    holding Go's time text (what dtmnb reads for a time written by dtm). Refused, because they would read
    back as something else: ``datetime``/``date`` (they read back as a Timestamp), ``bytes``, tuples,
    subclasses of these types (enums...) and any other object (docs/state-format.md §5).
    """
    return _first_problem(value, what, strict=True)


def _as_written(v: Any) -> tuple[Any, type | None]:
    """A value as format_state treats it, with the type to check it as (None: nothing to check): it also
    writes subclasses of str and numbers, tuples, dates and bytes, with Go's spelling (they read back as
    another type, so they are not storable)."""
    t = type(v)
    if t in (dict, list, bool, type(None)):
        return v, t
    for base in (str, int, float):
        if isinstance(v, base):
            return v, base
    if t is tuple:
        return list(v), list
    if isinstance(v, (bytes, bytearray, _dt.date)):
        return v, None
    return v, t


def _first_problem(value: Any, what: str, strict: bool) -> str | None:
    """The first value that cannot be stored: with ``strict``, that would not read back equal; without,
    that format_state cannot write at all."""
    holder = "a resource" if what == "resource" else what
    if type(value) is not dict:
        if not strict and value is None:
            return None
        return f"{what} is {_a(type(value).__name__)}, not a map with text keys"
    stack: list[tuple[str, Any, int]] = [(what, value, 1)]
    while stack:
        path, v, depth = stack.pop()
        t: type | None = type(v)
        if not strict:
            v, t = _as_written(v)
            if t is None:
                continue
        if t is dict or t is list:
            problem = _collection_problem(path, v, depth, holder, strict, stack)
        else:
            problem = _scalar_problem(path, v, t, holder)
        if problem is not None:
            return problem
    return None


def _scalar_problem(path: str, v: Any, t: type | None, holder: str) -> str | None:
    """Why the value ``v`` (checked as type ``t``; not a dict or list) cannot be stored, or None."""
    if t is str:
        if not v.isascii() and any("\ud800" <= c <= "\udfff" for c in v):
            return f"{path} holds a lone surrogate ({_surrogate(v)}), which is not text UTF-8 can hold"
        return None
    if t is bool or t is float or v is None:
        return None
    if t is int:
        if not -(1 << 63) <= v < 1 << 64:
            return f"{path} is the integer {v:.6g}, outside the range a state holds (Go's int64 and uint64)"
        return None
    if t is yamlv3.Timestamp:
        if resolve(v) != (TIME, v):
            return f"{path} is a Timestamp whose text {str.__str__(v)!r} does not read back as a time"
        return None
    name = type(v).__name__
    return f"{path} is {_a(name)}; {holder} {_HOLDS}{_HINT.get(name, '')}"


def _collection_problem(path: str, v: dict[Any, Any] | list[Any], depth: int, holder: str, strict: bool,
                        stack: list[tuple[str, Any, int]]) -> str | None:
    """Why the dict or list ``v`` cannot be stored, or None after pushing its items onto ``stack`` (the
    first item on top)."""
    if depth > MAX_DEPTH:
        return f"{path} is nested more than {MAX_DEPTH} levels deep; {holder} holds at most {MAX_DEPTH}"
    if isinstance(v, list):
        stack.extend((f"{path}[{i}]", x, depth + 1) for i, x in reversed(list(enumerate(v))))
        return None
    for k in v:
        if type(k) is not str and (strict or isinstance(k, (tuple, frozenset))):
            return (f"{path} has the key {k!r}, {_a(type(k).__name__)}; {holder} {_HOLDS}"
                    + (" (a key that is a NaN float cannot be read back)" if _is_nan(k) else ""))
    stack.extend((f"{path}.{k}", x, depth + 1) for k, x in reversed(list(v.items())))
    return None


def _a(name: str) -> str:
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _is_nan(k: Any) -> bool:
    return isinstance(k, float) and math.isnan(k)


def _surrogate(s: str) -> str:
    c = next(c for c in s if "\ud800" <= c <= "\udfff")
    return f"\\u{ord(c):04x}"
