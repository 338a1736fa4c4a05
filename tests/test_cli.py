"""The dtmnb command as a user meets it: exit codes, dtm's log wording, the prompt, one-line errors."""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dtmnb import cli
from dtmnb.console import TerminalConsole
from dtmnb.state import parse_state

from ._engine_helpers import Recorder, write_config

TUTORIAL_LOCAL = Path(__file__).parent / "fixtures" / "tutorial_local"


def dtmnb_cmd(*args, cwd, stdin=subprocess.DEVNULL, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "dtmnb.cli", *args], cwd=cwd, stdin=stdin, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture
def tutorial(tmp_path):
    folder = tmp_path / "tutorial"
    shutil.copytree(TUTORIAL_LOCAL, folder)
    return folder


def test_tutorial_with_offline_twin_end_to_end(tutorial):
    first = dtmnb_cmd("apply", "-f", "config.yaml", "-y", cwd=tutorial)
    assert first.returncode == 0, first.stderr
    lines = [line.split(" ", 2)[2] for line in first.stderr.splitlines()]
    assert lines[:3] == [
        "ℹ [INFO]  Apply started.",
        "ℹ [INFO]  Using local backend. State file: devstream.state.",
        "ℹ [INFO]  Tool (local-repo-scaffolding/default) found in config but doesn't exist in the state, "
        "will be created.",
    ]
    assert "ℹ [INFO]  -------------------- [  Processing progress: 1/1.  ] --------------------" in lines
    assert lines[-2:] == ["✔ [SUCCESS]  All plugins applied successfully.", "✔ [SUCCESS]  Apply finished."]
    state = parse_state((tutorial / "devstream.state").read_bytes(), "devstream.state")
    entry = state.entries["local-repo-scaffolding_default"]
    assert entry.options == {"branch": "main", "image_repo": "ironcore864/dtm-test-go", "org": "",
                             "owner": "IronCore864", "repo": "dtm-test-go"}
    assert entry.resource["outputs"]["repo"] == "dtm-test-go"
    text = (tutorial / "devstream.state").read_text()
    assert text.startswith("local-repo-scaffolding_default:\n  name: local-repo-scaffolding\n  instanceid: default\n"
                           "  dependson: []\n  options:\n")
    assert (tutorial / "repos" / "dtm-test-go" / "cmd" / "dtm-test-go" / "main.go").is_file()

    second = dtmnb_cmd("apply", "-f", "config.yaml", "-y", cwd=tutorial)
    assert second.returncode == 0
    assert "No changes done since last apply. There is nothing to do." in second.stderr

    shutil.rmtree(tutorial / "repos" / "dtm-test-go")
    plan = dtmnb_cmd("plan", "-f", "config.yaml", cwd=tutorial)
    assert plan.returncode == 0
    assert "Create" in plan.stdout and "state found but it seems the tool isn't created" in plan.stdout


def test_config_from_another_directory(tutorial, tmp_path):
    result = dtmnb_cmd("apply", "-f", str(tutorial / "config.yaml"), "-y", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tutorial / "devstream.state").exists() and (tutorial / "repos" / "dtm-test-go").is_dir()


def test_refuses_without_terminal_and_without_yes(tutorial):
    result = dtmnb_cmd("apply", "-f", "config.yaml", cwd=tutorial)
    assert result.returncode == 2
    assert "standard input is not a terminal" in result.stderr and "-y/--yes" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tutorial / "devstream.state").exists()


def test_missing_config_exits_2_with_one_clear_line(tmp_path):
    result = dtmnb_cmd("apply", "-f", "nope.yaml", "-y", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_debug_shows_traceback(tmp_path):
    result = dtmnb_cmd("--debug", "plan", "-f", "nope.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_usage_error_exits_2(tmp_path):
    assert dtmnb_cmd("frobnicate", cwd=tmp_path).returncode == 2


@pytest.fixture
def recorder_config(tmp_path):
    Recorder.reset()
    yield write_config(tmp_path, """
        tools:
        - name: recorder
          instanceID: a
          options: {id: a}
        - name: recorder
          instanceID: b
          dependsOn: ["recorder.a"]
          options: {id: b}
    """)
    Recorder.reset()


def test_failed_change_exits_1(recorder_config, capsys):
    Recorder.fail = {"a"}
    assert cli.main(["apply", "-f", str(recorder_config), "-y"]) == 1
    err = capsys.readouterr().err
    assert "recorder/a Create failed with error: recorder: create of a failed on purpose" in err
    assert "Apply failed => some error(s) occurred during plugins apply process." in err


def test_state_list_show_lock_unlock(recorder_config, capsys):
    assert cli.main(["apply", "-f", str(recorder_config), "-y"]) == 0
    capsys.readouterr()
    assert cli.main(["state", "list", "-f", str(recorder_config)]) == 0
    out = capsys.readouterr().out
    assert "recorder_a" in out and "recorder_b" in out
    assert cli.main(["state", "show", "-f", str(recorder_config)]) == 0
    assert capsys.readouterr().out == (recorder_config.parent / "devstream.state").read_text()
    assert cli.main(["state", "unlock", "-f", str(recorder_config), "no-such-id"]) == 1
    assert "is not locked" in capsys.readouterr().err
    assert cli.main(["show", "status", "-f", str(recorder_config), "-a"]) == 0
    assert "in sync" in capsys.readouterr().out


@pytest.mark.parametrize("answers, applied", [("y\n", True), ("n\n", False), ("\n", False), ("", False),
                                              ("Y\nmaybe\ny\n", True)])
def test_terminal_prompt_like_dtm(answers, applied):
    out = io.StringIO()
    console = TerminalConsole(stream=io.StringIO(), stdin=io.StringIO(answers), stdout=out)
    assert console.confirm(None) is applied
    text = out.getvalue()
    assert text.startswith("Continue? [y/n]\nEnter a value (Default is n): ")
    if "maybe" in answers:
        assert text.count("Failed to validate input string: input must be y or n") == 2


def test_killed_mid_run_state_records_exactly_what_succeeded(tmp_path):
    """Kill -9 during the second change: the first is in the state, the state file is whole, no tmp left."""
    config = write_config(tmp_path,
                          "tools:\n- name: local-file\n  instanceID: one\n  options: {path: one.txt, content: '1'}\n"
                          "- name: slow\n  instanceID: two\n  dependsOn: [local-file.one]\n  options: {}\n")
    script = textwrap.dedent(f"""
        import time, dtmnb
        from dtmnb.plugins import Plugin, register_plugin
        class Slow(Plugin):
            name = "slow"
            def create(self, options):
                print("slow started", flush=True)
                time.sleep(60)
                return {{}}
            def read(self, options):
                return None
            def delete(self, options):
                pass
        register_plugin("slow", Slow)
        dtmnb.apply(dtmnb.load_config({str(config)!r}), auto_approve=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "slow started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    state = parse_state((tmp_path / "devstream.state").read_bytes(), "devstream.state")
    assert set(state.entries) == {"local-file_one"}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # the dead run's lock stays and names its holder until someone removes it
    lock = (tmp_path / "devstream.state.lock").read_text()
    assert '"operation": "apply"' in lock


def test_show_config_prints_samples_templates_and_plugin_options(tmp_path, capsys):
    assert cli.main(["show", "config"]) == 0
    assert "tools:" in capsys.readouterr().out
    assert cli.main(["show", "config", "-t", "quickstart"]) == 0
    quickstart = capsys.readouterr().out
    assert "githubactions-golang" in quickstart and "${{ github-repo-scaffolding-golang.default.outputs" in quickstart
    assert cli.main(["show", "config", "-p", "local-file"]) == 0
    assert "path: out/hello.txt" in capsys.readouterr().out
    assert cli.main(["show", "config", "-t", "quickstat"]) == 2
    assert "illegal template name : < quickstat > (did you mean `quickstart`?)" in capsys.readouterr().err
    assert cli.main(["show", "config", "-p", "argocd"]) == 2
    assert "argocd" in capsys.readouterr().err


def test_version_and_python_dash_m(tmp_path):
    result = subprocess.run([sys.executable, "-m", "dtmnb", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip().startswith("dtmnb ")


def test_empty_state_commands_say_so(recorder_config, capsys):
    for command in (["state", "show"], ["state", "list"], ["state", "lock"]):
        assert cli.main([*command, "-f", str(recorder_config)]) == 0
        err = capsys.readouterr().err
        assert "empty" in err or "not locked" in err, command
    assert cli.main(["state", "history", "-f", str(recorder_config)]) == 0
    assert "no versions yet" in capsys.readouterr().err


def test_plan_ends_with_a_summary_line(recorder_config, capsys):
    assert cli.main(["plan", "-f", str(recorder_config)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete."


def test_answering_no_changes_nothing_and_says_so(recorder_config, capsys, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    assert cli.main(["apply", "-f", str(recorder_config)]) == 0
    assert "Apply cancelled: nothing was changed." in capsys.readouterr().err
    assert not (recorder_config.parent / "devstream.state").exists()


def test_unlock_of_an_unlocked_state_reads_as_a_sentence(recorder_config, capsys):
    assert cli.main(["state", "unlock", "-f", str(recorder_config), "some-id"]) == 1
    err = capsys.readouterr().err
    assert "dtmnb state unlock failed => the state" in err and "is not locked; nothing to unlock" in err


def test_python_api_without_terminal_names_auto_approve(recorder_config, monkeypatch):
    import dtmnb
    from dtmnb.errors import UsageError

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(UsageError, match=r"auto_approve=True in Python"):
        dtmnb.apply(dtmnb.load_config(recorder_config))
