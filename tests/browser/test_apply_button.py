"""One real-browser test: JupyterLab + headless Debian chromium (Python Playwright) click **Apply**.

The widget logic is covered without a kernel in tests/test_ui.py; this checks the whole path a person
takes: the notebook runs in JupyterLab, the Apply/Cancel box renders, a real click reaches the kernel,
the engine applies (local backend, ``local-file`` plugin) and the box shows the result.

Needs ``pip install -e '.[test]'`` (playwright, jupyterlab; ``make test`` installs them) and a system
Chromium (scripts/system_deps.py says how to install it; ``DTMNB_CHROMIUM`` names another binary). Skipped
when those are missing, naming them — except where ``DTMNB_REQUIRE_SYSTEM_DEPS=1`` (.ci/run): there they fail.
"""
from __future__ import annotations

import json
import os

from .conftest import open_notebook

NOTEBOOK_SETUP = '''\
from pathlib import Path
import dtmnb

Path("config.yaml").write_text("""\\
config:
  state:
    backend: local
    options:
      stateFile: devstream.state
tools:
- name: local-file
  instanceID: hello
  options:
    path: hello.txt
    content: "hello from the browser test\\\\n"
""")
cfg = dtmnb.load_config("config.yaml")
pending = dtmnb.apply(cfg)
pending'''
KERNEL_READY = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const kernel = nb && nb.sessionContext && nb.sessionContext.session && nb.sessionContext.session.kernel;
  return !!(nb.sessionContext.isReady && kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle');
}"""
NOTEBOOK_CHECK = 'pending.status, Path("hello.txt").read_text() if Path("hello.txt").exists() else None'


def _notebook() -> dict:
    def cell(source: str, i: int) -> dict:
        return {"cell_type": "code", "id": f"cell-{i}", "execution_count": None, "metadata": {}, "outputs": [],
                "source": source}

    return {"nbformat": 4, "nbformat_minor": 5, "cells": [cell(NOTEBOOK_SETUP, 0), cell(NOTEBOOK_CHECK, 1)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                        "language": "python"}}}



def test_clicking_apply_in_jupyterlab_applies(lab, chromium_page, tmp_path):
    from playwright.sync_api import expect

    url, root = lab
    (root / "confirm.ipynb").write_text(json.dumps(_notebook(), indent=1))
    page = chromium_page
    try:
        open_notebook(page, url, "confirm.ipynb")
        page.set_default_timeout(90_000)
        # Run All is dropped silently if sent before the kernel connection is up: wait for it.
        page.wait_for_function(KERNEL_READY, timeout=90_000)
        # don't await the command's promise (evaluate has no timeout); the waits below are bounded
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

        box = page.locator(".dtmnb-confirm")
        apply_button = box.locator("button", has_text="Apply")
        apply_button.wait_for(state="visible", timeout=90_000)
        expect(box).to_contain_text("1 to create, 0 to update, 0 to delete")
        expect(box).to_contain_text("local-file_hello")
        assert not (root / "hello.txt").exists()  # nothing happens before the click

        shots = os.environ.get("DTMNB_SCREENSHOT_DIR")   # to look at what a person sees
        if shots:
            page.screenshot(path=os.path.join(shots, "before-apply.png"))
        apply_button.click()
        expect(box).to_contain_text("applied: 1 change(s)", timeout=60_000)
        if shots:
            page.screenshot(path=os.path.join(shots, "after-apply.png"))
        expect(box).to_contain_text("Apply result: 1 succeeded")
        expect(box).to_contain_text("Tool (local-file/hello) Create done.")
        expect(apply_button).to_be_disabled()
        expect(box.locator("button", has_text="Cancel")).to_be_disabled()
        assert (root / "hello.txt").read_text() == "hello from the browser test\n"

        # the kernel saw the same click: re-run the last cell and read the PendingApply's status
        page.locator(".jp-Notebook .jp-CodeCell").last.click()
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-cell'); }")
        last_output = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jp-OutputArea-output")
        expect(last_output).to_contain_text("'applied'", timeout=60_000)
        expect(last_output).to_contain_text("hello from the browser test")
    except Exception:
        page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"screenshot: {tmp_path / 'failure.png'}")
        raise
    assert "local-file_hello" in (root / "devstream.state").read_text()
