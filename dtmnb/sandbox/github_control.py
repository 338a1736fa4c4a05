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

from . import github_model as m

_JSON = {"Content-Type": "application/json; charset=utf-8"}


def _answer(status: int, data=None) -> tuple[int, dict, bytes]:
    return status, dict(_JSON), b"" if status == 204 else json.dumps(data).encode()


def control(server, method: str, path: str, query: dict, body: bytes, api: str) -> tuple[int, dict, bytes]:
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


def _route(server, method, path, query, args, api):
    route = (method, path.rstrip("/"))
    if route == ("GET", "/_sandbox/health"):
        return _answer(200, {"ok": True, "url": api})
    if route == ("POST", "/_sandbox/users"):
        scopes = args.get("scopes", list(m.DEFAULT_SCOPES))
        token = server.add_user(args["login"], scopes=scopes, name=args.get("name"))
        return _answer(201, {"login": server.world.account(args["login"]).login, "token": token, "scopes": scopes})
    if route == ("POST", "/_sandbox/tokens"):
        return _answer(201, {"token": server.add_token(args["login"], args.get("scopes", list(m.DEFAULT_SCOPES)))})
    if route == ("POST", "/_sandbox/orgs"):
        server.add_org(args["login"], members=args.get("members", []))
        return _answer(201, {"login": server.world.account(args["login"]).login})
    if route == ("POST", "/_sandbox/reset"):
        server.reset(keep_accounts=args.get("keep_accounts", True))
        return _answer(200, {"ok": True})
    if route == ("GET", "/_sandbox/faults"):
        return _answer(200, list(server.faults))
    if route == ("POST", "/_sandbox/faults"):
        if "rate_limit" in args:
            return _answer(201, {"id": server.inject_rate_limit(**args["rate_limit"])})
        return _answer(201, {"id": server.inject_fault(**args)})
    if route == ("DELETE", "/_sandbox/faults"):
        server.clear_faults()
        return _answer(204)
    if route == ("GET", "/_sandbox/requests"):
        return _answer(200, list(server.requests))
    if route == ("DELETE", "/_sandbox/requests"):
        server.clear_requests()
        return _answer(204)
    if route == ("GET", "/_sandbox/repos"):
        with server.lock:
            return _answer(200, [{"full_name": r.full_name, "default_branch": r.default_branch,
                                  "branches": sorted(x[len("refs/heads/"):] for x in r.refs
                                                     if x.startswith("refs/heads/"))}
                                 for r in server.world.repos.values()])
    if method == "GET" and (match := re.fullmatch(r"/_sandbox/repos/([^/]+)/([^/]+)/files/?", path)):
        files = server.repo_files(*match.groups(), ref=(query.get("ref") or [None])[0])
        return _answer(200, {p: data.decode("utf-8", "replace") for p, data in files.items()})
    if method == "GET" and (match := re.fullmatch(r"/_sandbox/raw/([^/]+)/([^/]+)/([^/]+)/(.+)", path)):
        owner, name, ref, file_path = match.groups()
        files = server.repo_files(owner, name, ref=ref)
        if file_path not in files:
            return _answer(404, {"message": "Not Found"})
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, files[file_path]
    if method == "GET" and (match := re.fullmatch(r"/_sandbox/avatars/([^/]+)", path)):
        letter = match.group(1)[:1].upper()
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" '
               f'fill="#6e5494"/><text x="32" y="42" font-size="32" text-anchor="middle" fill="#fff">{letter}'
               f'</text></svg>')
        return 200, {"Content-Type": "image/svg+xml"}, svg.encode()
    return _answer(404, {"message": f"no sandbox control route {method} {path}"})
