"""Every pointer to docs/ in the code and the docs leads somewhere: the file exists, and a #section names one
of its headings (GitHub's anchor rules), so docstrings cannot point at notes that moved or vanished."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POINTER = re.compile(r"(?<![\w\"'/])docs/([\w.-]+\.md)(?:#([\w-]+))?")   # not a quoted path in a test


def slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.+)$", doc.read_text(), re.MULTILINE)}


def sources() -> list[Path]:
    found = [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    for folder in ("dtmnb", "tests", "scripts", "bench", "notebooks"):
        found += [p for p in (ROOT / folder).rglob("*.py") if "work" not in p.relative_to(ROOT).parts]
    return found


def test_every_docs_pointer_leads_to_a_file_and_heading():
    broken = []
    seen = 0
    for path in sources():
        for m in POINTER.finditer(path.read_text(encoding="utf-8")):
            seen += 1
            doc = ROOT / "docs" / m.group(1)
            if not doc.is_file():
                broken.append(f"{path.relative_to(ROOT)}: {m.group(0)} (no such file)")
            elif m.group(2) and m.group(2) not in anchors(doc):
                broken.append(f"{path.relative_to(ROOT)}: {m.group(0)} (no such heading)")
    assert seen > 20
    assert not broken, "\n".join(broken)


def test_readme_plugin_reference_is_written_from_the_schemas():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_readme.py"), "--check"])
    assert run.returncode == 0, "README.md's plugin reference is out of date: run scripts/update_readme.py"
