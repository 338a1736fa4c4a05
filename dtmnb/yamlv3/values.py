"""The Python values that stand for yaml.v3's Go values, and the error yaml.v3 would report."""
from __future__ import annotations

from typing import Any

# The short tags yaml.v3 resolves plain scalars to (docs/state-format.md §3.1).
STR, NULL, BOOL, INT, FLOAT, TIME, MERGE, BINARY = (
    "!!str", "!!null", "!!bool", "!!int", "!!float", "!!timestamp", "!!merge", "!!binary")


class Timestamp(str):
    """A Go ``time.Time`` as the RFC3339Nano text yaml.v3 writes for it (plain, never quoted)."""

    __slots__ = ()


class Fields(tuple[tuple[str, Any], ...]):
    """An ordered struct: a tuple of ``(name, value)`` pairs, written in this order (like Go fields)."""

    __slots__ = ()


class YAMLv3Error(ValueError):
    """Input that yaml.v3 would refuse. ``line`` is 1-based (or None); ``problem`` is the bare text."""

    def __init__(self, problem: str, line: int | None = None):
        self.problem, self.line = problem, line
        super().__init__(f"line {line}: {problem}" if line else problem)
