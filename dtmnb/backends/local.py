"""The local backend: one YAML file, written atomically, with ``<file>.backup`` and ``<file>.lock``."""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import tempfile
from pathlib import Path

from ..errors import BackendError, StaleStateError
from ..schema import Option, Schema
from .base import Backend, LockInfo, Snapshot, StateVersion, WriteInfo

DEFAULT_STATE_FILE = "devstream.state"


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBackend(Backend):
    """State in one local file (dtm's ``local`` backend), locked by ``<stateFile>.lock``."""

    name = "local"
    schema = Schema((
        Option("stateFile", "string", default=DEFAULT_STATE_FILE,
               description="the state file; a relative path is read from the config file's folder"),
        Option("use_lockfile", "boolean", default=True,
               description="hold <stateFile>.lock during apply/delete/destroy"),
    ))

    def __init__(self, path: Path, display_name: str | None = None, use_lockfile: bool = True):
        super().__init__()
        self.path = Path(path)
        self.display_name = display_name if display_name is not None else str(path)
        self.use_lockfile = use_lockfile
        self.location = str(self.path)

    @classmethod
    def from_config(cls, state_config) -> "LocalBackend":
        options = cls.checked_options(state_config)
        raw = options.get("stateFile") or DEFAULT_STATE_FILE
        return cls(state_config.path_option("stateFile", DEFAULT_STATE_FILE), str(raw), options["use_lockfile"])

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".backup")

    def describe(self) -> str:
        return f"Using local backend. State file: {self.display_name}."

    def _read(self) -> Snapshot:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return Snapshot(b"", None)
        except IsADirectoryError:
            raise BackendError(f"the state file {self.path} is a directory; set stateFile to a file path") from None
        except OSError as exc:
            raise BackendError(f"cannot read the state file {self.path}: {exc.strerror}") from None
        return Snapshot(data, _version(data))

    def _write(self, data: bytes, expected_version: str | None, info: WriteInfo | None = None) -> str:
        current = self._read()
        if current.version != expected_version:
            raise StaleStateError(
                f"the state file {self.path} was changed by someone else since dtmnb read it "
                f"(another run, dtm itself, or a hand edit). Nothing was written. "
                f"Run plan again to see the state as it is now.")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if current.exists:
                self._atomic_write(self.backup_path, current.data)
            self._atomic_write(self.path, data)
        except OSError as exc:
            raise BackendError(f"cannot write the state file {self.path}: {exc.strerror or exc}") from None
        return _version(data)

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.chmod(tmp, path.stat().st_mode & 0o777)
            except FileNotFoundError:
                os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _create_lock(self, info: LockInfo) -> bool:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(info.to_json())
            f.flush()
            os.fsync(f.fileno())
        return True

    def _read_lock(self) -> LockInfo | None:
        try:
            data = self.lock_path.read_bytes()
        except FileNotFoundError:
            return None
        return LockInfo.from_json(data, str(self.lock_path))

    def _delete_lock(self) -> None:
        try:
            self.lock_path.unlink()
        except FileNotFoundError:
            pass

    def history(self) -> list[StateVersion]:
        versions = []
        for vid, p in (("current", self.path), ("backup", self.backup_path)):
            if p.exists():
                st = p.stat()
                versions.append(StateVersion(vid, _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc),
                                             st.st_size, vid == "current"))
        return versions

    def read_version(self, version_id: str) -> bytes:
        paths = {"current": self.path, "backup": self.backup_path}
        if version_id not in paths:
            raise BackendError(f"the local backend keeps versions 'current' and 'backup', not '{version_id}'")
        try:
            return paths[version_id].read_bytes()
        except FileNotFoundError:
            raise BackendError(f"there is no '{version_id}' version of {self.path}") from None

