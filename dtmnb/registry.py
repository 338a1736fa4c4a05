"""A name -> class registry, shared by plugins and state backends.

An entry is a class or a ``"module:Class"`` path imported on first use, so nothing loads until a config
names it. Other packages add entries through an entry-point group (``name = "package.module:Class"``),
scanned once, and only when a name is not built in.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from .errors import DtmnbError
from .schema import did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """``kind`` names an entry in messages ("plugin", "state backend"); ``group`` is the entry-point group;
    entries must be subclasses of ``base``; ``fold_case`` makes names case-insensitive."""

    def __init__(self, kind: str, group: str, base: type, builtins: dict[str, str], fold_case: bool = False):
        self.kind, self.group, self.base, self.fold_case = kind, group, base, fold_case
        self.entries: dict[str, str | type[T]] = dict(builtins)
        self._sources: dict[str, str] = {}   # name -> how its entry point was written, for error messages
        self._scanned = False

    def copy(self) -> Registry[T]:
        """A registry with the same entries that has not scanned the entry points yet (for tests)."""
        other: Registry[T] = Registry(self.kind, self.group, self.base, {}, self.fold_case)
        other.entries = dict(self.entries)
        return other

    def key(self, name: object) -> str:
        return str(name).lower() if self.fold_case else str(name)

    def register(self, name: str, target: str | type[T], clobber: bool = False) -> None:
        key = self.key(name)
        if key in self.entries and self.entries[key] != target and not clobber:
            raise DtmnbError(f"a {self.kind} named '{key}' is already registered ({self.entries[key]})")
        self.entries[key] = target

    def __contains__(self, name: object) -> bool:
        key = self.key(name)
        if key not in self.entries:
            self._scan()
        return key in self.entries

    def names(self) -> list[str]:
        self._scan()
        return sorted(self.entries)

    def load(self, name: str, error: Callable[[str], Exception]) -> type[T]:
        """The class registered as ``name``; ``error(message)`` is raised when none is or it cannot be loaded."""
        key = self.key(name)
        if key not in self:
            raise error(f"unknown {self.kind} '{name}'{did_you_mean(key, self.entries, chr(39))}. Known: "
                        f"{', '.join(self.names())}. A third-party {self.kind} registers itself in the "
                        f"'{self.group}' entry-point group.")
        target = self.entries[key]
        if isinstance(target, str):
            target = self.entries[key] = self._import(key, target, error)
        return target

    def _import(self, key: str, path: str, error: Callable[[str], Exception]) -> type[T]:
        source = self._sources.get(key, f"'{path}'")
        module, _, attr = path.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except Exception as exc:  # whatever a broken package raises on import, named for the user
            raise error(f"{self.kind} '{key}' cannot be loaded from {source}: {type(exc).__name__}: {exc}. "
                        f"Reinstall or fix the package that provides it.") from None
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise error(f"{self.kind} '{key}' from {source} is not a subclass of "
                        f"{self.base.__module__}.{self.base.__qualname__}")
        return cast("type[T]", cls)

    def _scan(self) -> None:
        if self._scanned:
            return
        self._scanned = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.group):
            key = self.key(ep.name)
            if key not in self.entries:
                self.entries[key] = ep.value
                dist = getattr(ep, "dist", None)
                package = f", package {dist.name} {dist.version}" if dist is not None else ""
                self._sources[key] = f"the entry point `{ep.name} = {ep.value}` (group {self.group}{package})"
