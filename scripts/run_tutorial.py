"""Main job (interim): the tutorial's three files on the local backend with the offline twin plugin.

Copies tests/fixtures/tutorial_local to out/tutorial-local, runs `dtmnb apply -y` twice and prints the
state file. Replaced by the S3 tutorial notebook run once the sandbox lands.
"""
import shutil
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
work = root / "out" / "tutorial-local"
shutil.rmtree(work, ignore_errors=True)
shutil.copytree(root / "tests" / "fixtures" / "tutorial_local", work)
for _ in range(2):
    rc = subprocess.call([sys.executable, "-m", "dtmnb.cli", "apply", "-f", str(work / "config.yaml"), "-y"])
    if rc:
        sys.exit(rc)
print((work / "devstream.state").read_text())
print(f"state file: {work / 'devstream.state'}")
