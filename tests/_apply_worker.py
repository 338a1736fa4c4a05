"""A process that applies configs on command, for the concurrency and kill tests (public API only).

Run as ``python -m tests._apply_worker``. It imports dtmnb and boto3 once, prints ``@@ {"ready": pid}`` and
then, for each job line (JSON ``{"config": path, "log": path, "hold": false}``) on stdin:
loads the config, prints ``@@ {"loaded": ...}``, waits for the line ``go``, applies with
``auto_approve=True`` and prints ``@@ {"outcome": ...}``. Protocol lines start with ``@@ ``; dtmnb's own log
lines go to stdout too and are ignored by the test.

The ``local-file`` plugin is wrapped so that each create appends ``<tool key> <pid>`` to the job's
``log`` file (O_APPEND: lines from several processes never mix). With ``hold``, the first create prints
``@@ {"holding": ...}`` and waits for the line ``release`` before it goes on (a handshake instead of a sleep);
with ``announce``, each create prints ``@@ {"created": path}`` once its file is written; with
``pause_replace: n``, the n-th rename of a backend temp file waits (see ``pausing_replace``).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any


def say(**message: Any) -> None:
    sys.stdout.write("@@ " + json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    import boto3  # noqa: F401 - warm: the kill test's random moments should fall in the apply, not in imports

    import dtmnb  # noqa: F401 - warm too

    job: dict[str, Any] = {}
    register_counting_file(job)
    pause_replaces(job)
    say(ready=os.getpid())
    for line in sys.stdin:
        if line.strip():
            job.clear()
            job.update(json.loads(line))
            run_job(job)


def register_counting_file(job: dict[str, Any]) -> None:
    """Wrap the ``local-file`` plugin: each create logs ``<path> <pid>`` to ``job["log"]`` (and holds or
    announces itself as the job says)."""
    from dtmnb.plugins import register_plugin
    from dtmnb.plugins.local_file import LocalFile

    class CountingFile(LocalFile):
        name = "local-file"

        def create(self, options: dict) -> dict:
            if job.get("hold") and not job.get("held"):
                job["held"] = True
                say(holding=os.getpid())
                if sys.stdin.readline().strip() != "release":
                    raise SystemExit("expected 'release'")
            resource = super().create(options)
            fd = os.open(job["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, f"{options['path']} {os.getpid()}\n".encode())
            finally:
                os.close(fd)
            if job.get("announce"):
                say(created=options["path"])
            return resource

    register_plugin("local-file", CountingFile, clobber=True)


def pause_replaces(job: dict[str, Any]) -> None:
    """Replace os.replace: with ``pause_replace: n``, the n-th rename of a backend temp file
    (``.devstream.state*``, into the state, its backup or its history) announces itself and waits for a
    line, so the test kills the process inside the state write with its temp file on disk."""
    real_replace = os.replace

    def pausing_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if job.get("pause_replace") and os.path.basename(str(src)).startswith(".devstream.state"):
            job["replaces"] = job.get("replaces", 0) + 1
            if job["replaces"] == job["pause_replace"]:
                say(pausing=os.path.basename(str(src)))
                sys.stdin.readline()
        return real_replace(src, dst, *args, **kwargs)

    os.replace = pausing_replace


def run_job(job: dict[str, Any]) -> None:
    """Load the job's config, wait for ``go``, apply and say the outcome."""
    import dtmnb
    from dtmnb.errors import DtmnbError

    cfg = dtmnb.load_config(job["config"])
    say(loaded=os.getpid())
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected 'go'")
    try:
        result = dtmnb.apply(cfg, auto_approve=True)
    except DtmnbError as exc:
        say(outcome={"error": type(exc).__name__, "message": str(exc),
                     "lock": getattr(getattr(exc, "lock", None), "id", None)})
    else:
        say(outcome={"rows": [{"key": r.key, "status": r.status, "error": r.error}
                              for r in result.itertuples()]})


if __name__ == "__main__":
    main()
