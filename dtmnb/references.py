"""Outputs references ``${{ NAME.INSTANCE.outputs.KEY }}``, resolved right before a change runs.

Unlike dtm, every reference in a string is resolved on its own, lists are walked, dotted instance ids
work, and a string that is exactly one reference takes the output's value with its type.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .errors import OutputsReferenceError

if TYPE_CHECKING:
    from .state import State

REFERENCE = re.compile(r"\$\{\{\s*([^.\s{}]+)\.(\S+?)\.outputs\.([^\s{}]+?)\s*\}\}")


def references_in(value: Any) -> list[str]:
    """The tools (``NAME.INSTANCE``) whose outputs ``value`` references, in order of appearance, once each."""
    found: dict[str, None] = {}
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, dict):
            todo.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            todo.extend(reversed(v))
        elif isinstance(v, str) and "${{" in v:
            for m in REFERENCE.finditer(v):
                found.setdefault(f"{m.group(1)}.{m.group(2)}")
    return list(found)


def resolve(value: Any, state: State, *, strict: bool = True) -> Any:
    """Return a copy of ``value`` with references replaced by outputs from ``state`` (a State).

    With ``strict=False`` an unresolvable reference is left as written (plan time, like dtm);
    with ``strict=True`` it raises OutputsReferenceError naming the reference and what is missing.
    """
    if isinstance(value, dict):
        return {k: resolve(v, state, strict=strict) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, state, strict=strict) for v in value]
    if not isinstance(value, str) or "${{" not in value:
        return value

    whole = REFERENCE.fullmatch(value.strip())
    if whole:
        found, out = _lookup(whole, state, strict)
        return out if found else value

    def replace(match: re.Match[str]) -> str:
        found, out = _lookup(match, state, strict)
        return str(out) if found else match.group(0)

    return REFERENCE.sub(replace, value)


def _lookup(match: re.Match[str], state: State, strict: bool) -> tuple[bool, Any]:
    name, instance, key = match.groups()
    state_key = f"{name}_{instance}"
    entry = state.get(state_key)
    problem = None
    outputs = (entry.resource or {}).get("outputs") if entry is not None else None
    if entry is None:
        problem = (f"tool {name}.{instance} is not in the state (it has not been created yet, or its "
                   f"Create failed); add it to dependsOn so it runs first")
    elif not isinstance(outputs, dict):
        problem = f"tool {name}.{instance} has no outputs in the state"
    elif key not in outputs:
        have = ", ".join(sorted(map(str, outputs))) or "none"
        problem = f"tool {name}.{instance} has no output '{key}' (its outputs: {have})"
    if problem:
        if strict:
            raise OutputsReferenceError(f"cannot resolve {match.group(0)}: {problem}")
        return False, None
    assert isinstance(outputs, dict)
    return True, outputs[key]
