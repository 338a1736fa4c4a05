#!/usr/bin/env python3
"""The optional system packages some tests use: which are missing here, and how to install them.

    python3 scripts/system_deps.py            # names what is missing, once, with install commands; exit 0
    DTMNB_REQUIRE_SYSTEM_DEPS=1 python3 ...   # the same, but exit 1 when something is missing (.ci/run)

Nothing else needs them: ``make tutorial`` and most of ``make test`` run without. The tests that do use
them (tests/test_go_compat.py, tests/browser/) call ``require()``, which skips with the same reason, or
fails when ``DTMNB_REQUIRE_SYSTEM_DEPS=1`` is set (the project's CI sets it). Standard library only.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REQUIRE_ENV = "DTMNB_REQUIRE_SYSTEM_DEPS"
DEBIAN_GOPATH = "/usr/share/gocode"  # where Debian's and Fedora's golang-*-dev packages put Go sources


@dataclass(frozen=True)
class Dep:
    name: str
    used_by: str
    debian: str
    macos: str
    fedora: str


CHROMIUM = Dep("chromium", "the real-browser test (tests/browser/)",
               "sudo apt-get install chromium", "brew install --cask chromium", "sudo dnf install chromium")
GO = Dep("go", "the cross-check with Go's yaml.v3 (tests/test_go_compat.py)",
         "sudo apt-get install golang-go", "brew install go", "sudo dnf install golang")
YAML_V3 = Dep("Go's gopkg.in/yaml.v3 source", "the cross-check with Go's yaml.v3 (tests/test_go_compat.py)",
              "sudo apt-get install golang-gopkg-yaml.v3-dev",
              "git clone -q --depth 1 -b v3.0.1 https://github.com/go-yaml/yaml "
              "\"$(go env GOPATH)/src/gopkg.in/yaml.v3\"",
              "sudo dnf install golang-gopkg-yaml-3-devel")
ALL = (CHROMIUM, GO, YAML_V3)


def required() -> bool:
    """True when missing packages must fail the tests instead of skipping them (the project's CI)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes"}


def chromium() -> str | None:
    """The Chromium to drive: $DTMNB_CHROMIUM, chromium on PATH, or macOS's app; None when absent."""
    explicit = os.environ.get("DTMNB_CHROMIUM")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    app = "/Applications/Chromium.app/Contents/MacOS/Chromium"
    return app if os.path.exists(app) else None


def go() -> str | None:
    return shutil.which("go")


def go_paths(go_binary: str | None = None) -> list[str]:
    """GOPATH entries to build tests/go_peer with: $GOPATH, Go's default one, then the distribution's."""
    paths = [p for p in os.environ.get("GOPATH", "").split(os.pathsep) if p]
    if go_binary:
        try:
            out = subprocess.run([go_binary, "env", "GOPATH"], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": ""})
            paths += [p for p in out.stdout.strip().split(os.pathsep) if p]
        except (OSError, subprocess.SubprocessError):
            pass
    paths.append(DEBIAN_GOPATH)
    return list(dict.fromkeys(paths))


def yaml_v3(go_binary: str | None = None) -> str | None:
    """The folder holding gopkg.in/yaml.v3's source in one of ``go_paths()``, or None."""
    for root in go_paths(go_binary):
        src = Path(root) / "src" / "gopkg.in" / "yaml.v3"
        if (src / "yaml.go").exists():
            return str(src)
    return None


def how_to_install(deps: list[Dep] | tuple[Dep, ...]) -> str:
    """One command per platform that installs ``deps``."""
    lines = []
    for label, attr in (("Debian/Ubuntu", "debian"), ("macOS", "macos"), ("Fedora", "fedora")):
        lines.append(f"  {label + ':':15}{' && '.join(getattr(d, attr) for d in deps)}")
    return "\n".join(lines)


def reason(dep: Dep) -> str:
    """A skip/fail reason naming the package and how to install it."""
    return (f"{dep.name} is not installed (needed by {dep.used_by}); install it with "
            f"`{dep.debian}` (Debian/Ubuntu), `{dep.macos}` (macOS) or `{dep.fedora}` (Fedora)")


def missing() -> list[Dep]:
    gone = []
    if chromium() is None:
        gone.append(CHROMIUM)
    go_binary = go()
    if go_binary is None:
        gone.append(GO)
    if yaml_v3(go_binary) is None:
        gone.append(YAML_V3)
    return gone


def main() -> int:
    gone = missing()
    if not gone:
        return 0
    strict = required()
    names = ", ".join(d.name for d in gone)
    users = "; ".join(sorted({d.used_by for d in gone}))
    verdict = "they are required here (" + REQUIRE_ENV + "=1)" if strict else "those tests will be skipped"
    print(f"system packages: not installed: {names}. Used only by {users}; {verdict}. To install:\n"
          f"{how_to_install(gone)}", file=sys.stderr)
    return 1 if strict else 0


if __name__ == "__main__":
    sys.exit(main())
