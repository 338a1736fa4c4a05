"""Read-only questions about the state: drift per tool, the state's history, two versions compared."""
from __future__ import annotations

from dataclasses import dataclass

from ..backends import Backend, StateVersion, WriteInfo
from ..config import Config
from ..errors import DtmnbError, UsageError
from ..redact import redact
from ..state import State, ToolState, parse_state
from .compare import differences, resource_differences
from .model import ABSENT, ToolStatus
from .planning import Plugins


def status(cfg: Config, state: State, plugin: str | None = None, instance_id: str | None = None) -> list[ToolStatus]:
    """For each tool in the state (or the one named), the stored resource vs what its plugin reads now,
    read with the options the state recorded."""
    plugins = Plugins(cfg)
    rows = []
    for entry in state.to_list():
        if (plugin and entry.name != plugin) or (instance_id and entry.instance_id != instance_id):
            continue
        try:
            live = plugins.get(entry.name).read(entry.options or {})
        except Exception as exc:
            error = redact(str(exc) if isinstance(exc, DtmnbError) else f"{type(exc).__name__}: {exc}")
            rows.append(ToolStatus(entry, "error", error=error))
            continue
        if live is None:
            rows.append(ToolStatus(entry, "gone"))
            continue
        diffs = tuple(resource_differences(entry.resource, live, ""))
        rows.append(ToolStatus(entry, "drifted" if diffs else "in sync", live, diffs))
    if (plugin or instance_id) and not rows:
        raise UsageError(f"state with (id: {instance_id or 'default'}, plugin: {plugin}) not found")
    return rows


@dataclass(frozen=True)
class VersionSummary:
    """One version of the state and how many tools it holds (None when it cannot be parsed)."""

    version: StateVersion
    tools: int | None


def history(backend: Backend) -> list[VersionSummary]:
    """Versions of the state (S3 object versions; local: current and backup), newest first."""
    rows = []
    for v in backend.history():
        try:
            count: int | None = len(parse_state(backend.read_version(v.version_id),
                                                f"{backend.location}@{v.version_id}"))
        except DtmnbError:
            count = None
        rows.append(VersionSummary(v, count))
    return rows


@dataclass(frozen=True)
class RunSummary:
    """One run (apply, delete, destroy, import, forget) as the versions it wrote tell it, oldest write first.
    ``before`` is the version the run started from: None when the state did not exist yet, ``""`` when that
    version is not kept (the local backend keeps only the current state and one backup)."""

    run_id: str
    operation: str
    who: str
    started: object
    finished: object
    tools: tuple[str, ...]
    first: str
    last: str
    before: str | None


def runs(versions: list[StateVersion], complete: bool = True) -> list[RunSummary]:
    """The runs that wrote ``versions`` (newest first, as history lists them), newest run first. Versions
    written without run information (by dtm, or before dtmnb recorded it) each count as a run of their own.
    ``complete``: the versions go back to the state's first write (else what came before is unknown)."""
    oldest_first = list(reversed(versions))
    groups: list[list[int]] = []
    for i, v in enumerate(oldest_first):
        run = v.info.run_id if v.info else ""
        if groups and run and (oldest_first[groups[-1][0]].info or _NO_INFO).run_id == run:
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    for group in groups:
        first, last = oldest_first[group[0]], oldest_first[group[-1]]
        info = last.info or _NO_INFO
        before = oldest_first[group[0] - 1].version_id if group[0] > 0 else None if complete else ""
        tools = tuple(dict.fromkeys(t for i in group for t in ((oldest_first[i].info or _NO_INFO).tool or "").split(",")
                                    if t))
        out.append(RunSummary(info.run_id or "(unknown)", info.operation or "(unknown)", info.who, first.modified,
                              last.modified, tools, first.version_id, last.version_id, before))
    return list(reversed(out))


_NO_INFO = WriteInfo("", "")


def versions_to_compare(backend: Backend, a: str | None, b: str | None,
                        run: str | None = None) -> tuple[str | None, str]:
    """The two versions a diff compares: ``a`` and ``b`` (version ids, or run ids meaning the state after that
    run), or the state before and after ``run``; by default before and after the latest run. ``None`` on the
    left means "before the state existed" (an empty state)."""
    versions = backend.history()
    if not versions:
        raise UsageError(f"the state {backend.location} has no versions yet; a diff needs one")
    known = runs(versions, backend.full_history)
    by_run = {r.run_id: r for r in known}

    def resolve_id(ref: str) -> str:
        matches = [r for r in known if r.run_id == ref or (len(ref) >= 6 and r.run_id.startswith(ref))]
        if len(matches) == 1:
            return matches[0].last
        return ref   # a version id (the backend names the problem if it is not one)

    if run is not None:
        match = by_run.get(run) or next((r for r in known if r.run_id.startswith(run)), None)
        if match is None:
            raise UsageError(f"no run {run!r} in the history of {backend.location}; runs: "
                             f"{', '.join(r.run_id for r in known[:10]) or 'none'} (see state_history(cfg, by='run'))")
        if match.before == "":
            raise UsageError(f"the version before run {match.run_id} is no longer kept by the {backend.name} "
                             f"backend; compare two versions it keeps: state_diff(cfg, a, b)")
        return match.before, match.last
    if a is None and b is None:
        if known[0].before != "":
            return known[0].before, known[0].last
        b = versions[0].version_id   # what came before the latest run is not kept: its last change, then
    b = resolve_id(b) if b is not None else versions[0].version_id
    if a is not None:
        return resolve_id(a), b
    ids = [v.version_id for v in versions]   # newest first: the one after b in this list came before it
    at = ids.index(b) if b in ids else -1
    return (ids[at + 1] if 0 <= at < len(ids) - 1 else None), b


@dataclass(frozen=True)
class StateChange:
    """One difference between two states: a tool ``added`` or ``removed`` (``path`` empty, the whole entry on
    its side), or one ``changed`` attribute at a dotted ``path`` (``options.content``)."""

    key: str
    change: str
    path: str
    before: object
    after: object


def state_changes(old: State, new: State) -> list[StateChange]:
    """What changed from ``old`` to ``new``, tool by tool (sorted by key), attribute by attribute."""
    out: list[StateChange] = []
    for key in sorted(set(old.entries) | set(new.entries)):
        before, after = old.get(key), new.get(key)
        if before is None:
            out.append(StateChange(key, "added", "", None, _entry(after)))
        elif after is None:
            out.append(StateChange(key, "removed", "", _entry(before), None))
        else:
            out += [StateChange(key, "changed", d.path, None if d.before is ABSENT else d.before,
                                None if d.after is ABSENT else d.after)
                    for d in differences(_entry(before), _entry(after))]
    return out


def _entry(s: ToolState | None) -> dict:
    if s is None:
        return {}
    return {"depends_on": list(s.depends_on or []), "options": s.options or {}, "resource": s.resource or {}}


def read_version(backend: Backend, version_id: str | None) -> State:
    """The state at ``version_id``; None is the empty state before the first write."""
    if version_id is None:
        return State()
    return parse_state(backend.read_version(version_id), f"{backend.location}@{version_id}")


__all__ = ["RunSummary", "StateChange", "VersionSummary", "history", "read_version", "runs", "state_changes", "status",
           "versions_to_compare"]
