"""The local backend: missing file is empty, atomic conditional writes with a backup, an exclusive lock."""
from __future__ import annotations

import errno
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dtmnb
from dtmnb.backends.local import LocalBackend
from dtmnb.console import QuietConsole
from dtmnb.errors import BackendError, LockHeldError, StaleStateError, StateFormatError, UnlockError

from ._engine_helpers import Recorder, write_config

ROOT = Path(__file__).resolve().parent.parent


def test_missing_file_reads_empty_and_creates_nothing(tmp_path):
    backend = LocalBackend(tmp_path / "sub" / "devstream.state")
    snap = backend.read()
    assert snap.data == b"" and not snap.exists
    assert not (tmp_path / "sub").exists()


def test_first_write_creates_dirs_then_backup_is_kept(tmp_path):
    path = tmp_path / "sub" / "devstream.state"
    backend = LocalBackend(path)
    backend.read()
    backend.write(b"one\n")
    assert path.read_bytes() == b"one\n" and not backend.backup_path.exists()
    backend.write(b"two\n")
    assert path.read_bytes() == b"two\n" and backend.backup_path.read_bytes() == b"one\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["devstream.state", "devstream.state.backup"]


def test_write_refuses_when_file_changed_behind_our_back(tmp_path):
    path = tmp_path / "devstream.state"
    path.write_bytes(b"original\n")
    backend = LocalBackend(path)
    backend.read()
    path.write_bytes(b"hand edit\n")
    with pytest.raises(StaleStateError, match="changed by someone else"):
        backend.write(b"ours\n")
    assert path.read_bytes() == b"hand edit\n"


def test_write_refuses_when_file_appeared_behind_our_back(tmp_path):
    path = tmp_path / "devstream.state"
    backend = LocalBackend(path)
    backend.read()
    path.write_bytes(b"dtm wrote this\n")
    with pytest.raises(StaleStateError):
        backend.write(b"ours\n")
    assert path.read_bytes() == b"dtm wrote this\n"


def test_keeps_file_mode(tmp_path):
    path = tmp_path / "devstream.state"
    path.write_bytes(b"")
    os.chmod(path, 0o600)
    backend = LocalBackend(path)
    backend.read()
    backend.write(b"x\n")
    assert (path.stat().st_mode & 0o777) == 0o600


def test_state_file_is_a_directory(tmp_path):
    (tmp_path / "devstream.state").mkdir()
    with pytest.raises(BackendError, match="is a directory"):
        LocalBackend(tmp_path / "devstream.state").read()


def test_lock_is_exclusive_and_names_holder(tmp_path):
    a, b = LocalBackend(tmp_path / "s"), LocalBackend(tmp_path / "s")
    info = a.acquire("apply")
    with pytest.raises(LockHeldError) as err:
        b.acquire("destroy")
    assert err.value.lock.id == info.id
    assert "operation 'apply'" in str(err.value) and info.who in str(err.value)
    with pytest.raises(BackendError, match="not .*wrong"):
        b.force_unlock("wrong")
    assert (tmp_path / "s.lock").exists()
    b.force_unlock(info.id)
    assert not (tmp_path / "s.lock").exists()


def test_release_after_exception(tmp_path):
    backend = LocalBackend(tmp_path / "s")
    with pytest.raises(RuntimeError), backend.locked("apply"):
        raise RuntimeError("boom")
    assert backend.current_lock() is None


def _grab(path, barrier, queue):
    backend = LocalBackend(path)
    barrier.wait()
    try:
        backend.acquire("apply")
        queue.put("got it")
    except LockHeldError:
        queue.put("held")


def test_concurrent_processes_exactly_one_gets_the_lock(tmp_path):
    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier, queue = ctx.Barrier(n), ctx.Queue()
    procs = [ctx.Process(target=_grab, args=(tmp_path / "s", barrier, queue)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(20)
    outcomes = sorted(queue.get(timeout=5) for _ in range(n))
    assert outcomes == ["got it"] + ["held"] * (n - 1)


def test_invalid_state_file_is_an_error_and_never_overwritten(tmp_path):
    Recorder.reset()
    cfg = dtmnb.load_config(write_config(tmp_path, "tools:\n- name: recorder\n  instanceID: a\n  options: {id: a}\n"))
    broken = b"recorder_a: [this, is, not, a, state]\n: : :\n"
    (tmp_path / "devstream.state").write_bytes(broken)
    with pytest.raises(StateFormatError) as err:
        dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    assert "devstream.state" in str(err.value)
    assert (tmp_path / "devstream.state").read_bytes() == broken
    assert not Recorder.calls


# ---- the write window: dtm (no lock, writes in place) and other dtmnb writers -------------------------
def _dtm_write(path, data: bytes) -> None:
    """What dtm's local backend does: os.WriteFile, i.e. truncate the file in place and write."""
    with open(path, "wb") as f:
        f.write(data)


def test_dtm_write_while_our_temp_file_is_written_is_detected(tmp_path, monkeypatch):
    path = tmp_path / "devstream.state"
    path.write_bytes(b"v1\n")
    backend = LocalBackend(path)
    backend.read()
    backend.write(b"v2\n")
    real = LocalBackend._temp_file

    def slow_temp_file(self, target, data, sync=True):
        if target == path:
            _dtm_write(path, b"dtm wrote this\n")
        return real(self, target, data, sync)

    monkeypatch.setattr(LocalBackend, "_temp_file", slow_temp_file)
    with pytest.raises(StaleStateError, match="Nothing was written"):
        backend.write(b"v3\n")
    assert path.read_bytes() == b"dtm wrote this\n" and backend.backup_path.read_bytes() == b"v1\n"
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("moment", ["before the backup link", "before the rename"])
def test_dtm_write_in_the_last_moment_is_kept_in_the_backup(tmp_path, monkeypatch, moment):
    """Past the last check, an in-place write lands in the file that becomes <file>.backup (a hard link
    to it), so it is kept there rather than overwritten with nothing left of it."""
    path = tmp_path / "devstream.state"
    backend = LocalBackend(path)
    backend.read()
    backend.write(b"v1\n")
    real_link, real_replace = os.link, os.replace

    def link(src, dst, *a, **k):
        if moment == "before the backup link" and str(dst).endswith(".tmp"):
            _dtm_write(path, b"dtm wrote this\n")
        return real_link(src, dst, *a, **k)

    def replace(src, dst, *a, **k):
        if moment == "before the rename" and str(dst) == str(path):
            _dtm_write(path, b"dtm wrote this\n")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(os, "replace", replace)
    backend.write(b"v2\n")
    assert path.read_bytes() == b"v2\n"
    assert backend.backup_path.read_bytes() == b"dtm wrote this\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_backup_is_a_copy_where_hard_links_fail(tmp_path, monkeypatch):
    path = tmp_path / "devstream.state"
    backend = LocalBackend(path)
    backend.read()
    backend.write(b"v1\n")

    def no_links(src, dst, *a, **k):
        raise OSError(errno.EPERM, "links not supported here")

    monkeypatch.setattr(os, "link", no_links)
    backend.write(b"v2\n")
    assert path.read_bytes() == b"v2\n" and backend.backup_path.read_bytes() == b"v1\n"
    assert os.stat(path).st_ino != os.stat(backend.backup_path).st_ino
    assert backend.acquire("apply").id == backend.current_lock().id  # the lock falls back to O_EXCL too
    backend.release()
    assert not list(tmp_path.glob(".*.tmp"))


_WRITER = r"""
import sys
from dtmnb.backends.local import LocalBackend
from dtmnb.errors import StaleStateError
path, name = sys.argv[1], sys.argv[2]
print("ready", flush=True)
for line in sys.stdin:
    backend = LocalBackend(path, use_lockfile=False)
    backend.read()
    print("read", flush=True)
    sys.stdin.readline()                 # "go"
    try:
        backend.write(f"written by {name} round {line.strip()}\n".encode())
        print("wrote", flush=True)
    except StaleStateError:
        print("stale", flush=True)
"""


def test_dtmnb_writers_racing_without_the_lock_never_overwrite_each_other(tmp_path):
    """Several processes read the same version and write at the same moment: exactly one write lands,
    the others are refused, and the backup holds the version they all read. 20 rounds."""
    path = tmp_path / "devstream.state"
    path.write_bytes(b"round 0\n")
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), f"p{i}"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT) for i in range(3)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for round_ in range(1, 21):
            before = path.read_bytes()
            for p in procs:
                p.stdin.write(f"{round_}\n")
                p.stdin.flush()
            for p in procs:
                assert p.stdout.readline().strip() == "read"
            for p in procs:
                p.stdin.write("go\n")
            for p in procs:
                p.stdin.flush()
            outcomes = [p.stdout.readline().strip() for p in procs]
            assert sorted(outcomes) == ["stale", "stale", "wrote"], (round_, outcomes)
            winner = f"p{outcomes.index('wrote')}"
            assert path.read_bytes() == f"written by {winner} round {round_}\n".encode()
            assert (tmp_path / "devstream.state.backup").read_bytes() == before
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(15)
            p.stdout.close()
    assert not list(tmp_path.glob(".*.tmp"))


# ---- temp files left by killed writers ---------------------------------------------------------------
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_next_write_removes_temp_files_of_dead_writers_only(tmp_path):
    from dtmnb.backends.local import _HOST

    path = tmp_path / "devstream.state"
    dead, alive = _dead_pid(), os.getpid()
    day_old = time.time() - 2 * 24 * 3600
    files = {
        f".devstream.state.{dead}-{_HOST}.0a1b2c3d4e5f.tmp": "removed",           # killed writer
        f".devstream.state.backup.{dead}-{_HOST}.0a1b2c3d4e5f.tmp": "removed",
        f".devstream.state.lock.{dead}-{_HOST}.0a1b2c3d4e5f.tmp": "removed",
        f".devstream.state.history.json.{dead}-{_HOST}.0a1b2c3d4e5f.tmp": "removed",
        f".devstream.state.{alive}-{_HOST}.0a1b2c3d4e5f.tmp": "kept",             # a live writer's
        f".devstream.state.{dead}-ffffff.0a1b2c3d4e5f.tmp": "kept",               # another machine's, fresh
        f".devstream.state.{dead}-eeeeee.0a1b2c3d4e5f.tmp": ("removed", day_old),  # ... a day old
        ".devstream.state.ab_cd12x.tmp": ("removed", day_old),                    # an older dtmnb's mkstemp
        ".devstream.state.ab_cd12y.tmp": "kept",                                  # ... fresh
        ".other.state.123.tmp": "kept",                                           # not ours
        ".devstream.statex": "kept",
    }
    for name, how in files.items():
        (tmp_path / name).write_bytes(b"partial")
        if isinstance(how, tuple):
            os.utime(tmp_path / name, (how[1], how[1]))
    backend = LocalBackend(path)
    backend.read()
    assert all((tmp_path / n).exists() for n in files)  # reading removes nothing
    backend.write(b"v1\n")
    left = {p.name for p in tmp_path.iterdir()}
    for name, how in files.items():
        assert (name in left) == ((how[0] if isinstance(how, tuple) else how) == "kept"), name


def test_taking_the_lock_removes_temp_files_of_dead_writers(tmp_path):
    from dtmnb.backends.local import _HOST

    stale = tmp_path / f".devstream.state.{_dead_pid()}-{_HOST}.0a1b2c3d4e5f.tmp"
    stale.write_bytes(b"partial")
    backend = LocalBackend(tmp_path / "devstream.state")
    with backend.locked("apply"):
        assert not stale.exists()
        assert [p.name for p in tmp_path.iterdir()] == ["devstream.state.lock"]  # no temp name of the lock


# ---- the lock ----------------------------------------------------------------------------------------
def test_release_keeps_a_lock_taken_after_a_forced_unlock(tmp_path):
    a, b = LocalBackend(tmp_path / "s"), LocalBackend(tmp_path / "s")
    mine = a.acquire("apply")
    b.force_unlock(mine.id)
    theirs = b.acquire("apply")
    a.release()
    assert a.current_lock() == theirs and a.lock_info is None
    b.release()
    assert a.current_lock() is None


def test_lock_of_a_dead_process_on_this_machine_says_so(tmp_path):
    import dataclasses
    import socket

    from dtmnb.backends.base import LockInfo

    dead = dataclasses.replace(LockInfo.new("apply"), who=f"someone@{socket.gethostname()} (pid {_dead_pid()})")
    (tmp_path / "s.lock").write_bytes(dead.to_json())
    with pytest.raises(LockHeldError) as err:
        LocalBackend(tmp_path / "s").acquire("apply")
    assert "is no longer running" in str(err.value) and f"unlock -f CONFIG {dead.id}" in str(err.value)
    alive = dataclasses.replace(dead, who=f"someone@{socket.gethostname()} (pid {os.getpid()})")
    (tmp_path / "s.lock").write_bytes(alive.to_json())
    with pytest.raises(LockHeldError) as err:
        LocalBackend(tmp_path / "s").acquire("apply")
    assert "no longer running" not in str(err.value) and "Wait for that run to finish" in str(err.value)


class _StuckLock(LocalBackend):
    """A local backend whose lock cannot be removed (as when the disk goes read-only mid-run)."""

    def _delete_lock(self):
        raise BackendError(f"cannot remove the lock {self.lock_path}: Read-only file system")


def test_unlock_failure_names_the_lock_and_how_to_remove_it(tmp_path):
    backend = _StuckLock(tmp_path / "s")
    with pytest.raises(UnlockError) as err, backend.locked("apply") as info:
        backend.read()
        backend.write(b"v1\n")
    msg = str(err.value)
    assert err.value.lock_id == info.id and err.value.location == str(tmp_path / "s")
    assert f"dtmnb state unlock -f CONFIG {info.id}" in msg and "Read-only file system" in msg
    assert "the state is not affected" in msg
    assert (tmp_path / "s").read_bytes() == b"v1\n" and backend.lock_info is None
    # when the body failed too, its error goes on, and says that the lock is left
    with pytest.raises(StaleStateError) as err, _StuckLock(tmp_path / "other").locked("apply") as info:
        raise StaleStateError("the state changed")
    assert info.id in str(err.value) and isinstance(err.value.unlock_error, UnlockError)


# ---- who wrote each version --------------------------------------------------------------------------
def test_history_says_which_run_wrote_current_and_backup(tmp_path):
    from dtmnb.backends.base import WriteInfo

    path = tmp_path / "devstream.state"
    backend = LocalBackend(path)
    first = WriteInfo("run-1", "apply", "local-file.a", "zoë@laptop (pid 1)")
    second = WriteInfo("run-2", "destroy", "local-file.a", "ann@laptop (pid 2)", step=3)
    backend.read()
    backend.write(b"v1\n", first)
    backend.write(b"v2\n", second)
    history = backend.history()
    assert [(v.version_id, v.is_latest, v.size, v.info) for v in history] == [
        ("current", True, 3, second), ("backup", False, 3, first)]
    assert backend.read_version("backup") == b"v1\n"
    _dtm_write(path, b"dtm wrote this\n")  # a version nobody recorded: known bytes, unknown writer
    assert [v.info for v in backend.history()] == [None, first]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "devstream.state", "devstream.state.backup", "devstream.state.history.json"]


def test_bad_version_id_is_a_clear_error(tmp_path):
    backend = LocalBackend(tmp_path / "devstream.state")
    with pytest.raises(BackendError) as err:
        backend.read_version("3fa9c0")
    assert "'3fa9c0'" in str(err.value) and "'current' and 'backup'" in str(err.value)
    assert "dtmnb state history -f CONFIG" in str(err.value)
    with pytest.raises(BackendError, match="no state file"):
        backend.read_version("current")
