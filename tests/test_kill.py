"""SIGKILL at random moments during an apply of 20 changes (public API, local-file tools), on the local
backend and on S3 (alternating weed and moto).

After each kill: the state parses and records only completed changes (each recorded file exists with the
recorded checksum), at most one completed change is unrecorded (the one in flight), a lock left by the
dead process names it as no longer running, the next run that writes removes every temp file, and a
rerun converges. The moment is chosen by events, not by the clock: the test waits (a handshake) for the
m-th change to finish, m uniform in 0..20, then kills after a random part of one change's duration.

Trials: DTMNB_TRIALS_KILL per backend (default 30; S3's alternate between weed and moto).
"""
from __future__ import annotations

import hashlib
import queue
import threading
import time
import uuid
from collections import Counter

import pytest

import dtmnb
from dtmnb.errors import LockHeldError

from . import _trials
from ._recovery import recover
from ._reliability import Where, tool_keys, write_config
from ._workers import Worker, worker_env

K = 20


def _content(i: int) -> bytes:
    return f"hello {i}".encode()


def _completed(where: Where) -> set[str]:
    files = where.files()
    return {key for i, key in enumerate(tool_keys(K)) if files.get(f"f{i:03d}.txt") == _content(i)}


def _check_in_flight_reported(message: str, unrecorded: set[str]) -> None:
    """The next run's lock error names the change that was in flight (from the dead run's intent record)."""
    for key in unrecorded:
        assert f"{key} Create, was probably running when it stopped" in message, (message, unrecorded)


class _Spares:
    """Workers started in the background, so a trial never waits for Python to start."""

    def __init__(self, env: dict, log_dir):
        self._env, self._log_dir, self._ready = env, log_dir, queue.Queue()
        self._start()

    def _start(self) -> None:
        threading.Thread(target=lambda: self._ready.put(Worker(self._env, self._log_dir)), daemon=True).start()

    def take(self) -> Worker:
        worker = self._ready.get(timeout=120)
        self._start()
        return worker

    def close(self) -> None:
        self._ready.get(timeout=120).close()


def _targets(request, kind: str):
    if kind == "local":
        return lambda trial: None
    from ._fixtures_s3 import S3Target, _prepare

    servers = {}
    for name in ("weed", "moto"):
        server = request.getfixturevalue(f"{name}_s3")
        _prepare(server)
        servers[name] = S3Target(server, name, server.endpoint)
    return lambda trial: servers["weed" if trial % 2 == 0 else "moto"]


def _setup(tmp_path, name: str, s3):
    folder = tmp_path / name
    if s3 is None:
        return write_config(folder, K), Where(folder)
    key = f"kill/{uuid.uuid4().hex[:12]}/devstream.state"
    return write_config(folder, K, backend="s3", endpoint=s3.endpoint, key=key, region=s3.region), \
        Where(folder, s3, key)


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_sigkill_at_random_moments(request, tmp_path, kind, s3_env):
    rng, seed = _trials.rng(f"kill-{kind}")
    target_for = _targets(request, kind)
    spares = _Spares(worker_env(target_for(0) or None), tmp_path / "worker-logs")
    stats: Counter = Counter()
    try:
        # how long one change takes here, now (the machine is shared): one apply without a kill
        worker = spares.take()
        config, _ = _setup(tmp_path, "calibrate", target_for(0))
        worker.job(config, config.parent / "creates.log")
        started = time.monotonic()
        worker.go()
        assert set(r["status"] for r in worker.expect("outcome")["rows"]) == {"succeeded"}
        per_change = (time.monotonic() - started) / K
        worker.close()

        for trial in range(_trials.trials("kill", 30)):
            s3 = target_for(trial)
            config, where = _setup(tmp_path, f"t{trial}", s3)
            worker = spares.take()
            worker.job(config, config.parent / "creates.log", announce=True)
            finished = rng.randint(0, K)          # kill after this many changes have finished ...
            after = rng.uniform(0, per_change)    # ... and this far into the next one
            worker.go()
            for _ in range(finished):
                worker.expect("created")
            time.sleep(after)  # where to strike, drawn at random: not a wait for anything
            worker.kill()
            label = f"{seed} trial {trial} ({kind} {s3.kind if s3 else ''}): killed {after:.3f} s after change " \
                    f"{finished} finished"

            entries = where.entries()  # the state parses
            completed = _completed(where)
            assert set(entries) <= completed, (label, entries, completed)
            state = dtmnb.read_state(dtmnb.load_config(config))
            for row in state.itertuples():  # what is recorded is what was made
                i = tool_keys(K).index(row.key)
                assert row.resource["sha256"] == hashlib.sha256(_content(i)).hexdigest(), label
            unrecorded = completed - set(entries)
            assert len(unrecorded) <= 1, (label, unrecorded)
            stats["kills"] += 1
            stats["recorded changes"] += len(entries)
            stats["in flight (made, not recorded)"] += len(unrecorded)

            cfg = dtmnb.load_config(config)
            lock = where.lock()
            if lock is not None:
                stats["locks left by the dead process"] += 1
                if not dtmnb.plan(cfg).empty:  # (killed after its last change: a rerun has nothing to lock for)
                    with pytest.raises(LockHeldError) as held:
                        dtmnb.apply(cfg, auto_approve=True)
                    assert lock["id"] in str(held.value) and "is no longer running" in str(held.value), label
                    _check_in_flight_reported(str(held.value), unrecorded)
                dtmnb.force_unlock(cfg, lock["id"])
            temps = where.temp_files()
            stats["temp files left"] += len(temps)
            recover(cfg)
            assert where.entries() == tool_keys(K) and where.lock() is None, label
            assert where.temp_files() == [], (label, temps, where.temp_files())
            assert _completed(where) == set(tool_keys(K)), label
            assert dtmnb.plan(cfg).empty, label
    finally:
        spares.close()
    print(f"\n{kind}: {dict(stats)}")
    assert stats["kills"] == _trials.trials("kill", 30)


def test_sigkill_inside_the_state_write(tmp_path):
    """Killed between writing a temp file and renaming it (the n-th rename of a backend temp file, n at
    random): the temp file is on disk, the state is the previous whole version, and the next run that
    writes removes the temp file and converges. Trials: DTMNB_TRIALS_KILL_WINDOW (default 10)."""
    rng, seed = _trials.rng("kill-window")
    spares = _Spares(worker_env(), tmp_path / "worker-logs")
    left: Counter = Counter()
    try:
        for trial in range(_trials.trials("kill_window", 10)):
            config, where = _setup(tmp_path, f"t{trial}", None)
            worker = spares.take()
            # per change: the state's temp file, from the 2nd change on its backup link too (and the
            # history file when the engine passes a WriteInfo): at least 2K-1 renames in all
            worker.job(config, config.parent / "creates.log", pause_replace=rng.randint(1, 2 * K - 1))
            worker.go()
            paused = worker.expect("pausing")
            worker.kill()
            label = f"{seed} trial {trial}: killed before renaming {paused}"
            temps = where.temp_files()
            assert paused in temps, (label, temps)
            left.update(next((k for k in ("backup", "history", "lock") if f".{k}." in name), "state") for name in temps)
            entries = where.entries()
            assert set(entries) <= _completed(where) and len(_completed(where) - set(entries)) <= 1, label
            cfg = dtmnb.load_config(config)
            lock = where.lock()
            assert lock is not None, label
            with pytest.raises(LockHeldError, match="is no longer running"):
                dtmnb.apply(cfg, auto_approve=True)
            dtmnb.force_unlock(cfg, lock["id"])
            recover(cfg)
            assert where.temp_files() == [], label
            assert where.entries() == tool_keys(K) and dtmnb.plan(cfg).empty, label
    finally:
        spares.close()
    print(f"\ntemp files left by the kills, by kind: {dict(left)}")
