"""The s3 backend against real servers over HTTP (SeaweedFS weed mini and moto), same tests on both."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dtmnb.backends.base import LockInfo
from dtmnb.backends.local import LocalBackend
from dtmnb.backends.s3 import S3Backend
from dtmnb.config import StateConfig
from dtmnb.errors import (
    BackendError,
    ConfigError,
    HistoryUnavailableError,
    LockHeldError,
    StaleStateError,
    StateFormatError,
)

from ._fixtures_s3 import PLAIN_BUCKET, TEST_SECRET_KEY, VERSIONED_BUCKET

ROOT = Path(__file__).resolve().parent.parent
STATE = """github-repo-scaffolding-golang_default:
  name: github-repo-scaffolding-golang
  instanceid: default
  dependson: []
  options:
    branch: main
    image_repo: ironcore864/dtm-test-go
    org: ""
    owner: IronCore864
    repo: dtm-test-go
  resource:
    note: "größe ✓"
    owner: IronCore864
""".encode()


def _exists(target, key, bucket=VERSIONED_BUCKET) -> bool:
    resp = target.client().list_objects_v2(Bucket=bucket, Prefix=key)
    return any(o["Key"] == key for o in resp.get("Contents", []))


def _body(target, key, bucket=VERSIONED_BUCKET) -> bytes:
    return target.client().get_object(Bucket=bucket, Key=key)["Body"].read()


# ---- config ------------------------------------------------------------------------------------
def _state_config(options):
    return StateConfig("s3", options, Path("/work"), "/work/config.yaml")


def test_from_config_requires_bucket_region_key():
    with pytest.raises(ConfigError) as err:
        S3Backend.from_config(_state_config({"bucket": "b", "key": ""}))
    msg = str(err.value)
    assert "/work/config.yaml" in msg and "'region'" in msg and "'key'" in msg and "'bucket'" not in msg
    assert len(err.value.problems) == 2


def test_from_config_options_and_describe():
    b = S3Backend.from_config(_state_config({
        "bucket": "devstream-test-remote-state", "region": "ap-southeast-1", "key": "devstream.state",
        "endpoint": "http://127.0.0.1:9", "encrypt": "true", "use_lockfile": False, "profile": "work"}))
    assert b.describe() == ("Using s3 backend. Bucket: devstream-test-remote-state, region: ap-southeast-1, "
                            "key: devstream.state.")
    assert b.location == "s3://devstream-test-remote-state/devstream.state"
    assert (b.endpoint, b.profile, b.encrypt, b.use_lockfile) == ("http://127.0.0.1:9", "work", True, False)
    assert b._sse() == {"ServerSideEncryption": "AES256"}
    kms = S3Backend("b", "r", "k", kms_key_id="arn:aws:kms:x")
    assert kms._sse() == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "arn:aws:kms:x"}
    assert S3Backend.from_config(_state_config({"bucket": "b", "region": "r", "key": "k"})).use_lockfile is True


def test_from_config_refuses_credentials_without_echoing_them():
    with pytest.raises(ConfigError) as err:
        S3Backend.from_config(_state_config({"bucket": "b", "region": "r", "key": "k",
                                             "secret_key": "SUPERSECRET"}))
    assert "secret_key" in str(err.value) and "SUPERSECRET" not in str(err.value)
    assert "AWS_ACCESS_KEY_ID" in str(err.value)


def test_registry_builds_s3_backend_and_bad_flag_is_config_error():
    from dtmnb.backends import get_backend

    assert isinstance(get_backend(_state_config({"bucket": "b", "region": "r", "key": "k"})), S3Backend)
    with pytest.raises(ConfigError, match="use_lockfile"):
        S3Backend.from_config(_state_config({"bucket": "b", "region": "r", "key": "k", "use_lockfile": "maybe"}))


def test_import_does_not_import_boto3():
    code = "import sys, dtmnb.backends.s3, dtmnb.sandbox; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_state_format_error_names_s3_location():
    from dtmnb.state import parse_state

    b = S3Backend("devstream-test-remote-state", "ap-southeast-1", "devstream.state")
    with pytest.raises(StateFormatError, match="s3://devstream-test-remote-state/devstream.state"):
        parse_state(b"- a\n- b\n", b.location)


# ---- read / write ------------------------------------------------------------------------------
def test_read_missing_is_empty_and_creates_nothing(s3_target):
    b = s3_target.backend()
    snap = b.read()
    assert snap.data == b"" and snap.version is None and not snap.exists
    assert not _exists(s3_target, b.key)
    assert b.current_lock() is None


def test_write_read_bytes_identical_to_local(s3_target, tmp_path):
    b = s3_target.backend()
    b.read()
    written = b.write(STATE)
    assert written.version and written.version.startswith('"')
    again = s3_target.backend(key=b.key).read()
    assert again.data == STATE and again.version == written.version
    head = s3_target.client().head_object(Bucket=VERSIONED_BUCKET, Key=b.key)
    assert head["ContentType"] == "text/yaml"
    local = LocalBackend(tmp_path / "devstream.state")
    local.read()
    local.write(STATE)
    assert (tmp_path / "devstream.state").read_bytes() == _body(s3_target, b.key)
    # several writes in a row follow the ETag each write returned
    b.write(STATE + b"# 2\n")
    b.write(STATE + b"# 3\n")
    assert _body(s3_target, b.key) == STATE + b"# 3\n"


def test_empty_state_is_a_zero_byte_object(s3_target):
    b = s3_target.backend()
    b.read()
    b.write(STATE)
    b.write(b"")
    assert _body(s3_target, b.key) == b""
    snap = s3_target.backend(key=b.key).read()
    assert snap.exists and snap.data == b""


def test_stale_etag_is_refused_and_nothing_overwritten(s3_target):
    b = s3_target.backend()
    b.read()
    b.write(b"a: 1\n")
    b.read()
    s3_target.client().put_object(Bucket=VERSIONED_BUCKET, Key=b.key, Body=b"a: hand-edit\n")
    with pytest.raises(StaleStateError) as err:
        b.write(b"a: 2\n")
    msg = str(err.value)
    assert b.location in msg and "changed by someone else" in msg and "Nothing was overwritten" in msg
    assert "plan again" in msg
    assert _body(s3_target, b.key) == b"a: hand-edit\n"


def test_first_write_refused_when_object_appeared(s3_target):
    b = s3_target.backend()
    assert not b.read().exists
    s3_target.client().put_object(Bucket=VERSIONED_BUCKET, Key=b.key, Body=b"from: dtm\n")
    with pytest.raises(StaleStateError, match="was created by someone else"):
        b.write(b"from: dtmnb\n")
    assert _body(s3_target, b.key) == b"from: dtm\n"


def test_write_refused_when_object_deleted(s3_target):
    b = s3_target.backend()
    b.read()
    b.write(b"a: 1\n")
    s3_target.client().delete_object(Bucket=VERSIONED_BUCKET, Key=b.key)
    with pytest.raises(StaleStateError):  # AWS and moto: 404; SeaweedFS: 412 (docs/s3-servers.md#conditional-writes)
        b.write(b"a: 2\n")
    assert not _exists(s3_target, b.key)


def test_encrypt_sets_sse_on_state_and_lock(s3_target):
    b = s3_target.backend(encrypt=True)
    b.read()
    b.write(STATE)
    with b.locked("apply"):
        lock_head = s3_target.client().head_object(Bucket=VERSIONED_BUCKET, Key=b.lock_key)
    head = s3_target.client().head_object(Bucket=VERSIONED_BUCKET, Key=b.key)
    assert head["ServerSideEncryption"] == "AES256" == lock_head["ServerSideEncryption"]


# ---- lock --------------------------------------------------------------------------------------
def test_lock_acquire_held_release_force_unlock(s3_target):
    a = s3_target.backend()
    other = s3_target.backend(key=a.key)
    info = a.acquire("apply")
    stored = json.loads(_body(s3_target, a.lock_key))
    assert stored["id"] == info.id and stored["operation"] == "apply" and stored["who"] == info.who
    with pytest.raises(LockHeldError) as err:
        other.acquire("delete")
    msg = str(err.value)
    assert err.value.lock.id == info.id
    assert f"the state {a.location} is locked by {info.who}, operation 'apply', since {info.created}" in msg
    assert info.id in msg and "force_unlock" in msg
    assert other.current_lock() == info
    with pytest.raises(BackendError, match="Nothing was removed"):
        other.force_unlock("not-the-id")
    assert other.force_unlock(info.id) == info
    assert not _exists(s3_target, a.lock_key)
    with pytest.raises(BackendError, match="not locked"):
        other.force_unlock(info.id)
    # a's release does not remove someone else's lock taken after the force-unlock
    theirs = other.acquire("apply")
    a.release()
    assert a.current_lock() == theirs
    other.release()
    assert a.current_lock() is None and not _exists(s3_target, a.lock_key)


def test_lock_released_after_exception(s3_target):
    b = s3_target.backend()
    with pytest.raises(RuntimeError), b.locked("apply") as info:
        assert isinstance(info, LockInfo) and _exists(s3_target, b.lock_key)
        raise RuntimeError("plugin failed")
    assert b.current_lock() is None and b.lock_info is None
    with b.locked("apply", enabled=False) as info:
        assert info is None and not _exists(s3_target, b.lock_key)


def test_unreadable_lock_still_blocks(s3_target):
    b = s3_target.backend()
    s3_target.client().put_object(Bucket=VERSIONED_BUCKET, Key=b.lock_key, Body=b"not json")
    with pytest.raises(LockHeldError, match="unreadable lock s3://"):
        b.acquire("apply")


_CONTENDER = r"""
import json, sys
from dtmnb.backends.s3 import S3Backend
from dtmnb.errors import LockHeldError
endpoint, bucket, region = sys.argv[1:4]
print("ready", flush=True)
for line in sys.stdin:
    b = S3Backend(bucket, region, line.strip(), endpoint=endpoint)
    b.current_lock()                      # client made, connection open: only the PUT races
    print("set", flush=True)
    sys.stdin.readline()                  # "go"
    try:
        print(json.dumps({"won": b.acquire("apply").id}), flush=True)
    except LockHeldError as exc:
        print(json.dumps({"held": exc.lock.id if exc.lock else ""}), flush=True)
"""


def test_lock_race_between_processes_has_one_winner(s3_target):
    """N processes put the lock object at the same moment: exactly one gets it, every round."""
    n, rounds = 6, 3
    procs = [subprocess.Popen([sys.executable, "-c", _CONTENDER, s3_target.endpoint, VERSIONED_BUCKET,
                               s3_target.region], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env=dict(os.environ)) for _ in range(n)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for _ in range(rounds):
            key = f"race/{uuid.uuid4().hex[:12]}/devstream.state"
            for p in procs:
                p.stdin.write(key + "\n")
                p.stdin.flush()
            for p in procs:
                assert p.stdout.readline().strip() == "set"
            for p in procs:
                p.stdin.write("go\n")
            for p in procs:
                p.stdin.flush()
            results = [json.loads(p.stdout.readline()) for p in procs]
            winners = [r["won"] for r in results if "won" in r]
            assert len(winners) == 1, results
            assert all(r.get("held") in (winners[0], "") for r in results if "held" in r)
            assert json.loads(_body(s3_target, key + ".lock"))["id"] == winners[0]
    finally:
        for p in procs:
            p.stdin.close()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stdout.close()


# ---- history -----------------------------------------------------------------------------------
def test_history_lists_versions_newest_first(s3_target):
    b = s3_target.backend()
    b.read()
    with b.locked("apply"):  # the lock object's own versions must not show up
        for i in range(3):
            b.write(f"v: {i}\n".encode())
    s3_target.client().put_object(Bucket=VERSIONED_BUCKET, Key=b.key + ".bak", Body=b"other")
    history = b.history()
    assert len(history) == 3
    assert [h.is_latest for h in history] == [True, False, False]
    assert [b.read_version(h.version_id) for h in history] == [b"v: 2\n", b"v: 1\n", b"v: 0\n"]
    assert history[0].size == len(b"v: 2\n")
    assert history[0].modified >= history[-1].modified
    with pytest.raises(BackendError, match="no version 'nope"):
        b.read_version("nope-not-a-version")


def test_history_unavailable_without_versioning(s3_target):
    b = s3_target.backend(bucket=PLAIN_BUCKET)
    b.read()
    b.write(b"v: 1\n")
    with pytest.raises(HistoryUnavailableError) as err:
        b.history()
    assert ("aws s3api put-bucket-versioning --bucket dtmnb-test-plain "
            "--versioning-configuration Status=Enabled") in str(err.value)


# ---- errors users hit ----------------------------------------------------------------------------
def test_missing_bucket(s3_target):
    b = s3_target.backend(bucket=f"dtmnb-missing-{uuid.uuid4().hex[:8]}")
    with pytest.raises(BackendError) as err:
        b.read()
    assert f"the bucket '{b.bucket}' does not exist" in str(err.value) and "aws s3 mb" in str(err.value)


def test_wrong_keys(weed_s3, s3_env, monkeypatch):
    """Only weed checks keys (moto accepts any), so this runs on weed alone."""
    from ._fixtures_s3 import S3Target, _prepare

    _prepare(weed_s3)
    s3_target = S3Target(weed_s3, "weed", weed_s3.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
    with pytest.raises(BackendError) as err:
        s3_target.backend().read()
    msg = str(err.value)
    assert "refused the AWS credentials (InvalidAccessKeyId)" in msg
    assert "wrong-secret-value" not in msg and "AKIAWRONG" not in msg
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_target.access_key)  # right key, wrong secret
    with pytest.raises(BackendError, match=r"refused the AWS credentials \(SignatureDoesNotMatch\)"):
        s3_target.backend().read()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_endpoint_fails_fast(s3_env):
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    b = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "devstream.state", endpoint=endpoint)
    with pytest.raises(BackendError) as err:
        b.read()
    assert f"the S3 endpoint {endpoint} cannot be reached" in str(err.value)


def test_endpoint_from_environment(s3_server, s3_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint)
    b = S3Backend(VERSIONED_BUCKET, s3_server.region, f"env/{uuid.uuid4().hex}/devstream.state")
    b.read()
    b.write(STATE)
    assert b.client.meta.endpoint_url == s3_server.endpoint
    assert _body(s3_server, b.key) == STATE


def test_no_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    b = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "devstream.state", endpoint=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(BackendError) as err:
        b.read()
    assert "no AWS credentials found" in str(err.value) and "AWS_ACCESS_KEY_ID" in str(err.value)


def test_unknown_profile(s3_env, monkeypatch):
    b = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "devstream.state", profile="nosuchprofile")
    with pytest.raises(BackendError, match="profile 'nosuchprofile'.* was not found"):
        b.read()
    monkeypatch.setenv("AWS_PROFILE", "fromenv")
    with pytest.raises(BackendError, match=r"profile 'fromenv' \(AWS_PROFILE\) was not found"):
        S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "devstream.state").read()


def _stubbed(error_code, status, headers=None):
    from botocore.stub import Stubber

    b = S3Backend("devstream-test-remote-state", "ap-southeast-1", "devstream.state",
                  endpoint="http://127.0.0.1:9")
    stub = Stubber(b.client)
    stub.add_client_error("get_object", service_error_code=error_code, service_message="x",
                          http_status_code=status, response_meta={"HTTPHeaders": headers or {}})
    stub.activate()
    return b


def test_wrong_region_names_the_buckets_region(s3_env):
    b = _stubbed("PermanentRedirect", 301, {"x-amz-bucket-region": "eu-west-1"})
    with pytest.raises(BackendError) as err:
        b.read()
    assert "is in region eu-west-1, not ap-southeast-1" in str(err.value)
    b = _stubbed("AuthorizationHeaderMalformed", 400)
    with pytest.raises(BackendError, match="is not in region ap-southeast-1"):
        b.read()


def test_access_denied(s3_env):
    b = _stubbed("AccessDenied", 403)
    with pytest.raises(BackendError) as err:
        b.read()
    assert "access denied" in str(err.value) and "s3:GetObject" in str(err.value)
    assert TEST_SECRET_KEY not in str(err.value)


# ---- the engine over S3 (apply, lock, stale state, history) ----------------------------------------
@pytest.fixture
def recorder():
    from ._engine_helpers import Recorder

    Recorder.reset()
    yield Recorder
    Recorder.reset()


_TOOLS = "tools:\n" + "".join(
    f"- name: recorder\n  instanceID: {i}\n  options:\n    id: {i}\n" for i in ("a", "b"))


def _s3_config(folder: Path, target, key: str, tools_yaml: str = _TOOLS):
    import dtmnb

    from ._engine_helpers import write_config

    write_config(folder, tools_yaml)
    (folder / "config.yaml").write_text(
        "toolFile: tools.yaml\n\nstate:\n  backend: s3\n  options:\n"
        f"    bucket: {VERSIONED_BUCKET}\n    region: {target.region}\n    key: {key}\n"
        f"    endpoint: {target.endpoint}\n")
    return dtmnb.load_config(folder / "config.yaml")


def test_engine_apply_over_s3(s3_target, recorder, tmp_path):
    import dtmnb
    from dtmnb.console import QuietConsole

    key = f"e2e/{uuid.uuid4().hex[:12]}/devstream.state"
    cfg = _s3_config(tmp_path / "s3", s3_target, key)
    assert dtmnb.read_state(cfg).empty and not _exists(s3_target, key)  # reading creates nothing
    console = QuietConsole()
    result = dtmnb.apply(cfg, auto_approve=True, console=console)
    assert list(result["status"]) == ["succeeded", "succeeded"]
    assert (f"Using s3 backend. Bucket: {VERSIONED_BUCKET}, region: {s3_target.region}, key: {key}."
            in console.messages)
    assert not _exists(s3_target, key + ".lock")
    # the same tools with the local backend give the same bytes (in a world of their own: Create never
    # takes over what exists)
    from ._engine_helpers import Recorder, write_config

    saved, Recorder.resources = Recorder.resources, {}
    local_cfg = dtmnb.load_config(write_config(tmp_path / "local", _TOOLS))
    dtmnb.apply(local_cfg, auto_approve=True, console=QuietConsole())
    assert _body(s3_target, key) == (tmp_path / "local" / "devstream.state").read_bytes()
    Recorder.resources = saved
    assert list(dtmnb.read_state(cfg)["key"]) == ["recorder_a", "recorder_b"]
    assert dtmnb.plan(cfg).empty


def test_engine_lock_and_stale_state_over_s3(s3_target, recorder, tmp_path):
    import dtmnb
    from dtmnb.backends import get_backend
    from dtmnb.console import QuietConsole

    key = f"e2e/{uuid.uuid4().hex[:12]}/devstream.state"
    cfg = _s3_config(tmp_path, s3_target, key)
    holder = get_backend(cfg.state).acquire("apply")
    with pytest.raises(LockHeldError, match=holder.id):
        dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    assert not recorder.calls and list(dtmnb.lock_status(cfg)["id"]) == [holder.id]
    dtmnb.force_unlock(cfg, holder.id)

    hand_edit = b"someone_else:\n  name: someone\n  instanceid: else\n  dependson: []\n  options: {}\n  resource: {}\n"

    class EditWhileConfirming(QuietConsole):
        def confirm(self, changes):
            s3_target.client().put_object(Bucket=VERSIONED_BUCKET, Key=key, Body=hand_edit)
            return True

    with pytest.raises(StaleStateError):
        dtmnb.apply(cfg, auto_approve=False, console=EditWhileConfirming())
    assert _body(s3_target, key) == hand_edit and not recorder.calls
    assert not _exists(s3_target, key + ".lock")


def test_engine_history_and_diff_over_s3(s3_target, recorder, tmp_path):
    import dtmnb
    from dtmnb.console import QuietConsole

    key = f"e2e/{uuid.uuid4().hex[:12]}/devstream.state"
    one = "tools:\n- name: recorder\n  instanceID: a\n  options:\n    id: a\n"
    dtmnb.apply(_s3_config(tmp_path, s3_target, key, one), auto_approve=True, console=QuietConsole())
    cfg = _s3_config(tmp_path, s3_target, key)
    dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    history = dtmnb.state_history(cfg)
    assert list(history["tools"]) == [2, 1]
    diff = dtmnb.state_diff(cfg)
    assert list(diff[["key", "change"]].itertuples(index=False)) == [("recorder_b", "added")]


# (Several processes applying one config at once: tests/test_concurrency.py, on weed and moto and the local
# backend, with a handshake instead of a sleep to hold the lock.)


# ---- transient errors: retried within a bounded budget -----------------------------------------
def test_throttling_is_retried_then_succeeds(moto_s3, s3_env):
    from ._fault_proxy import Fault, FaultProxy
    from ._fixtures_s3 import _prepare

    _prepare(moto_s3)
    with FaultProxy(moto_s3.endpoint) as proxy:
        proxy.add(Fault("status_before", status=503, code="SlowDown", times=2))
        backend = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", f"retry/{uuid.uuid4().hex[:8]}/s",
                            endpoint=proxy.endpoint)
        assert backend.read().data == b""
        assert len(proxy.seen) == 3               # two throttled answers, then the real one


def test_persistent_throttling_fails_fast_with_a_clear_error(moto_s3, s3_env):
    from ._fault_proxy import Fault, FaultProxy

    with FaultProxy(moto_s3.endpoint) as proxy:
        proxy.add(Fault("status_before", status=503, code="SlowDown", times=0))
        backend = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "retry/never", endpoint=proxy.endpoint)
        with pytest.raises(BackendError) as err:
            backend.read()
        assert len(proxy.seen) == 4           # a bounded budget: the request and 3 retries (botocore's max_attempts)
        assert "S3 answered SlowDown" in str(err.value) and "(after 4 attempts)" in str(err.value)


# ---- who wrote each version (S3 object metadata on the PUT itself) ----------------------------------
def test_write_info_travels_as_metadata_and_history_shows_it(s3_target):
    from dtmnb.backends.base import WriteInfo

    b = s3_target.backend()
    first = WriteInfo("run-1", "apply", "github-repo-scaffolding-golang.default", "zoë@laptop (pid 7)")
    second = WriteInfo("run-2", "destroy", "local-file.a", "ann@ci 100% (pid 8)", step=3)
    b.read()
    b.write(b"v: 1\n", first)
    b.write(b"v: 2\n", second)
    meta = s3_target.client().head_object(Bucket=VERSIONED_BUCKET, Key=b.key)["Metadata"]
    assert meta["dtmnb-run"] == "run-2" and meta["dtmnb-operation"] == "destroy"
    assert meta["dtmnb-who"] == "ann@ci 100%25 (pid 8)"  # %-encoded: S3 metadata is ASCII
    assert meta["dtmnb-step"] == "3"  # the step recovery compares the lock's intent with
    s3_target.client().put_object(Bucket=VERSIONED_BUCKET, Key=b.key, Body=b"v: dtm\n")  # as dtm writes
    history = b.history()
    assert [h.info for h in history] == [None, second, first]
    assert [b.read_version(h.version_id) for h in history] == [b"v: dtm\n", b"v: 2\n", b"v: 1\n"]


@pytest.mark.parametrize("bad", ["", "   ", None, 42, "no-such-version-id", "3/../../x"])
def test_bad_version_id_is_a_clear_error(s3_target, bad):
    b = s3_target.backend()
    b.read()
    b.write(b"v: 1\n")
    with pytest.raises(BackendError) as err:
        b.read_version(bad)
    msg = str(err.value)
    assert repr(bad) in msg and b.location in msg and "dtmnb state history -f CONFIG" in msg
    assert "Parameter validation" not in msg and "botocore" not in msg


# ---- the unlock removes exactly the lock it checked -------------------------------------------------
def test_lock_replaced_between_the_check_and_the_delete_stays(s3_target):
    """A forced unlock and a new holder land between our lock GET and our DELETE: the DELETE carries
    If-Match on the ETag read, so the new holder's lock is not removed."""
    from ._fault_proxy import Fault, FaultProxy

    proxy = FaultProxy(s3_target.endpoint)
    try:
        mine = S3Backend(VERSIONED_BUCKET, s3_target.region, f"t/{uuid.uuid4().hex[:12]}/s", endpoint=proxy.endpoint)
        other = s3_target.backend(key=mine.key)
        taken = {}

        def someone_else_takes_over():
            other.force_unlock(taken["mine"].id)
            taken["lock"] = other.acquire("apply")

        proxy.add(Fault("pass", method="DELETE", target="lock", hook=someone_else_takes_over))
        taken["mine"] = mine.acquire("apply")
        mine.release()
        # the DELETE is refused (412), and one more GET tells "replaced" from "already gone"
        assert proxy.requests(conditions=True) == ["PUT lock If-None-Match=*", "GET lock", "DELETE lock If-Match",
                                                   "GET lock"]
        assert [s.status for s in proxy.seen][2] == 412
        assert other.current_lock() == taken["lock"] and mine.lock_info is None
        assert proxy.hook_errors == []
    finally:
        proxy.close()


# ---- secrets in endpoint URLs never printed ------------------------------------------------------
PASSWORD = "Pw-4-endpoint-s3cr3t"
TOKEN = "tok-in-the-query-s3cr3t"


def _all_text(exc: BaseException) -> str:
    """The message of an error and of everything chained to it, printed or not."""
    seen, parts = set(), []
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc} {getattr(exc, '__notes__', '')}")
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("where", ["option", "AWS_ENDPOINT_URL_S3"])
@pytest.mark.parametrize("endpoint", [f"http://admin:{PASSWORD}@127.0.0.1:{{port}}",
                                      f"http://127.0.0.1:{{port}}/?token={TOKEN}"])
def test_endpoint_secrets_never_appear_in_errors(s3_env, monkeypatch, where, endpoint):
    url = endpoint.format(port=_closed_port())
    if where == "option":
        b = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "devstream.state", endpoint=url)
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", url)
        b = S3Backend(VERSIONED_BUCKET, "ap-southeast-1", "devstream.state")
    for call in (b.read, lambda: b.acquire("apply"), b.current_lock, b.history):
        with pytest.raises(BackendError) as err:
            call()
        text = _all_text(err.value)
        assert PASSWORD not in text and TOKEN not in text, text
        assert err.value.__cause__ is None and err.value.__context__ is None, text


def test_endpoint_password_not_in_logs_or_debug_output(s3_target, tmp_path):
    """Through the CLI with --debug, against a server that works and then against one that is gone."""
    from ._reliability import write_config

    host = s3_target.endpoint.split("//", 1)[1]
    config = write_config(tmp_path, 2, backend="s3", endpoint=f"http://admin:{PASSWORD}@{host}",
                          key=f"e2e/{uuid.uuid4().hex[:12]}/devstream.state", region=s3_target.region)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": s3_target.access_key, "AWS_SECRET_ACCESS_KEY": s3_target.secret_key}
    run = [sys.executable, "-m", "dtmnb.cli", "--debug"]
    out = subprocess.run(run + ["apply", "-f", str(config), "-y"], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=120)
    assert out.returncode == 0 and "Apply finished" in out.stdout + out.stderr, (out.stdout + out.stderr)[-2000:]
    assert PASSWORD not in out.stdout + out.stderr
    config.write_text(config.read_text().replace(host, f"127.0.0.1:{_closed_port()}"))
    out = subprocess.run(run + ["plan", "-f", str(config)], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert out.returncode != 0 and "cannot be reached" in out.stdout + out.stderr
    assert PASSWORD not in out.stdout + out.stderr, (out.stdout + out.stderr)[-3000:]
