"""Backend registry: backend name -> class (or ``"module:Class"`` path, imported on first use).

Built-ins are ``local`` and ``s3`` (boto3 is imported only when an s3 backend talks to S3). Other packages
add theirs through the ``dtmnb.backends`` entry-point group (``name = "package.module:Class"``), registered
as strings so nothing loads until a config names the backend. See :class:`~dtmnb.backends.base.Backend`.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..registry import Registry
from .base import Backend, LockInfo, Snapshot, StateVersion, WriteInfo

if TYPE_CHECKING:
    from ..config import StateConfig

REGISTRY: Registry[Backend] = Registry("state backend", "dtmnb.backends", Backend, {
    "local": "dtmnb.backends.local:LocalBackend",
    "s3": "dtmnb.backends.s3:S3Backend",
}, fold_case=True)
registry = MappingProxyType(REGISTRY.entries)
known_backends = registry   # the name older code used


def register_backend(name: str, target: str | type[Backend], clobber: bool = False) -> None:
    """Register a backend class (or its ``"module:Class"`` path) under ``name`` (lower-case)."""
    REGISTRY.register(name, target, clobber)


def is_registered(name: str) -> bool:
    """Whether a backend is registered as ``name`` (entry points are scanned only for names not built in)."""
    return name in REGISTRY


def backend_names() -> list[str]:
    return REGISTRY.names()


def get_backend_class(name: str, where: str = "config") -> type[Backend]:
    """The class registered as ``name``; ConfigError (with did-you-mean) when none is or it cannot be loaded."""
    return REGISTRY.load(name, lambda message: ConfigError(f"{where}: {message}"))


def get_backend(state_config: StateConfig) -> Backend:
    """Build the backend for a Config's ``state`` section; its options are checked by the backend's schema."""
    where = state_config.file or "config"
    return get_backend_class(state_config.backend, where).from_config(state_config)


__all__ = ["REGISTRY", "Backend", "LockInfo", "Snapshot", "StateVersion", "WriteInfo", "backend_names",
           "get_backend", "get_backend_class", "is_registered", "known_backends", "register_backend", "registry"]
