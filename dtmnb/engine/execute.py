"""Running a plan: under the state lock, re-check the state, run each change, save the state after each.

A failed change does not stop the run: its dependents are skipped and independent changes go on. With
``parallelism`` above 1, independent changes run at the same time in worker threads; only the calling
thread changes and saves the state, one change at a time, so the state always records exactly the
changes that succeeded. Each change does what the plan said and nothing more:

- Create (and the create half of a Replace to a new identity) first reads the target: something already
  there fails the change, untouched (``dtmnb import`` takes it under management);
- Replace and Delete act on the options the state recorded, never on the config's new ones;
- a change planned because an upstream output might change compares its resolved options with the state
  first, and is recorded ``unchanged`` without running when they are the same.
"""
from __future__ import annotations

import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..backends import Backend, WriteInfo
from ..backends.base import who_am_i
from ..config import Config
from ..errors import DtmnbError, LockHeldError, PluginError, StaleStateError, UnlockError
from ..redact import redact
from ..references import resolve
from ..report import SUCCESS, ProgressCallback, get_logger, separator
from ..state import State, ToolState, format_state, parse_state, storable_problem
from . import recovery
from .compare import same_data
from .model import WORDS, Action, Change, ChangeResult, Outcome, Plan, Status, Words
from .planning import Plugins

log = get_logger("engine")


def load_state(backend: Backend) -> State:
    """Read and parse the whole state (remembering its version for the conditional writes)."""
    return parse_state(backend.read().data, backend.location)


def import_hint(change: Change) -> str:
    return (f"if it is the one you mean, take it under management with `dtmnb import -f CONFIG {change.tool.ref}` "
            f"(or dtmnb.import_tool(cfg, \"{change.tool.ref}\")); otherwise change the tool's options")


def execute(cfg: Config, plan: Plan, backend: Backend, *, plugins: Plugins | None = None,
            progress: ProgressCallback | None = None, parallelism: int = 1) -> Outcome:
    """Run ``plan`` under the lock; the state is saved after every change that succeeds.

    Raises StaleStateError (changing nothing) when the state changed since the plan was made, and
    LockHeldError when another run holds the lock. A plugin's failure never raises: it is a failed result.
    """
    words = WORDS[plan.operation]
    intent = tuple(f"{c.step} {c.key} {c.action}" for c in plan.changes)
    try:
        return _execute(plan, backend, plugins or Plugins(cfg), progress, parallelism, intent, words)
    except LockHeldError as exc:
        raise _explained(exc, backend) from None


def _explained(exc: LockHeldError, backend: Backend) -> LockHeldError:
    """The lock error, with what the dead holder's run left unrecorded when its process is gone."""
    holder = exc.lock
    if holder is None or not holder.intent or not holder.holder_gone():
        return exc
    try:
        note = recovery.describe(holder, load_state(backend))
    except DtmnbError:
        return exc
    return LockHeldError(str(exc) + note, holder)


def _execute(plan: Plan, backend: Backend, plugins: Plugins, progress: ProgressCallback | None, parallelism: int,
             intent: tuple[str, ...], words: Words) -> Outcome:
    outcome: Outcome | None = None
    try:
        with backend.locked(str(plan.operation), enabled=backend.use_lockfile, intent=intent) as lock:
            state = load_state(backend)
            if backend.last_version != plan.snapshot_version:
                raise StaleStateError(
                    f"the state {backend.location} changed after this plan was made (another run, dtm, or a hand "
                    f"edit). Nothing was changed. Plan again to see the state as it is now.")
            log.info("Start executing the plan.")
            log.info(f"Changes count: {len(plan.changes)}.")
            run = _Run(plan, backend, state, plugins, progress, lock.id if lock else "")
            outcome = Outcome(plan, run.go(max(1, int(parallelism))))
    except UnlockError as exc:
        if outcome is None:   # the run itself failed first: that error, with the unlock's, is raised
            raise
        outcome.problem = (f"{exc} Every change listed as succeeded was saved in the state before the lock was "
                           f"to be removed; only the lock is left.")
    _report(outcome, words, str(plan.operation))
    return outcome


def _report(outcome: Outcome, words: Words, operation: str) -> None:
    """dtm's closing lines (and the run-level problem, if any)."""
    log.info(separator("Processing done." if outcome.ok else "Processing aborted."))
    if outcome.ok:
        log.log(SUCCESS, words.all_done)
        log.log(SUCCESS, words.finished)
        return
    for r in outcome.results:
        if r.status == Status.FAILED:
            log.error(f"{r.change.label} {r.change.action} failed with error: {r.error}")
    if outcome.problem:
        log.error(f"{words.failed} {outcome.problem}")
    if any(r.status != Status.SUCCEEDED and r.status != Status.UNCHANGED for r in outcome.results):
        log.error(f"{words.failed} some error(s) occurred during plugins {operation} process.")


@dataclass
class _Done:
    """What a plugin call left behind: the resource, how long it took, the error, and whether the
    recorded resource was deleted (the first half of a Replace)."""

    resource: Any = None
    seconds: float = 0.0
    error: BaseException | None = None
    prior_deleted: bool = False


class _Run:
    """One execution: the schedule of changes, the state, and the single writer that saves it."""

    def __init__(self, plan: Plan, backend: Backend, state: State, plugins: Plugins,
                 progress: ProgressCallback | None, run_id: str):
        self.plan, self.backend, self.state, self.plugins = plan, backend, state, plugins
        self.progress = progress
        self.run_id = run_id or uuid.uuid4().hex   # without a lock, the run still gets an id for its history
        self.who = who_am_i()
        self.results: dict[str, ChangeResult] = {}
        self.options: dict[str, dict] = {}   # key -> the resolved options a change runs with
        self.save_error = ""
        self.started = 0

    def go(self, parallelism: int) -> list[ChangeResult]:
        if parallelism == 1:
            for change in self.plan.changes:
                if self._ready_to_call(change):
                    self._finish(change, self._interruptible(change))
        else:
            self._parallel(parallelism)
        return [self.results[c.key] for c in self.plan.changes]

    # ---- scheduling ---------------------------------------------------------------------------------
    def _parallel(self, parallelism: int) -> None:
        pending = list(self.plan.changes)
        running: dict[Future, Change] = {}
        with ThreadPoolExecutor(parallelism, thread_name_prefix="dtmnb-change") as pool:
            try:
                while pending or running:
                    for change in list(pending):
                        if len(running) >= parallelism:
                            break
                        if any(k not in self.results for k in change.after):
                            continue   # waits for a change still running
                        pending.remove(change)
                        if self._ready_to_call(change):
                            running[pool.submit(self._call, change)] = change
                    if running:
                        done, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in sorted(done, key=lambda f: running[f].step):
                            self._finish(running.pop(future), future.result())
            except KeyboardInterrupt:
                for change in running.values():
                    self._interrupted(change)
                raise

    def _ready_to_call(self, change: Change) -> bool:
        """Announce the change; record it as skipped or unchanged when its plugin must not be called."""
        self._announce(change)
        blocked = [k for k in change.after if self.results[k].status not in (Status.SUCCEEDED, Status.UNCHANGED)]
        if self.save_error:
            self._record(ChangeResult(change, Status.SKIPPED, f"not run: the state could not be saved "
                                                              f"({self.save_error})"))
            return False
        if blocked:
            log.warning(f"Tool ({change.label}) {change.action} skipped: {', '.join(blocked)} did not succeed.")
            self._record(ChangeResult(change, Status.SKIPPED, f"not run: {', '.join(blocked)} did not succeed"))
            return False
        deleting = change.action == Action.DELETE
        source = change.prior.options if deleting and change.prior else change.tool.options
        try:
            options = self.options[change.key] = resolve(source, self.state, strict=not deleting)
        except DtmnbError as exc:
            self._record(ChangeResult(change, Status.FAILED, redact(str(exc))))
            return False
        if change.only_if_changed and change.prior is not None and same_data(change.prior.options, options):
            log.info(f"Tool ({change.label}) options are the same as the state once resolved, do nothing.")
            self._record(ChangeResult(change, Status.UNCHANGED, ""))
            return False
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
    def _interruptible(self, change: Change) -> _Done:
        try:
            return self._call(change)
        except KeyboardInterrupt:
            self._interrupted(change)
            raise

    def _interrupted(self, change: Change) -> None:
        log.error(f"Interrupted during ({change.label}) -> {change.action}: it may be partly done and is not "
                  f"recorded in the state. Run plan; if a Create then fails with 'already exists', "
                  f"{import_hint(change)}.")

    def _call(self, change: Change) -> _Done:
        """Run the plugin (in a worker thread when parallel). Never raises but for Ctrl-C."""
        started = time.monotonic()
        done = _Done()
        try:
            done.resource = self._act(change, done)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            done.error = exc
        done.seconds = time.monotonic() - started
        return done

    def _act(self, change: Change, done: _Done) -> Any:
        plugin = self.plugins.get(change.tool.name)
        options = self.plugins.options(change.tool.name, self.options[change.key])
        prior = self.plugins.options(change.tool.name, change.prior.options) if change.prior else None
        if change.action == Action.DELETE:
            plugin.delete(prior if prior is not None else options)
            return None
        if change.action == Action.IMPORT:
            live = plugin.read(options)
            if live is None:
                raise PluginError(f"nothing to import: {plugin.describe_identity(options) or change.key} does not "
                                  f"exist; `dtmnb apply` creates it")
            return live
        if change.action == Action.UPDATE:
            return plugin.update(options, change.prior.resource if change.prior else {})
        new_identity = prior is None or plugin.identity_of(prior) != plugin.identity_of(options)
        if new_identity and plugin.read(options) is not None:
            raise PluginError(f"{plugin.describe_identity(options) or change.key} already exists and dtmnb did not "
                              f"create it (it is not in the state), so it was left untouched; {import_hint(change)}")
        if change.action == Action.REPLACE and prior is not None:
            plugin.delete(prior)
            done.prior_deleted = True
        return plugin.create(options)

    def _finish(self, change: Change, done: _Done) -> None:
        """Record the change in the state and save it (only this thread writes the state)."""
        tool = change.tool
        error = _error_text(change, done)
        if error and not done.prior_deleted:
            self._record(ChangeResult(change, Status.FAILED, error, done.seconds))
            return
        if change.action == Action.DELETE or error:
            log.info(f"Prepare to delete '{tool.key}' from States.")
            self.state.remove(tool.key)
        else:
            self.state.put(ToolState(tool.name, tool.instance_id, list(tool.depends_on), self.options[tool.key],
                                     done.resource or {}))
        try:
            self.backend.write(format_state(self.state), WriteInfo(self.run_id, str(self.plan.operation), tool.key,
                                                                   who=self.who, step=change.step))
        except DtmnbError as exc:
            self.save_error = str(exc)
            self._record(ChangeResult(change, Status.FAILED, error or
                                      f"the change was made but the state could not be saved: {exc}", done.seconds))
            return
        if error:  # the recorded resource is gone, the new one was not made: the state says so now
            self._record(ChangeResult(change, Status.FAILED, error, done.seconds))
            return
        word = "delete" if change.action == Action.DELETE else change.action
        log.log(SUCCESS, f"Tool ({change.label}) {word} done.")
        self._record(ChangeResult(change, Status.SUCCEEDED, "", done.seconds))


def _error_text(change: Change, done: _Done) -> str:
    """The failure to record, if any: the plugin's error, or a resource the state cannot hold."""
    if done.error is not None:
        exc = done.error
        text = str(exc) if isinstance(exc, DtmnbError) else f"{type(exc).__name__}: {exc}"
        if done.prior_deleted:
            text = (f"the recorded {change.tool.name} was deleted, but creating the new one failed: {text}; the "
                    f"state no longer records it, so the next apply creates it")
        return redact(text)
    if change.action in (Action.DELETE,):
        return ""
    resource = done.resource if done.resource is not None else {}
    problem = storable_problem(resource, "resource") if isinstance(resource, dict) else (
        f"the resource is a {type(resource).__name__}, not a map")
    if problem:
        return redact(f"plugin {change.tool.name} returned a value the state cannot hold: {problem}. The change may "
                      f"have been made without being recorded: fix the plugin, then {import_hint(change)}")
    return ""


__all__ = ["execute", "import_hint", "load_state"]
