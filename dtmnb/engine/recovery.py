"""After a run died: what its lock says it meant to do, and what the state shows it finished.

A run writes its plan into the lock (``LockInfo.intent``: ``"step key action"`` lines) and each state write
says which step it records (``WriteInfo``). When the lock outlives its run (the process was killed), the
next run reads both and names the change that was in flight, which may exist without being in the state.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..backends import LockInfo, WriteInfo
from ..state import State


@dataclass(frozen=True)
class IntendedChange:
    step: int
    key: str
    action: str


def intended(lock: LockInfo) -> list[IntendedChange]:
    out = []
    for line in lock.intent:
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            out.append(IntendedChange(int(parts[0]), parts[1], parts[2]))
    return out


def unrecorded(lock: LockInfo, state: State, last_write: WriteInfo | None = None) -> list[IntendedChange]:
    """The intended changes the state does not show as done, in plan order. When the state's latest version
    was written by this lock's run, its step tells exactly; otherwise Creates and Imports are done when
    their key is in the state, Deletes when it is not, and Updates/Replaces count as not done."""
    changes = intended(lock)
    if last_write is not None and last_write.run_id == lock.id and last_write.step:
        done_keys = {c.key for c in changes if c.step <= last_write.step}
        return [c for c in changes if c.key not in done_keys]
    return [c for c in changes if not _looks_done(c, state)]


def _looks_done(change: IntendedChange, state: State) -> bool:
    if change.action in ("Create", "Import"):
        return change.key in state
    if change.action == "Delete":
        return change.key not in state
    return False


def describe(lock: LockInfo, state: State, last_write: WriteInfo | None = None) -> str:
    """A paragraph for people: which planned changes are not recorded and what to do about them."""
    changes = intended(lock)
    if not changes:
        return ""
    left = unrecorded(lock, state, last_write)
    if not left:
        return (f" The run had planned {len(changes)} change(s); the state records all of them, so only the lock "
                f"was left behind.")
    first = left[0]
    rest = ", ".join(f"step {c.step} {c.key} {c.action}" for c in left[1:6])
    more = f" (and {len(left) - 6} more)" if len(left) > 6 else ""
    return (f" The run had planned {len(changes)} change(s); {len(changes) - len(left)} are recorded in the state. "
            f"Step {first.step}, {first.key} {first.action}, was probably running when it stopped: it may exist "
            f"without being in the state." + (f" Not done either: {rest}{more}." if rest else "") +
            " After removing the lock, run plan; a Create that fails with 'already exists' is taken over with "
            "`dtmnb import -f CONFIG NAME.INSTANCE`.")


__all__ = ["IntendedChange", "describe", "intended", "unrecorded"]
