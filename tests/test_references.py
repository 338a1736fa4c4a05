"""Outputs references: each resolved on its own (dtm gave every reference in a string the last one's value)."""
import pytest

from dtmnb.errors import OutputsReferenceError
from dtmnb.references import resolve
from dtmnb.state import State, ToolState

STATE = State({
    "repo_default": ToolState("repo", "default",
                              resource={"outputs": {"owner": "o", "url": "https://x/o/r.git", "n": 3}}),
    "app_eu.west": ToolState("app", "eu.west", resource={"outputs": {"host": "h"}}),
    "bare_x": ToolState("bare", "x", resource={}),
})


@pytest.mark.parametrize("value, expected", [
    ("${{ repo.default.outputs.owner }}/${{repo.default.outputs.url}}", "o/https://x/o/r.git"),
    ("prefix-${{ repo.default.outputs.n }}-suffix", "prefix-3-suffix"),
    ("${{ repo.default.outputs.n }}", 3),                                 # whole string keeps the type
    ("$${{ repo.default.outputs.owner }}", "$o"),
    ("${{ app.eu.west.outputs.host }}", "h"),                             # dotted instance id
    (["a", {"b": "${{ repo.default.outputs.owner }}"}], ["a", {"b": "o"}]),  # lists and nested maps
    ("no reference", "no reference"),
])
def test_resolve(value, expected):
    assert resolve(value, STATE) == expected


@pytest.mark.parametrize("value, message", [
    ("${{ nope.default.outputs.x }}", "tool nope.default is not in the state"),
    ("${{ bare.x.outputs.k }}", "tool bare.x has no outputs in the state"),
    ("${{ repo.default.outputs.missing }}", "has no output 'missing' (its outputs: n, owner, url)"),
])
def test_unresolvable_reference_names_what_is_missing(value, message):
    with pytest.raises(OutputsReferenceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(value, STATE)
    assert resolve(value, STATE, strict=False) == value      # plan time: left as written, as dtm
