"""The engine: typed plans and outcomes, no presentation.

    backend, plan, plugins = engine.prepare(cfg, Operation.APPLY)   # logs dtm's planning lines
    outcome = engine.execute(cfg, plan, backend, plugins=plugins)   # under the lock; state saved per change

``plan_apply``/``plan_delete``/``plan_destroy`` return a :class:`Plan`; ``execute`` an :class:`Outcome`.
Log lines go to the standard ``logging`` logger ``dtmnb.engine``; progress to a callback. The facade
(:mod:`dtmnb.api`) turns these into DataFrames, the notebook widget or terminal output.
"""
from __future__ import annotations

import uuid

from ..backends import Backend, WriteInfo, get_backend
from ..backends.base import who_am_i
from ..config import Config
from ..errors import UsageError
from ..report import get_logger
from ..state import format_state
from .execute import execute, load_state
from .model import ABSENT, WORDS, Action, Change, ChangeResult, Difference, Operation, Outcome, Plan, Status, ToolStatus
from .planning import Plugins, plan_apply, plan_delete, plan_destroy, plan_import

log = get_logger("engine")


def open_backend(cfg: Config) -> Backend:
    """The state backend the config's ``state:`` section names."""
    return get_backend(cfg.state)


def make_plan(cfg: Config, operation: Operation, backend: Backend, *, force: bool = False,
              refs: list[str] | None = None) -> tuple[Plan, Plugins]:
    """Read the state and plan ``operation`` against it (``refs``: the tools to import)."""
    state = load_state(backend)
    plugins = Plugins(cfg)
    version = backend.last_version
    if operation == Operation.APPLY:
        plan = plan_apply(cfg, state, plugins, version)
    elif operation == Operation.DELETE:
        plan = plan_delete(cfg, state, plugins, force=force, snapshot_version=version)
    elif operation == Operation.DESTROY:
        plan = plan_destroy(state, plugins, version)
    elif operation == Operation.IMPORT:
        plan = plan_import(cfg, state, list(refs or []), version)
    else:
        raise ValueError(f"cannot plan {operation!r} here")
    return plan, plugins


def prepare(cfg: Config, operation: Operation, *, force: bool = False,
            refs: list[str] | None = None) -> tuple[Backend, Plan, Plugins]:
    """dtm's opening: log the start and the backend, plan, and log each change's reason."""
    words = WORDS[operation]
    log.info(words.started)
    backend = open_backend(cfg)
    log.info(backend.describe())
    plan, plugins = make_plan(cfg, operation, backend, force=force, refs=refs)
    if not plan.changes:
        log.info(words.nothing_to_do)
    for change in plan.changes:
        log.info(change.reason)
    return backend, plan, plugins


def forget(backend: Backend, refs: list[str]) -> list[str]:
    """Drop tools from the state without touching what they made (``terraform state rm``); returns the
    keys removed. ``refs`` are ``NAME.INSTANCE`` or ``NAME_INSTANCE``; an unknown one changes nothing."""
    with backend.locked("forget", enabled=backend.use_lockfile, intent=tuple(f"forget {r}" for r in refs)) as lock:
        state = load_state(backend)
        by_ref = {f"{s.name}.{s.instance_id}": s.key for s in state.entries.values()}
        keys: list[str] = []
        unknown: list[str] = []
        for ref in dict.fromkeys(refs):
            key = ref if ref in state else by_ref.get(ref)
            if key:
                keys.append(key)
            else:
                unknown.append(ref)
        if unknown:
            held = ", ".join(sorted(by_ref)) or "nothing"
            raise UsageError(f"not in the state: {', '.join(unknown)} (it holds: {held})")
        for key in keys:
            state.remove(key)
        backend.write(format_state(state), WriteInfo(lock.id if lock else uuid.uuid4().hex, "forget",
                                                     ",".join(keys), who=who_am_i()))
        for key in keys:
            log.info(f"Tool '{key}' removed from the state; what it made was left as it is.")
    return keys


__all__ = ["ABSENT", "WORDS", "Action", "Change", "ChangeResult", "Difference", "Operation", "Outcome", "Plan",
           "Plugins", "Status", "ToolStatus", "execute", "forget", "load_state", "make_plan", "open_backend",
           "plan_apply", "plan_delete", "plan_destroy", "plan_import", "prepare"]
