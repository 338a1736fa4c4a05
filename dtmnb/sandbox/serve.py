"""The background sandbox process: ``python -m dtmnb.sandbox.serve --data-dir D [--state-file F]``.

Starts a sandbox keeping its data in D, writes F (default ``D/sandbox.json``: pid, s3 kind, data dir,
env) once it is ready, and runs until SIGTERM/SIGINT/SIGHUP (or until its S3 server dies), then stops
it and removes the file.
``dtmnb sandbox up`` / ``down`` (dtmnb/sandbox/cli.py) start and stop it.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import signal
import sys
import threading
from pathlib import Path

STATE_FILE = "sandbox.json"


def write_state(path: Path, info: dict[str, object]) -> None:
    """Write ``info`` as JSON, readable by the owner only (it holds the sandbox's dummy keys)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    from ..errors import DtmnbError
    from . import DEFAULT_BUCKETS, DEFAULT_USER, start

    parser = argparse.ArgumentParser(prog="python -m dtmnb.sandbox.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--s3", default="auto", choices=("auto", "weed", "moto"))
    parser.add_argument("--user", default=DEFAULT_USER)
    parser.add_argument("--bucket", action="append", dest="buckets")
    parser.add_argument("--state-file", type=Path, help=f"where to write the pid/env file (default: D/{STATE_FILE})")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, lambda *_: stop.set())
    data_dir = args.data_dir.resolve()
    try:
        sb = start(user=args.user, buckets=tuple(args.buckets or DEFAULT_BUCKETS), data_dir=data_dir, s3=args.s3)
    except DtmnbError as exc:
        print(f"dtmnb sandbox: {exc}", file=sys.stderr, flush=True)
        return 1
    state_path = (args.state_file or data_dir / STATE_FILE).resolve()
    try:
        write_state(state_path, {
            "pid": os.getpid(), "s3": sb.s3_kind, "data_dir": str(data_dir), "github_user": sb.github_user,
            "buckets": list(sb.buckets),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "env": sb.env})
        print(f"dtmnb sandbox ready: s3={sb.s3_kind} {sb.s3_endpoint}, github {sb.github_url}", file=sys.stderr,
              flush=True)
        while not stop.wait(1.0):
            if sb.s3_server is None or not sb.s3_server.alive():
                print("dtmnb sandbox: the S3 server stopped unexpectedly; shutting down", file=sys.stderr,
                      flush=True)
                break
    finally:
        sb.stop()
        try:
            if json.loads(state_path.read_text()).get("pid") == os.getpid():
                state_path.unlink()
        except (OSError, ValueError):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
