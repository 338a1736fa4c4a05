"""The S3 remote-state tutorial (shared/seed/s3-remote-state-tutorial.zh.md) in one place for every test:
its three files (tests/fixtures/configs/tutorial, verbatim) and the state text it shows."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

TUTORIAL_DIR = Path(__file__).parent / "fixtures" / "configs" / "tutorial"
TUTORIAL_CONFIG = (TUTORIAL_DIR / "config.yaml").read_text(encoding="utf-8")          # backend: s3
TUTORIAL_VARIABLES = (TUTORIAL_DIR / "variables-gitops.yaml").read_text(encoding="utf-8")
TUTORIAL_TOOLS = (TUTORIAL_DIR / "tools-gitops.yaml").read_text(encoding="utf-8")
# The tutorial's local-backend example of config.yaml.
TUTORIAL_CONFIG_LOCAL = ("varFile: variables-gitops.yaml\n\ntoolFile: tools-gitops.yaml\n\nstate:\n  backend: local\n"
                         "  options:\n    stateFile: devstream.state\n")

# The state the tutorial shows after apply (section "检查状态文件").
TUTORIAL_STATE = """\
github-repo-scaffolding-golang_default:
  name: github-repo-scaffolding-golang
  instanceid: default
  dependson: []
  options:
    branch: main
    image_repo: ironcore864/dtm-test-go
    org: ""
    owner: IronCore864
    repo: dtm-test-go
  resource:
    org: ""
    outputs:
      org: ""
      owner: IronCore864
      repo: dtm-test-go
      repoURL: https://github.com/IronCore864/dtm-test-go.git
    owner: IronCore864
    repoName: dtm-test-go
"""

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "s3-remote-state-tutorial.zh.md"
REQUIRE_SEED_ENV = "DTMNB_REQUIRE_SEED"  # set by .ci/run, where shared/ sits beside the clone


def seed_text() -> str:
    """The seed tutorial's markdown, from shared/ beside the checkout. Missing: a skip, or a failure when
    ``DTMNB_REQUIRE_SEED=1`` (the project's own CI) — a fork's CI without shared/ only skips."""
    if not SEED.exists():
        if os.environ.get(REQUIRE_SEED_ENV, "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"the seed tutorial is missing: {SEED} ({REQUIRE_SEED_ENV} is set)")
        pytest.skip(f"the seed tutorial is not beside this checkout ({SEED}); the cross-check runs where it is")
    return SEED.read_text(encoding="utf-8")
