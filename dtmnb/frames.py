"""DataFrames the public API returns, built from the engine's typed results. Styled views live in views.py.

Dicts stay dicts and lists stay lists in cells; ``frame.attrs["dtmnb"]`` says what a frame is.
pandas is imported here, on first use, not when ``import dtmnb`` runs.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine.model import ABSENT

if TYPE_CHECKING:
    import pandas as pd

    from .backends import LockInfo
    from .config import Config
    from .engine import Difference, Outcome, Plan, ToolStatus
    from .engine.queries import VersionSummary
    from .state import State, ToolState

PLAN_COLUMNS = ["step", "key", "name", "instance_id", "action", "reason", "depends_on", "diff"]
RESULT_COLUMNS = ["step", "key", "name", "instance_id", "action", "status", "error", "seconds"]
STATE_COLUMNS = ["key", "name", "instance_id", "depends_on", "options", "resource", "outputs"]
STATUS_COLUMNS = ["key", "name", "instance_id", "status", "drifted", "differences", "stored", "live", "error"]
HISTORY_COLUMNS = ["version_id", "modified", "size", "tools", "is_latest"]
DIFF_COLUMNS = ["key", "change", "fields", "before", "after"]
LOCK_COLUMNS = ["id", "operation", "who", "created", "version", "stale", "intent"]
TOOLS_COLUMNS = ["key", "name", "instance_id", "depends_on", "options", "file", "line"]


def _frame(rows: list, columns: list[str], kind: str, **attrs: Any) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows, columns=columns)
    df.attrs["dtmnb"] = kind
    df.attrs.update(attrs)
    return df


def plan_frame(plan: Plan) -> pd.DataFrame:
    """One row per change; ``diff`` lists ``{"path", "before", "after"}`` for each attribute that caused it
    (``before``/``after`` None when that side has no such attribute)."""
    rows = [(c.step, c.key, c.tool.name, c.tool.instance_id, str(c.action), c.reason, list(c.tool.depends_on),
             [diff_entry(d) for d in c.diff]) for c in plan.changes]
    return _frame(rows, PLAN_COLUMNS, "plan", operation=str(plan.operation), summary=plan.summary())


def diff_entry(d: Difference) -> dict:
    return {"path": d.path, "before": None if d.before is ABSENT else d.before,
            "after": None if d.after is ABSENT else d.after}


def result_frame(outcome: Outcome) -> pd.DataFrame:
    rows = [(r.change.step, r.change.key, r.change.tool.name, r.change.tool.instance_id, str(r.change.action),
             str(r.status), r.error, round(r.seconds, 3)) for r in outcome.results]
    return _frame(rows, RESULT_COLUMNS, "result", operation=str(outcome.plan.operation), problem=outcome.problem,
                  cancelled=outcome.cancelled)


def state_frame(state: State) -> pd.DataFrame:
    rows = [(s.key, s.name, s.instance_id, list(s.depends_on or []), s.options or {}, s.resource or {}, s.outputs)
            for s in (state.entries[k] for k in sorted(state.entries))]
    return _frame(rows, STATE_COLUMNS, "state")


def tools_frame(cfg: Config) -> pd.DataFrame:
    rows = [(t.key, t.name, t.instance_id, list(t.depends_on), t.options, t.file, t.line) for t in cfg.tools]
    return _frame(rows, TOOLS_COLUMNS, "tools")


def status_frame(rows: list[ToolStatus]) -> pd.DataFrame:
    out = [(r.entry.key, r.entry.name, r.entry.instance_id, r.status, r.status in ("drifted", "gone"),
            [d.path for d in r.differences], r.entry.resource or {}, r.live, r.error) for r in rows]
    return _frame(out, STATUS_COLUMNS, "status")


def history_frame(rows: list[VersionSummary]) -> pd.DataFrame:
    out = [(r.version.version_id, r.version.modified, r.version.size, r.tools, r.version.is_latest) for r in rows]
    return _frame(out, HISTORY_COLUMNS, "history")


def diff_frame(old: State, new: State, a: str, b: str) -> pd.DataFrame:
    rows = []
    for key in sorted(set(old.entries) | set(new.entries)):
        before, after = old.get(key), new.get(key)
        if before is None:
            rows.append((key, "added", [], None, _as_dict(after)))
        elif after is None:
            rows.append((key, "removed", [], _as_dict(before), None))
        else:
            bd, ad = _as_dict(before), _as_dict(after)
            fields = [f for f in bd if bd[f] != ad[f]]
            if fields:
                rows.append((key, "changed", fields, bd, ad))
    return _frame(rows, DIFF_COLUMNS, "diff", version_a=a, version_b=b)


def lock_frame(info: LockInfo | None) -> pd.DataFrame:
    rows = [] if info is None else [(info.id, info.operation, info.who, info.created, info.version,
                                     info.holder_gone(), list(info.intent))]
    return _frame(rows, LOCK_COLUMNS, "lock")


def _as_dict(s: ToolState | None) -> dict:
    if s is None:
        return {}
    return {"depends_on": list(s.depends_on or []), "options": s.options or {}, "resource": s.resource or {}}


__all__ = ["diff_frame", "history_frame", "lock_frame", "plan_frame", "result_frame", "state_frame", "status_frame",
           "tools_frame"]
