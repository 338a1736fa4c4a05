"""README.md's shell blocks, run as a reader runs them, so the walk-through cannot go stale.

Every ```bash block is run, in order, in one bash session in a copy of the project whose `.venv` holds
this checkout's dtmnb (installed with pip, offline), as `make tutorial` would leave it. A block is
skipped only when the line before its fence says why: ``<!-- readme-test: skip (reason) -->``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from dtmnb.sandbox import ENV_NAMES
from dtmnb.sandbox import cli as sandbox_cli

from ._project_copy import OFFLINE_PIP, ROOT, copy_project, offline_venv
from .tutorial import TUTORIAL_DIR

README = ROOT / "README.md"
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->")


@dataclass
class Block:
    line: int          # of the opening fence, 1-based
    language: str
    text: str
    skip: str | None   # the reason, when marked


def shell_blocks(markdown: str) -> list[Block]:
    blocks, lines = [], markdown.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, language = i, fence.group(1)
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        if language in SHELL_LANGUAGES:
            marker = SKIP.search(lines[start - 1]) if start else None
            blocks.append(Block(start + 1, language, "\n".join(body) + "\n", marker and marker["reason"]))
    return blocks


def test_every_shell_block_runs_or_says_why_not():
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    assert [b for b in blocks if b.language != "bash"] == [], "write shell blocks as ```bash"
    running = [b for b in blocks if b.skip is None]
    assert len(running) >= 3, "the activation and both walk-through blocks run"
    assert any("sandbox up" in b.text for b in running) and any("examples/offline" in b.text for b in running)
    assert any("make lab" in b.text for b in blocks if b.skip)  # JupyterLab never ends by itself
    # a skip marker sits right above a fence, never elsewhere (where it would silently do nothing)
    lines = README.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        if line.lstrip().startswith("<!--") and "readme-test" in line:
            assert SKIP.search(line), f"README.md:{n + 1}: malformed marker {line!r}"
            assert n + 1 < len(lines) and lines[n + 1].startswith("```"), f"README.md:{n + 1}: not above a block"


def test_examples_hold_the_tutorials_files_unchanged():
    for name in ("config.yaml", "variables-gitops.yaml", "tools-gitops.yaml"):
        assert (ROOT / "examples" / "s3-tutorial" / name).read_bytes() == (TUTORIAL_DIR / name).read_bytes()
    assert (ROOT / "examples" / "offline" / "variables-gitops.yaml").read_bytes() == \
        (TUTORIAL_DIR / "variables-gitops.yaml").read_bytes()


@pytest.fixture
def reader(tmp_path, monkeypatch):
    """(project copy, env): `.venv` with this checkout's dtmnb installed; a home and state folder of its own."""
    project = copy_project(tmp_path / "project")
    python = offline_venv(project / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "DTMNB_AUTO_APPROVE"}}
    env.update(OFFLINE_PIP, XDG_STATE_HOME=str(tmp_path / "state"))
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(project)],
                             capture_output=True, text=True, env=env, cwd=project, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    assert (project / ".venv" / "bin" / "dtmnb").exists()
    monkeypatch.setenv("XDG_STATE_HOME", env["XDG_STATE_HOME"])
    yield project, env
    if sandbox_cli.running() is not None:  # a failed block must not leave the sandbox running
        subprocess.run([str(project / ".venv" / "bin" / "dtmnb"), "sandbox", "down"], env=env,
                       capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed (the README's blocks are bash)")
def test_readme_shell_blocks_work_as_written(reader):
    project, env = reader
    blocks = [b for b in shell_blocks(README.read_text(encoding="utf-8")) if b.skip is None]
    script = ["set -e", 'trap \'echo "README.md block at line $README_LINE failed: $BASH_COMMAND" >&2\' ERR',
              # the reader's own AWS/GitHub settings, which the sandbox must hand back
              "export AWS_ACCESS_KEY_ID=readers-own-key AWS_PROFILE=readers-profile",
              "unset AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION AWS_ENDPOINT_URL_S3 GITHUB_API_URL GITHUB_TOKEN"]
    for b in blocks:
        script += [f"README_LINE={b.line}", b.text]
    script.append('echo "--- after"; ' + "".join(f'echo "{n}=${{{n}-<unset>}}"; '
                                                 for n in (*ENV_NAMES, "AWS_PROFILE")) + 'echo "PWD=$PWD"')
    run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=project, env=env, capture_output=True, text=True,
                         timeout=600, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, f"{run.stderr[-4000:]}\n--- stdout:\n{run.stdout[-3000:]}"
    out = run.stdout
    assert "dtm-test-go was scaffolded into repos/dtm-test-go" in out          # cat notes.txt
    assert "Plan: 2 to create, 0 to update" in out
    assert "github-repo-scaffolding-golang_default:" in out                     # state show from S3
    after = dict(line.split("=", 1) for line in out.split("--- after\n", 1)[1].splitlines())
    assert after["AWS_ACCESS_KEY_ID"] == "readers-own-key" and after["AWS_PROFILE"] == "readers-profile"
    assert after["AWS_ENDPOINT_URL_S3"] == after["GITHUB_TOKEN"] == "<unset>"
    assert Path(after["PWD"]) == project                                        # the blocks end where they began
    assert sandbox_cli.running() is None
    offline = project / "try" / "offline"
    assert not (offline / "notes.txt").exists() and not (offline / "repos" / "dtm-test-go").exists()
    assert (project / "examples" / "offline").exists() and not (project / "examples" / "offline" / "repos").exists()
