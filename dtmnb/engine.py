"""The engine: plan changes from config + state, confirm, then run them under the state lock.

``apply`` reads as a recipe: read the state, plan, confirm, lock, re-check the state, run each change
and save the state after it, unlock. Each step is a named function below. The engine talks to people
only through a Console, and to storage only through a Backend.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from . import frames, log, references
from .backends import Backend, get_backend
from .config import Config, Tool
from .console import Console
from .errors import DtmnbError, StaleStateError, UsageError
from .plugins import PluginContext, get_plugin
from .state import State, ToolState, format_state, parse_state

CREATE, UPDATE, DELETE = "Create", "Update", "Delete"
SUCCEEDED, FAILED, SKIPPED = "succeeded", "failed", "skipped"

_WORDS = {  # operation -> (started, nothing to do, all done, finished, failed)
    "apply": ("Apply started.", "No changes done since last apply. There is nothing to do.",
              "All plugins applied successfully.", "Apply finished.", "Apply failed =>"),
    "delete": ("Delete started.", "Nothing needs to be deleted. There is nothing to do.",
               "All plugins deleted successfully.", "Delete finished.", "Delete failed =>"),
    "destroy": ("Destroy started.", "No tools have been deployed now. There is nothing to do.",
                "All plugins destroyed successfully.", "Destroy finished.", "Destroy failed =>"),
}


@dataclass
class Change:
    """One planned change. ``after`` lists the keys of changes that must succeed before this one."""

    tool: Tool
    action: str
    reason: str
    step: int = 0
    after: list[str] = field(default_factory=list)


@dataclass
class ChangeResult:
    change: Change
    status: str
    error: str = ""
    seconds: float = 0.0


@dataclass
class Plan:
    operation: str
    changes: list[Change]
    snapshot_version: str | None

    def frame(self):
        return frames.plan_frame(self.changes, self.operation)


# ---- reading the state ---------------------------------------------------------------------------

def open_backend(cfg: Config) -> Backend:
    return get_backend(cfg.state)


def load_state(backend: Backend) -> State:
    snapshot = backend.read()
    return parse_state(snapshot.data, backend.location)


def _plugin(cfg: Config, name: str):
    return get_plugin(name, PluginContext(base_dir=cfg.base_dir))


def check_plugins(cfg: Config, names) -> None:
    """Fail before doing anything if a tool names an unknown plugin (all such tools at once)."""
    from .plugins import PluginNotFoundError, get_plugin_class

    problems = []
    for name in dict.fromkeys(names):
        try:
            get_plugin_class(name)
        except PluginNotFoundError as exc:
            problems.append(str(exc))
    if problems:
        raise PluginNotFoundError("; ".join(problems))


# ---- planning --------------------------------------------------------------------------------------

def dependency_batches(tools: list[Tool]) -> list[list[Tool]]:
    """dtm's topological sort: each batch holds the tools whose dependencies are all in earlier
    batches (dependencies outside ``tools`` count as satisfied); config order inside a batch."""
    pending = list(tools)
    batches = []
    while pending:
        pending_refs = {t.ref for t in pending}
        batch = [t for t in pending if not any(d in pending_refs for d in t.depends_on)]
        if not batch:
            cycle = " -> ".join(t.ref for t in pending)
            raise UsageError(f"dependency loop detected among: {cycle}")
        batches.append(batch)
        pending = [t for t in pending if t not in batch]
    return batches


def plan_apply(cfg: Config, backend: Backend, state: State) -> Plan:
    """dtm's apply algorithm (reference §4.2), with removed tools deleted in reverse dependency order."""
    check_plugins(cfg, [t.name for t in cfg.tools])
    deletes = _deletes_of_removed_tools(cfg, state)
    changes: list[Change] = []
    for batch in dependency_batches(cfg.tools):
        for tool in batch:
            change = _plan_tool(cfg, tool, state)
            if change:
                changes.append(change)
    return _number(Plan("apply", deletes + changes, backend.last_version))


def _plan_tool(cfg: Config, tool: Tool, state: State) -> Change | None:
    who = f"Tool ({tool.name}/{tool.instance_id})"
    stored = state.get(tool.key)
    if stored is None:
        return Change(tool, CREATE, f"{who} found in config but doesn't exist in the state, will be created.")
    options = references.resolve(tool.options, state, strict=False)
    if not same_data(stored.options, options):
        return Change(tool, UPDATE, _update_reason(cfg, tool, f"{who} config drifted from the state, will be updated."))
    plugin = _plugin(cfg, tool.name)
    live = plugin.read(options)
    if live is None:
        return Change(tool, CREATE, f"{who} state found but it seems the tool isn't created, will be created.")
    if not same_resource(stored.resource, live):
        return Change(tool, UPDATE, _update_reason(cfg, tool, f"{who} drifted from the state, will be updated."))
    log.debug(f"{who} is the same as the state, do nothing.")
    return None


def _update_reason(cfg: Config, tool: Tool, reason: str) -> str:
    plugin = _plugin(cfg, tool.name)
    note = plugin.replace_note if plugin.replace_on_update else ""
    return f"{reason[:-1]} ({note})." if note else reason


def _deletes_of_removed_tools(cfg: Config, state: State) -> list[Change]:
    in_config = {t.key for t in cfg.tools}
    removed = [_tool_from_state(s) for s in state.to_list() if s.key not in in_config]
    return _reverse_deletes(removed, "will be deleted.")


def _reverse_deletes(tools: list[Tool], what: str) -> list[Change]:
    changes = []
    for batch in reversed(dependency_batches(tools)):
        for tool in batch:
            changes.append(Change(tool, DELETE, f"Tool ({tool.name}/{tool.instance_id}) {what}"))
    return changes


def _tool_from_state(s: ToolState) -> Tool:
    return Tool(s.name, s.instance_id, list(s.depends_on or []), dict(s.options or {}), file="state")


def plan_delete(cfg: Config, backend: Backend, state: State, force: bool = False) -> Plan:
    tools = [t for t in cfg.tools if force or t.key in state]
    check_plugins(cfg, [t.name for t in tools])
    return _number(Plan("delete", _reverse_deletes(tools, "will be deleted."), backend.last_version))


def plan_destroy(cfg: Config, backend: Backend, state: State) -> Plan:
    tools = [_tool_from_state(s) for s in state.to_list()]
    check_plugins(cfg, [t.name for t in tools])
    return _number(Plan("destroy", _reverse_deletes(tools, "will be deleted."), backend.last_version))


def _number(plan: Plan) -> Plan:
    """Give each change its step and the keys of the changes it must wait for."""
    by_ref = {c.tool.ref: c for c in plan.changes}
    for step, change in enumerate(plan.changes, start=1):
        change.step = step
        if change.action == DELETE:  # a delete waits for the deletes of the tools that depend on it
            change.after = [c.tool.key for c in plan.changes
                            if c.action == DELETE and change.tool.ref in c.tool.depends_on]
        else:
            change.after = [by_ref[d].tool.key for d in change.tool.depends_on
                            if d in by_ref and by_ref[d].action != DELETE]
    return plan


# ---- comparing -----------------------------------------------------------------------------------

def same_data(a, b) -> bool:
    """Go's cmp.Equal with EquateEmpty: types matter (1, 1.0 and True differ); empty == missing."""
    if _empty(a) and _empty(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _empty(v) -> bool:
    return v is None or (isinstance(v, (dict, list)) and not v)


def normalize(resource) -> dict:
    """A resource as it would read back from the state file (a round trip through the state format)."""
    probe = State({"x_y": ToolState("x", "y", resource=resource or {})})
    return parse_state(format_state(probe), "a plugin result").entries["x_y"].resource


def same_resource(stored, live) -> bool:
    return same_data(normalize(stored), normalize(live))


# ---- confirming ------------------------------------------------------------------------------------

def auto_approve_from_env(auto_approve: bool | None) -> bool:
    if auto_approve is not None:
        return bool(auto_approve)
    return os.environ.get("DTMNB_AUTO_APPROVE", "").strip().lower() in {"1", "true", "yes", "y"}


# ---- running ---------------------------------------------------------------------------------------

def execute(cfg: Config, plan: Plan, backend: Backend, console: Console) -> list[ChangeResult]:
    """Run the plan under the lock: re-check the state, run each change, save after each success."""
    words = _WORDS[plan.operation]
    with log.use_sink(console.log), backend.locked(plan.operation, enabled=backend.use_lockfile):
        state = load_state(backend)
        if backend.last_version != plan.snapshot_version:
            raise StaleStateError(
                f"the state {backend.location} changed after this plan was made (another run, dtm, or a hand "
                f"edit). Nothing was changed. Plan again to see the state as it is now.")
        log.info("Start executing the plan.")
        log.info(f"Changes count: {len(plan.changes)}.")
        results = _run_changes(cfg, plan, backend, state, console)
        failed = any(r.status != SUCCEEDED for r in results)
        log.info(log.separator("Processing aborted." if failed else "Processing done."))
        if failed:
            for r in results:
                if r.status == FAILED:
                    log.error(f"{r.change.tool.name}/{r.change.tool.instance_id} {r.change.action} failed "
                              f"with error: {r.error}")
            log.error(f"{words[4]} some error(s) occurred during plugins {plan.operation} process.")
        else:
            log.success(words[2])
            log.success(words[3])
    return results


def _run_changes(cfg, plan, backend, state, console) -> list[ChangeResult]:
    results: dict[str, ChangeResult] = {}
    save_error = None
    total = len(plan.changes)
    for i, change in enumerate(plan.changes, start=1):
        tool = change.tool
        log.info(log.separator(f"Processing progress: {i}/{total}."))
        log.info(f"Processing: ({tool.name}/{tool.instance_id}) -> {change.action} ...")
        blocked = [k for k in change.after if results.get(k) and results[k].status != SUCCEEDED]
        if save_error:
            results[tool.key] = ChangeResult(change, SKIPPED, f"not run: the state could not be saved ({save_error})")
        elif blocked:
            results[tool.key] = ChangeResult(change, SKIPPED, f"not run: {', '.join(blocked)} did not succeed")
            log.warn(f"Tool ({tool.name}/{tool.instance_id}) {change.action} skipped: "
                     f"{', '.join(blocked)} did not succeed.")
        else:
            results[tool.key] = result = _run_one(cfg, change, state)
            if result.status == SUCCEEDED:
                try:
                    backend.write(format_state(state))
                except DtmnbError as exc:
                    save_error = str(exc)
                    result.status, result.error = FAILED, f"the change was made but the state could not be saved: {exc}"
                else:
                    word = "delete" if change.action == DELETE else change.action
                    log.success(f"Tool ({tool.name}/{tool.instance_id}) {word} done.")
        console.progress(i, total, f"{tool.name}/{tool.instance_id} {change.action}")
    return list(results.values())


def _run_one(cfg: Config, change: Change, state: State) -> ChangeResult:
    tool = change.tool
    started = time.monotonic()
    try:
        plugin = _plugin(cfg, tool.name)
        options = references.resolve(tool.options, state, strict=True)
        if change.action == DELETE:
            plugin.delete(options)
            log.info(f"Prepare to delete '{tool.key}' from States.")
            state.remove(tool.key)
        else:
            if change.action == CREATE:
                resource = plugin.create(options)
            elif plugin.replace_on_update:
                plugin.delete(options)
                resource = plugin.create(options)
            else:
                prior = state.get(tool.key)
                resource = plugin.update(options, prior.resource if prior else {})
            state.put(ToolState(tool.name, tool.instance_id, list(tool.depends_on), options, resource or {}))
    except Exception as exc:  # noqa: BLE001 - a failing plugin is a failed change, never a crash
        message = str(exc) if isinstance(exc, DtmnbError) else f"{type(exc).__name__}: {exc}"
        return ChangeResult(change, FAILED, log.redact(message), time.monotonic() - started)
    return ChangeResult(change, SUCCEEDED, "", time.monotonic() - started)


# ---- the public operations -------------------------------------------------------------------------

def _prepare(cfg: Config, operation: str, console: Console, **kw) -> tuple[Backend, Plan]:
    with log.use_sink(console.log):
        log.info(_WORDS[operation][0])
        backend = open_backend(cfg)
        log.info(backend.describe())
        state = load_state(backend)
        if operation == "apply":
            plan = plan_apply(cfg, backend, state)
        elif operation == "delete":
            plan = plan_delete(cfg, backend, state, force=kw.get("force", False))
        else:
            plan = plan_destroy(cfg, backend, state)
        if not plan.changes:
            log.info(_WORDS[operation][1])
        for change in plan.changes:
            log.info(change.reason)
    return backend, plan


def _operate(cfg: Config, operation: str, auto_approve, console, **kw):
    widgets_allowed = console is None
    console = console or Console()
    backend, plan = _prepare(cfg, operation, console, **kw)
    if not plan.changes:
        return frames.result_frame([], operation)

    def run(run_console: Console):
        return frames.result_frame(execute(cfg, plan, backend, run_console), operation)

    if auto_approve_from_env(auto_approve):
        return run(console)
    if widgets_allowed:
        from . import ui

        if ui.in_notebook():
            return ui.PendingApply(plan.frame(), run, operation=operation)
        from .console import TerminalConsole

        console = TerminalConsole(require_tty=True)
    if console.confirm(plan.frame()):
        return run(console)
    return frames.result_frame([], operation, cancelled=plan.changes)


def plan(cfg: Config):
    """The changes ``apply`` would make, as a DataFrame (one row per change, in execution order)."""
    backend = open_backend(cfg)
    return plan_apply(cfg, backend, load_state(backend)).frame()


def apply(cfg: Config, auto_approve: bool | None = None, console: Console | None = None):
    """Plan and run the changes. Returns the result DataFrame; in a notebook without approval, a
    PendingApply with Apply/Cancel buttons (``.approve()``, ``.cancel()``, ``.result``)."""
    return _operate(cfg, "apply", auto_approve, console)


def delete(cfg: Config, force: bool = False, auto_approve: bool | None = None, console: Console | None = None):
    """Delete the config's tools (only those in the state, unless ``force``), dependents first."""
    return _operate(cfg, "delete", auto_approve, console, force=force)


def destroy(cfg: Config, auto_approve: bool | None = None, console: Console | None = None):
    """Delete every tool recorded in the state, whatever the config says, dependents first."""
    return _operate(cfg, "destroy", auto_approve, console)


def read_state(cfg: Config):
    """The state as a DataFrame, one row per tool."""
    return frames.state_frame(load_state(open_backend(cfg)))


def state_text(cfg: Config, version_id: str | None = None) -> str:
    """The raw state YAML, as stored (``version_id`` picks an older version where history is kept)."""
    backend = open_backend(cfg)
    data = backend.read_version(version_id) if version_id else backend.read().data
    return data.decode("utf-8")


def show_status(cfg: Config, plugin: str | None = None, instance_id: str | None = None):
    """Drift table: for each tool in the state, the stored resource vs what its plugin reads now."""
    state = load_state(open_backend(cfg))
    rows = []
    for entry in state.to_list():
        if (plugin and entry.name != plugin) or (instance_id and entry.instance_id != instance_id):
            continue
        live, error = None, ""
        try:
            live = _plugin(cfg, entry.name).read(entry.options or {})
        except Exception as exc:  # noqa: BLE001 - shown in the table, not raised
            error = log.redact(str(exc) if isinstance(exc, DtmnbError) else f"{type(exc).__name__}: {exc}")
        if error:
            status = "error"
        elif live is None:
            status = "gone"
        else:
            status = "in sync" if same_resource(entry.resource, live) else "drifted"
        rows.append((entry, live, status, error))
    if (plugin or instance_id) and not rows:
        raise UsageError(f"state with (id: {instance_id or 'default'}, plugin: {plugin}) not found")
    return frames.status_frame(rows)


def state_history(cfg: Config):
    """Versions of the state (S3 object versions; local: current and backup), newest first."""
    backend = open_backend(cfg)
    rows = []
    for v in backend.history():
        try:
            count = len(parse_state(backend.read_version(v.version_id), f"{backend.location}@{v.version_id}"))
        except DtmnbError:
            count = None
        rows.append((v, count))
    return frames.history_frame(rows)


def state_diff(cfg: Config, a: str | None = None, b: str | None = None):
    """Per-tool differences between two versions of the state (default: the previous and the latest)."""
    backend = open_backend(cfg)
    versions = [v.version_id for v in backend.history()]
    if a is None or b is None:
        if len(versions) < 2:
            raise UsageError(f"the state {backend.location} has {len(versions)} version(s); a diff needs two")
        a, b = (a or versions[1]), (b or versions[0])
    old = parse_state(backend.read_version(a), f"{backend.location}@{a}")
    new = parse_state(backend.read_version(b), f"{backend.location}@{b}")
    return frames.diff_frame(old, new, a, b)


def lock_status(cfg: Config):
    """Who holds the state lock now (an empty frame when nobody does)."""
    return frames.lock_frame(open_backend(cfg).current_lock())


def force_unlock(cfg: Config, lock_id: str):
    """Remove a stale lock, given its id (see ``lock_status``). Returns the removed lock as a frame."""
    return frames.lock_frame(open_backend(cfg).force_unlock(lock_id))
