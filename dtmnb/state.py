"""The state: a map ``<name>_<instanceID>`` -> ToolState, read and written exactly as dtm does.

Two on-disk forms exist: dtm v0.6-v0.9 (fields ``name, instanceid, dependson, options, resource``) and
v0.10 (``name, instanceID, dependsOn, options, resourceStatus``). A state remembers the form it was read in
and is written back in that form; a new state uses the v0.6-v0.9 form (the tutorial's).

TEMPORARY IMPLEMENTATION: parse/format use PyYAML and are not yet byte-exact with yaml.v3; they are
replaced by the yamlv3-based implementation (same public API).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

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


def parse_state(data: bytes, source: str) -> State:
    """Decode state bytes as dtm's yaml.v3 would. ``source`` names the file/object in errors."""
    import yaml

    try:
        raw = yaml.safe_load(data.decode("utf-8")) if data.strip() else None
    except Exception as exc:  # noqa: BLE001
        raise StateFormatError(f"{source} is not valid state: {exc}") from None
    if raw is None:
        return State()
    if not isinstance(raw, dict):
        raise StateFormatError(f"{source} is not valid state: the top level must be a map")
    state = State()
    for key, entry in raw.items():
        entry = entry or {}
        if "instanceID" in entry or "resourceStatus" in entry or "dependsOn" in entry:
            state.form = FORM_V10
            ts = ToolState(str(entry.get("name") or ""), str(entry.get("instanceID") or ""),
                           list(entry.get("dependsOn") or []), entry.get("options") or {},
                           entry.get("resourceStatus") or {})
        else:
            ts = ToolState(str(entry.get("name") or ""), str(entry.get("instanceid") or ""),
                           list(entry.get("dependson") or []), entry.get("options") or {},
                           entry.get("resource") or {})
        state.entries[str(key)] = ts
    return state


def format_state(state: State) -> bytes:
    """Encode the state as dtm's yaml.v3 encoder would (an empty state is 0 bytes)."""
    import yaml

    if not state.entries:
        return b""
    names = ("name", "instanceid", "dependson", "options", "resource") if state.form == FORM_V09 else (
        "name", "instanceID", "dependsOn", "options", "resourceStatus")
    out = {}
    for key in sorted(state.entries):
        ts = state.entries[key]
        out[key] = dict(zip(names, (ts.name, ts.instance_id, list(ts.depends_on), ts.options, ts.resource)))
    return yaml.safe_dump(out, sort_keys=False, allow_unicode=True).encode("utf-8")
