"""JupyterLab and headless Chromium for the browser tests (Python Playwright driving Debian's chromium).

Needs ``pip install -e '.[test]'`` (playwright, jupyterlab) and a system chromium; skipped when they are
missing, except where the system packages are required (``.ci/run``), where a missing one fails.
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
from collections.abc import Iterator
from typing import Any

import pytest

from .._system_deps import system_deps, unavailable

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


def require(what: str, ok: bool) -> None:
    if not ok:
        unavailable(f"browser test needs {what}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with its own config/settings dirs, token off; stopped by PID afterwards."""
    require("jupyterlab (pip install -e '.[test]')", shutil.which("jupyter-lab", path=os.path.dirname(sys.executable))
             is not None or has_module("jupyterlab"))
    root = tmp_path / "root"
    root.mkdir()
    settings = tmp_path / "lab-settings"
    notify = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notify.parent.mkdir(parents=True)
    notify.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    # no "Select Kernel" dialog; every cell rendered (not only those in view), so all outputs can be measured
    tracker.write_text(json.dumps({"autoStartDefaultKernel": True, "windowingMode": "none"}))
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


def has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None




@pytest.fixture
def chromium_page(tmp_path: Any) -> Iterator[Any]:
    """A page in headless Chromium (1400x900: a notebook's output area is about 1,000 px wide)."""
    require("playwright (pip install -e '.[test]')", has_module("playwright"))
    chromium = system_deps.chromium()
    if chromium is None:
        unavailable(system_deps.reason(system_deps.CHROMIUM))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def open_notebook(page: Any, url: str, name: str) -> None:
    """Open ``name`` in JupyterLab and wait until it is shown and its kernel is idle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{url}/lab/tree/{name}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started !== undefined", timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    # Lab may still ask which kernel to use when its kernel list loaded late: take the preferred one.
    select = page.locator(".jp-Dialog button", has_text="Select")
    try:
        select.wait_for(state="visible", timeout=3_000)
        select.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
