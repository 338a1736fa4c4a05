"""githubactions-golang against the sandbox GitHub API over real HTTP (PyGithub, no mocks); every
exchange is checked against GitHub's OpenAPI description, every rendered workflow against SchemaStore's
GitHub workflow schema (tests/github_workflow_schema)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

pytest.importorskip("github")
pytest.importorskip("nacl")
import jsonschema

from dtmnb import yamlv3
from dtmnb.errors import PluginError
from dtmnb.plugins import get_plugin, get_plugin_class
from dtmnb.plugins.githubactions_render import MARKER, Options, blob_sha, render_workflows

NAME = "githubactions-golang"
REPO = "IronCore864/go-demo"
PR, MAIN = ".github/workflows/pr-builder.yml", ".github/workflows/main-builder.yml"
TOKEN = "dckr_pat_test-value-0123456789"
OPTIONS = {"owner": "IronCore864", "org": "", "repo": "go-demo", "branch": "main",
           "language": {"name": "go", "version": "1.21"},
           "build": {"enable": True}, "test": {"enable": True, "coverage": {"enable": True}},
           "docker": {"enable": False}}
DOCKER = {**OPTIONS, "docker": {"enable": True, "registry": {"type": "dockerhub", "username": "ironcore864"}}}
WORKFLOW_SCHEMA = Path(__file__).parent / "github_workflow_schema" / "github-workflow.json"


@pytest.fixture
def plugin():
    return get_plugin(NAME)


@pytest.fixture
def repo(github_env):
    """An existing repository with one commit on main (what github-repo-scaffolding-golang leaves)."""
    made = github_env.client().get_user().create_repo("go-demo")
    made.create_file("go.mod", "first", "module github.com/IronCore864/go-demo\n\ngo 1.21\n", branch="main")
    return made


@pytest.fixture
def docker_token(monkeypatch):
    monkeypatch.setenv("DOCKERHUB_TOKEN", TOKEN)
    return TOKEN


def _files(env, ref=None) -> dict[str, str]:
    return {p: b.decode() for p, b in env.server.repo_files("IronCore864", "go-demo", ref=ref).items()}


def _error(call, *args) -> str:
    with pytest.raises(PluginError) as info:
        call(*args)
    return str(info.value)


def _workflow(text: str) -> dict:
    """Parsed as GitHub reads it (YAML 1.2: `on` is a key, not true)."""
    return yamlv3.Decoder().interface(yamlv3.load(text))


def _schema_errors(text: str) -> list[str]:
    schema = json.loads(WORKFLOW_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(_workflow(text))]


def _render(**options) -> dict[str, dict]:
    cls = get_plugin_class(NAME)
    values = cls.schema.with_defaults({**OPTIONS, **options})
    return {p: _workflow(t) for p, t in render_workflows(Options(values)).items()}


# ---- create / read ------------------------------------------------------------------------------------

def test_create_commits_both_workflows_in_one_commit(github_env, repo, plugin):
    before = repo.get_branch("main").commit.sha
    resource = plugin.create(OPTIONS)
    files = _files(github_env)
    assert set(files) == {"go.mod", PR, MAIN}
    assert all(files[p].startswith(MARKER) for p in (PR, MAIN))
    head = repo.get_branch("main").commit
    assert [p.sha for p in head.parents] == [before]  # one commit on top of what was there
    assert head.commit.message.startswith("GitHub Actions workflow, created by DevStream")
    assert resource == {
        "workflowDir": "/repos/IronCore864/go-demo/contents/.github/workflows", "branch": "main",
        "workflows": {"pr-builder.yml": blob_sha(files[PR]), "main-builder.yml": blob_sha(files[MAIN])},
        "secrets": [],
        "outputs": {"owner": "IronCore864", "org": "", "repo": "go-demo", "branch": "main",
                    "files": [MAIN, PR], "commit": head.sha}}
    assert resource["workflows"]["pr-builder.yml"] == repo.get_contents(PR).sha  # GitHub's own blob ids
    assert plugin.read(OPTIONS) == resource


def test_read_is_none_before_create_and_after_the_files_are_gone(github_env, repo, plugin):
    assert plugin.read(OPTIONS) is None
    plugin.create(OPTIONS)
    for path in (PR, MAIN):
        repo.delete_file(path, "by hand", repo.get_contents(path).sha)
    assert plugin.read(OPTIONS) is None
    assert plugin.read({**OPTIONS, "repo": "no-such-repo"}) is None


def test_a_hand_edit_is_drift_and_update_writes_it_back(github_env, repo, plugin):
    created = plugin.create(OPTIONS)
    edited = repo.update_file(PR, "hand edit", "name: mine\n", sha=repo.get_contents(PR).sha)
    drifted = plugin.read(OPTIONS)
    assert drifted["workflows"]["pr-builder.yml"] == blob_sha("name: mine\n")
    assert drifted["workflows"]["main-builder.yml"] == created["workflows"]["main-builder.yml"]
    assert drifted["outputs"]["commit"] == edited["commit"].sha  # the last commit that wrote them
    repo.delete_file(MAIN, "gone by hand", repo.get_contents(MAIN).sha)
    assert plugin.read(OPTIONS)["workflows"]["main-builder.yml"] is None
    restored = plugin.update(OPTIONS, drifted)
    assert restored["workflows"] == created["workflows"]
    assert restored == plugin.read(OPTIONS)
    assert _files(github_env)[PR].startswith(MARKER)


def test_commit_output_is_the_newest_commit_that_wrote_a_workflow(github_env, repo, plugin):
    plugin.create(OPTIONS)
    repo.create_file("unrelated.txt", "not a workflow", "x")  # later commits elsewhere do not count
    later = repo.update_file(MAIN, "edit main only", "name: m\n", sha=repo.get_contents(MAIN).sha)["commit"].sha
    repo.create_file("more.txt", "still not", "y")
    assert plugin.read(OPTIONS)["outputs"]["commit"] == later


def test_organization_repository(github_env, plugin):
    org_repo = github_env.client().get_organization("devstream-io").create_repo("go-demo")
    org_repo.create_file("go.mod", "first", "module x\n")
    options = {**OPTIONS, "owner": "", "org": "devstream-io"}
    resource = plugin.create(options)
    assert resource["workflowDir"] == "/repos/devstream-io/go-demo/contents/.github/workflows"
    assert org_repo.get_contents(PR).decoded_content.decode().startswith(MARKER)
    assert plugin.read(options) == resource


# ---- never overwrite or remove what dtmnb did not write -----------------------------------------------

def test_create_refuses_a_workflow_file_it_did_not_write(github_env, repo, plugin, docker_token):
    repo.create_file(PR, "the team's own CI", "name: ours\non: push\njobs: {}\n")
    message = _error(plugin.create, DOCKER)
    assert PR in message and "not written by dtmnb" in message and "never overwrites" in message
    assert _files(github_env)[PR] == "name: ours\non: push\njobs: {}\n"
    assert MAIN not in _files(github_env)  # nothing half-written
    assert list(repo.get_secrets()) == []  # and no secret set


def test_create_after_a_lost_state_takes_back_its_own_files(github_env, repo, plugin, docker_token):
    first = plugin.create(DOCKER)
    again = plugin.create(DOCKER)  # the files carry the marker: dtmnb wrote them
    assert again == first and repo.get_branch("main").commit.sha == first["outputs"]["commit"]


def test_a_secret_dtmnb_did_not_set_is_never_replaced(github_env, repo, plugin, docker_token):
    repo.create_secret("DOCKERHUB_TOKEN", "the team's token")
    message = _error(plugin.create, DOCKER)
    assert "DOCKERHUB_TOKEN already exists" in message and "did not set" in message
    assert github_env.server.secret_value("IronCore864", "go-demo", "DOCKERHUB_TOKEN") == "the team's token"
    assert PR not in _files(github_env)


def test_delete_removes_only_the_files_it_wrote(github_env, repo, plugin, docker_token, caplog):
    plugin.create(DOCKER)
    repo.update_file(MAIN, "replaced by the team", "name: theirs\n", sha=repo.get_contents(MAIN).sha)
    with caplog.at_level(logging.INFO, logger="dtmnb"):
        plugin.delete(DOCKER)
    files = _files(github_env)
    assert PR not in files and files[MAIN] == "name: theirs\n" and files["go.mod"].startswith("module")
    assert any("main-builder.yml" in r.getMessage() and "left as it is" in r.getMessage() for r in caplog.records)
    assert list(repo.get_secrets()) == []
    removed = [r.getMessage() for r in caplog.records if "Actions secret" in r.getMessage()]
    assert removed == [f"Actions secret {n} of {REPO} removed." for n in ("DOCKERHUB_TOKEN", "DOCKERHUB_USERNAME")]
    plugin.delete(DOCKER)  # nothing of ours left: done
    github_env.client().get_repo(REPO).delete()
    plugin.delete(DOCKER)  # repository gone: done


def test_a_secret_that_cannot_be_removed_fails_the_delete_and_a_retry_finishes(github_env, repo, plugin, docker_token):
    plugin.create(DOCKER)
    github_env.server.inject_fault(500, "boom", count=None, path="/actions/secrets/DOCKERHUB_USERNAME$",
                                   method="DELETE")  # every retry too
    message = _error(plugin.delete, DOCKER)  # a failed change: the state keeps the tool, so destroy retries
    assert f"The secret DOCKERHUB_USERNAME of {REPO} could not be removed" in message and TOKEN not in message
    assert [s.name for s in repo.get_secrets()] == ["DOCKERHUB_USERNAME"]  # the token went first
    github_env.server.clear_faults()
    plugin.delete(DOCKER)
    assert list(repo.get_secrets()) == [] and set(_files(github_env)) == {"go.mod"}


def test_a_hand_edit_keeping_the_marker_is_still_ours_to_delete(github_env, repo, plugin):
    plugin.create(OPTIONS)
    text = repo.get_contents(PR).decoded_content.decode() + "# a local tweak\n"
    repo.update_file(PR, "tweak", text, sha=repo.get_contents(PR).sha)
    plugin.delete(OPTIONS)
    assert set(_files(github_env)) == {"go.mod"}


# ---- update ---------------------------------------------------------------------------------------------

def test_changing_the_go_version_rewrites_both_files_in_one_commit(github_env, repo, plugin):
    created = plugin.create(OPTIONS)
    options = {**OPTIONS, "language": {"name": "go", "version": "1.22"}}
    updated = plugin.update(options, created)
    head = repo.get_branch("main").commit
    assert updated["outputs"]["commit"] == head.sha and head.parents[0].sha == created["outputs"]["commit"]
    assert set(updated["workflows"].values()).isdisjoint(created["workflows"].values())
    for path in (PR, MAIN):
        steps = _workflow(_files(github_env)[path])["jobs"]["build"]["steps"]
        assert {"go-version": "1.22"} in [s.get("with") for s in steps]
    assert head.commit.message.startswith("GitHub Actions workflow, updated by DevStream")
    assert plugin.update(options, updated) == updated  # nothing to change: no new commit
    assert repo.get_branch("main").commit.sha == head.sha


def test_update_turns_docker_on_and_off(github_env, repo, plugin, docker_token):
    created = plugin.create(OPTIONS)
    with_docker = plugin.update(DOCKER, created)
    assert with_docker["secrets"] == ["DOCKERHUB_TOKEN", "DOCKERHUB_USERNAME"]
    assert "image" in _workflow(_files(github_env)[MAIN])["jobs"]
    assert github_env.server.secret_value("IronCore864", "go-demo", "DOCKERHUB_USERNAME") == "ironcore864"
    without = plugin.update(OPTIONS, with_docker)
    assert without["secrets"] == [] and list(repo.get_secrets()) == []
    assert "image" not in _workflow(_files(github_env)[MAIN])["jobs"]
    assert without == plugin.read(OPTIONS)


def test_update_to_another_branch_moves_the_workflows(github_env, repo, plugin):
    created = plugin.create(OPTIONS)
    repo.create_git_ref("refs/heads/develop", repo.get_branch("main").commit.sha)
    moved = plugin.update({**OPTIONS, "branch": "develop"}, created)
    assert set(_files(github_env, ref="develop")) >= {PR, MAIN}
    assert set(_files(github_env, ref="main")) == {"go.mod"}
    assert _workflow(_files(github_env, ref="develop")[PR])["on"]["pull_request"]["branches"] == ["develop"]
    assert moved == plugin.read({**OPTIONS, "branch": "develop"})


def test_update_onto_another_repository_leaves_nothing_behind(github_env, repo, plugin, docker_token):
    created = plugin.create(DOCKER)
    other = github_env.client().get_user().create_repo("go-other")
    other.create_file("go.mod", "first", "module x\n")
    moved = plugin.update({**DOCKER, "repo": "go-other"}, created)  # what a Replace does, if update is called
    assert moved["workflowDir"] == "/repos/IronCore864/go-other/contents/.github/workflows"
    assert {PR, MAIN} <= set(github_env.server.repo_files("IronCore864", "go-other"))
    assert set(_files(github_env)) == {"go.mod"} and list(repo.get_secrets()) == []
    assert github_env.server.secret_value("IronCore864", "go-other", "DOCKERHUB_TOKEN") == TOKEN
    assert moved == plugin.read({**DOCKER, "repo": "go-other"})


# ---- Docker Hub secrets ---------------------------------------------------------------------------------

def test_docker_secrets_arrive_sealed_with_the_right_values(github_env, repo, plugin, docker_token, caplog):
    with caplog.at_level(logging.DEBUG):
        resource = plugin.create(DOCKER)
    assert resource["secrets"] == ["DOCKERHUB_TOKEN", "DOCKERHUB_USERNAME"]
    assert github_env.server.secret_value("IronCore864", "go-demo", "DOCKERHUB_TOKEN") == TOKEN
    assert github_env.server.secret_value("IronCore864", "go-demo", "DOCKERHUB_USERNAME") == "ironcore864"
    assert sorted(s.name for s in repo.get_secrets()) == ["DOCKERHUB_TOKEN", "DOCKERHUB_USERNAME"]
    assert TOKEN not in json.dumps(resource)
    assert TOKEN not in caplog.text
    assert not any(TOKEN in json.dumps(x) for x in github_env.server.requests)  # sealed on the wire
    login = _workflow(_files(github_env)[MAIN])["jobs"]["image"]["steps"][1]["with"]
    assert login == {"username": "${{ secrets.DOCKERHUB_USERNAME }}", "password": "${{ secrets.DOCKERHUB_TOKEN }}"}
    assert plugin.read(DOCKER) == resource


def test_docker_without_a_token_fails_before_writing_anything(github_env, repo, plugin, monkeypatch):
    monkeypatch.delenv("DOCKERHUB_TOKEN", raising=False)
    message = _error(plugin.create, DOCKER)
    assert "DOCKERHUB_TOKEN" in message and "export DOCKERHUB_TOKEN" in message
    assert set(_files(github_env)) == {"go.mod"} and list(repo.get_secrets()) == []


def test_a_failed_commit_takes_back_the_secrets_it_set(github_env, repo, plugin, docker_token):
    github_env.server.inject_fault(500, "boom", path="/git/commits$", method="POST")
    message = _error(plugin.create, DOCKER)
    assert "500" in message and TOKEN not in message
    assert list(repo.get_secrets()) == [] and set(_files(github_env)) == {"go.mod"}


@pytest.mark.parametrize("status, body", [(500, "x"), (422, {"message": "Validation Failed"}), (403, "Forbidden")])
def test_no_token_in_any_error(github_env, repo, plugin, docker_token, status, body):
    github_env.server.inject_fault(status, body, path="/actions/secrets/DOCKERHUB_TOKEN$", method="PUT")
    message = _error(plugin.create, DOCKER)
    assert str(status) in message and TOKEN not in message and github_env.token not in message
    assert set(_files(github_env)) == {"go.mod"}
    assert [s.name for s in repo.get_secrets()] == []  # DOCKERHUB_USERNAME, set first, was taken back


# ---- the workflows are valid GitHub Actions YAML ------------------------------------------------------------

@pytest.mark.parametrize("options", [
    {},
    {"build": {"enable": True}, "test": {"enable": False}},
    {"build": {"enable": False}, "test": {"enable": True, "coverage": {"enable": False}}},
    {"language": {"name": "golang"}},
    {"docker": {"enable": True, "registry": {"username": "IronCore864", "repository": "Web-App"}}},
    {"branch": "release/v1.0", "test": {"enable": True, "command": "go test -v ./... && echo \"a: b\" # c",
                                        "coverage": {"enable": True, "output": "out dir/cover.out"}}},
], ids=["default", "build-only", "test-only", "no-version", "docker", "odd-values"])
def test_rendered_workflows_match_githubs_workflow_schema(options):
    cls = get_plugin_class(NAME)
    values = cls.schema.with_defaults({**OPTIONS, **options})
    for path, text in render_workflows(Options(values)).items():
        assert _schema_errors(text) == [], (path, text)


def test_rendered_workflows_say_what_the_options_say():
    pr, main = _render().values()
    assert pr["on"] == {"pull_request": {"branches": ["main"]}} and main["on"] == {"push": {"branches": ["main"]}}
    assert list(pr["jobs"]) == ["build", "test"] and list(main["jobs"]) == ["build", "test"]
    test_steps = pr["jobs"]["test"]["steps"]
    assert test_steps[2]["run"] == "go test ./... -race -covermode=atomic -coverprofile=coverage.out"
    assert test_steps[3]["run"] == 'go tool cover -func=coverage.out >> "$GITHUB_STEP_SUMMARY"'
    assert pr["jobs"]["build"]["steps"][1]["with"] == {"go-version": "1.21"}
    no_version = _render(language={"name": "go"})
    assert list(no_version.values())[0]["jobs"]["build"]["steps"][1]["with"] == {"go-version-file": "go.mod"}
    odd = _render(test={"enable": True, "command": "go test -v ./... && echo \"a: b\" # c"})
    assert list(odd.values())[0]["jobs"]["test"]["steps"][2]["run"] == 'go test -v ./... && echo "a: b" # c'
    docker = _render(build={"enable": False}, docker={"enable": True, "registry": {"username": "IronCore864"}})
    pr, main = docker.values()
    assert "image" not in pr["jobs"] and main["jobs"]["image"]["needs"] == ["test"]
    assert main["jobs"]["image"]["steps"][2]["with"]["tags"] == (
        "ironcore864/go-demo:latest,ironcore864/go-demo:${{ github.sha }}")  # Docker wants lower case


def test_the_schema_check_itself_catches_broken_workflows():
    assert _schema_errors("name: x\non: push\njobs: {}\n")  # no job
    assert _schema_errors("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                          "      - uses: x\n        run: y\n")


# ---- options ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    ({"owner": "", "org": ""}, "set option `owner`"),
    ({"repo": None}, "missing required option 'repo'"),
    ({"language": {"name": "python"}}, "write name: go"),
    ({"language": {"name": "go", "version": 1.2}}, "quote it"),
    ({"build": {"enable": False}, "test": {"enable": False}}, "would run nothing"),
    ({"docker": {"enable": True}}, "docker.registry.username"),
    ({"docker": {"enable": True, "registry": {"type": "harbor", "username": "u"}}}, "write type: dockerhub"),
    ({"brnach": "main"}, "did you mean 'branch'"),
    ({"build": {"enabled": True}}, "did you mean 'enable'"),
])
def test_illegal_options_are_refused_before_any_request(plugin, monkeypatch, change, words):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    options = {**OPTIONS, **change}
    for call in (plugin.create, plugin.read, plugin.delete):
        message = _error(call, options)
        assert "options are illegal" in message and words in message, message
    cls = get_plugin_class(NAME)  # the same problems at config load (schema + check_options)
    values = cls.schema.with_defaults(options)
    assert any(words in str(p) for p in [*cls.schema.check(values), *cls.check_options(values)])


def test_schema_identity_defaults_and_template():
    cls = get_plugin_class(NAME)
    assert cls.schema.identity == ("owner", "org", "repo")
    assert cls.describe_identity(OPTIONS) == "IronCore864/go-demo"
    filled = cls.schema.with_defaults({"repo": "r", "branch": "main", "language": {"name": "go"}})
    assert filled["build"] == {"enable": False, "command": "go build ./..."}
    assert filled["test"]["coverage"] == {"enable": False, "profile": "-race -covermode=atomic",
                                          "output": "coverage.out"}
    assert filled["docker"]["registry"]["type"] == "dockerhub"
    template = cls.schema.template()
    assert "coverage:" in template and "registry:" in template and "DOCKERHUB_TOKEN" in template


def test_missing_repository_and_branch(github_env, plugin):
    message = _error(plugin.create, OPTIONS)
    assert "repository IronCore864/go-demo does not exist" in message and "github-repo-scaffolding-golang" in message
    github_env.client().get_user().create_repo("go-demo")  # empty: no branch yet
    message = _error(plugin.create, OPTIONS)
    assert "branch main does not exist" in message


def test_a_token_without_the_workflow_scope_is_explained(github_env, repo, plugin, docker_token, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", github_env.server.add_token("IronCore864", ["repo", "delete_repo"]))
    message = _error(plugin.create, DOCKER)
    assert "404" in message and "'workflow' scope" in message
    assert set(_files(github_env)) == {"go.mod"} and list(repo.get_secrets()) == []


def test_missing_github_token(plugin, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("github_token", raising=False)
    message = _error(plugin.read, OPTIONS)
    assert "GITHUB_TOKEN" in message and "'workflow'" in message and message.startswith("githubactions-golang")


def test_pygithub_and_nacl_are_imported_only_when_used():
    import subprocess
    import sys

    code = ("import sys, dtmnb.plugins.githubactions_golang, dtmnb.showconfig, dtmnb.sandbox.github_secrets; "
            "print('github' in sys.modules, 'nacl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
