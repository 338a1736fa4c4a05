"""Loading dtm configs into a :class:`Config`: the three-file form, the ``---`` single file, the v0.10 one-file form.

``load_config`` reads the main file, finds its sections by content (:mod:`.sections`), renders ``[[ var ]]``
placeholders into the tools text, never into the core section (:mod:`.variables`), reads each YAML text the
way dtm's yaml.v3 does (:mod:`.yamldoc`), and checks everything (:mod:`.checks`, :mod:`.options`). Every
problem found is collected and raised at once as one ConfigError; each names its file, line and the fix.
"""
from __future__ import annotations

from .loader import load_config
from .model import Config, StateConfig, Tool

__all__ = ["Config", "StateConfig", "Tool", "load_config"]
