"""Data of the sandbox GitHub API (accounts, tokens, repositories) and the JSON shapes GitHub returns.

Shapes follow GitHub's REST description (version 2022-11-28): every field the schema marks required is
present, and nothing the schema says is non-nullable is ever ``null``. Links to the API use the address
the client called (``api``); ``html_url``/``clone_url`` point at ``https://github.com`` like github.com
(docs/github-sandbox.md#links).
"""
from __future__ import annotations

import base64
import datetime as _dt
import time
from dataclasses import dataclass, field
from typing import Any

from .github_git import Entry, ObjectStore, Person

WEB = "https://github.com"
DEFAULT_SCOPES = ("repo", "delete_repo", "workflow")

#: a JSON object as GitHub sends it (values of any JSON type)
JsonObject = dict[str, Any]


def iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(int(ts), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_id(kind: str, ident: int | str) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{ident}".encode()).decode().rstrip("=")


def b64_lines(data: bytes) -> str:
    """Base64 with a newline every 60 characters, as GitHub (Ruby's encode64) sends file contents."""
    text = base64.b64encode(data).decode()
    return "".join(text[i:i + 60] + "\n" for i in range(0, len(text), 60))


@dataclass
class Account:
    login: str
    id: int
    type: str = "User"  # or "Organization"
    name: str | None = None
    created_at: float = field(default_factory=time.time)
    members: list[str] = field(default_factory=list)  # organizations only

    @property
    def email(self) -> str:
        return f"{self.id}+{self.login}@users.noreply.github.com"

    def person(self, when: float | None = None) -> Person:
        return Person(self.name or self.login, self.email, int(when if when is not None else time.time()))


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    private: bool = False
    description: str | None = None
    default_branch: str = "main"
    created_at: float = field(default_factory=time.time)
    pushed_at: float = field(default_factory=time.time)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> commit sha
    store: ObjectStore = field(default_factory=ObjectStore)
    # Actions secrets: name -> {"sealed": base64 sealed box, "created_at", "updated_at"} (see github_secrets)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    secrets_key: dict[str, str] | None = None  # {"key_id", "private": base64 Curve25519 private key}, made on first use

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def empty(self) -> bool:
        return not self.refs

    def to_json(self) -> JsonObject:
        data = {k: getattr(self, k) for k in ("id", "owner", "name", "private", "description", "default_branch",
                                               "created_at", "pushed_at", "refs", "secrets", "secrets_key")}
        data["objects"] = self.store.to_json()
        return data

    @classmethod
    def from_json(cls, data: JsonObject) -> Repo:
        data = dict(data)
        store = ObjectStore.from_json(data.pop("objects", {}))
        return cls(store=store, **data)


class World:
    """Everything the sandbox knows. Logins and repository names match case-insensitively, as on GitHub."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, dict[str, Any]] = {}  # token -> {"login", "scopes"}
        self.repos: dict[str, Repo] = {}  # "owner/name".lower() -> Repo
        self.next_id = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def account(self, login: str) -> Account | None:
        return self.accounts.get(login.lower())

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def owner(self, repo: Repo) -> Account:
        """The account that owns ``repo`` (every repository has one: repositories are made for accounts)."""
        account = self.account(repo.owner)
        if account is None:
            raise LookupError(f"the sandbox has repository {repo.full_name} but no account {repo.owner}")
        return account

    def to_json(self) -> JsonObject:
        return {"next_id": self.next_id, "accounts": [vars(a) for a in self.accounts.values()],
                "tokens": self.tokens, "repos": [r.to_json() for r in self.repos.values()]}

    @classmethod
    def from_json(cls, data: JsonObject) -> World:
        world = cls()
        world.next_id = data.get("next_id", 1)
        for a in data.get("accounts", []):
            world.accounts[a["login"].lower()] = Account(**a)
        world.tokens = dict(data.get("tokens", {}))
        for r in data.get("repos", []):
            repo = Repo.from_json(r)
            world.repos[repo.full_name.lower()] = repo
        return world


# -- JSON shapes ---------------------------------------------------------------------------------

def simple_user(api: str, a: Account) -> JsonObject:
    u = f"{api}/users/{a.login}"
    return {
        "login": a.login, "id": a.id, "node_id": node_id(a.type, a.id),
        "avatar_url": f"{api}/_sandbox/avatars/{a.login}", "gravatar_id": "", "url": u,
        "html_url": f"{WEB}/{a.login}", "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}", "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs", "repos_url": f"{u}/repos", "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events", "type": a.type, "user_view_type": "public",
        "site_admin": False,
    }


def user(api: str, a: Account, world: World, private: bool = False) -> JsonObject:
    owned = [r for r in world.repos.values() if r.owner.lower() == a.login.lower()]
    data = simple_user(api, a)
    data.update({
        "name": a.name, "company": None, "blog": "", "location": None, "email": None, "hireable": None,
        "bio": None, "twitter_username": None, "public_repos": sum(not r.private for r in owned),
        "public_gists": 0, "followers": 0, "following": 0,
        "created_at": iso(a.created_at), "updated_at": iso(a.created_at),
    })
    if private:
        data.update({"user_view_type": "private", "private_gists": 0,
                     "total_private_repos": sum(r.private for r in owned),
                     "owned_private_repos": sum(r.private for r in owned), "disk_usage": 0,
                     "collaborators": 0, "two_factor_authentication": False})
    return data


def organization(api: str, a: Account, world: World) -> JsonObject:
    o = f"{api}/orgs/{a.login}"
    owned = [r for r in world.repos.values() if r.owner.lower() == a.login.lower()]
    data: JsonObject = {
        "login": a.login, "id": a.id, "node_id": node_id("Organization", a.id), "url": o,
        "repos_url": f"{o}/repos", "events_url": f"{o}/events", "hooks_url": f"{o}/hooks",
        "issues_url": f"{o}/issues", "members_url": f"{o}/members{{/member}}",
        "public_members_url": f"{o}/public_members{{/member}}",
        "avatar_url": f"{api}/_sandbox/avatars/{a.login}", "description": None,
        "html_url": f"{WEB}/{a.login}", "has_organization_projects": True, "has_repository_projects": True,
        "public_repos": sum(not r.private for r in owned), "public_gists": 0, "followers": 0, "following": 0,
        "type": "Organization", "created_at": iso(a.created_at), "updated_at": iso(a.created_at),
        "archived_at": None, "is_verified": False,
    }
    if a.name:
        data["name"] = a.name
    return data


def repository(api: str, r: Repo, world: World, admin: bool = True) -> JsonObject:
    base = f"{api}/repos/{r.full_name}"
    owner = world.owner(r)
    web = f"{WEB}/{r.full_name}"
    templated = {
        "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}",
        "blobs_url": "/git/blobs{/sha}", "branches_url": "/branches{/branch}",
        "collaborators_url": "/collaborators{/collaborator}", "comments_url": "/comments{/number}",
        "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
        "contents_url": "/contents/{+path}", "git_commits_url": "/git/commits{/sha}",
        "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}",
        "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
        "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
        "milestones_url": "/milestones{/number}", "notifications_url": "/notifications{?since,all,participating}",
        "pulls_url": "/pulls{/number}", "releases_url": "/releases{/id}", "statuses_url": "/statuses/{sha}",
        "trees_url": "/git/trees{/sha}", "contributors_url": "/contributors", "deployments_url": "/deployments",
        "downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks", "hooks_url": "/hooks",
        "languages_url": "/languages", "merges_url": "/merges", "stargazers_url": "/stargazers",
        "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags",
        "teams_url": "/teams",
    }
    data: JsonObject = {key: base + suffix for key, suffix in templated.items()}
    data.update({
        "id": r.id, "node_id": node_id("Repository", r.id), "name": r.name, "full_name": r.full_name,
        "private": r.private, "visibility": "private" if r.private else "public",
        "owner": simple_user(api, owner), "html_url": web, "description": r.description, "fork": False,
        "url": base, "clone_url": f"{web}.git", "git_url": f"git://github.com/{r.full_name}.git",
        "ssh_url": f"git@github.com:{r.full_name}.git", "svn_url": web, "mirror_url": None, "homepage": None,
        "language": None, "forks": 0, "forks_count": 0, "stargazers_count": 0, "watchers_count": 0,
        "watchers": 0, "size": 0, "default_branch": r.default_branch, "open_issues": 0,
        "open_issues_count": 0, "is_template": False, "topics": [], "has_issues": True, "has_projects": True,
        "has_wiki": True, "has_pages": False, "has_downloads": True, "has_discussions": False,
        "archived": False, "disabled": False, "license": None, "allow_forking": True,
        "web_commit_signoff_required": False, "pushed_at": iso(r.pushed_at), "created_at": iso(r.created_at),
        "updated_at": iso(r.pushed_at), "network_count": 0, "subscribers_count": 1,
        "permissions": {"admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": True},
        "allow_squash_merge": True, "allow_merge_commit": True, "allow_rebase_merge": True,
        "allow_auto_merge": False, "delete_branch_on_merge": False, "temp_clone_token": "",
    })
    if owner.type == "Organization":
        data["organization"] = simple_user(api, owner)
    return data


def git_person(p: Person) -> JsonObject:
    return {"name": p.name, "email": p.email, "date": iso(p.timestamp)}


def git_commit(api: str, r: Repo, sha: str) -> JsonObject:
    info = r.store.commit(sha)
    base = f"{api}/repos/{r.full_name}/git"
    return {
        "sha": sha, "node_id": node_id("Commit", sha), "url": f"{base}/commits/{sha}",
        "html_url": f"{WEB}/{r.full_name}/commit/{sha}", "author": git_person(info["author"]),
        "committer": git_person(info["committer"]), "message": info["message"],
        "tree": {"sha": info["tree"], "url": f"{base}/trees/{info['tree']}"},
        "parents": [{"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{WEB}/{r.full_name}/commit/{p}"}
                    for p in info["parents"]],
        "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None,
                         "verified_at": None},
    }


def commit(api: str, r: Repo, sha: str) -> JsonObject:
    """The ``commit`` schema (repos API), as embedded in a branch."""
    g = git_commit(api, r, sha)
    base = f"{api}/repos/{r.full_name}"
    return {
        "sha": sha, "node_id": g["node_id"], "url": f"{base}/commits/{sha}", "html_url": g["html_url"],
        "comments_url": f"{base}/commits/{sha}/comments",
        "commit": {"author": g["author"], "committer": g["committer"], "message": g["message"],
                   "tree": g["tree"], "url": g["url"], "comment_count": 0, "verification": g["verification"]},
        "author": {}, "committer": {},
        "parents": [{"sha": p["sha"], "url": f"{base}/commits/{p['sha']}", "html_url": p["html_url"]}
                    for p in g["parents"]],
    }


def git_ref(api: str, r: Repo, ref: str) -> JsonObject:
    sha = r.refs[ref]
    base = f"{api}/repos/{r.full_name}/git"
    # ``ref`` is "refs/heads/x", so the url is the plural .../git/refs/heads/x that PATCH/DELETE use
    return {"ref": ref, "node_id": node_id("Ref", f"{r.id}:{ref}"), "url": f"{base}/{ref}",
            "object": {"sha": sha, "type": r.store.kind(sha) or "commit", "url": f"{base}/commits/{sha}"}}


def content_item(api: str, r: Repo, path: str, entry: Entry, ref: str, with_content: bool) -> JsonObject:
    """A file or directory entry of the Contents API."""
    kind = {"tree": "dir", "commit": "submodule"}.get(entry.kind, "symlink" if entry.mode == "120000" else "file")
    self_url = f"{api}/repos/{r.full_name}/contents/{path}?ref={ref}"
    git_url = f"{api}/repos/{r.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{entry.sha}"
    html_url = f"{WEB}/{r.full_name}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    download = f"{api}/_sandbox/raw/{r.full_name}/{ref}/{path}" if kind == "file" else None
    size = len(r.store.body(entry.sha, "blob")) if entry.kind == "blob" else 0
    data: JsonObject = {"type": kind, "name": path.rsplit("/", 1)[-1], "path": path, "sha": entry.sha, "size": size,
            "url": self_url, "html_url": html_url, "git_url": git_url, "download_url": download,
            "_links": {"self": self_url, "git": git_url, "html": html_url}}
    if with_content and kind == "file":
        data.update({"content": b64_lines(r.store.body(entry.sha, "blob")), "encoding": "base64"})
    return data


def rate_limit(limit: int, used: int, reset: int) -> JsonObject:
    def one(lim: int, u: int) -> JsonObject:
        return {"limit": lim, "used": u, "remaining": max(lim - u, 0), "reset": reset}
    core = one(limit, used)
    return {"resources": {"core": core, "search": one(30, 0), "graphql": one(5000, 0),
                          "integration_manifest": one(5000, 0), "code_search": one(10, 0)},
            "rate": core}
