"""The backend contract: read the whole state blob, write it conditionally, lock, and (optionally) history.

Write a backend by subclassing :class:`Backend`: give it a ``name``, a ``schema`` for its options and a
``from_config`` that builds it from checked options, and implement the storage primitives

- ``_read() -> Snapshot``: the bytes and a version token (None when there is no state yet);
- ``_write(data, expected_version, info) -> new version``: write only if the stored version is still
  ``expected_version`` (None: only if there is none), else raise StaleStateError and write nothing;
- ``_create_lock(info) -> bool`` (atomic; False when a lock exists), ``_read_lock()``, ``_delete_lock()``;
- optionally ``_delete_lock_if(info)`` (delete only while the stored lock is ``info``, atomically where the
  store allows), ``history()`` and ``read_version(version_id)``.

A ``_write`` or ``_create_lock`` whose request may have been retried after its first attempt landed must not
blame itself: a write recognises its own bytes, and this base recognises its own lock by its id.

This base does the bookkeeping every backend shares: remembering the version last read so that writes are
conditional, holding the lock for an operation, refusing to unlock someone else's lock without its id, and
removing at the end only the lock this run holds (UnlockError, naming the lock id, when that fails).
Register it with ``dtmnb.backends.register_backend("name", MyBackend)`` or the ``dtmnb.backends`` entry
point group; ``dtmnb.testing.check_backend(factory)`` runs the contract against it.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import json
import os
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ..errors import BackendError, ConfigError, DtmnbError, LockHeldError, UnlockError
from ..redact import redact
from ..schema import OptionProblem, Schema


@dataclass(frozen=True)
class Snapshot:
    """What one read returned: the bytes, and the version token a conditional write must match
    (S3: the ETag; local: a sha256 of the bytes). ``version`` is None when the state does not exist."""

    data: bytes
    version: str | None

    @property
    def exists(self) -> bool:
        return self.version is not None


def who_am_i() -> str:
    """This process as locks and history name it: ``user@host (pid N)``."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()} (pid {os.getpid()})"


@dataclass(frozen=True)
class WriteInfo:
    """Why a version of the state was written: the run (its lock id), operation, the tool whose change it
    records and that change's step in the plan, and the person."""

    run_id: str
    operation: str
    tool: str = ""
    who: str = ""
    step: int = 0


@dataclass(frozen=True)
class LockInfo:
    """The content of a lock: who holds it, for what, since when, and the changes the run intends to make
    (``intent``: ``"step key action"`` lines), so a run that died can be recovered from. Stored as JSON."""

    id: str
    operation: str
    who: str
    created: str
    version: str = ""
    intent: tuple[str, ...] = field(default=())

    @classmethod
    def new(cls, operation: str, intent: tuple[str, ...] = ()) -> LockInfo:
        from .. import __version__

        return cls(
            id=str(uuid.uuid4()),
            operation=operation,
            who=who_am_i(),
            created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            version=f"dtmnb {__version__}",
            intent=tuple(intent),
        )

    def to_json(self) -> bytes:
        raw = asdict(self)
        raw["intent"] = list(self.intent)
        return (json.dumps(raw, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, where: str) -> LockInfo:
        try:
            raw = json.loads(data.decode("utf-8"))
            fields = {k: str(raw.get(k, "")) for k in ("id", "operation", "who", "created", "version")}
            intent = raw.get("intent") or []
            return cls(**fields, intent=tuple(str(i) for i in intent) if isinstance(intent, list) else ())
        except Exception:  # any unreadable lock is still a lock
            return cls(id="", operation="unknown", who=f"unreadable lock {where}", created="", version="")

    def describe(self) -> str:
        return f"{self.who}, operation '{self.operation}', since {self.created}, lock id {self.id}"

    def holder_gone(self) -> bool:
        """True when the holder ran on this machine and its process has ended: the lock is stale."""
        return bool(_dead_local_holder(self))


@dataclass(frozen=True)
class StateVersion:
    """One entry of a backend's history (S3 object versions, local backups); ``info`` says which run
    wrote it, when the backend recorded that."""

    version_id: str
    modified: _dt.datetime
    size: int
    is_latest: bool
    info: WriteInfo | None = None


class Backend:
    """Base of all state backends. ``location`` names the state for people (a path or s3://b/k)."""

    name: ClassVar[str] = "abstract"
    #: the ``state.options`` this backend takes (checked when the config loads)
    schema: ClassVar[Schema] = Schema(closed=False)
    #: hold a lock during apply/delete/destroy (the ``use_lockfile`` option)
    use_lockfile = True
    #: history() goes back to the state's first write (S3 with versioning), not only to recent versions
    full_history: ClassVar[bool] = False

    # ---- options -----------------------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: dict) -> list[OptionProblem]:
        """Every problem with ``state.options``: the schema's checks, then rules it cannot say."""
        return cls.schema.check(_flags(cls.schema, options))

    @classmethod
    def checked_options(cls, state_config: Any) -> dict:
        """``state_config.options`` checked (one ConfigError listing every problem) with defaults filled in."""
        options = _flags(cls.schema, state_config.options)
        problems = cls.check_options(options)
        if problems:
            where = state_config.file or "config"
            lines = [f"{where}: state.options: {p.message}" for p in problems]
            raise ConfigError(lines[0] if len(lines) == 1 else
                              f"{where}: the {cls.name} state backend's options have {len(lines)} problems:\n  - "
                              + "\n  - ".join(lines), lines)
        return cls.schema.with_defaults(options)

    @classmethod
    def from_config(cls, state_config: Any) -> Backend:
        """Build the backend from a Config's ``state`` section (use ``checked_options``)."""
        raise NotImplementedError

    def __init__(self) -> None:
        self._last: Snapshot | None = None
        self._lock: LockInfo | None = None

    # ---- primitives a backend implements -------------------------------------------------------
    location: str = ""

    def describe(self) -> str:
        """dtm's log line, e.g. 'Using local backend. State file: devstream.state.'"""
        raise NotImplementedError

    def _read(self) -> Snapshot:
        raise NotImplementedError

    def _write(self, data: bytes, expected_version: str | None, info: WriteInfo | None = None) -> str:
        """Write ``data`` only if the stored version is still ``expected_version`` (None: must not
        exist). Return the new version. Raise StaleStateError (writing nothing) on a mismatch.
        ``info`` says which run wrote it; keep it with the version if the backend keeps history."""
        raise NotImplementedError

    def _create_lock(self, info: LockInfo) -> bool:
        """Create the lock atomically; return False if a lock already exists."""
        raise NotImplementedError

    def _read_lock(self) -> LockInfo | None:
        raise NotImplementedError

    def _delete_lock(self) -> None:
        raise NotImplementedError

    def history(self) -> list[StateVersion]:
        """Versions of the state, newest first. Raises HistoryUnavailableError when none are kept."""
        from ..errors import HistoryUnavailableError

        raise HistoryUnavailableError(f"the {self.name} backend keeps no history")

    def read_version(self, version_id: str) -> bytes:
        from ..errors import HistoryUnavailableError

        raise HistoryUnavailableError(f"the {self.name} backend keeps no history")

    # ---- what the engine uses -------------------------------------------------------------------
    def read(self) -> Snapshot:
        """Read the whole state; a missing state reads as empty bytes. Remembers the version."""
        snap = self._read()
        self._last = snap
        return snap

    def write(self, data: bytes, info: WriteInfo | None = None) -> Snapshot:
        """Write the whole state, conditional on the version last read (read() must come first)."""
        if self._last is None:
            raise BackendError("internal error: write() before read()")
        version = self._write(data, self._last.version, info)
        self._last = Snapshot(data, version)
        return self._last

    @property
    def last_version(self) -> str | None:
        """The version token of the last read (None: the state did not exist)."""
        return self._last.version if self._last else None

    @property
    def lock_info(self) -> LockInfo | None:
        """The lock this backend object holds, if any."""
        return self._lock

    def current_lock(self) -> LockInfo | None:
        """Whoever holds the lock now (this process or another), or None."""
        return self._read_lock()

    def acquire(self, operation: str, intent: tuple[str, ...] = ()) -> LockInfo:
        """Take the lock for ``operation`` (LockHeldError naming the holder when someone has it).

        A lock create whose answer was lost (a retried request, a timeout) may have reached the store;
        the lock found there is then recognised as ours by its id, so a run never locks itself out."""
        info = LockInfo.new(operation, intent)
        failure: BackendError | None = None
        try:
            if self._create_lock(info):
                self._lock = info
                return info
        except BackendError as exc:
            if not getattr(exc, "maybe_done", False):  # it surely did not reach the store
                raise
            failure = exc
        try:
            holder = self._read_lock()
        except BackendError as exc:
            first = failure or exc
            also = f" (reading the lock failed too: {exc})" if failure else ""
            if self._abandon_lock(info):
                unknown = BackendError(redact(
                    f"{first}{also} This run holds no lock (if its lock was created, it has been removed "
                    f"again); nothing was changed. Try again."))
            else:
                unknown = BackendError(redact(
                    f"{first} It is not known whether this run's lock was created{also}: if `dtmnb state "
                    f"lock -f CONFIG` shows lock id {info.id}, it is this run's; remove it with `dtmnb state "
                    f"unlock -f CONFIG {info.id}`."))
        else:
            if holder is not None and holder.id == info.id:  # our own create landed; its answer was lost
                self._lock = info
                return info
            if failure is not None and holder is None:
                raise failure
            raise self._held_error(holder)
        raise unknown  # outside the except block: nothing chained

    def _abandon_lock(self, info: LockInfo) -> bool:
        """After a lock create whose outcome is unknown: remove the lock if (and only if) it is ``info``,
        without needing to read it. True when this run surely holds no lock now. Default: cannot."""
        return False

    def _held_error(self, holder: LockInfo | None) -> LockHeldError:
        who = holder.describe() if holder else "another run (it was released just now; try again)"
        gone = _dead_local_holder(holder)
        return LockHeldError(redact(
            f"the state {self.location} is locked by {who}. "
            + (f"That process ({gone}) is no longer running, so the lock is stale: " if gone else
               "Wait for that run to finish; if it died, ")
            + f"remove the lock with `dtmnb state unlock -f CONFIG {holder.id if holder else 'LOCK_ID'}` "
            f"or dtmnb.force_unlock(cfg, lock_id)."), holder)

    def release(self) -> None:
        """Remove the lock this object holds, if the stored lock is still ours (after a forced unlock
        and a new holder, the new holder's lock stays). UnlockError (with the lock id) when it cannot."""
        mine = self._lock
        if mine is None:
            return
        self._lock = None
        try:
            self._delete_lock_if(mine)
            return
        except UnlockError:
            raise
        except BackendError as exc:
            failure = UnlockError(redact(
                f"cannot remove the lock {mine.id} of {self.location}: {exc} The lock is only a marker: "
                f"the state is not affected, and every state write this run reported is stored. Other runs "
                f"are blocked until the lock is removed with `dtmnb state unlock -f CONFIG {mine.id}` or "
                f"dtmnb.force_unlock(cfg, '{mine.id}')."), mine.id, self.location)
        raise failure  # outside the except block: nothing chained

    def _delete_lock_if(self, info: LockInfo) -> bool:
        """Delete the lock only if it is still ``info`` (by id); True when deleted. Backends that can
        delete conditionally (S3 If-Match) override this to close the gap between the check and the delete."""
        current = self._read_lock()
        if current is None or current.id != info.id:
            return False
        self._delete_lock()
        return True

    @contextlib.contextmanager
    def locked(self, operation: str, enabled: bool = True,
               intent: tuple[str, ...] = ()) -> Iterator[LockInfo | None]:
        """Hold the lock for ``operation``; released on success, failure and Ctrl-C alike. When the body
        failed and the unlock fails too, the body's error propagates and says so (``.unlock_error``)."""
        if not enabled:
            yield None
            return
        info = self.acquire(operation, intent)
        try:
            yield info
        except BaseException as exc:
            try:
                self.release()
            except UnlockError as unlock_error:
                _tell_unlock_failed(exc, unlock_error)
            raise
        self.release()

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove the lock if its id is ``lock_id``; returns the removed lock."""
        current = self._read_lock()
        if current is None:
            raise BackendError(f"the state {self.location} is not locked; nothing to unlock")
        if current.id != lock_id:
            raise BackendError(redact(
                f"the lock on {self.location} has id {current.id}, not {lock_id}; held by "
                f"{current.describe()}. Nothing was removed."))
        if not self._delete_lock_if(current):
            raise BackendError(f"the lock {lock_id} on {self.location} changed while it was being removed; "
                               f"nothing was removed. Look again with `dtmnb state lock -f CONFIG`.")
        return current


def _tell_unlock_failed(exc: BaseException, unlock_error: UnlockError) -> None:
    """Make the error that ended a locked block also say that its lock could not be removed: a dtmnb
    error's message gets the UnlockError's text appended (people read str(error)); others get a note."""
    exc.unlock_error = unlock_error  # type: ignore[attr-defined]
    if isinstance(exc, DtmnbError) and exc.args:
        exc.args = (f"{exc.args[0]} Also: {unlock_error}", *exc.args[1:])
        problems = getattr(exc, "problems", None)
        if isinstance(problems, list):
            problems.append(str(unlock_error))
    elif hasattr(exc, "add_note"):
        exc.add_note(str(unlock_error))


def _dead_local_holder(holder: LockInfo | None) -> str:
    """'pid N on this machine' when the lock's holder ran here and is gone, else ''."""
    if holder is None:
        return ""
    m = re.search(r"@(?P<host>[^\s@]+) \(pid (?P<pid>\d+)\)$", holder.who)
    if not m or m["host"] != socket.gethostname() or not _pid_gone(int(m["pid"])):
        return ""
    return f"pid {m['pid']} on this machine"


def _pid_gone(pid: int) -> bool:
    """True when no process ``pid`` runs on this machine (False when unsure)."""
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError, ValueError):
        return False
    return False


_FLAG_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _flags(schema: Schema, options: dict | None) -> dict:
    """Backend options as given, with boolean options written as words ("true", "off") made booleans."""
    out = dict(options or {})
    for o in schema:
        value = out.get(o.name)
        if o.type == "boolean" and isinstance(value, str) and value.strip().lower() in _FLAG_WORDS:
            out[o.name] = _FLAG_WORDS[value.strip().lower()]
    return out
