"""Plugin registry and the two offline teaching plugins (their Read notices hand edits)."""
from __future__ import annotations

import importlib.metadata
import shutil

import pytest

import dtmnb
from dtmnb import plugins
from dtmnb.console import QuietConsole
from dtmnb.errors import DtmnbError, PluginError, PluginNotFoundError
from dtmnb.plugins import PluginContext, get_plugin
from dtmnb.plugins.local_file import LocalFile

from ._engine_helpers import write_config


def test_builtins_are_registered_lazily():
    names = plugins.plugin_names()
    assert {"github-repo-scaffolding-golang", "local-repo-scaffolding", "local-file"} <= set(names)


def test_registering_a_clashing_name_is_refused():
    with pytest.raises(DtmnbError, match="already registered"):
        plugins.register_plugin("local-file", "somewhere.else:Plugin")


def test_unknown_plugin_lists_the_known_ones():
    with pytest.raises(PluginNotFoundError) as err:
        plugins.get_plugin_class("argocd")
    assert "unknown plugin 'argocd'" in str(err.value) and "local-file" in str(err.value)


def test_entry_point_plugins_register_as_strings(monkeypatch):
    ep = importlib.metadata.EntryPoint(name="third-party", value="dtmnb.plugins.local_file:LocalFile",
                                       group="dtmnb.plugins")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: [ep] if group == "dtmnb.plugins" else [])
    monkeypatch.setattr(plugins, "REGISTRY", plugins.REGISTRY.copy())  # scans the entry points again
    assert "third-party" in plugins.plugin_names()
    assert plugins.REGISTRY.entries["third-party"] == "dtmnb.plugins.local_file:LocalFile"   # not imported yet
    assert plugins.get_plugin_class("third-party") is LocalFile


def test_local_file_read_notices_hand_edit_and_deletion(tmp_path):
    plugin = get_plugin("local-file", PluginContext(base_dir=tmp_path))
    opts = {"path": "out/hello.txt", "content": "hello\n"}
    created = plugin.create(opts)
    assert (tmp_path / "out" / "hello.txt").read_text() == "hello\n"
    assert plugin.read(opts) == created
    (tmp_path / "out" / "hello.txt").write_text("edited\n")
    assert plugin.read(opts)["sha256"] != created["sha256"]
    plugin.delete(opts)
    assert plugin.read(opts) is None
    plugin.delete(opts)  # deleting what is gone is fine
    with pytest.raises(PluginError, match="option 'path' is required"):
        plugin.create({"content": "x"})


TUTORIAL_TOOLS = """
tools:
- name: local-repo-scaffolding
  instanceID: default
  options:
    owner: IronCore864
    org: ""
    repo: dtm-test-go
    branch: main
    image_repo: ironcore864/dtm-test-go
"""


def test_local_scaffolding_renders_template_and_shows_drift(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, TUTORIAL_TOOLS))
    result = dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    assert list(result["status"]) == ["succeeded"]
    project = tmp_path / "repos" / "dtm-test-go"
    main_go = (project / "cmd" / "dtm-test-go" / "main.go").read_text()
    assert "github.com/IronCore864/dtm-test-go" in main_go and "[[" not in main_go
    deployment = (project / "helm" / "dtm-test-go" / "templates" / "deployment.yaml").read_text()
    assert "ironcore864/dtm-test-go" in deployment and "{{" in deployment   # Helm's braces left alone
    assert not list(project.rglob("*.tpl"))
    state = dtmnb.read_state(cfg)
    assert state.loc[0, "outputs"]["repo"] == "dtm-test-go"
    assert state.loc[0, "outputs"]["repoURL"] == project.resolve().as_uri()

    (project / "README.md").write_text("hand edit\n")
    changes = dtmnb.plan(cfg)
    assert list(changes["action"]) == ["Replace"]   # it cannot update in place: the plan says so
    assert "the folder will be deleted and rendered again" in changes.loc[0, "reason"]
    assert dtmnb.show_status(cfg).loc[0, "status"] == "drifted"
    dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    assert "hand edit" not in (project / "README.md").read_text()
    assert dtmnb.plan(cfg).empty

    shutil.rmtree(project)
    assert list(dtmnb.plan(cfg)["action"]) == ["Create"]
    assert dtmnb.show_status(cfg).loc[0, "status"] == "gone"


def test_a_broken_entry_point_is_a_clear_error_naming_it(monkeypatch):
    ep = importlib.metadata.EntryPoint(name="broken", value="no_such_package.plugin:Thing", group="dtmnb.plugins")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group=None: [ep] if group == "dtmnb.plugins" else [])
    monkeypatch.setattr(plugins, "REGISTRY", plugins.REGISTRY.copy())  # scans the entry points again
    with pytest.raises(PluginNotFoundError) as err:
        plugins.get_plugin_class("broken")
    message = str(err.value)
    assert "the entry point `broken = no_such_package.plugin:Thing` (group dtmnb.plugins" in message
    assert "ModuleNotFoundError" in message and "Reinstall or fix the package" in message


def test_plugin_docstrings_list_options_and_outputs_from_the_schema():
    doc = LocalFile.__doc__
    assert "path (string, required, identity)" in doc and "content (string)" in doc
    assert "sha256: the SHA-256 of its content" in doc
