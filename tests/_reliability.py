"""Shared by the fault, concurrency and kill tests: configs of k local-file tools on the local or the s3
backend, and what a test reads back from where the state lives (bypassing any fault proxy)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._fixtures_s3 import VERSIONED_BUCKET


def tools_yaml(k: int, chained: bool = False, content: str = "hello") -> str:
    lines = ["tools:"]
    for i in range(k):
        lines += ["- name: local-file", f"  instanceID: f{i:03d}",
                  f"  options: {{path: out/f{i:03d}.txt, content: '{content} {i}'}}"]
        if chained and i:
            lines.append(f"  dependsOn: [local-file.f{i - 1:03d}]")
    return "\n".join(lines) + "\n"


def tool_keys(k: int) -> list[str]:
    return [f"local-file_f{i:03d}" for i in range(k)]


def write_config(folder: Path, k: int, *, backend: str = "local", endpoint: str = "", key: str = "",
                 region: str = "ap-southeast-1", use_lockfile: bool = True, chained: bool = False) -> Path:
    """A three-file dtm config in ``folder`` managing files ``out/fNNN.txt``; returns config.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tools.yaml").write_text(tools_yaml(k, chained))
    lock = "" if use_lockfile else "    use_lockfile: false\n"
    if backend == "local":
        state = f"state:\n  backend: local\n  options:\n    stateFile: devstream.state\n{lock}"
    else:
        state = (f"state:\n  backend: s3\n  options:\n    bucket: {VERSIONED_BUCKET}\n    region: {region}\n"
                 f"    key: {key}\n    endpoint: {endpoint}\n{lock}")
    (folder / "config.yaml").write_text(f"toolFile: tools.yaml\n\n{state}")
    return folder / "config.yaml"


@dataclass
class Where:
    """Where one test's state lives, read directly (no proxy): a local folder, or an S3 key."""

    folder: Path
    s3: Any = None        # an S3Target, for the s3 backend
    key: str = ""

    def name(self) -> str:
        """What an error about this state names: the S3 key, or the state file's name."""
        return self.key or "devstream.state"

    def state_bytes(self) -> bytes | None:
        if self.s3 is None:
            path = self.folder / "devstream.state"
            return path.read_bytes() if path.exists() else None
        from botocore.exceptions import ClientError

        try:
            return self.s3.client().get_object(Bucket=VERSIONED_BUCKET, Key=self.key)["Body"].read()
        except ClientError:
            return None

    def lock(self) -> dict | None:
        if self.s3 is None:
            path = self.folder / "devstream.state.lock"
            return json.loads(path.read_bytes()) if path.exists() else None
        from botocore.exceptions import ClientError

        try:
            body = self.s3.client().get_object(Bucket=VERSIONED_BUCKET, Key=self.key + ".lock")["Body"].read()
        except ClientError:
            return None
        return json.loads(body)

    def entries(self) -> list[str]:
        """The tool keys the stored state records (it must parse)."""
        from dtmnb.state import parse_state

        data = self.state_bytes()
        return list(parse_state(data or b"", self.key or "devstream.state").entries)

    def temp_files(self) -> list[str]:
        return sorted(p.name for p in self.folder.glob(".devstream.state*.tmp"))

    def files(self) -> dict[str, bytes]:
        out = self.folder / "out"
        return {p.name: p.read_bytes() for p in sorted(out.glob("*.txt"))} if out.exists() else {}
