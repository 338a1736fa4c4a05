"""Benchmark: the whole engine at 10, 100, 1,000 and 10,000 tools, as chains and as fan-out — one table.

    .venv/bin/python bench/bench_engine.py [--sizes 10,100,1000,10000] [--latency 0.01] [--json PATH]

Columns (milliseconds unless said; best of --repeats):
  load        load_config of the config (libyaml)
  read/write  parse_state / format_state of a state of that many tools (dtm's layout); Go: the same file
              decoded / encoded by Go's yaml.v3 (tests/go_peer), when Go is installed
  plan        plan against an empty state (every tool a Create)
  replan      plan against the applied state (every tool read back; nothing to do)
  frames      the plan, result and state DataFrames
  apply p1/p8 seconds to apply with parallelism 1 and 8, each change taking --latency seconds in its
              plugin (fan-out: one root, the rest independent of each other); only up to --apply-max tools,
              as the state is rewritten after every change (dtm's rule): 10,000 changes write 10,000 states
  s3 plan/apply  HTTP requests to the S3 sandbox (moto) for a plan and for an apply of every tool
  import      `import dtmnb` + load + plan of one tool, beyond importing pandas (printed once)

Not a test: targets live here (docs/performance.md). Prints the table and writes JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import dtmnb  # noqa: E402
from dtmnb import frames  # noqa: E402
from dtmnb.console import QuietConsole  # noqa: E402
from dtmnb.engine import Operation, make_plan, open_backend  # noqa: E402
from dtmnb.plugins import Plugin, register_plugin  # noqa: E402
from dtmnb.state import format_state, parse_state  # noqa: E402


class Latency(Plugin):
    """Takes ``latency`` seconds per create/delete; keeps its resources in memory."""

    name = "bench-latency"
    made: dict = {}
    lock = threading.Lock()

    def create(self, options):
        time.sleep(float(options.get("latency", 0)))
        with Latency.lock:
            Latency.made[options["id"]] = {"id": options["id"], "outputs": {"id": options["id"]}}
        return Latency.made[options["id"]]

    def read(self, options):
        return Latency.made.get(options["id"])

    def update(self, options, prior):
        return self.create(options)

    def delete(self, options):
        Latency.made.pop(options["id"], None)


register_plugin("bench-latency", Latency, clobber=True)


def write_config(folder: Path, n: int, shape: str, latency: float, state: str = "") -> Path:
    lines = ["tools:"]
    for i in range(n):
        lines.append(f"- name: bench-latency\n  instanceID: t{i}")
        if i and shape == "chain":
            lines.append(f"  dependsOn: [bench-latency.t{i - 1}]")
        elif i and shape == "fan-out":
            lines.append("  dependsOn: [bench-latency.t0]")
        lines.append(f"  options: {{id: t{i}, latency: {latency}}}")
    (folder / "tools.yaml").write_text("\n".join(lines) + "\n")
    (folder / "config.yaml").write_text("toolFile: tools.yaml\n" + (state or "state:\n  backend: local\n"))
    return folder / "config.yaml"


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def apply_seconds(folder: Path, n: int, shape: str, latency: float, parallelism: int) -> float:
    Latency.made = {}
    for f in folder.glob("devstream.state*"):
        f.unlink()
    cfg = dtmnb.load_config(write_config(folder, n, shape, latency))
    t0 = time.perf_counter()
    result = dtmnb.apply(cfg, auto_approve=True, console=QuietConsole(), parallelism=parallelism)
    seconds = time.perf_counter() - t0
    assert (result["status"] == "succeeded").all()
    return seconds


def go_times(peer: Path | None, data: bytes) -> tuple[float | None, float | None]:
    if peer is None:
        return None, None
    from bench_state import go_round

    decode, encode = go_round(peer, data, 1)
    return decode, encode


def s3_requests(n: int, shape: str) -> tuple[int, int]:
    """(requests of a plan, requests of an apply of all n tools) against the moto sandbox."""
    import botocore.session

    counted: list[str] = []
    real = botocore.session.Session.create_client

    def create_client(self, *args, **kwargs):
        client = real(self, *args, **kwargs)
        client.meta.events.register("before-send", lambda request, **_: counted.append(request.method))
        return client

    state = ("state:\n  backend: s3\n  options:\n    bucket: devstream-test-remote-state\n"
             "    region: ap-southeast-1\n    key: bench/devstream.state\n")
    botocore.session.Session.create_client = create_client
    try:
        with dtmnb.sandbox.start(s3="moto"), tempfile.TemporaryDirectory() as tmp:
            Latency.made = {}
            cfg = dtmnb.load_config(write_config(Path(tmp), n, shape, 0, state))
            counted.clear()
            dtmnb.plan(cfg)
            plan = len(counted)
            counted.clear()
            dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
            return plan, len(counted)
    finally:
        botocore.session.Session.create_client = real


def import_ms() -> float:
    code = ("import time, pandas; t = time.perf_counter(); import dtmnb, tempfile, pathlib;"
            "d = pathlib.Path(tempfile.mkdtemp());"
            "(d / 'c.yaml').write_text('config:\\n  state: {backend: local}\\ntools:\\n- name: local-file\\n"
            "  instanceID: a\\n  options: {path: a.txt}\\n');"
            "dtmnb.plan(dtmnb.load_config(d / 'c.yaml')); print((time.perf_counter() - t) * 1000)")
    # as a user's machine runs it: bytecode cached (the first run writes it, and is not counted)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 env=env).stdout) for _ in range(4)]
    return min(runs[1:])


def measure(n: int, shape: str, args: argparse.Namespace, peer: Path | None) -> dict:
    row: dict = {"shape": shape, "tools": n}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_config(folder, n, shape, 0)
        row["load"] = best(lambda: dtmnb.load_config(path), args.repeats) * 1000
        cfg = dtmnb.load_config(path)
        Latency.made = {}
        plan_holder: list = []

        def plan_empty():
            plan_holder[:] = [make_plan(cfg, Operation.APPLY, open_backend(cfg))[0]]
        row["plan"] = best(plan_empty, args.repeats) * 1000
        dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
        data = (folder / "devstream.state").read_bytes()
        row["read"] = best(lambda: parse_state(data, "bench"), args.repeats) * 1000
        state = parse_state(data, "bench")
        fresh = [parse_state(data, "bench") for _ in range(args.repeats)]   # format_state caches per State
        row["write"] = best(lambda: format_state(fresh.pop()), args.repeats) * 1000
        row["go_read"], row["go_write"] = [None if t is None else t * 1000 for t in go_times(peer, data)]
        row["replan"] = best(lambda: make_plan(cfg, Operation.APPLY, open_backend(cfg)), args.repeats) * 1000
        row["frames"] = best(lambda: (frames.plan_frame(plan_holder[0]), frames.state_frame(state)),
                             args.repeats) * 1000
        if n <= args.apply_max:
            row["apply_p1"] = apply_seconds(folder, n, shape, args.latency, 1)
            row["apply_p8"] = apply_seconds(folder, n, shape, args.latency, 8)
        if n <= args.s3_max:
            row["s3_plan"], row["s3_apply"] = s3_requests(n, shape)
    return row


def fmt(v, digits: int = 1) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}" if isinstance(v, float) else f"{v:,}"


def table(rows: list[dict], latency: float) -> str:
    head = (f"{'shape':>7} {'tools':>6} {'load':>8} {'read':>8} {'Go read':>8} {'write':>8} {'Go write':>8} "
            f"{'plan':>8} {'replan':>8} {'frames':>7} {'apply p1 s':>10} {'apply p8 s':>10} {'s3 plan':>7} "
            f"{'s3 apply':>8}")
    out = [head, "-" * len(head)]
    for r in rows:
        out.append(f"{r['shape']:>7} {r['tools']:>6} {fmt(r['load']):>8} {fmt(r['read']):>8} {fmt(r['go_read']):>8} "
                   f"{fmt(r['write']):>8} {fmt(r['go_write']):>8} {fmt(r['plan']):>8} {fmt(r['replan']):>8} "
                   f"{fmt(r['frames']):>7} {fmt(r.get('apply_p1'), 2):>10} {fmt(r.get('apply_p8'), 2):>10} "
                   f"{fmt(r.get('s3_plan')):>7} {fmt(r.get('s3_apply')):>8}")
    out.append(f"(milliseconds unless said; apply: each change takes {latency * 1000:.0f} ms in its plugin)")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--shapes", default="chain,fan-out")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds each change takes in its plugin")
    ap.add_argument("--apply-max", type=int, default=100, help="largest size applied with the latency plugin")
    ap.add_argument("--s3-max", type=int, default=100, help="largest size whose S3 requests are counted")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "engine.json"))
    args = ap.parse_args()
    peer = None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            from bench_state import build_peer

            peer, note = build_peer(Path(tmp))
        except Exception as exc:  # the Go columns are optional
            note = f"Go peer unavailable: {exc}"
        print(note if peer is None else "Go columns: tests/go_peer built with the local Go and yaml.v3")
        rows = [measure(int(n), shape, args, peer) for shape in args.shapes.split(",")
                for n in args.sizes.split(",")]
    imported = import_ms()
    print(table(rows, args.latency))
    print(f"import dtmnb + load + plan of 1 tool, beyond pandas: {imported:.0f} ms (goal < 150 ms)")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"rows": rows, "import_ms": imported, "latency": args.latency}, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
