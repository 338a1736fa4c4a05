"""dtmnb.yamlv3 against the Go-verified tables of docs/state-format.md (section numbers below).

Every expected value here was produced by Go's gopkg.in/yaml.v3 (the spec's tables, re-checked with
tests/go_peer); tests/test_go_compat.py compares with a live Go build as well.
"""
from __future__ import annotations

import math
import random
from functools import cmp_to_key

import pytest

from dtmnb import yamlv3
from dtmnb.yamlv3 import Decoder, Fields, Timestamp, YAMLv3Error, dump, load, nodes, resolve, stream
from dtmnb.yamlv3.order import _cmp


def value_of(text: str):
    """The interface{} value yaml.v3 decodes for ``k: <text>``."""
    return Decoder().interface(load(f"k: {text}\n"))["k"]


def written(value) -> str:
    """How yaml.v3 writes a value after ``k:``."""
    out = dump({"k": value})
    assert out.startswith("k:")
    return out[2:].removeprefix(" ").removesuffix("\n")


# -- §2.3 which style a string gets ----------------------------------------------------------------

DOUBLE_QUOTED = ["y", "n", "yes", "no", "on", "off", "true", "True", "null", "Null", "~", "", "1.18", "1.0",
                 "0755", "0x1F", "0b101", "08", "1e3", ".5", "1_000", "+1", "-0", ".inf", ".nan", "2022-01-01",
                 "2022-1-1", "12:30", "-1:30", "9223372036854775808", "Y", "NO", "Off", "FALSE", "NULL"]
PLAIN = ["tRUE", "nULL", ".iNf", "inf", "nan", "Infinity", "+Inf", "0x", "0b", "1e400", "-1e400", "._5", "_1", "+",
         "--", ".", "1.2.3", "0x1p-2", "2022-13-01", "2022-02-29", "2022-01-01T24:00:00Z", "1:60", "<<", "=", "a:b",
         "a#b", "-a", "?a", ":a", "a,b", "a'b", 'a"b', "\\", "a b  c", "${{ secrets.X }}", "中文", "é",
         "https://github.com/IronCore864/dtm-test-go.git", "ironcore864/dtm-test-go", "x" * 1001, "word " * 30 + "x"]
SINGLE_QUOTED = [" lead", "trail ", "  ", "- a", "-", "---", "...", "#a", "a #b", "a: b", "a:", "*a", "&a", "!a",
                 "%a", "@a", "[a]", "{a}", ",a", "? a", "?", ":", "|a", ">a", "'a", '"a', "[[ var ]]"]
ESCAPED = [
    ("a\tb", r'"a\tb"'), ("\t", r'"\t"'), ("\x7f", r'"\x7F"'), ("\0", r'"\0"'), ("\x01", r'"\x01"'),
    ("\x1b", r'"\e"'), ("\x85", r'"\N"'), ("\v", r'"\v"'), ("\U0001F600", r'"\U0001F600"'),
    ("\ufeff", r'"\uFEFF"'), ("\uffff", r'"\uFFFF"'), ("a \nb", r'"a \nb"'), ("a\nb ", r'"a\nb "'),
    ("a\r\nb", r'"a\r\nb"'), ("\U0001F600\nx", r'"\U0001F600\nx"'), ("a\x85b\n", r'"a\Nb\n"'),
    ("emoji \U0001F600", r'"emoji \U0001F600"'), ("\a\b\f\r", r'"\a\b\f\r"'),
    ("\x9f", r'"\x9F"'),
    # yaml.v3's BOM bug: a value starting with U+FEFF gets every character escaped
    ("\ufeffa b é中", r'"\uFEFF\x61\x20\x62\x20\xE9\u4E2D"'), ("\ufeff\xa0\u2028", r'"\uFEFF\_\L"'),
]


@pytest.mark.parametrize("s", DOUBLE_QUOTED)
def test_strings_that_would_read_as_another_type_are_double_quoted(s):
    assert written(s) == f'"{s}"'


@pytest.mark.parametrize("s", PLAIN)
def test_strings_that_read_back_as_themselves_are_plain(s):
    assert written(s) == s


@pytest.mark.parametrize("s", SINGLE_QUOTED)
def test_strings_plain_cannot_hold_are_single_quoted(s):
    assert written(s) == "'" + s.replace("'", "''") + "'"


@pytest.mark.parametrize("s, expected", ESCAPED)
def test_strings_with_special_runes_are_double_quoted_with_escapes(s, expected):
    assert written(s) == expected


def test_single_quoted_line_separator_indents_the_next_line_but_not_a_trailing_one():
    assert dump({"k": "a\u2028b"}) == "k: 'a\u2028  b'\n"
    assert dump({"k": "\u2028"}) == "k: '\u2028'\n"


# -- §2.4 literal blocks ------------------------------------------------------------------------------

LITERALS = [
    ("a\nb\n", "k: |\n  a\n  b\n"),
    ("a\nb", "k: |-\n  a\n  b\n"),
    ("a\nb\n\n", "k: |+\n  a\n  b\n\n"),
    (" a\nb", "k: |2-\n   a\n  b\n"),
    ("a\n\nb", "k: |-\n  a\n\n  b\n"),
    ("a\tb\nc", "k: |-\n  a\tb\n  c\n"),           # a tab allows a block (it forbids plain and single)
    ("a\n b", "k: |-\n  a\n   b\n"),
    ("a\u2028b\nc", "k: |-\n  a\u2028  b\n  c\n"),   # LS is written raw and counts as a break
]

# yaml.v3 writes a block whose value starts with a line break without a break after the header, so the
# value's first break stands in for it and is lost on reading ("\na" -> "k: |2-\n  a\n" reads back "a").
# A block whose first line starts with a tab cannot be read back at all. dtmnb writes these double-quoted.
V3_LOSES = [
    ("\na", 'k: "\\na"\n'), ("\n\na", 'k: "\\n\\na"\n'), ("\n", 'k: "\\n"\n'), ("\n\n", 'k: "\\n\\n"\n'),
    ("\na\n", 'k: "\\na\\n"\n'), ("\u2028a\nb", 'k: "\\La\\nb"\n'), ("\ta\nb", 'k: "\\ta\\nb"\n'),
    ("\nhello", 'k: "\\nhello"\n'),
]


@pytest.mark.parametrize("s, expected", LITERALS)
def test_literal_block_headers_and_layout(s, expected):
    assert dump({"k": s}) == expected


@pytest.mark.parametrize("s, expected", V3_LOSES)
def test_blocks_yaml_v3_would_not_read_back_are_double_quoted_and_read_back_whole(s, expected):
    assert dump({"k": s}) == expected
    assert Decoder().interface(load(expected)) == {"k": s}


def test_merge_key_text_is_quoted_as_a_key_and_plain_as_a_value():
    assert dump({"<<": "<<"}) == '"<<": <<\n'
    assert Decoder().interface(load(dump({"<<": {"x": 1}, "y": "<<"}))) == {"<<": {"x": 1}, "y": "<<"}


def test_a_lone_surrogate_is_refused():
    with pytest.raises(ValueError, match="lone surrogate"):
        dump({"k": "a\ud800"})


def test_literal_blocks_inside_lists_and_nested_maps_indent_past_their_parent():
    assert dump({"k": ["a\nb", {"x": "c\nd\n"}]}) == "k:\n  - |-\n    a\n    b\n  - x: |\n      c\n      d\n"


# -- §2.1 indentation and collections ----------------------------------------------------------------

SHAPES = [
    ({"k": ["a", "b"]}, "k:\n  - a\n  - b\n"),
    ({"k": [{"a": 1, "b": [1]}]}, "k:\n  - a: 1\n    b:\n      - 1\n"),
    ({"k": [["x", "y"], []]}, "k:\n  - - x\n    - \"y\"\n  - []\n"),
    ({"k": [[{"a": 1, "b": 2}]]}, "k:\n  - - a: 1\n      b: 2\n"),
    ({"k": {}, "l": [], "m": [{}], "n": None}, "k: {}\nl: []\nm:\n  - {}\n\"n\": null\n"),
    ({"k": {"a": {"b": {"c": "d"}}}}, "k:\n  a:\n    b:\n      c: d\n"),
    ({"k": Fields((("z", 1), ("a", 2)))}, "k:\n  z: 1\n  a: 2\n"),            # struct order, not sorted
    ({"k": [True, False, None, 0, -5, 2**64 - 1, 1.5, Timestamp("2022-01-01T00:00:00Z")]},
     "k:\n  - true\n  - false\n  - null\n  - 0\n  - -5\n  - 18446744073709551615\n  - 1.5\n"
     "  - 2022-01-01T00:00:00Z\n"),
]


@pytest.mark.parametrize("value, expected", SHAPES)
def test_block_layout(value, expected):
    assert dump(value) == expected


def test_empty_top_level_map_is_flow_braces_as_yaml_v3_writes_it():
    assert dump({}) == "{}\n"


# -- §2.5 keys ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, expected", [
    ("y", '"y": x\n'), ("1.18", '"1.18": x\n'), ("", '"": x\n'), ("- a", "'- a': x\n"),
    ("\U0001F600", '"\\U0001F600": x\n'), ("a" * 128, "a" * 128 + ": x\n"), ("a" * 129, "? " + "a" * 129 + "\n: x\n"),
    ("中" * 42 + "ab", "中" * 42 + "ab: x\n"),                   # 128 UTF-8 bytes: still a simple key
    ("中" * 43, "? " + "中" * 43 + "\n: x\n"),                    # 129 bytes: a complex key
    ("a\nb", "? |-\n  a\n  b\n: x\n"), ("\x85", '? "\\N"\n: x\n'), ("a\u2028b", "? 'a\u2028  b'\n: x\n"),
])
def test_key_styles_and_the_128_byte_simple_key_limit(key, expected):
    assert dump({key: "x"}) == expected


def test_complex_key_puts_collection_values_on_the_colon_line():
    assert dump({"a\nb": {"name": "x", "instanceid": "y"}}) == "? |-\n  a\n  b\n: instanceid: \"y\"\n  name: x\n"
    assert dump({"k" * 200: ["a", "b"]}) == "? " + "k" * 200 + "\n: - a\n  - b\n"
    assert dump({"k" * 200: {}}) == "? " + "k" * 200 + "\n: {}\n"


def test_non_string_keys_are_plain_and_a_nan_key_writes_null():
    assert dump({1: "a", 2.5: "b", None: "c", "s": "d"}) == "1: a\n2.5: b\nnull: c\ns: d\n"
    assert dump({math.nan: "v"}) == ".nan: null\n"


# -- §2.2 key order ---------------------------------------------------------------------------------

GO_ORDER = ["_x", "1a", "1_", "9", "10", "A", "Repo", "Z", "a", "a b", "a-b", "a.b", "a1", "a01", "a001", "repo_url",
            "repoURL", "v1.9", "v1.10", "x_b9", "x_b10", "é", "中"]


def test_key_order_matches_go_less():
    shuffled = GO_ORDER[:]
    random.Random(7).shuffle(shuffled)
    assert [line.split(":")[0].strip('"') for line in dump({k: 1 for k in shuffled}).splitlines()] == GO_ORDER
    assert sorted(GO_ORDER) != GO_ORDER  # Python's own order differs


@pytest.mark.parametrize("a, b", [
    ("argocd_default", "argocdapp_default"), ("x_b9", "x_b10"), ("a1b", "a12"), ("a1b", "a1_"), ("x190", "x1009"),
    ("105", "1005"), ("a0_", "a00"), ("a", "a0"), ("_", "0"), ("0", "a"),
])
def test_less_pairs(a, b):
    assert yamlv3.less(a, b) and not yamlv3.less(b, a)


def test_mixed_key_kinds_numbers_then_nil_then_strings_then_times():
    keys = ["b", Timestamp("2022-01-01T00:00:00Z"), None, 2, 1.5, True, 2**63, "a"]
    assert yamlv3.sorted_keys(keys) == [True, 1.5, 2, 2**63, None, "a", "b", Timestamp("2022-01-01T00:00:00Z")]


def test_fast_sort_key_agrees_with_go_less_on_random_ascii_keys():
    rng = random.Random(1)
    alphabet = "a0_1Z9.-b 0"
    for _ in range(2000):
        keys = list({"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7))) for _ in range(8)})
        assert yamlv3.sorted_keys(keys) == sorted(keys, key=cmp_to_key(_cmp))


# -- §2.6 non-string scalars --------------------------------------------------------------------------

@pytest.mark.parametrize("f, text", [
    (1.0, "1"), (0.1, "0.1"), (100.0, "100"), (123456.0, "123456"), (1e6, "1e+06"), (1234567.0, "1.234567e+06"),
    (123456789.0, "1.23456789e+08"), (1e-7, "1e-07"), (0.0001, "0.0001"), (1e-5, "1e-05"), (-0.0, "-0"), (0.0, "0"),
    (math.inf, ".inf"), (-math.inf, "-.inf"), (math.nan, ".nan"), (1.8446744073709552e19, "1.8446744073709552e+19"),
    (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (-2.5e-5, "-2.5e-05"), (1e21, "1e+21"),
])
def test_go_float_format(f, text):
    assert written(f) == text


def test_datetimes_are_written_as_go_rfc3339nano():
    import datetime as dt

    tz = dt.timezone(dt.timedelta(hours=5, minutes=30))
    assert written(dt.datetime(2022, 1, 1, 10, 20, 30, 500000, tzinfo=tz)) == "2022-01-01T10:20:30.5+05:30"
    assert written(dt.date(2022, 1, 1)) == "2022-01-01T00:00:00Z"


def test_invalid_utf8_bytes_are_written_as_binary():
    assert written(b"\x80") == "!!binary gA=="
    assert written(b"ok") == "ok"
    assert value_of("!!binary gA==") == b"\x80"


# -- §3.1 plain scalars ----------------------------------------------------------------------------------

PLAIN_SCALARS = [
    # plain text, Go value (Python), how dtm writes it back
    ("yes", "yes", '"yes"'), ("no", "no", '"no"'), ("on", "on", '"on"'), ("off", "off", '"off"'), ("y", "y", '"y"'),
    ("n", "n", '"n"'), ("Y2K", "Y2K", "Y2K"), ("NaN", "NaN", "NaN"), ("inf", "inf", "inf"),
    ("true", True, "true"), ("True", True, "true"), ("tRUE", "tRUE", "tRUE"),
    ("null", None, "null"), ("~", None, "null"), ("Null", None, "null"), ("", None, "null"),
    ("0755", 493, "493"), ("0644", 420, "420"), ("0o755", 493, "493"),
    ("0x1F", 31, "31"), ("0b101", 5, "5"), ("-0b11", -3, "-3"), ("+1", 1, "1"), ("-0", 0, "0"), ("1_000", 1000, "1000"),
    ("08", 8.0, "8"), ("09", 9.0, "9"),
    ("1.18", 1.18, "1.18"), ("1.10", 1.1, "1.1"), ("1.", 1.0, "1"), ("1e3", 1000.0, "1000"), (".5", 0.5, "0.5"),
    (".5_0", 0.5, "0.5"), ("1e-400", 0.0, "0"),
    ("1e400", "1e400", "1e400"), ("0x", "0x", "0x"), ("._5", "._5", "._5"), ("1.2.3", "1.2.3", "1.2.3"),
    ("0x1p-2", "0x1p-2", "0x1p-2"),
    ("9223372036854775808", 9223372036854775808, "9223372036854775808"),
    ("18446744073709551616", 1.8446744073709552e19, "1.8446744073709552e+19"),
    ("12:30", "12:30", '"12:30"'), ("12:30:45", "12:30:45", '"12:30:45"'), ("1:30:00", "1:30:00", '"1:30:00"'),
    ("2022-01-01", Timestamp("2022-01-01T00:00:00Z"), "2022-01-01T00:00:00Z"),
    ("2022-1-1", Timestamp("2022-01-01T00:00:00Z"), "2022-01-01T00:00:00Z"),
    ("2022-01-01 10:20:30", Timestamp("2022-01-01T10:20:30Z"), "2022-01-01T10:20:30Z"),
    ("2022-01-01  10:20:30.5", Timestamp("2022-01-01T10:20:30.5Z"), "2022-01-01T10:20:30.5Z"),
    ("2022-01-01T10:20:30+05:30", Timestamp("2022-01-01T10:20:30+05:30"), "2022-01-01T10:20:30+05:30"),
    ("2022-01-01T10:20:30+-1:30", Timestamp("2022-01-01T10:20:30-00:30"), "2022-01-01T10:20:30-00:30"),
    ("2022-01-01T10:20:30+99:99", Timestamp("2022-01-01T10:20:30+100:39"), "2022-01-01T10:20:30+100:39"),
    ("2022-01-01t10:20:30,123456789-00:00", Timestamp("2022-01-01T10:20:30.123456789Z"),
     "2022-01-01T10:20:30.123456789Z"),
    ("2024-02-29", Timestamp("2024-02-29T00:00:00Z"), "2024-02-29T00:00:00Z"),
    ("2022-13-01", "2022-13-01", "2022-13-01"), ("2022-02-29", "2022-02-29", "2022-02-29"),
    ("2022-01-01T24:00:00Z", "2022-01-01T24:00:00Z", "2022-01-01T24:00:00Z"),
    ("2022-01-01T10:20:30.1234567891Z", "2022-01-01T10:20:30.1234567891Z", "2022-01-01T10:20:30.1234567891Z"),
    ("2022-01-01T10:20:30", "2022-01-01T10:20:30", "2022-01-01T10:20:30"),   # 'T' needs a zone
    (".inf", math.inf, ".inf"), ("-.inf", -math.inf, "-.inf"), ("+.INF", math.inf, ".inf"),
    ("<<", "<<", "<<"), ("0b-1", -1, "-1"), ("0o-7", -7, "-7"), ("-0x8000000000000000", -2**63, "-9223372036854775808"),
    ("0xFFFFFFFFFFFFFFFF", 2**64 - 1, "18446744073709551615"), ("0_755", 493, "493"),
]


@pytest.mark.parametrize("text, value, back", PLAIN_SCALARS)
def test_plain_scalar_resolution_and_write_back(text, value, back):
    got = value_of(text)
    assert type(got) is type(value)
    assert got == value
    assert written(got) == back


def test_nan_resolution():
    assert math.isnan(value_of(".nan")) and math.isnan(value_of(".NaN"))
    assert resolve(".NAN")[0] == "!!float"


@pytest.mark.parametrize("text, value", [
    ("!!str 12", "12"), ("!!int \"12\"", 12), ("!!float 1", 1.0), ("!!bool \"true\"", True), ("!!null ~", None),
    ("!!timestamp \"2022-01-01\"", Timestamp("2022-01-01T00:00:00Z")), ("!foo bar", "bar"), ("! 12", 12),
    ("!!binary aGVsbG8=", "hello"), ("!!merge <<", "<<"), ('"1.10"', "1.10"), ("'~'", "~"), ("|\n  a", "a\n"),
    ("|-\n  a", "a"),
])
def test_tags_and_quoting(text, value):
    got = value_of(text)
    assert type(got) is type(value) and got == value


@pytest.mark.parametrize("text, message", [
    ("!!int 1.5", "cannot decode !!float `1.5` as a !!int"),
    ("!!null foo", "cannot decode !!str `foo` as a !!null"),
    ("!!binary 'a b'", "!!binary value contains invalid base64 data"),
])
def test_tag_mismatches_are_errors(text, message):
    with pytest.raises(YAMLv3Error, match=message.replace("!", r"\!").replace("`", "`")):
        value_of(text)


# -- §3.2 decoding depends on the Go target type -------------------------------------------------------

def test_string_targets_get_the_source_text_and_null_items_are_dropped():
    dec = Decoder()
    doc = dec.pairs(load("name: 1.50\nid: ~\ndeps: [a, ~, null, \"\", 1, true, 0x1F]\n"), dec.string_key)
    fields = dict(doc)
    assert dec.string(fields["name"]) == "1.50"
    assert dec.string(fields["id"]) is None
    assert dec.string_list(fields["deps"]) == ["a", "", "1", "true", "0x1F"]


def test_string_maps_keep_key_text_and_drop_null_keys():
    dec = Decoder()
    got = dec.string_map(load("1.10: x\n0x1F: y\nnull: dropped\n'~': kept\n"))
    assert got == {"1.10": "x", "0x1F": "y", "~": "kept"}


def test_nested_maps_are_string_maps_only_when_every_key_is_a_string():
    assert value_of("{a: 1, 'b': 2}") == {"a": 1, "b": 2}
    general = value_of("{1: a, 2.5: b, ~: c, 2022-01-01: d, x: e}")
    assert general == {1: "a", 2.5: "b", None: "c", Timestamp("2022-01-01T00:00:00Z"): "d", "x": "e"}
    assert [type(k) for k in general] == [int, float, type(None), Timestamp, str]
    assert value_of("[1, ~, a]") == [1, None, "a"]


@pytest.mark.parametrize("text, message", [
    ("a: 1\na: 2\n", 'line 2: mapping key "a" already defined at line 1'),
    ("a: 1\n\"a\": 2\n", 'line 2: mapping key "a" already defined at line 1'),
    ("1: 1\n\"1\": 2\n", 'line 2: mapping key "1" already defined at line 1'),
    ("a: *nope\n", "line 1: unknown anchor 'nope' referenced"),
    ("a: {<<: 1}\n", "map merge requires map or sequence of maps as the value"),
    ("a: {<<: [1]}\n", "map merge requires map or sequence of maps as the value"),
    ("a: &r [1, *r]\n", "anchor 'r' value contains itself"),
    ("a: {b\n", "line 2"),
    ("a:\n\tb: 1\n", "line 2: found character that cannot start any token"),
    ("a: |\n  x\n \ty\n", "line 3"),
])
def test_structure_errors(text, message):
    with pytest.raises(YAMLv3Error) as err:
        Decoder().interface(load(text))
    assert message in str(err.value)


def test_merge_keys_explicit_keys_win_and_earlier_merged_maps_win():
    assert value_of("{<<: {x: 1, y: 2}, x: 3}") == {"x": 3, "y": 2}
    assert value_of("{<<: [{x: 1}, {x: 2, y: 2}]}") == {"x": 1, "y": 2}
    assert value_of("{<<: {<<: {deep: 1}, mid: 2}, top: 3}") == {"top": 3, "mid": 2, "deep": 1}


def test_anchors_can_be_redefined_the_later_one_wins():
    assert Decoder().interface(load("a: &x 1\nb: &x 2\nc: *x\n")) == {"a": 1, "b": 2, "c": 2}


def test_excessive_aliasing_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(YAMLv3Error, match="excessive aliasing"):
        Decoder().interface(load("\n".join(lines) + "\n"))


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_streams_have_no_node(text):
    assert load(text) is None


def test_only_the_first_document_is_read():
    assert Decoder().interface(load("a: 1\n---\nb: {\n")) == {"a": 1}


def test_pure_python_parser_fallback_agrees(monkeypatch):
    import yaml

    text = "a: &x {k: 0755, l: [1.10, yes, ~, 2022-01-01]}\nb: *x\nc: {<<: *x, k: 1}\nd: |\n  lit\n"
    expected = Decoder().interface(load(text))
    monkeypatch.setattr(nodes, "parser", yaml.SafeLoader)
    assert Decoder().interface(load(text)) == expected
    with pytest.raises(YAMLv3Error, match="line 2"):
        load("a: 1\na: : :\n")
    with pytest.raises(YAMLv3Error, match="invalid"):
        load(b"a: \xff\n")


# -- the one-pass decoder (yamlv3.decode) agrees with the node decoder -----------------------------------

def _typed(v):
    if isinstance(v, dict):
        return ["dict", [[_typed(k), _typed(x)] for k, x in v.items()]]
    if isinstance(v, list):
        return ["list", [_typed(x) for x in v]]
    return [type(v).__name__, repr(v)]


AGREE = [f"k: {text}\n" for text, _, _ in PLAIN_SCALARS] + [
    "{a: 1, 'b': 2}", "{1: a, 2.5: b, ~: c, x: e}", "[1, ~, a, [b, {c: d}]]", "a: &x 1\nb: *x\n", "a: {<<: {x: 1}}",
    "a: !!str 1", "a: 1\na: 2\n", "'x'", "x", "", "# c\n", "a: |\n  x\n  y\nb: >\n  z\n", "a: {'<<': 1, '~': 2}",
    "a: [" + "[" * 600 + "]" * 600 + "]", "a: " + "7" * 5000, "a: {b\n", "a: \"\\n\"\n", "- - - x\n",
]


@pytest.mark.parametrize("text", AGREE, ids=[repr(t)[:30] for t in AGREE])
def test_one_pass_decode_agrees_with_the_node_decoder(text):
    try:
        root = load(text)
        expected = None if root is None else Decoder().interface(root)
    except (YAMLv3Error, RecursionError):
        with pytest.raises((YAMLv3Error, RecursionError)):
            yamlv3.decode(text)
        return
    assert _typed(yamlv3.decode(text)) == _typed(expected)


def test_one_pass_decode_takes_the_common_document():
    text = ("tools:\n  - name: x\n    options:\n      a: [1, '2', 3.5, ~, true]\n      b: {c: d}\n"
            "      e: |\n        f\n")
    assert stream.interface(text) == {"tools": [{"name": "x", "options": {
        "a": [1, "2", 3.5, None, True], "b": {"c": "d"}, "e": "f\n"}}]}
    for leaves_it in ("a: &x 1\nb: *x\n", "a: !!str 1", "a: {1: b}", "a: {<<: {b: 1}}", "a: 1\na: 2\n"):
        with pytest.raises(stream.Unsupported):
            stream.interface(leaves_it)
