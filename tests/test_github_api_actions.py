"""The sandbox GitHub API's endpoints for workflows and Actions secrets, over real HTTP with PyGithub:
Contents DELETE with GitHub's sha checks, the commit list filtered by path, and repository secrets
sealed with libsodium (the sandbox opens them with the repository's private key; no endpoint returns a
value). All traffic is checked against GitHub's OpenAPI description at teardown (``github_env``)."""
from __future__ import annotations

import base64
import json

import pytest
import requests

github = pytest.importorskip("github")
nacl_public = pytest.importorskip("nacl.public")
from github import GithubException, UnknownObjectException  # noqa: E402

from dtmnb.sandbox.github_api import GitHubAPIServer  # noqa: E402

from ._fixtures_github import fast_github  # noqa: E402


def _api(env, method, path, **kwargs):
    headers = {"Authorization": f"token {env.token}", **kwargs.pop("headers", {})}
    return requests.request(method, env.url + path, headers=headers, timeout=5, **kwargs)


def _repo(env, name="acts"):
    repo = env.client().get_user().create_repo(name)
    repo.create_file("README.md", "first", "# x\n", branch="main")
    return repo


def _drop(env, statuses) -> None:
    """Forget deliberate error exchanges the description does not document for that operation."""
    env.server.requests[:] = [x for x in env.server.requests if x["status"] not in statuses]


# ---- contents: delete with sha checks --------------------------------------------------------------

def test_contents_delete_rules(github_env):
    repo = _repo(github_env)
    made = repo.create_file(".github/workflows/ci.yml", "add", "name: ci\n")
    sha = made["content"].sha
    with pytest.raises(GithubException) as info:
        repo.delete_file(".github/workflows/ci.yml", "stale", "0" * 40)
    assert info.value.status == 409  # not the file's current blob: nothing removed
    assert repo.get_contents(".github/workflows/ci.yml").sha == sha
    with pytest.raises(UnknownObjectException):
        repo.delete_file(".github/workflows/nope.yml", "m", sha)
    with pytest.raises(UnknownObjectException):
        repo.delete_file(".github/workflows/ci.yml", "m", sha, branch="nope")
    removed = repo.delete_file(".github/workflows/ci.yml", "remove ci", sha)
    assert removed["commit"].parents[0].sha == made["commit"].sha
    assert github_env.server.repo_files("IronCore864", "acts") == {"README.md": b"# x\n"}  # empty folders go too
    with pytest.raises(UnknownObjectException):
        repo.get_contents(".github/workflows/ci.yml")
    r = _api(github_env, "DELETE", "/repos/IronCore864/acts/contents/README.md", json={"message": "m"})
    assert r.status_code == 422 and r.json()["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'
    _drop(github_env, {422})


def test_contents_delete_needs_write_access(github_env, monkeypatch):
    repo = _repo(github_env)
    sha = repo.get_contents("README.md").sha
    stranger = fast_github(github_env.url, github_env.server.add_user("stranger"))
    with pytest.raises(UnknownObjectException):
        stranger.get_repo("IronCore864/acts").delete_file("README.md", "m", sha)
    assert github_env.server.repo_files("IronCore864", "acts") == {"README.md": b"# x\n"}


# ---- the commit list --------------------------------------------------------------------------------

def test_commits_filtered_by_path_newest_first(github_env):
    repo = _repo(github_env)
    a1 = repo.create_file("a.txt", "a1", "1")["commit"].sha
    b1 = repo.create_file("b.txt", "b1", "1")["commit"].sha
    a2 = repo.update_file("a.txt", "a2", "2", sha=repo.get_contents("a.txt").sha)["commit"].sha
    every = [c.sha for c in repo.get_commits()]
    assert every[:3] == [a2, b1, a1] and len(every) == 4
    assert [c.sha for c in repo.get_commits(path="a.txt")] == [a2, a1]
    assert [c.sha for c in repo.get_commits(sha=b1, path="a.txt")] == [a1]  # seen from an older commit
    assert [c.sha for c in repo.get_commits(path="b.txt")] == [b1]
    assert list(repo.get_commits(path="nowhere.txt")) == []
    head = repo.get_commits(path="a.txt")[0]
    assert head.commit.message == "a2" and head.commit.author.name == "IronCore864"
    assert repo.get_commits(sha="main", path="b.txt")[0].sha == b1


def test_commits_pages_follow_link_headers(github_env):
    repo = _repo(github_env)
    for i in range(4):
        repo.create_file(f"f{i}.txt", f"m{i}", str(i))
    g = github_env.client(per_page=2)
    pages = g.get_repo("IronCore864/acts").get_commits()
    assert [c.commit.message for c in pages] == ["m3", "m2", "m1", "m0", "first"]  # 3 pages of 2
    r = _api(github_env, "GET", "/repos/IronCore864/acts/commits?per_page=2&page=1")
    assert 'rel="next"' in r.headers["Link"] and "page=3" in r.headers["Link"]
    r = _api(github_env, "GET", "/repos/IronCore864/acts/commits?per_page=2&page=3")
    assert "Link" not in r.headers and len(r.json()) == 1


def test_commits_of_an_empty_repository_and_unknown_ref(github_env):
    empty = github_env.client().get_user().create_repo("empty")
    with pytest.raises(GithubException) as info:
        list(empty.get_commits())
    assert info.value.status == 409 and info.value.data["message"] == "Git Repository is empty."
    repo = _repo(github_env)
    with pytest.raises(GithubException) as info:
        list(repo.get_commits(sha="nope"))
    assert info.value.status == 404


def test_one_commit_by_sha_branch_or_tag(github_env):
    repo = _repo(github_env)
    first = repo.get_branch("main").commit.sha
    made = repo.create_file("a.txt", "add a", "1")["commit"].sha
    assert repo.get_commit(made).commit.message == "add a" and repo.get_commit(made).parents[0].sha == first
    assert repo.get_commit("main").sha == made and repo.get_commit(first).commit.message == "first"
    with pytest.raises(GithubException) as info:
        repo.get_commit("0" * 40)
    assert info.value.status == 404


# ---- Actions secrets -----------------------------------------------------------------------------

def test_secret_set_through_pygithub_arrives_sealed_and_opens_with_the_repositorys_key(github_env):
    repo = _repo(github_env)
    key = repo.get_public_key()
    assert len(base64.b64decode(key.key)) == 32 and key.key_id
    assert repo.get_public_key().key == key.key  # one key pair per repository
    repo.create_secret("DOCKERHUB_TOKEN", "dckr_pat_the-right-value")
    put = next(x for x in github_env.server.requests if x["method"] == "PUT" and "/actions/secrets/" in x["path"])
    assert put["status"] == 201 and put["response_body"] == {}
    sealed = put["request_body"]["encrypted_value"]
    assert "dckr_pat_the-right-value" not in json.dumps(put)  # only the sealed box travelled
    assert len(base64.b64decode(sealed)) == len("dckr_pat_the-right-value") + 48  # sealed-box overhead
    assert github_env.server.secret_value("IronCore864", "acts", "DOCKERHUB_TOKEN") == "dckr_pat_the-right-value"
    repo.create_secret("DOCKERHUB_TOKEN", "rotated")
    assert github_env.server.requests[-1]["status"] == 204  # an update answers 204
    assert github_env.server.secret_value("IronCore864", "acts", "dockerhub_token") == "rotated"


def test_secrets_are_never_readable_back(github_env):
    repo = _repo(github_env)
    repo.create_secret("DOCKERHUB_TOKEN", "value-that-must-not-come-back")
    repo.create_secret("docker_user", "ironcore864")
    listed = list(repo.get_secrets())
    assert sorted(s.name for s in listed) == ["DOCKERHUB_TOKEN", "DOCKER_USER"]  # names are upper-cased
    one = repo.get_secret("DOCKERHUB_TOKEN")
    assert one.name == "DOCKERHUB_TOKEN" and one.created_at and one.updated_at
    answers = [json.dumps(x["response_body"]) for x in github_env.server.requests]
    assert not any("value-that-must-not-come-back" in a or "ironcore864" in a for a in answers)
    state = json.dumps(github_env.server.world.to_json())
    assert "value-that-must-not-come-back" not in state  # kept sealed, at rest too
    assert repo.delete_secret("DOCKERHUB_TOKEN") is True
    with pytest.raises(UnknownObjectException):
        repo.get_secret("DOCKERHUB_TOKEN").update()  # GET it now (get_secret itself sends nothing)
    assert repo.delete_secret("DOCKERHUB_TOKEN") is False  # 404: already gone
    assert [s.name for s in repo.get_secrets()] == ["DOCKER_USER"]
    assert github_env.server.secret_value("IronCore864", "acts", "DOCKERHUB_TOKEN") is None


def _seal(public_key_b64: str, value: bytes) -> str:
    box = nacl_public.SealedBox(nacl_public.PublicKey(base64.b64decode(public_key_b64)))
    return base64.b64encode(box.encrypt(value)).decode()


def test_secret_put_is_refused_when_the_box_does_not_open_or_the_name_or_key_is_wrong(github_env):
    _repo(github_env)
    key = _api(github_env, "GET", "/repos/IronCore864/acts/actions/secrets/public-key").json()
    other = nacl_public.PrivateKey.generate().public_key
    cases = [
        ("DOCKERHUB_TOKEN", {"key_id": key["key_id"], "encrypted_value": _seal(base64.b64encode(bytes(other)).decode(),
                                                                               b"x")}, "sealed box"),
        ("DOCKERHUB_TOKEN", {"key_id": "999", "encrypted_value": _seal(key["key"], b"x")}, "key_id"),
        ("GITHUB_TOKEN", {"key_id": key["key_id"], "encrypted_value": _seal(key["key"], b"x")}, "GITHUB_"),
        ("1ABC", {"key_id": key["key_id"], "encrypted_value": _seal(key["key"], b"x")}, "Must start with"),
        ("DOCKERHUB_TOKEN", {"key_id": key["key_id"]}, "encrypted_value"),
    ]
    for name, body, words in cases:
        r = _api(github_env, "PUT", f"/repos/IronCore864/acts/actions/secrets/{name}", json=body)
        assert r.status_code == 422 and words in r.json()["message"], (name, r.json())
    assert _api(github_env, "GET", "/repos/IronCore864/acts/actions/secrets").json() == {"total_count": 0,
                                                                                         "secrets": []}
    good = {"key_id": key["key_id"], "encrypted_value": _seal(key["key"], "ünïcode ✓".encode())}
    assert _api(github_env, "PUT", "/repos/IronCore864/acts/actions/secrets/OK", json=good).status_code == 201
    assert github_env.server.secret_value("IronCore864", "acts", "OK") == "ünïcode ✓"
    _drop(github_env, {422})


def test_secrets_need_write_access(github_env):
    _repo(github_env)
    stranger = fast_github(github_env.url, github_env.server.add_user("stranger")).get_repo("IronCore864/acts")
    for call in (stranger.get_public_key, lambda: list(stranger.get_secrets()),
                 lambda: stranger.create_secret("X", "y")):
        with pytest.raises(UnknownObjectException):
            call()
    assert github_env.server.world.repo("IronCore864", "acts").secrets == {}


def test_secrets_and_key_survive_a_restart(tmp_path, github_openapi):
    with GitHubAPIServer(data_dir=tmp_path) as first:
        token = first.add_user("IronCore864")
        repo = fast_github(first.url, token).get_user().create_repo("kept")
        repo.create_secret("DOCKERHUB_TOKEN", "kept-value")
        key = repo.get_public_key().key
    assert "kept-value" not in (tmp_path / "github-sandbox.json").read_text()
    with GitHubAPIServer(data_dir=tmp_path) as second:
        again = fast_github(second.url, token).get_repo("IronCore864/kept")
        assert again.get_public_key().key == key
        assert [s.name for s in again.get_secrets()] == ["DOCKERHUB_TOKEN"]
        assert second.secret_value("IronCore864", "kept", "DOCKERHUB_TOKEN") == "kept-value"
        problems = [p for x in second.requests for p in github_openapi.check(x)]
        assert not problems, problems


def test_secret_values_have_no_http_route(github_env):
    repo = _repo(github_env)
    repo.create_secret("DOCKERHUB_TOKEN", "nowhere-to-be-read")
    for path in ("/_sandbox/secrets/IronCore864/acts/DOCKERHUB_TOKEN", "/_sandbox/repos/IronCore864/acts/secrets",
                 "/repos/IronCore864/acts/actions/secrets/DOCKERHUB_TOKEN"):
        r = _api(github_env, "GET", path)
        assert "nowhere-to-be-read" not in r.text


def test_workflow_files_need_the_workflow_scope(github_env):
    _repo(github_env)
    g = fast_github(github_env.url, github_env.server.add_token("IronCore864", ["repo"]))
    repo = g.get_repo("IronCore864/acts")
    repo.create_file("docs/a.md", "fine", "a")  # other paths need only 'repo'
    with pytest.raises(UnknownObjectException):
        repo.create_file(".github/workflows/ci.yml", "m", "name: ci\n")
    parent = repo.get_git_commit(repo.get_branch("main").commit.sha)
    with pytest.raises(UnknownObjectException):
        repo.create_git_tree([github.InputGitTreeElement(".github/workflows/ci.yml", "100644", "blob", content="x")],
                             base_tree=parent.tree)
    github_env.client().get_repo("IronCore864/acts").create_file(".github/workflows/ci.yml", "m", "name: ci\n")
    sha = repo.get_contents(".github/workflows/ci.yml").sha  # reading needs no extra scope
    with pytest.raises(UnknownObjectException):
        repo.delete_file(".github/workflows/ci.yml", "m", sha)
    assert ".github/workflows/ci.yml" in github_env.server.repo_files("IronCore864", "acts")
