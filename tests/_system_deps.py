"""Skip or fail a test that needs an optional system package (scripts/system_deps.py knows which and how
to install them): skipped with the install commands as the reason, failed when DTMNB_REQUIRE_SYSTEM_DEPS=1."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import NoReturn

import pytest

_PATH = Path(__file__).resolve().parent.parent / "scripts" / "system_deps.py"
_spec = importlib.util.spec_from_file_location("dtmnb_scripts_system_deps", _PATH)
assert _spec is not None and _spec.loader is not None
system_deps = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = system_deps  # dataclasses look their module up by name
_spec.loader.exec_module(system_deps)


def unavailable(reason: str, module: bool = False) -> NoReturn:
    """Skip with ``reason`` (the whole module when ``module``, one line in pytest's summary), or fail with it
    where the system packages are required (the project's CI)."""
    if system_deps.required():
        pytest.fail(f"{reason} [{system_deps.REQUIRE_ENV}=1: required here]", pytrace=False)
    pytest.skip(reason, allow_module_level=module)
