"""Helpers for the config tests: run each test on libyaml's C parser and on PyYAML's pure-Python one."""
from __future__ import annotations

import sys

import pytest
import yaml

from dtmnb.config import yamldoc
from dtmnb.plugins import Plugin


class StandIn(Plugin):
    """A third-party plugin that declares no option schema (its options are not checked)."""

    def create(self, options):
        return {}

    def read(self, options):
        return None

    def delete(self, options):
        return None


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_parser(request, monkeypatch):
    """Load configs with the given parser: 'pure-python' hides PyYAML's C extension, as on a machine whose
    PyYAML was built without libyaml (importing yaml._yaml then fails)."""
    if request.param == "pure-python":
        monkeypatch.setitem(sys.modules, "yaml._yaml", None)
    elif not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML is installed without libyaml here; only the pure-Python parser can run")
    assert yamldoc.parser_name() == request.param
    return request.param
