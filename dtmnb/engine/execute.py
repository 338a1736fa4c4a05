"""Running a plan: under the state lock, re-check the state, run each change, save the state after each.

A failed change does not stop the run: its dependents are skipped and independent changes go on. With
``parallelism`` above 1, independent changes run at the same time in worker threads; only the calling
thread changes and saves the state, one change at a time, so the state always records exactly the
changes that succeeded.
"""
from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ..backends import Backend, WriteInfo
from ..config import Config
from ..errors import DtmnbError, StaleStateError
from ..redact import redact
from ..references import resolve
from ..report import SUCCESS, ProgressCallback, get_logger, separator
from ..state import State, ToolState, format_state, parse_state
from .model import WORDS, Action, Change, ChangeResult, Outcome, Plan, Status
from .planning import Plugins

log = get_logger("engine")


def load_state(backend: Backend) -> State:
    """Read and parse the whole state (remembering its version for the conditional writes)."""
    return parse_state(backend.read().data, backend.location)


def execute(cfg: Config, plan: Plan, backend: Backend, *, plugins: Plugins | None = None,
            progress: ProgressCallback | None = None, parallelism: int = 1) -> Outcome:
    """Run ``plan`` under the lock; the state is saved after every change that succeeds.

    Raises StaleStateError (changing nothing) when the state changed since the plan was made, and
    LockHeldError when another run holds the lock. A plugin's failure never raises: it is a failed result.
    """
    words = WORDS[plan.operation]
    intent = tuple(f"{c.step} {c.key} {c.action}" for c in plan.changes)
    with backend.locked(str(plan.operation), enabled=backend.use_lockfile, intent=intent) as lock:
        state = load_state(backend)
        if backend.last_version != plan.snapshot_version:
            raise StaleStateError(
                f"the state {backend.location} changed after this plan was made (another run, dtm, or a hand "
                f"edit). Nothing was changed. Plan again to see the state as it is now.")
        log.info("Start executing the plan.")
        log.info(f"Changes count: {len(plan.changes)}.")
        run = _Run(cfg, plan, backend, state, plugins or Plugins(cfg), progress,
                   run_id=lock.id if lock else "", operation=str(plan.operation))
        results = run.go(max(1, int(parallelism)))
        outcome = Outcome(plan, results)
        failed = not outcome.ok
        log.info(separator("Processing aborted." if failed else "Processing done."))
        if failed:
            for r in results:
                if r.status == Status.FAILED:
                    log.error(f"{r.change.tool.name}/{r.change.tool.instance_id} {r.change.action} failed "
                              f"with error: {r.error}")
            log.error(f"{words.failed} some error(s) occurred during plugins {plan.operation} process.")
        else:
            log.log(SUCCESS, words.all_done)
            log.log(SUCCESS, words.finished)
    return outcome


class _Run:
    """One execution: the schedule of changes, the state, and the single writer that saves it."""

    def __init__(self, cfg: Config, plan: Plan, backend: Backend, state: State, plugins: Plugins,
                 progress: ProgressCallback | None, run_id: str, operation: str):
        self.cfg, self.plan, self.backend, self.state, self.plugins = cfg, plan, backend, state, plugins
        self.progress = progress
        self.run_id, self.operation = run_id, operation
        self.results: dict[str, ChangeResult] = {}
        self.save_error = ""
        self.started = 0
        self.options: dict[str, dict] = {}   # key -> the resolved options a change ran with

    def go(self, parallelism: int) -> list[ChangeResult]:
        if parallelism == 1:
            for change in self.plan.changes:
                if not self._skip(change):
                    self._finish(change, *self._call(change, self._prepare(change)))
        else:
            self._parallel(parallelism)
        return [self.results[c.key] for c in self.plan.changes]

    # ---- scheduling ---------------------------------------------------------------------------------
    def _parallel(self, parallelism: int) -> None:
        pending = list(self.plan.changes)
        running: dict[Future, Change] = {}
        with ThreadPoolExecutor(parallelism, thread_name_prefix="dtmnb-change") as pool:
            while pending or running:
                for change in list(pending):
                    if len(running) >= parallelism:
                        break
                    if any(k not in self.results for k in change.after):
                        continue   # waits for a change still running
                    pending.remove(change)
                    if not self._skip(change):
                        prepared = self._prepare(change)
                        running[pool.submit(self._call, change, prepared)] = change
                if not running:
                    continue
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f].step):
                    self._finish(running.pop(future), *future.result())

    def _skip(self, change: Change) -> bool:
        """Record a skip when the change cannot run (a dependency failed, or the state cannot be saved)."""
        blocked = [k for k in change.after if self.results[k].status not in (Status.SUCCEEDED, Status.UNCHANGED)]
        if not (self.save_error or blocked):
            return False
        self._announce(change)
        if self.save_error:
            error = f"not run: the state could not be saved ({self.save_error})"
        else:
            error = f"not run: {', '.join(blocked)} did not succeed"
            log.warning(f"Tool ({change.label}) {change.action} skipped: {', '.join(blocked)} did not succeed.")
        self._record(ChangeResult(change, Status.SKIPPED, error))
        return True

    def _announce(self, change: Change) -> None:
        self.started += 1
        log.info(separator(f"Processing progress: {self.started}/{len(self.plan.changes)}."))
        log.info(f"Processing: ({change.label}) -> {change.action} ...")

    def _record(self, result: ChangeResult) -> None:
        self.results[result.change.key] = result
        if self.progress is not None:
            self.progress(len(self.results), len(self.plan.changes), f"{result.change.label} {result.change.action}")

    # ---- one change -----------------------------------------------------------------------------------
    def _prepare(self, change: Change) -> dict | Exception:
        """The change's options with outputs references resolved from the state as it is now."""
        self._announce(change)
        try:
            options = self.options[change.key] = resolve(change.tool.options, self.state, strict=True)
        except DtmnbError as exc:
            return exc
        return options

    def _call(self, change: Change, options: dict | Exception) -> tuple[Any, float, BaseException | None]:
        """Run the plugin (in a worker thread when parallel); returns (resource, seconds, error)."""
        started = time.monotonic()
        if isinstance(options, Exception):
            return None, 0.0, options
        try:
            plugin = self.plugins.get(change.tool.name)
            if change.action == Action.DELETE:
                plugin.delete(options)
                return None, time.monotonic() - started, None
            if change.action == Action.CREATE:
                return plugin.create(options), time.monotonic() - started, None
            if plugin.replace_on_update:
                plugin.delete(options)
                return plugin.create(options), time.monotonic() - started, None
            prior = change.prior.resource if change.prior else {}
            return plugin.update(options, prior), time.monotonic() - started, None
        except Exception as exc:  # noqa: BLE001 - a failing plugin is a failed change, never a crash
            return None, time.monotonic() - started, exc

    def _finish(self, change: Change, resource: Any, seconds: float, error: BaseException | None) -> None:
        """Record the change in the state and save it (only this thread writes the state)."""
        if error is not None:
            message = str(error) if isinstance(error, DtmnbError) else f"{type(error).__name__}: {error}"
            self._record(ChangeResult(change, Status.FAILED, redact(message), seconds))
            return
        tool = change.tool
        if change.action == Action.DELETE:
            log.info(f"Prepare to delete '{tool.key}' from States.")
            self.state.remove(tool.key)
        else:
            options = self.options[tool.key]
            self.state.put(ToolState(tool.name, tool.instance_id, list(tool.depends_on), options, resource or {}))
        try:
            self.backend.write(format_state(self.state), WriteInfo(self.run_id, self.operation, tool.key))
        except DtmnbError as exc:
            self.save_error = str(exc)
            self._record(ChangeResult(change, Status.FAILED,
                                      f"the change was made but the state could not be saved: {exc}", seconds))
            return
        word = "delete" if change.action == Action.DELETE else change.action
        log.log(SUCCESS, f"Tool ({change.label}) {word} done.")
        self._record(ChangeResult(change, Status.SUCCEEDED, "", seconds))


__all__ = ["execute", "load_state"]
