"""S3 round trips, counted on the wire (a pass-through proxy on 127.0.0.1 in front of weed and moto).

plan = one state GET. apply of k changes = the plan's GET, then under the lock: the lock PUT
(If-None-Match: *), one state GET (the re-read the engine does by design, sent with If-None-Match so an
unchanged state costs no transfer), k conditional PUTs (the first If-None-Match: *, then If-Match), and the
unlock: the lock GET (is it still ours?) and a conditional DELETE. Nothing more.
"""
from __future__ import annotations

import uuid

import pytest

import dtmnb

from ._fault_proxy import FaultProxy
from ._reliability import Where, tool_keys, write_config


@pytest.fixture
def counted(s3_target):
    proxy = FaultProxy(s3_target.endpoint)
    try:
        yield s3_target, proxy
    finally:
        proxy.close()


def _config(tmp_path, s3, proxy, k: int):
    key = f"count/{uuid.uuid4().hex[:12]}/devstream.state"
    cfg = dtmnb.load_config(write_config(tmp_path, k, backend="s3", endpoint=proxy.endpoint, key=key,
                                         region=s3.region))
    return cfg, Where(tmp_path, s3, key)


@pytest.mark.parametrize("k", [1, 5])
def test_apply_of_k_changes_makes_exactly_these_requests(counted, tmp_path, k):
    s3, proxy = counted
    cfg, where = _config(tmp_path, s3, proxy, k)

    assert dtmnb.plan(cfg)["key"].tolist() == tool_keys(k)
    assert proxy.requests() == ["GET state"]

    proxy.clear()
    result = dtmnb.apply(cfg, auto_approve=True)
    assert set(result["status"]) == {"succeeded"} and where.entries() == tool_keys(k)
    assert proxy.requests(conditions=True) == [
        "GET state",                                   # the plan
        "PUT lock If-None-Match=*",                    # take the lock
        "GET state",                                   # the re-read under the lock (no If-None-Match: none yet)
        "PUT state If-None-Match=*",                   # the first change creates the state object
        *["PUT state If-Match"] * (k - 1),             # each further change: conditional on the last ETag
        "GET lock",                                    # still ours?
        "DELETE lock If-Match",                        # remove exactly the lock read
    ]
    assert all(s.status in (200, 204, 404) for s in proxy.seen), [(s.method, s.target, s.status) for s in proxy.seen]

    # a second apply after a config change: the re-read under the lock is conditional and answers 304
    (tmp_path / "tools.yaml").write_text((tmp_path / "tools.yaml").read_text().replace("hello 0", "changed 0"))
    cfg = dtmnb.load_config(tmp_path / "config.yaml")
    proxy.clear()
    result = dtmnb.apply(cfg, auto_approve=True)
    assert result["action"].tolist() == ["Update"] and set(result["status"]) == {"succeeded"}
    assert proxy.requests(conditions=True) == ["GET state", "PUT lock If-None-Match=*", "GET state If-None-Match",
                                               "PUT state If-Match", "GET lock", "DELETE lock If-Match"]
    assert [s.status for s in proxy.seen if s.target == "state" and s.method == "GET"] == [200, 304]


def test_plan_with_nothing_to_do_is_one_get(counted, tmp_path):
    s3, proxy = counted
    cfg, _ = _config(tmp_path, s3, proxy, 2)
    dtmnb.apply(cfg, auto_approve=True)
    proxy.clear()
    assert dtmnb.plan(cfg).empty
    assert dtmnb.apply(cfg, auto_approve=True).empty
    assert proxy.requests() == ["GET state", "GET state"]  # plan, and apply finding nothing to do
