"""The sandbox: local S3 (weed mini / moto) + GitHub API on 127.0.0.1, env set and restored, up/down."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import dtmnb.sandbox
from dtmnb.backends import get_backend
from dtmnb.config import StateConfig
from dtmnb.sandbox import ENV_NAMES
from dtmnb.sandbox import cli as sandbox_cli
from dtmnb.sandbox.s3 import SECRET_KEY, SandboxError, find_weed
from dtmnb.sandbox.s3 import client as s3_client

ROOT = Path(__file__).resolve().parent.parent
needs_weed = pytest.mark.skipif(not find_weed(), reason="SeaweedFS `weed` is not installed")
TUTORIAL_STATE = {"bucket": "devstream-test-remote-state", "region": "ap-southeast-1", "key": "devstream.state"}


@pytest.fixture
def clean_env(monkeypatch):
    for name in (*ENV_NAMES, "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key-before-sandbox")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-before-sandbox")
    monkeypatch.setenv("AWS_PROFILE", "profile-that-does-not-exist")


def _github_login(url: str, token: str) -> str:
    req = urllib.request.Request(f"{url}/user", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["login"]


def _tutorial_backend(tmp_path):
    return get_backend(StateConfig("s3", dict(TUTORIAL_STATE), tmp_path, str(tmp_path / "config.yaml")))


def test_start_sets_and_restores_env(clean_env, tmp_path):
    import boto3

    before = dict(os.environ)
    with dtmnb.sandbox.start() as sb:
        assert repr(sb) == "<Sandbox s3=moto github_user=IronCore864 buckets=1>"
        assert SECRET_KEY not in repr(sb)
        assert set(sb.env) == set(ENV_NAMES)
        assert all(os.environ[k] == v for k, v in sb.env.items())
        assert "AWS_SESSION_TOKEN" not in os.environ and "AWS_PROFILE" not in os.environ
        assert sb.env["AWS_DEFAULT_REGION"] == "ap-southeast-1"
        assert sb.s3_endpoint == sb.env["AWS_ENDPOINT_URL_S3"] and sb.s3_endpoint.startswith("http://127.0.0.1:")
        assert sb.github_url == sb.env["GITHUB_API_URL"] and sb.github_url.startswith("http://127.0.0.1:")
        # plain boto3, no endpoint argument: the environment points it at the sandbox
        s3 = boto3.client("s3")
        assert "devstream-test-remote-state" in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert s3.get_bucket_versioning(Bucket="devstream-test-remote-state")["Status"] == "Enabled"
        assert _github_login(sb.github_url, sb.env["GITHUB_TOKEN"]) == sb.github_user == "IronCore864"
        assert sb.github.url == sb.github_url
    assert dict(os.environ) == before
    assert repr(sb).endswith("stopped>")
    sb.stop()  # twice is fine


def test_tutorial_config_works_unchanged_in_sandbox(clean_env, tmp_path):
    with dtmnb.sandbox.start(user="someone", buckets=("devstream-test-remote-state", "second-bucket")) as sb:
        b = _tutorial_backend(tmp_path)
        assert b.endpoint is None  # from AWS_ENDPOINT_URL_S3
        assert b.describe() == ("Using s3 backend. Bucket: devstream-test-remote-state, region: ap-southeast-1, "
                                "key: devstream.state.")
        b.read()
        with b.locked("apply"):
            b.write(b"a: 1\n")
            b.write(b"a: 2\n")
        assert [b.read_version(v.version_id) for v in b.history()][:2] == [b"a: 2\n", b"a: 1\n"]
        names = [x["Name"] for x in sb.s3_client().list_buckets()["Buckets"]]
        assert {"devstream-test-remote-state", "second-bucket"} <= set(names)
        assert _github_login(sb.github_url, sb.env["GITHUB_TOKEN"]) == "someone"


def test_failed_start_cleans_up(clean_env):
    before = dict(os.environ)
    with pytest.raises(SandboxError, match="bucket 'x'"):
        dtmnb.sandbox.start(buckets=("x",))
    assert dict(os.environ) == before


def test_unknown_s3_kind():
    with pytest.raises(SandboxError, match="unknown sandbox S3 server 'minio'"):
        dtmnb.sandbox.start(s3="minio")


def test_auto_falls_back_to_moto_without_weed(clean_env, tmp_path, monkeypatch):
    monkeypatch.setattr("dtmnb.sandbox.s3.find_weed", lambda: None)
    with pytest.warns(UserWarning, match="uses moto in memory"):
        sb = dtmnb.sandbox.start(data_dir=tmp_path / "sbx")
    with sb:
        assert sb.s3_kind == "moto"


@needs_weed
def test_weed_sandbox_persists_across_restart(clean_env, tmp_path):
    data_dir = tmp_path / "sbx"
    with dtmnb.sandbox.start(data_dir=data_dir) as sb:
        assert repr(sb) == "<Sandbox s3=weed github_user=IronCore864 buckets=1>"
        endpoint, token = sb.s3_endpoint, sb.env["GITHUB_TOKEN"]
        b = _tutorial_backend(tmp_path)
        b.read()
        b.write(b"kept: yes\n")
        b.read()
        b.write(b"kept: still\n")
    assert not (data_dir / "sandbox.json").exists()
    with dtmnb.sandbox.start(data_dir=data_dir) as sb:
        assert sb.s3_kind == "weed"
        assert sb.s3_endpoint == endpoint  # ports saved in the data dir are reused
        assert sb.env["GITHUB_TOKEN"] == token  # GitHub data persists too
        b = _tutorial_backend(tmp_path)
        assert b.read().data == b"kept: still\n"
        assert len(b.history()) == 2  # versions and the versioning setting survived
    assert len(list((data_dir / "s3").glob("m[0-9]*"))) == 1  # one master dir, not one per restart


def _parse_exports(text: str) -> dict:
    env = {}
    for line in text.splitlines():
        assert line.startswith("export ") and "='" in line and line.endswith("'"), line
        name, _, value = line[len("export "):].partition("=")
        env[name] = value[1:-1]
    return env


@needs_weed
def test_up_and_down(clean_env, tmp_path, capsys):
    args = argparse.Namespace(data_dir=str(tmp_path / "bg"), s3="auto")
    assert sandbox_cli.up(args) == 0
    out, err = capsys.readouterr()
    env = _parse_exports(out)
    assert list(env) == list(ENV_NAMES)
    assert "sandbox is up" in err and "s3=weed" in err
    info = json.loads((tmp_path / "bg" / "sandbox.json").read_text())
    pid = info["pid"]
    assert info["env"] == env and info["s3"] == "weed"
    assert (tmp_path / "bg" / "sandbox.json").stat().st_mode & 0o077 == 0
    try:
        s3 = s3_client(env["AWS_ENDPOINT_URL_S3"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"],
                       env["AWS_DEFAULT_REGION"])  # AWS_PROFILE (clean_env) names no profile: ignored
        assert s3.get_bucket_versioning(Bucket="devstream-test-remote-state")["Status"] == "Enabled"
        assert _github_login(env["GITHUB_API_URL"], env["GITHUB_TOKEN"]) == "IronCore864"

        assert sandbox_cli.up(args) == 0  # already up: the same lines again
        out2, err2 = capsys.readouterr()
        assert out2 == out and "already running" in err2

        # what a shell does with it
        script = (f'eval "$({sys.executable} -m dtmnb.sandbox.cli up --data-dir {args.data_dir} 2>/dev/null)" '
                  f'&& echo "$AWS_ENDPOINT_URL_S3 $GITHUB_API_URL"')
        shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert shell.stdout.split() == [env["AWS_ENDPOINT_URL_S3"], env["GITHUB_API_URL"]]
    finally:
        assert sandbox_cli.down(args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"unset {name}" for name in ENV_NAMES]
    assert f"stopped (pid {pid})" in err
    assert not (tmp_path / "bg" / "sandbox.json").exists()
    assert not Path(f"/proc/{pid}").exists() or sandbox_cli._reap(pid)
    assert sandbox_cli.down(args) == 0
    assert "No dtmnb sandbox is running" in capsys.readouterr().err


def test_stale_sandbox_json_is_ignored(tmp_path, capsys):
    data_dir = tmp_path / "bg"
    data_dir.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (data_dir / "sandbox.json").write_text(json.dumps({"pid": dead.pid, "env": {}}))
    assert sandbox_cli.running(data_dir) is None
    assert not (data_dir / "sandbox.json").exists()
    assert sandbox_cli.down(argparse.Namespace(data_dir=str(data_dir), s3=None)) == 0


def test_export_lines_quote_safely():
    assert sandbox_cli.export_lines({"A": "it's"}) == "export A='it'\"'\"'s'\n"
