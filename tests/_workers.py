"""Worker processes (tests/_apply_worker.py) driven over pipes: every wait is a handshake on a line."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WAIT = 120.0  # seconds before a missing handshake line fails the test (a guard, not a barrier)


class Worker:
    """One ``python -m tests._apply_worker`` process; its stderr goes to ``log_dir/worker-<pid>.err``."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        log_dir.mkdir(parents=True, exist_ok=True)
        self._err_path = log_dir / f"worker-{os.getpid()}-{id(self)}.err"
        self._err = open(self._err_path, "wb")  # noqa: SIM115 - the process writes to it until close()
        self.proc = subprocess.Popen([sys.executable, "-m", "tests._apply_worker"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, text=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin, self._stdout = self.proc.stdin, self.proc.stdout
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.pid = self.expect("ready")

    def _read(self) -> None:
        for line in self._stdout:
            if line.startswith("@@ "):
                self._lines.put(json.loads(line[3:]))
        self._lines.put(None)

    def expect(self, key: str, timeout: float = WAIT) -> Any:
        try:
            message = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"worker {self.proc.pid}: no '{key}' within {timeout:.0f} s\n{self.stderr()}") from None
        if message is None or key not in message:
            raise AssertionError(f"worker {self.proc.pid}: expected '{key}', got {message!r}\n{self.stderr()}")
        return message[key]

    def send(self, line: str) -> None:
        self._stdin.write(line + "\n")
        self._stdin.flush()

    def job(self, config: Path, log: Path, **options: Any) -> None:
        """Load ``config`` and wait, ready for ``go()`` (options: hold, announce, pause_replace)."""
        self.send(json.dumps({"config": str(config), "log": str(log), **options}))
        self.expect("loaded")

    def go(self) -> None:
        self.send("go")

    def stderr(self, tail: int = 3000) -> str:
        self._err.flush()
        try:
            return self._err_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL, then reap it (so its pid is gone, as after a real crash)."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self._stdin.close()
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self._err.close()


def worker_env(s3: Any = None) -> dict[str, str]:
    """The environment for workers: this one, plus the S3 test keys when given a target."""
    env = dict(os.environ)
    env.pop("DTMNB_AUTO_APPROVE", None)
    if s3 is not None:
        env.update(AWS_ACCESS_KEY_ID=s3.access_key, AWS_SECRET_ACCESS_KEY=s3.secret_key, AWS_DEFAULT_REGION=s3.region)
    return env
