"""dtmnb.state: dtm's state file format (reference/devstream-core.md §2, reference/yaml-v3-compat.md)."""
from __future__ import annotations


import pytest

from dtmnb.errors import StateFormatError
from dtmnb.state import FORM_V09, FORM_V10, State, ToolState, format_state, parse_state
from dtmnb.yamlv3 import Timestamp

from .tutorial import TUTORIAL_STATE as _TUTORIAL_TEXT, seed_text

TUTORIAL_STATE = _TUTORIAL_TEXT.encode()

# devstream-core.md §2.3, verified with Go.
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


# -- §4 yaml.v3's own round-trip hazards: written and re-read exactly as dtm would -------------------------

def _round_trip(options: dict) -> dict:
    state = State()
    state.put(ToolState("t", "d", [], options, {}))
    return parse_state(format_state(state), "s").entries["t_d"].options


def test_hazard_leading_line_break_is_lost():
    assert _round_trip({"a": "\na", "b": "\n\na", "c": "\n"}) == {"a": "a", "b": "\na", "c": ""}


def test_hazard_line_break_key_collides_with_empty_key():
    with pytest.raises(StateFormatError, match='mapping key "" already defined'):
        _round_trip({"\n": 1, "": 2})


def test_hazard_tab_led_literal_line_cannot_be_read_back():
    with pytest.raises(StateFormatError, match="line 7: .*found a tab character"):
        _round_trip({"k": "\ta\nb"})


def test_hazard_merge_key_is_written_plain_and_read_as_a_merge():
    state = State()
    state.put(ToolState("t", "d", [], {"<<": {"x": 1}, "y": 2}, {}))
    assert b"\n    <<:\n      x: 1\n" in format_state(state)
    assert _round_trip({"<<": {"x": 1}, "y": 2}) == {"x": 1, "y": 2}
    with pytest.raises(StateFormatError, match="map merge requires map or sequence of maps"):
        _round_trip({"<<": "scalar"})


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


@pytest.mark.parametrize("depth, problem", [(900, "nested too deeply"), (5000, "exceeded maximum nesting depth")])
def test_deeply_nested_state_is_an_error_not_a_crash(depth, problem):
    data = b"a:\n  options:\n    k: " + b"[" * depth + b"]" * depth + b"\n"
    with pytest.raises(StateFormatError, match=problem):
        parse_state(data, "s")


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
