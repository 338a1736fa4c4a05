"""Exploring S3 state without a config: read_state("s3://bucket/key") and scan_states("s3://bucket/prefix"),
against real S3 servers (weed and moto), as a person who only has the bucket would."""
from __future__ import annotations

import uuid

import pytest

import dtmnb
from dtmnb.console import QuietConsole
from dtmnb.errors import UsageError

from ._engine_helpers import write_s3_config
from ._fixtures_s3 import VERSIONED_BUCKET


def team_state(folder, target, key: str, *files: str):
    tools = "".join(f"- name: local-file\n  instanceID: {f}\n  options: {{path: {f}.txt}}\n" for f in files)
    cfg = dtmnb.load_config(write_s3_config(folder, target, key, "tools:\n" + tools))
    dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    return cfg


@pytest.fixture
def s3_url_env(s3_target, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_target.endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", s3_target.region)
    return s3_target


def test_a_bucket_with_several_teams_states(s3_url_env, tmp_path):
    prefix = f"scan/{uuid.uuid4().hex[:8]}"
    team_state(tmp_path / "web", s3_url_env, f"{prefix}/web/devstream.state", "page", "style")
    cfg = team_state(tmp_path / "data", s3_url_env, f"{prefix}/data/devstream.state", "etl")
    s3_url_env.client().put_object(Bucket=VERSIONED_BUCKET, Key=f"{prefix}/README.md", Body=b"# not a state\n")
    held = dtmnb.lock(cfg, operation="apply")

    states = dtmnb.scan_states(f"s3://{VERSIONED_BUCKET}/{prefix}/")
    assert list(states["key"]) == [f"{prefix}/data/devstream.state", f"{prefix}/web/devstream.state"]
    assert list(states["tools"]) == [1, 2] and list(states["versions"]) == [1, 2]
    assert states["locked_by"].iloc[0] == held["who"].iloc[0] and states["locked_by"].isna().iloc[1]
    tools = dtmnb.scan_states(f"s3://{VERSIONED_BUCKET}/{prefix}/", tools=True)
    assert list(tools[["state_key", "key"]].itertuples(index=False, name=None)) == [
        (f"{prefix}/data/devstream.state", "local-file_etl"),
        (f"{prefix}/web/devstream.state", "local-file_page"), (f"{prefix}/web/devstream.state", "local-file_style")]

    one = dtmnb.read_state(f"s3://{VERSIONED_BUCKET}/{prefix}/web/devstream.state")
    assert list(one["key"]) == ["local-file_page", "local-file_style"]
    dtmnb.force_unlock(cfg, held["id"].iloc[0])


def test_urls_are_checked(s3_url_env):
    with pytest.raises(UsageError, match="expected an S3 URL"):
        dtmnb.scan_states("https://example.com/x")
    with pytest.raises(UsageError, match="names a prefix"):
        dtmnb.read_state(f"s3://{VERSIONED_BUCKET}/some/prefix/")
    assert dtmnb.read_state(f"s3://{VERSIONED_BUCKET}/no/such/devstream.state").empty
