#!/usr/bin/env bash
# Open JupyterLab on the tutorial notebooks.
#
#   scripts/lab.sh                # http://127.0.0.1:8888/lab, notebooks/ as the root folder
#   PORT=9999 scripts/lab.sh      # another port; extra arguments go to `jupyter lab`
#
# Needs the `lab` extra (JupyterLab + what the tutorial needs); `make lab` installs it and runs this script.
# Without DTMNB_AUTO_APPROVE, `apply` shows the Apply/Cancel buttons; the notebooks start their own sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
if [ ! -x "$VENV/bin/jupyter-lab" ]; then
    echo "JupyterLab is not installed in $VENV. Run: make lab   (or: $VENV/bin/pip install -e '.[lab]')" >&2
    exit 2
fi
unset DTMNB_AUTO_APPROVE
exec "$VENV/bin/jupyter" lab --ip=127.0.0.1 --port="${PORT:-8888}" --ServerApp.root_dir=notebooks \
    --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate "$@"
