"""The setup step on a machine without Debian's tools: `make` with a PATH holding only python3 and make.

A copy of the project is set up as `make test` and `make tutorial` set it up (the Makefile and
scripts/setup_venv.py, scripts/system_deps.py), with no apt-get, dpkg, sudo, go or chromium on PATH. pip
works offline: the venv sees this test run's packages through a .pth file and builds dtmnb without
build isolation, so nothing is downloaded.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._project_copy import OFFLINE_PIP, ROOT, copy_project, offline_venv

MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed (the project needs Python and make)")


@pytest.fixture
def bare_machine(tmp_path):
    """(project copy, venv path, env): PATH has python3 and make only; the venv reuses our packages."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    (bin_dir / "make").symlink_to(MAKE)
    for tool in ("apt-get", "dpkg", "sudo", "go", "chromium", "brew", "dnf"):
        assert shutil.which(tool, path=str(bin_dir)) is None
    project = copy_project(tmp_path / "project")
    venv = tmp_path / "venv"
    offline_venv(venv)
    env = {k: v for k, v in os.environ.items()
           if k not in {"DTMNB_REQUIRE_SYSTEM_DEPS", "DTMNB_CHROMIUM", "GOPATH", "MAKEFLAGS", "MFLAGS"}}
    env.update(PATH=str(bin_dir), **OFFLINE_PIP)
    env.pop("PYTHONPATH", None)
    return project, venv, env


def _make(project: Path, venv: Path, env: dict, *targets: str) -> subprocess.CompletedProcess:
    return subprocess.run([MAKE, f"VENV={venv}", *targets], cwd=project, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def test_setup_without_debian_tools_installs_and_names_what_is_missing(bare_machine):
    project, venv, env = bare_machine

    # what `make tutorial` does before running the notebook: no word about system packages
    tutorial = _make(project, venv, env, "setup")
    assert tutorial.returncode == 0, tutorial.stdout + tutorial.stderr
    assert tutorial.stdout.count("setup: installing dtmnb[tutorial]") == 1
    assert "system packages" not in tutorial.stdout + tutorial.stderr
    assert "sudo" not in tutorial.stdout + tutorial.stderr
    cli = subprocess.run([str(venv / "bin" / "dtmnb"), "--version"], capture_output=True, text=True, env=env)
    assert cli.returncode == 0 and cli.stdout.startswith("dtmnb "), cli.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import dtmnb; print(dtmnb.__file__)"],
                           capture_output=True, text=True, env=env, cwd="/")
    assert Path(where.stdout.strip()).is_relative_to(project), where.stdout + where.stderr

    # what `make test` does before pytest: installs the test extra, names the missing packages once
    test = _make(project, venv, env, "setup-test", "system-deps")
    out = test.stdout + test.stderr
    assert test.returncode == 0, out
    assert test.stdout.count("setup: installing dtmnb[test]") == 1
    assert out.count("system packages: not installed: chromium, go") == 1  # (and yaml.v3's source if absent)
    for platform, command in (("Debian/Ubuntu:", "sudo apt-get install chromium"), ("macOS:", "brew install go"),
                              ("Fedora:", "sudo dnf install golang")):
        line = next(line for line in out.splitlines() if line.strip().startswith(platform))
        assert command in line
    assert "those tests will be skipped" in out

    again = _make(project, venv, env, "setup-test")  # stamps are up to date: pip does not run again
    assert again.returncode == 0 and "installing" not in again.stdout + again.stderr


def test_project_ci_requires_the_system_packages(bare_machine):
    project, venv, env = bare_machine
    strict = _make(project, venv, {**env, "DTMNB_REQUIRE_SYSTEM_DEPS": "1"}, "system-deps")
    assert strict.returncode != 0
    assert "not installed: chromium, go" in strict.stderr
    assert "required here (DTMNB_REQUIRE_SYSTEM_DEPS=1)" in strict.stderr


def test_make_clean_removes_what_the_project_generated(tmp_path):
    project = copy_project(tmp_path / "project")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    made = [".venv/bin/python", "out/s3-remote-state-tutorial.html", "notebooks/work/x/devstream.state",
            ".dtmnb-sandbox/sandbox.log", "dtmnb.egg-info/PKG-INFO", ".hypothesis/examples/x", ".pytest_cache/v",
            "dtmnb/__pycache__/cli.cpython-311.pyc", "notebooks/.ipynb_checkpoints/x.ipynb", "try/offline/notes.txt",
            "build/lib/x.py", ".mypy_cache/x"]
    for rel in made:
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("generated\n")
    run = subprocess.run([MAKE, "clean"], cwd=project, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "VENV"}})
    assert run.returncode == 0, run.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_clean_clone_without_the_seed_skips_its_cross_check_even_in_ci(tmp_path, monkeypatch):
    """A fork's CI (CI=true, no shared/ beside the clone) skips; the project's own CI (.ci/run) requires it."""
    from . import tutorial

    monkeypatch.setattr(tutorial, "SEED", tmp_path / "shared" / "seed" / "missing.md")
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv(tutorial.REQUIRE_SEED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="not beside this checkout"):
        tutorial.seed_text()
    monkeypatch.setenv(tutorial.REQUIRE_SEED_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="the seed tutorial is missing"):
        tutorial.seed_text()
    assert f"{tutorial.REQUIRE_SEED_ENV}=1" in (ROOT / ".ci" / "run").read_text()
