"""The engine: typed plans and outcomes, no presentation.

    backend, plan, plugins = engine.prepare(cfg, Operation.APPLY)   # logs dtm's planning lines
    outcome = engine.execute(cfg, plan, backend, plugins=plugins)   # under the lock; state saved per change

``plan_apply``/``plan_delete``/``plan_destroy`` return a :class:`Plan`; ``execute`` an :class:`Outcome`.
Log lines go to the standard ``logging`` logger ``dtmnb.engine``; progress to a callback. The facade
(:mod:`dtmnb.api`) turns these into DataFrames, the notebook widget or terminal output.
"""
from __future__ import annotations

from ..backends import Backend, get_backend
from ..config import Config
from ..report import get_logger
from .execute import execute, load_state
from .model import (ABSENT, WORDS, Action, Change, ChangeResult, Difference, Operation, Outcome, Plan, Status,
                    ToolStatus)
from .planning import Plugins, plan_apply, plan_delete, plan_destroy

log = get_logger("engine")


def open_backend(cfg: Config) -> Backend:
    """The state backend the config's ``state:`` section names."""
    return get_backend(cfg.state)


def make_plan(cfg: Config, operation: Operation, backend: Backend, *, force: bool = False) -> tuple[Plan, Plugins]:
    """Read the state and plan ``operation`` against it."""
    state = load_state(backend)
    plugins = Plugins(cfg)
    version = backend.last_version
    if operation == Operation.APPLY:
        plan = plan_apply(cfg, state, plugins, version)
    elif operation == Operation.DELETE:
        plan = plan_delete(cfg, state, plugins, force=force, snapshot_version=version)
    elif operation == Operation.DESTROY:
        plan = plan_destroy(state, plugins, version)
    else:
        raise ValueError(f"cannot plan {operation!r} here")
    return plan, plugins


def prepare(cfg: Config, operation: Operation, *, force: bool = False) -> tuple[Backend, Plan, Plugins]:
    """dtm's opening: log the start and the backend, plan, and log each change's reason."""
    words = WORDS[operation]
    log.info(words.started)
    backend = open_backend(cfg)
    log.info(backend.describe())
    plan, plugins = make_plan(cfg, operation, backend, force=force)
    if not plan.changes:
        log.info(words.nothing_to_do)
    for change in plan.changes:
        log.info(change.reason)
    return backend, plan, plugins


__all__ = ["ABSENT", "WORDS", "Action", "Change", "ChangeResult", "Difference", "Operation", "Outcome", "Plan",
           "Plugins", "Status", "ToolStatus", "execute", "load_state", "make_plan", "open_backend", "plan_apply",
           "plan_delete", "plan_destroy", "prepare"]
