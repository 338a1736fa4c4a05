"""The public API as README.md's "Use" section and ``dtmnb.__all__`` state it, and `import dtmnb` staying light."""
from __future__ import annotations

import subprocess
import sys

import dtmnb


def test_public_names():
    for name in ("load_config", "plan", "apply", "delete", "destroy", "read_state", "show_status", "show",
                 "PendingApply", "state_history", "state_diff", "force_unlock", "lock_status", "state_text", "sandbox",
                 "errors"):
        assert getattr(dtmnb, name) is not None, name
    assert dtmnb.__version__


def test_import_and_load_config_pull_in_no_heavy_modules():
    code = ("import sys, dtmnb; dtmnb.load_config; import dtmnb.engine;"
            "print(sorted(m for m in ('pandas', 'boto3', 'botocore', 'github', 'ipywidgets', 'IPython') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_public_name_is_in_all_and_visible_to_type_checkers():
    import ast
    import inspect

    source = inspect.getsource(dtmnb)
    tree = ast.parse(source)
    typed = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for alias in node.names}
    public = set(dtmnb.__all__) - {"__version__"}
    assert public <= typed, public - typed              # each public name is imported under TYPE_CHECKING
    assert all(getattr(dtmnb, name) is not None for name in public)
