"""Plugin registry: name -> class (or ``"module:Class"`` path, imported on first use).

Built-ins are listed here; other packages add theirs through the ``dtmnb.plugins`` entry-point group
(``name = "package.module:Class"``), registered as strings so nothing loads until a tool needs it.
"""
from __future__ import annotations

import importlib
from types import MappingProxyType

from ..errors import DtmnbError, PluginNotFoundError
from ..schema import did_you_mean
from .base import Plugin, PluginContext

_registry: dict[str, str | type[Plugin]] = {
    "github-repo-scaffolding-golang": "dtmnb.plugins.github_scaffolding:GithubRepoScaffoldingGolang",
    "local-repo-scaffolding": "dtmnb.plugins.local_scaffolding:LocalRepoScaffolding",
    "local-file": "dtmnb.plugins.local_file:LocalFile",
    "githubactions-golang": "dtmnb.plugins.githubactions_golang:GithubActionsGolang",
}
registry = MappingProxyType(_registry)
_entry_points: dict[str, str] = {}    # name -> how the entry point was written, for error messages
_entry_points_loaded = False


def register_plugin(name: str, target: str | type[Plugin], clobber: bool = False) -> None:
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
            dist = getattr(ep, "dist", None)
            package = f", package {dist.name} {dist.version}" if dist is not None else ""
            _entry_points[ep.name] = f"the entry point `{ep.name} = {ep.value}` (group dtmnb.plugins{package})"


def is_registered(name: str) -> bool:
    """Whether a plugin is registered as ``name`` (entry points are scanned only for names not built in)."""
    if name not in _registry:
        _load_entry_points()
    return name in _registry


def plugin_names() -> list[str]:
    _load_entry_points()
    return sorted(_registry)


def get_plugin_class(name: str) -> type[Plugin]:
    """The class registered as ``name``; PluginNotFoundError (with did-you-mean) when none is or it cannot
    be loaded."""
    target = _registry.get(name) if is_registered(name) else None
    if target is None:
        raise PluginNotFoundError(
            f"unknown plugin '{name}'{did_you_mean(name, _registry, chr(39))}. Known plugins: "
            f"{', '.join(plugin_names())}. A third-party plugin registers itself in the 'dtmnb.plugins' "
            f"entry-point group.")
    if isinstance(target, str):
        target = _import(name, target)
        _registry[name] = target
    return target


def _import(name: str, path: str) -> type[Plugin]:
    source = _entry_points.get(name, f"'{path}'")
    module, _, attr = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except Exception as exc:
        raise PluginNotFoundError(f"plugin '{name}' cannot be loaded from {source}: {type(exc).__name__}: {exc}. "
                                  f"Reinstall or fix the package that provides it.") from None
    if not (isinstance(cls, type) and issubclass(cls, Plugin)):
        raise PluginNotFoundError(f"plugin '{name}' from {source} is not a dtmnb.plugins.Plugin subclass")
    return cls


def get_plugin(name: str, context: PluginContext | None = None) -> Plugin:
    return get_plugin_class(name)(context)


__all__ = ["Plugin", "PluginContext", "get_plugin", "get_plugin_class", "is_registered", "plugin_names",
           "register_plugin",
           "registry"]
