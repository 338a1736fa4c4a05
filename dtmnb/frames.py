"""DataFrames the public API returns. Plain pandas frames; styled views live in views.py.

Dicts stay dicts and lists stay lists in cells; ``frame.attrs["dtmnb"]`` says what a frame is.
pandas is imported here, on first use, not when ``import dtmnb`` runs.
"""
from __future__ import annotations

PLAN_COLUMNS = ["step", "key", "name", "instance_id", "action", "reason", "depends_on"]
RESULT_COLUMNS = ["step", "key", "name", "instance_id", "action", "status", "error", "seconds"]
STATE_COLUMNS = ["key", "name", "instance_id", "depends_on", "options", "resource", "outputs"]
STATUS_COLUMNS = ["key", "name", "instance_id", "status", "drifted", "differences", "stored", "live", "error"]
HISTORY_COLUMNS = ["version_id", "modified", "size", "tools", "is_latest"]
DIFF_COLUMNS = ["key", "change", "fields", "before", "after"]
LOCK_COLUMNS = ["id", "operation", "who", "created", "version"]
TOOLS_COLUMNS = ["key", "name", "instance_id", "depends_on", "options", "file", "line"]


def _frame(rows, columns, kind: str, **attrs):
    import pandas as pd

    df = pd.DataFrame(rows, columns=columns)
    df.attrs["dtmnb"] = kind
    df.attrs.update(attrs)
    return df


def plan_frame(changes, operation: str = "apply"):
    rows = [(c.step, c.tool.key, c.tool.name, c.tool.instance_id, c.action, c.reason, list(c.tool.depends_on))
            for c in changes]
    return _frame(rows, PLAN_COLUMNS, "plan", operation=operation)


def result_frame(results, operation: str = "apply", cancelled=None):
    rows = [(r.change.step, r.change.tool.key, r.change.tool.name, r.change.tool.instance_id, r.change.action,
             r.status, r.error, round(r.seconds, 3)) for r in results]
    rows += [(c.step, c.tool.key, c.tool.name, c.tool.instance_id, c.action, "skipped", "cancelled: not confirmed", 0.0)
             for c in (cancelled or [])]
    return _frame(rows, RESULT_COLUMNS, "result", operation=operation)


def state_frame(state):
    rows = [(s.key, s.name, s.instance_id, list(s.depends_on or []), s.options or {}, s.resource or {}, s.outputs)
            for s in (state.entries[k] for k in sorted(state.entries))]
    return _frame(rows, STATE_COLUMNS, "state")


def tools_frame(cfg):
    rows = [(t.key, t.name, t.instance_id, list(t.depends_on), t.options, t.file, t.line) for t in cfg.tools]
    return _frame(rows, TOOLS_COLUMNS, "tools")


def status_frame(rows):
    out = []
    for entry, live, status, error in rows:
        diffs = differences(entry.resource or {}, live or {}) if status == "drifted" else []
        out.append((entry.key, entry.name, entry.instance_id, status, status in ("drifted", "gone"), diffs,
                    entry.resource or {}, live, error))
    return _frame(out, STATUS_COLUMNS, "status")


def history_frame(rows):
    out = [(v.version_id, v.modified, v.size, count, v.is_latest) for v, count in rows]
    return _frame(out, HISTORY_COLUMNS, "history")


def diff_frame(old, new, a: str, b: str):
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


def lock_frame(info):
    rows = [] if info is None else [(info.id, info.operation, info.who, info.created, info.version)]
    return _frame(rows, LOCK_COLUMNS, "lock")


def _as_dict(s) -> dict:
    return {"depends_on": list(s.depends_on or []), "options": s.options or {}, "resource": s.resource or {}}


def differences(stored, live, prefix: str = "") -> list[str]:
    """Dotted paths where two resources differ, e.g. ``['outputs.repoURL']``."""
    if isinstance(stored, dict) and isinstance(live, dict):
        paths = []
        for k in sorted(set(stored) | set(live), key=str):
            path = f"{prefix}{k}"
            if k not in stored or k not in live:
                paths.append(path)
            else:
                paths.extend(differences(stored[k], live[k], path + "."))
        return paths
    return [] if stored == live else [prefix.rstrip(".") or "(value)"]
