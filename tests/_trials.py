"""Trial counts and seeds for the reliability tests, tunable from the environment.

``DTMNB_TRIALS_<NAME>`` sets a count (``DTMNB_TRIALS_KILL=200`` for a long soak), ``DTMNB_TRIALS_SEED`` the
random seed (printed in every failure message, so a failing sequence can be replayed).
"""
from __future__ import annotations

import os
import random


def trials(name: str, default: int) -> int:
    raw = os.environ.get(f"DTMNB_TRIALS_{name.upper()}", "").strip()
    return int(raw) if raw else default


def seed() -> int:
    raw = os.environ.get("DTMNB_TRIALS_SEED", "").strip()
    return int(raw) if raw else random.SystemRandom().randrange(10**9)


def rng(salt: str = "") -> tuple[random.Random, str]:
    """A seeded Random and a label ``seed=N`` to put into assertion messages."""
    s = seed()
    return random.Random(f"{s}:{salt}"), f"DTMNB_TRIALS_SEED={s}"
