"""Read-only questions about the state: drift per tool, the state's history, two versions compared."""
from __future__ import annotations

from dataclasses import dataclass

from ..backends import Backend, StateVersion
from ..config import Config
from ..errors import DtmnbError, UsageError
from ..redact import redact
from ..state import State, parse_state
from .compare import resource_differences
from .model import ToolStatus
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


def versions_to_compare(backend: Backend, a: str | None, b: str | None) -> tuple[str, str]:
    """``a`` and ``b``, defaulting to the previous and the latest version."""
    if a is not None and b is not None:
        return a, b
    versions = [v.version_id for v in backend.history()]
    if len(versions) < 2:
        raise UsageError(f"the state {backend.location} has {len(versions)} version(s); a diff needs two")
    return (a or versions[1]), (b or versions[0])


def read_version(backend: Backend, version_id: str) -> State:
    return parse_state(backend.read_version(version_id), f"{backend.location}@{version_id}")


__all__ = ["VersionSummary", "history", "read_version", "status", "versions_to_compare"]
