"""dtmnb: DevStream's engine (config -> plan -> apply -> state) for Jupyter notebooks.

    import dtmnb
    cfg = dtmnb.load_config("config.yaml")
    dtmnb.plan(cfg)                       # DataFrame, one row per change
    dtmnb.apply(cfg, auto_approve=True)   # DataFrame, one row per executed change
    dtmnb.read_state(cfg)                 # DataFrame, one row per tool in the state

Names are imported on first use so that ``import dtmnb`` stays fast (no pandas, boto3 or PyGithub).
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_public = {
    "load_config": "dtmnb.config",
    "Config": "dtmnb.config",
    "plan": "dtmnb.engine",
    "apply": "dtmnb.engine",
    "delete": "dtmnb.engine",
    "destroy": "dtmnb.engine",
    "read_state": "dtmnb.engine",
    "show_status": "dtmnb.engine",
    "state_history": "dtmnb.engine",
    "state_diff": "dtmnb.engine",
    "state_text": "dtmnb.engine",
    "lock_status": "dtmnb.engine",
    "force_unlock": "dtmnb.engine",
    "errors": "dtmnb.errors",
    "sandbox": "dtmnb.sandbox",
    "views": "dtmnb.views",
    "ui": "dtmnb.ui",
    "show": "dtmnb.views",
    "dependency_graph": "dtmnb.views",
    "PendingApply": "dtmnb.ui",
    "require_applied": "dtmnb.ui",
}

__all__ = sorted(_public) + ["__version__"]


def __getattr__(name: str):
    module = _public.get(name)
    if module is None:
        raise AttributeError(f"module 'dtmnb' has no attribute '{name}'")
    mod = importlib.import_module(module)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
