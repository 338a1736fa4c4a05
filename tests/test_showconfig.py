"""dtm's `show config`: the sample config, the quickstart and gitops templates (applied unchanged on the
sandbox: GitHub API over HTTP, OpenAPI-checked; S3 state on a real moto server), and plugin option
templates made from the schemas."""
from __future__ import annotations

import io
import logging

import pytest
import yaml

import dtmnb
from dtmnb import showconfig
from dtmnb.errors import DtmnbError, PluginNotFoundError, UsageError
from dtmnb.plugins import get_plugin_class, registry

DOCKERHUB_TOKEN = "dckr_pat_showconfig-test-0123456789"
PR, MAIN = ".github/workflows/pr-builder.yml", ".github/workflows/main-builder.yml"
# dtmnb's own plugins (other test modules register plugins of their own, some without a schema)
BUILT_IN = sorted(n for n, t in registry.items()
                  if (t if isinstance(t, str) else t.__module__).startswith("dtmnb.plugins"))


def _write(tmp_path, text: str, name: str = "config.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _statuses(result) -> list[str]:
    return [f"{k}: {s} {e}".strip() for k, s, e in zip(result["key"], result["status"], result["error"], strict=True)]


# ---- the sample config and plugin templates --------------------------------------------------------------

def test_sample_config_loads_and_plans_a_create(tmp_path):
    cfg = dtmnb.load_config(_write(tmp_path, showconfig.sample_config()))
    assert [(t.name, t.options["repo"]) for t in cfg.tools] == [("github-repo-scaffolding-golang", "go-webapp-demo")]
    assert list(dtmnb.plan(cfg)["action"]) == ["Create"]


def test_every_built_in_plugin_has_a_schema():
    assert "githubactions-golang" in BUILT_IN and len(BUILT_IN) >= 4
    assert all(get_plugin_class(name).schema is not None for name in BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_plugin_template_lists_every_option_of_the_schema(name):
    text = showconfig.plugin_template(name)
    [tool] = yaml.safe_load(text)["tools"]
    assert tool["name"] == name and tool["instanceID"] == "default"
    schema = get_plugin_class(name).schema
    assert list(tool["options"]) == [o.name for o in schema]
    for option in schema:
        assert f"# {option.description}" in text


def test_plugin_template_of_githubactions_golang_has_the_nested_options():
    options = yaml.safe_load(showconfig.plugin_template("githubactions-golang"))["tools"][0]["options"]
    assert options["language"] == {"name": "go", "version": "1.21"}
    assert options["test"]["coverage"] == {"enable": False, "profile": "-race -covermode=atomic",
                                           "output": "coverage.out"}
    assert set(options["docker"]["registry"]) == {"type", "username", "repository"}


def test_unknown_names_say_dtms_words_and_the_known_names():
    with pytest.raises(PluginNotFoundError) as info:
        showconfig.plugin_template("githubactions-golng")
    assert str(info.value).startswith("illegal plugin name : < githubactions-golng >")
    assert "did you mean `githubactions-golang`" in str(info.value) and "local-file" in str(info.value)
    with pytest.raises(UsageError) as info:
        showconfig.template("quickstrat")
    assert str(info.value).startswith("illegal template name : < quickstrat >")
    assert "did you mean `quickstart`" in str(info.value) and "gitops, quickstart" in str(info.value)
    assert isinstance(info.value, DtmnbError)


def test_a_plugin_without_a_schema_still_gets_a_tool_entry(monkeypatch):
    from dtmnb import plugins

    from ._config_helpers import StandIn

    class Bare(StandIn):
        name = "bare-test-plugin"

    monkeypatch.setitem(plugins.REGISTRY.entries, "bare-test-plugin", Bare)  # gone again after the test
    tool = yaml.safe_load(showconfig.plugin_template("bare-test-plugin"))["tools"][0]
    assert tool["name"] == "bare-test-plugin" and tool["options"] == {}


# ---- the templates apply unchanged on the sandbox ---------------------------------------------------------

@pytest.fixture
def dockerhub(monkeypatch):
    monkeypatch.setenv("DOCKERHUB_TOKEN", DOCKERHUB_TOKEN)


def _quiet_console():
    from dtmnb.console import QuietConsole

    return QuietConsole()


def test_quickstart_applies_updates_only_the_workflows_and_destroys(github_env, dockerhub, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = showconfig.template("quickstart")
    cfg = dtmnb.load_config(_write(tmp_path, text))
    assert [t.key for t in cfg.tools] == ["github-repo-scaffolding-golang_default", "githubactions-golang_default"]
    result = dtmnb.apply(cfg, auto_approve=True, console=_quiet_console())
    assert list(result["status"]) == ["succeeded", "succeeded"], _statuses(result)
    assert dtmnb.plan(cfg).empty  # one apply converges

    repo = github_env.client().get_repo("IronCore864/go-webapp-devstream-demo")
    files = github_env.server.repo_files("IronCore864", "go-webapp-devstream-demo")
    assert {"go.mod", "Dockerfile", PR, MAIN} <= set(files)
    assert sorted(s.name for s in repo.get_secrets()) == ["DOCKERHUB_TOKEN", "DOCKERHUB_USERNAME"]
    assert github_env.server.secret_value("IronCore864", "go-webapp-devstream-demo",
                                          "DOCKERHUB_TOKEN") == DOCKERHUB_TOKEN
    state_text = (tmp_path / "devstream.state").read_text()
    assert DOCKERHUB_TOKEN not in state_text and github_env.token not in state_text
    state = yaml.safe_load(state_text)["githubactions-golang_default"]
    assert state["options"]["owner"] == "IronCore864" and state["options"]["repo"] == "go-webapp-devstream-demo"
    assert state["resource"]["outputs"]["commit"] == repo.get_branch("main").commit.sha

    # change the Go version: only the workflows change, in place
    _write(tmp_path, text.replace('version: "1.21"', 'version: "1.22"'))
    cfg = dtmnb.load_config(tmp_path / "config.yaml")
    changes = dtmnb.plan(cfg)
    assert list(zip(changes["key"], changes["action"], strict=True)) == [("githubactions-golang_default", "Update")]
    repo_id = repo.id
    result = dtmnb.apply(cfg, auto_approve=True, console=_quiet_console())
    assert list(result["status"]) == ["succeeded"], _statuses(result)
    main = github_env.server.repo_files("IronCore864", "go-webapp-devstream-demo")[MAIN].decode()
    assert 'go-version: "1.22"' in main
    assert github_env.client().get_repo("IronCore864/go-webapp-devstream-demo").id == repo_id  # not re-created
    assert dtmnb.plan(cfg).empty

    # a hand edit of a workflow is drift: the plan updates the workflows, and one apply puts them back
    repo.update_file(PR, "by hand", "name: mine\n", sha=repo.get_contents(PR).sha)
    changes = dtmnb.plan(cfg)
    assert list(zip(changes["key"], changes["action"], strict=True)) == [("githubactions-golang_default", "Update")]
    result = dtmnb.apply(cfg, auto_approve=True, console=_quiet_console())
    assert list(result["status"]) == ["succeeded"], _statuses(result)
    assert repo.get_contents(PR).decoded_content.decode().startswith("# Written by dtmnb")
    assert dtmnb.plan(cfg).empty

    result = dtmnb.destroy(cfg, auto_approve=True, console=_quiet_console())
    assert list(result["key"]) == ["githubactions-golang_default", "github-repo-scaffolding-golang_default"]
    assert list(result["status"]) == ["succeeded", "succeeded"], _statuses(result)
    assert github_env.server.world.repos == {}


def test_gitops_applies_with_s3_state_and_variables(github_env, moto_s3, s3_env, dockerhub, tmp_path, monkeypatch):
    from dtmnb.sandbox.s3 import ensure_buckets

    s3 = moto_s3.client()
    ensure_buckets(s3, ["devstream-test-remote-state"], "ap-southeast-1", versioning=True)
    # the session's moto server is shared: start from an empty bucket, whatever other tests left there
    listing = s3.list_object_versions(Bucket="devstream-test-remote-state")
    for item in listing.get("Versions", []) + listing.get("DeleteMarkers", []):
        s3.delete_object(Bucket="devstream-test-remote-state", Key=item["Key"], VersionId=item["VersionId"])
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_s3.endpoint)
    cfg = dtmnb.load_config(_write(tmp_path, showconfig.template("gitops")))
    ci = cfg.tool("githubactions-golang_default")
    assert ci.options["branch"] == "main" and ci.options["docker"]["registry"]["username"] == "ironcore864"
    result = dtmnb.apply(cfg, auto_approve=True, console=_quiet_console())
    assert list(result["status"]) == ["succeeded", "succeeded"], _statuses(result)
    assert dtmnb.plan(cfg).empty
    body = moto_s3.client().get_object(Bucket="devstream-test-remote-state", Key="devstream.state")["Body"].read()
    state = yaml.safe_load(io.BytesIO(body))
    assert set(state) == {"github-repo-scaffolding-golang_default", "githubactions-golang_default"}
    assert DOCKERHUB_TOKEN.encode() not in body
    assert state["githubactions-golang_default"]["resource"]["outputs"]["repo"] == "dtm-test-go"
    assert {PR, MAIN} <= set(github_env.server.repo_files("IronCore864", "dtm-test-go"))
    result = dtmnb.destroy(cfg, auto_approve=True, console=_quiet_console())
    assert list(result["status"]) == ["succeeded", "succeeded"], _statuses(result)
    assert github_env.server.world.repos == {}


def test_the_docker_token_reaches_no_frame_and_no_log_line(github_env, dockerhub, tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    cfg = dtmnb.load_config(_write(tmp_path, showconfig.template("quickstart")))
    with caplog.at_level(logging.DEBUG):
        frames = [dtmnb.apply(cfg, auto_approve=True, console=_quiet_console()), dtmnb.read_state(cfg),
                  dtmnb.show_status(cfg), dtmnb.tools_frame(cfg)]
        frames.append(dtmnb.destroy(cfg, auto_approve=True, console=_quiet_console()))
    for frame in frames:
        assert DOCKERHUB_TOKEN not in frame.to_json(default_handler=str)
    assert DOCKERHUB_TOKEN not in caplog.text
