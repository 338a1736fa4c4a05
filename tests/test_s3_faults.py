"""Faults between dtmnb and a real S3 server (weed and moto), injected by an HTTP proxy on 127.0.0.1.

Every apply (public API: load_config + apply(auto_approve=True)) ends either converged or with a clear
dtmnb error, never with a lock this run created left behind (except an UnlockError that names it), and a
rerun without faults converges. One fault on one request is always absorbed: botocore retries it, and a
retried write that landed the first time is recognised as our own (lock by id, state by write id).
"""
from __future__ import annotations

import os
import uuid

import pytest

import dtmnb
from dtmnb.errors import DtmnbError, UnlockError

from . import _trials
from ._fault_proxy import Fault, FaultProxy
from ._fixtures_s3 import VERSIONED_BUCKET
from ._recovery import import_leftovers
from ._reliability import Where, tool_keys, write_config

K = 4  # tools; the state starts with the first, so an apply makes 3 changes (create-put: 4, from no state)
TARGETS = {  # name -> (method, object, skip): which request of an apply is hit
    "lock-put": ("PUT", "lock", 0),
    "plan-get": ("GET", "state", 0),
    "locked-get": ("GET", "state", 1),      # the re-read under the lock (If-None-Match: 304, no body)
    "create-put": ("PUT", "state", 0),      # the first write of a new state (If-None-Match: *)
    "first-put": ("PUT", "state", 0),       # If-Match
    "last-put": ("PUT", "state", K - 2),
    "unlock-get": ("GET", "lock", 0),
    "unlock-delete": ("DELETE", "lock", 0),
}
WITH_BODY = ("plan-get", "unlock-get")  # answers a truncation can cut
ONCE = {  # name -> Fault kwargs
    "503-slowdown-before": dict(kind="status_before", status=503, code="SlowDown"),
    "503-slowdown-after": dict(kind="status_after", status=503, code="SlowDown"),
    "500-after": dict(kind="status_after", status=500, code="InternalError"),
    "drop-after": dict(kind="drop"),
    "timeout-after": dict(kind="delay", delay=1.6),
    "reset-before": dict(kind="reset_before"),
    "reset-after": dict(kind="reset_after"),
    "truncate": dict(kind="truncate"),
}
# every attempt fails (non-throttling codes: botocore's backoff is then short)
ALWAYS = {
    "500-before": dict(kind="status_before", status=500, code="InternalError"),
    "500-after": dict(kind="status_after", status=500, code="InternalError"),
    "drop-after": dict(kind="drop"),
    "reset-after": dict(kind="reset_after"),
    "truncate": dict(kind="truncate"),
}


# weed runs the faults whose outcome depends on how the server answers a repeated request (412 on a
# missing key, conditional DELETE); moto runs every combination. DTMNB_TRIALS_FAULT_MATRIX=full: all on both.
WEED_ONCE = ("503-slowdown-after", "drop-after", "timeout-after", "truncate")
WEED_ALWAYS = ("500-after", "drop-after")
FULL = os.environ.get("DTMNB_TRIALS_FAULT_MATRIX", "").strip().lower() == "full"


def _combos(faults: dict, weed_faults, targets) -> list:
    return [pytest.param(server, f, t, id=f"{server}-{f}-{t}")
            for server in ("moto", "weed") for f in faults for t in targets
            if (f != "truncate" or t in WITH_BODY)
            and (server == "moto" or FULL or f in weed_faults)]


@pytest.fixture
def proxy_to(request, s3_env, monkeypatch):
    """``proxy_to("weed" | "moto")``: a fault proxy in front of that server, and short client timeouts so
    a delayed answer times out fast."""
    from ._fixtures_s3 import S3Target, _prepare

    monkeypatch.setenv("DTMNB_S3_READ_TIMEOUT", "1")
    monkeypatch.setenv("DTMNB_S3_CONNECT_TIMEOUT", "1")
    proxies = []

    def start(kind: str):
        server = request.getfixturevalue(f"{kind}_s3")
        _prepare(server)
        proxies.append(FaultProxy(server.endpoint))
        return S3Target(server, kind, server.endpoint), proxies[-1]

    yield start
    for proxy in proxies:
        proxy.close()


_SEED: dict = {}


def _seed(target, tmp_path) -> tuple[bytes, bytes]:
    """The state bytes (and the file) of an apply of the first tool, made once per server."""
    if target.kind not in _SEED:
        folder = tmp_path / "seed"
        key = f"faults/seed-{uuid.uuid4().hex[:12]}/devstream.state"
        cfg = dtmnb.load_config(write_config(folder, 1, backend="s3", endpoint=target.endpoint, key=key,
                                             region=target.region))
        dtmnb.apply(cfg, auto_approve=True)
        _SEED[target.kind] = (Where(folder, target, key).state_bytes(), (folder / "out" / "f000.txt").read_bytes())
    return _SEED[target.kind]


def _setup(tmp_path, target, proxy, k: int = K, seeded: bool = True):
    """A config of ``k`` local-file tools on S3 through the proxy; ``seeded``: the state already records
    the first tool (so the plan's GET has a body and every state PUT is If-Match)."""
    key = f"faults/{uuid.uuid4().hex[:12]}/devstream.state"
    cfg = dtmnb.load_config(write_config(tmp_path, k, backend="s3", endpoint=proxy.endpoint, key=key,
                                         region=target.region))
    if seeded:
        state, file = _seed(target, tmp_path)
        target.client().put_object(Bucket=VERSIONED_BUCKET, Key=key, Body=state)
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "f000.txt").write_bytes(file)
    return cfg, Where(tmp_path, target, key)


def _apply(cfg):
    """(result frame, None) or (None, the dtmnb error); any other exception fails the test."""
    try:
        return dtmnb.apply(cfg, auto_approve=True), None
    except DtmnbError as exc:
        return None, exc


def _check_chain_clear(exc: BaseException | None) -> None:
    """A dtmnb error for a person: no 'internal error', and no raw botocore/urllib3 error in the chain
    Python prints for it."""
    while exc is not None:
        text = f"{type(exc).__name__}: {exc}"
        assert isinstance(exc, DtmnbError), text
        assert "ProtocolError" not in text and "internal error" not in text.lower(), text
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def _check_outcome(where: Where, cfg, result, error, k: int, label: str) -> bool:
    """The invariants after one faulted apply; returns True when it converged at once."""
    entries = where.entries()  # parses, or the test fails here
    assert set(entries) <= set(tool_keys(k)), (label, entries)
    lock = where.lock()
    if error is not None:
        _check_chain_clear(error)
        assert where.key in str(error) or "s3://" in str(error), (label, str(error))
        if lock is not None:  # only an UnlockError may leave this run's lock, and it names it
            assert isinstance(error, UnlockError) or isinstance(getattr(error, "unlock_error", None), UnlockError), \
                (label, str(error))
            assert lock["id"] in str(error) and f"dtmnb state unlock -f CONFIG {lock['id']}" in str(error), label
            dtmnb.force_unlock(cfg, lock["id"])
        return False
    problem = result.attrs.get("problem", "")
    if problem:  # the run ended (its rows say how); only its lock could not be removed, and the frame says so
        assert lock is not None and lock["id"] in problem, (label, problem, lock)
        assert f"dtmnb state unlock -f CONFIG {lock['id']}" in problem, (label, problem)
        assert "internal error" not in problem.lower(), (label, problem)
        dtmnb.force_unlock(cfg, lock["id"])
    else:
        assert lock is None, (label, "a stuck lock after a run that reported no error", lock)
    failed = [(r.key, r.status, r.error) for r in result.itertuples() if r.status != "succeeded"]
    for _key, status, text in failed:
        assert status in ("failed", "skipped") and text and "internal error" not in text.lower(), (label, failed)
    if failed or problem:
        return False
    assert entries == tool_keys(k), (label, entries)
    return True


def _converges(cfg, where: Where, k: int, label: str) -> None:
    """A rerun without faults converges; a change made but left unrecorded by a failed state write is taken
    over by import, as its error says (Create never takes over what it finds)."""
    result, error = _apply(cfg)
    assert error is None, (label, str(error))
    import_leftovers(cfg, result)
    assert where.entries() == tool_keys(k) and where.lock() is None, label
    assert dtmnb.plan(cfg).empty, label


@pytest.mark.parametrize("server,fault,target", _combos(ONCE, WEED_ONCE, TARGETS))
def test_one_fault_on_one_request_is_absorbed(proxy_to, tmp_path, server, fault, target):
    s3, proxy = proxy_to(server)
    method, obj, skip = TARGETS[target]
    cfg, where = _setup(tmp_path, s3, proxy, seeded=target != "create-put")
    injected = Fault(method=method, target=obj, skip=skip, times=1, **ONCE[fault])
    proxy.add(injected)
    result, error = _apply(cfg)
    label = f"{s3.kind}: {injected}; requests: {proxy.requests()}"
    assert injected.fired == 1, label
    proxy.clear()
    converged = _check_outcome(where, cfg, result, error, K, label)
    assert converged, (label, str(error) if error else result.to_dict("records"))
    assert dtmnb.plan(cfg).empty, label


@pytest.mark.parametrize("server,fault,target", _combos(ALWAYS, WEED_ALWAYS, [t for t in TARGETS if t != "locked-get"]))
def test_a_request_that_always_fails_ends_clearly(proxy_to, tmp_path, server, fault, target):
    """All of botocore's attempts fail: the run stops with a clear error (or, where the first attempt
    landed, recognises it and converges); no lock of this run is left unless the error names it."""
    s3, proxy = proxy_to(server)
    method, obj, skip = TARGETS[target]
    cfg, where = _setup(tmp_path, s3, proxy, seeded=target != "create-put")
    injected = Fault(method=method, target=obj, skip=skip, times=0, **ALWAYS[fault])
    proxy.add(injected)
    result, error = _apply(cfg)
    label = f"{s3.kind}: {injected} (always); requests: {proxy.requests()}"
    assert injected.fired >= 1, label
    proxy.clear()
    _check_outcome(where, cfg, result, error, K, label)
    if ALWAYS[fault]["kind"] == "status_before":  # the server never acted: nothing can be recognised
        if target == "unlock-get" or target == "unlock-delete":
            # every change ran and was saved, so the run returns its result; the frame carries the lock problem
            assert error is None and (result["status"] == "succeeded").all(), (label, str(error))
            problem = result.attrs["problem"]
            assert "every state write this run reported is stored" in problem, (label, problem)
            assert "Every change listed as succeeded was saved" in problem, (label, problem)
            assert f"s3://{VERSIONED_BUCKET}/{where.key}" in problem, (label, problem)
        elif target in ("create-put", "first-put", "last-put"):
            assert error is None
            saved = tool_keys(K)[:{"create-put": 0, "first-put": 1, "last-put": K - 1}[target]]
            assert where.entries() == saved, label
            row = result.set_index("key").loc[tool_keys(K)[len(saved)]]
            assert row["status"] == "failed" and "could not be saved" in row["error"], label
            assert "The write did not reach S3" in row["error"], label
    _converges(cfg, where, K, label)


@pytest.mark.parametrize("server", ["moto", "weed"])
def test_random_faults_on_every_request_never_lose_or_stick(proxy_to, tmp_path, server):
    """One to three faults of any kind above on random requests of each apply (each fault hitting one to
    five matching requests); apply is repeated until it converges, and every round keeps the invariants.
    Trials: DTMNB_TRIALS_FAULTS (default 4 per server)."""
    s3, proxy = proxy_to(server)
    rng, seed = _trials.rng("faults")
    kinds = list(ONCE.values())
    for trial in range(_trials.trials("faults", 4)):
        cfg, where = _setup(tmp_path / f"t{trial}", s3, proxy, seeded=rng.random() < 0.5)
        for round_ in range(8):
            proxy.clear()
            for _ in range(rng.randint(1, 3)):
                name = rng.choice(list(TARGETS))
                method, obj, skip = TARGETS[name]
                spec = dict(rng.choice(kinds))
                if spec["kind"] == "truncate" and name not in WITH_BODY:
                    spec = dict(kind="drop")
                proxy.add(Fault(method=method, target=obj, skip=skip, times=rng.randint(1, 5), **spec))
            result, error = _apply(cfg)
            label = f"{seed} trial {trial} round {round_} {s3.kind}: {[str(f) for f in proxy.faults]}"
            proxy.clear()
            if _check_outcome(where, cfg, result, error, K, label):
                break
        else:
            _converges(cfg, where, K, label)
        proxy.clear()
        assert dtmnb.plan(cfg).empty


@pytest.mark.parametrize("target", ["plan-get", "lock-put"])
def test_a_server_that_never_answers_in_time_is_a_clear_error(proxy_to, tmp_path, target):
    """Every attempt outlives the read timeout (DTMNB_S3_READ_TIMEOUT, 1 s here): the run stops after
    botocore's attempts with 'did not answer in time', and leaves no lock of its own."""
    s3, proxy = proxy_to("moto")
    method, obj, skip = TARGETS[target]
    cfg, where = _setup(tmp_path, s3, proxy)
    proxy.add(Fault("delay", method=method, target=obj, skip=skip, times=0, delay=1.5))
    result, error = _apply(cfg)
    proxy.clear()
    if target == "plan-get":
        assert error is not None and "did not answer in time (4 attempts)" in str(error), error
        assert where.entries() == tool_keys(1) and where.lock() is None
    else:  # the first attempt created the lock: recognised by its id, and the run went on
        _check_outcome(where, cfg, result, error, K, target)
    _converges(cfg, where, K, target)


@pytest.mark.parametrize("server", ["moto", "weed"])
def test_a_lock_whose_fate_cannot_be_read_is_removed_not_left(proxy_to, tmp_path, server):
    """The lock PUT lands but its answer is lost, and every lock GET fails: the run cannot tell whether it
    holds the lock, so it removes its own lock by a DELETE conditional on that lock's ETag, and says so."""
    s3, proxy = proxy_to(server)
    cfg, where = _setup(tmp_path, s3, proxy)
    proxy.add(Fault("drop", method="PUT", target="lock"),
              Fault("status_before", method="GET", target="lock", times=0, status=500, code="InternalError"))
    result, error = _apply(cfg)
    requests = proxy.requests(conditions=True)
    proxy.clear()
    assert error is not None and "This run holds no lock" in str(error) and "nothing was changed" in str(error)
    assert requests[-1] == "DELETE lock If-Match", requests
    assert where.lock() is None and where.entries() == tool_keys(1)
    _converges(cfg, where, K, server)
