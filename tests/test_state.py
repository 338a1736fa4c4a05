"""dtmnb.state: dtm's state file format (docs/state-format.md)."""
from __future__ import annotations

import datetime as dt
import enum
import math
import os
import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtmnb import state as state_module
from dtmnb.errors import StateFormatError
from dtmnb.limits import MAX_DEPTH, MAX_INT_DIGITS
from dtmnb.state import FORM_V09, FORM_V10, State, ToolState, format_state, parse_state, storable_problem
from dtmnb.yamlv3 import Timestamp, stream

from .tutorial import TUTORIAL_STATE as _TUTORIAL_TEXT
from .tutorial import seed_text

TUTORIAL_STATE = _TUTORIAL_TEXT.encode()

# dtm's StatesMap.Format output for two tools (devstream v0.9.1 internal/pkg/statemanager/state.go), verified with
# Go; the rules behind it are docs/state-format.md §1-§2.
TWO_STATES = b"""\
argocd_default:
  name: argocd
  instanceid: default
  dependson:
    - repo-scaffolding.default
  options: {}
  resource: {}
repo-scaffolding_default:
  name: repo-scaffolding
  instanceid: default
  dependson: []
  options:
    list:
      - a
      - b
    "n": 1
    nested:
      a: "1.18"
      b: true
    owner: x
    repo: "y"
  resource:
    outputs:
      repoURL: https://github.com/x/y.git
"""

V10_STATE = b"""\
github-repo-scaffolding-golang_default:
  name: github-repo-scaffolding-golang
  instanceID: default
  dependsOn: []
  options:
    instanceID: default
    owner: IronCore864
  resourceStatus:
    outputs:
      repoURL: https://github.com/IronCore864/dtm-test-go.git
"""


def tutorial_tool_state() -> ToolState:
    return ToolState(
        name="github-repo-scaffolding-golang", instance_id="default", depends_on=[],
        options={"owner": "IronCore864", "org": "", "repo": "dtm-test-go", "branch": "main",
                 "image_repo": "ironcore864/dtm-test-go"},
        resource={"owner": "IronCore864", "org": "", "repoName": "dtm-test-go",
                  "outputs": {"owner": "IronCore864", "org": "", "repo": "dtm-test-go",
                              "repoURL": "https://github.com/IronCore864/dtm-test-go.git"}},
    )


# -- the tutorial and the verified examples -----------------------------------------------------------

def test_tutorial_state_round_trips_byte_for_byte():
    state = parse_state(TUTORIAL_STATE, "devstream.state")
    assert state.form == FORM_V09
    assert state.entries == {"github-repo-scaffolding-golang_default": tutorial_tool_state()}
    assert format_state(state) == TUTORIAL_STATE


def test_tutorial_state_written_from_scratch_is_the_tutorials_bytes():
    state = State()
    state.put(tutorial_tool_state())
    assert format_state(state) == TUTORIAL_STATE


def test_tutorial_text_matches_the_seed_document():
    text = seed_text()
    block = text.split("检查状态文件", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block.encode() == TUTORIAL_STATE


def test_two_state_example_of_devstream_core():
    state = State()
    state.put(ToolState("repo-scaffolding", "default", None,
                        {"owner": "x", "repo": "y", "n": 1, "list": ["a", "b"], "nested": {"b": True, "a": "1.18"}},
                        {"outputs": {"repoURL": "https://github.com/x/y.git"}}))
    state.put(ToolState("argocd", "default", ["repo-scaffolding.default"], None, None))
    assert format_state(state) == TWO_STATES
    again = parse_state(TWO_STATES, "devstream.state")
    assert again.entries["repo-scaffolding_default"].options["nested"] == {"a": "1.18", "b": True}
    assert format_state(again) == TWO_STATES


# -- empty and nil ----------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"   \n\n", b"null\n", b"~", b"# only a comment\n", b"---\n", b"---\n...\n",
                                  b"\xef\xbb\xbf", b"{}\n"])
def test_empty_inputs_are_an_empty_state(data):
    state = parse_state(data, "devstream.state")
    assert len(state) == 0 and state.form == FORM_V09
    assert format_state(state) == b""


def test_empty_state_is_zero_bytes():
    assert format_state(State()) == b""
    assert format_state(State(form=FORM_V10)) == b""


def test_nil_fields_are_written_as_empty_collections():
    state = State()
    state.put(ToolState("a", "b", None, None, None))
    assert format_state(state) == b'a_b:\n  name: a\n  instanceid: b\n  dependson: []\n  options: {}\n  resource: {}\n'


def test_null_and_missing_fields_read_as_empty():
    state = parse_state(b"a_b:\n  name: a\n  instanceid: ~\n  dependson: null\n  options:\n  resource: ~\nc: ~\n", "s")
    assert state.entries["a_b"] == ToolState("a", "", [], {}, {})
    assert state.entries["c"] == ToolState("", "", [], {}, {})  # a null entry is a zero State, as in Go


def test_string_fields_get_the_source_text_and_null_dependson_items_are_dropped():
    state = parse_state(b"k:\n  name: 1.50\n  instanceid: 0x1F\n  dependson: [a, ~, null, '', 1, true]\n", "s")
    entry = state.entries["k"]
    assert (entry.name, entry.instance_id, entry.depends_on) == ("1.50", "0x1F", ["a", "", "1", "true"])


def test_unknown_and_wrongly_cased_fields_are_ignored_like_go():
    state = parse_state(b"k:\n  Name: x\n  name: y\n  extra: [1, 2]\n  Options: {a: 1}\n", "s")
    assert state.entries["k"] == ToolState("y", "", [], {}, {})


def test_null_top_level_key_is_dropped():
    assert list(parse_state(b"~: {name: x}\nb: {}\n", "s").entries) == ["b"]


def test_values_keep_yaml_v3_types():
    state = parse_state(b"k:\n  options:\n    a: 0755\n    b: 1.10\n    c: yes\n    d: 2022-01-01\n    e: [1, ~]\n"
                        b"    f: {1: x}\n", "s")
    opts = state.entries["k"].options
    assert opts == {"a": 493, "b": 1.1, "c": "yes", "d": Timestamp("2022-01-01T00:00:00Z"), "e": [1, None],
                    "f": {1: "x"}}
    assert format_state(state).endswith(b"    a: 493\n    b: 1.1\n    c: \"yes\"\n    d: 2022-01-01T00:00:00Z\n"
                                         b"    e:\n      - 1\n      - null\n    f:\n      1: x\n  resource: {}\n")


def test_non_string_fields_given_by_python_code_are_written_as_go_strings():
    state = State()
    when = Timestamp("2022-01-01T00:00:00Z")
    state.put(ToolState("a", when, ["x.y", 3], {1: "one", "2": 2, when: when}, {}))
    out = format_state(state)
    assert b'  instanceid: "2022-01-01T00:00:00Z"\n' in out  # a string field, so quoted
    assert b'  dependson:\n    - x.y\n    - "3"\n' in out
    assert b'  options:\n    "1": one\n    "2": 2\n    "2022-01-01T00:00:00Z": 2022-01-01T00:00:00Z\n' in out


# -- yaml.v3's own round-trip hazards (docs/state-format.md §4) -------------------------------------------

def _round_trip(options: dict) -> dict:
    state = State()
    state.put(ToolState("t", "d", [], options, {}))
    return parse_state(format_state(state), "s").entries["t_d"].options


def test_strings_yaml_v3_would_lose_a_leading_line_break_of_read_back_whole():
    """Issue: yaml.v3 writes ``content: "\\nhello"`` as a block that reads back as "hello" (the tool drifts)."""
    values = {"a": "\na", "b": "\n\na", "c": "\n", "content": "\nhello", "d": "\u2028x\ny", "e": "\n\n"}
    assert _round_trip(values) == values
    assert b'    content: "\\nhello"\n' in format_state(State({"t_d": ToolState("t", "d", [], values)}))


def test_line_break_key_and_empty_key_both_survive():
    assert _round_trip({"\n": 1, "": 2}) == {"\n": 1, "": 2}


def test_tab_led_block_is_written_so_it_reads_back():
    assert _round_trip({"k": "\ta\nb", "l": ["\tx\n"]}) == {"k": "\ta\nb", "l": ["\tx\n"]}


def test_merge_key_text_is_written_quoted_and_reads_back_as_a_key():
    state = State()
    state.put(ToolState("t", "d", [], {"<<": {"x": 1}, "y": 2}, {}))
    assert b'\n    "<<":\n      x: 1\n' in format_state(state)
    assert _round_trip({"<<": {"x": 1}, "y": 2}) == {"<<": {"x": 1}, "y": 2}
    assert _round_trip({"<<": "scalar", "v": "<<"}) == {"<<": "scalar", "v": "<<"}


def test_a_plain_merge_key_written_by_hand_is_still_a_merge():
    state = parse_state(b"k:\n  options:\n    <<: {x: 1}\n    y: 2\n", "s")
    assert state.entries["k"].options == {"x": 1, "y": 2}


def test_hazard_types_change_on_the_first_save():
    assert _round_trip({"a": -0.0, "b": 2.0, "c": 1e20}) == {"a": 0, "b": 2, "c": 1e20}
    assert [type(v) for v in _round_trip({"a": -0.0, "b": 2.0, "c": 1e20}).values()] == [int, int, float]
    state = parse_state(b"k:\n  options:\n    v: 1.10\n    m: 0755\n    e: 1e3\n    d: 2022-01-01\n", "s")
    assert b"    d: 2022-01-01T00:00:00Z\n    e: 1000\n    m: 493\n    v: 1.1\n" in format_state(state)


# -- v0.10 form ------------------------------------------------------------------------------------------

def test_v010_form_is_read_and_written_back_in_that_form():
    state = parse_state(V10_STATE, "devstream.state")
    assert state.form == FORM_V10
    entry = state.entries["github-repo-scaffolding-golang_default"]
    assert (entry.name, entry.instance_id) == ("github-repo-scaffolding-golang", "default")
    assert entry.outputs == {"repoURL": "https://github.com/IronCore864/dtm-test-go.git"}
    assert format_state(state) == V10_STATE
    copy = state.copy()
    copy.put(ToolState("argocd", "x", ["github-repo-scaffolding-golang.default"], {}, {}))
    assert copy.form == FORM_V10
    assert b"argocd_x:\n  name: argocd\n  instanceID: x\n  dependsOn:\n    - github-repo" in format_state(copy)


def test_new_state_uses_the_v09_form():
    state = State()
    state.put(ToolState("a", "b"))
    assert state.form == FORM_V09 and b"  instanceid: b\n" in format_state(state)


def test_entries_without_form_specific_fields_keep_the_v09_form():
    assert parse_state(b"a: {name: x, options: {k: 1}}\n", "s").form == FORM_V09
    assert parse_state(b"a: {name: x}\nb: {instanceID: y}\n", "s").form == FORM_V10


# -- the State API -------------------------------------------------------------------------------------------

def test_state_api():
    state = parse_state(TWO_STATES, "s")
    assert "argocd_default" in state and len(state) == 2
    assert state.get("argocd_default").depends_on == ["repo-scaffolding.default"]
    assert state.get("nope") is None
    copy = state.copy()
    copy.get("repo-scaffolding_default").options["owner"] = "changed"
    assert state.get("repo-scaffolding_default").options["owner"] == "x"
    state.put(ToolState("a", "zzz"))
    assert [s.key for s in state.to_list()] == ["argocd_default", "repo-scaffolding_default", "a_zzz"]
    state.remove("a_zzz")
    state.remove("a_zzz")
    assert format_state(state) == TWO_STATES


# -- errors: the state is never silently misread ------------------------------------------------------------

BAD_STATES = [
    # (bytes, what the message says, line)
    (b"a: {name: x\n", "did not find expected ',' or '}'", 2),
    (b"a:\n\tname: x\n", "found character that cannot start any token", 2),
    (b"- a\n- b\n", "cannot unmarshal !!seq into map[statemanager.StateKey]statemanager.State", 1),
    (b"just text\n", "cannot unmarshal !!str `just text` into map[statemanager.StateKey]statemanager.State", 1),
    (b"a: [1]\n", "cannot unmarshal !!seq into statemanager.State", 1),
    (b"a: 1\n", "cannot unmarshal !!int `1` into statemanager.State", 1),
    (b"a:\n  name: x\n  dependson: {a: 1}\n", "cannot unmarshal !!map into []string", 3),
    (b"a:\n  dependson: a\n", "cannot unmarshal !!str `a` into []string", 2),
    (b"a:\n  dependson: [[a]]\n", "cannot unmarshal !!seq into string", 2),
    (b"a:\n  name: [a]\n", "cannot unmarshal !!seq into string", 2),
    (b"a:\n  options: abc\n", "cannot unmarshal !!str `abc` into map[string]interface {}", 2),
    (b"a:\n  resource: [1]\n", "cannot unmarshal !!seq into map[string]interface {}", 2),
    (b"a: {}\nb: {}\na: {}\n", 'mapping key "a" already defined at line 1', 3),
    (b"a:\n  name: x\n  name: y\n", 'mapping key "name" already defined at line 2', 3),
    (b"[a]: {name: x}\n", "cannot unmarshal !!seq into string", 1),
    (b"a:\n  name: x\n  instanceid: i\n  instanceID: i\n", "mixes dtm v0.6-v0.9 field names (instanceid)", 2),
    (b"a: {name: x, instanceid: i}\nb: {name: y, instanceID: j}\n", "first at line 1", 2),
    (b"a: {options: *nope}\n", "unknown anchor 'nope' referenced", 1),
    (b"a: {options: {<<: 1}}\n", "map merge requires map or sequence of maps as the value", 1),
    (b"a: {name: !!int abc}\n", "cannot decode !!str `abc` as a !!int", 1),
    (b"a: {name: x}\n\xff\n", "invalid", None),
    (b"a: {options: {k: \x01}}\n", "control characters are not allowed", None),
]


@pytest.mark.parametrize("data, problem, line", BAD_STATES)
def test_invalid_state_raises_state_format_error_naming_file_line_and_fix(data, problem, line):
    with pytest.raises(StateFormatError) as err:
        parse_state(data, "/work/devstream.state")
    message = str(err.value)
    assert problem in message
    assert message.startswith("/work/devstream.state" + (f", line {line}:" if line else ""))
    assert "left untouched" in message
    assert "/work/devstream.state.backup" in message


def test_s3_state_error_points_to_object_versions():
    with pytest.raises(StateFormatError) as err:
        parse_state(b"- a\n", "s3://devstream-test-remote-state/devstream.state")
    message = str(err.value)
    assert message.startswith("s3://devstream-test-remote-state/devstream.state, line 1:")
    assert "left untouched" in message and "earlier version of the object" in message


def _nested(depth: int, leaf=1):
    """A value with ``depth`` levels of maps and lists (the outermost one is level 1)."""
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("field", ["options", "resource"])
def test_options_and_resources_hold_up_to_max_depth_levels(field):
    value = _nested(MAX_DEPTH - 1)  # inside the options/resource map itself: MAX_DEPTH levels in all
    state = State({"t_d": ToolState("t", "d", [], **{field: {"x": value}})})
    data = format_state(state)
    assert getattr(parse_state(data, "s").entries["t_d"], field) == {"x": value}
    assert storable_problem({"x": value}, field) is None


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 400, 900])
def test_a_state_nested_deeper_than_max_depth_is_a_clear_error(depth):
    inner = b"[" * depth + b"]" * depth
    data = b"a:\n  name: a\n  options:\n    k: " + inner[1:-1] + b"\n"  # the options map is level 1
    with pytest.raises(StateFormatError) as err:
        parse_state(data, "/work/devstream.state")
    assert str(err.value).startswith("/work/devstream.state, line 4: not a valid dtm state: maps and lists nested "
                                     f"more than {MAX_DEPTH} levels deep")
    at_limit = b"a:\n  name: a\n  options:\n    k: " + inner[depth - MAX_DEPTH + 1:-(depth - MAX_DEPTH + 1)] + b"\n"
    assert at_limit.count(b"[") == MAX_DEPTH - 1
    assert parse_state(at_limit, "s").entries["a"].name == "a"


def test_deep_nesting_through_aliases_is_refused_too():
    lines = ["a:", "  name: a", "  options:", "    x: &l0 [[[[[[[[[[1]]]]]]]]]]"]
    lines += [f"    x{i}: &l{i} [[[[[[[[[[*l{i - 1}]]]]]]]]]]" for i in range(1, 8)]
    with pytest.raises(StateFormatError, match=f"nested more than {MAX_DEPTH} levels deep"):
        parse_state("\n".join(lines).encode() + b"\n", "s")


def test_extremely_deep_input_is_an_error_not_a_crash():
    data = b"a:\n  options:\n    k: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    with pytest.raises(StateFormatError, match="not a valid dtm state"):
        parse_state(data, "s")


def test_a_state_written_too_deep_is_refused_before_anything_is_written():
    state = State({"t_d": ToolState("t", "d", [], {"deep": _nested(MAX_DEPTH)})})
    with pytest.raises(StateFormatError) as err:
        format_state(state)
    message = str(err.value)
    assert message.startswith("cannot write the state: tool t_d: options.deep[0].k[0].k[0]")
    assert message.endswith(f"is nested more than {MAX_DEPTH} levels deep; options holds at most {MAX_DEPTH}. "
                            "Nothing was written.")


@pytest.mark.parametrize("digits", [MAX_INT_DIGITS + 1, 10_000])
def test_an_integer_literal_over_max_int_digits_is_a_state_format_error(digits):
    data = b"a:\n  name: a\n  options:\n    n: " + b"7" * digits + b"\n"
    with pytest.raises(StateFormatError) as err:
        parse_state(data, "/work/devstream.state")
    message = str(err.value)
    assert message.startswith(f"/work/devstream.state, line 4: not a valid dtm state: the number 777777777777... "
                              f"has {digits} digits; dtmnb reads numbers of at most {MAX_INT_DIGITS} digits")
    assert "left untouched" in message


def test_long_digit_strings_stay_text():
    long = "1" * (MAX_INT_DIGITS + 5)
    ok = parse_state(b"a:\n  name: " + long.encode() + b"\n  options:\n    n: \"" + long.encode() + b"\"\n", "s")
    assert ok.entries["a"].name == long and ok.entries["a"].options == {"n": long}
    assert _round_trip({"n": long, "m": "-" + long, "h": "0x" + "f" * 5000}) == {
        "n": long, "m": "-" + long, "h": "0x" + "f" * 5000}
    beyond_uint64 = parse_state(b"a:\n  options:\n    n: " + b"9" * 20 + b"\n", "s")  # a float in Go
    assert beyond_uint64.entries["a"].options == {"n": 1e20}


# -- what a resource may hold -----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    {}, {"a": "x", "b": 1, "c": 1.5, "d": True, "e": None, "f": [1, "x", None], "g": {"h": {"i": []}}},
    {"big": 2**64 - 1, "small": -(2**63), "nan": math.nan, "inf": -math.inf, "float": 2.0},
    {"when": Timestamp("2022-01-01T10:20:30.5+05:30"), "text": "\nlead", "tab": "\tx\ny", "<<": "m", "": "e"},
    {"outputs": {"path": "/tmp/x", "port": 8080}},
])
def test_storable_values_read_back_equal(value):
    assert storable_problem(value, "resource") is None
    state = State({"t_d": ToolState("t", "d", [], {}, value)})
    again = parse_state(format_state(state), "s").entries["t_d"].resource
    assert _same(again, value)


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN (Python's == says 2 == 2.0: an integral float reads back as an int)."""
    if isinstance(a, ToolState) and isinstance(b, ToolState):
        return _same(vars(a), vars(b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


class _Colour(str, enum.Enum):
    RED = "red"


@pytest.mark.parametrize("value, message", [
    ({"outputs": {"path": pathlib.PurePosixPath("/x")}},
     "resource.outputs.path is a PurePosixPath; a resource holds only text, numbers, booleans, null, lists and "
     "maps with text keys"),
    ({"when": dt.datetime(2022, 1, 1)}, "resource.when is a datetime; a resource holds only text, numbers, booleans, "
                                        "null, lists and maps with text keys (write a time as text, e.g. with "
                                        ".isoformat())"),
    ({"day": dt.date(2022, 1, 1)}, "resource.day is a date;"),
    ({"raw": b"abc"}, "resource.raw is a bytes;"),
    ({"l": [1, (2, 3)]}, "resource.l[1] is a tuple; a resource holds only text, numbers, booleans, null, lists and "
                         "maps with text keys (use a list)"),
    ({"s": {1, 2}}, "resource.s is a set;"),
    ({"c": _Colour.RED}, "resource.c is a _Colour;"),
    ({"n": {1: "one"}}, "resource.n has the key 1, an int; a resource holds only text"),
    ({"n": {math.nan: "x"}}, "(a key that is a NaN float cannot be read back)"),
    ({"i": 2**64}, "resource.i is the integer 1.84467e+19, outside the range a state holds (Go's int64 and uint64)"),
    ({"i": -(2**63) - 1}, "resource.i is the integer -9.22337e+18, outside the range"),
    ({"t": Timestamp("2022-01-01T10:20:30+100:39")}, "resource.t is a Timestamp whose text "
                                                      "'2022-01-01T10:20:30+100:39' does not read back as a time"),
    ({"s": ["ok", "a\ud800b"]}, "resource.s[1] holds a lone surrogate (\\ud800), which is not text UTF-8 can hold"),
    ({"deep": _nested(MAX_DEPTH)}, "resource.deep[0].k[0].k[0]"),
])
def test_unstorable_values_are_named_by_path_and_type(value, message):
    problem = storable_problem(value, "resource")
    assert problem is not None and (problem.startswith(message) or message.startswith("(") and message in problem)


def test_format_state_names_the_value_it_cannot_write_not_one_it_converts():
    state = State({"t_d": ToolState("t", "d", [], {"when": dt.datetime(2022, 1, 1), "pair": (1, 2)},
                                    {"c": _Colour.RED, "n": {"big": 2**64}})})
    with pytest.raises(StateFormatError, match="tool t_d: resource.n.big is the integer 1.84467e"):
        format_state(state)
    state.entries["t_d"].resource["n"]["big"] = 1
    assert b"    when: 2022-01-01T00:00:00Z\n" in format_state(state)  # Go's spelling (not storable, though)
    assert storable_problem(state.entries["t_d"].options, "options").startswith("options.when is a datetime")


def test_a_resource_must_be_a_map():
    assert storable_problem(["a"], "resource") == "resource is a list, not a map with text keys"
    with pytest.raises(StateFormatError, match="cannot write the state: tool t_d: options is a list, not a map"):
        format_state(State({"t_d": ToolState("t", "d", [], ["a"], {})}))  # type: ignore[arg-type]


def test_options_are_named_options():
    assert storable_problem({"a": {"b": object()}}, "options") == (
        "options.a.b is an object; options holds only text, numbers, booleans, null, lists and maps with text keys")


@pytest.mark.parametrize("value, message", [
    ({"p": pathlib.PurePosixPath("/x")}, "resource.p is a PurePosixPath"),
    ({"i": 2**64}, "resource.i is the integer 1.84467e+19"),
    ({"s": "a\ud800"}, "resource.s holds a lone surrogate"),
])
def test_format_state_refuses_a_value_it_cannot_store(value, message):
    state = State({"t_d": ToolState("t", "d", [], {}, value)})
    with pytest.raises(StateFormatError) as err:
        format_state(state)
    assert str(err.value).startswith(f"cannot write the state: tool t_d: {message}")


# -- the one-pass reader and the node reader agree ---------------------------------------------------------

def assert_readers_agree(data: bytes) -> bool:
    """The one-pass event reader gives the node reader's state, or leaves the input to it (errors, anchors,
    tags, merge keys, typed keys...). Returns whether the one-pass reader took it."""
    try:
        by_events = state_module._decode_events(data)
    except stream.Unsupported:
        return False
    by_nodes = state_module._decode_nodes(data)  # raises if the one-pass reader took something invalid
    assert (by_events.form, _comparable(by_events.entries)) == (by_nodes.form, _comparable(by_nodes.entries))
    return True


def _comparable(entries: dict) -> list:
    """Entries with types spelled out, so 1 and 1.0 and True differ (and NaN equals NaN)."""
    def typed(v):
        if isinstance(v, dict):
            return ["dict", [[typed(k), typed(x)] for k, x in v.items()]]
        if isinstance(v, list):
            return ["list", [typed(x) for x in v]]
        return [type(v).__name__, repr(v)]
    return [[k, typed(vars(e))] for k, e in entries.items()]


@pytest.mark.parametrize("data", [TUTORIAL_STATE, TWO_STATES, V10_STATE, b"a: ~\nb: {}\n", b"", b"null\n",
                                  b"k:\n  name: 1.50\n  instanceid: 0x1F\n  dependson: [a, ~, null, '', 1, true]\n",
                                  b"k:\n  Name: x\n  name: y\n  extra: [1, {a: [2]}]\n  Options: {a: 1}\n",
                                  b"k:\n  options:\n    a: 0755\n    b: 1.10\n    c: yes\n    d: 2022-01-01\n"
                                  b"    e: [1, ~]\n    g: {'1': x}\n    h: \"\\n\"\n    i: |\n      x\n"])
def test_common_states_are_read_in_one_pass_like_the_node_reader(data):
    assert assert_readers_agree(data)


@pytest.mark.parametrize("data", [d for d, _, _ in BAD_STATES] + [
    b"k:\n  options:\n    f: {1: x}\n", b"~: {name: x}\nb: {}\n", b"a: {options: {<<: {x: 1}}}\n",
    b"a: &x {name: n}\nb: *x\n", b"a: {name: !!str 1}\n", b"a: {options: {k: " + b"7" * 5000 + b"}}\n"])
def test_the_node_reader_takes_what_the_one_pass_reader_leaves(data):
    assert not assert_readers_agree(data)


TOKENS = ["a", "b", "name", "instanceid", "dependson", "options", "resource", "instanceID", "resourceStatus", ":",
          ": ", " ", "  ", "\n", "\n  ", "\n    ", "- ", "[", "]", "{", "}", ", ", "&x ", "*x", "!!str ", "!!int ",
          "<<", "~", "null", "'", '"', "|", "|2-", ">", "\t", "0755", "1e400", "2022-01-01", "7" * 4400, "#", "---",
          "...", "\x01", "\x85", "\u2028", "é", "\ufeff", "\\n", "?", "%YAML 1.1", "\ud800"]


@settings(max_examples=int(os.environ.get("DTMNB_FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(TOKENS), max_size=40))
def test_any_text_gives_a_state_or_a_state_format_error(parts):
    text = "".join(parts)
    try:
        parse_state(text, "/work/devstream.state")
    except StateFormatError as err:
        assert str(err).startswith("/work/devstream.state") and "left untouched" in str(err)
        return
    assert_readers_agree(text.encode("utf-8", "surrogatepass"))


def test_rewrite_after_a_change_equals_a_fresh_render():
    """format_state keeps each entry's rendering while the entry is unchanged; put() must invalidate it."""
    state = State()
    for i in range(30):
        state.put(ToolState("t", f"i{i}", [], {"n": i}, {"outputs": {"v": str(i)}}))
    format_state(state)
    state.put(ToolState("t", "i7", ["t.i1"], {"size": "changed"}, {}))
    state.remove("t_i9")
    fresh = State(dict(state.entries), state.form)
    assert format_state(state) == format_state(fresh)
    assert b"size: changed" in format_state(state)
    state.form = FORM_V10
    assert b"instanceID: i7" in format_state(state)
