"""Planted secrets are found nowhere: a GitHub token, an AWS secret key, a Docker Hub token and an endpoint
password go through a whole quickstart run on the sandbox (S3 state on a real S3 server, the GitHub API,
Actions secrets), through the CLI with --debug, through failures, and are then looked for in the state
object, the lock, every log line, every frame, and every error with its whole chain."""
from __future__ import annotations

import uuid

import pytest

import dtmnb
from dtmnb import cli, showconfig
from dtmnb.errors import DtmnbError

from ._fixtures_s3 import VERSIONED_BUCKET

DOCKERHUB = "dckr_pat_planted-dockerhub-0123456789"
PASSWORD = "planted-endpoint-pa55word"


def _chain(exc: BaseException) -> str:
    parts, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc} {getattr(exc, '__notes__', '')}")
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


@pytest.fixture
def planted(github_env, s3_target, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKERHUB_TOKEN", DOCKERHUB)
    host = s3_target.endpoint.split("//", 1)[1]
    key = f"secrets/{uuid.uuid4().hex[:10]}/devstream.state"
    text = showconfig.template("quickstart")
    state = (f"state:\n  backend: s3\n  options:\n    bucket: {VERSIONED_BUCKET}\n    region: {s3_target.region}\n"
             f"    key: {key}\n    endpoint: http://admin:{PASSWORD}@{host}\n")
    start = text.index("state:")
    end = text.index("\n---", start)
    (tmp_path / "config.yaml").write_text(text[:start] + state + text[end:])
    secrets = [github_env.token, s3_target.secret_key, DOCKERHUB, PASSWORD]
    return tmp_path / "config.yaml", key, secrets, s3_target


def test_planted_secrets_appear_nowhere(planted, capsys):
    config, key, secrets, s3 = planted
    seen: list[str] = []

    assert cli.main(["--debug", "apply", "-f", str(config), "-y"]) == 0
    assert cli.main(["--debug", "plan", "-f", str(config)]) == 0
    cfg = dtmnb.load_config(config)
    frames = [dtmnb.plan(cfg), dtmnb.read_state(cfg), dtmnb.show_status(cfg), dtmnb.state_history(cfg),
              dtmnb.state_history(cfg, by="run"), dtmnb.state_diff(cfg), dtmnb.tools_frame(cfg)]
    seen += [f.to_string() + repr(dtmnb.show(f)) + dtmnb.show(f).to_html() for f in frames]
    held = dtmnb.lock(cfg, operation="apply")
    seen.append(s3.client().get_object(Bucket=VERSIONED_BUCKET, Key=key + ".lock")["Body"].read().decode())
    seen.append(held.to_string())
    for call in (lambda: dtmnb.destroy(cfg, auto_approve=True), lambda: dtmnb.force_unlock(cfg, "not-the-id")):
        with pytest.raises(DtmnbError) as err:
            call()
        seen.append(_chain(err.value))
    dtmnb.force_unlock(cfg, held["id"].iloc[0])
    seen.append(s3.client().get_object(Bucket=VERSIONED_BUCKET, Key=key)["Body"].read().decode())
    seen.append(dtmnb.state_text(cfg))
    # a failing change and a failing backend: the errors name what failed, not the secrets
    seen.append(dtmnb.destroy(cfg, auto_approve=True).to_string())
    broken = config.read_text().replace(VERSIONED_BUCKET, "no-such-bucket-here")
    config.write_text(broken)
    assert cli.main(["--debug", "plan", "-f", str(config)]) != 0
    out = capsys.readouterr()
    seen += [out.out, out.err]
    assert "Apply finished." in out.err and "no-such-bucket-here" in out.err    # the runs did what they should
    text = "\n".join(seen)
    for secret in secrets:
        assert secret not in text, f"a planted secret ({secret[:6]}...) was found"
