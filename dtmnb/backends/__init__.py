"""Backend registry: backend name -> dotted class path, imported on first use (boto3 only for s3)."""
from __future__ import annotations

import importlib
from types import MappingProxyType

from ..errors import ConfigError
from .base import Backend, LockInfo, Snapshot, StateVersion

_known = {
    "local": "dtmnb.backends.local:LocalBackend",
    "s3": "dtmnb.backends.s3:S3Backend",
}
known_backends = MappingProxyType(_known)


def get_backend(state_config) -> Backend:
    """Build the backend for a Config's ``state`` section (validates its options)."""
    name = state_config.backend
    if name not in _known:
        raise ConfigError(
            f"{state_config.file or 'config'}: unknown state backend '{state_config.backend}'. "
            f"Use one of: {', '.join(sorted(_known))}."
        )
    module, _, cls = _known[name].partition(":")
    backend_cls = getattr(importlib.import_module(module), cls)
    return backend_cls.from_config(state_config)


__all__ = ["Backend", "LockInfo", "Snapshot", "StateVersion", "get_backend", "known_backends"]
