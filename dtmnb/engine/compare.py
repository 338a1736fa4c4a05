"""Comparing options and resources the way dtm does, and saying where they differ.

``same_data`` is Go's ``cmp.Equal`` with ``EquateEmpty`` (types matter, empty equals missing);
resources are compared after a round trip through the state format on both sides (what was stored
reads back as yaml.v3 decoded it), so a float ``7.0`` and the int ``7`` it reads back as are equal.
``differences`` lists the dotted paths where two values differ, with both sides.
"""
from __future__ import annotations

from typing import Any

from ..state import State, ToolState, format_state, parse_state
from .model import ABSENT, Difference


def same_data(a: Any, b: Any) -> bool:
    """Go's cmp.Equal with EquateEmpty: types matter (1, 1.0 and True differ); empty == missing."""
    if _empty(a) and _empty(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _empty(v: Any) -> bool:
    return v is None or (isinstance(v, (dict, list)) and not v)


def normalize(resource: dict | None) -> dict:
    """A resource as it would read back from the state file (a round trip through the state format)."""
    probe = State({"x_y": ToolState("x", "y", resource=resource or {})})
    return parse_state(format_state(probe), "a plugin result").entries["x_y"].resource


def same_resource(stored: dict | None, live: dict | None) -> bool:
    """Whether a live resource matches the stored one as the state would store it. The stored side was read
    from the state, so it is normalised already; the live side is round-tripped only when it differs as
    is (dtm v0.9's ResourceDrifted does the same), which keeps planning 10,000 tools fast."""
    return same_data(stored, live) or same_data(normalize(stored), normalize(live))


def differences(before: Any, after: Any, prefix: str = "") -> list[Difference]:
    """Where ``before`` and ``after`` differ (by :func:`same_data`), as dotted paths with both sides."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[Difference] = []
        for k in sorted(set(before) | set(after), key=str):
            path = f"{prefix}{k}"
            a, b = before.get(k, ABSENT), after.get(k, ABSENT)
            if a is ABSENT or b is ABSENT:
                if not (_empty(None if a is ABSENT else a) and _empty(None if b is ABSENT else b)):
                    out.append(Difference(path, a, b))
            else:
                out.extend(differences(a, b, path + "."))
        return out
    if same_data(before, after):
        return []
    return [Difference(prefix.rstrip(".") or "(value)", before, after)]


def resource_differences(stored: dict | None, live: dict | None, prefix: str = "resource.") -> list[Difference]:
    """Where a stored and a live resource differ, both normalised as the state would store them."""
    return differences(normalize(stored), normalize(live), prefix)


__all__ = ["differences", "normalize", "resource_differences", "same_data", "same_resource"]
