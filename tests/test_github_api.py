"""The sandbox GitHub API over real HTTP, with PyGithub (and plain requests) as clients.

Every test that uses ``github_env`` also has all of its traffic validated against GitHub's OpenAPI
description at teardown (see tests/_fixtures_github.py).
"""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import time

import pytest
import requests

github = pytest.importorskip("github")
from github import (  # noqa: E402
    BadCredentialsException,
    GithubException,
    InputGitTreeElement,
    RateLimitExceededException,
    UnknownObjectException,
)

from dtmnb.sandbox.github_api import GitHubAPIServer  # noqa: E402
from dtmnb.sandbox.github_git import object_id  # noqa: E402

from ._fixtures_github import fast_github, login  # noqa: E402

GIT = shutil.which("git")


def _api(env, method, path, token="default", **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"token {env.token if token == 'default' else token}"
    return requests.request(method, env.url + path, headers=headers, timeout=5, **kwargs)


def _repo_with_files(env, name="demo", files=None):
    """A repository with a first commit and then ``files`` pushed in one commit; returns (repo, commit)."""
    g = env.client()
    repo = g.get_user().create_repo(name)
    repo.create_file("README.md", "first", "# demo\n", branch="main")
    ref = repo.get_git_ref("heads/main")
    parent = repo.get_git_commit(ref.object.sha)
    files = files or {"go.mod": "module demo\n", "cmd/demo/main.go": "package main\n", "a/b/c.txt": "deep\n"}
    elements = [InputGitTreeElement(p, "100644", "blob", content=t) for p, t in files.items()]
    tree = repo.create_git_tree(elements, base_tree=parent.tree)
    commit = repo.create_git_commit("scaffold", tree, [parent])
    ref.edit(commit.sha)
    return repo, commit


# ---- identity, headers, HTTP behaviour -----------------------------------------------------------

def test_user_org_and_headers(github_env):
    g = github_env.client()
    assert g.get_user().login == "IronCore864"
    assert g.oauth_scopes == ["repo", "delete_repo", "workflow"]
    assert g.get_organization("DevStream-IO").login == "devstream-io"  # logins match case-insensitively
    r = _api(github_env, "GET", "/user")
    assert r.status_code == 200 and r.headers["Content-Length"] == str(len(r.content))
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used"):
        assert r.headers[header].isdigit()
    assert int(r.headers["X-RateLimit-Remaining"]) < int(r.headers["X-RateLimit-Limit"])
    assert r.headers["X-OAuth-Scopes"] == "repo, delete_repo, workflow"
    assert r.headers["X-GitHub-Api-Version-Selected"] == "2022-11-28"
    assert r.json()["user_view_type"] == "private"
    rate = g.get_rate_limit()
    assert rate.resources.core.limit == 5000


def test_links_follow_the_host_header_and_web_urls_are_github_com(github_env):
    github_env.client().get_user().create_repo("links")
    port = github_env.url.rsplit(":", 1)[1]
    r = _api(github_env, "GET", "/repos/ironcore864/LINKS", headers={"Host": f"localhost:{port}"})
    data = r.json()
    assert data["full_name"] == "IronCore864/links"  # canonical names, case-insensitive lookup
    assert data["url"] == f"http://localhost:{port}/repos/IronCore864/links"
    assert data["clone_url"] == "https://github.com/IronCore864/links.git"
    assert data["html_url"] == "https://github.com/IronCore864/links"


def test_enterprise_style_prefix(github_env):
    g = github_env.client()
    ghe = github.Github(base_url=github_env.url + "/api/v3", auth=github.Auth.Token(github_env.token), retry=None,
                        seconds_between_requests=None, seconds_between_writes=None)
    repo = ghe.get_user().create_repo("ghe")
    assert repo.url == f"{github_env.url}/api/v3/repos/IronCore864/ghe"
    repo.create_file("x.txt", "m", "x")
    assert g.get_repo("IronCore864/ghe").get_contents("x.txt").decoded_content == b"x"


def test_delete_is_204_without_body_and_never_202(github_env):
    github_env.client().get_user().create_repo("gone")
    r = _api(github_env, "DELETE", "/repos/IronCore864/gone")
    assert r.status_code == 204 and r.content == b"" and "Content-Length" not in r.headers
    assert all(x["status"] != 202 for x in github_env.server.requests)


def test_internal_error_is_500_json_and_the_connection_survives(github_env, monkeypatch):
    from dtmnb.sandbox import github_api

    def broken(req):
        raise RuntimeError("bug")

    original = github_api.ROUTES
    pattern = next(p for m, p, h in original if p.pattern == "^/user$")
    monkeypatch.setattr(github_api, "ROUTES", [("GET", pattern, broken)] + original)
    session = requests.Session()
    headers = {"Authorization": f"token {github_env.token}"}
    r = session.get(github_env.url + "/user", headers=headers, timeout=5)
    assert r.status_code == 500 and "RuntimeError: bug" in r.json()["message"]
    monkeypatch.setattr(github_api, "ROUTES", original)
    assert session.get(github_env.url + "/user", headers=headers, timeout=5).status_code == 200
    github_env.server.requests[:] = [x for x in github_env.server.requests if x["status"] != 500]  # deliberate


def test_only_loopback():
    with pytest.raises(ValueError, match="loopback"):
        GitHubAPIServer(host="0.0.0.0")


# ---- exact error messages and PyGithub's exception classes ---------------------------------------

def test_auth_errors(github_env):
    r = _api(github_env, "GET", "/user", token=None)
    assert r.status_code == 401 and r.json()["message"] == "Requires authentication"
    r = _api(github_env, "GET", "/user", token="ghp_wrong")
    assert r.status_code == 401 and r.json()["message"] == "Bad credentials"
    with pytest.raises(BadCredentialsException) as info:
        login(github_env.client(token="ghp_wrong"))
    assert info.value.status == 401


def test_not_found_and_empty_repository_messages(github_env):
    g = github_env.client()
    with pytest.raises(UnknownObjectException):
        g.get_repo("IronCore864/nope")
    with pytest.raises(UnknownObjectException):
        g.get_organization("no-such-org")
    repo = g.get_user().create_repo("empty")
    with pytest.raises(GithubException) as info:
        repo.get_contents("")
    assert info.value.status == 404 and info.value.data["message"] == "This repository is empty."
    assert not isinstance(info.value, UnknownObjectException)
    with pytest.raises(GithubException) as info:
        repo.create_git_blob("x", "utf-8")
    assert info.value.status == 409 and info.value.data["message"] == "Git Repository is empty."
    with pytest.raises(GithubException) as info:
        repo.get_git_ref("heads/main")
    assert info.value.status == 409
    repo.create_file("a.txt", "m", "a")
    with pytest.raises(UnknownObjectException) as info:
        repo.get_branch("nope")
    assert info.value.data["message"] == "Branch not found"


def test_repository_exists_422(github_env):
    me = github_env.client().get_user()
    me.create_repo("twice")
    with pytest.raises(GithubException) as info:
        me.create_repo("Twice")
    assert info.value.status == 422
    assert info.value.data["message"] == "Repository creation failed."
    assert info.value.data["errors"] == [{"resource": "Repository", "code": "custom", "field": "name",
                                          "message": "name already exists on this account"}]


def test_contents_put_rules(github_env):
    repo = github_env.client().get_user().create_repo("files")
    created = repo.create_file("a.txt", "one", "1")
    with pytest.raises(GithubException) as info:
        repo.create_file("a.txt", "again", "2")
    assert info.value.status == 422 and info.value.data["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'
    with pytest.raises(GithubException) as info:
        repo.update_file("a.txt", "stale", "2", sha="0" * 40)
    assert info.value.status == 409
    updated = repo.update_file("a.txt", "two", "2", sha=created["content"].sha)
    assert updated["commit"].parents[0].sha == created["commit"].sha
    with pytest.raises(UnknownObjectException):
        repo.create_file("b.txt", "m", "b", branch="nope")


def test_refs(github_env):
    repo, commit = _repo_with_files(github_env, "refs")
    first = commit.parents[0].sha
    with pytest.raises(GithubException) as info:
        repo.create_git_ref("refs/heads/main", first)
    assert info.value.data["message"] == "Reference already exists"
    with pytest.raises(GithubException) as info:
        repo.create_git_ref("refs/heads/x", "1" * 40)
    assert info.value.data["message"] == "Object does not exist"
    dev = repo.create_git_ref("refs/heads/dev", commit.sha)
    assert dev.url.endswith("/git/refs/heads/dev")
    main = repo.get_git_ref("heads/main")
    assert main.url.endswith("/git/refs/heads/main")  # plural, so ref.edit PATCHes the right path
    with pytest.raises(GithubException) as info:
        main.edit(first)
    assert info.value.status == 422 and info.value.data["message"] == "Update is not a fast forward"
    main.edit(first, force=True)
    assert repo.get_branch("main").commit.sha == first
    dev.delete()
    r = _api(github_env, "DELETE", "/repos/IronCore864/refs/git/refs/heads/dev")
    assert r.status_code == 422 and r.json()["message"] == "Reference does not exist"


def test_scopes_and_organization_membership(github_env):
    server = github_env.server
    no_repo = server.add_token("IronCore864", ["delete_repo"])
    with pytest.raises(UnknownObjectException):  # GitHub answers 404 without the repo scope
        github_env.client(token=no_repo).get_user().create_repo("x")
    no_delete = server.add_token("IronCore864", ["repo"])
    repo = github_env.client(token=no_delete).get_user().create_repo("keep")
    with pytest.raises(GithubException) as info:
        repo.delete()
    assert info.value.status == 403 and info.value.data["message"] == "Must have admin rights to Repository."
    outsider = server.add_user("outsider")
    with pytest.raises(GithubException) as info:
        github_env.client(token=outsider).get_organization("devstream-io").create_repo("x")
    assert info.value.status == 403
    with pytest.raises(UnknownObjectException):  # others cannot write into someone's repository
        github_env.client(token=outsider).get_repo("IronCore864/keep").create_file("x", "m", "x")


def test_private_repositories_are_hidden(github_env):
    github_env.client().get_user().create_repo("secret", private=True)
    outsider = github_env.server.add_user("outsider")
    with pytest.raises(UnknownObjectException):
        github_env.client(token=outsider).get_repo("IronCore864/secret")
    assert github_env.client().get_repo("IronCore864/secret").private is True


# ---- git data and contents -----------------------------------------------------------------------

def test_one_commit_push_and_read_back(github_env):
    repo, commit = _repo_with_files(github_env, "push")
    assert repo.get_branch("main").commit.sha == commit.sha
    assert len(commit.parents) == 1
    listing = {c.path: c.type for c in repo.get_contents("")}
    assert listing == {"README.md": "file", "a": "dir", "cmd": "dir", "go.mod": "file"}
    assert repo.get_contents("a/b/c.txt").decoded_content == b"deep\n"
    [item] = repo.get_contents("cmd/demo", ref="main")
    assert item.decoded_content == b"package main\n"  # lazy item completed through its url (?ref=)
    tree = repo.get_git_tree(commit.sha, recursive=True)
    paths = [e.path for e in tree.tree]
    assert paths == ["README.md", "a", "a/b", "a/b/c.txt", "cmd", "cmd/demo", "cmd/demo/main.go", "go.mod"]
    assert {e.mode for e in tree.tree} == {"100644", "040000"}


def test_tree_edits_merge_replace_and_delete(github_env):
    repo, commit = _repo_with_files(github_env, "edits")
    base = repo.get_git_commit(commit.sha).tree
    tree = repo.create_git_tree([InputGitTreeElement("a/b/c.txt", "100644", "blob", sha=None),
                                 InputGitTreeElement("go.mod", "100755", "blob", content="changed\n")], base_tree=base)
    files = {e.path: e.mode for e in repo.get_git_tree(tree.sha, recursive=True).tree}
    assert "a/b/c.txt" not in files and "a" not in files  # an emptied folder disappears, as in git
    assert files["go.mod"] == "100755" and "README.md" in files
    alone = repo.create_git_tree([InputGitTreeElement("only.txt", "100644", "blob", content="x")])
    assert [e.path for e in alone.tree] == ["only.txt"]  # no base_tree: the tree replaces everything
    blob = repo.create_git_blob("AAEC", "base64")
    assert blob.sha == object_id("blob", b"\x00\x01\x02")


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_object_ids_are_gits(github_env, tmp_path):
    repo, commit = _repo_with_files(github_env, "fidelity")
    content = repo.get_contents("go.mod")
    hashed = subprocess.run([GIT, "hash-object", "--stdin"], input=b"module demo\n", capture_output=True, check=True)
    assert content.sha == hashed.stdout.decode().strip()
    bare = github_env.server.export_repo("IronCore864", "fidelity", tmp_path / "fidelity.git")
    fsck = subprocess.run([GIT, "-C", str(bare), "fsck", "--strict"], capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr

    def git(*args: str) -> str:
        return subprocess.run([GIT, "-C", str(bare), *args], capture_output=True, text=True, check=True).stdout

    assert git("rev-parse", "main").strip() == commit.sha
    assert git("rev-parse", "main^{tree}").strip() == commit.tree.sha
    assert git("log", "--format=%s", "main").split("\n")[:2] == ["scaffold", "first"]
    for line in git("ls-tree", "-r", "-t", "main").splitlines():
        mode_type_sha, path = line.split("\t")
        sha = mode_type_sha.split()[2]
        kind = mode_type_sha.split()[1]
        raw = subprocess.run([GIT, "-C", str(bare), "cat-file", kind, sha], capture_output=True, check=True).stdout
        rehash = subprocess.run([GIT, "-C", str(bare), "hash-object", "-t", kind, "--stdin", "--literally"],
                                input=raw, capture_output=True, check=True).stdout.decode().strip()
        assert rehash == sha, path
    clone = tmp_path / "clone"
    subprocess.run([GIT, "clone", "-q", str(bare), str(clone)], check=True, capture_output=True)
    assert (clone / "a" / "b" / "c.txt").read_text() == "deep\n"


# ---- faults, retries, rate limits, request log, control API --------------------------------------

def test_fault_injection_count_path_and_method(github_env):
    server, g = github_env.server, github_env.client()
    server.inject_fault(503, "Service Unavailable", path=r"^/user$", count=2)
    for _ in range(2):
        with pytest.raises(GithubException) as info:
            login(g)
        assert info.value.status == 503
    assert g.get_user().login == "IronCore864"
    server.inject_fault(500, {"message": "only writes"}, method="POST", count=None)
    assert g.get_organization("devstream-io").login == "devstream-io"
    with pytest.raises(GithubException):
        g.get_user().create_repo("x")
    server.clear_faults()
    server.inject_fault(delay=0.3, path="/orgs/")
    start = time.monotonic()
    g.get_organization("devstream-io")
    assert time.monotonic() - start >= 0.3


def test_retries_with_an_explicit_policy(github_env):
    from github.GithubRetry import GithubRetry

    github_env.server.inject_fault(500, "flaky", path=r"^/user$", count=2)
    g = github_env.client(retry=GithubRetry(total=2, backoff_factor=0, secondary_rate_wait=0.1, max_rate_limit_wait=1))
    assert g.get_user().login == "IronCore864"
    assert [x["status"] for x in github_env.server.requests if x["path"] == "/user"] == [500, 500, 200]


def test_rate_limit_fault_is_pygithubs_rate_limit_exception(github_env):
    github_env.server.inject_rate_limit(reset_in=3600)
    with pytest.raises(RateLimitExceededException) as info:
        login(github_env.client())
    assert info.value.headers["x-ratelimit-remaining"] == "0"
    from github.GithubException import RateLimitExceededExceedsMaxWait
    from github.GithubRetry import GithubRetry

    github_env.server.inject_rate_limit(reset_in=3600)
    with pytest.raises(RateLimitExceededExceedsMaxWait):
        login(github_env.client(retry=GithubRetry(total=2, max_rate_limit_wait=1)))


def test_real_rate_limit_counter(github_env, monkeypatch):
    from dtmnb.sandbox import github_api

    monkeypatch.setattr(github_api, "RATE_LIMIT", 3)
    github_env.server.reset(keep_accounts=True)
    g = github_env.client()
    for _ in range(3):
        g.get_organization("devstream-io")
    with pytest.raises(RateLimitExceededException):
        g.get_organization("devstream-io")
    assert g.get_rate_limit().resources.core.remaining == 0  # /rate_limit itself is free


def test_request_log_hides_the_token(github_env):
    assert login(github_env.client()) == "IronCore864"
    entry = github_env.server.requests[-1]
    assert entry["method"] == "GET" and entry["path"] == "/user" and entry["status"] == 200
    assert github_env.token not in json.dumps(entry)


def test_control_api_over_http(github_env):
    url = github_env.url + "/_sandbox"
    r = requests.post(f"{url}/users", json={"login": "alice", "scopes": ["repo"]}, timeout=5)
    assert r.status_code == 201
    token = r.json()["token"]
    assert token.startswith("ghp_") and len(token) == 40
    assert requests.post(f"{url}/orgs", json={"login": "team", "members": ["alice"]}, timeout=5).ok
    g = github_env.client(token=token)
    g.get_organization("team").create_repo("tool")
    repos = requests.get(f"{url}/repos", timeout=5).json()
    assert {"full_name": "team/tool", "default_branch": "main", "branches": []} in repos
    r = requests.post(f"{url}/faults", json={"status": 502, "body": "bad gateway", "path": "^/user$"}, timeout=5)
    assert r.status_code == 201
    assert _api(github_env, "GET", "/user").status_code == 502
    r = requests.post(f"{url}/faults", json={"rate_limit": {"reset_in": 60}}, timeout=5)
    assert _api(github_env, "GET", "/user").status_code == 403
    assert requests.get(f"{url}/requests", timeout=5).json()[-1]["status"] == 403
    g.get_repo("team/tool").create_file("hello.txt", "m", "hi\n")
    assert requests.get(f"{url}/repos/team/tool/files", timeout=5).json() == {"hello.txt": "hi\n"}
    download = g.get_repo("team/tool").get_contents("hello.txt").download_url
    assert requests.get(download, timeout=5).text == "hi\n"
    assert requests.post(f"{url}/reset", json={}, timeout=5).ok
    assert requests.get(f"{url}/repos", timeout=5).json() == []


def _assert_conforms(server, checker):
    problems = [p for x in server.requests if not x["fault"] for p in checker.check(x)]
    assert not problems, problems


def test_persistence_survives_a_restart(tmp_path, github_openapi):
    with GitHubAPIServer(data_dir=tmp_path) as first:
        token = first.add_user("IronCore864")
        first.add_org("devstream-io", members=["IronCore864"])
        repo = fast_github(first.url, token).get_organization("devstream-io").create_repo("kept")
        repo.create_file("a.txt", "m", "a")
        _assert_conforms(first, github_openapi)
    with GitHubAPIServer(data_dir=tmp_path) as second:
        assert second.add_user("IronCore864") == token  # same token after a restart
        kept = fast_github(second.url, token).get_repo("devstream-io/kept")
        assert kept.get_contents("a.txt").decoded_content == b"a"
        _assert_conforms(second, github_openapi)


# ---- the OpenAPI checker itself --------------------------------------------------------------------

def test_openapi_checker_catches_wrong_shapes(github_env, github_openapi):
    github_env.client().get_user().create_repo("shape")
    created = next(x for x in github_env.server.requests if x["method"] == "POST")
    assert github_openapi.check(created) == []
    for mutate in (lambda x: x["response_body"].update(private="yes"),
                   lambda x: x["response_body"].pop("default_branch"),
                   lambda x: x["request_body"].update(private="true"),
                   lambda x: x.update(status=299)):
        bad = copy.deepcopy(created)
        mutate(bad)
        assert github_openapi.check(bad), bad
    assert github_openapi.check({**created, "method": "GET", "path": "/nowhere"})


def test_git_data_validation_messages(github_env):
    repo, commit = _repo_with_files(github_env, "checks")
    for ref, message in (("refs/heads", "Reference name must contain at least three slash-separated components."),
                         ("refs/heads/a..b", "refs/heads/a..b is not a valid ref name.")):
        with pytest.raises(GithubException) as info:
            repo.create_git_ref(ref, commit.sha)
        assert info.value.status == 422 and info.value.data["message"] == message
    r = _api(github_env, "POST", "/repos/IronCore864/checks/git/commits",
             json={"message": "m", "tree": "f" * 40, "parents": [commit.sha]})
    assert r.status_code == 422 and r.json()["message"] == "Tree SHA does not exist"
    r = _api(github_env, "POST", "/repos/IronCore864/checks/git/commits",
             json={"message": "m", "tree": commit.sha, "parents": []})
    assert r.status_code == 422 and r.json()["message"] == "Tree SHA is not a tree object"
    r = _api(github_env, "POST", "/repos/IronCore864/checks/git/commits",
             json={"message": "m", "tree": commit.tree.sha, "parents": ["e" * 40]})
    assert r.status_code == 422 and r.json()["message"] == "Parent SHA does not exist or is not a commit object"
    r = _api(github_env, "POST", "/repos/IronCore864/checks/git/trees",
             json={"tree": [{"path": "x", "mode": "644", "type": "blob", "content": "x"}]})
    assert r.status_code == 422
    submodule = {"path": "sub", "mode": "160000", "type": "commit"}
    for item, sha in ((submodule, None), ({**submodule, "sha": "not-an-object-id"}, "not-an-object-id")):
        r = _api(github_env, "POST", "/repos/IronCore864/checks/git/trees", json={"tree": [item]})
        assert r.status_code == 422 and r.json()["message"] == f"tree.sha {sha} is not a valid commit"
    r = _api(github_env, "POST", "/repos/IronCore864/checks/git/trees", data=b"{not json",
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"] == "Problems parsing JSON"
    github_env.server.requests[:] = [x for x in github_env.server.requests if x["status"] != 400 and
                                     (x["request_body"] or {}).get("tree") != [{"path": "x", "mode": "644",
                                                                                   "type": "blob", "content": "x"}]]


def test_stop_closes_kept_alive_connections_and_chunked_bodies_work(github_openapi):
    with GitHubAPIServer() as server:
        token = server.add_user("u")
        session = requests.Session()
        headers = {"Authorization": f"token {token}"}
        assert session.get(server.url + "/user", headers=headers, timeout=5).ok
        body = iter([b'{"name": ', b'"chunky"}'])  # a generator body is sent chunked
        r = session.post(server.url + "/user/repos", data=body, headers=headers, timeout=5)
        assert r.status_code == 201 and r.json()["name"] == "chunky"
        _assert_conforms(server, github_openapi)
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(server.url + "/user", headers=headers, timeout=5)
