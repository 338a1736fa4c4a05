"""dtmnb.testing's conformance checks, run on every built-in plugin and backend (and shown to catch a
plugin that breaks the contract)."""
from __future__ import annotations

import uuid

import pytest

from dtmnb.backends.local import LocalBackend
from dtmnb.plugins import Plugin, PluginContext, get_plugin_class
from dtmnb.testing import ContractError, check_backend, check_plugin


def test_local_file_conforms(tmp_path):
    check_plugin(get_plugin_class("local-file"), {"path": "out/a.txt", "content": "one"},
                 update={"path": "out/a.txt", "content": "two"}, context=PluginContext(base_dir=tmp_path))
    assert not (tmp_path / "out" / "a.txt").exists()


def test_local_scaffolding_conforms(tmp_path):
    check_plugin(get_plugin_class("local-repo-scaffolding"), {"owner": "IronCore864", "repo": "demo"},
                 context=PluginContext(base_dir=tmp_path))
    assert list((tmp_path / "repos").iterdir()) == []


def test_github_scaffolding_conforms(github_env):
    check_plugin(get_plugin_class("github-repo-scaffolding-golang"),
                 {"owner": "IronCore864", "repo": "demo", "branch": "main"})


def test_local_backend_conforms(tmp_path):
    check_backend(lambda: LocalBackend(tmp_path / "devstream.state"))


def test_s3_backend_conforms(s3_target):
    key = f"conformance/{uuid.uuid4().hex}/devstream.state"
    check_backend(lambda: s3_target.backend(key))


class Adopting(Plugin):
    """Breaks the rules on purpose: create overwrites, update is missing, resources hold a set."""

    name = "adopting"
    things: dict = {}

    def create(self, options):
        Adopting.things[options["id"]] = {"id": options["id"], "tags": {"a"}}
        return Adopting.things[options["id"]]

    def read(self, options):
        return Adopting.things.get(options["id"])

    def delete(self, options):
        Adopting.things.pop(options["id"], None)


def test_a_plugin_breaking_the_contract_is_told_each_rule():
    with pytest.raises(ContractError) as err:
        check_plugin(Adopting, {"id": "x"})
    assert err.value.problems == ["update() is not implemented: implement it, or set replace_on_update = True"]
    Adopting.update = lambda self, options, prior: self.create(options)
    with pytest.raises(ContractError) as err:
        check_plugin(Adopting, {"id": "x"})
    text = "\n".join(err.value.problems)
    assert "create(): resource.tags is a set" in text
    assert "create() over an existing resource succeeded" in text
    assert Adopting.things == {}      # nothing left behind
