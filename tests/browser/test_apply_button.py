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
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .._system_deps import system_deps, unavailable

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]

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


def _require(what: str, ok: bool) -> None:
    if not ok:
        unavailable(f"browser test needs {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook() -> dict:
    def cell(source: str, i: int) -> dict:
        return {"cell_type": "code", "id": f"cell-{i}", "execution_count": None, "metadata": {}, "outputs": [],
                "source": source}

    return {"nbformat": 4, "nbformat_minor": 5, "cells": [cell(NOTEBOOK_SETUP, 0), cell(NOTEBOOK_CHECK, 1)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                        "language": "python"}}}


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with its own config/settings dirs, token off; stopped by PID afterwards."""
    _require("jupyterlab (pip install -e '.[test]')", shutil.which("jupyter-lab", path=os.path.dirname(sys.executable))
             is not None or _has_module("jupyterlab"))
    root = tmp_path / "root"
    root.mkdir()
    (root / "confirm.ipynb").write_text(json.dumps(_notebook(), indent=1))
    settings = tmp_path / "lab-settings"
    notify = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notify.parent.mkdir(parents=True)
    notify.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"autoStartDefaultKernel": True}))  # no "Select Kernel" dialog
    env = dict(os.environ)
    env.pop("DTMNB_AUTO_APPROVE", None)  # the point is to ask, and click
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
    })
    port = _free_port()
    with open(tmp_path / "lab.log", "wb") as log:  # Lab writes it through its own copy of the file
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
             "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
             "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None",
             f"--ServerApp.root_dir={root}"],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/lab", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(tmp_path / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, root
    finally:
        proc.terminate()  # jupyter-lab shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_clicking_apply_in_jupyterlab_applies(lab, tmp_path):
    _require("playwright (pip install -e '.[test]')", _has_module("playwright"))
    chromium = system_deps.chromium()
    if chromium is None:
        unavailable(system_deps.reason(system_deps.CHROMIUM))
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    url, root = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/lab/tree/confirm.ipynb")
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined",
                                   timeout=90_000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
            # Lab may still ask which kernel to use when its kernel list loaded late: take the preferred one.
            select = page.locator(".jp-Dialog button", has_text="Select")
            try:
                select.wait_for(state="visible", timeout=3_000)
                select.click()
            except PlaywrightTimeout:
                pass
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
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
        finally:
            browser.close()
    assert "local-file_hello" in (root / "devstream.state").read_text()
