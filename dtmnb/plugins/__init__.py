"""Plugin registry: name -> class (or ``"module:Class"`` path, imported on first use).

Built-ins are listed here; other packages add theirs through the ``dtmnb.plugins`` entry-point group
(``name = "package.module:Class"``), registered as strings so nothing loads until a tool needs it.
"""
from __future__ import annotations

from types import MappingProxyType

from ..errors import PluginNotFoundError
from ..registry import Registry
from .base import Plugin, PluginContext

REGISTRY: Registry[Plugin] = Registry("plugin", "dtmnb.plugins", Plugin, {
    "github-repo-scaffolding-golang": "dtmnb.plugins.github_scaffolding:GithubRepoScaffoldingGolang",
    "local-repo-scaffolding": "dtmnb.plugins.local_scaffolding:LocalRepoScaffolding",
    "local-file": "dtmnb.plugins.local_file:LocalFile",
    "githubactions-golang": "dtmnb.plugins.githubactions_golang:GithubActionsGolang",
})
registry = MappingProxyType(REGISTRY.entries)


def register_plugin(name: str, target: str | type[Plugin], clobber: bool = False) -> None:
    """Register a plugin class (or its ``"module:Class"`` path) under ``name``."""
    REGISTRY.register(name, target, clobber)


def is_registered(name: str) -> bool:
    """Whether a plugin is registered as ``name`` (entry points are scanned only for names not built in)."""
    return name in REGISTRY


def plugin_names() -> list[str]:
    return REGISTRY.names()


def get_plugin_class(name: str) -> type[Plugin]:
    """The class registered as ``name``; PluginNotFoundError (with did-you-mean) when none is or it cannot
    be loaded."""
    return REGISTRY.load(name, PluginNotFoundError)


def get_plugin(name: str, context: PluginContext | None = None) -> Plugin:
    return get_plugin_class(name)(context)


__all__ = ["REGISTRY", "Plugin", "PluginContext", "get_plugin", "get_plugin_class", "is_registered",
           "plugin_names", "register_plugin", "registry"]
