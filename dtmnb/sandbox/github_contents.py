"""The sandbox GitHub API's Contents endpoints (read, create/update, delete one file, with GitHub's
blob-sha checks), the commit list (``GET /repos/{owner}/{repo}/commits?sha=&path=``) and one commit
(``GET /repos/{owner}/{repo}/commits/{ref}``).

Every write is one commit on the branch, like github.com: a PUT without ``sha`` for an existing file is
422 ``"sha" wasn't supplied``, a ``sha`` that is not the file's current blob is 409, and a DELETE of a
file that is not there is 404. Writing under ``.github/workflows/`` needs the token's ``workflow`` scope
(without it GitHub answers 404). The commit list follows the first-parent chain from ``sha`` (newest
first) and, with ``path``, keeps the commits that changed that path, so ``get_commits(path=...)[0]`` is
the commit that last wrote a file.
"""
from __future__ import annotations

import base64
import binascii
import time
import urllib.parse

from . import github_model as m
from .github_git import Entry, GitError
from .github_routes import (
    EMPTY,
    ApiError,
    Request,
    Result,
    check_workflow_scope,
    compile_routes,
    get_repo,
    missing_field,
    not_found,
    person,
    resolve_ref,
)

MAX_PER_PAGE = 100


def get_content(req: Request, owner: str, name: str, path: str = "") -> Result:
    repo = get_repo(req, owner, name)
    if repo.empty:
        raise ApiError(404, "This repository is empty.")
    ref, sha = resolve_ref(repo, req.param("ref"))
    path = path.strip("/")
    entry = repo.store.find(repo.store.commit(sha)["tree"], path)
    if entry is None:
        raise not_found()
    if entry.kind == "tree":
        return [m.content_item(req.api, repo, f"{path}/{n}" if path else n, e, ref, False)
                for n, e in repo.store.tree(entry.sha).items()]
    return m.content_item(req.api, repo, path, entry, ref, True)


def _branch_head(repo: m.Repo, branch: str) -> str:
    head = repo.refs.get(f"refs/heads/{branch}")
    if head is None:
        raise ApiError(404, f"Branch {branch} not found")
    return head


def _commit_edit(req: Request, repo: m.Repo, branch: str, parents: list[str], base_tree: str | None,
                 path: str, entry: Entry | None, message: str) -> str:
    """One commit on ``branch`` that sets (or, with ``entry`` None, removes) ``path``; returns its sha."""
    author = person(req, "author")
    committer = person(req, "committer", default=author)
    try:
        tree = repo.store.edit_tree(base_tree, [(path, entry)])
    except GitError as exc:
        raise ApiError(422, str(exc)) from None
    commit = repo.store.put_commit(tree, parents, author, committer, message)
    repo.refs[f"refs/heads/{branch}"] = commit
    repo.pushed_at = time.time()
    return commit


def put_content(req: Request, owner: str, name: str, path: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    check_workflow_scope(req, [path])
    message = req.arg("message")
    try:
        data = base64.b64decode(req.arg("content"), validate=False)
    except (binascii.Error, ValueError):
        raise ApiError(422, "content is not valid Base64") from None
    branch = req.arg("branch", required=False) or repo.default_branch
    path = path.strip("/")
    parents, base_tree, existing = [], None, None
    if repo.empty:
        repo.default_branch = branch  # the first branch pushed to an empty repository becomes its default
    else:
        parents = [_branch_head(repo, branch)]
        base_tree = repo.store.commit(parents[0])["tree"]
        existing = repo.store.find(base_tree, path)
    given_sha = req.arg("sha", required=False)
    if existing is not None:
        if given_sha is None:
            raise missing_field("sha")
        if given_sha != existing.sha:
            raise ApiError(409, f"{path} does not match {given_sha}")
    blob = repo.store.put_blob(data)
    commit = _commit_edit(req, repo, branch, parents, base_tree, path, Entry("100644", "blob", blob), message)
    content = m.content_item(req.api, repo, path, Entry("100644", "blob", blob), branch, False)
    req.status = 200 if existing is not None else 201
    return {"content": content, "commit": m.git_commit(req.api, repo, commit)}


def delete_content(req: Request, owner: str, name: str, path: str) -> Result:
    repo = get_repo(req, owner, name, write=True)
    check_workflow_scope(req, [path])
    message, given_sha = req.arg("message"), req.arg("sha")
    if repo.empty:
        raise not_found()
    branch = req.arg("branch", required=False) or repo.default_branch
    path = path.strip("/")
    head = _branch_head(repo, branch)
    base_tree = repo.store.commit(head)["tree"]
    existing = repo.store.find(base_tree, path)
    if existing is None or existing.kind != "blob":
        raise not_found()
    if given_sha != existing.sha:
        raise ApiError(409, f"{path} does not match {given_sha}")
    commit = _commit_edit(req, repo, branch, [head], base_tree, path, None, message)
    return {"content": None, "commit": m.git_commit(req.api, repo, commit)}


# -- commits ---------------------------------------------------------------------------------------

def _query_int(req: Request, key: str, default: int) -> int:
    raw = req.param(key) or ""
    if not raw:
        return default
    try:
        return max(1, int(raw))
    except ValueError:
        raise ApiError(400, f"Invalid value for '{key}': {raw!r} is not an integer") from None


def _touches(repo: m.Repo, sha: str, path: str) -> bool:
    """Whether commit ``sha`` changed ``path`` compared with its first parent."""
    info = repo.store.commit(sha)
    here = repo.store.find(info["tree"], path)
    if not info["parents"]:
        return here is not None
    before = repo.store.find(repo.store.commit(info["parents"][0])["tree"], path)
    return here != before


def list_commits(req: Request, owner: str, name: str) -> Result:
    repo = get_repo(req, owner, name)
    if repo.empty:
        raise ApiError(409, EMPTY)
    _, head = resolve_ref(repo, req.param("sha"))
    path = (req.param("path") or "").strip("/")
    per_page = min(_query_int(req, "per_page", 30), MAX_PER_PAGE)
    page = _query_int(req, "page", 1)
    shas: list[str] = []
    current: str | None = head
    while current:
        if not path or _touches(repo, current, path):
            shas.append(current)
        parents = repo.store.commit(current)["parents"]
        current = parents[0] if parents else None
    last = max(1, -(-len(shas) // per_page))
    if page < last:
        query = {k: v[0] for k, v in req.query.items() if k != "page"}
        base = f"{req.api}/repos/{repo.full_name}/commits?"
        req.headers["Link"] = ", ".join(
            f'<{base}{urllib.parse.urlencode({**query, "page": n})}>; rel="{rel}"'
            for n, rel in ((page + 1, "next"), (last, "last")))
    return [m.commit(req.api, repo, sha) for sha in shas[(page - 1) * per_page:page * per_page]]


def get_commit(req: Request, owner: str, name: str, ref: str) -> Result:
    """One commit by sha, branch or tag (``repo.get_commit``); without GitHub's per-file diff (``files``)."""
    repo = get_repo(req, owner, name)
    if repo.empty:
        raise ApiError(409, EMPTY)
    _, sha = resolve_ref(repo, urllib.parse.unquote(ref))
    return m.commit(req.api, repo, sha)


_R = "/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
ROUTES = compile_routes([
    ("GET", _R + "/contents/?", get_content),
    ("GET", _R + "/contents/(?P<path>.+)", get_content),
    ("PUT", _R + "/contents/(?P<path>.+)", put_content),
    ("DELETE", _R + "/contents/(?P<path>.+)", delete_content),
    ("GET", _R + "/commits", list_commits),
    ("GET", _R + "/commits/(?P<ref>.+)", get_commit),
])
