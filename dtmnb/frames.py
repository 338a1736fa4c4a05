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
    from .engine.explore import StateObject
    from .engine.queries import RunSummary, StateChange, VersionSummary
    from .state import State

PLAN_COLUMNS = ["step", "key", "name", "instance_id", "action", "reason", "depends_on", "diff"]
RESULT_COLUMNS = ["step", "key", "name", "instance_id", "action", "status", "error", "seconds"]
STATE_COLUMNS = ["key", "name", "instance_id", "depends_on", "options", "resource", "outputs"]
STATUS_COLUMNS = ["key", "name", "instance_id", "status", "drifted", "differences", "stored", "live", "error"]
HISTORY_COLUMNS = ["version_id", "modified", "size", "tools", "is_latest", "run", "operation", "tool", "step", "who"]
RUNS_COLUMNS = ["run", "operation", "who", "started", "finished", "writes", "tools", "before", "after"]
DIFF_COLUMNS = ["key", "change", "path", "before", "after"]
LOCK_COLUMNS = ["id", "operation", "who", "created", "version", "stale", "intent"]
TOOLS_COLUMNS = ["key", "name", "instance_id", "depends_on", "options", "file", "line"]
SCAN_COLUMNS = ["key", "tools", "size", "modified", "locked_by", "versions", "error"]


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


def scan_frame(found: list[StateObject]) -> pd.DataFrame:
    rows = [(o.key, len(o.state) if o.state is not None else None, o.size, o.modified,
             o.lock.who if o.lock else None, o.versions, o.error) for o in found]
    return _frame(rows, SCAN_COLUMNS, "scan")


def tools_of_states(found: list[StateObject]) -> pd.DataFrame:
    """The tools of several states as one table, each row naming its state object."""
    import pandas as pd

    parts = []
    for o in found:
        if o.state is not None and len(o.state):
            part = state_frame(o.state)
            part.insert(0, "state_key", o.key)
            parts.append(part)
    frame = pd.concat(parts, ignore_index=True) if parts else _frame([], ["state_key", *STATE_COLUMNS], "state")
    frame.attrs["dtmnb"] = "state"
    return frame


def tools_frame(cfg: Config) -> pd.DataFrame:
    rows = [(t.key, t.name, t.instance_id, list(t.depends_on), t.options, t.file, t.line) for t in cfg.tools]
    return _frame(rows, TOOLS_COLUMNS, "tools")


def status_frame(rows: list[ToolStatus]) -> pd.DataFrame:
    out = [(r.entry.key, r.entry.name, r.entry.instance_id, r.status, r.status in ("drifted", "gone"),
            [d.path for d in r.differences], r.entry.resource or {}, r.live, r.error) for r in rows]
    return _frame(out, STATUS_COLUMNS, "status")


def history_frame(rows: list[VersionSummary]) -> pd.DataFrame:
    """One row per version, newest first: when, how big, how many tools, and which run wrote it (the
    run's id, operation, the tool whose change it records and that change's step, and who)."""
    out = []
    for r in rows:
        v, info = r.version, r.version.info
        out.append((v.version_id, v.modified, v.size, r.tools, v.is_latest, info.run_id if info else None,
                    info.operation if info else None, info.tool if info else None,
                    info.step if info and info.step else None, info.who if info else None))
    return _frame(out, HISTORY_COLUMNS, "history")


def runs_frame(rows: list[RunSummary], writes: dict[str, int]) -> pd.DataFrame:
    """One row per run, newest first: what it did, who ran it, when, the tools it changed, and the versions
    before and after it (what ``state_diff(cfg, run=...)`` compares)."""
    out = [(r.run_id, r.operation, r.who, r.started, r.finished, writes.get(r.run_id, 0), list(r.tools),
            r.before, r.last) for r in rows]
    return _frame(out, RUNS_COLUMNS, "runs")


def diff_frame(changes: list[StateChange], a: str | None, b: str) -> pd.DataFrame:
    """What changed between two states, one row per dotted path (``options.content``); a tool added or
    removed is one row with the whole entry on its side."""
    rows = [(c.key, c.change, c.path, c.before, c.after) for c in changes]
    return _frame(rows, DIFF_COLUMNS, "diff", version_a=a or "(empty)", version_b=b)


def lock_frame(info: LockInfo | None) -> pd.DataFrame:
    rows = [] if info is None else [(info.id, info.operation, info.who, info.created, info.version,
                                     info.holder_gone(), list(info.intent))]
    return _frame(rows, LOCK_COLUMNS, "lock")


__all__ = ["diff_frame", "history_frame", "lock_frame", "plan_frame", "result_frame", "runs_frame", "scan_frame",
           "state_frame", "status_frame", "tools_frame", "tools_of_states"]
