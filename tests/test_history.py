"""History by run: every state write carries the run's id, operation, tool, step and who (S3 object metadata;
local: beside the backup); state_history shows it by version or by run, and state_diff compares before and
after a run, one dotted path per row. On real S3 servers (weed and moto) and the local backend."""
from __future__ import annotations

import getpass
import uuid

import pandas as pd
import pytest

import dtmnb
from dtmnb.console import QuietConsole
from dtmnb.errors import BackendError, UsageError

from ._engine_helpers import write_config, write_s3_config


def files(*pairs: tuple[str, str]) -> str:
    return "tools:\n" + "".join(f"- name: local-file\n  instanceID: {i}\n  options: {{path: {i}.txt, content: {c}}}\n"
                                for i, c in pairs)


def s3_config(folder, target, key, tools):
    return dtmnb.load_config(write_s3_config(folder, target, key, tools))


def apply(cfg):
    return dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())


def test_history_by_run_and_diff_of_the_last_run_on_s3(s3_target, tmp_path):
    key = f"history/{uuid.uuid4().hex[:12]}/devstream.state"
    cfg = s3_config(tmp_path, s3_target, key, files(("a", "one"), ("b", "one"), ("c", "one")))
    apply(cfg)
    versions = dtmnb.state_history(cfg)
    assert len(versions) == 3                                           # one version per change, as dtm writes
    assert versions["run"].nunique() == 1 and set(versions["operation"]) == {"apply"}
    assert list(versions["tool"]) == ["local-file_c", "local-file_b", "local-file_a"]
    assert list(versions["step"]) == [3, 2, 1]
    assert versions["who"].str.startswith(f"{getpass.getuser()}@").all()
    first_run = versions["run"].iloc[0]

    cfg = s3_config(tmp_path, s3_target, key, files(("a", "one"), ("b", "two"), ("c", "one")))
    apply(cfg)
    runs = dtmnb.state_history(cfg, by="run")
    assert list(runs["operation"]) == ["apply", "apply"] and list(runs["writes"]) == [1, 3]
    assert runs["run"].iloc[1] == first_run and pd.isna(runs["before"].iloc[1])   # the first run began from nothing
    assert list(runs["tools"].iloc[1]) == ["local-file_a", "local-file_b", "local-file_c"]

    last = dtmnb.state_diff(cfg)                                         # before and after the latest run
    assert list(last[["key", "change", "path", "before", "after"]].itertuples(index=False, name=None)) == [
        ("local-file_b", "changed", "options.content", "one", "two"),
        ("local-file_b", "changed", "resource.outputs.sha256", last.iloc[1]["before"], last.iloc[1]["after"]),
        ("local-file_b", "changed", "resource.sha256", last.iloc[2]["before"], last.iloc[2]["after"]),
    ]
    whole_first = dtmnb.state_diff(cfg, run=first_run[:8])               # a run by (a prefix of) its id
    assert list(whole_first["change"]) == ["added", "added", "added"]
    assert whole_first.attrs["version_a"] == "(empty)"

    with pytest.raises(UsageError, match="no run 'nope'"):
        dtmnb.state_diff(cfg, run="nope")
    with pytest.raises(BackendError, match="state history"):
        dtmnb.state_diff(cfg, "no-such-version", versions["version_id"].iloc[0])


def test_history_by_run_on_the_local_backend(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, files(("a", "one"), ("b", "one"))))
    apply(cfg)
    versions = dtmnb.state_history(cfg)
    assert list(versions["version_id"]) == ["current", "backup"]
    assert list(versions["tool"]) == ["local-file_b", "local-file_a"] and versions["run"].nunique() == 1
    diff = dtmnb.state_diff(cfg)       # the local backend keeps one earlier version: the run's last change
    assert list(diff["key"]) == ["local-file_b"] and list(diff["change"]) == ["added"]
