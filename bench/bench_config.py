"""Benchmark: load_config of 10, 100, 1,000 and 10,000 tools, as chains and as fan-out, on libyaml's C parser
and on PyYAML's pure-Python parser, with where the time goes.

Run: .venv/bin/python bench/bench_config.py [--sizes 10,100,1000,10000] [--repeats 3] [--json bench/config.json]
Prints one table (best of REPEATS, seconds) and writes the same figures as JSON. Not a timed test: the goal
(load_config of 10,000 tools under 1 s on libyaml) lives here.

The configs are the three-file form with variables in every tool, like the tutorial's:
- chain: tool i depends on tool i-1 (dependsOn, plus an outputs reference to it);
- fan-out: one root tool, every other tool depends on it.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dtmnb.config import load_config, loader, variables, yamldoc

GOAL_S = 1.0


def write_config(folder: Path, n: int, shape: str) -> Path:
    out = ["tools:"]
    for i in range(n):
        dep = None if i == 0 else f"local-file.f{i - 1}" if shape == "chain" else "local-file.f0"
        lines = ["- name: local-file", f"  instanceID: f{i}"]
        if dep:
            lines.append(f"  dependsOn: [\"{dep}\"]")
        lines += ["  options:", f"    path: \"[[ outDir ]]/[[ app.name ]]-{i}.txt\""]
        if dep:
            lines.append(f"    content: ${{{{ {dep}.outputs.path }}}}")
        else:
            lines.append("    content: \"hello from [[ app.owner ]]\"")
        out += lines
    (folder / "tools.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")
    (folder / "variables.yaml").write_text("outDir: out\napp:\n  name: demo\n  owner: IronCore864\n", encoding="utf-8")
    (folder / "config.yaml").write_text("varFile: variables.yaml\ntoolFile: tools.yaml\n\nstate:\n  backend: local\n"
                                        "  options:\n    stateFile: devstream.state\n", encoding="utf-8")
    return folder / "config.yaml"


@contextlib.contextmanager
def parser(name: str):
    """'pure-python' hides PyYAML's C extension, as on a PyYAML built without libyaml."""
    if name == "libyaml":
        yield
        return
    saved = sys.modules.get("yaml._yaml")
    sys.modules["yaml._yaml"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if saved is None:
            del sys.modules["yaml._yaml"]
        else:
            sys.modules["yaml._yaml"] = saved


class Phases:
    """Time spent in the loader's parts during one load (wrapping the module functions it calls)."""

    TARGETS = [(loader, "parse", "yaml"), (variables.Renderer, "render", "render"),
               (loader, "check_references", "refs"), (loader, "check_tools", "schemas")]

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.saved: list = []

    def __enter__(self) -> Phases:
        for owner, name, label in self.TARGETS:
            original = getattr(owner, name)
            self.saved.append((owner, name, original))
            setattr(owner, name, self.timed(original, label))
        return self

    def timed(self, fn, label):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - start
        return wrapper

    def __exit__(self, *exc) -> None:
        for owner, name, original in self.saved:
            setattr(owner, name, original)


def measure(path: Path, repeats: int) -> dict:
    best, phases = float("inf"), {}
    for _ in range(repeats):
        with Phases() as p:
            start = time.perf_counter()
            cfg = load_config(path)
            took = time.perf_counter() - start
        if took < best:
            best, phases = took, dict(p.spent)
    phases["checks"] = best - sum(phases.values())   # entries, sections, reading, Config
    return {"seconds": best, "tools": len(cfg.tools), "phases": phases}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.json"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in ("chain", "fan-out"):
            for n in sizes:
                folder = Path(tmp) / f"{shape}-{n}"
                folder.mkdir()
                path = write_config(folder, n, shape)
                for name in ("libyaml", "pure-python"):
                    with parser(name):
                        assert yamldoc.parser_name() == name
                        result = measure(path, args.repeats)
                    rows.append({"shape": shape, "tools": n, "parser": name, "bytes": (folder / "tools.yaml").stat()
                                 .st_size, **result})
    head = f"{'shape':8} {'tools':>6} {'parser':12} {'load s':>8} {'yaml':>7} {'render':>7} {'checks':>7} " \
           f"{'schemas':>7} {'refs':>6}"
    print(head)
    print("-" * len(head))
    for r in rows:
        p = r["phases"]
        print(f"{r['shape']:8} {r['tools']:>6} {r['parser']:12} {r['seconds']:8.3f} {p.get('yaml', 0):7.3f} "
              f"{p.get('render', 0):7.3f} {p.get('checks', 0):7.3f} {p.get('schemas', 0):7.3f} {p.get('refs', 0):6.3f}")
    big = [r for r in rows if r["tools"] == 10_000 and r["parser"] == "libyaml"]
    for r in big:
        verdict = "meets" if r["seconds"] < GOAL_S else "misses"
        print(f"{r['shape']}: 10,000 tools on libyaml in {r['seconds']:.3f} s {verdict} the goal (< {GOAL_S} s)")
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump({"goal_seconds_10000_libyaml": GOAL_S, "cpus": os.cpu_count(),
                   "load_average": os.getloadavg(), "rows": rows}, fh, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
