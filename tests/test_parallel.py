"""apply(..., parallelism=N): independent changes at once, dependents after their dependencies, one writer
for the state, failures skip only their dependents. A plugin with a fixed latency and a concurrency gauge
(the number of calls in flight) makes the schedule observable without timing anything."""
from __future__ import annotations

import threading

import pytest

import dtmnb
from dtmnb.console import QuietConsole
from dtmnb.errors import PluginError
from dtmnb.plugins import Plugin, register_plugin
from dtmnb.state import parse_state

from ._engine_helpers import write_config


class Gauge(Plugin):
    """Each create waits on a barrier-like gate until ``width`` calls are in flight (or a short bound passes),
    so the test sees the widest concurrency the engine allows; records start/finish order."""

    name = "gauge"
    lock = threading.Lock()
    in_flight = 0
    widest = 0
    events: list = []
    made: dict = {}
    fail: set = set()
    gate: threading.Condition = threading.Condition()

    @classmethod
    def reset(cls):
        cls.in_flight = cls.widest = 0
        cls.events, cls.made, cls.fail = [], {}, set()

    def create(self, options):
        key = options["id"]
        with Gauge.gate:
            Gauge.in_flight += 1
            Gauge.widest = max(Gauge.widest, Gauge.in_flight)
            Gauge.events.append(("start", key))
            Gauge.gate.notify_all()
            # hold the call until as many as allowed are running (bounded, so a serial run still ends)
            Gauge.gate.wait_for(lambda: Gauge.in_flight >= options.get("width", 1), timeout=options.get("hold", 2))
            Gauge.in_flight -= 1
            Gauge.events.append(("end", key))
        if key in Gauge.fail:
            raise PluginError(f"gauge: {key} failed on purpose")
        Gauge.made[key] = {"id": key, "outputs": {"id": key}}
        return Gauge.made[key]

    def read(self, options):
        return Gauge.made.get(options["id"])

    def update(self, options, prior):
        return self.create(options)

    def delete(self, options):
        Gauge.made.pop(options["id"], None)


register_plugin("gauge", Gauge, clobber=True)


@pytest.fixture(autouse=True)
def _reset():
    Gauge.reset()
    yield
    Gauge.reset()


def tools(n: int, width: int, deps: dict | None = None, hold: float = 2) -> str:
    out = "tools:\n"
    for i in range(n):
        dep = (deps or {}).get(i)
        out += f"- name: gauge\n  instanceID: t{i}\n"
        if dep is not None:
            out += f"  dependsOn: [gauge.t{dep}]\n"
        out += f"  options: {{id: t{i}, width: {width}, hold: {hold}}}\n"
    return out


def test_independent_changes_run_up_to_parallelism_at_once(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(16, width=4)))
    result = dtmnb.apply(cfg, auto_approve=True, console=QuietConsole(), parallelism=4)
    assert (result["status"] == "succeeded").all()
    assert list(result["key"]) == [f"gauge_t{i}" for i in range(16)]          # the frame stays in plan order
    assert Gauge.widest == 4
    state = parse_state((tmp_path / "devstream.state").read_bytes(), "state")
    assert len(state) == 16                                                   # one writer saved every change
    assert dtmnb.plan(cfg).empty


def test_default_is_one_change_at_a_time_in_plan_order(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(5, width=3, hold=0.2)))
    dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
    assert Gauge.widest == 1
    assert Gauge.events == [(e, f"t{i}") for i in range(5) for e in ("start", "end")]


def test_dependents_wait_and_a_failure_skips_only_them(tmp_path):
    # t1 <- t2 <- t3 (chain), t4 and t5 independent; t1 fails
    cfg = dtmnb.load_config(write_config(tmp_path, tools(6, width=2, deps={2: 1, 3: 2}, hold=0.5)))
    Gauge.fail = {"t1"}
    console = QuietConsole()
    result = dtmnb.apply(cfg, auto_approve=True, console=console, parallelism=3).set_index("key")
    assert result.loc["gauge_t1", "status"] == "failed"
    assert list(result.loc[["gauge_t2", "gauge_t3"], "status"]) == ["skipped", "skipped"]
    assert (result.loc[["gauge_t0", "gauge_t4", "gauge_t5"], "status"] == "succeeded").all()
    assert not any(key in ("t2", "t3") for _, key in Gauge.events)
    state = parse_state((tmp_path / "devstream.state").read_bytes(), "state")
    assert set(state.entries) == {"gauge_t0", "gauge_t4", "gauge_t5"}
    assert "gauge/t1 Create failed with error: gauge: t1 failed on purpose" in console.messages


def test_a_dependent_starts_only_after_its_dependency_ended(tmp_path):
    cfg = dtmnb.load_config(write_config(tmp_path, tools(4, width=2, deps={1: 0, 3: 2}, hold=0.5)))
    dtmnb.apply(cfg, auto_approve=True, console=QuietConsole(), parallelism=4)
    for dep, child in (("t0", "t1"), ("t2", "t3")):
        assert Gauge.events.index(("end", dep)) < Gauge.events.index(("start", child))


def test_parallelism_on_the_command_line(tmp_path, capsys):
    from dtmnb import cli

    config = write_config(tmp_path, tools(6, width=3))
    assert cli.main(["apply", "-f", str(config), "-y", "--parallelism", "3"]) == 0
    assert Gauge.widest == 3


def test_parallelism_must_be_a_positive_number(tmp_path, capsys):
    from dtmnb import cli

    config = write_config(tmp_path, tools(1, width=1))
    with pytest.raises(SystemExit) as exit_:
        cli.main(["apply", "-f", str(config), "-y", "--parallelism", "0"])
    assert exit_.value.code == 2 and "must be at least 1" in capsys.readouterr().err
