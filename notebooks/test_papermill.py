"""Every notebook runs end to end under papermill with its parameter set (``-p AUTO_APPROVE True``), in an
environment that does not approve by itself: the parameters cell is what makes the run headless."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

HERE = Path(__file__).parent
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_with_papermill_parameters(path, tmp_path, monkeypatch):
    monkeypatch.setenv("DTMNB_AUTO_APPROVE", "")          # the parameter, not the environment, approves
    work = tmp_path / "notebooks"
    shutil.copytree(HERE, work, ignore=shutil.ignore_patterns("work", ".ipynb_checkpoints", "__pycache__"))
    out = tmp_path / f"out-{path.name}"
    papermill.execute_notebook(str(work / path.name), str(out), parameters={"AUTO_APPROVE": True},
                               cwd=str(work), kernel_name="python3", progress_bar=False, execution_timeout=300)
    nb = out.read_text()
    assert '"AUTO_APPROVE = True' in nb or "AUTO_APPROVE = True" in nb    # papermill injected the parameter
    assert "status=pending" not in nb and "waiting: click Apply" not in nb   # nothing left waiting for a click
