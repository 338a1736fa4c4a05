"""A copy of this project in a temporary folder, and a virtual environment for it that installs nothing
from the network (it sees this test run's packages through a .pth file)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATED = {".git", ".venv", "out", "try", "work", "__pycache__", ".pytest_cache", ".hypothesis", ".dtmnb-sandbox",
             ".ipynb_checkpoints", ".mypy_cache", "build", "dist"}


def copy_project(dest: Path) -> Path:
    """The project's files (not what it generated: venv, outputs, caches) copied to ``dest``."""
    shutil.copytree(ROOT, dest, ignore=lambda _dir, names: [n for n in names
                                                            if n in GENERATED or n.endswith(".egg-info")])
    return dest


def offline_venv(path: Path) -> Path:
    """A venv at ``path`` without pip of its own that imports this run's packages (pip included)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (purelib / "dtmnb-test-parent.pth").write_text("".join(f"{p}\n" for p in ours))
    return python


# pip settings that keep it offline: no index, and the build backend (setuptools) taken from the venv.
OFFLINE_PIP = {"PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PYTHONNOUSERSITE": "1"}
