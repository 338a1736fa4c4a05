"""The public calls (``dtmnb.plan``, ``dtmnb.apply``, ...): a thin facade over the typed engine.

Each call takes a loaded :class:`~dtmnb.config.Config` or a path to a config file, routes the engine's log
lines to a console for its length, and turns the engine's typed results into DataFrames. Only here is it
decided how to confirm an apply: ``auto_approve`` (or ``DTMNB_AUTO_APPROVE=1``), the Apply/Cancel widget in
a notebook, or ``Continue? [y/n]`` on a terminal.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Union

from . import config as _config_module
from . import console as _console
from . import engine, frames
from .console import Console, TerminalConsole, attach
from .engine import Operation, Outcome, Status, recovery
from .engine.queries import history, read_version, runs, state_changes, status, versions_to_compare
from .errors import ChangesFailedError, UsageError
from .report import get_logger

if TYPE_CHECKING:
    import pandas as pd

    from .config import Config
    from .ui import PendingApply
    from .views import DependencyGraph

ConfigLike = Union["Config", str, "os.PathLike[str]"]
log = get_logger("api")


def load_config(path: str | os.PathLike[str], console: Console | None = None) -> Config:
    """Read a dtm config (the three-file form, one file split by ``---``, or the v0.10 form).

    Raises one :class:`~dtmnb.errors.ConfigError` listing every problem, each with its file, line and fix.
    What the loader ignored (e.g. a tools section shadowed by ``toolFile``) is logged as a warning.
    """
    with attach(console or Console()):
        cfg = _config_module.load_config(Path(path))
        for warning in cfg.warnings:
            log.warning(warning)
    return cfg


def _as_config(cfg: ConfigLike) -> Config:
    if isinstance(cfg, _config_module.Config):
        return cfg
    if isinstance(cfg, (str, os.PathLike)):
        return load_config(cfg)
    raise UsageError(f"expected a config (dtmnb.load_config(\"config.yaml\")) or the path of a config file, "
                     f"not {type(cfg).__name__}")


def auto_approve_from_env(auto_approve: bool | None) -> bool:
    """``auto_approve`` when given, else whether ``DTMNB_AUTO_APPROVE`` is set to a true word."""
    if auto_approve is not None:
        return bool(auto_approve)
    return os.environ.get("DTMNB_AUTO_APPROVE", "").strip().lower() in {"1", "true", "yes", "y"}


# ---- planning and running ---------------------------------------------------------------------------

def plan(cfg: ConfigLike, console: Console | None = None) -> pd.DataFrame:
    """The changes ``apply`` would make, as a DataFrame (one row per change, in execution order)."""
    return frames.plan_frame(_plan(_as_config(cfg), console))


def _plan(cfg: Config, console: Console | None = None) -> engine.Plan:
    with attach(console or Console()):
        return engine.make_plan(cfg, Operation.APPLY, engine.open_backend(cfg))[0]


def apply(cfg: ConfigLike, auto_approve: bool | None = None, console: Console | None = None, *,
          parallelism: int = 1, check: bool = False) -> pd.DataFrame | PendingApply:
    """Plan and run the changes; the result DataFrame (columns step, key, name, instance_id, action, status,
    error, seconds). A failed change does not raise: its row says ``failed`` and its dependents ``skipped``.

    Confirmation: ``auto_approve=True`` (or ``DTMNB_AUTO_APPROVE=1``) runs at once; in a notebook, without
    it, a :class:`~dtmnb.ui.PendingApply` with Apply/Cancel buttons is returned (its ``.result`` holds the
    DataFrame after the click); on a terminal, ``Continue? [y/n]`` is asked.
    ``parallelism`` runs up to that many independent changes at once. ``check=True`` raises
    :class:`~dtmnb.errors.ChangesFailedError` (carrying the frame) when a change did not succeed.
    """
    return _operate(_as_config(cfg), Operation.APPLY, auto_approve, console, parallelism, check)


def delete(cfg: ConfigLike, force: bool = False, auto_approve: bool | None = None, console: Console | None = None,
           *, parallelism: int = 1, check: bool = False) -> pd.DataFrame | PendingApply:
    """Delete the config's tools (only those in the state, unless ``force``), dependents first."""
    return _operate(_as_config(cfg), Operation.DELETE, auto_approve, console, parallelism, check, force=force)


def destroy(cfg: ConfigLike, auto_approve: bool | None = None, console: Console | None = None, *,
            parallelism: int = 1, check: bool = False) -> pd.DataFrame | PendingApply:
    """Delete every tool recorded in the state, whatever the config says, dependents first."""
    return _operate(_as_config(cfg), Operation.DESTROY, auto_approve, console, parallelism, check)


def _operate(cfg: Config, operation: Operation, auto_approve: bool | None, console: Console | None,
             parallelism: int, check: bool, force: bool = False) -> pd.DataFrame | PendingApply:
    chosen = console or Console()
    with attach(chosen):
        backend, the_plan, plugins = engine.prepare(cfg, operation, force=force)
    if not the_plan.changes:
        return frames.result_frame(Outcome(the_plan, []))

    def run(run_console: Console) -> pd.DataFrame:
        with attach(run_console):
            outcome = engine.execute(cfg, the_plan, backend, plugins=plugins, progress=run_console.progress,
                                     parallelism=parallelism)
        result = frames.result_frame(outcome)
        if check and not outcome.ok:
            raise ChangesFailedError(_failure_summary(outcome), result)
        return result

    if auto_approve_from_env(auto_approve):
        return run(chosen)
    if console is None:
        if _console.in_notebook():
            from .ui import PendingApply

            return PendingApply(frames.plan_frame(the_plan), run, operation=str(operation),
                                destructive=the_plan.destructive)
        chosen = TerminalConsole(require_tty=True)
    if chosen.confirm(frames.plan_frame(the_plan)):
        return run(chosen)
    with attach(chosen):
        log.info(f"{str(operation).capitalize()} cancelled: nothing was changed.")
    return frames.result_frame(Outcome.not_confirmed(the_plan))


def import_tool(cfg: ConfigLike, *refs: str, console: Console | None = None, check: bool = True) -> pd.DataFrame:
    """Take existing things under management, like ``terraform import``: each ``NAME.INSTANCE`` (a tool of
    the config, not yet in the state) is read with the tool's options and recorded in the state, under the
    lock. Nothing is created or changed. Raises ChangesFailedError when one is not there (``check=False``
    returns the result frame instead)."""
    if not refs:
        raise UsageError('import_tool needs the tools to import, e.g. import_tool(cfg, "local-file.readme")')
    cfg = _as_config(cfg)
    chosen = console or Console()
    with attach(chosen):
        backend, the_plan, plugins = engine.prepare(cfg, Operation.IMPORT, refs=list(refs))
        outcome = engine.execute(cfg, the_plan, backend, plugins=plugins, progress=chosen.progress)
    result = frames.result_frame(outcome)
    if check and not outcome.ok:
        raise ChangesFailedError(_failure_summary(outcome), result)
    return result


def forget(cfg: ConfigLike, *refs: str, console: Console | None = None) -> list[str]:
    """Drop tools (``NAME.INSTANCE``) from the state without touching what they made, like ``terraform state
    rm``; returns the state keys removed. The next plan shows them as Creates if the config still has them."""
    if not refs:
        raise UsageError('forget needs the tools to drop, e.g. forget(cfg, "local-file.readme")')
    cfg = _as_config(cfg)
    with attach(console or Console()):
        return engine.forget(engine.open_backend(cfg), list(refs))


def _failure_summary(outcome: Outcome) -> str:
    failed = [r for r in outcome.results if r.status == Status.FAILED]
    parts = [f"{r.change.key} {r.change.action}: {r.error}" for r in failed[:3]]
    more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
    skipped = outcome.count(Status.SKIPPED)
    tail = f"; {skipped} skipped" if skipped else ""
    return "; ".join(parts) + more + tail + (f"; {outcome.problem}" if outcome.problem else "")


# ---- reading -----------------------------------------------------------------------------------------

def read_state(cfg: ConfigLike) -> pd.DataFrame:
    """The state as a DataFrame, one row per tool (options, resource and outputs as dicts). ``cfg`` may also
    be an S3 URL, ``s3://bucket/key``, to read a state object without a config (region and endpoint from the
    environment: AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3)."""
    if isinstance(cfg, str) and cfg.startswith("s3://"):
        from .engine.explore import read_url

        return frames.state_frame(read_url(cfg))
    return frames.state_frame(engine.load_state(engine.open_backend(_as_config(cfg))))


def scan_states(url: str, tools: bool = False) -> pd.DataFrame:
    """Every dtm state object under an S3 prefix (``s3://bucket/teams/``), without a config: one row per
    state (key, tools, size, modified, lock holder, versions, error); ``tools=True`` gives instead one row
    per tool of all of them (``state_key`` first, then read_state's columns)."""
    from .engine.explore import scan

    found = scan(url)
    return frames.tools_of_states(found) if tools else frames.scan_frame(found)


def state_text(cfg: ConfigLike, version_id: str | None = None) -> str:
    """The raw state YAML, as stored (``version_id`` picks an older version where history is kept)."""
    backend = engine.open_backend(_as_config(cfg))
    data = backend.read_version(version_id) if version_id else backend.read().data
    return data.decode("utf-8")


def show_status(cfg: ConfigLike, plugin: str | None = None, instance_id: str | None = None) -> pd.DataFrame:
    """Drift table: for each tool in the state, the stored resource vs what its plugin reads now."""
    cfg = _as_config(cfg)
    with attach(Console()):
        rows = status(cfg, engine.load_state(engine.open_backend(cfg)), plugin, instance_id)
    return frames.status_frame(rows)


def state_history(cfg: ConfigLike, by: str = "version") -> pd.DataFrame:
    """The state's history, newest first (S3: the object's versions, with bucket versioning on; local: the
    current file and its backup). ``by="version"``: one row per version (when, size, tools, and the run,
    operation, tool and person that wrote it); ``by="run"``: one row per run (apply, delete, ...)."""
    backend = engine.open_backend(_as_config(cfg))
    if by == "version":
        return frames.history_frame(history(backend))
    if by == "run":
        versions = backend.history()
        writes: dict[str, int] = {}
        for v in versions:
            if v.info and v.info.run_id:
                writes[v.info.run_id] = writes.get(v.info.run_id, 0) + 1
        return frames.runs_frame(runs(versions, backend.full_history), writes)
    raise UsageError(f"state_history(cfg, by={by!r}): by is 'version' or 'run'")


def state_diff(cfg: ConfigLike, a: str | None = None, b: str | None = None, *,
               run: str | None = None) -> pd.DataFrame:
    """What changed in the state, one row per dotted path with both sides. By default: before and after the
    latest run (an apply of three tools is one run); ``run=ID``: before and after that run (see
    ``state_history(cfg, by="run")``); ``a``, ``b``: two version ids, or run ids (the state after that run)."""
    backend = engine.open_backend(_as_config(cfg))
    left, right = versions_to_compare(backend, a, b, run)
    return frames.diff_frame(state_changes(read_version(backend, left), read_version(backend, right)), left, right)


def lock_status(cfg: ConfigLike) -> pd.DataFrame:
    """Who holds the state lock now (an empty frame when nobody does)."""
    return frames.lock_frame(engine.open_backend(_as_config(cfg)).current_lock())


def lock(cfg: ConfigLike, operation: str = "manual") -> pd.DataFrame:
    """Take the state lock by hand (e.g. to keep others out during maintenance) and return it as a frame;
    other runs then fail at once naming this holder. Release it with ``force_unlock(cfg, lock_id)``."""
    return frames.lock_frame(engine.open_backend(_as_config(cfg)).acquire(operation))


def force_unlock(cfg: ConfigLike, lock_id: str, console: Console | None = None) -> pd.DataFrame:
    """Remove a stale lock, given its id (see ``lock_status``). Returns the removed lock as a frame; when its
    run died mid-way, logs which of its changes the state does not record."""
    backend = engine.open_backend(_as_config(cfg))
    removed = backend.force_unlock(lock_id)
    note = recovery.describe(removed, engine.load_state(backend)) if removed.intent else ""
    if note:
        with attach(console or Console()):
            log.warning(f"Lock {lock_id} removed.{note}")
    return frames.lock_frame(removed)


def tools_frame(cfg: ConfigLike) -> pd.DataFrame:
    """The config's tools, one row each (key, name, instance_id, depends_on, options, file, line)."""
    return frames.tools_frame(_as_config(cfg))


def dependency_graph(cfg_or_plan: ConfigLike | pd.DataFrame, plan: pd.DataFrame | None = None,
                     title: str = "Dependency graph") -> DependencyGraph:
    """Tools as boxes and ``dependsOn`` as arrows, each coloured by its planned action (SVG).

    Given a config, every tool is drawn, coloured by ``plan`` (computed with :func:`plan` when omitted);
    given a plan DataFrame, only the changes and the tools they depend on.
    """
    import pandas as pd

    from . import views

    if isinstance(cfg_or_plan, pd.DataFrame):
        return views.dependency_graph(cfg_or_plan, title=title)
    cfg = _as_config(cfg_or_plan)
    return views.dependency_graph(cfg, plan=frames.plan_frame(_plan(cfg)) if plan is None else plan, title=title)


__all__ = ["apply", "auto_approve_from_env", "delete", "dependency_graph", "destroy", "force_unlock", "forget",
           "import_tool", "load_config", "lock", "lock_status", "plan", "read_state", "scan_states", "show_status",
           "state_diff", "state_history", "state_text", "tools_frame"]
