"""The local backend: missing file is empty, atomic conditional writes with a backup, an exclusive lock."""
from __future__ import annotations

import multiprocessing
import os

import pytest

import dtmnb
from dtmnb.backends.local import LocalBackend
from dtmnb.console import QuietConsole
from dtmnb.errors import BackendError, LockHeldError, StaleStateError, StateFormatError

from ._engine_helpers import Recorder, write_config


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
    with pytest.raises(RuntimeError):
        with backend.locked("apply"):
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
