"""A local GitHub-compatible REST API for the sandbox: PyGithub talks to it over real HTTP, unchanged.

    server = GitHubAPIServer().start()          # 127.0.0.1, a free port
    token = server.add_user("IronCore864")      # scopes repo, delete_repo, workflow
    server.add_org("devstream-io", members=["IronCore864"])
    Github(base_url=server.url, auth=Auth.Token(token))
    ...
    server.stop()

Endpoints are in ``github_routes``, ``github_contents`` and ``github_secrets``; data and JSON shapes in
``github_model``; git objects in ``github_git``.
A control API under ``/_sandbox/`` (and the same methods in Python) seeds users, organizations and tokens,
resets, injects faults, returns the request log and exports repositories. With ``data_dir`` the state is
kept in ``<data_dir>/github-sandbox.json`` so a workshop survives a restart.
"""
from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import secrets
import socket
import string
import threading
import time
import traceback
import urllib.parse
from collections.abc import Iterable, Sequence
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import github_contents, github_secrets
from . import github_model as m
from .github_control import Answer, control
from .github_routes import ROUTES as _REPO_ROUTES
from .github_routes import ApiError, Request, Result, not_found

ROUTES = [*_REPO_ROUTES, *github_contents.ROUTES, *github_secrets.ROUTES]

STATE_FILE = "github-sandbox.json"
ENTERPRISE_PREFIX = "/api/v3"
RATE_LIMIT = 5000
RATE_WINDOW = 3600
MAX_LOG = 20000
RATE_LIMIT_MESSAGE = ("API rate limit exceeded for user ID {id}. If you reach out to GitHub Support for help, "
                      "please include the request ID {request_id}.")
SECONDARY_MESSAGE = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try "
                     "again. If you reach out to GitHub Support for help, please include the request ID "
                     "{request_id}.")
_TOKEN_CHARS = string.ascii_letters + string.digits


class GitHubAPIServer:
    """GitHub-compatible API on ``http://127.0.0.1:PORT``; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, data_dir: str | Path | None = None):
        host = "127.0.0.1" if host == "localhost" else host
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"the sandbox GitHub API listens on a loopback address only, not {host}")
        self.host, self.port = host, port
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.lock = threading.RLock()
        self.world = self._load()
        self.faults: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._rates: dict[str, list[int]] = {}  # token or "anonymous" -> [used, reset]
        self._next_fault = 1
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()  # open client sockets, closed by stop()

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> GitHubAPIServer:
        if self._httpd is None:
            server_class = _IPv6Server if ":" in self.host else _Server
            self._httpd = server_class((self.host, self.port), _Handler, api=self)
            self.port = self._httpd.server_address[1]
            self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"github-sandbox-{self.port}",
                                            daemon=True)
            self._thread.start()
        return self

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        httpd, thread, self._httpd, self._thread = self._httpd, self._thread, None, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            for conn in list(self._connections):  # kept-alive clients must not be served after stop
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> GitHubAPIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- seeding -----------------------------------------------------------------------------------
    def add_user(self, login: str, scopes: Sequence[str] = m.DEFAULT_SCOPES, name: str | None = None) -> str:
        """Create the user (if new) and return its first token with ``scopes``, making one if needed."""
        with self.lock:
            account = self.world.account(login)
            if account is None:
                account = m.Account(login=login, id=self.world.new_id(), name=name)
                self.world.accounts[login.lower()] = account
            elif account.type != "User":
                raise ValueError(f"{login} is an organization, not a user")
            for token, info in self.world.tokens.items():
                if info["login"] == account.login and sorted(info["scopes"]) == sorted(scopes):
                    return token
            return self.add_token(account.login, scopes)

    def add_token(self, login: str, scopes: Sequence[str] = m.DEFAULT_SCOPES) -> str:
        """A new personal access token for an existing user (e.g. with fewer scopes)."""
        with self.lock:
            account = self.world.account(login)
            if account is None or account.type != "User":
                raise ValueError(f"no user {login} in the sandbox (add_user first)")
            token = "ghp_" + "".join(secrets.choice(_TOKEN_CHARS) for _ in range(36))
            self.world.tokens[token] = {"login": account.login, "scopes": list(scopes)}
            self._save()
            return token

    def add_org(self, login: str, members: Iterable[str] = ()) -> None:
        """Create the organization (if new) and add ``members`` (existing users, created if missing)."""
        with self.lock:
            org = self.world.account(login)
            if org is None:
                org = m.Account(login=login, id=self.world.new_id(), type="Organization")
                self.world.accounts[login.lower()] = org
            elif org.type != "Organization":
                raise ValueError(f"{login} is a user, not an organization")
            for member in members:
                user = self.world.account(member)
                if user is None:
                    self.add_user(member)
                    user = self.world.accounts[member.lower()]
                if user.login not in org.members:
                    org.members.append(user.login)
            self._save()

    def reset(self, keep_accounts: bool = True) -> None:
        """Forget repositories, faults, the request log and rate counters (and accounts unless kept)."""
        with self.lock:
            if keep_accounts:
                self.world.repos.clear()
            else:
                self.world = m.World()
            self.faults.clear()
            self.requests.clear()
            self._rates.clear()
            self._save()

    # -- faults and log ----------------------------------------------------------------------------
    def inject_fault(self, status: int | None = None, body: object = None, headers: dict[str, str] | None = None,
                     delay: float = 0, count: int | None = 1, path: str = ".*", method: str | None = None) -> int:
        """Answer the next ``count`` requests (None: all) whose path matches ``path`` (a regex searched in
        the path) with ``status``/``body``/``headers`` after ``delay`` seconds. ``status=None`` only delays.
        ``body`` may be a dict or a message string. Returns the fault's id."""
        re.compile(path)
        with self.lock:
            fault: dict[str, Any] = {
                "id": self._next_fault, "status": status, "body": body, "headers": dict(headers or {}),
                "delay": float(delay), "count": count, "path": path, "method": method.upper() if method else None}
            self._next_fault += 1
            self.faults.append(fault)
            return fault["id"]

    def inject_rate_limit(self, reset_in: float = 3600, count: int | None = 1, path: str = ".*",
                          secondary: bool = False) -> int:
        """Answer 403 with GitHub's primary (or secondary) rate-limit message and headers."""
        reset = int(time.time() + reset_in)
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
        if secondary:
            headers["Retry-After"] = str(int(reset_in))
        message = SECONDARY_MESSAGE if secondary else RATE_LIMIT_MESSAGE
        return self.inject_fault(403, {"message": message, "documentation_url":
                                       "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                                 headers, count=count, path=path)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def _take_fault(self, method: str, path: str) -> dict[str, Any] | None:
        with self.lock:
            for fault in self.faults:
                if (fault["method"] in (None, method) and re.search(fault["path"], path)
                        and (fault["count"] is None or fault["count"] > 0)):
                    if fault["count"] is not None:
                        fault["count"] -= 1
                    return dict(fault)
        return None

    # -- inspection --------------------------------------------------------------------------------
    def repo_files(self, owner: str, name: str, ref: str | None = None) -> dict[str, bytes]:
        """``{path: bytes}`` of a branch (default branch when ``ref`` is None); {} for an empty repo."""
        with self.lock:
            repo = self.world.repo(owner, name)
            if repo is None:
                raise KeyError(f"no repository {owner}/{name} in the sandbox")
            sha = repo.refs.get(f"refs/heads/{ref or repo.default_branch}")
            return repo.store.files(repo.store.commit(sha)["tree"]) if sha else {}

    def secret_value(self, owner: str, name: str, secret: str) -> str | None:
        """Test-only: the value an Actions secret holds, opened with the repository's private key (None
        when there is no such secret). GitHub never shows a secret's value; neither does the sandbox's
        HTTP API, so this is a Python call only."""
        with self.lock:
            repo = self.world.repo(owner, name)
            if repo is None:
                raise KeyError(f"no repository {owner}/{name} in the sandbox")
            return github_secrets.secret_value(repo, secret)

    def export_repo(self, owner: str, name: str, dest: str | Path) -> Path:
        """Write the repository as a bare git repository at ``dest`` (``git clone dest`` works)."""
        with self.lock:
            repo = self.world.repo(owner, name)
            if repo is None:
                raise KeyError(f"no repository {owner}/{name} in the sandbox")
            return repo.store.export_bare(Path(dest), dict(repo.refs), repo.default_branch)

    # -- persistence -------------------------------------------------------------------------------
    def _load(self) -> m.World:
        if self.data_dir is not None and (self.data_dir / STATE_FILE).exists():
            return m.World.from_json(json.loads((self.data_dir / STATE_FILE).read_text(encoding="utf-8")))
        return m.World()

    def _save(self) -> None:
        if self.data_dir is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.data_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(self.world.to_json()), encoding="utf-8")
        os.replace(tmp, self.data_dir / STATE_FILE)

    # -- request handling --------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Message, body: bytes) -> Answer:
        """Answer one HTTP request: ``(status, headers, body bytes)``."""
        parts = urllib.parse.urlsplit(raw_path)
        path, query = parts.path, urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        api = f"http://{headers.get('Host') or f'{self.host}:{self.port}'}"
        if path == ENTERPRISE_PREFIX or path.startswith(ENTERPRISE_PREFIX + "/"):
            # served under /api/v3 as well, like GitHub Enterprise Server; links keep the prefix
            path, api = path[len(ENTERPRISE_PREFIX):] or "/", api + ENTERPRISE_PREFIX
        if path.startswith("/_sandbox/"):
            status, out_headers, payload = control(self, method, path, query, body, api)
            return status, out_headers, payload
        request_id = secrets.token_hex(8).upper()
        fault = self._take_fault(method, path)
        if fault and fault["delay"]:
            time.sleep(fault["delay"])
        if fault and fault["status"] is not None:
            status, resp_headers, result = fault["status"], dict(fault["headers"]), _fault_body(fault, request_id)
            scopes: list[str] | None = None
        else:
            status, resp_headers, result, scopes = self._dispatch(method, path, query, headers, body, api)
        out = self._headers(status, resp_headers, headers, scopes, request_id)
        payload = b"" if status == 204 or result is None else json.dumps(result).encode()
        self._record(method, raw_path, headers, body, status, out, result, bool(fault and fault["status"]))
        return status, out, payload

    def _dispatch(self, method: str, path: str, query: dict[str, list[str]], headers: Message, body: bytes,
                  api: str) -> tuple[int, dict[str, str], Result, list[str] | None]:
        """Run the endpoint: ``(status, extra headers, JSON result, token scopes or None)``."""
        with self.lock:
            req = Request(method=method, path=path, query=query, body=None, api=api, world=self.world)
            try:
                token = _token(headers.get("Authorization"))
                if token is not None:
                    info = self.world.tokens.get(token)
                    if info is None:
                        raise ApiError(401, "Bad credentials")
                    req.account, req.scopes = self.world.account(info["login"]), list(info["scopes"])
                req.rate = self._count(token, req.account, path)
                if body:
                    try:
                        req.body = json.loads(body)
                    except ValueError:
                        raise ApiError(400, "Problems parsing JSON") from None
                for route_method, pattern, handler in ROUTES:
                    match = pattern.match(path)
                    if match and route_method == ("GET" if method == "HEAD" else method):
                        args = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
                        result = handler(req, **args)
                        if method not in ("GET", "HEAD"):
                            self._save()
                        return req.status, req.headers, result, req.scopes if req.account else None
                raise not_found()
            except ApiError as exc:
                return exc.status, dict(exc.headers), exc.body(), req.scopes if req.account else None

    def _count(self, token: str | None, account: m.Account | None, path: str) -> tuple[int, int, int]:
        """Count the request against the token's hourly budget; 403 when it is used up."""
        key = token or "anonymous"
        limit = RATE_LIMIT if token else 60
        now = time.time()
        rate = self._rates.setdefault(key, [0, int(now + RATE_WINDOW)])
        if now >= rate[1]:
            rate[:] = [0, int(now + RATE_WINDOW)]
        if path != "/rate_limit":
            if rate[0] >= limit:
                raise ApiError(403, RATE_LIMIT_MESSAGE.format(id=account.id if account else 0,
                                                               request_id=secrets.token_hex(8).upper()),
                               headers={"X-RateLimit-Remaining": "0"})
            rate[0] += 1
        return limit, rate[0], rate[1]

    def _headers(self, status: int, extra: dict[str, str], request_headers: Message, scopes: list[str] | None,
                 request_id: str) -> dict[str, str]:
        token = _token(request_headers.get("Authorization"))
        limit = RATE_LIMIT if token else 60
        used, reset = self._rates.get(token or "anonymous", [0, int(time.time() + RATE_WINDOW)])
        out = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(max(limit - used, 0)),
            "X-RateLimit-Used": str(used), "X-RateLimit-Reset": str(reset), "X-RateLimit-Resource": "core",
            "X-GitHub-Request-Id": request_id,
        }
        if scopes is not None:
            out["X-OAuth-Scopes"] = ", ".join(scopes)
            out["X-Accepted-OAuth-Scopes"] = "repo"
        out.update(extra)
        return out

    def _record(self, method: str, raw_path: str, headers: Message, body: bytes, status: int,
                out_headers: dict[str, str], result: object, faulted: bool) -> None:
        request_body: object
        try:
            request_body = json.loads(body) if body else None
        except ValueError:
            request_body = body.decode("utf-8", "replace")
        entry = {
            "time": time.time(), "method": method, "path": urllib.parse.urlsplit(raw_path).path,
            "query": urllib.parse.urlsplit(raw_path).query, "status": status,
            "request_headers": {k: v for k, v in headers.items() if k.lower() != "authorization"},
            "request_body": request_body, "response_headers": dict(out_headers),
            "response_body": result, "fault": faulted,
        }
        with self.lock:
            self.requests.append(entry)
            del self.requests[:-MAX_LOG]


def _fault_body(fault: dict[str, Any], request_id: str) -> Result:
    """An injected fault's JSON body: its ``body``, or GitHub's error shape around a message string."""
    body = fault["body"]
    data = body if isinstance(body, (dict, list)) else {"message": body or "Injected fault",
                                                         "documentation_url": "https://docs.github.com/rest"}
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        data = {**data, "message": data["message"].format(id=1, request_id=request_id)}
    return data


def _token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else header.strip()


class _Server(ThreadingHTTPServer):
    """The HTTP server, knowing the API it serves."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], api: GitHubAPIServer):
        self.api = api
        super().__init__(address, handler)


class _IPv6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: always reads the body, always sends Content-Length (none on 204)."""

    protocol_version = "HTTP/1.1"
    server_version = "dtmnb-sandbox-github/1"
    timeout = 120
    server: _Server

    def _serve(self) -> None:
        body = self._read_body()
        try:
            status, headers, payload = self.server.api.handle(self.command, self.path, self.headers, body)
        except Exception as exc:  # a sandbox bug must be an answer, never a dropped connection
            status, headers = 500, {"Content-Type": "application/json; charset=utf-8"}
            payload = json.dumps({"message": f"Internal sandbox error: {type(exc).__name__}: {exc}",
                                  "documentation_url": "https://docs.github.com/rest", "status": "500",
                                  "traceback": traceback.format_exc(limit=5)}).encode()
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 204 and not (100 <= status < 200) and status != 304:
                self.send_header("Content-Length", str(len(payload)))
            else:
                payload = b""
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. its timeout)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def setup(self) -> None:
        super().setup()
        self.server.api._connections.add(self.connection)

    def finish(self) -> None:
        self.server.api._connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: object) -> None:  # keep test and notebook output clean
        pass
