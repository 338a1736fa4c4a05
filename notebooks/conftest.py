"""nbval settings for the tutorial notebooks (run: see scripts/execute_notebooks.py's docstring).

The kernel nbval starts inherits this process's environment, so the variables set here at import time
reach the notebooks. ``scripts/execute_notebooks.py`` uses the same ``notebook_environ`` so that stored
outputs are made in the environment they are checked in (docs/notebooks.md#stored-outputs).
"""
from __future__ import annotations

import os

# Never reach a real account from a test run: the notebooks use the sandbox unless a reader switches.
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_API_URL", "GITHUB_TOKEN", "github_token")
_SET = {
    "DTMNB_AUTO_APPROVE": "1",            # headless: apply() returns the result table, no buttons
    "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata lookups
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
    "TZ": "UTC",
}


def notebook_environ(environ: dict | None = None) -> dict:
    """The environment notebooks are executed and checked in (a copy of ``environ``, adjusted)."""
    env = dict(os.environ if environ is None else environ)
    for name in _UNSET:
        env.pop(name, None)
    env.update(_SET)
    return env


_env = notebook_environ()
for _name in _UNSET:
    os.environ.pop(_name, None)
os.environ.update(_SET)
