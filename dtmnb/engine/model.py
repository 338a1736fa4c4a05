"""The engine's typed results: operations, actions and statuses as enums; plans, changes and outcomes.

Everything here is plain data. The facade (:mod:`dtmnb.api`) turns it into DataFrames, a widget or
terminal lines; the values of the enums are the words users see in those frames (``"Create"``,
``"succeeded"``), so ``Action.CREATE == "Create"``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..config import Tool
from ..state import ToolState


class _Word(str, Enum):
    """A str enum that prints as its value."""

    def __str__(self) -> str:
        return str(self.value)


class Operation(_Word):
    """What a run does: ``apply`` the config, ``delete`` the config's tools, ``destroy`` the state's tools,
    or ``import`` existing things into the state."""

    APPLY = "apply"
    DELETE = "delete"
    DESTROY = "destroy"
    IMPORT = "import"


class Action(_Word):
    """What one change does. ``Replace`` deletes what the state recorded, then creates the new one."""

    CREATE = "Create"
    UPDATE = "Update"
    REPLACE = "Replace"
    DELETE = "Delete"
    IMPORT = "Import"


class Status(_Word):
    """How one change ended. ``skipped``: not run (a dependency failed, or the run was not confirmed);
    ``unchanged``: planned because an upstream output might change, and it did not, so nothing ran."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Words:
    """dtm's log wording for one operation."""

    started: str
    nothing_to_do: str
    all_done: str
    finished: str
    failed: str


WORDS = {
    Operation.APPLY: Words("Apply started.", "No changes done since last apply. There is nothing to do.",
                           "All plugins applied successfully.", "Apply finished.", "Apply failed =>"),
    Operation.DELETE: Words("Delete started.", "Nothing needs to be deleted. There is nothing to do.",
                            "All plugins deleted successfully.", "Delete finished.", "Delete failed =>"),
    Operation.DESTROY: Words("Destroy started.", "No tools have been deployed now. There is nothing to do.",
                             "All plugins destroyed successfully.", "Destroy finished.", "Destroy failed =>"),
    Operation.IMPORT: Words("Import started.", "Nothing to import. There is nothing to do.",
                            "All tools imported successfully.", "Import finished.", "Import failed =>"),
}


@dataclass(frozen=True)
class Difference:
    """One attribute that differs: ``path`` is dotted (``options.content``); a side that has no such
    attribute is :data:`ABSENT`."""

    path: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.path}: {_short(self.before)} -> {_short(self.after)}"


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


#: the value of a side of a Difference that does not have the attribute
ABSENT: Any = _Absent()


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass
class Change:
    """One planned change.

    ``tool`` is the config's tool (for a tool no longer in the config: rebuilt from the state); ``prior`` is
    what the state recorded for it (None for a Create); ``after`` lists the keys of the changes that must
    succeed before this one runs; ``awaits`` the keys of upstream changes whose outputs this tool's options
    reference (its options are known after they apply); ``only_if_changed``: planned only for those outputs,
    so it runs only if its resolved options differ from the state's (else it is recorded as unchanged).
    """

    tool: Tool
    action: Action
    reason: str
    prior: ToolState | None = None
    diff: tuple[Difference, ...] = ()
    step: int = 0
    after: list[str] = field(default_factory=list)
    awaits: tuple[str, ...] = ()
    only_if_changed: bool = False

    @property
    def key(self) -> str:
        return self.tool.key

    @property
    def label(self) -> str:
        """``name/instanceID``, as dtm's log lines write a tool."""
        return f"{self.tool.name}/{self.tool.instance_id}"


@dataclass
class Plan:
    """The changes a run will make, in execution order, and the state version they were planned from."""

    operation: Operation
    changes: list[Change]
    snapshot_version: str | None = None

    def __len__(self) -> int:
        return len(self.changes)

    def counts(self) -> dict[Action, int]:
        return {a: sum(1 for c in self.changes if c.action == a) for a in Action}

    @property
    def destructive(self) -> bool:
        """Whether the plan deletes or replaces anything."""
        return any(c.action in (Action.DELETE, Action.REPLACE) for c in self.changes)

    def summary(self) -> str:
        """``Plan: 1 to create, 0 to update, 0 to replace, 0 to delete.`` (Terraform's line)."""
        if self.operation == Operation.IMPORT:
            return f"Plan: {len(self.changes)} to import."
        n = self.counts()
        return (f"Plan: {n[Action.CREATE]} to create, {n[Action.UPDATE]} to update, {n[Action.REPLACE]} to "
                f"replace, {n[Action.DELETE]} to delete.")


@dataclass
class ChangeResult:
    """How one change ended; ``error`` is the message for people (secrets removed)."""

    change: Change
    status: Status
    error: str = ""
    seconds: float = 0.0


@dataclass
class Outcome:
    """What a run did: one result per planned change, and a run-level ``problem`` that came after the
    changes (e.g. the lock could not be removed) or ``""``. ``cancelled``: nobody confirmed, nothing ran."""

    plan: Plan
    results: list[ChangeResult]
    problem: str = ""
    cancelled: bool = False

    @classmethod
    def not_confirmed(cls, plan: Plan) -> Outcome:
        return cls(plan, [ChangeResult(c, Status.SKIPPED, "cancelled: not confirmed") for c in plan.changes],
                   cancelled=True)

    @property
    def ok(self) -> bool:
        return not self.problem and all(r.status in (Status.SUCCEEDED, Status.UNCHANGED) for r in self.results)

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass
class ToolStatus:
    """Drift of one tool in the state: ``status`` is ``in sync``, ``drifted``, ``gone`` or ``error``."""

    entry: ToolState
    status: str
    live: dict | None = None
    differences: tuple[Difference, ...] = ()
    error: str = ""


__all__ = ["ABSENT", "Action", "Change", "ChangeResult", "Difference", "Operation", "Outcome", "Plan", "Status",
           "ToolStatus", "WORDS", "Words"]
