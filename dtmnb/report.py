"""How the engine reports: standard ``logging`` records, one extra level, and dtm's separator lines.

The engine, config checks and plugins log to loggers under ``dtmnb`` (``dtmnb.engine``,
``dtmnb.plugins.<name>``) and never print. Whoever presents (the facade, the CLI, a notebook) attaches a
handler for the length of a call (:mod:`dtmnb.console`); a library user can attach their own, and
pytest's ``caplog`` sees every line.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

#: dtm's "✔ [SUCCESS]" lines, between INFO and WARNING
SUCCESS = 25
logging.addLevelName(SUCCESS, "SUCCESS")

#: called after each change: (changes done, total changes, label)
ProgressCallback = Callable[[int, int, str], None]


def separator(message: str) -> str:
    """dtm's framed line, e.g. ``-------------------- [  Processing progress: 1/2.  ] --------------------``."""
    return f"-------------------- [  {message}  ] --------------------"


def get_logger(name: str) -> logging.Logger:
    """The logger ``dtmnb.<name>`` (with a NullHandler on ``dtmnb``, as a library should)."""
    return logging.getLogger(f"dtmnb.{name}")


logging.getLogger("dtmnb").addHandler(logging.NullHandler())

__all__ = ["SUCCESS", "ProgressCallback", "get_logger", "separator"]
