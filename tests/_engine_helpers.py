"""Helpers for engine tests: write a config into a folder, and a scriptable in-memory plugin."""
from __future__ import annotations

import textwrap
from pathlib import Path

from dtmnb.errors import PluginError
from dtmnb.plugins import Plugin, register_plugin


def write_config(folder: Path, tools_yaml: str, state_file: str = "devstream.state") -> Path:
    """A three-file dtm config (as in the tutorial) with the local backend; returns config.yaml's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tools.yaml").write_text(textwrap.dedent(tools_yaml).lstrip())
    (folder / "config.yaml").write_text(
        f"toolFile: tools.yaml\n\nstate:\n  backend: local\n  options:\n    stateFile: {state_file}\n")
    return folder / "config.yaml"


class Recorder(Plugin):
    """A plugin whose resources live in a class-level dict; ``fail`` names tools whose calls fail."""

    name = "recorder"
    resources: dict = {}
    calls: list = []
    fail: set = set()

    @classmethod
    def reset(cls):
        cls.resources, cls.calls, cls.fail = {}, [], set()

    def _id(self, options):
        return options["id"]

    def _check(self, action, options):
        Recorder.calls.append((action, self._id(options), dict(options)))
        if self._id(options) in Recorder.fail:
            raise PluginError(f"recorder: {action} of {self._id(options)} failed on purpose")

    def _make(self, options):
        res = {"id": self._id(options), "outputs": {"url": f"https://example.test/{self._id(options)}", "n": 7}}
        Recorder.resources[self._id(options)] = res
        return res

    def create(self, options):
        self._check("create", options)
        return self._make(options)

    def read(self, options):
        return Recorder.resources.get(self._id(options))

    def update(self, options, prior):
        self._check("update", options)
        return self._make(options)

    def delete(self, options):
        self._check("delete", options)
        Recorder.resources.pop(self._id(options), None)


register_plugin("recorder", Recorder, clobber=True)


def write_s3_config(folder: Path, target, key: str, tools_yaml: str) -> Path:
    """The same three-file config with the s3 backend on a test S3 server (``target``: tests/_fixtures_s3.py)."""
    from ._fixtures_s3 import VERSIONED_BUCKET

    write_config(folder, tools_yaml)
    (folder / "config.yaml").write_text(
        "toolFile: tools.yaml\nstate:\n  backend: s3\n  options:\n"
        f"    bucket: {VERSIONED_BUCKET}\n    region: {target.region}\n    key: {key}\n"
        f"    endpoint: {target.endpoint}\n")
    return folder / "config.yaml"
