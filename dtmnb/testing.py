"""Conformance checks a plugin or backend author runs in their own tests (dtmnb runs them on its own).

    from dtmnb.testing import check_plugin, check_backend

    def test_my_plugin(tmp_path):
        check_plugin(MyPlugin, {"path": "a.txt"}, update={"path": "a.txt", "text": "new"},
                     context=PluginContext(base_dir=tmp_path))

    def test_my_backend(tmp_path):
        check_backend(lambda: MyBackend(tmp_path / "state"))

Each raises :class:`ContractError` listing every rule the plugin or backend broke; the rules are the ones
in the docstrings of :class:`dtmnb.plugins.Plugin` and :class:`dtmnb.backends.Backend`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .backends import Backend
from .errors import ContractError, DtmnbError, LockHeldError, PluginError, StaleStateError
from .plugins.base import Plugin, PluginContext
from .schema import Schema
from .state import storable_problem


def check_plugin(cls: type[Plugin], options: dict, *, update: dict | None = None,
                 context: PluginContext | None = None) -> None:
    """Run a plugin through create/read/(update)/delete with ``options`` (and ``update``: the same identity
    with another option changed) against a place where nothing exists yet. Leaves nothing behind."""
    problems = _class_problems(cls, options, update)
    if problems:
        raise ContractError(f"plugin {cls.__name__}", problems)
    plugin = cls(context)
    full = cls.schema.with_defaults(options) if cls.schema is not None else dict(options)
    made = False
    try:
        if plugin.read(full) is not None:
            raise ContractError(f"plugin {cls.__name__}", ["read() found something before create(): check against "
                                                           "a place where nothing exists yet"])
        created = plugin.create(full)
        made = True
        bad = _resource_problems("create()", created)
        problems += bad or _same("read() after create()", plugin.read(full), created)
        try:
            plugin.create(full)
            problems.append("create() over an existing resource succeeded; it must raise PluginError and leave "
                            "the resource untouched (dtmnb never adopts or overwrites)")
        except PluginError:
            pass
        except Exception as exc:
            problems.append(f"create() over an existing resource raised {type(exc).__name__}, not PluginError")
        if update is not None and not cls.replace_on_update:
            changed = cls.schema.with_defaults(update) if cls.schema is not None else dict(update)
            updated = plugin.update(changed, created)
            bad = _resource_problems("update()", updated)
            problems += bad or _same("read() after update()", plugin.read(changed), updated)
            full = changed
        plugin.delete(full)
        made = False
        if plugin.read(full) is not None:
            problems.append("read() after delete() still finds the resource; it must return None")
        try:
            plugin.delete(full)
        except Exception as exc:
            problems.append(f"delete() of what is already gone raised {type(exc).__name__}: {exc}")
    finally:
        if made:
            plugin.delete(full)
    if problems:
        raise ContractError(f"plugin {cls.__name__}", problems)


def _class_problems(cls: type[Plugin], options: dict, update: dict | None) -> list[str]:
    problems = []
    if not (isinstance(cls, type) and issubclass(cls, Plugin)):
        return [f"{cls!r} is not a subclass of dtmnb.plugins.Plugin"]
    if not cls.name:
        problems.append("the class attribute `name` is empty (it is the name tools use)")
    if cls.schema is not None:
        if not isinstance(cls.schema, Schema):
            problems.append("`schema` must be a dtmnb.schema.Schema (or None)")
        else:
            problems += [f"the sample options: {p}" for p in cls.schema.check(options)]
            problems += [f"the sample options: {p}" for p in cls.check_options(cls.schema.with_defaults(options))]
    if not cls.replace_on_update and cls.update is Plugin.update:
        problems.append("update() is not implemented: implement it, or set replace_on_update = True")
    if update is not None and cls.identity_of(update) != cls.identity_of(options):
        problems.append("the update sample changes an identity option; give it the same identity")
    return problems


def _resource_problems(what: str, resource: Any) -> list[str]:
    if not isinstance(resource, dict):
        return [f"{what} returned a {type(resource).__name__}, not a map"]
    problem = storable_problem(resource, "resource")
    out = [f"{what}: {problem}"] if problem else []
    if "outputs" in resource and not isinstance(resource["outputs"], dict):
        out.append(f"{what}: resource['outputs'] must be a map")
    return out


def _same(what: str, live: Any, expected: Any) -> list[str]:
    from .engine.compare import resource_differences

    if live is None:
        return [f"{what} returned None; it must describe the resource that exists"]
    diffs = resource_differences(expected, live, "")
    return [f"{what} differs from what was returned before: " + "; ".join(map(str, diffs[:5]))] if diffs else []


def check_backend(factory: Callable[[], Backend]) -> None:
    """Run the backend contract: ``factory()`` must return a new backend object for one empty state location
    each time it is called (two objects stand for two runs sharing the state)."""
    problems: list[str] = []
    first, second = factory(), factory()
    snap = first.read()
    if snap.data != b"" or snap.version is not None:
        raise ContractError("backend", ["read() of a state that does not exist must be empty bytes with version "
                                        "None; check against an empty location"])
    first.write(b"a: 1\n")
    again = factory().read()
    if again.data != b"a: 1\n" or again.version is None:
        problems.append("read() after write() does not return the bytes written with a version")
    second.read()
    first.write(b"a: 2\n")
    try:
        second.write(b"a: 3\n")
        problems.append("write() after someone else's write succeeded; it must raise StaleStateError")
    except StaleStateError:
        pass
    if factory().read().data != b"a: 2\n":
        problems.append("a refused write changed the stored bytes")
    problems += _lock_problems(factory)
    if problems:
        raise ContractError(f"backend {type(first).__name__}", problems)


def _lock_problems(factory: Callable[[], Backend]) -> list[str]:
    problems = []
    holder, other = factory(), factory()
    info = holder.acquire("apply", ("1 a_b Create",))
    try:
        try:
            other.acquire("apply")
            problems.append("a second acquire() succeeded while the lock was held")
        except LockHeldError as exc:
            if exc.lock is None or exc.lock.id != info.id:
                problems.append("LockHeldError must carry the holder's LockInfo")
        current = other.current_lock()
        if current is None or current.id != info.id or tuple(current.intent) != ("1 a_b Create",):
            problems.append("current_lock() does not return the holder's lock with its intent")
        try:
            other.force_unlock("not-the-id")
            problems.append("force_unlock() with a wrong id removed the lock")
        except DtmnbError:
            pass
    finally:
        holder.release()
    if other.current_lock() is not None:
        problems.append("release() left the lock in place")
    return problems


__all__ = ["ContractError", "check_backend", "check_plugin"]
