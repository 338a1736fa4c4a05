"""load_config checks plugin options and state options against their schemas, points misspelt variables at
the existing ones, and refuses hostile input (control characters, huge numbers, deep nesting) with a
message naming the file and line. Every test runs on libyaml and on the pure-Python parser."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dtmnb import plugins
from dtmnb.config import load_config
from dtmnb.errors import ConfigError
from dtmnb.limits import MAX_DEPTH, MAX_INT_DIGITS

from ._config_helpers import StandIn, yaml_parser  # noqa: F401 - a fixture

CORE = "toolFile: tools.yaml\nstate:\n  backend: local\n"


@pytest.fixture(autouse=True)
def _both_parsers(yaml_parser, tmp_path, monkeypatch):  # noqa: F811 - the fixture imported above
    monkeypatch.chdir(tmp_path)


def files(tmp_path: Path, tools: str, config: str = CORE, **more: str) -> Path:
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "tools.yaml").write_text(textwrap.dedent(tools).lstrip("\n"), encoding="utf-8")
    for name, text in more.items():
        (tmp_path / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return tmp_path / "config.yaml"


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    for p in info.value.problems:
        assert p in str(info.value)
    return info.value.problems


# --- plugin options -----------------------------------------------------------------------------------

def test_option_typo_unknown_plugin_missing_and_wrong_type_all_at_once(tmp_path):
    found = problems(files(tmp_path, """
        tools:
        - name: github-repo-scaffolding-golang
          instanceID: demo
          options:
            owner: IronCore864
            rpeo: demo
            branch: main
        - name: local-file
          instanceID: note
          options:
            content: 42
        - name: lcoal-file
          instanceID: other
          options:
            path: x.txt
    """))
    assert found == [
        "tools.yaml:6: tool github-repo-scaffolding-golang.demo: unknown option 'rpeo' (did you mean 'repo'?); "
        "the options here are: owner, org, repo, branch, image_repo",
        "tools.yaml:4: tool github-repo-scaffolding-golang.demo: missing required option 'repo' (the repository to "
        "create); add `repo: ...` under `options:`",
        "tools.yaml:10: tool local-file.note: missing required option 'path' (the file to manage; relative paths are "
        "read from the config file's folder); add `path: ...` under `options:`",
        "tools.yaml:11: tool local-file.note: option 'content' must be text, not integer 42; quote it: content: \"42\"",
        "tools.yaml:12: unknown plugin `lcoal-file` (did you mean `local-file`?); the plugins are: "
        f"{', '.join(plugins.plugin_names())} (a third-party plugin registers itself in the 'dtmnb.plugins' "
        "entry-point group)",
    ]


def test_cross_field_rule_of_the_plugin_is_checked(tmp_path):
    found = problems(files(tmp_path, """
        tools:
        - name: github-repo-scaffolding-golang
          instanceID: demo
          options: {repo: demo, branch: main}
    """))
    assert found == ["tools.yaml:4: tool github-repo-scaffolding-golang.demo: set option `owner` (your GitHub login) "
                     "or `org` (an organization)"]


def test_a_typo_is_one_message_not_also_a_missing_owner(tmp_path):
    found = problems(files(tmp_path, """
        tools:
        - name: github-repo-scaffolding-golang
          instanceID: demo
          options: {ownr: me, repo: demo, branch: main}
    """))
    assert len(found) == 1 and "unknown option 'ownr' (did you mean 'owner'?)" in found[0]


def test_outputs_references_are_not_type_checked_and_options_stay_as_written(tmp_path):
    cfg = load_config(files(tmp_path, """
        tools:
        - name: local-file
          instanceID: a
          options: {path: a.txt}
        - name: local-file
          instanceID: b
          dependsOn: [local-file.a]
          options:
            path: ${{ local-file.a.outputs.path }}
            content: "${{ local-file.a.outputs.size }}"
    """))
    a, b = cfg.tools
    assert a.options == {"path": "a.txt"}            # no default `content: ""` filled in
    assert b.options == {"path": "${{ local-file.a.outputs.path }}", "content": "${{ local-file.a.outputs.size }}"}


def test_a_reference_inside_text_is_still_text(tmp_path):
    cfg = load_config(files(tmp_path, """
        tools:
        - name: local-file
          instanceID: b
          options: {path: "out/${{ local-file.a.outputs.path }}.txt"}
    """))
    assert cfg.tools[0].options["path"] == "out/${{ local-file.a.outputs.path }}.txt"


def test_a_plugin_without_schema_is_not_checked(tmp_path, monkeypatch):
    monkeypatch.setitem(plugins.REGISTRY.entries, "third-party", StandIn)
    cfg = load_config(files(tmp_path, "tools:\n- name: third-party\n  instanceID: x\n  options: {anything: [1, 2]}\n"))
    assert cfg.tools[0].options == {"anything": [1, 2]}


def test_a_plugin_that_cannot_be_imported_is_a_problem_at_its_line(tmp_path, monkeypatch):
    monkeypatch.setitem(plugins.REGISTRY.entries, "broken", "no_such_module_anywhere:Plugin")
    found = problems(files(tmp_path, "tools:\n- name: local-file\n  instanceID: x\n  options: {path: p}\n"
                                     "- name: broken\n  instanceID: y\n"))
    assert len(found) == 1 and found[0].startswith("tools.yaml:5: plugin 'broken' cannot be loaded from "
                                                   "'no_such_module_anywhere:Plugin': ModuleNotFoundError")


def test_nested_option_problems_point_at_the_nested_line(tmp_path, monkeypatch):
    from dtmnb.schema import Option, Schema

    class Nested(StandIn):
        schema = Schema((Option("language", "map", schema=Schema((Option("name", "string", required=True),
                                                                   Option("version", "string")))),))

    monkeypatch.setitem(plugins.REGISTRY.entries, "nested", Nested)
    found = problems(files(tmp_path, """
        tools:
        - name: nested
          instanceID: x
          options:
            language:
              name: go
              verison: "1.18"
    """))
    assert found == ["tools.yaml:7: tool nested.x: unknown option 'language.verison' (did you mean 'version'?); the "
                     "options here are: name, version"]


# --- state options ------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, expected", [
    ("state:\n  backend: s3\n  options:\n    bukcet: b\n    region: r\n    key: k\n",
     ["config.yaml:5: state.options: unknown option 'bukcet' (did you mean 'bucket'?)",
      "config.yaml:4: state.options: the s3 state backend needs option 'bucket'"]),
    ("state:\n  backend: s3\n  options:\n    bucket: b\n    region: r\n    key: k\n    endpiont: http://x\n",
     ["config.yaml:8: state.options: unknown option 'endpiont' (did you mean 'endpoint'?)"]),
    ("state:\n  backend: lcoal\n", ["config.yaml:3: state backend `lcoal` is not supported (did you mean `local`?): "
                                   "use `backend: local` or `backend: s3`"]),
    ("state:\n  backend: local\n  options:\n    stateFile: [a]\n",
     ["config.yaml:5: state.options: option 'stateFile' must be text, not list ['a']"]),
    ("state:\n  backend: s3\n  options: {bucket: b, region: r, key: k, secret_key: hunter2}\n",
     ["config.yaml:4: state.options: 'secret_key' would keep an AWS credential in the config file"]),
], ids=["bukcet", "endpiont", "backend-typo", "statefile-type", "credential"])
def test_state_options_are_checked_by_the_backend_schema(tmp_path, state, expected):
    found = problems(files(tmp_path, "tools: []\n", "toolFile: tools.yaml\n" + state))
    assert len(found) == len(expected)
    for text, problem in zip(expected, found, strict=True):
        assert problem.startswith(text)
    assert all("hunter2" not in p for p in found)


def test_state_options_keep_what_was_written(tmp_path):
    config = "toolFile: tools.yaml\nstate:\n  backend: s3\n  options:\n    bucket: b\n    region: r\n    key: k\n" \
             "    use_lockfile: off\n"
    cfg = load_config(files(tmp_path, "tools: []\n", config))
    assert cfg.state.options == {"bucket": "b", "region": "r", "key": "k", "use_lockfile": "off"}


# --- variables ----------------------------------------------------------------------------------------

def test_misspelt_variable_points_at_the_existing_one(tmp_path):
    found = problems(files(tmp_path, "tools:\n- name: local-file\n  instanceID: x\n  options:\n"
                                     "    path: \"[[ repoNmae ]].txt\"\n    content: \"[[ repo.ownr ]]\"\n",
                           CORE + "varFile: vars.yaml\n", vars_yaml="repoName: demo\nrepo:\n  owner: me\n"))
    assert found == [
        "tools.yaml:5: variable [[ repoNmae ]] is not defined; did you mean [[ repoName ]]? Otherwise add "
        "`repoNmae: ...` to vars.yaml",
        "tools.yaml:6: variable [[ repo.ownr ]] is not defined; did you mean [[ repo.owner ]]? Otherwise add "
        "`ownr: ...` under `repo` to vars.yaml",
    ]


def test_multi_line_variable_values_keep_later_line_numbers(tmp_path):
    found = problems(files(tmp_path, "tools:\n- name: local-file\n  instanceID: x\n  options:\n"
                                     "    content: \"[[ text ]]\"\n    path: 3\n",
                           CORE + "varFile: vars.yaml\n", vars_yaml="text: \"a\\u2028b\\nc\\rd\"\n"))
    assert found == ["tools.yaml:6: tool local-file.x: option 'path' must be text, not integer 3; quote it: "
                     "path: \"3\""]


# --- hostile input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["config.yaml", "tools.yaml", "vars.yaml"])
def test_control_character_is_refused_with_file_line_and_column(tmp_path, where):
    texts = {"config.yaml": CORE + "varFile: vars.yaml\n",
             "tools.yaml": "tools:\n- name: local-file\n  instanceID: x\n  options: {path: '[[ p ]]'}\n",
             "vars.yaml": "x: 1\np: out.txt\n"}
    text = texts[where]
    cut = text.index("\n") + 3
    texts[where] = text[:cut] + "\x01" + text[cut:]
    for name, t in texts.items():
        (tmp_path / name).write_text(t, encoding="utf-8")
    found = problems(tmp_path / "config.yaml")
    assert found == [f"{where}:2:3: control character U+0001 is not allowed in YAML; remove it (inside double "
                     f"quotes it can be written as an escape, e.g. \"\\u0001\")"]


@pytest.mark.parametrize("char", ["\x1c", "\x0b", "\x0c"])
def test_characters_python_takes_for_line_breaks_do_not_split_a_sections_file(tmp_path, char):
    text = f"---\nstate:\n  backend: local\n---\ntools:\n- name: local-file\n  instanceID: x\n  options:\n" \
           f"    path: a{char}b.txt\n"
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    found = problems(tmp_path / "config.yaml")
    assert found == [f"config.yaml:9:12: control character U+{ord(char):04X} is not allowed in YAML; remove it "
                     f"(inside double quotes it can be written as an escape, e.g. \"\\u{ord(char):04x}\")"]


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
def test_yaml_line_breaks_count_as_lines_as_yaml_counts_them(tmp_path, char):
    text = f"---\nstate:\n  backend: local\n---\ntools:{char}- name: local-file\n  instanceID: x\n  options:\n" \
           f"    path: 7\n"
    (tmp_path / "config.yaml").write_text(text, encoding="utf-8")
    found = problems(tmp_path / "config.yaml")
    assert found == ["config.yaml:9: tool local-file.x: option 'path' must be text, not integer 7; quote it: "
                     "path: \"7\""]


def test_a_file_holding_only_config_x(tmp_path):
    (tmp_path / "config.yaml").write_text("config: x\n", encoding="utf-8")
    found = problems(tmp_path / "config.yaml")
    assert found[0] == "config.yaml:1: `config:` must be a map holding `state:` (and its `options:`)"


def test_an_integer_longer_than_python_reads_is_a_problem_with_its_line(tmp_path):
    found = problems(files(tmp_path, "tools:\n- name: local-file\n  instanceID: x\n  options:\n"
                                     f"    path: {'9' * (MAX_INT_DIGITS + 1)}\n"))
    assert found == [f"tools.yaml:5:11: a number with {MAX_INT_DIGITS + 1} digits is longer than dtmnb reads (at "
                     f"most {MAX_INT_DIGITS} digits); quote it if it is text"]


def test_options_nested_beyond_the_bound(tmp_path):
    def nested(levels: int) -> str:
        return "{a: " * levels + "1" + "}" * levels

    path = files(tmp_path, f"tools:\n- name: local-file\n  instanceID: x\n  options: {nested(MAX_DEPTH + 1)}\n")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith("tools.yaml:4:") and "nested too deeply" in found[0]
    assert f"options may nest at most {MAX_DEPTH} levels deep" in found[0]


def test_options_at_the_bound_are_read(tmp_path, monkeypatch):
    monkeypatch.setitem(plugins.REGISTRY.entries, "any", StandIn)
    inner = "{a: " * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1)
    cfg = load_config(files(tmp_path, f"tools:\n- name: any\n  instanceID: x\n  options: {inner}\n"))
    depth, value = 1, cfg.tools[0].options
    while isinstance(value, dict) and "a" in value:
        depth, value = depth + 1, value["a"]
    assert depth == MAX_DEPTH


def test_aliases_cannot_nest_past_the_bound(tmp_path):
    inner = "{a: " * 62 + "1" + "}" * 62
    found = problems(files(tmp_path, f"base: &b {inner}\ntools:\n- name: local-file\n  instanceID: x\n"
                                     f"  options: {{path: p, deep: {{x: {{y: *b}}}}}}\n"))
    assert found[0].startswith("tools.yaml:") and "nested too deeply" in found[0]


def test_billion_laughs_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    found = problems(files(tmp_path, "\n".join(lines) + "\ntools: []\n"))
    assert len(found) == 1 and "document contains excessive aliasing" in found[0]
