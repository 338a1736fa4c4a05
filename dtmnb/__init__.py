"""dtmnb: DevStream's engine (config -> plan -> apply -> state) for Jupyter notebooks.

    import dtmnb
    cfg = dtmnb.load_config("config.yaml")
    dtmnb.plan(cfg)                       # DataFrame, one row per change
    dtmnb.apply(cfg, auto_approve=True)   # DataFrame, one row per executed change
    dtmnb.read_state(cfg)                 # DataFrame, one row per tool in the state

Names are imported on first use so that ``import dtmnb`` stays fast (no pandas, boto3 or PyGithub);
type checkers see them through the imports below.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import errors, sandbox, ui, views
    from .api import (
        apply,
        delete,
        dependency_graph,
        destroy,
        force_unlock,
        forget,
        import_tool,
        load_config,
        lock,
        lock_status,
        plan,
        read_state,
        scan_states,
        show_status,
        state_diff,
        state_history,
        state_text,
        tools_frame,
    )
    from .config import Config
    from .ui import PendingApply, require_applied
    from .views import show

# public name -> the module it lives in (a module name ending in the name itself is the module)
_API = ("apply", "delete", "dependency_graph", "destroy", "force_unlock", "forget", "import_tool", "load_config",
        "lock", "lock_status", "plan", "read_state", "scan_states", "show_status", "state_diff", "state_history",
        "state_text", "tools_frame")
_LAZY = {
    **dict.fromkeys(_API, "dtmnb.api"),
    "Config": "dtmnb.config", "show": "dtmnb.views", "PendingApply": "dtmnb.ui", "require_applied": "dtmnb.ui",
    "errors": "dtmnb.errors", "sandbox": "dtmnb.sandbox", "views": "dtmnb.views", "ui": "dtmnb.ui",
}

__all__ = ["Config", "PendingApply", "__version__", "apply", "delete", "dependency_graph", "destroy", "errors",
           "force_unlock", "forget", "import_tool", "load_config", "lock", "lock_status", "plan", "read_state",
           "require_applied", "sandbox", "scan_states", "show", "show_status", "state_diff", "state_history",
           "state_text", "tools_frame", "ui", "views"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dtmnb' has no attribute '{name}'")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
