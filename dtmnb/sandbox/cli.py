"""``dtmnb sandbox up`` / ``down``: the sandbox as a background process for shells.

    eval "$(dtmnb sandbox up)"     # starts it (or finds it running) and exports its variables
    eval "$(dtmnb sandbox down)"   # stops it and unsets them

``up`` and ``down`` take an argparse Namespace with ``data_dir`` and ``s3`` and return an exit code.
Only the ``export``/``unset`` lines go to stdout; messages go to stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .serve import STATE_FILE

DEFAULT_DATA_DIR = ".dtmnb-sandbox"
LOG_FILE = "sandbox.log"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``--data-dir`` and ``--s3`` (for the main CLI's ``sandbox up|down``)."""
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR,
                        help=f"where the sandbox keeps its data, pid and log (default: ./{DEFAULT_DATA_DIR})")
    parser.add_argument("--s3", default="auto", choices=("auto", "weed", "moto"),
                        help="S3 server: weed mini (on disk), moto (in memory), auto (weed if installed)")


def _data_dir(args) -> Path:
    return Path(getattr(args, "data_dir", None) or DEFAULT_DATA_DIR).expanduser().resolve()


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def export_lines(env: dict) -> str:
    return "".join(f"export {name}={_quote(value)}\n" for name, value in env.items())


def _reap(pid: int) -> bool:
    """True if ``pid`` is gone (reaping it if it is our exited child)."""
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    with contextlib.suppress(OSError):  # a zombie that is not ours counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


def _is_serve_process(pid: int) -> bool:
    if not Path("/proc/self").exists():
        return True  # no /proc (macOS): trust the pid
    try:
        return b"dtmnb.sandbox.serve" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def running(data_dir: Path) -> dict | None:
    """The ``sandbox.json`` of a live sandbox in ``data_dir``, or None (a stale file is removed)."""
    path = data_dir / STATE_FILE
    try:
        info = json.loads(path.read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _reap(pid) and _is_serve_process(pid):
        return info
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def up(args) -> int:
    """Start the sandbox in the background (unless running) and print its ``export`` lines."""
    data_dir = _data_dir(args)
    s3 = getattr(args, "s3", None) or "auto"
    info = running(data_dir)
    if info is not None:
        print(f"dtmnb sandbox is already running (pid {info['pid']}, s3={info.get('s3')}, data {data_dir}).",
              file=sys.stderr)
        sys.stdout.write(export_lines(info["env"]))
        sys.stdout.flush()
        return 0
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / LOG_FILE
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dtmnb.sandbox.serve", "--data-dir", str(data_dir), "--s3", s3],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd=data_dir)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"dtmnb sandbox did not start (exit {proc.returncode}); {log_path} ends with:\n"
                  f"{_log_tail(log_path)}", file=sys.stderr)
            return 1
        info = running(data_dir)
        if info is not None and info.get("pid") == proc.pid:
            break
        time.sleep(0.1)
    else:
        proc.terminate()
        print(f"dtmnb sandbox did not become ready in {START_TIMEOUT:.0f} s; see {log_path}", file=sys.stderr)
        return 1
    print(f"dtmnb sandbox is up (pid {proc.pid}, s3={info.get('s3')}, data {data_dir}). "
          f"Stop it with: dtmnb sandbox down", file=sys.stderr)
    sys.stdout.write(export_lines(info["env"]))
    sys.stdout.flush()
    return 0


def down(args) -> int:
    """Stop the background sandbox (by pid, waiting for it) and print ``unset`` lines."""
    data_dir = _data_dir(args)
    info = running(data_dir)
    if info is None:
        print(f"No dtmnb sandbox is running in {data_dir}.", file=sys.stderr)
        return 0
    pid = int(info["pid"])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while not _reap(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        (data_dir / STATE_FILE).unlink()
    print(f"dtmnb sandbox stopped (pid {pid}).", file=sys.stderr)
    sys.stdout.write("".join(f"unset {name}\n" for name in info.get("env", {})))
    sys.stdout.flush()
    return 0


def main(argv=None) -> int:
    """``python -m dtmnb.sandbox.cli up|down [--data-dir D] [--s3 KIND]``."""
    parser = argparse.ArgumentParser(prog="dtmnb sandbox")
    parser.add_argument("command", choices=("up", "down"))
    configure_parser(parser)
    args = parser.parse_args(argv)
    return up(args) if args.command == "up" else down(args)


if __name__ == "__main__":
    sys.exit(main())
