"""After a crash, a race or a fault: what a user does to converge.

A change whose effect happened but whose state write did not is unrecorded. The next apply's Create
refuses to take it over ("already exists and dtmnb did not create it": the plan is a promise) and says to
import it; import_tool records it. These helpers do exactly that and nothing more.
"""
from __future__ import annotations

import dtmnb

ALREADY = "already exists and dtmnb did not create it"


def import_leftovers(cfg, result) -> int:
    """Import the tools whose Create failed because they already exist (and only those: any other failure
    is an error of the test); returns how many were imported."""
    left = result[result["status"] != "succeeded"]
    assert left["error"].str.contains(ALREADY).all(), left.to_dict("records")
    if len(left):
        dtmnb.import_tool(cfg, *(key.replace("_", ".", 1) for key in left["key"]))
    return len(left)


def recover(cfg) -> int:
    """Apply again and import what was made but not recorded; returns how many were imported."""
    return import_leftovers(cfg, dtmnb.apply(cfg, auto_approve=True))
