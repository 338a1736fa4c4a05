"""Bounds on what dtmnb accepts, so hostile or accidental input fails with a message instead of a crash."""
from __future__ import annotations

#: deepest nesting of options or a resource (maps and lists); a state deeper than this could not be read back
MAX_DEPTH = 64
#: longest integer literal read from YAML (Python refuses to convert longer ones to int; yaml.v3 caps at 64 bits)
MAX_INT_DIGITS = 4300
