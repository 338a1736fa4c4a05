#!/usr/bin/env python
"""Main job: run the S3 remote-state tutorial notebook headless on the sandbox.

    .venv/bin/python scripts/run_tutorial.py          # or: make tutorial

Executes notebooks/s3-remote-state-tutorial.ipynb with ``DTMNB_AUTO_APPROVE=1`` (no buttons to click)
and no AWS/GitHub credentials from the caller's environment: the notebook starts dtmnb's sandbox (local
S3 server + GitHub-compatible API). Writes the executed notebook and an HTML copy to ``out/`` and prints
where they are. Exit code 0 when every cell ran, 1 when one failed (the partly executed notebook is
still written, so the failing cell can be read in it).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute_notebooks import ROOT, execute

NOTEBOOK = ROOT / "notebooks" / "s3-remote-state-tutorial.ipynb"
OUT = ROOT / "out"


def main() -> int:
    import nbformat
    from nbconvert import HTMLExporter

    started = time.monotonic()
    print(f"running {NOTEBOOK.relative_to(ROOT)} on the sandbox (DTMNB_AUTO_APPROVE=1) ...", flush=True)
    nb, error = execute(NOTEBOOK, timeout=600)
    OUT.mkdir(exist_ok=True)
    ipynb = OUT / NOTEBOOK.name
    html = OUT / (NOTEBOOK.stem + ".html")
    nbformat.write(nb, ipynb)
    body, _ = HTMLExporter().from_notebook_node(nb)
    html.write_text(body, encoding="utf-8")
    print(f"executed notebook: {ipynb}")
    print(f"HTML copy:         {html}")
    if error is not None:
        print(f"FAILED after {time.monotonic() - started:.1f}s:\n{error}", file=sys.stderr)
        return 1
    print(f"ok: every cell ran ({time.monotonic() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
