"""After a run is killed between a plugin's effect and the state write: the next run names the change that
was in flight (from the intent the dead run's lock holds), and import takes the leftover under management."""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest

import dtmnb
from dtmnb.console import QuietConsole
from dtmnb.errors import LockHeldError

from ._engine_helpers import write_config

TOOLS = "tools:\n" + "".join(
    f"- name: local-file\n  instanceID: f{i}\n  options: {{path: f{i}.txt, content: '{i}'}}\n" for i in range(1, 6))

# Runs the apply in another process; the third file's create writes its file, says so, then hangs: a kill
# then lands exactly between the plugin's effect and the state write.
SCRIPT = """
import sys, time, dtmnb
from dtmnb.plugins.local_file import LocalFile

create = LocalFile.create
def create_then_hang(self, options):
    resource = create(self, options)
    if options["path"] == "f3.txt":
        print("f3 written", flush=True)
        time.sleep(120)
    return resource
LocalFile.create = create_then_hang
dtmnb.apply(dtmnb.load_config(sys.argv[1]), auto_approve=True)
"""


@pytest.fixture
def killed_run(tmp_path):
    config = write_config(tmp_path, TOOLS)
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(config)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().strip() == "f3 written"     # handshake: the effect happened
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    return dtmnb.load_config(config)


def test_next_run_names_the_change_in_flight_and_how_to_recover(killed_run, tmp_path):
    assert list(dtmnb.read_state(killed_run)["key"]) == ["local-file_f1", "local-file_f2"]
    with pytest.raises(LockHeldError) as err:
        dtmnb.apply(killed_run, auto_approve=True, console=QuietConsole())
    message = str(err.value)
    assert "no longer running, so the lock is stale" in message
    assert "The run had planned 5 change(s); 2 are recorded in the state." in message
    assert "Step 3, local-file_f3 Create, was probably running when it stopped" in message
    assert "dtmnb state unlock -f CONFIG" in message and "dtmnb import -f CONFIG NAME.INSTANCE" in message
    lock = dtmnb.lock_status(killed_run)
    assert bool(lock.loc[0, "stale"]) and lock.loc[0, "intent"][2] == "3 local-file_f3 Create"

    dtmnb.force_unlock(killed_run, lock.loc[0, "id"])
    result = dtmnb.apply(killed_run, auto_approve=True, console=QuietConsole()).set_index("key")
    assert result.loc["local-file_f3", "status"] == "failed"
    assert "already exists" in result.loc["local-file_f3", "error"]
    assert (result.drop("local-file_f3")["status"] == "succeeded").all()
    dtmnb.import_tool(killed_run, "local-file.f3", console=QuietConsole())
    assert dtmnb.plan(killed_run).empty
    assert (tmp_path / "f3.txt").read_text() == "3"
