"""2-4 processes apply one config at the same moment (public API), on the local backend and on S3.

With the lock (default): every tool is created exactly once across all processes; each process either
applied, found the lock held, found the state changed since its plan, or had nothing to do; the state
ends complete and unlocked. With ``use_lockfile: false``: the conditional writes still lose nothing: every
change a process reports as succeeded is in the final state, and a change whose state write was refused is
reported as failed (never silently dropped). Two plugins racing on one file may fail too (the local-file
plugin is not written for concurrent runs); such a failure is reported, and nothing saved is lost.

Trials: DTMNB_TRIALS_CONCURRENCY per backend and lock setting (default 20; S3 alternates weed and moto).
"""
from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest

import dtmnb

from . import _trials
from ._recovery import recover
from ._reliability import Where, tool_keys, write_config
from ._workers import Worker, worker_env

K = 3
OUTCOMES = ("applied", "locked", "stale", "nothing", "partial")


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    """Four warm workers per environment (local; S3 keys), kept for the whole module."""
    made: dict[str, list[Worker]] = {}
    logs = tmp_path_factory.mktemp("worker-logs")

    def get(kind: str, s3=None) -> list[Worker]:
        if kind not in made:
            made[kind] = [Worker(worker_env(s3), logs) for _ in range(4)]
        return made[kind]

    yield get
    for workers in made.values():
        for w in workers:
            w.close()


def _classify(outcome: dict) -> str:
    if "error" in outcome:
        return {"LockHeldError": "locked", "StaleStateError": "stale"}.get(outcome["error"], outcome["error"])
    statuses = {r["status"] for r in outcome["rows"]}
    if not statuses:
        return "nothing"
    return "applied" if statuses == {"succeeded"} else "partial"


def _race(workers: list[Worker], config: Path, log: Path) -> list[dict]:
    for w in workers:
        w.job(config, log)
    for w in workers:  # as close together as the pipes allow
        w.go()
    return [w.expect("outcome") for w in workers]


def _creates(log: Path) -> Counter:
    if not log.exists():
        return Counter()
    return Counter(line.split()[0] for line in log.read_text().splitlines())


def _trial_setup(tmp_path: Path, trial: int, kind: str, s3, use_lockfile: bool):
    folder = tmp_path / f"t{trial}"
    if kind == "local":
        config = write_config(folder, K, use_lockfile=use_lockfile)
        return config, Where(folder)
    key = f"race/{uuid.uuid4().hex[:12]}/devstream.state"
    config = write_config(folder, K, backend="s3", endpoint=s3.endpoint, key=key, region=s3.region,
                          use_lockfile=use_lockfile)
    return config, Where(folder, s3, key)


def _targets(request, kind: str):
    """For S3, the trial's server alternates between weed and moto."""
    if kind == "local":
        return lambda trial: None
    from ._fixtures_s3 import S3Target, _prepare

    servers = {}
    for name in ("weed", "moto"):
        server = request.getfixturevalue(f"{name}_s3")
        _prepare(server)
        servers[name] = S3Target(server, name, server.endpoint)
    return lambda trial: servers["weed" if trial % 2 == 0 else "moto"]


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_concurrent_applies_with_the_lock(request, pools, tmp_path, kind, s3_env):
    rng, seed = _trials.rng(f"lock-{kind}")
    target_for = _targets(request, kind)
    seen = Counter()
    for trial in range(_trials.trials("concurrency", 20)):
        s3 = target_for(trial)
        n = rng.randint(2, 4)
        workers = pools(kind if s3 is None else "s3", s3)[:n]
        config, where = _trial_setup(tmp_path, trial, kind, s3, True)
        log = config.parent / "creates.log"
        outcomes = _race(workers, config, log)
        label = f"{seed} trial {trial} ({kind} {s3.kind if s3 else ''}, {n} processes): {outcomes}"
        kinds = [_classify(o) for o in outcomes]
        seen.update(kinds)
        assert set(kinds) <= {"applied", "locked", "stale", "nothing"}, label
        assert kinds.count("applied") == 1, label   # one ran; the others met its lock or its result
        for o in outcomes:
            if "error" in o:
                assert where.name() in o["message"], label
        creates = _creates(log)
        assert sorted(creates) == [f"out/f{i:03d}.txt" for i in range(K)], label
        assert set(creates.values()) == {1}, (label, creates)   # exactly once, across all processes
        assert where.entries() == tool_keys(K) and where.lock() is None, label
        assert where.temp_files() == [], label
    print(f"\n{kind} with the lock: outcomes over all processes: {dict(seen)}")
    assert dtmnb.plan(dtmnb.load_config(config)).empty


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_concurrent_applies_without_the_lock_lose_nothing(request, pools, tmp_path, kind, s3_env):
    rng, seed = _trials.rng(f"nolock-{kind}")
    target_for = _targets(request, kind)
    seen = Counter()
    for trial in range(_trials.trials("concurrency", 20)):
        s3 = target_for(trial)
        n = rng.randint(2, 4)
        workers = pools(kind if s3 is None else "s3", s3)[:n]
        config, where = _trial_setup(tmp_path, trial, kind, s3, False)
        outcomes = _race(workers, config, config.parent / "creates.log")
        label = f"{seed} trial {trial} ({kind} {s3.kind if s3 else ''}, {n} processes): {outcomes}"
        kinds = [_classify(o) for o in outcomes]
        seen.update(kinds)
        assert set(kinds) <= {"applied", "stale", "nothing", "partial"}, label
        entries = where.entries()
        succeeded = {r["key"] for o in outcomes for r in o.get("rows", []) if r["status"] == "succeeded"}
        assert succeeded <= set(entries), (label, entries)            # nothing reported saved was lost
        refused = 0
        for o in outcomes:
            for r in o.get("rows", []):
                if r["status"] == "failed":  # a refused state write, or the plugins racing each other
                    assert r["error"] and "internal error" not in r["error"].lower(), label
                    refused += "could not be saved" in r["error"] and "by someone else since" in r["error"]
        seen["refused writes"] += refused
        assert where.lock() is None and where.temp_files() == [], label
        # A file made by a run whose state write was refused is not recorded: the rerun's Create refuses to take
        # it over (the plan is a promise) and says to import it, which records it.
        cfg = dtmnb.load_config(config)
        seen["made but not recorded, imported"] += recover(cfg)
        assert where.entries() == tool_keys(K) and dtmnb.plan(cfg).empty, label
    print(f"\n{kind} without the lock: outcomes over all processes: {dict(seen)}")
    # racing without the lock, each file is made by one process and refused to the others ("already
    # exists"): runs end applied or partly applied, and something was made in every trial
    assert seen["applied"] + seen["partial"] >= _trials.trials("concurrency", 20)


@pytest.mark.parametrize("kind", ["local", "weed", "moto"])
def test_a_held_lock_stops_every_contender(request, pools, tmp_path, kind, s3_env):
    """The holder is paused inside its first change (a handshake, not a sleep) until every contender has
    met the lock: each gets LockHeldError naming the holder's lock, at once; then the holder finishes."""
    s3 = None
    if kind != "local":
        from ._fixtures_s3 import S3Target, _prepare

        server = request.getfixturevalue(f"{kind}_s3")
        _prepare(server)
        s3 = S3Target(server, kind, server.endpoint)
    workers = pools("local" if s3 is None else "s3", s3)
    config, where = _trial_setup(tmp_path, 0, "local" if s3 is None else "s3", s3, True)
    log = config.parent / "creates.log"
    holder, *contenders = workers
    holder.job(config, log, hold=True)
    holder.go()
    holder.expect("holding")
    lock = where.lock()
    assert lock is not None
    for w in contenders:
        w.job(config, log)
        w.go()
    outcomes = [w.expect("outcome") for w in contenders]
    assert all(o.get("error") == "LockHeldError" and o["lock"] == lock["id"] for o in outcomes), outcomes
    assert all(lock["who"] in o["message"] and "Wait for that run to finish" in o["message"] for o in outcomes)
    holder.send("release")
    assert _classify(holder.expect("outcome")) == "applied"
    assert where.entries() == tool_keys(K) and where.lock() is None
    assert _creates(log) == Counter({f"out/f{i:03d}.txt": 1 for i in range(K)})
