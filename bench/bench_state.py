"""Benchmark: read and write a 10,000-tool, tutorial-like dtm state with dtmnb.state.

Run: .venv/bin/python bench/bench_state.py [N_TOOLS] [REPEATS]
Prints a small table: read seconds, write seconds (first run and best of REPEATS), bytes. Not a timed test.
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from dtmnb.state import State, ToolState, format_state, parse_state


def tutorial_like(n: int) -> State:
    """n entries shaped like the S3 tutorial's github-repo-scaffolding-golang state, with some variety."""
    state = State()
    for i in range(n):
        name = ("github-repo-scaffolding-golang", "argocd", "jenkins-pipeline", "githubactions-golang")[i % 4]
        iid = f"app-{i:05d}"
        repo = f"dtm-test-go-{i}"
        deps = [f"github-repo-scaffolding-golang.app-{i - 1:05d}"] if i % 4 and i else []
        options = {
            "owner": "IronCore864", "org": "", "repo": repo, "branch": "main",
            "image_repo": f"ironcore864/{repo}", "version": "1.18", "replicas": i % 7,
            "labels": {"team": "platform", "tier": ("web", "api", "db")[i % 3], "on": "yes"},
            "description": f"Service number {i}.\nManaged by DevStream.\n",
        }
        resource = {
            "owner": "IronCore864", "org": "", "repoName": repo,
            "outputs": {"owner": "IronCore864", "org": "", "repo": repo,
                        "repoURL": f"https://github.com/IronCore864/{repo}.git"},
        }
        state.put(ToolState(name, iid, deps, options, resource))
    return state


def timings(fn, repeats: int) -> tuple[float, float]:
    """(first run, best run): the first pays for filling dtmnb's string caches, later ones reuse them
    (as the repeated saves of one apply do)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times[0], min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    state = tutorial_like(n)
    def write_fresh():
        state._rendered.clear()   # time a full render, not the per-entry cache apply relies on
        return format_state(state)

    write_first, write_best = timings(write_fresh, repeats)
    data = format_state(state)
    read_first, read_best = timings(lambda: parse_state(data, "bench"), repeats)
    assert format_state(parse_state(data, "bench")) == data, "round trip changed the bytes"
    rows = [("tools", f"{n:,}", ""), ("bytes", f"{len(data):,}", ""),
            ("read (parse_state) s", f"{read_first:.3f}", f"{read_best:.3f}"),
            ("write (format_state) s", f"{write_first:.3f}", f"{write_best:.3f}")]
    width = max(len(k) for k, _, _ in rows)
    print(f"{'measure':<{width}} | {'first run':>10} | best of {repeats}")
    print(f"{'-' * width}-+-{'-' * 10}-+-{'-' * 10}")
    for k, first, best in rows:
        print(f"{k:<{width}} | {first:>10} | {best}")


if __name__ == "__main__":
    main()
