"""The Apply/Cancel confirmation without a kernel: the button handlers are driven with Button.click()."""
from __future__ import annotations

import builtins
import sys

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")

from dtmnb import ui
from dtmnb.errors import BackendError, MissingDependencyError

PLAN = pd.DataFrame([
    {"step": 1, "key": "local-file_readme", "name": "local-file", "instance_id": "readme", "action": "Create",
     "reason": "Tool (local-file/readme) found in config but doesn't exist in the state, will be created.",
     "depends_on": []},
    {"step": 2, "key": "local-repo-scaffolding_app", "name": "local-repo-scaffolding", "instance_id": "app",
     "action": "Update", "reason": "Tool (local-repo-scaffolding/app) config drifted from the state, will be updated.",
     "depends_on": ["local-file.readme"]},
])


class FakeRunner:
    """Runs like the engine's runner: logs dtm's lines, reports progress, returns the result frame."""

    def __init__(self, fail_row: bool = False, raises: Exception | None = None):
        self.calls = 0
        self.fail_row = fail_row
        self.raises = raises

    def __call__(self, console):
        self.calls += 1
        console.log("info", "Start executing the plan.")
        console.log("info", "Changes count: 2.")
        console.log("debug", "not shown")
        if self.raises:
            raise self.raises
        rows = []
        for i, r in enumerate(PLAN.itertuples(), 1):
            console.log("info", f"Processing: ({r.name}/{r.instance_id}) -> {r.action} ...")
            status = "failed" if self.fail_row and i == 1 else ("skipped" if self.fail_row else "succeeded")
            rows.append({"key": r.key, "name": r.name, "instance_id": r.instance_id, "action": r.action,
                         "status": status, "error": "boom" if status == "failed" else "", "seconds": 0.01})
            console.progress(i, 2, f"Processing progress: {i}/2.")
        console.log("success", "Apply finished.")
        return pd.DataFrame(rows)


def log_text(pending) -> str:
    return "".join(o["text"] for o in pending.log.outputs)


def test_click_apply_runs_once_and_fills_result():
    runner = FakeRunner()
    p = ui.PendingApply(PLAN, runner)
    assert p.status == "pending" and p.result is None
    assert not p.apply_button.disabled
    p.apply_button.click()  # the same handler a browser click reaches
    assert p.status == "applied"
    assert runner.calls == 1
    assert list(p.result["status"]) == ["succeeded", "succeeded"]
    assert p.apply_button.disabled and p.cancel_button.disabled
    assert "applied: 2 change(s)" in p.status_line.value
    assert p.progress.value == p.progress.max == 2
    assert p.progress_label.value == "done"          # the final state, not the last step (issue 11)
    text = log_text(p)
    assert "ℹ [INFO]  Start executing the plan." in text
    assert "✔ [SUCCESS]  Apply finished." in text
    assert "not shown" not in text
    assert "Apply result: 2 succeeded" in p.result_table.value


def test_double_click_and_approve_after_click_are_idempotent():
    runner = FakeRunner()
    p = ui.PendingApply(PLAN, runner)
    p.apply_button.click()
    p.apply_button.click()
    result = p.approve()
    assert runner.calls == 1
    assert result is p.result
    assert p.status == "applied"


def test_cancel_changes_nothing():
    runner = FakeRunner()
    p = ui.PendingApply(PLAN, runner)
    p.cancel_button.click()
    assert p.status == "cancelled" and p.result is None and runner.calls == 0
    assert p.apply_button.disabled and p.cancel_button.disabled
    assert "cancelled: nothing was changed" in p.status_line.value
    p.apply_button.click()  # a late click after Cancel does nothing
    assert runner.calls == 0
    assert p.approve() is None and p.status == "cancelled"


def test_cancel_method_same_as_button():
    p = ui.PendingApply(PLAN, FakeRunner())
    p.cancel()
    assert p.status == "cancelled"
    assert repr(p) == "<PendingApply apply: 2 change(s), status=cancelled>"


def test_runner_error_is_recorded_then_raised_by_approve(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secretvalue123")
    err = BackendError("the state is locked by alice (token ghp_secretvalue123)")
    p = ui.PendingApply(PLAN, FakeRunner(raises=err))
    p.apply_button.click()  # the click handler records, never raises
    assert p.status == "failed" and p.error is err and p.result is None
    assert p.apply_button.disabled
    text = log_text(p)
    assert "[ERROR]  Apply failed => the state is locked by alice (token ***)." in text
    assert "ghp_secretvalue123" not in text + p.status_line.value
    with pytest.raises(BackendError):
        p.approve()


def test_failed_change_rows_mark_status_failed():
    p = ui.PendingApply(PLAN, FakeRunner(fail_row=True))
    result = p.approve()  # no exception: a failed change is a row, not a raise
    assert p.status == "failed" and p.error is None
    assert list(result["status"]) == ["failed", "skipped"]
    assert "1 failed, 1 skipped, 0 succeeded of 2 change(s)" in p.status_line.value


def test_delete_wording():
    p = ui.PendingApply(PLAN.iloc[:1], FakeRunner(), operation="delete")
    assert repr(p) == "<PendingApply delete: 1 change(s), status=pending>"
    assert "dtmnb delete" in p.title.value


def test_reprs_are_deterministic():
    a, b = ui.PendingApply(PLAN, FakeRunner()), ui.PendingApply(PLAN, FakeRunner())
    assert repr(a) == repr(b) == "<PendingApply apply: 2 change(s), status=pending>"
    bundle = a._repr_mimebundle_()
    assert bundle["text/plain"] == "<PendingApply apply: 2 change(s), status=pending>"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "0x" not in bundle["text/plain"]
    assert "local-repo-scaffolding_app" in bundle["text/html"] and "waiting: click Apply" in bundle["text/html"]


def test_box_has_css_class_and_buttons():
    p = ui.PendingApply(PLAN, FakeRunner())
    assert "dtmnb-confirm" in p.widget._dom_classes
    assert (p.apply_button.description, p.cancel_button.description) == ("Apply", "Cancel")
    assert "1 to create, 1 to update, 0 to delete" in p.title.value
    assert "local-repo-scaffolding_app" in p.plan_table.value


def test_widget_console_is_a_console():
    import ipywidgets as w

    from dtmnb.console import Console

    out = w.Output()
    bar = w.IntProgress()
    c = ui.WidgetConsole(out, bar)
    assert isinstance(c, Console) and c.confirm(PLAN) is True
    c.log("warn", "careful")
    c.progress(1, 4, "Processing progress: 1/4.")
    assert out.outputs[0]["name"] == "stdout" and "⚠ [WARN]  careful\n" in out.outputs[0]["text"]
    assert (bar.value, bar.max) == (1, 4)


def test_in_notebook_false_outside_a_kernel():
    assert ui.in_notebook() is False


def test_missing_ipywidgets_message(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "ipywidgets" or name.startswith("ipywidgets."):
            raise ImportError("No module named 'ipywidgets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "ipywidgets", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MissingDependencyError) as info:
        ui.PendingApply(PLAN, FakeRunner())
    message = str(info.value)
    assert "pip install 'dtmnb[notebook]'" in message
    assert "auto_approve=True" in message


def test_require_applied_passes_frames_and_stops_until_clicked():
    from dtmnb.errors import UsageError

    frame = PLAN.copy()
    assert ui.require_applied(frame) is frame
    p = ui.PendingApply(PLAN, FakeRunner())
    with pytest.raises(UsageError, match="waiting for you: click Apply"):
        ui.require_applied(p)
    p.apply_button.click()
    assert ui.require_applied(p) is p.result
    cancelled = ui.PendingApply(PLAN, FakeRunner())
    cancelled.cancel()
    with pytest.raises(UsageError, match="cancelled"):
        ui.require_applied(cancelled)
    broken = ui.PendingApply(PLAN, FakeRunner(raises=BackendError("locked by alice")))
    broken.apply_button.click()
    with pytest.raises(UsageError, match="failed: locked by alice"):
        ui.require_applied(broken)
    partly = ui.PendingApply(PLAN, FakeRunner(fail_row=True))
    partly.approve()
    assert list(ui.require_applied(partly)["status"]) == ["failed", "skipped"]


def test_not_applied_error_is_short_in_ipython():
    p = ui.PendingApply(PLAN, FakeRunner())
    with pytest.raises(ui.NotAppliedError) as info:
        ui.require_applied(p)
    assert info.value._render_traceback_() == [
        "NotAppliedError: the apply above is waiting for you: click Apply (or call .approve()) and run this cell "
        "again."]


# ---- with the real engine: apply() in a (pretend) notebook returns the confirmation --------------------

CONFIG = """\
config:
  state:
    backend: local
    options:
      stateFile: devstream.state
tools:
- name: local-file
  instanceID: hello
  options:
    path: hello.txt
    content: "hello\\n"
"""


@pytest.fixture
def notebook_cfg(tmp_path, monkeypatch):
    import dtmnb
    from dtmnb import console

    monkeypatch.setattr(console, "in_notebook", lambda: True)
    monkeypatch.setenv("DTMNB_AUTO_APPROVE", "")
    (tmp_path / "config.yaml").write_text(CONFIG)
    return dtmnb.load_config(tmp_path / "config.yaml")


def test_engine_apply_in_notebook_waits_for_the_click(notebook_cfg, tmp_path):
    import dtmnb

    p = dtmnb.apply(notebook_cfg)
    assert isinstance(p, ui.PendingApply)
    assert repr(p) == "<PendingApply apply: 1 change(s), status=pending>"
    assert not (tmp_path / "hello.txt").exists()
    p.apply_button.click()
    assert p.status == "applied", log_text(p)
    assert (tmp_path / "hello.txt").read_text() == "hello\n"
    assert list(p.result["status"]) == ["succeeded"]
    assert "Tool (local-file/hello) Create done." in log_text(p)
    assert "Apply finished." in log_text(p)
    assert p.progress.value == p.progress.max == 1
    assert list(dtmnb.read_state(notebook_cfg)["key"]) == ["local-file_hello"]


def test_engine_cancel_in_notebook_changes_nothing(notebook_cfg, tmp_path):
    import dtmnb

    p = dtmnb.apply(notebook_cfg)
    p.cancel_button.click()
    assert p.status == "cancelled"
    assert not (tmp_path / "hello.txt").exists()
    assert dtmnb.read_state(notebook_cfg).empty


def test_engine_lock_held_is_recorded_as_failed(notebook_cfg, tmp_path):
    import dtmnb
    from dtmnb.errors import LockHeldError

    p = dtmnb.apply(notebook_cfg)
    other = dtmnb.engine.open_backend(notebook_cfg)
    other.acquire("apply")
    try:
        p.apply_button.click()
    finally:
        other.release()
    assert p.status == "failed" and isinstance(p.error, LockHeldError)
    assert "Apply failed => the state" in log_text(p) and "is locked by" in log_text(p)
    assert not (tmp_path / "hello.txt").exists()


def test_interrupt_is_recorded_then_propagates():
    p = ui.PendingApply(PLAN, FakeRunner(raises=KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        p.approve()
    assert p.status == "failed" and "Apply failed => KeyboardInterrupt." in log_text(p)


def test_final_state_is_complete_and_the_saved_picture_shows_the_outcome():
    p = ui.PendingApply(PLAN, FakeRunner(fail_row=True))
    assert "Apply them?" in p.title.value and p.apply_button.button_style == "danger"
    p.approve()
    assert "Finished with errors." in p.title.value and "Apply them?" not in p.title.value
    assert p.progress.bar_style == "danger" and p.progress_label.value == "done"
    picture = p._repr_mimebundle_()["text/html"]
    assert "waiting: click Apply" not in picture
    assert "Start executing the plan." in picture and "1 failed, 1 skipped" in picture
    assert "Run Selected Cell and All Below" in picture


def test_apply_is_red_only_when_the_plan_deletes_or_replaces():
    assert ui.PendingApply(PLAN, FakeRunner(), destructive=False).apply_button.button_style == "primary"
    assert ui.PendingApply(PLAN, FakeRunner(), destructive=True).apply_button.button_style == "danger"


def test_display_is_updated_in_place_when_the_run_ends(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj, raw=False):
            shown.append(("update", obj["text/html"]))

    def fake_display(obj, raw=False, display_id=False):
        shown.append(("display", obj["text/html"]))
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", fake_display)
    p = ui.PendingApply(PLAN, FakeRunner())
    p._ipython_display_()
    p.apply_button.click()
    assert [kind for kind, _ in shown] == ["display", "update"]
    assert "waiting: click Apply" in shown[0][1] and "applied: 2 change(s)" in shown[1][1]


def test_status_line_sets_its_text_colour_with_its_background():
    p = ui.PendingApply(PLAN, FakeRunner())
    assert "background-color: #cce5ff; color: #004085;" in p.status_line.value
    p.cancel()
    assert "background-color: #e2e3e5; color: #383d41;" in p.status_line.value
