"""The GitHub REST endpoints the sandbox serves: the ones PyGithub calls to create, fill, read and
delete a repository (docs/github-sandbox.md#endpoints); the Contents and commits endpoints are in
``github_contents``, Actions secrets in ``github_secrets``. Error messages are GitHub's own texts, because
PyGithub picks its exception class from them (e.g. a 404 must say "Not Found" to become
``UnknownObjectException``; docs/github-sandbox.md#how-pygithub-reads-answers).

Where the texts were seen: "Requires authentication" (activebridge/projectr#89); "This repository is
empty." (GSA/codeinventory-github#1); "Git Repository is empty." (github/rest-api-description#637);
"name already exists on this account" (dyad-sh/dyad#1601); "You need admin access to the organization
before adding a repository to it." (pulumi/pulumi-github#116); "Tree SHA does not exist" (exercism/
website#8228); "Tree SHA is not a tree object" (google/go-github#2737); "Reference name must contain at
least three slash-separated components." and "... is not a valid ref name." (octokit/octokit.rb#675).
Texts not confirmed against GitHub keep GitHub's wording style and the words PyGithub looks for.
"""
from __future__ import annotations

import base64
import binascii
import datetime as _dt
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import github_model as m
from .github_git import MODES, Entry, GitError, Person

DOCS = "https://docs.github.com/rest"
REPO_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
EMPTY = "Git Repository is empty."

#: what an endpoint returns: the JSON body (None for no body)
Result = m.JsonObject | list[m.JsonObject] | None
#: (HTTP method, path pattern, endpoint called with the Request and the pattern's named groups)
Route = tuple[str, "re.Pattern[str]", Callable[..., Result]]


class ApiError(Exception):
    """An error response: ``status``, GitHub's ``message`` and extra body fields (``errors``)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.headers, self.extra = status, message, headers or {}, extra

    def body(self) -> m.JsonObject:
        return {"message": self.message, "documentation_url": DOCS, "status": str(self.status), **self.extra}


def compile_routes(table: list[tuple[str, str, Callable[..., Result]]]) -> list[Route]:
    """``(method, path pattern, endpoint)`` rows with each pattern compiled to match the whole path."""
    return [(method, re.compile(f"^{pattern}$"), endpoint) for method, pattern, endpoint in table]


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def missing_field(name: str) -> ApiError:
    return ApiError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: object
    api: str  # "http://host:port" as the client called it
    world: m.World
    account: m.Account | None = None
    scopes: list[str] = field(default_factory=list)
    rate: tuple[int, int, int] = (5000, 0, 0)  # limit, used, reset (epoch seconds)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    def need_auth(self) -> m.Account:
        if self.account is None:
            raise ApiError(401, "Requires authentication")
        return self.account

    def arg(self, name: str, required: bool = True, kind: type | None = str) -> Any:
        """The body's field ``name`` (a JSON value) checked to be a ``kind``; None when optional and absent."""
        body = self.body if isinstance(self.body, dict) else {}
        if name not in body or body[name] is None:
            if required:
                raise missing_field(name)
            return None
        value = body[name]
        if kind is not None and not isinstance(value, kind):
            raise ApiError(422, f"Invalid request.\n\nFor 'properties/{name}', {value!r} is not a {kind.__name__}.")
        return value

    def param(self, name: str) -> str | None:
        """The first value of the query parameter ``name`` (None when absent)."""
        values = self.query.get(name)
        return values[0] if values else None

    def created(self, location: str) -> None:
        self.status = 201
        self.headers["Location"] = location


# -- access rules ----------------------------------------------------------------------------------

def is_admin(world: m.World, account: m.Account | None, repo: m.Repo) -> bool:
    if account is None:
        return False
    owner = world.owner(repo)
    return owner.login == account.login or account.login in owner.members


def get_repo(req: Request, owner: str, name: str, write: bool = False) -> m.Repo:
    """The repository if the token may see it (and write it): otherwise 404, as GitHub answers."""
    repo = req.world.repo(owner, name)
    if repo is None:
        raise not_found()
    admin = is_admin(req.world, req.account, repo)
    if repo.private and not (admin and "repo" in req.scopes):
        raise not_found()
    if write:
        req.need_auth()
        if not admin or not ("repo" in req.scopes or (not repo.private and "public_repo" in req.scopes)):
            raise not_found()
    return repo


WORKFLOWS = ".github/workflows/"


def check_workflow_scope(req: Request, paths: Iterable[object]) -> None:
    """Writing under .github/workflows/ needs the token's ``workflow`` scope; without it GitHub answers
    404 Not Found (octokit/octokit.rb#1184, octokit/rest.js#368, wadackel/files-sync-action#201)."""
    if "workflow" not in req.scopes and any(str(p).lstrip("/").startswith(WORKFLOWS) for p in paths):
        raise not_found()


def non_empty(repo: m.Repo) -> m.Repo:
    if repo.empty:
        raise ApiError(409, EMPTY)
    return repo


def resolve_ref(repo: m.Repo, ref: str | None) -> tuple[str, str]:
    """``(ref name, commit sha)`` for a branch name, ``refs/...`` name or commit sha."""
    ref = ref or repo.default_branch
    for candidate in (f"refs/heads/{ref}", ref if ref.startswith("refs/") else None, f"refs/tags/{ref}"):
        if candidate and candidate in repo.refs:
            return ref, repo.refs[candidate]
    if re.fullmatch(r"[0-9a-f]{40}", ref) and repo.store.kind(ref) == "commit":
        return ref, ref
    raise ApiError(404, f"No commit found for the ref {ref}")


def parse_date(value: str | None) -> float:
    if not value:
        return time.time()
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ApiError(422, f"Invalid request.\n\n{value!r} is not a valid date-time.") from None


def person(req: Request, name: str, default: Person | None = None) -> Person:
    data: dict[str, Any] | None = req.arg(name, required=False, kind=dict)
    if data is None:
        return default or req.need_auth().person()
    for key in ("name", "email"):
        if not isinstance(data.get(key), str):
            raise ApiError(422, f'Invalid request.\n\n"{key}" wasn\'t supplied.')
    return Person(data["name"], data["email"], int(parse_date(data.get("date"))))


# -- users and organizations -----------------------------------------------------------------------

def get_authenticated_user(req: Request) -> Result:
    return m.user(req.api, req.need_auth(), req.world, private=True)


def get_user(req: Request, login: str) -> Result:
    account = req.world.account(login)
    if account is None:
        raise not_found()
    return m.user(req.api, account, req.world)


def get_org(req: Request, org: str) -> Result:
    account = req.world.account(org)
    if account is None or account.type != "Organization":
        raise not_found()
    return m.organization(req.api, account, req.world)


def get_rate_limit(req: Request) -> Result:
    return m.rate_limit(*req.rate)


# -- repositories ----------------------------------------------------------------------------------

def _create_repo(req: Request, owner: m.Account) -> Result:
    name = req.arg("name")
    private = req.arg("private", required=False, kind=bool)
    visibility = req.arg("visibility", required=False)
    if visibility is not None:
        private = visibility != "public"
    private = bool(private)
    if "repo" not in req.scopes and not (not private and "public_repo" in req.scopes):
        raise not_found()  # what GitHub answers a token without the repo scope (devstream#882)
    if not REPO_NAME.match(name) or name in (".", ".."):
        raise ApiError(422, "Repository creation failed.", errors=[
            {"resource": "Repository", "code": "custom", "field": "name", "message": "name is invalid"}])
    if req.world.repo(owner.login, name):
        raise ApiError(422, "Repository creation failed.", errors=[
            {"resource": "Repository", "code": "custom", "field": "name",
             "message": "name already exists on this account"}])
    repo = m.Repo(id=req.world.new_id(), owner=owner.login, name=name, private=private,
                  description=req.arg("description", required=False))
    req.world.repos[repo.full_name.lower()] = repo
    if req.arg("auto_init", required=False, kind=bool):
        who = req.need_auth().person()
        readme = f"# {name}\n" + (f"{repo.description}\n" if repo.description else "")
        blob = repo.store.put_blob(readme.encode())
        tree = repo.store.edit_tree(None, [("README.md", Entry("100644", "blob", blob))])
        repo.refs[f"refs/heads/{repo.default_branch}"] = repo.store.put_commit(tree, [], who, who, "Initial commit")
    data = m.repository(req.api, repo, req.world)
    req.created(data["url"])
    return data


def create_user_repo(req: Request) -> Result:
    return _create_repo(req, req.need_auth())


def create_org_repo(req: Request, org: str) -> Result:
    account = req.need_auth()
    owner = req.world.account(org)
    if owner is None or owner.type != "Organization":
        raise not_found()
    if account.login not in owner.members:
        raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
    return _create_repo(req, owner)


def get_repository(req: Request, owner: str, name: str) -> Result:
    repo = get_repo(req, owner, name)
    return m.repository(req.api, repo, req.world, admin=is_admin(req.world, req.account, repo))


def delete_repository(req: Request, owner: str, name: str) -> Result:
    repo = get_repo(req, owner, name)
    req.need_auth()
    if not is_admin(req.world, req.account, repo) or "delete_repo" not in req.scopes:
        raise ApiError(403, "Must have admin rights to Repository.")
    del req.world.repos[repo.full_name.lower()]
    req.status = 204
    return None


# -- branches --------------------------------------------------------------------------------------

def list_branches(req: Request, owner: str, name: str) -> Result:
    repo = get_repo(req, owner, name)
    base = f"{req.api}/repos/{repo.full_name}/commits"
    return [{"name": ref[len("refs/heads/"):], "commit": {"sha": sha, "url": f"{base}/{sha}"}, "protected": False}
            for ref, sha in sorted(repo.refs.items()) if ref.startswith("refs/heads/")]


def get_branch(req: Request, owner: str, name: str, branch: str) -> Result:
    repo = get_repo(req, owner, name)
    sha = repo.refs.get(f"refs/heads/{branch}")
    if sha is None:
        raise ApiError(404, "Branch not found")
    url = f"{req.api}/repos/{repo.full_name}/branches/{branch}"
    return {"name": branch, "commit": m.commit(req.api, repo, sha),
            "_links": {"self": url, "html": f"{m.WEB}/{repo.full_name}/tree/{branch}"},
            "protected": False, "protection_url": f"{url}/protection",
            "protection": {"enabled": False, "required_status_checks": {
                "enforcement_level": "off", "contexts": [], "checks": []}}}


# -- git data --------------------------------------------------------------------------------------

def get_ref(req: Request, owner: str, name: str, ref: str) -> Result:
    repo = non_empty(get_repo(req, owner, name))
    full = f"refs/{ref}"
    if full not in repo.refs:
        raise not_found()
    return m.git_ref(req.api, repo, full)


def _check_object(repo: m.Repo, sha: object) -> str:
    if not isinstance(sha, str) or repo.store.kind(sha) is None:
        raise ApiError(422, "Object does not exist")
    return sha


def create_ref(req: Request, owner: str, name: str) -> Result:
    repo = non_empty(get_repo(req, owner, name, write=True))
    ref, sha = req.arg("ref"), req.arg("sha")
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must contain at least three slash-separated components.")
    if ref.endswith(("/", ".lock", ".")) or re.search(r"\.\.|//|@\{|[\s~^:?*\[\\]", ref):
        raise ApiError(422, f"{ref} is not a valid ref name.")
    if ref in repo.refs:
        raise ApiError(422, "Reference already exists")
    repo.refs[ref] = _check_object(repo, sha)
    data = m.git_ref(req.api, repo, ref)
    req.created(data["url"])
    return data


def update_ref(req: Request, owner: str, name: str, ref: str) -> Result:
    repo = non_empty(get_repo(req, owner, name, write=True))
    full = f"refs/{ref}"
    if full not in repo.refs:
        raise ApiError(422, "Reference does not exist")
    sha = _check_object(repo, req.arg("sha"))
    if not req.arg("force", required=False, kind=bool) and not repo.store.is_ancestor(repo.refs[full], sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.refs[full] = sha
    repo.pushed_at = time.time()
    return m.git_ref(req.api, repo, full)


def delete_ref(req: Request, owner: str, name: str, ref: str) -> Result:
    repo = non_empty(get_repo(req, owner, name, write=True))
    if repo.refs.pop(f"refs/{ref}", None) is None:
        raise ApiError(422, "Reference does not exist")
    req.status = 204
    return None


def create_blob(req: Request, owner: str, name: str) -> Result:
    repo = non_empty(get_repo(req, owner, name, write=True))
    content, encoding = req.arg("content"), req.arg("encoding", required=False) or "utf-8"
    if encoding not in ("utf-8", "base64"):
        raise ApiError(422, f"encoding must be utf-8 or base64, not {encoding}")
    try:
        data = base64.b64decode(content) if encoding == "base64" else content.encode()
    except (binascii.Error, ValueError):
        raise ApiError(422, "content is not valid Base64") from None
    sha = repo.store.put_blob(data)
    url = f"{req.api}/repos/{repo.full_name}/git/blobs/{sha}"
    req.created(url)
    return {"sha": sha, "url": url}


def get_blob(req: Request, owner: str, name: str, sha: str) -> Result:
    repo = non_empty(get_repo(req, owner, name))
    if repo.store.kind(sha) != "blob":
        raise not_found()
    data = repo.store.body(sha, "blob")
    return {"sha": sha, "node_id": m.node_id("Blob", sha), "size": len(data), "encoding": "base64",
            "url": f"{req.api}/repos/{repo.full_name}/git/blobs/{sha}", "content": m.b64_lines(data)}


def _tree_json(req: Request, repo: m.Repo, sha: str, recursive: bool) -> m.JsonObject:
    base = f"{req.api}/repos/{repo.full_name}/git"
    items = []
    for path, e in repo.store.walk(sha, recursive=recursive):
        item: m.JsonObject = {"path": path, "mode": e.mode, "type": e.kind, "sha": e.sha}
        if e.kind == "blob":
            item.update(size=len(repo.store.body(e.sha, "blob")), url=f"{base}/blobs/{e.sha}")
        elif e.kind == "tree":
            item["url"] = f"{base}/trees/{e.sha}"
        items.append(item)
    return {"sha": sha, "url": f"{base}/trees/{sha}", "tree": items, "truncated": False}


def _tree_edit(repo: m.Repo, index: int, item: object) -> tuple[str, Entry | None]:
    """One item of POST git/trees as ``(path, entry or None to delete)``; new content is stored as a blob."""
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        raise ApiError(422, f"Invalid request.\n\n\"path\" wasn't supplied for tree item {index}.")
    path, mode, kind, sha = item["path"], item.get("mode"), item.get("type"), item.get("sha")
    if mode not in MODES or kind != MODES[mode]:
        raise ApiError(422, f"Invalid tree info: mode {mode!r} and type {kind!r} of {path}")
    if "content" in item:
        if sha is not None:
            raise ApiError(422, "Invalid tree info: give either content or sha, not both")
        if kind != "blob" or not isinstance(item["content"], str):
            raise ApiError(422, f"Invalid tree info: content of {path} must be a string for a blob")
        return path, Entry(mode, kind, repo.store.put_blob(item["content"].encode()))
    if "sha" in item and sha is None:
        return path, None
    if not isinstance(sha, str) or not (_is_object_id(sha) if kind == "commit" else repo.store.kind(sha) == kind):
        raise ApiError(422, f"tree.sha {sha} is not a valid {kind}")
    return path, Entry(mode, kind, sha)


def _is_object_id(value: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{40}", value) is not None


def create_tree(req: Request, owner: str, name: str) -> Result:
    repo = non_empty(get_repo(req, owner, name, write=True))
    base_tree = req.arg("base_tree", required=False)
    if base_tree is not None and repo.store.kind(base_tree) != "tree":
        raise ApiError(422, f"base_tree {base_tree} is not a valid tree oid")
    items: list[object] = req.arg("tree", kind=list)
    check_workflow_scope(req, [item.get("path") for item in items if isinstance(item, dict)])
    edits = [_tree_edit(repo, i, item) for i, item in enumerate(items)]
    try:
        sha = repo.store.edit_tree(base_tree, edits)
    except GitError as exc:
        raise ApiError(422, f"Invalid tree info: {exc}") from None
    data = _tree_json(req, repo, sha, recursive=False)
    req.created(data["url"])
    return data


def get_tree(req: Request, owner: str, name: str, sha: str) -> Result:
    repo = non_empty(get_repo(req, owner, name))
    if repo.store.kind(sha) != "tree":
        try:
            _, commit = resolve_ref(repo, sha)
            sha = repo.store.commit(commit)["tree"]
        except ApiError:
            raise not_found() from None
    return _tree_json(req, repo, sha, recursive="recursive" in req.query)


def create_commit(req: Request, owner: str, name: str) -> Result:
    repo = non_empty(get_repo(req, owner, name, write=True))
    message, tree = req.arg("message"), req.arg("tree")
    if repo.store.kind(tree) is None:
        raise ApiError(422, "Tree SHA does not exist")
    if repo.store.kind(tree) != "tree":
        raise ApiError(422, "Tree SHA is not a tree object")
    parents = req.arg("parents", required=False, kind=list) or []
    if any(repo.store.kind(p) != "commit" for p in parents):
        raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    author = person(req, "author")
    sha = repo.store.put_commit(tree, parents, author, person(req, "committer", default=author), message)
    data = m.git_commit(req.api, repo, sha)
    req.created(data["url"])
    return data


def get_commit(req: Request, owner: str, name: str, sha: str) -> Result:
    repo = non_empty(get_repo(req, owner, name))
    if repo.store.kind(sha) != "commit":
        raise not_found()
    return m.git_commit(req.api, repo, sha)


# -- routing ---------------------------------------------------------------------------------------

_R = "/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
ROUTES = compile_routes([
    ("GET", "/user", get_authenticated_user),
    ("GET", "/users/(?P<login>[^/]+)", get_user),
    ("GET", "/orgs/(?P<org>[^/]+)", get_org),
    ("GET", "/rate_limit", get_rate_limit),
    ("POST", "/user/repos", create_user_repo),
    ("POST", "/orgs/(?P<org>[^/]+)/repos", create_org_repo),
    ("GET", _R, get_repository),
    ("DELETE", _R, delete_repository),
    ("GET", _R + "/branches", list_branches),
    ("GET", _R + "/branches/(?P<branch>.+)", get_branch),
    ("GET", _R + "/git/ref/(?P<ref>.+)", get_ref),
    ("POST", _R + "/git/refs", create_ref),
    ("PATCH", _R + "/git/refs/(?P<ref>.+)", update_ref),
    ("DELETE", _R + "/git/refs/(?P<ref>.+)", delete_ref),
    ("POST", _R + "/git/blobs", create_blob),
    ("GET", _R + "/git/blobs/(?P<sha>[^/]+)", get_blob),
    ("POST", _R + "/git/trees", create_tree),
    ("GET", _R + "/git/trees/(?P<sha>[^/]+)", get_tree),
    ("POST", _R + "/git/commits", create_commit),
    ("GET", _R + "/git/commits/(?P<sha>[^/]+)", get_commit),
])
