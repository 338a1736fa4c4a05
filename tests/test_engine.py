"""Engine behaviour a user relies on: dtm's plan algorithm, ordering, references, failures, persistence."""
from __future__ import annotations

import json

import pytest

import dtmnb
from dtmnb.console import QuietConsole
from dtmnb.errors import ConfigError, LockHeldError, PluginNotFoundError, StaleStateError
from dtmnb.state import parse_state

from ._engine_helpers import Recorder, write_config


@pytest.fixture(autouse=True)
def _reset_recorder():
    Recorder.reset()
    yield
    Recorder.reset()


def tools(*entries: str) -> str:
    return "tools:\n" + "".join(entries)


def tool(name="recorder", instance="a", depends=(), **options) -> str:
    opts = {"id": instance, **options}
    text = f"- name: {name}\n  instanceID: {instance}\n"
    if depends:
        text += "  dependsOn: [" + ", ".join(f'"{d}"' for d in depends) + "]\n"
    text += "  options:\n" + "".join(f"    {k}: {v!r}\n".replace("'", '"') for k, v in opts.items())
    return text


def run_apply(cfg, console=None):
    return dtmnb.apply(cfg, auto_approve=True, console=console or QuietConsole())


def stored(cfg):
    return parse_state((cfg.base_dir / "devstream.state").read_bytes(), "test").entries


def test_create_then_nothing_to_do(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    changes = dtmnb.plan(cfg)
    assert list(changes[["key", "action"]].itertuples(index=False)) == [("recorder_a", "Create")]
    assert changes.loc[0, "reason"] == ("Tool (recorder/a) found in config but doesn't exist in the state, "
                                        "will be created.")
    result = run_apply(cfg)
    assert list(result["status"]) == ["succeeded"]
    assert set(stored(cfg)) == {"recorder_a"}
    assert dtmnb.plan(cfg).empty
    console = QuietConsole()
    assert run_apply(cfg, console).empty
    assert "No changes done since last apply. There is nothing to do." in console.messages


def test_update_when_options_drift(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a", size=1))))
    run_apply(cfg)
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a", size=2))))
    changes = dtmnb.plan(cfg)
    assert list(changes["action"]) == ["Update"]
    assert changes.loc[0, "reason"] == "Tool (recorder/a) config drifted from the state, will be updated."


def test_create_when_read_finds_nothing_and_update_on_resource_drift(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"), tool(instance="b"))))
    run_apply(cfg)
    del Recorder.resources["a"]                       # deleted by hand
    Recorder.resources["b"]["outputs"]["url"] = "x"   # changed by hand
    changes = dtmnb.plan(cfg)
    assert list(changes[["key", "action"]].itertuples(index=False)) == [("recorder_a", "Create"),
                                                                         ("recorder_b", "Update")]
    assert changes.loc[0, "reason"].endswith("state found but it seems the tool isn't created, will be created.")
    assert changes.loc[1, "reason"] == "Tool (recorder/b) drifted from the state, will be updated."


def test_resource_compared_after_yaml_round_trip(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    run_apply(cfg)
    # yaml.v3 writes the float 7.0 as `7`, which reads back as the int 7: not drift (dtm v0.9, issue #975)
    Recorder.resources["a"] = {"id": "a", "outputs": {"url": "https://example.test/a", "n": 7.0}}
    assert dtmnb.plan(cfg).empty


def test_delete_removed_tools_in_reverse_dependency_order(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(
        tool(instance="base"), tool(instance="mid", depends=["recorder.base"]),
        tool(instance="top", depends=["recorder.mid"]), tool(instance="keep"))))
    result = run_apply(cfg)
    assert list(result["key"]) == ["recorder_base", "recorder_mid", "recorder_top", "recorder_keep"] or \
        list(result["key"]) == ["recorder_base", "recorder_keep", "recorder_mid", "recorder_top"]
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="keep"))))
    changes = dtmnb.plan(cfg)
    assert list(changes[["key", "action"]].itertuples(index=False)) == [
        ("recorder_top", "Delete"), ("recorder_mid", "Delete"), ("recorder_base", "Delete")]
    run_apply(cfg)
    assert [c[:2] for c in Recorder.calls[-3:]] == [("delete", "top"), ("delete", "mid"), ("delete", "base")]
    assert set(stored(cfg)) == {"recorder_keep"}


def test_dependency_order_and_steps(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(
        tool(instance="app", depends=["recorder.db"]), tool(instance="db"))))
    changes = dtmnb.plan(cfg)
    assert list(changes["key"]) == ["recorder_db", "recorder_app"]
    assert list(changes["step"]) == [1, 2]
    assert changes.loc[1, "depends_on"] == ["recorder.db"]


def test_outputs_references_resolved_before_each_change(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(
        tool(instance="a"),
        tool(instance="b", depends=["recorder.a"],
             both="${{ recorder.a.outputs.url }}|${{recorder.a.outputs.n}}", n="${{ recorder.a.outputs.n }}",
             items=["x-${{ recorder.a.outputs.url }}"]))))
    run_apply(cfg)
    options_b = stored(cfg)["recorder_b"].options
    assert options_b["both"] == "https://example.test/a|7"
    assert options_b["n"] == 7                       # a whole-string reference keeps the output's type
    assert options_b["items"] == ["x-https://example.test/a"]
    assert dtmnb.plan(cfg).empty                     # resolved options are stored: no false drift


def test_failed_change_skips_dependents_and_lets_others_run(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(
        tool(instance="a"), tool(instance="b", depends=["recorder.a"]),
        tool(instance="c", depends=["recorder.b"]), tool(instance="d"))))
    Recorder.fail = {"a"}
    console = QuietConsole()
    result = run_apply(cfg, console).set_index("key")
    assert result.loc["recorder_a", "status"] == "failed"
    assert "failed on purpose" in result.loc["recorder_a", "error"]
    assert result.loc["recorder_b", "status"] == "skipped"
    assert result.loc["recorder_c", "status"] == "skipped"
    assert result.loc["recorder_d", "status"] == "succeeded"
    assert set(stored(cfg)) == {"recorder_d"}        # exactly the changes that succeeded
    assert "Apply failed => some error(s) occurred during plugins apply process." in console.messages


def test_unresolvable_reference_fails_the_change(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(
        tool(instance="a"), tool(instance="b", depends=["recorder.a"], u="${{ recorder.a.outputs.nope }}"))))
    result = run_apply(cfg).set_index("key")
    assert result.loc["recorder_b", "status"] == "failed"
    assert "has no output 'nope'" in result.loc["recorder_b", "error"]


def test_unknown_plugin_is_a_clear_error(tmp_path):
    # the config names it: load_config says so, at its line, before anything runs (issue 8)
    with pytest.raises(ConfigError, match="tools.yaml:2: unknown plugin `no-such-plugin`"):
        dtmnb.load_config(write_config(tmp_path, tools(tool(name="no-such-plugin", instance="a"))))
    # only the state names it (e.g. written by another dtmnb with more plugins): plan says so
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    run_apply(cfg)
    state = tmp_path / "devstream.state"
    state.write_text(state.read_text().replace("recorder", "no-such-plugin"))
    with pytest.raises(PluginNotFoundError, match="unknown plugin 'no-such-plugin'"):
        dtmnb.plan(cfg)


def test_state_saved_after_every_change(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"), tool(instance="b"))))
    seen = []

    class Spy(QuietConsole):
        def progress(self, done, total, label):
            seen.append(set(stored(cfg)))

    run_apply(cfg, Spy())
    assert seen == [{"recorder_a"}, {"recorder_a", "recorder_b"}]


def test_lock_held_by_another_run(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    from dtmnb.backends import get_backend

    other = get_backend(cfg.state)
    holder = other.acquire("apply")
    with pytest.raises(LockHeldError) as err:
        run_apply(cfg)
    assert holder.id in str(err.value) and "operation 'apply'" in str(err.value)
    assert not Recorder.calls
    lock = dtmnb.lock_status(cfg)
    assert list(lock["id"]) == [holder.id]
    dtmnb.force_unlock(cfg, holder.id)
    assert dtmnb.lock_status(cfg).empty
    assert list(run_apply(cfg)["status"]) == ["succeeded"]
    assert not (tmp_path / "devstream.state.lock").exists()


def test_lock_released_after_failure(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    Recorder.fail = {"a"}
    run_apply(cfg)
    assert not (tmp_path / "devstream.state.lock").exists()


def test_state_changed_between_plan_and_apply_is_never_overwritten(tmp_path, monkeypatch):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    state_file = tmp_path / "devstream.state"
    hand_edit = b"someone_else:\n  name: someone\n  instanceid: else\n  dependson: []\n  options: {}\n  resource: {}\n"

    class EditWhileConfirming(QuietConsole):
        def confirm(self, changes):
            state_file.write_bytes(hand_edit)
            return True

    with pytest.raises(StaleStateError, match="changed after this plan was made"):
        dtmnb.apply(cfg, auto_approve=False, console=EditWhileConfirming())
    assert state_file.read_bytes() == hand_edit
    assert not Recorder.calls


def test_cancel_runs_nothing(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    result = dtmnb.apply(cfg, auto_approve=False, console=QuietConsole(answer=False))
    assert list(result["status"]) == ["skipped"] and not Recorder.calls
    assert not (tmp_path / "devstream.state").exists()


def test_auto_approve_from_environment(tmp_path, monkeypatch):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    monkeypatch.setenv("DTMNB_AUTO_APPROVE", "1")
    assert list(dtmnb.apply(cfg, console=QuietConsole(answer=False))["status"]) == ["succeeded"]


def test_delete_and_destroy(tmp_path):
    config = write_config(tmp_path, tools(tool(instance="a"), tool(instance="b", depends=["recorder.a"])))
    cfg = dtmnb.load_config(config)
    run_apply(cfg)
    result = dtmnb.delete(cfg, auto_approve=True, console=QuietConsole())
    assert list(result["key"]) == ["recorder_b", "recorder_a"]
    assert stored(cfg) == {} and (tmp_path / "devstream.state").read_bytes() == b""
    assert dtmnb.delete(cfg, auto_approve=True, console=QuietConsole()).empty
    forced = dtmnb.delete(cfg, force=True, auto_approve=True, console=QuietConsole())
    assert list(forced["key"]) == ["recorder_b", "recorder_a"]

    run_apply(cfg)
    cfg_other = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="z"))))
    destroyed = dtmnb.destroy(cfg_other, auto_approve=True, console=QuietConsole())
    assert list(destroyed["key"]) == ["recorder_b", "recorder_a"]     # from the state, not the config
    assert stored(cfg) == {}


def test_show_status_reports_drift(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"), tool(instance="b"), tool(instance="c"))))
    run_apply(cfg)
    Recorder.resources["b"]["outputs"]["url"] = "changed"
    del Recorder.resources["c"]
    status = dtmnb.show_status(cfg).set_index("key")
    assert status.loc["recorder_a", "status"] == "in sync" and not status.loc["recorder_a", "drifted"]
    assert status.loc["recorder_b", "status"] == "drifted"
    assert status.loc["recorder_b", "differences"] == ["outputs.url"]
    assert status.loc["recorder_c", "status"] == "gone"
    one = dtmnb.show_status(cfg, plugin="recorder", instance_id="b")
    assert list(one["key"]) == ["recorder_b"]


def test_read_state_frame(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    assert dtmnb.read_state(cfg).empty
    assert not (tmp_path / "devstream.state").exists()   # read-only commands create nothing
    run_apply(cfg)
    st = dtmnb.read_state(cfg)
    assert list(st.columns[:7]) == ["key", "name", "instance_id", "depends_on", "options", "resource", "outputs"]
    assert st.loc[0, "outputs"] == {"url": "https://example.test/a", "n": 7}
    assert isinstance(st.loc[0, "resource"], dict)


def test_history_and_diff_with_local_backup(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"))))
    run_apply(cfg)
    cfg = dtmnb.load_config(write_config(tmp_path, tools(tool(instance="a"), tool(instance="b"))))
    run_apply(cfg)
    history = dtmnb.state_history(cfg)
    assert list(history["version_id"]) == ["current", "backup"]
    assert list(history["tools"]) == [2, 1]
    diff = dtmnb.state_diff(cfg)
    assert list(diff[["key", "change"]].itertuples(index=False)) == [("recorder_b", "added")]


def test_a_lock_that_cannot_be_removed_keeps_the_result_and_says_all_was_saved(tmp_path, monkeypatch, capsys):
    from dtmnb import cli
    from dtmnb.backends.local import LocalBackend
    from dtmnb.errors import BackendError

    config = write_config(tmp_path, tools(tool(instance="a"), tool(instance="b")))

    def refuse(self, mine):
        raise BackendError("the disk refused to remove it")

    monkeypatch.setattr(LocalBackend, "_delete_lock_if", refuse)
    result = run_apply(dtmnb.load_config(config))
    assert list(result["status"]) == ["succeeded", "succeeded"]            # the result frame is not lost
    lock_id = json.loads((tmp_path / "devstream.state.lock").read_text())["id"]
    problem = result.attrs["problem"]
    assert lock_id in problem and "Every change listed as succeeded was saved" in problem
    assert set(stored(dtmnb.load_config(config))) == {"recorder_a", "recorder_b"}
    monkeypatch.undo()
    (tmp_path / "devstream.state.lock").unlink()
    Recorder.reset()
    (tmp_path / "devstream.state").unlink()
    monkeypatch.setattr(LocalBackend, "_delete_lock_if", refuse)
    assert cli.main(["apply", "-f", str(config), "-y"]) == 1                 # the CLI says so and exits 1
    err = capsys.readouterr().err
    assert "Apply failed =>" in err and "dtmnb state unlock -f CONFIG" in err and "was saved" in err
