"""The state: a map ``<name>_<instanceID>`` -> ToolState, read and written exactly as dtm does.

Two on-disk forms exist: dtm v0.6-v0.9 (fields ``name, instanceid, dependson, options, resource``) and
v0.10 (``name, instanceID, dependsOn, options, resourceStatus``). A state remembers the form it was read in
and is written back in that form; a new state uses the v0.6-v0.9 form (the tutorial's).

Reading and writing go through :mod:`dtmnb.yamlv3`, which reproduces Go's gopkg.in/yaml.v3: the bytes
written are the bytes dtm writes (``yaml.NewEncoder`` + ``SetIndent(2)`` of ``map[string]State``, and an
empty state is a 0-byte file), and reading decodes like ``yaml.Unmarshal`` into dtm's ``State`` struct
(string fields get the source text, ``options``/``resource`` get yaml.v3's scalar types).
"""
from __future__ import annotations

import copy
import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import yamlv3
from .errors import StateFormatError

FORM_V09 = "v0.9"
FORM_V10 = "v0.10"


@dataclass
class ToolState:
    name: str
    instance_id: str
    depends_on: list[str] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    resource: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}_{self.instance_id}"

    @property
    def outputs(self) -> dict:
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
    _rendered: dict = field(default_factory=dict, repr=False, compare=False)

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

    def copy(self) -> "State":
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
_STATE_MAP = "map[statemanager.StateKey]statemanager.State"


def _format_error(source: str, problem: str, line: int | None) -> StateFormatError:
    where = f"{source}, line {line}" if line else source
    if source.startswith("s3://"):
        restore = "restore an earlier version of the object (S3 bucket versioning keeps them)"
    else:
        restore = f"restore it from {source}.backup"
    return StateFormatError(
        f"{where}: not a valid dtm state: {problem}. The state was left untouched; "
        f"fix it by hand or {restore}, then run again.")


def _entry_form(dec: yamlv3.Decoder, node) -> tuple[str | None, list]:
    """The form an entry's field names show (None: neither), and its (field, value node) pairs."""
    pairs = dec.pairs(node, dec.string_key)
    names = {k for k, _ in pairs}
    v09, v10 = names & _ONLY_V09, names & _ONLY_V10
    if v09 and v10:
        line = node[3] if node[0] != "s" else node[4]
        raise yamlv3.YAMLv3Error(
            f"the entry mixes dtm v0.6-v0.9 field names ({', '.join(sorted(v09))}) with dtm v0.10 ones "
            f"({', '.join(sorted(v10))})", line)
    return (FORM_V09 if v09 else FORM_V10 if v10 else None), pairs


def _decode(data: bytes) -> State:
    root = yamlv3.load(data)
    state = State()
    if root is None:
        return state
    dec = yamlv3.Decoder()
    top = dec.deref(root)
    if top[0] != "m":
        if dec.is_null(top):  # a null document
            return state
        raise dec.type_error(top, _STATE_MAP)
    forms: dict[str, int] = {}
    raw = []
    for key, node in dec.pairs(top, dec.string_key):
        entry = dec.deref(node)
        if dec.is_null(entry):
            raw.append((key, None, []))  # a null entry: a zero State, as in Go
            continue
        if entry[0] != "m":
            raise dec.type_error(entry, "statemanager.State")
        form, pairs = _entry_form(dec, entry)
        if form:
            forms.setdefault(form, entry[3])
        raw.append((key, form, pairs))
    if len(forms) > 1:
        raise yamlv3.YAMLv3Error(
            "entries use both the dtm v0.6-v0.9 field names (instanceid, dependson, resource; "
            f"first at line {forms[FORM_V09]}) and the dtm v0.10 ones (instanceID, dependsOn, resourceStatus; "
            f"first at line {forms[FORM_V10]}); a state file holds one form", max(forms.values()))
    state.form = next(iter(forms), FORM_V09)
    name, iid, deps, opts, res = _FIELDS[state.form]
    for key, _form, pairs in raw:
        fields = dict(pairs)  # unknown fields are ignored, as yaml.v3 does
        state.entries[key] = ToolState(
            name=dec.string(fields[name]) or "" if name in fields else "",
            instance_id=dec.string(fields[iid]) or "" if iid in fields else "",
            depends_on=dec.string_list(fields[deps]) if deps in fields else [],
            options=dec.string_map(fields[opts]) if opts in fields else {},
            resource=dec.string_map(fields[res]) if res in fields else {},
        )
    return state


@contextmanager
def _gc_paused():
    """Reading or writing a big state allocates many small acyclic objects; pausing the cyclic garbage
    collector meanwhile saves about a quarter of the time (10,000 tools)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_state(data: bytes, source: str) -> State:
    """Decode state bytes as dtm's ``yaml.Unmarshal`` would. ``source`` names the file/object in errors.

    Empty, blank, comment-only and ``null`` input is an empty state. The v0.10 form is recognised by its
    field names and remembered in ``State.form``. Anything dtm could not load raises StateFormatError.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with _gc_paused():
            return _decode(bytes(data))
    except yamlv3.YAMLv3Error as exc:
        raise _format_error(source, exc.problem, exc.line) from None
    except RecursionError:
        raise _format_error(source, "the data is nested too deeply", None) from None


def _struct(ts: ToolState, form: str) -> yamlv3.Fields:
    name, iid, deps, opts, res = _FIELDS[form]

    def text(v) -> str:  # a Go string: a Timestamp (or other str subclass) becomes plain text
        return v if type(v) is str else "" if v is None else str(v)

    def string_map(d) -> dict:  # Go map[string]interface{}: keys are strings
        return {text(k): v for k, v in (d or {}).items()}

    return yamlv3.Fields((
        (name, text(ts.name)),
        (iid, text(ts.instance_id)),
        (deps, [text(d) for d in (ts.depends_on or []) if d is not None]),
        (opts, string_map(ts.options)),
        (res, string_map(ts.resource)),
    ))


def format_state(state: State) -> bytes:
    """Encode the state as dtm does: yaml.v3, indent 2, in the state's form; an empty state is 0 bytes."""
    if not state.entries:
        return b""
    form = state.form if state.form in _FIELDS else FORM_V09
    with _gc_paused():
        chunks, writer = [], yamlv3.writer()
        for key in yamlv3.sorted_keys(str(k) for k in state.entries):
            ts = state.entries[key]
            cached = state._rendered.get(key)
            if cached is None or cached[0] is not ts or cached[1] != form:
                cached = (ts, form, yamlv3.dump({key: _struct(ts, form)}, writer))
                state._rendered[key] = cached
            chunks.append(cached[2])
        return "".join(chunks).encode("utf-8")


def storable_problem(value, what: str) -> str | None:
    """None when ``value`` can be stored in the state and read back equal; else what is wrong, naming
    the dotted field path and the type."""
    from .limits import MAX_DEPTH

    todo = [(value, what, 0)]
    while todo:
        v, path, depth = todo.pop()
        if depth > MAX_DEPTH:
            return f"{path} is nested more than {MAX_DEPTH} levels deep"
        if isinstance(v, dict):
            for k, item in v.items():
                if not isinstance(k, str):
                    return f"{path} has a key {k!r} of type {type(k).__name__}; map keys must be text"
                todo.append((item, f"{path}.{k}", depth + 1))
        elif isinstance(v, list):
            todo.extend((item, f"{path}[{i}]", depth + 1) for i, item in enumerate(v))
        elif v is None or type(v) in (str, bool, float):
            continue
        elif type(v) is int:
            if not -(1 << 63) <= v < (1 << 64):
                return f"{path} is an integer outside 64 bits ({str(v)[:20]}...)"
        else:
            return (f"{path} is a {type(v).__name__}; a resource holds only text, numbers, booleans, null, lists "
                    f"and maps with text keys")
    return None
