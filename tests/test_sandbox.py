"""The sandbox: local S3 (weed mini / moto) + GitHub API on 127.0.0.1, env set and restored, up/down."""
from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
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


_WEED_PARENT = """\
import sys
from dtmnb.sandbox.s3 import WeedServer
server = WeedServer(sys.argv[1]).start()
print(server.proc.pid, flush=True)
sys.stdin.read()
"""


@needs_weed
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PDEATHSIG is Linux-only")
def test_weed_stops_when_its_parent_is_killed(tmp_path):
    """A sandbox killed with SIGKILL runs no atexit handler: weed mini still stops (SIGTERM from the kernel)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    parent = subprocess.Popen([sys.executable, "-c", _WEED_PARENT, str(tmp_path / "s3")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    weed_pid = int(parent.stdout.readline())  # the handshake: weed is up and answering
    exits = os.pidfd_open(weed_pid)
    try:
        # the launcher replaced itself with weed: same pid, weed's command line
        assert Path(f"/proc/{weed_pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"weed")
        parent.kill()
        parent.wait()
        readable, _, _ = select.select([exits], [], [], 60)  # readable once weed has exited
        assert readable == [exits], "weed mini kept running after its parent was killed"
    finally:
        if not select.select([exits], [], [], 0)[0]:
            os.kill(weed_pid, signal.SIGKILL)
        os.close(exits)
        parent.stdout.close()
        parent.stdin.close()


@pytest.fixture
def user_state(tmp_path, monkeypatch) -> Path:
    """The per-user folder of the background sandbox, in tmp_path (through XDG_STATE_HOME)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    folder = sandbox_cli.state_dir()
    assert folder == tmp_path / "xdg-state" / "dtmnb" / "sandbox"
    yield folder
    if sandbox_cli.running(folder) is not None:  # a failed test must not leave it running
        sandbox_cli.down(argparse.Namespace())


def _shell(script: str, tmp_path: Path, shell: str = "bash") -> subprocess.CompletedProcess:
    """Run ``script`` in ``shell`` with ``dtmnb`` meaning this checkout's CLI (as `.venv/bin/dtmnb` would)."""
    prelude = f'dtmnb() {{ "{sys.executable}" -m dtmnb "$@"; }}\n'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([shell, "-c", prelude + script], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=180, stdin=subprocess.DEVNULL)


def _vars(text: str) -> dict[str, str]:
    """``NAME=value`` lines after a ``--- NAME`` marker printed by the scripts below."""
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("--- "):
            current = out.setdefault(line[4:], {})
        elif current is not None and "=" in line:
            name, _, value = line.partition("=")
            current[name] = value
    return out


SHOW = "".join(f'echo "{n}=${{{n}-<unset>}}"; ' for n in (*ENV_NAMES, "AWS_PROFILE", "AWS_SESSION_TOKEN"))


@pytest.mark.parametrize("shell", [s for s in ("bash", "sh", "zsh") if shutil.which(s)])
def test_shell_up_status_down_restores_what_was_there(user_state, tmp_path, shell):
    """eval "$(dtmnb sandbox up)" in one folder, status and down from another: the shell ends as it began."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    script = f"""
set -e
export AWS_ACCESS_KEY_ID=key-of-mine AWS_SECRET_ACCESS_KEY=secret-of-mine AWS_PROFILE=work
export AWS_SESSION_TOKEN=session-of-mine GITHUB_TOKEN=github-token-of-mine
unset AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 GITHUB_API_URL
echo "--- before"; {SHOW}
cd a
dtmnb sandbox up --s3 moto > up.out
eval "$(cat up.out)"
eval "$(dtmnb sandbox up)"          # again: the saved values are kept, not overwritten by the sandbox's
echo "--- up"; {SHOW}
cd ../b
dtmnb sandbox status > status.out
if dtmnb sandbox up --s3 weed > conflict.out 2> conflict.err; then echo "conflict=accepted"; fi
eval "$(dtmnb sandbox down)"
echo "--- down"; {SHOW}
echo "--- leftovers"; set | grep '^_DTMNB' || true
"""
    run = _shell(script, tmp_path, shell)
    assert run.returncode == 0, run.stderr
    seen = _vars(run.stdout)
    assert seen["down"] == seen["before"]
    assert seen["before"]["AWS_ACCESS_KEY_ID"] == "key-of-mine" and seen["before"]["AWS_DEFAULT_REGION"] == "<unset>"
    up = seen["up"]
    assert up["AWS_ACCESS_KEY_ID"] == "dtmnb-sandbox" and up["AWS_DEFAULT_REGION"] == "ap-southeast-1"
    assert up["AWS_PROFILE"] == up["AWS_SESSION_TOKEN"] == "<unset>"  # hidden while it runs, as in Python
    assert up["AWS_ENDPOINT_URL_S3"].startswith("http://127.0.0.1:") and up["GITHUB_TOKEN"] != "github-token-of-mine"
    assert seen["leftovers"] == {}
    # the user's own values were never printed nor written anywhere
    written = (tmp_path / "a" / "up.out").read_text() + "".join(
        p.read_text(errors="replace") for p in user_state.rglob("*") if p.is_file())
    for secret in ("key-of-mine", "secret-of-mine", "session-of-mine", "github-token-of-mine"):
        assert secret not in written
    status = (tmp_path / "b" / "status.out").read_text()
    assert "running" in status and up["AWS_ENDPOINT_URL_S3"] in status and up["GITHUB_API_URL"] in status
    assert "its variables point at the sandbox" in status
    assert "conflict=accepted" not in run.stdout
    assert (tmp_path / "b" / "conflict.out").read_text() == ""  # nothing for eval to apply
    assert "--s3 weed (it runs s3=moto)" in (tmp_path / "b" / "conflict.err").read_text()
    assert sandbox_cli.running(user_state) is None
    assert "not running" in _shell("dtmnb sandbox status; echo rc=$?", tmp_path).stdout


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_down_in_a_shell_that_did_not_run_up_unsets_only_sandbox_values(user_state, tmp_path):
    """A child shell inherits the exported sandbox values but not the saved ones: down unsets only what
    still holds a sandbox value and leaves what the user set since."""
    script = f"""
set -e
unset AWS_ACCESS_KEY_ID GITHUB_TOKEN
eval "$(dtmnb sandbox up --s3 moto 2>/dev/null)"
export GITHUB_TOKEN=set-after-up
export -f dtmnb
bash -c 'eval "$(dtmnb sandbox down 2>/dev/null)"; echo "--- child"; {SHOW}'
"""
    run = _shell(script, tmp_path)
    assert run.returncode == 0, run.stderr
    child = _vars(run.stdout)["child"]
    assert child["AWS_ACCESS_KEY_ID"] == child["AWS_ENDPOINT_URL_S3"] == "<unset>"
    assert child["GITHUB_TOKEN"] == "set-after-up"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_down_when_nothing_runs_still_restores_the_shell(user_state, tmp_path):
    """The sandbox died (or was stopped elsewhere): down still puts this shell's variables back."""
    script = f"""
export AWS_DEFAULT_REGION=eu-west-1
eval "$(dtmnb sandbox up --s3 moto 2>/dev/null)"
dtmnb sandbox down >/dev/null 2>&1       # stopped without eval (another terminal, say)
eval "$(dtmnb sandbox down)"
echo "--- after"; {SHOW}
"""
    run = _shell(script, tmp_path)
    assert run.returncode == 0, run.stderr
    after = _vars(run.stdout)["after"]
    assert after["AWS_DEFAULT_REGION"] == "eu-west-1" and after["AWS_ENDPOINT_URL_S3"] == "<unset>"
    assert "No dtmnb sandbox is running" in run.stderr


def test_sandbox_help_lists_only_each_commands_options():
    def help_text(*words: str) -> str:
        run = subprocess.run([sys.executable, "-m", "dtmnb", "sandbox", *words, "--help"], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "--s3" not in help_text("down") and "--data-dir" not in help_text("down")
    assert "--s3" not in help_text("status")
    up_help = help_text("up")
    assert "--s3" in up_help and "--data-dir" in up_help and ".local/state/dtmnb/sandbox" in up_help
    assert "status" in help_text()


def test_up_with_another_data_dir_while_running_is_an_error(user_state, tmp_path, capsys):
    assert sandbox_cli.up(argparse.Namespace(s3="moto", data_dir=None)) == 0
    capsys.readouterr()
    assert sandbox_cli.up(argparse.Namespace(s3=None, data_dir=str(tmp_path / "elsewhere"))) == 2
    out, err = capsys.readouterr()
    assert out == "" and f"--data-dir {tmp_path / 'elsewhere'}" in err and "dtmnb sandbox down" in err
    assert sandbox_cli.up(argparse.Namespace(s3="auto", data_dir=None)) == 0  # auto: whatever runs is fine
    assert "already running" in capsys.readouterr().err
    assert sandbox_cli.down(argparse.Namespace()) == 0


@needs_weed
def test_up_keeps_data_on_disk_with_weed(clean_env, user_state, tmp_path, capsys):
    data_dir = tmp_path / "data"
    args = argparse.Namespace(data_dir=str(data_dir), s3=None)
    assert sandbox_cli.up(args) == 0
    out, err = capsys.readouterr()
    assert "sandbox is up" in err and "s3=weed" in err and str(data_dir) in err
    info = json.loads((user_state / "sandbox.json").read_text())
    assert info["s3"] == "weed" and info["data_dir"] == str(data_dir)
    assert (user_state / "sandbox.json").stat().st_mode & 0o077 == 0
    env = info["env"]
    assert f"export AWS_ENDPOINT_URL_S3='{env['AWS_ENDPOINT_URL_S3']}'" in out.splitlines()
    pid = info["pid"]
    try:
        s3 = s3_client(env["AWS_ENDPOINT_URL_S3"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"],
                       env["AWS_DEFAULT_REGION"])
        s3.put_object(Bucket="devstream-test-remote-state", Key="kept", Body=b"yes")
        assert _github_login(env["GITHUB_API_URL"], env["GITHUB_TOKEN"]) == "IronCore864"
    finally:
        assert sandbox_cli.down(argparse.Namespace()) == 0
    assert f"stopped (pid {pid})" in capsys.readouterr().err
    assert not (user_state / "sandbox.json").exists() and sandbox_cli._reap(pid)
    assert sandbox_cli.up(args) == 0
    capsys.readouterr()
    try:
        env = json.loads((user_state / "sandbox.json").read_text())["env"]
        s3 = s3_client(env["AWS_ENDPOINT_URL_S3"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"],
                       env["AWS_DEFAULT_REGION"])
        assert s3.get_object(Bucket="devstream-test-remote-state", Key="kept")["Body"].read() == b"yes"
    finally:
        assert sandbox_cli.down(argparse.Namespace()) == 0


def test_stale_sandbox_json_is_ignored(user_state, capsys):
    user_state.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (user_state / "sandbox.json").write_text(json.dumps({"pid": dead.pid, "env": {}}))
    assert sandbox_cli.running(user_state) is None
    assert not (user_state / "sandbox.json").exists()
    assert sandbox_cli.down(argparse.Namespace()) == 0
    assert "No dtmnb sandbox is running" in capsys.readouterr().err


def test_export_lines_quote_safely():
    assert sandbox_cli.export_lines({"A": "it's"}) == "export A='it'\"'\"'s'\n"


_RUN_ALL_TWICE = """\
import json, os, urllib.request
import boto3
import dtmnb.sandbox

before = dict(os.environ)
first = dtmnb.sandbox.start()
boto3.client("s3").put_object(Bucket="devstream-test-remote-state", Key="devstream.state", Body=b"x: 1\\n")
second = dtmnb.sandbox.start()
try:
    listed = boto3.client("s3").list_objects_v2(Bucket="devstream-test-remote-state")
    request = urllib.request.Request(second.github_url + "/user",
                                     headers={"Authorization": "token " + os.environ["GITHUB_TOKEN"]})
    with urllib.request.urlopen(request, timeout=10) as resp:
        login = json.loads(resp.read())["login"]
    seen = {"first_running": first.running, "second_running": second.running,
            "key_count": listed.get("KeyCount", 0), "login": login}
finally:
    second.stop()
seen["env_restored"] = dict(os.environ) == before
print(json.dumps(seen))
"""


def test_starting_again_in_one_kernel_restarts_both_servers_together(clean_env):
    """Run All twice in a notebook: the second start() stops the first sandbox (S3 and GitHub together), so
    the fresh S3 never remembers repositories the fresh GitHub API does not have; the environment ends as
    it was before the first start. Run in a fresh process, as a kernel is: moto servers in one process
    share one store, so a moto server of the test session itself would keep the first sandbox's objects."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    run = subprocess.run([sys.executable, "-c", _RUN_ALL_TWICE], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "starting a fresh one (S3 and GitHub together)" in run.stdout
    seen = json.loads(run.stdout.splitlines()[-1])
    assert not seen["first_running"] and seen["second_running"]
    assert seen["key_count"] == 0
    assert seen["login"] == "IronCore864"
    assert seen["env_restored"]
