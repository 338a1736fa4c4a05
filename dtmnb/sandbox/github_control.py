"""The sandbox GitHub API's control routes under ``/_sandbox/`` (no auth; the server is loopback-only).

    GET    /_sandbox/health
    POST   /_sandbox/users     {"login", "scopes"?, "name"?}  -> {"login", "token", "scopes"}
    POST   /_sandbox/tokens    {"login", "scopes"}           -> {"token"}
    POST   /_sandbox/orgs      {"login", "members"?}
    POST   /_sandbox/reset     {"keep_accounts"?: true}
    GET|POST|DELETE /_sandbox/faults   POST body: inject_fault's arguments, or {"rate_limit": {...}}
    GET|DELETE      /_sandbox/requests the request log
    GET    /_sandbox/repos                      -> [{"full_name", "default_branch", "branches"}]
    GET    /_sandbox/repos/OWNER/REPO/files?ref= -> {path: text}
    GET    /_sandbox/raw/OWNER/REPO/REF/PATH    -> the file's bytes (``download_url`` of the Contents API)
    GET    /_sandbox/avatars/LOGIN              -> a placeholder SVG
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import github_model as m

if TYPE_CHECKING:
    from .github_api import GitHubAPIServer

#: an HTTP answer: (status, headers, body bytes)
Answer = tuple[int, dict[str, str], bytes]

_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _answer(status: int, data: object = None) -> Answer:
    return status, dict(_JSON), b"" if status == 204 else json.dumps(data).encode()


def control(server: GitHubAPIServer, method: str, path: str, query: dict[str, list[str]], body: bytes,
            api: str) -> Answer:
    try:
        args = json.loads(body) if body else {}
    except ValueError:
        return _answer(400, {"message": "Problems parsing JSON"})
    if not isinstance(args, dict):
        return _answer(400, {"message": "expected a JSON object"})
    try:
        return _route(server, method, path, query, args, api)
    except (KeyError, ValueError, TypeError) as exc:
        return _answer(400 if not isinstance(exc, KeyError) else 404, {"message": str(exc).strip("'\"")})


def _route(server: GitHubAPIServer, method: str, path: str, query: dict[str, list[str]], args: dict[str, Any],
           api: str) -> Answer:
    action = _ACTIONS.get((method, path.rstrip("/")))
    if action is not None:
        return action(server, args, api)
    for route_method, pattern, read in _READS:
        match = pattern.fullmatch(path)
        if method == route_method and match:
            return read(server, match, query)
    return _answer(404, {"message": f"no sandbox control route {method} {path}"})


# -- actions: (server, JSON body, api url) -> answer ------------------------------------------------

def _health(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    return _answer(200, {"ok": True, "url": api})


def _add_user(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    scopes = args.get("scopes", list(m.DEFAULT_SCOPES))
    token = server.add_user(args["login"], scopes=scopes, name=args.get("name"))
    return _answer(201, {"login": _login(server, args["login"]), "token": token, "scopes": scopes})


def _add_token(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    return _answer(201, {"token": server.add_token(args["login"], args.get("scopes", list(m.DEFAULT_SCOPES)))})


def _add_org(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    server.add_org(args["login"], members=args.get("members", []))
    return _answer(201, {"login": _login(server, args["login"])})


def _login(server: GitHubAPIServer, login: str) -> str:
    account = server.world.account(login)
    if account is None:
        raise KeyError(f"no account {login} in the sandbox")
    return account.login


def _reset(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    server.reset(keep_accounts=args.get("keep_accounts", True))
    return _answer(200, {"ok": True})


def _faults(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    return _answer(200, list(server.faults))


def _add_fault(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    if "rate_limit" in args:
        return _answer(201, {"id": server.inject_rate_limit(**args["rate_limit"])})
    return _answer(201, {"id": server.inject_fault(**args)})


def _clear_faults(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    server.clear_faults()
    return _answer(204)


def _requests(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    return _answer(200, list(server.requests))


def _clear_requests(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    server.clear_requests()
    return _answer(204)


def _repos(server: GitHubAPIServer, args: dict[str, Any], api: str) -> Answer:
    with server.lock:
        return _answer(200, [{"full_name": r.full_name, "default_branch": r.default_branch,
                              "branches": sorted(x[len("refs/heads/"):] for x in r.refs
                                                 if x.startswith("refs/heads/"))}
                             for r in server.world.repos.values()])


_Action = Callable[["GitHubAPIServer", dict[str, Any], str], Answer]
_ACTIONS: dict[tuple[str, str], _Action] = {
    ("GET", "/_sandbox/health"): _health,
    ("POST", "/_sandbox/users"): _add_user,
    ("POST", "/_sandbox/tokens"): _add_token,
    ("POST", "/_sandbox/orgs"): _add_org,
    ("POST", "/_sandbox/reset"): _reset,
    ("GET", "/_sandbox/faults"): _faults,
    ("POST", "/_sandbox/faults"): _add_fault,
    ("DELETE", "/_sandbox/faults"): _clear_faults,
    ("GET", "/_sandbox/requests"): _requests,
    ("DELETE", "/_sandbox/requests"): _clear_requests,
    ("GET", "/_sandbox/repos"): _repos,
}


# -- reads under a path pattern: (server, path match, query) -> answer ------------------------------

def _files(server: GitHubAPIServer, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
    owner, name = match.groups()
    refs = query.get("ref")
    files = server.repo_files(owner, name, ref=refs[0] if refs else None)
    return _answer(200, {p: data.decode("utf-8", "replace") for p, data in files.items()})


def _raw(server: GitHubAPIServer, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
    owner, name, ref, file_path = match.groups()
    files = server.repo_files(owner, name, ref=ref)
    if file_path not in files:
        return _answer(404, {"message": "Not Found"})
    return 200, {"Content-Type": "text/plain; charset=utf-8"}, files[file_path]


def _avatar(server: GitHubAPIServer, match: re.Match[str], query: dict[str, list[str]]) -> Answer:
    letter = match.group(1)[:1].upper()
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" '
           f'fill="#6e5494"/><text x="32" y="42" font-size="32" text-anchor="middle" fill="#fff">{letter}'
           f'</text></svg>')
    return 200, {"Content-Type": "image/svg+xml"}, svg.encode()


_Read = Callable[["GitHubAPIServer", re.Match[str], dict[str, list[str]]], Answer]
_READS: list[tuple[str, re.Pattern[str], _Read]] = [
    ("GET", re.compile(r"/_sandbox/repos/([^/]+)/([^/]+)/files/?"), _files),
    ("GET", re.compile(r"/_sandbox/raw/([^/]+)/([^/]+)/([^/]+)/(.+)"), _raw),
    ("GET", re.compile(r"/_sandbox/avatars/([^/]+)"), _avatar),
]
