#!/usr/bin/env python
"""Write README.md's plugin reference from each built-in plugin's schema and outputs (one source, not two).

    .venv/bin/python scripts/update_readme.py          # rewrite the block between the markers
    .venv/bin/python scripts/update_readme.py --check  # exit 1 if README.md is out of date (tests run this)
"""
from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = "<!-- plugins:start (written by scripts/update_readme.py from each plugin's schema; do not edit) -->"
END = "<!-- plugins:end -->"
BUILT_IN = ("github-repo-scaffolding-golang", "githubactions-golang", "local-repo-scaffolding", "local-file")


def plugin_reference() -> str:
    """The markdown block: per built-in plugin, what it does and its options and outputs."""
    sys.path.insert(0, str(ROOT))
    from dtmnb.plugins import get_plugin_class
    from dtmnb.plugins.base import reference

    parts = []
    for name in BUILT_IN:
        cls = get_plugin_class(name)
        doc = inspect.cleandoc(cls.__doc__ or "").split("\n\nOptions (from its schema)")[0]
        summary = " ".join(doc.split("\n\n")[0].split()).replace("``", "`")
        parts.append(f"#### `{name}`\n\n{summary}\n\n```text\n{reference(cls)}\n```\n")
    return "\n".join(parts)


def updated(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise SystemExit(f"README.md has no {START!r} marker")
    return f"{head}{START}\n{plugin_reference()}{END}{tail}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check; exit 1 when README.md is out of date")
    args = ap.parse_args()
    path = ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    new = updated(text)
    if args.check:
        return 0 if new == text else 1
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
