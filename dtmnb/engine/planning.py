"""Planning: which changes apply, delete and destroy will make, from the config, the state and what the
plugins read now. dtm's algorithm (Create / Update / Delete, in dependency order, deletes reversed)."""
from __future__ import annotations

from ..config import Config, Tool
from ..errors import PluginNotFoundError, UsageError
from ..graph import dependency_batches
from ..plugins import Plugin, PluginContext, get_plugin_class
from ..references import resolve
from ..report import get_logger
from ..state import State, ToolState
from .compare import same_data, same_resource
from .model import Action, Change, Operation, Plan

log = get_logger("engine")


class Plugins:
    """The plugin instances one run uses (one per plugin name), for the config's folder."""

    def __init__(self, cfg: Config):
        self.context = PluginContext(base_dir=cfg.base_dir)
        self._made: dict[str, Plugin] = {}

    def get(self, name: str) -> Plugin:
        if name not in self._made:
            self._made[name] = get_plugin_class(name)(self.context)
        return self._made[name]

    def check(self, names) -> None:
        """Fail before doing anything if a tool names an unknown plugin (all such names at once)."""
        problems = []
        for name in dict.fromkeys(names):
            try:
                get_plugin_class(name)
            except PluginNotFoundError as exc:
                problems.append(str(exc))
        if problems:
            raise PluginNotFoundError("; ".join(problems))


def ordered(tools: list[Tool]) -> list[list[Tool]]:
    """dtm's dependency batches of ``tools`` (config order inside a batch)."""
    by_ref = {t.ref: t for t in tools}
    try:
        batches = dependency_batches([t.ref for t in tools], {t.ref: t.depends_on for t in tools})
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return [[by_ref[r] for r in batch] for batch in batches]


def tool_from_state(s: ToolState) -> Tool:
    return Tool(s.name, s.instance_id, list(s.depends_on or []), dict(s.options or {}), file="state")


def plan_apply(cfg: Config, state: State, plugins: Plugins, snapshot_version: str | None = None) -> Plan:
    """dtm's apply algorithm, with removed tools deleted in reverse dependency order."""
    plugins.check([t.name for t in cfg.tools])
    deletes = _deletes_of_removed_tools(cfg, state, plugins)
    changes: list[Change] = []
    for batch in ordered(cfg.tools):
        for tool in batch:
            change = _plan_tool(tool, state, plugins)
            if change:
                changes.append(change)
    return _numbered(Plan(Operation.APPLY, deletes + changes, snapshot_version))


def _plan_tool(tool: Tool, state: State, plugins: Plugins) -> Change | None:
    who = f"Tool ({tool.name}/{tool.instance_id})"
    stored = state.get(tool.key)
    if stored is None:
        return Change(tool, Action.CREATE, f"{who} found in config but doesn't exist in the state, will be created.")
    plugin = plugins.get(tool.name)
    options = resolve(tool.options, state, strict=False)
    if not same_data(stored.options, options):
        return Change(tool, Action.UPDATE, _reason(plugin, f"{who} config drifted from the state, will be updated."),
                      prior=stored)
    live = plugin.read(options)
    if live is None:
        return Change(tool, Action.CREATE, f"{who} state found but it seems the tool isn't created, will be created.",
                      prior=stored)
    if not same_resource(stored.resource, live):
        return Change(tool, Action.UPDATE, _reason(plugin, f"{who} drifted from the state, will be updated."),
                      prior=stored)
    log.debug(f"{who} is the same as the state, do nothing.")
    return None


def _reason(plugin: Plugin, reason: str) -> str:
    note = plugin.replace_note if plugin.replace_on_update else ""
    return f"{reason[:-1]} ({note})." if note else reason


def _deletes_of_removed_tools(cfg: Config, state: State, plugins: Plugins) -> list[Change]:
    in_config = {t.key for t in cfg.tools}
    removed = [s for s in state.to_list() if s.key not in in_config]
    plugins.check([s.name for s in removed])
    return _reverse_deletes([tool_from_state(s) for s in removed], state)


def _reverse_deletes(tools: list[Tool], state: State) -> list[Change]:
    return [Change(tool, Action.DELETE, f"Tool ({tool.name}/{tool.instance_id}) will be deleted.",
                   prior=state.get(tool.key))
            for batch in reversed(ordered(tools)) for tool in batch]


def plan_delete(cfg: Config, state: State, plugins: Plugins, force: bool = False,
                snapshot_version: str | None = None) -> Plan:
    """Delete the config's tools that the state records (all of them with ``force``), dependents first."""
    tools = [t for t in cfg.tools if force or t.key in state]
    plugins.check([t.name for t in tools])
    return _numbered(Plan(Operation.DELETE, _reverse_deletes(tools, state), snapshot_version))


def plan_destroy(state: State, plugins: Plugins, snapshot_version: str | None = None) -> Plan:
    """Delete every tool the state records, whatever the config says, dependents first."""
    tools = [tool_from_state(s) for s in state.to_list()]
    plugins.check([t.name for t in tools])
    return _numbered(Plan(Operation.DESTROY, _reverse_deletes(tools, state), snapshot_version))


def _numbered(plan: Plan) -> Plan:
    """Give each change its step and the keys of the changes it must wait for (linear in changes + deps)."""
    creates = {c.tool.ref: c.key for c in plan.changes if c.action != Action.DELETE}
    waiting_deletes: dict[str, list[str]] = {}   # ref -> keys of deletes of tools that depend on it
    for c in plan.changes:
        if c.action == Action.DELETE:
            for d in c.tool.depends_on:
                waiting_deletes.setdefault(d, []).append(c.key)
    for step, change in enumerate(plan.changes, start=1):
        change.step = step
        if change.action == Action.DELETE:  # a delete waits for the deletes of the tools that depend on it
            change.after = list(waiting_deletes.get(change.tool.ref, ()))
        else:
            change.after = [creates[d] for d in change.tool.depends_on if d in creates]
    return plan


__all__ = ["Plugins", "ordered", "plan_apply", "plan_delete", "plan_destroy", "tool_from_state"]
