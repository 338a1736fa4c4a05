"""github-repo-scaffolding-golang against the sandbox GitHub API over real HTTP (PyGithub, no mocks)."""
from __future__ import annotations

import socket
import textwrap

import pytest
import yaml

pytest.importorskip("github")

from github import UnknownObjectException

from dtmnb.console import QuietConsole, attach
from dtmnb.errors import PluginError
from dtmnb.plugins import (
    get_plugin,
    github_client,
)
from dtmnb.plugins.scaffold_template import GO_WEBAPP, TemplateError, render_template, scaffold_variables

from ._fixtures_github import login
from .tutorial import TUTORIAL_CONFIG_LOCAL as TUTORIAL_CONFIG
from .tutorial import TUTORIAL_STATE, TUTORIAL_TOOLS, TUTORIAL_VARIABLES

NAME = "github-repo-scaffolding-golang"
OPTIONS = {"owner": "IronCore864", "org": "", "repo": "dtm-test-go", "branch": "main",
           "image_repo": "ironcore864/dtm-test-go"}


@pytest.fixture
def plugin():
    return get_plugin(NAME)


@pytest.fixture
def logs():
    with attach(QuietConsole()) as console:
        yield console


def _error(call, *args) -> str:
    with pytest.raises(PluginError) as info:
        call(*args)
    return str(info.value)


def _expected_files(owner: str, repo: str = "dtm-test-go", image: str = "ironcore864/dtm-test-go") -> dict:
    return render_template(GO_WEBAPP, scaffold_variables(repo, owner, repo, image))


# ---- create / read / delete / update ---------------------------------------------------------------

def test_create_for_the_user(github_env, plugin, logs):
    resource = plugin.create(OPTIONS)
    assert resource == {"owner": "IronCore864", "org": "", "repoName": "dtm-test-go",
                        "outputs": {"owner": "IronCore864", "org": "", "repo": "dtm-test-go",
                                    "repoURL": "https://github.com/IronCore864/dtm-test-go.git"}}
    assert "The repo dtm-test-go has been created." in logs.messages
    repo = github_env.client().get_repo("IronCore864/dtm-test-go")
    expected = _expected_files("IronCore864")
    # every file, read back through the Contents API, is the rendered template
    for path, text in expected.items():
        assert repo.get_contents(path, ref="main").decoded_content.decode() == text, path
    # and the scaffolding is one commit on the branch, on top of the bootstrap commit
    head = repo.get_branch("main").commit
    assert head.commit.message.startswith("Scaffolding with DevStream")
    [bootstrap] = head.parents
    assert not repo.get_git_commit(bootstrap.sha).parents
    tree = repo.get_git_tree(head.sha, recursive=True)
    assert sorted(e.path for e in tree.tree if e.type == "blob") == sorted(expected)


def test_rendered_contents(github_env, plugin):
    plugin.create(OPTIONS)
    repo = github_env.client().get_repo("IronCore864/dtm-test-go")
    go_mod = repo.get_contents("go.mod").decoded_content.decode()
    assert go_mod.startswith("module github.com/IronCore864/dtm-test-go\n")
    main = repo.get_contents("cmd/dtm-test-go/main.go").decoded_content.decode()
    assert '"github.com/IronCore864/dtm-test-go/internal/pkg/notes"' in main
    deployment = repo.get_contents("helm/dtm-test-go/templates/deployment.yaml").decoded_content.decode()
    assert 'image: "ironcore864/dtm-test-go:{{ .Values.image.tag | default .Chart.AppVersion }}"' in deployment
    assert "[[" not in deployment and "{{ .Release.Name }}" in deployment
    names = [c.path for c in repo.get_contents("")]
    assert {"Dockerfile", "Makefile", "README.md", "go.mod", ".gitignore", "cmd", "helm", "internal"} <= set(names)
    assert not any(n.endswith(".tpl") for n in github_env.server.repo_files("IronCore864", "dtm-test-go"))


def test_create_in_an_organization(github_env, plugin):
    options = {**OPTIONS, "owner": "", "org": "devstream-io"}
    resource = plugin.create(options)
    assert resource["outputs"]["repoURL"] == "https://github.com/devstream-io/dtm-test-go.git"
    assert resource["org"] == "devstream-io" and resource["owner"] == ""
    repo = github_env.client().get_repo("devstream-io/dtm-test-go")
    assert repo.organization.login == "devstream-io"
    assert "module github.com/devstream-io/dtm-test-go" in repo.get_contents("go.mod").decoded_content.decode()
    assert plugin.read(options) == resource


def test_branch_other_than_the_default_is_created(github_env, plugin):
    plugin.create({**OPTIONS, "branch": "develop"})
    repo = github_env.client().get_repo("IronCore864/dtm-test-go")
    assert repo.default_branch == "main"
    assert {b.name for b in repo.get_branches()} == {"main", "develop"}
    assert repo.get_contents("go.mod", ref="develop")
    with pytest.raises(UnknownObjectException):
        repo.get_contents("go.mod", ref="main")  # main only has the bootstrap commit


def test_read_equals_create_and_none_after_a_hand_delete(github_env, plugin):
    assert plugin.read(OPTIONS) is None  # not there yet: plan shows a Create
    created = plugin.create(OPTIONS)
    assert plugin.read(OPTIONS) == created
    github_env.client().get_repo("IronCore864/dtm-test-go").delete()
    assert plugin.read(OPTIONS) is None


def test_no_false_drift_when_github_spells_names_differently(github_env, plugin):
    options = {**OPTIONS, "owner": "", "org": "DevStream-IO", "repo": "Dtm-Test-Go"}
    created = plugin.create(options)
    assert created["outputs"]["repoURL"] == "https://github.com/DevStream-IO/Dtm-Test-Go.git"
    assert plugin.read(options) == created
    assert plugin.read({**options, "repo": "dtm-test-go"})["repoName"] == "dtm-test-go"


def test_delete(github_env, plugin, logs):
    plugin.create(OPTIONS)
    plugin.delete(OPTIONS)
    assert plugin.read(OPTIONS) is None
    plugin.delete(OPTIONS)  # already gone: done
    assert "GitHub repo IronCore864/dtm-test-go was not found. Nothing to do here." in logs.messages


def test_option_change_is_a_replace_deleting_and_recreating(github_env, plugin):
    # the engine replaces (delete with the recorded options, then create) instead of calling update
    assert plugin.replace_on_update and plugin.replace_note == "the repository will be deleted and re-created"
    plugin.create(OPTIONS)
    first_id = github_env.client().get_repo("IronCore864/dtm-test-go").id
    plugin.delete(OPTIONS)
    resource = plugin.create({**OPTIONS, "image_repo": "someone/else"})
    repo = github_env.client().get_repo("IronCore864/dtm-test-go")
    assert repo.id != first_id
    assert "someone/else:" in repo.get_contents("helm/dtm-test-go/templates/deployment.yaml").decoded_content.decode()
    assert resource == plugin.read(OPTIONS)


def test_github_token_lowercase_fallback_and_enterprise_url(github_env, plugin, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("github_token", github_env.token)
    monkeypatch.setenv("GITHUB_API_URL", github_env.url + "/api/v3/")
    assert plugin.create(OPTIONS)["outputs"]["repoURL"] == "https://github.com/IronCore864/dtm-test-go.git"


def test_tutorial_tools_file_gives_the_tutorials_resource(github_env, plugin):
    variables = yaml.safe_load(TUTORIAL_VARIABLES)
    tools_text = TUTORIAL_TOOLS
    for key, value in variables.items():
        tools_text = tools_text.replace(f"[[ {key} ]]", str(value))
    [tool] = yaml.safe_load(tools_text)["tools"]
    resource = plugin.create(tool["options"])
    expected = yaml.safe_load(TUTORIAL_STATE)["github-repo-scaffolding-golang_default"]
    assert resource == expected["resource"]
    assert tool["options"] == expected["options"]
    assert plugin.read(tool["options"]) == expected["resource"]


def test_engine_apply_writes_the_tutorials_state(github_env, tmp_path):
    dtmnb = pytest.importorskip("dtmnb")
    pytest.importorskip("dtmnb.engine")
    (tmp_path / "config.yaml").write_text(TUTORIAL_CONFIG)
    (tmp_path / "variables-gitops.yaml").write_text(TUTORIAL_VARIABLES)
    (tmp_path / "tools-gitops.yaml").write_text(TUTORIAL_TOOLS)
    cfg = dtmnb.load_config(tmp_path / "config.yaml")
    result = dtmnb.apply(cfg, auto_approve=True)
    assert list(result["status"]) == ["succeeded"], list(result["error"])
    assert len(dtmnb.plan(cfg)) == 0  # Read equals the stored resource: no drift
    assert (tmp_path / "devstream.state").read_text() == TUTORIAL_STATE


# ---- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, words", [
    ({**OPTIONS, "repo": ""}, "option 'repo' is required"),
    ({k: v for k, v in OPTIONS.items() if k != "branch"}, "option 'branch' is required"),
    ({**OPTIONS, "owner": "", "org": ""}, "'owner'"),
    ({**OPTIONS, "repo": ["x"]}, "option 'repo' must be a string"),
])
def test_invalid_options(plugin, options, words, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    for call in (plugin.create, plugin.read, plugin.delete):
        message = _error(call, options)
        assert words in message and "options are illegal" in message


def test_missing_token(plugin, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("github_token", raising=False)
    message = _error(plugin.create, OPTIONS)
    assert "GITHUB_TOKEN" in message and "'repo'" in message and "'delete_repo'" in message


def test_bad_token(github_env, plugin, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_a_real_token_000000000000000000")
    for call in (plugin.create, plugin.read, plugin.delete):
        message = _error(call, OPTIONS)
        assert "401" in message and "Bad credentials" in message and "GITHUB_TOKEN" in message
        assert "ghp_not_a_real_token" not in message


def test_token_without_repo_scope(github_env, plugin, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", github_env.server.add_token("IronCore864", ["delete_repo"]))
    message = _error(plugin.create, OPTIONS)
    assert "404" in message and "'repo' scope" in message


def test_token_without_delete_repo_scope(github_env, plugin, monkeypatch):
    plugin.create(OPTIONS)
    monkeypatch.setenv("GITHUB_TOKEN", github_env.server.add_token("IronCore864", ["repo"]))
    message = _error(plugin.delete, OPTIONS)
    assert "403" in message and "'delete_repo' scope" in message


def test_repository_already_exists(github_env, plugin):
    github_env.client().get_user().create_repo("dtm-test-go")
    message = _error(plugin.create, OPTIONS)
    assert "422" in message and "already exists" in message
    assert github_env.client().get_repo("IronCore864/dtm-test-go")  # the existing repository is untouched


def test_unknown_org_and_org_without_membership(github_env, plugin, monkeypatch):
    message = _error(plugin.create, {**OPTIONS, "org": "no-such-org"})
    assert "no-such-org" in message and "404" in message and "option 'org'" in message
    monkeypatch.setenv("GITHUB_TOKEN", github_env.server.add_user("outsider"))
    message = _error(plugin.create, {**OPTIONS, "owner": "", "org": "devstream-io"})
    assert "403" in message and "outsider may not create repositories in organization devstream-io" in message


def test_owner_must_be_the_tokens_login(github_env, plugin):
    message = _error(plugin.create, {**OPTIONS, "owner": "ironcore864"})
    assert "only in letter case" in message and "owner: IronCore864" in message
    message = _error(plugin.create, {**OPTIONS, "owner": "somebody"})
    assert "belongs to 'IronCore864'" in message
    assert github_env.server.world.repos == {}


def test_rate_limit_says_when_it_resets(github_env, plugin):
    github_env.server.inject_rate_limit(reset_in=1800, path="^/user$")
    message = _error(plugin.create, OPTIONS)
    assert "rate limit" in message and "resets at" in message and "UTC" in message


def test_server_error(github_env, plugin):
    github_env.server.inject_fault(502, "Server Error", count=None)
    message = _error(plugin.read, OPTIONS)
    assert "502" in message and "try again later" in message


def test_push_failure_deletes_the_half_made_repository(github_env, plugin, logs):
    github_env.server.inject_fault(500, "boom", path="/git/trees", method="POST")
    message = _error(plugin.create, OPTIONS)
    assert "500" in message and "has been deleted" in message
    assert github_env.server.world.repos == {}
    assert plugin.read(OPTIONS) is None


def test_api_unreachable_names_the_url(plugin, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret_value_for_this_test_00000000")
    message = _error(plugin.read, OPTIONS)
    assert f"http://127.0.0.1:{port}" in message and "cannot reach" in message
    assert "ghp_secret_value" not in message


def test_timeout(github_env, plugin, monkeypatch):
    monkeypatch.setattr(github_client, "LOCAL_TIMEOUT", 1)
    github_env.server.inject_fault(delay=2, path="^/repos/")
    message = _error(plugin.read, OPTIONS)
    assert "did not answer in time" in message and github_env.url in message


def test_no_token_in_any_message(github_env, plugin, monkeypatch):
    messages = []
    for fault in ({"status": 500, "body": "x"}, {"status": 404, "body": "Not Found"},
                  {"status": 401, "body": "Bad credentials"},
                  {"status": 422, "body": {"message": "Validation Failed", "errors": [{"code": "invalid"}]}}):
        github_env.server.inject_fault(**fault)
        for call in (plugin.create, plugin.read, plugin.delete):
            try:
                call(OPTIONS)
            except PluginError as exc:
                messages.append(str(exc) + repr(exc.args))
        github_env.server.clear_faults()
    assert messages and not any(github_env.token in m for m in messages)


def test_real_mode_client_retries_and_caps_rate_limit_waits(github_env, monkeypatch):
    from github.GithubException import RateLimitExceededExceedsMaxWait

    monkeypatch.setenv("DTMNB_GITHUB_MAX_RATE_LIMIT_WAIT", "1")
    g = github_client.make_github(github_env.token, github_env.url, fast=False)
    github_env.server.inject_fault(502, "flaky", path="^/user$", count=2)
    assert g.get_user().login == "IronCore864"  # retried, as on real GitHub
    github_env.server.inject_rate_limit(reset_in=3600, path="^/user$")
    with pytest.raises(RateLimitExceededExceedsMaxWait) as info:
        login(g)
    assert "resets at" in str(github_client.explain(info.value, "x", github_env.url))
    assert github_client.is_loopback(github_env.url) and not github_client.is_loopback("https://api.github.com")


# ---- the template -----------------------------------------------------------------------------------

def test_template_rendering_rules(tmp_path):
    (tmp_path / "cmd" / "_app_name_").mkdir(parents=True)
    (tmp_path / "cmd" / "_app_name_" / "main.go.tpl").write_text("// [[ .AppName ]] by [[.Repo.Owner]]\n")
    (tmp_path / "chart.yaml.tpl").write_text("image: [[ .ImageRepo ]]:{{ .Chart.AppVersion }}\n")
    (tmp_path / "plain.txt").write_text("[[ .NotRendered ]]\n")
    files = render_template(tmp_path, scaffold_variables("app", "me", "app", "me/app"))
    assert files == {"chart.yaml": "image: me/app:{{ .Chart.AppVersion }}\n",
                     "cmd/app/main.go": "// app by me\n", "plain.txt": "[[ .NotRendered ]]\n"}
    (tmp_path / "bad.tpl").write_text("line one\n[[ .Repo.Missing ]]\n")
    with pytest.raises(TemplateError, match=r"bad.tpl, line 2: variable '.Repo.Missing' is not set"):
        render_template(tmp_path, scaffold_variables("app", "me", "app", "me/app"))


def test_shipped_template_renders_completely():
    files = _expected_files("IronCore864")
    assert {"Dockerfile", "Makefile", "README.md", "go.mod", "cmd/dtm-test-go/main.go",
            "helm/dtm-test-go/Chart.yaml", "helm/dtm-test-go/values.yaml", "helm/dtm-test-go/.helmignore",
            "helm/dtm-test-go/templates/deployment.yaml", "helm/dtm-test-go/templates/service.yaml"} <= set(files)
    assert all("[[" not in text for text in files.values())
    assert textwrap.dedent("""\
        FROM golang:1.21-alpine AS build
        WORKDIR /src/github.com/IronCore864/dtm-test-go""") in files["Dockerfile"]
    assert "\tgo build -o bin/$(APP) ./cmd/$(APP)" in files["Makefile"]


def test_pygithub_is_imported_only_when_used_and_missing_is_explained(monkeypatch):
    import subprocess
    import sys

    code = ("import sys, dtmnb.plugins.github_scaffolding, dtmnb.plugins.github_client; "
            "print('github' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    from dtmnb.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "github", None)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x")
    with pytest.raises(MissingDependencyError, match=r"PyGithub.*dtmnb\[github\]"):
        get_plugin(NAME).read(OPTIONS)
