"""Checks on the stored notebooks themselves (collected with the notebooks: pytest ... notebooks/)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path(__file__).parent.glob("*.ipynb"))
SECRET_PATTERNS = [
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),           # GitHub tokens
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),           # AWS access key ids
    re.compile(r"dckr_pat_[A-Za-z0-9_-]{8,}"),            # Docker Hub tokens (the sandbox's stand-in too)
    re.compile(r"dtmnb-sandbox-secret"),                  # the sandbox's (dummy) secret key
    re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*\S"),
]


def _outputs_text(nb: dict) -> str:
    return json.dumps([c.get("outputs", []) for c in nb["cells"] if c["cell_type"] == "code"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_secret_in_stored_outputs(path):
    text = _outputs_text(json.loads(path.read_text()))
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path.name}: stored output matches {pattern.pattern}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_was_executed_and_kernel_is_python3(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    unrun = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and c.get("execution_count") is None]
    assert not unrun, f"{path.name}: cells {unrun} have no stored output (nbval would not compare them); " \
                      f"run scripts/execute_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_auto_approve_handling(path):
    """A literal papermill parameters cell, and the DTMNB_AUTO_APPROVE fallback
    (docs/notebooks.md#papermill-parameters)."""
    cells = json.loads(path.read_text())["cells"]
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1 and "AUTO_APPROVE = False" in "".join(params[0]["source"])
    assert any("DTMNB_AUTO_APPROVE" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")


def _outputs(nb: dict):
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code":
            for o in c.get("outputs", []):
                yield i, c, o


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_widget_only_outputs(path):
    """A widget's output also carries a still picture, so the saved notebook shows something without a kernel
    (GitHub, nbviewer, nbconvert, offline)."""
    nb = json.loads(path.read_text())
    bare = [i for i, _, o in _outputs(nb)
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {}) and "text/html" not in o["data"]]
    assert not bare, f"{path.name}: cells {bare} hold only widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_author_paths_or_hosts(path):
    """scripts/execute_notebooks.py replaces the author's folder and user@host by stand-ins."""
    text = _outputs_text(json.loads(path.read_text()))
    paths = [m for m in re.findall(r"(?<![\w.])/(?:home|Users|root|work|tmp|var|opt)/[^\s\"'<>&]*", text)
             if not m.startswith("/home/you/dtmnb/")]
    assert not paths, f"{path.name}: stored outputs show machine paths {sorted(set(paths))[:5]}"
    holders = set(re.findall(r"[\w.-]+@[\w.-]+ \(pid \d+\)", text)) - {"you@laptop (pid 4242)"}
    assert not holders, f"{path.name}: stored outputs name who ran them: {holders}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_saved_confirmations_show_how_they_ended_and_no_tracebacks(path):
    nb = json.loads(path.read_text())
    for i, _, o in _outputs(nb):
        html = o.get("data", {}).get("text/html", "")
        if "dtmnb-confirm-static" in "".join(html):
            assert "waiting: click Apply" not in "".join(html), f"{path.name} cell {i}: saved while pending"
        assert o.get("output_type") != "error", f"{path.name} cell {i}: an error output"
        assert "Traceback (most recent call last)" not in json.dumps(o), f"{path.name} cell {i}: a traceback"
