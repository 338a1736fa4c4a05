"""The local backend: one YAML file, written atomically, with ``<file>.backup`` and ``<file>.lock``.

A write (see docs/reliability.md for what is and is not guaranteed):

1. takes an exclusive OS lock (``flock``) on the state file's folder, so two dtmnb writers never interleave,
   with or without ``use_lockfile``;
2. removes temp files left by killed writers (their pid is in the name; only dead pids' files go; taking
   the lock does this too);
3. writes the new bytes to a temp file and fsyncs it;
4. then checks the file still holds the version read (else StaleStateError, nothing written);
5. keeps the current file as ``<file>.backup`` by hard link, so a writer that does not take the OS lock and
   writes in place (dtm does) in the last moment writes into the backup, not into nothing;
6. records who wrote the new version in ``<file>.history.json`` (matched to versions by sha256);
7. renames the temp file over the state file: from here on the write is done, and no temp file is left.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BackendError, StaleStateError
from ..schema import Option, Schema
from .base import Backend, LockInfo, Snapshot, StateVersion, WriteInfo, _pid_gone

if TYPE_CHECKING:
    from ..config import StateConfig

DEFAULT_STATE_FILE = "devstream.state"
VERSIONS = ("current", "backup")
WRITE_LOCK_WAIT = 30.0     # seconds to wait for another writer's OS lock (a write takes milliseconds)
TEMP_MAX_AGE = 24 * 3600   # temp files of other machines (or reused pids) are removed after this long
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
_TEMP = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)-(?P<host>[0-9a-f]{6})\.[0-9a-f]+\.tmp$")
_OLD_TEMP = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$")  # mkstemp names of dtmnb before 0.2


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
        self._swept = False

    @classmethod
    def from_config(cls, state_config: StateConfig) -> LocalBackend:
        options = cls.checked_options(state_config)
        raw = options.get("stateFile") or DEFAULT_STATE_FILE
        path = state_config.path_option("stateFile", DEFAULT_STATE_FILE)
        assert path is not None  # given a default, path_option never returns None
        return cls(path, str(raw), options["use_lockfile"])

    def _beside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    @property
    def lock_path(self) -> Path:
        return self._beside(".lock")

    @property
    def backup_path(self) -> Path:
        return self._beside(".backup")

    @property
    def info_path(self) -> Path:
        """Who wrote the current and the backup version (matched to them by sha256)."""
        return self._beside(".history.json")

    def describe(self) -> str:
        return f"Using local backend. State file: {self.display_name}."

    # ---- read / write -----------------------------------------------------------------------------
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

    def _stale(self) -> StaleStateError:
        return StaleStateError(
            f"the state file {self.path} was changed by someone else since dtmnb read it "
            f"(another run, dtm itself, or a hand edit). Nothing was written. "
            f"Run plan again to see the state as it is now.")

    def _write(self, data: bytes, expected_version: str | None, info: WriteInfo | None = None) -> str:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _folder_lock(self.path.parent):
                if not self._swept:
                    self.sweep_temp_files()
                    self._swept = True
                tmp = self._temp_file(self.path, data)
                try:
                    current = self._read()  # after the slow part (fsync): the window left is the link + rename
                    if current.version != expected_version:
                        raise self._stale()
                    if current.exists:
                        self._keep_backup(current.data)
                    self._record(info, data, current)  # before the rename: a kill leaves no temp file behind it
                    os.replace(tmp, self.path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
                _fsync_folder(self.path.parent)
        except OSError as exc:
            raise BackendError(f"cannot write the state file {self.path}: {exc.strerror or exc}") from None
        return _version(data)

    def _keep_backup(self, data: bytes) -> None:
        """``<file>.backup`` := the file about to be replaced: a hard link to the live file (whatever is
        written into it in place until the rename stays in the backup), or a copy where links fail."""
        link = self._temp_name(self.backup_path)
        try:
            os.link(self.path, link)
        except FileNotFoundError:
            raise self._stale() from None
        except OSError:
            self._atomic_write(self.backup_path, data)
            return
        try:
            os.replace(link, self.backup_path)
        finally:
            # rename() does nothing when both names are links to one file already (a write killed
            # between this link and its rename leaves the backup linked to the state): drop the spare name
            with contextlib.suppress(OSError):
                os.unlink(link)

    def _temp_name(self, target: Path) -> Path:
        return target.with_name(f".{target.name}.{os.getpid()}-{_HOST}.{uuid.uuid4().hex[:12]}.tmp")

    def _temp_file(self, target: Path, data: bytes, sync: bool = True) -> Path:
        """A temp file beside ``target`` holding ``data`` (fsynced), with the target's permissions."""
        tmp = self._temp_name(target)
        try:
            mode = target.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
            os.chmod(tmp, mode)  # the umask may have narrowed it
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return tmp

    def _atomic_write(self, path: Path, data: bytes, sync: bool = True) -> None:
        tmp = self._temp_file(path, data, sync)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def sweep_temp_files(self) -> list[Path]:
        """Remove temp files that killed writers left beside the state (``.<file>*.tmp``); returns them.
        A file whose pid still runs on this machine is left alone; files of other machines (or of a reused
        pid) only once they are a day old. Run when a backend object first locks or writes."""
        removed: list[Path] = []
        prefix = f".{self.path.name}"
        try:
            entries = list(os.scandir(self.path.parent))
        except OSError:
            return removed
        now = time.time()
        for entry in entries:
            name = entry.name
            if not (name.startswith(prefix) and name.endswith(".tmp")):
                continue
            m = _TEMP.match(name)
            try:
                age = now - entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            if m:
                orphan = (m["host"] == _HOST and _pid_gone(int(m["pid"]))) or age > TEMP_MAX_AGE
            else:  # an older dtmnb's mkstemp name: no pid, but such a write takes milliseconds
                orphan = bool(_OLD_TEMP.match(name)) and age > 600
            if orphan:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
        return removed

    # ---- who wrote what -------------------------------------------------------------------------
    def _record(self, info: WriteInfo | None, data: bytes, previous: Snapshot) -> None:
        """Keep the WriteInfo of the new version, and of the one now in the backup if it was recorded.
        Advisory: a failure here never fails the write (history then shows the version without info)."""
        kept = [e for e in self._recorded() if previous.exists and e.get("sha256") == previous.version][:1]
        if info is not None:
            kept.insert(0, {"sha256": _version(data), **asdict(info)})
        try:
            if kept or self.info_path.exists():
                self._atomic_write(self.info_path, (json.dumps({"versions": kept}, indent=2) + "\n").encode(),
                                   sync=False)
        except OSError:
            pass

    def _recorded(self) -> list[dict]:
        try:
            raw = json.loads(self.info_path.read_bytes())
            versions = raw.get("versions", []) if isinstance(raw, dict) else []
            return [v for v in versions if isinstance(v, dict)]
        except (OSError, ValueError):
            return []

    # ---- lock -------------------------------------------------------------------------------------
    def _create_lock(self, info: LockInfo) -> bool:
        """Write the lock's content to a temp file, then hard-link it as ``<file>.lock``: the link is
        atomic and fails if a lock exists, and a killed process never leaves a half-written lock."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        if not self._swept:
            self.sweep_temp_files()
            self._swept = True
        tmp = self._temp_file(self.lock_path, info.to_json())
        try:
            os.link(tmp, self.lock_path)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise BackendError(f"cannot create the lock {self.lock_path}: {exc.strerror or exc}") from None
            return self._create_lock_exclusive(info)  # a file system without hard links
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return True

    def _create_lock_exclusive(self, info: LockInfo) -> bool:
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
        except OSError as exc:
            raise BackendError(f"cannot read the lock {self.lock_path}: {exc.strerror or exc}") from None
        return LockInfo.from_json(data, str(self.lock_path))

    def _delete_lock(self) -> None:
        try:
            self.lock_path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise BackendError(f"cannot remove the lock {self.lock_path}: {exc.strerror or exc}") from None

    # ---- history ----------------------------------------------------------------------------------
    def history(self) -> list[StateVersion]:
        """The current version and ``<file>.backup``, with who wrote each when it was recorded."""
        recorded = {e.get("sha256"): e for e in reversed(self._recorded())}
        versions = []
        for vid, p in zip(VERSIONS, (self.path, self.backup_path), strict=True):
            try:
                data = p.read_bytes()
                st = p.stat()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise BackendError(f"cannot read {p}: {exc.strerror or exc}") from None
            versions.append(StateVersion(vid, _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc),
                                         len(data), vid == "current", _write_info(recorded.get(_version(data)))))
        return versions

    def read_version(self, version_id: str) -> bytes:
        paths = dict(zip(VERSIONS, (self.path, self.backup_path), strict=True))
        if version_id not in paths:
            raise BackendError(
                f"the local backend keeps two versions of {self.path}, 'current' and 'backup'; there is no "
                f"version {version_id!r}. List them with `dtmnb state history -f CONFIG` or "
                f"dtmnb.state_history(cfg).")
        try:
            return paths[version_id].read_bytes()
        except FileNotFoundError:
            raise BackendError(f"there is no '{version_id}' version of {self.path} yet (it appears after "
                               f"the second write)" if version_id == "backup" else
                               f"there is no state file {self.path} yet") from None
        except OSError as exc:
            raise BackendError(f"cannot read {paths[version_id]}: {exc.strerror or exc}") from None


def _write_info(entry: dict | None) -> WriteInfo | None:
    if not entry:
        return None
    return WriteInfo(**{k: str(entry.get(k) or "") for k in ("run_id", "operation", "tool", "who")},
                     step=_int(entry.get("step")))


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive ``flock`` on the folder itself (no extra file), waited for up to WRITE_LOCK_WAIT s.
    Where flock is unavailable (Windows, some network file systems) writes go on without it."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + WRITE_LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BackendError(
                        f"another process has been writing a state file in {folder} for over "
                        f"{WRITE_LOCK_WAIT:.0f} s; nothing was written. Try again when it has finished.") from None
                time.sleep(0.005)
            except OSError:  # flock not supported here
                break
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
