"""Planning: the changes apply, delete and destroy will make, and nothing else.

dtm's algorithm (Create / Update / Delete in dependency order, deletes reversed), made a promise:

- drift is read with the options **the state recorded**, so Read reaches the thing dtmnb made;
- a changed identity option (or any change, for a plugin that cannot update in place) is a **Replace**:
  delete what the state recorded, then create the new one — and the reason says both sides;
- a tool whose options reference the outputs of a tool that changes is planned too ("known after
  apply"), and a reference to a tool adds the dependency, so one apply converges;
- each Update/Replace carries the attribute-level ``diff`` that caused it.
"""
from __future__ import annotations

from dataclasses import replace

from ..config import Config, Tool
from ..errors import PluginNotFoundError, UsageError
from ..graph import dependency_batches
from ..plugins import Plugin, PluginContext, get_plugin_class
from ..references import references_in, resolve
from ..report import get_logger
from ..state import State, ToolState
from .compare import differences, resource_differences, same_data, same_resource
from .model import Action, Change, Difference, Operation, Plan

log = get_logger("engine")
KNOWN_AFTER_APPLY = "(known after apply)"


class Plugins:
    """The plugin instances one run uses (one per plugin name), for the config's folder."""

    def __init__(self, cfg: Config):
        self.context = PluginContext(base_dir=cfg.base_dir,
                                     config_tools=tuple((t.name, t.options) for t in cfg.tools))
        self._made: dict[str, Plugin] = {}

    def get(self, name: str) -> Plugin:
        if name not in self._made:
            self._made[name] = get_plugin_class(name)(self.context)
        return self._made[name]

    def check(self, names: list[str]) -> None:
        """Fail before doing anything if a tool names an unknown plugin (all such names at once)."""
        problems = []
        for name in dict.fromkeys(names):
            try:
                get_plugin_class(name)
            except PluginNotFoundError as exc:
                problems.append(str(exc))
        if problems:
            raise PluginNotFoundError("; ".join(problems))

    def options(self, name: str, options: dict | None) -> dict:
        """``options`` with the plugin schema's defaults filled in: what the plugin is called with."""
        schema = get_plugin_class(name).schema
        return schema.with_defaults(options) if schema is not None else dict(options or {})


def ordered(tools: list[Tool]) -> list[list[Tool]]:
    """dtm's dependency batches of ``tools`` (config order inside a batch)."""
    by_ref = {t.ref: t for t in tools}
    batches = dependency_batches(list(by_ref), {t.ref: t.depends_on for t in tools})
    return [[by_ref[r] for r in batch] for batch in batches]


def tool_from_state(s: ToolState) -> Tool:
    return Tool(s.name, s.instance_id, list(s.depends_on or []), dict(s.options or {}), file="state")


def with_reference_dependencies(tools: list[Tool]) -> list[Tool]:
    """The tools with every tool their options reference (``${{ NAME.INSTANCE.outputs.KEY }}``) added to
    ``dependsOn``, so a referenced tool always runs first."""
    refs = {t.ref for t in tools}
    out = []
    for t in tools:
        extra = [r for r in dict.fromkeys(references_in(t.options)) if r in refs and r not in t.depends_on]
        out.append(replace(t, depends_on=[*t.depends_on, *extra]) if extra else t)
    return out


# ---- apply ---------------------------------------------------------------------------------------------

def plan_apply(cfg: Config, state: State, plugins: Plugins, snapshot_version: str | None = None) -> Plan:
    """Creates, updates and replaces for the config's tools, deletes for the tools no longer in it."""
    tools = with_reference_dependencies(cfg.tools)
    plugins.check([t.name for t in tools])
    deletes = _deletes_of_removed_tools(cfg, state, plugins)
    changes: list[Change] = []
    planned: set[str] = set()   # refs of tools with a change whose outputs may differ after it
    for batch in ordered(tools):
        for tool in batch:
            change = _plan_tool(tool, state, plugins, planned)
            if change:
                changes.append(change)
                planned.add(tool.ref)
    return _numbered(Plan(Operation.APPLY, deletes + changes, snapshot_version))


def _plan_tool(tool: Tool, state: State, plugins: Plugins, planned: set[str]) -> Change | None:
    who = f"Tool ({tool.name}/{tool.instance_id})"
    stored = state.get(tool.key)
    if stored is None:
        return Change(tool, Action.CREATE, f"{who} found in config but doesn't exist in the state, will be created.")
    plugin = plugins.get(tool.name)
    awaits = tuple(r for r in dict.fromkeys(references_in(tool.options)) if r in planned)
    options = resolve(tool.options, state, strict=False)
    if awaits:
        pending = _known_after_apply(tool, stored, plugin, plugins, awaits, options)
        own = _drift(tool, stored, plugin, plugins, options, who)
        if own is None:
            return pending              # decided when its options are resolved
        own.awaits, own.diff = awaits, pending.diff + own.diff
        if own.action == Action.UPDATE and pending.action == Action.REPLACE:
            own.action, own.reason = Action.REPLACE, f"{own.reason[:-1]}; {pending.reason}"
        return own                      # drifted too: it runs whatever its options resolve to
    if not same_data(stored.options, options):
        diff = tuple(differences(stored.options, options, "options."))
        return _update_or_replace(tool, stored, plugin, plugins, options, diff,
                                  f"{who} config drifted from the state")
    change = _drift(tool, stored, plugin, plugins, options, who)
    if change is None:
        log.debug(f"{who} is the same as the state, do nothing.")
    return change


def _drift(tool: Tool, stored: ToolState, plugin: Plugin, plugins: Plugins, options: dict, who: str) -> Change | None:
    """The change the thing itself needs, read with the options the state recorded: a Create when it is gone,
    an Update or Replace when it differs from what the state recorded, else None."""
    live = plugin.read(plugins.options(tool.name, stored.options))
    if live is None:
        return Change(tool, Action.CREATE, f"{who} state found but it seems the tool isn't created, will be created.",
                      prior=stored)
    if not same_resource(stored.resource, live):
        diff = tuple(resource_differences(stored.resource, live))
        return _update_or_replace(tool, stored, plugin, plugins, options, diff, f"{who} drifted from the state")
    return None


def _masked(plugin: Plugin, diff: tuple[Difference, ...]) -> tuple[Difference, ...]:
    """The diff with the values of the plugin's secret options hidden."""
    secret = set(plugin.schema.secrets) if plugin.schema is not None else set()
    if not secret:
        return diff
    return tuple(Difference(d.path, "***", "***") if d.path.split(".")[1:2] and d.path.split(".")[1] in secret
                 else d for d in diff)


def _update_or_replace(tool: Tool, stored: ToolState, plugin: Plugin, plugins: Plugins, options: dict,
                       diff: tuple[Difference, ...], why: str) -> Change:
    diff = _masked(plugin, diff)
    before = plugin.identity_of(plugins.options(tool.name, stored.options))
    after = plugin.identity_of(plugins.options(tool.name, options))
    if before != after:
        reason = (f"{why}, will be replaced: {_name(plugin, plugins, tool.name, stored.options)} will be deleted, "
                  f"then {_name(plugin, plugins, tool.name, options)} created (its identity changed).")
        return Change(tool, Action.REPLACE, reason, prior=stored, diff=diff)
    if plugin.replace_on_update:
        note = f" ({plugin.replace_note})" if plugin.replace_note else ""
        return Change(tool, Action.REPLACE, f"{why}, will be replaced{note}.", prior=stored, diff=diff)
    return Change(tool, Action.UPDATE, f"{why}, will be updated.", prior=stored, diff=diff)


def _known_after_apply(tool: Tool, stored: ToolState, plugin: Plugin, plugins: Plugins, awaits: tuple[str, ...],
                       options: dict) -> Change:
    """A tool whose options reference outputs of a tool that changes in this plan: planned now, decided
    when its options are resolved (unchanged after all: recorded as unchanged, not run). It is a Replace
    when a referenced option identifies the resource (or the plugin cannot update in place)."""
    pending = {k for k, v in tool.options.items() if set(references_in(v)) & set(awaits)}
    diff = tuple(Difference(f"options.{k}", stored.options.get(k), KNOWN_AFTER_APPLY) for k in sorted(pending))
    diff += tuple(d for d in differences(stored.options, options, "options.")
                  if d.path.split(".")[1] not in pending)
    destructive = plugin.replace_on_update or (plugin.identity_of(plugins.options(tool.name, stored.options))
                                               != plugin.identity_of(plugins.options(tool.name, options)))
    what = "replaced" if destructive else "updated"
    reason = (f"Tool ({tool.name}/{tool.instance_id}) references outputs of {', '.join(awaits)}, which change in "
              f"this plan: its options are known after apply; it will be {what} if they differ.")
    return Change(tool, Action.REPLACE if destructive else Action.UPDATE, reason, prior=stored,
                  diff=_masked(plugin, diff), awaits=awaits, only_if_changed=True)


def _name(plugin: Plugin, plugins: Plugins, name: str, options: dict) -> str:
    return plugin.describe_identity(plugins.options(name, options)) or name


def _deletes_of_removed_tools(cfg: Config, state: State, plugins: Plugins) -> list[Change]:
    in_config = {t.key for t in cfg.tools}
    removed = [s for s in state.to_list() if s.key not in in_config]
    plugins.check([s.name for s in removed])
    return _reverse_deletes([tool_from_state(s) for s in removed], state)


def _reverse_deletes(tools: list[Tool], state: State) -> list[Change]:
    return [Change(tool, Action.DELETE, f"Tool ({tool.name}/{tool.instance_id}) will be deleted.",
                   prior=state.get(tool.key))
            for batch in reversed(ordered(tools)) for tool in batch]


# ---- delete and destroy ----------------------------------------------------------------------------------

def plan_delete(cfg: Config, state: State, plugins: Plugins, force: bool = False,
                snapshot_version: str | None = None) -> Plan:
    """Delete the config's tools that the state records (all of them with ``force``), dependents first.
    A recorded tool is deleted with the options the state recorded."""
    tools = [t for t in with_reference_dependencies(cfg.tools) if force or t.key in state]
    plugins.check([t.name for t in tools])
    return _numbered(Plan(Operation.DELETE, _reverse_deletes(tools, state), snapshot_version))


def plan_destroy(state: State, plugins: Plugins, snapshot_version: str | None = None) -> Plan:
    """Delete every tool the state records, whatever the config says, dependents first."""
    tools = [tool_from_state(s) for s in state.to_list()]
    plugins.check([t.name for t in tools])
    return _numbered(Plan(Operation.DESTROY, _reverse_deletes(tools, state), snapshot_version))


def plan_import(cfg: Config, state: State, refs: list[str], snapshot_version: str | None = None) -> Plan:
    """Record existing things in the state, read with the config's options (like ``terraform import``).
    ``refs`` name config tools as ``NAME.INSTANCE`` (or the state key ``NAME_INSTANCE``)."""
    tools = {t.ref: t for t in with_reference_dependencies(cfg.tools)}
    keys = {t.key: t.ref for t in tools.values()}
    changes, problems = [], []
    for ref in dict.fromkeys(refs):
        tool = tools.get(ref) or tools.get(keys.get(ref, ""))
        if tool is None:
            problems.append(f"{ref} is not a tool of the config (tools: {', '.join(tools) or 'none'}); import "
                            f"takes NAME.INSTANCE of a tool written in the config")
        elif tool.key in state:
            problems.append(f"{tool.ref} is already in the state; plan shows whether it drifted")
        else:
            changes.append(Change(tool, Action.IMPORT, f"Tool ({tool.name}/{tool.instance_id}) will be read and "
                                                       f"recorded in the state as it is now."))
    if problems:
        raise UsageError("cannot import: " + "; ".join(problems))
    return _numbered(Plan(Operation.IMPORT, changes, snapshot_version))


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


__all__ = ["KNOWN_AFTER_APPLY", "Plugins", "ordered", "plan_apply", "plan_delete", "plan_destroy", "plan_import",
           "tool_from_state",
           "with_reference_dependencies"]
