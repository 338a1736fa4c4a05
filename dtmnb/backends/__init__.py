"""Backend registry: backend name -> class (or ``"module:Class"`` path, imported on first use).

Built-ins are ``local`` and ``s3`` (boto3 is imported only when an s3 backend talks to S3). Other packages
add theirs through the ``dtmnb.backends`` entry-point group (``name = "package.module:Class"``), registered
as strings so nothing loads until a config names the backend. See :class:`~dtmnb.backends.base.Backend`.
"""
from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..errors import ConfigError, DtmnbError
from ..schema import did_you_mean
from .base import Backend, LockInfo, Snapshot, StateVersion, WriteInfo

if TYPE_CHECKING:
    from ..config import StateConfig

_registry: dict[str, str | type[Backend]] = {
    "local": "dtmnb.backends.local:LocalBackend",
    "s3": "dtmnb.backends.s3:S3Backend",
}
registry = MappingProxyType(_registry)
known_backends = registry   # the name older code used
_entry_points_loaded = False


def register_backend(name: str, target: str | type[Backend], clobber: bool = False) -> None:
    """Register a backend class (or its ``"module:Class"`` path) under ``name`` (lower-case)."""
    name = name.lower()
    if name in _registry and _registry[name] != target and not clobber:
        raise DtmnbError(f"a state backend named '{name}' is already registered ({_registry[name]})")
    _registry[name] = target


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group="dtmnb.backends"):
        _registry.setdefault(ep.name.lower(), ep.value)


def is_registered(name: str) -> bool:
    """Whether a backend is registered as ``name`` (entry points are scanned only for names not built in)."""
    if str(name).lower() not in _registry:
        _load_entry_points()
    return str(name).lower() in _registry


def backend_names() -> list[str]:
    _load_entry_points()
    return sorted(_registry)


def get_backend_class(name: str, where: str = "config") -> type[Backend]:
    """The class registered as ``name``; ConfigError (with did-you-mean) when none is."""
    key = str(name).lower()
    target = _registry.get(key) if is_registered(key) else None
    if target is None:
        raise ConfigError(f"{where}: unknown state backend '{name}'{did_you_mean(key, _registry, chr(39))}. "
                          f"Use one of: {', '.join(backend_names())} (a third-party backend registers itself in "
                          f"the 'dtmnb.backends' entry-point group).")
    if isinstance(target, str):
        module, _, cls = target.partition(":")
        try:
            target = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{where}: state backend '{name}' ({target}) cannot be loaded: {exc}") from None
        _registry[key] = target
    return target


def get_backend(state_config: StateConfig) -> Backend:
    """Build the backend for a Config's ``state`` section; its options are checked by the backend's schema."""
    where = state_config.file or "config"
    return get_backend_class(state_config.backend, where).from_config(state_config)


__all__ = ["Backend", "LockInfo", "Snapshot", "StateVersion", "WriteInfo", "backend_names", "get_backend",
           "get_backend_class", "is_registered", "known_backends", "register_backend", "registry"]
