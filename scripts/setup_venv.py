#!/usr/bin/env python3
"""Create the project's virtual environment and install dtmnb with one extra into it (used by make).

    python3 scripts/setup_venv.py --venv .venv --extra tutorial

Standard library only, so it runs with any Python >= 3.10 before anything is installed. Prints one line
saying what it installs; pip's own output goes to ``<venv>/pip-<extra>.log`` and its tail is shown only
when pip fails. Exit 0 when installed, 1 when something is missing (said in one message with the fix).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINIMUM = (3, 10)
# What each extra brings, for the one line printed before pip's silent minute.
SIZES = {"tutorial": "about 430 MB", "test": "about 860 MB", "lab": "about 520 MB"}
OLDEST_PIP = (22, 0)  # editable installs of a pyproject-only project need pip >= 21.3


def fail(message: str) -> int:
    print(f"setup: {message}", file=sys.stderr)
    return 1


def venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def create(path: Path) -> int:
    if sys.version_info < MINIMUM:
        have = ".".join(map(str, sys.version_info[:3]))
        return fail(f"dtmnb needs Python >= 3.10, but {sys.executable} is {have}. Run make with a newer one, "
                    f"e.g. `make PYTHON=python3.12 tutorial` (macOS: brew install python@3.12; "
                    f"Debian/Ubuntu: sudo apt-get install python3; Fedora: sudo dnf install python3).")
    print(f"setup: creating the virtual environment {path} with Python {sys.version.split()[0]}", flush=True)
    try:
        venv.EnvBuilder(with_pip=True).create(path)
    except (OSError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(path, ignore_errors=True)  # half a venv would make the next run skip creating it
        return fail(f"could not create {path} ({exc}). On Debian/Ubuntu the venv module is a separate package: "
                    f"sudo apt-get install python3-venv, then run make again.")
    return 0


def pip_version(python: Path) -> tuple[int, ...]:
    out = subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True, text=True)
    try:
        return tuple(int(p) for p in out.stdout.split()[1].split(".")[:2])
    except (IndexError, ValueError):
        return (0,)


def pip(python: Path, log: Path, *args: str) -> bool:
    with open(log, "ab") as out:
        return subprocess.run([str(python), "-m", "pip", *args, "--disable-pip-version-check"],
                              stdout=out, stderr=subprocess.STDOUT, cwd=ROOT).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--extra", required=True, help="the pyproject extra to install (tutorial, test, lab, ...)")
    parser.add_argument("--stamp", type=Path, help="a file to touch once installed (make's target)")
    args = parser.parse_args(argv)
    path = args.venv if args.venv.is_absolute() else Path.cwd() / args.venv
    python = venv_python(path)
    if not python.exists():
        code = create(path)
        if code:
            return code
    log = path / f"pip-{args.extra}.log"
    log.write_text("")
    if pip_version(python) < OLDEST_PIP and not pip(python, log, "install", "--upgrade", "pip"):
        return fail(f"could not upgrade pip; see {log}")
    size = SIZES.get(args.extra, "")
    print(f"setup: installing dtmnb[{args.extra}] into {args.venv}{f' ({size})' if size else ''}; "
          f"pip's output goes to {log}", flush=True)
    if not pip(python, log, "install", "-e", f".[{args.extra}]"):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        return fail(f"pip could not install dtmnb[{args.extra}]; the end of {log}:\n{tail}")
    if args.stamp is not None:
        args.stamp.touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
