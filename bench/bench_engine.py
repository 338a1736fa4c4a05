"""Benchmark: plan and apply N local-file tools on the local backend (state rewritten after each change).

    .venv/bin/python bench/bench_engine.py [N ...]      # default: 10 100 500

Prints a table; not a test. dtm rewrites the whole state after every change too, so apply is O(N^2)
in bytes written; this shows where that starts to matter.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import dtmnb
from dtmnb.console import QuietConsole


def write_config(folder: Path, n: int) -> Path:
    tools = "".join(f"- name: local-file\n  instanceID: f{i}\n  options:\n    path: files/f{i}.txt\n"
                    f"    content: \"file {i}\"\n" for i in range(n))
    (folder / "tools.yaml").write_text("tools:\n" + tools)
    (folder / "config.yaml").write_text("toolFile: tools.yaml\nstate:\n  backend: local\n")
    return folder / "config.yaml"


def measure(n: int) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_config(Path(tmp), n)
        t0 = time.perf_counter()
        cfg = dtmnb.load_config(path)
        t1 = time.perf_counter()
        dtmnb.plan(cfg)
        t2 = time.perf_counter()
        dtmnb.apply(cfg, auto_approve=True, console=QuietConsole())
        t3 = time.perf_counter()
        dtmnb.plan(cfg)           # every tool in the state: Read of each, no changes
        t4 = time.perf_counter()
        size = (Path(tmp) / "devstream.state").stat().st_size
    return n, t1 - t0, t2 - t1, t3 - t2, t4 - t3, size


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10, 100, 500]
    print(f"{'tools':>6} {'load s':>8} {'plan s':>8} {'apply s':>8} {'replan s':>9} {'state bytes':>12}")
    for n in sizes:
        row = measure(n)
        print(f"{row[0]:>6} {row[1]:>8.3f} {row[2]:>8.3f} {row[3]:>8.3f} {row[4]:>9.3f} {row[5]:>12}")


if __name__ == "__main__":
    main(sys.argv[1:])
