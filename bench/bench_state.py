"""Benchmark: dtmnb's state read and write side by side with Go's yaml.v3, on the same files, in one run.

Run: .venv/bin/python bench/bench_state.py [--sizes 10,100,1000,10000] [--repeats 5] [--json PATH]

For each size, a state is built in dtm's own layout (the tutorial's entry, one per tool: ~450 bytes each,
4.5 MB at 10,000 tools) and in a mixed layout (labels, a multi-line description, numbers, a dependency).
Go's yaml.v3 writes the file (tests/go_peer, built here when ``go`` is installed), then each round times,
in turn: Go's ``yaml.Unmarshal`` and ``Encoder.Encode`` (timed inside the peer), dtmnb's
``parse_state`` of Go's bytes and a fresh ``format_state`` of the result (no per-entry cache), which must
give Go's bytes again. The table shows the best round of each. Goals at 10,000 tools: read <= 1.0x Go,
write <= 0.7x Go. Without Go, dtmnb's own bytes are used and the Go columns stay empty.
Results are also written as JSON (default bench/results/state.json). Not a timed test.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dtmnb.state import State, ToolState, format_state, parse_state  # noqa: E402 - after the path above

PEER_SOURCE = ROOT / "tests" / "go_peer"


def dtm_layout(n: int) -> State:
    """n entries shaped exactly like the S3 tutorial's github-repo-scaffolding-golang state."""
    state = State()
    for i in range(n):
        repo = f"dtm-test-go-{i}"
        state.put(ToolState(
            "github-repo-scaffolding-golang", f"app-{i:05d}", [],
            {"owner": "IronCore864", "org": "", "repo": repo, "branch": "main", "image_repo": f"ironcore864/{repo}"},
            {"owner": "IronCore864", "org": "", "repoName": repo,
             "outputs": {"owner": "IronCore864", "org": "", "repo": repo,
                         "repoURL": f"https://github.com/IronCore864/{repo}.git"}}))
    return state


def tutorial_like(n: int) -> State:
    """n entries shaped like the tutorial's state, with more variety (the "mixed" layout)."""
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


LAYOUTS = {"dtm": dtm_layout, "mixed": tutorial_like}


def build_peer(out: Path) -> tuple[Path | None, str]:
    """The Go peer binary, or None and why not (GOPATH mode with Debian's packaged yaml.v3, no network)."""
    go = shutil.which("go")
    if not go:
        return None, "go is not installed (apt-get install golang-go golang-gopkg-yaml.v3-dev)"
    gopath = [p for p in (os.environ.get("GOPATH", ""), "/usr/share/gocode") if p]
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": os.pathsep.join(gopath), "GOFLAGS": "",
           "GOCACHE": str(out / "cache"), "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    built = subprocess.run([go, "build", "-o", str(out / "peer"), "."], cwd=PEER_SOURCE, env=env,
                           capture_output=True, text=True, timeout=300)
    if built.returncode:
        return None, f"cannot build tests/go_peer: {built.stderr.strip()}"
    version = subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
    return out / "peer", version


def go_bytes(peer: Path, data: bytes) -> bytes:
    """What Go's yaml.v3 writes for the state in ``data`` (decode, then encode as dtm does)."""
    return subprocess.run([str(peer)], input=data, capture_output=True, check=True, timeout=600).stdout


def go_round(peer: Path, data: bytes, inner: int) -> tuple[float, float]:
    r = subprocess.run([str(peer), "-bench", str(inner)], input=data, capture_output=True, check=True, timeout=600)
    got = json.loads(r.stdout)
    if not got["identical"]:
        raise SystemExit("Go did not re-encode its own state byte for byte")
    return got["decode_s"], got["encode_s"]


def measure(layout: str, n: int, repeats: int, peer: Path | None) -> dict:
    ours = format_state(LAYOUTS[layout](n))
    data = go_bytes(peer, ours) if peer else ours
    best = {"read": float("inf"), "write": float("inf"), "go_read": float("inf"), "go_write": float("inf")}
    identical = True
    inner = max(1, min(50, 2000 // n))  # small states: each round keeps the best of several runs, on both sides
    for _ in range(repeats):
        if peer:
            decode, encode = go_round(peer, data, inner)
            best["go_read"], best["go_write"] = min(best["go_read"], decode), min(best["go_write"], encode)
        for _ in range(inner):
            t0 = time.perf_counter()
            state = parse_state(data, "bench")
            t1 = time.perf_counter()
            state._rendered.clear()  # a fresh write: no entry rendered before
            t2 = time.perf_counter()
            written = format_state(state)
            t3 = time.perf_counter()
            best["read"], best["write"] = min(best["read"], t1 - t0), min(best["write"], t3 - t2)
            identical = identical and written == data
    row = {"layout": layout, "tools": n, "bytes": len(data), "runs": repeats * inner,
           "identical_to_go": identical if peer else None,
           "read_s": best["read"], "write_s": best["write"]}
    if peer:
        row.update(go_read_s=best["go_read"], go_write_s=best["go_write"],
                   read_ratio=best["read"] / best["go_read"], write_ratio=best["write"] / best["go_write"])
    return row


def table(rows: list[dict], repeats: int) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v * 1000:,.1f}"

    def ratio(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}x"

    head = ("layout", "tools", "bytes", "read dtmnb ms", "read Go ms", "read ratio", "write dtmnb ms",
            "write Go ms", "write ratio", "same bytes")
    lines = [[r["layout"], f"{r['tools']:,}", f"{r['bytes']:,}", ms(r["read_s"]), ms(r.get("go_read_s")),
              ratio(r.get("read_ratio")), ms(r["write_s"]), ms(r.get("go_write_s")), ratio(r.get("write_ratio")),
              {True: "yes", False: "NO", None: "-"}[r["identical_to_go"]]] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]
    out = [" | ".join(h.rjust(w) for h, w in zip(head, widths, strict=True)), "-+-".join("-" * w for w in widths)]
    out += [" | ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.append(f"best of {repeats} rounds (small states: of more runs, the same number on both sides); "
               "goals at 10,000 tools: read ratio <= 1.00x, write ratio <= 0.70x")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--layouts", default="dtm,mixed")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "state.json"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dtmnb-bench-") as tmp:
        peer, about_go = build_peer(Path(tmp))
        print(f"Go peer: {about_go}" if peer else f"Go peer not available ({about_go}): dtmnb only, on its own bytes")
        rows = [measure(layout, int(n), args.repeats, peer)
                for layout in args.layouts.split(",") for n in args.sizes.split(",")]
    print(table(rows, args.repeats))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({
        "benchmark": "state read/write, dtmnb vs Go yaml.v3", "repeats": args.repeats,
        "go": about_go if peer else None, "python": sys.version.split()[0], "machine": platform.machine(),
        "cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n")
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
