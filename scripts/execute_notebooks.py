#!/usr/bin/env python
"""Run the tutorial notebooks and store their outputs in place, in the environment nbval checks them in.

    .venv/bin/python scripts/execute_notebooks.py                  # every notebooks/*.ipynb
    .venv/bin/python scripts/execute_notebooks.py notebooks/workshop.ipynb

Then check them (the same command CI runs):

    .venv/bin/pytest --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval-sanitize.cfg notebooks/

The environment comes from ``notebooks/conftest.py`` (``DTMNB_AUTO_APPROVE=1``, no AWS/GitHub
credentials: the notebooks start the sandbox). Each cell has a finite timeout (nbclient can stall with
widgets on ipykernel 7: docs/notebooks.md#log-lines). A notebook whose run fails is not
overwritten; the failing cell is printed and the exit code is 1.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "python3"


def notebook_environ() -> dict:
    """The environment from notebooks/conftest.py (one definition for nbval and for this script)."""
    spec = importlib.util.spec_from_file_location("_dtmnb_notebook_conftest", NOTEBOOKS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    saved = dict(os.environ)
    try:
        spec.loader.exec_module(module)  # it adjusts os.environ at import; we restore and ask instead
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module.notebook_environ(saved)


def execute(path: Path, timeout: int = 600):
    """Execute one notebook in its own folder; returns (notebook, error or None)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from traitlets.config import Config

    nb = nbformat.read(path, as_version=4)
    env = notebook_environ()
    saved = dict(os.environ)
    # The kernel talks to us over Unix sockets in a private folder, not unencrypted TCP (which ipykernel
    # warns about); Windows has no IPC transport and keeps TCP on 127.0.0.1.
    short = "/tmp" if os.path.isdir("/tmp") else None  # macOS's $TMPDIR is long; socket paths are not
    with tempfile.TemporaryDirectory(prefix="dtmnb-kernel-", dir=short) as sockets:
        config = Config()
        if os.name != "nt":
            config.KernelManager.transport = "ipc"
            config.KernelManager.ip = os.path.join(sockets, "kernel")
        client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False, config=config,
                                resources={"metadata": {"path": str(path.parent)}})
        os.environ.clear()
        os.environ.update(env)  # the kernel inherits the environment of this process
        try:
            client.execute()
            error = None
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            error = exc
        finally:
            os.environ.clear()
            os.environ.update(saved)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
    return nb, error


# What a committed notebook must not carry (notebooks/test_notebook_hygiene.py checks): this machine's
# folders and who ran it. nbval's sanitizer (nbval-sanitize.cfg) maps both forms to the same tokens.
STAND_INS = {"folder": "/home/you/dtmnb/", "who": "you@laptop (pid 4242)"}
_WHO = re.compile(r"[\w.-]+@[\w.-]+ \(pid \d+\)")


def scrub(nb) -> None:
    """Replace this checkout's absolute folder and user@host (pid N) in the stored outputs by stand-ins."""
    root = str(ROOT) + "/"

    def clean(value):
        if isinstance(value, str):
            return _WHO.sub(STAND_INS["who"], value.replace(root, STAND_INS["folder"]))
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [type(o)(clean(dict(o))) for o in cell.outputs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    import nbformat

    paths = args.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    failed = 0
    for path in paths:
        started = time.monotonic()
        nb, error = execute(path.resolve(), args.timeout)
        if error is not None:
            failed += 1
            print(f"FAILED {path} ({time.monotonic() - started:.1f}s), not overwritten:\n{error}", file=sys.stderr)
            continue
        scrub(nb)
        nbformat.write(nb, path)
        print(f"ok     {path} ({time.monotonic() - started:.1f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
