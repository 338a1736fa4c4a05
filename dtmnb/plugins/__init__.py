"""Plugin registry: name -> dotted class path, imported on first use.

Built-ins are listed here; other packages add theirs through the ``dtmnb.plugins`` entry-point group
(``name = "package.module:Class"``), registered as strings so nothing loads until a tool needs it.
"""
from __future__ import annotations

import importlib
from types import MappingProxyType

from ..errors import DtmnbError, PluginNotFoundError
from .base import Plugin, PluginContext

_registry: dict[str, str | type] = {
    "github-repo-scaffolding-golang": "dtmnb.plugins.github_scaffolding:GithubRepoScaffoldingGolang",
    "local-repo-scaffolding": "dtmnb.plugins.local_scaffolding:LocalRepoScaffolding",
    "local-file": "dtmnb.plugins.local_file:LocalFile",
    "githubactions-golang": "dtmnb.plugins.githubactions_golang:GithubActionsGolang",
}
registry = MappingProxyType(_registry)
_entry_points_loaded = False


def register_plugin(name: str, target: str | type, clobber: bool = False) -> None:
    """Register a plugin class (or its ``"module:Class"`` path) under ``name``."""
    if name in _registry and _registry[name] != target and not clobber:
        raise DtmnbError(f"a plugin named '{name}' is already registered ({_registry[name]})")
    _registry[name] = target


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="dtmnb.plugins"):
        if ep.name not in _registry:
            _registry[ep.name] = ep.value


def plugin_names() -> list[str]:
    _load_entry_points()
    return sorted(_registry)


def get_plugin_class(name: str) -> type[Plugin]:
    _load_entry_points()
    target = _registry.get(name)
    if target is None:
        raise PluginNotFoundError(
            f"unknown plugin '{name}'. Known plugins: {', '.join(plugin_names())}. "
            f"A third-party plugin registers itself in the 'dtmnb.plugins' entry-point group.")
    if isinstance(target, str):
        module, _, cls = target.partition(":")
        try:
            target = getattr(importlib.import_module(module), cls)
        except ImportError as exc:
            raise PluginNotFoundError(f"plugin '{name}' ({target}) cannot be imported: {exc}") from None
        _registry[name] = target
    return target


def get_plugin(name: str, context: PluginContext | None = None) -> Plugin:
    return get_plugin_class(name)(context)


__all__ = ["Plugin", "PluginContext", "get_plugin", "get_plugin_class", "plugin_names", "register_plugin",
           "registry"]
