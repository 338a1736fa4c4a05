"""load_config: the three config forms, variables, path resolution, and every validation message."""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from dtmnb import plugins
from dtmnb.config import Config, load_config
from dtmnb.console import attach
from dtmnb.errors import ConfigError

from ._config_helpers import StandIn, yaml_parser  # noqa: F401 - a fixture
from .tutorial import seed_text

FIXTURES = Path(__file__).parent / "fixtures" / "configs"

LOCAL_CORE = "state:\n  backend: local\n  options:\n    stateFile: devstream.state\n"
# dtm plugins dtmnb does not ship, and the short names these tests use: third-party plugins without a schema
STAND_INS = ("a", "b", "c", "fromfile", "inline", "githubactions-golang", "argocd", "argocdapp")


@pytest.fixture(autouse=True)
def _both_parsers(yaml_parser):  # noqa: F811 - the fixture imported above
    """Every test here runs on libyaml's C parser and again on the pure-Python fallback."""


@pytest.fixture(autouse=True)
def _stand_in_plugins(monkeypatch):
    for name in STAND_INS:
        monkeypatch.setitem(plugins.REGISTRY.entries, name, StandIn)


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return tmp_path / "config.yaml"


def sections(*parts: str) -> str:
    """A single-file config: each part dedented, joined by `---` lines."""
    return "---\n" + "---\n".join(textwrap.dedent(p).lstrip("\n") for p in parts)


def load_error(tmp_path, files, monkeypatch) -> str:
    """Load in tmp_path as the working directory, so messages name files relative to it."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, files))
    message = str(info.value)
    assert len(info.value.problems) >= 1
    for problem in info.value.problems:
        assert problem in message
    return message


# --- the tutorial's three files --------------------------------------------------------------------

def test_tutorial_files_are_the_tutorial_verbatim():
    md = seed_text()
    for name in ("config.yaml", "variables-gitops.yaml", "tools-gitops.yaml"):
        block = re.search(r"- `" + re.escape(name) + r"`:\n\n```yaml\n(.*?)```", md, re.S).group(1)
        assert (FIXTURES / "tutorial" / name).read_text(encoding="utf-8") == block


def test_tutorial_three_files_from_another_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(FIXTURES / "tutorial" / "config.yaml")
    assert isinstance(cfg, Config) and cfg.form == "files"
    assert cfg.state.backend == "s3"
    assert cfg.state.options == {"bucket": "devstream-test-remote-state", "region": "ap-southeast-1",
                                 "key": "devstream.state"}
    assert cfg.state.base_dir == FIXTURES / "tutorial"
    [tool] = cfg.tools
    assert (tool.key, tool.ref) == ("github-repo-scaffolding-golang_default", "github-repo-scaffolding-golang.default")
    assert tool.options == {"owner": "IronCore864", "org": "", "repo": "dtm-test-go", "branch": "main",
                            "image_repo": "ironcore864/dtm-test-go"}
    assert tool.depends_on == []
    assert tool.where() == f"{FIXTURES / 'tutorial' / 'tools-gitops.yaml'}:2"
    assert cfg.vars["argocdDeployTimeout"] == "5m"
    assert repr(cfg) == "<Config config.yaml: 1 tool(s), backend s3>"
    assert cfg.tool("github-repo-scaffolding-golang_default") is tool
    assert cfg.tool("github-repo-scaffolding-golang.default") is tool


def test_tutorial_local_variant_defaults_state_file_next_to_config(tmp_path, monkeypatch):
    for name in ("variables-gitops.yaml", "tools-gitops.yaml"):
        shutil.copy(FIXTURES / "tutorial" / name, tmp_path / name)
    write(tmp_path, {"config.yaml": """
        varFile: variables-gitops.yaml

        toolFile: tools-gitops.yaml

        state:
          backend: Local
    """})
    monkeypatch.chdir("/")
    cfg = load_config(tmp_path / "config.yaml")
    assert cfg.state.backend == "local"
    assert cfg.state.options["stateFile"] == "devstream.state"
    assert cfg.state.path_option("stateFile") == tmp_path / "devstream.state"


def test_paths_absolute_and_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write(home, {"dtm/tools.yaml": "tools:\n- name: a\n  instanceID: x\n",
                 "dtm/vars.yaml": "v: 1\n"})
    other = tmp_path / "elsewhere"
    write(other, {"config.yaml": f"varFile: {home / 'dtm' / 'vars.yaml'}\ntoolFile: ~/dtm/tools.yaml\n"
                                 "state:\n  backend: local\n  options:\n    stateFile: ~/st/devstream.state\n"})
    cfg = load_config(other / "config.yaml")
    assert [t.ref for t in cfg.tools] == ["a.x"]
    assert cfg.tools[0].file == str(home / "dtm" / "tools.yaml")
    assert cfg.vars == {"v": 1}
    assert cfg.state.path_option("stateFile") == home / "st" / "devstream.state"


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    write(tmp_path, {"conf/config.yaml": "toolFile: sub/tools.yaml\nvarFile: ../vars.yaml\n" + LOCAL_CORE,
                     "conf/sub/tools.yaml": "tools:\n- name: a\n  instanceID: x\n  options: {v: '[[ v ]]'}\n",
                     "vars.yaml": "v: hello\n"})
    monkeypatch.chdir(tmp_path)
    cfg = load_config("conf/config.yaml")
    assert cfg.path == tmp_path / "conf" / "config.yaml"
    assert cfg.tools[0].options == {"v": "hello"}
    assert cfg.state.path_option("stateFile") == tmp_path / "conf" / "devstream.state"


# --- the `---` single file -------------------------------------------------------------------------

def test_gitops_sections_file_as_dtm_users_wrote_it():
    cfg = load_config(FIXTURES / "gitops-sections.yaml")
    assert cfg.form == "sections"
    assert [t.ref for t in cfg.tools] == ["github-repo-scaffolding-golang.golang-github",
                                         "githubactions-golang.default", "argocd.default", "argocdapp.default"]
    assert [t.line for t in cfg.tools] == [26, 34, 44, 53]   # lines of the main file
    scaffold, actions, argocd, app = cfg.tools
    assert scaffold.options["image_repo"] == "workshopper/go-webapp-demo"
    assert scaffold.options["owner"] == "workshop-user"
    assert actions.depends_on == ["github-repo-scaffolding-golang.golang-github"]
    assert actions.options["owner"] == "${{ github-repo-scaffolding-golang.golang-github.outputs.owner }}"
    assert actions.options["build"] == {"enable": True, "command": "go build ./..."}
    assert argocd.options["chart"] == {"chartName": "argo/argo-cd", "namespace": "argocd", "timeout": "10m",
                                       "replicas": 2, "debug": False}
    assert app.depends_on == ["argocd.default", "github-repo-scaffolding-golang.golang-github"]
    assert app.options["source"]["path"] == "helm/${{ github-repo-scaffolding-golang.golang-github.outputs.repo }}"
    assert cfg.state.backend == "local" and cfg.state.options == {"stateFile": "devstream.state"}
    assert cfg.vars["replicas"] == 2


def test_quickstart_sections_without_variables():
    cfg = load_config(FIXTURES / "quickstart-sections.yaml")
    assert [t.key for t in cfg.tools] == ["github-repo-scaffolding-golang_default", "githubactions-golang_default"]
    assert cfg.tools[1].options["language"] == {"name": "go", "version": "1.18"}
    assert cfg.vars == {}


@pytest.mark.parametrize("text", [
    # sections in any order, a leading comment line, no leading `---`
    "# my workshop config\n---\ntools:\n- name: a\n  instanceID: x\n---\nv: 1\n---\n" + LOCAL_CORE,
    LOCAL_CORE + "---\ntools:\n- name: a\n  instanceID: x\n",
    # one document holding state and tools
    LOCAL_CORE + "tools:\n- name: a\n  instanceID: x\n",
    "tools:\n- name: a\n  instanceID: x\n" + LOCAL_CORE,
    # Windows line endings and `--- ` with trailing blanks
    (LOCAL_CORE + "--- \ntools:\n- name: a\n  instanceID: x\n").replace("\n", "\r\n"),
], ids=["any-order", "core-then-tools", "one-doc", "one-doc-tools-first", "crlf"])
def test_section_layouts(tmp_path, text):
    (tmp_path / "config.yaml").write_bytes(text.encode())
    cfg = load_config(tmp_path / "config.yaml")
    assert [t.ref for t in cfg.tools] == ["a.x"]
    assert cfg.state.backend == "local"


def test_byte_order_mark_is_ignored(tmp_path):
    (tmp_path / "config.yaml").write_bytes(("\ufeff" + LOCAL_CORE + "tools: []\n").encode("utf-8"))
    assert load_config(tmp_path / "config.yaml").state.backend == "local"


def test_split_only_on_lines_that_are_exactly_three_dashes(tmp_path):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(LOCAL_CORE, """
        tools:
        - name: a
          instanceID: x
          options:
            title: before---after
            script: |
              echo one
              ---
              echo two
            rule: "--- not a separator"
    """)}))
    assert cfg.tools[0].options == {"title": "before---after", "script": "echo one\n---\necho two\n",
                                    "rule": "--- not a separator"}


def test_tool_file_wins_over_inline_tools_and_var_file_over_inline_vars(tmp_path):
    cfg = load_config(write(tmp_path, {
        "config.yaml": sections("toolFile: tools.yaml\nvarFile: vars.yaml\n" + LOCAL_CORE,
                                "v: inline\n", "tools:\n- name: inline\n  instanceID: x\n"),
        "tools.yaml": "tools:\n- name: fromfile\n  instanceID: x\n  options: {v: '[[ v ]]'}\n",
        "vars.yaml": "v: fromfile\n"}))
    assert [(t.name, t.options) for t in cfg.tools] == [("fromfile", {"v": "fromfile"})]
    assert len(cfg.warnings) == 2
    assert "toolFile is set" in cfg.warnings[0] and "varFile is set" in cfg.warnings[1]


def test_empty_tools_list_is_allowed(tmp_path):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(LOCAL_CORE, "tools: []\n")}))
    assert cfg.tools == []


def test_a_variable_named_config_does_not_make_a_v010_file(tmp_path):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(
        LOCAL_CORE, "config: debug\n", "tools:\n- name: a\n  instanceID: x\n  options: {c: '[[ config ]]'}\n")}))
    assert cfg.form == "sections" and cfg.tools[0].options == {"c": "debug"}


def test_ignored_sections_are_listed_then_logged_by_the_facade(tmp_path, monkeypatch):
    """load_config only lists what it ignored; the facade (dtmnb.load_config) logs the warnings."""
    import dtmnb
    from dtmnb.console import QuietConsole

    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"config.yaml": sections("toolFile: t.yaml\n" + LOCAL_CORE, "tools: []\n"),
                     "t.yaml": "tools: []\n"})
    warning = ("config.yaml: toolFile is set, so the tools section written in this file is ignored "
               "(tools are read from t.yaml)")
    quiet = QuietConsole()
    with attach(quiet):
        cfg = load_config("config.yaml")
    assert cfg.warnings == [warning] and quiet.records == []
    sink = QuietConsole()
    dtmnb.load_config("config.yaml", console=sink)
    assert sink.records == [("warn", warning)]


# --- the v0.10 one-file form -----------------------------------------------------------------------

def test_v010_one_file_form():
    cfg = load_config(FIXTURES / "v010.yaml")
    assert cfg.form == "v0.10"
    assert cfg.state.backend == "s3"
    [tool] = cfg.tools
    assert tool.line == 15
    assert tool.options == {"owner": "IronCore864", "repo": "dtm-test-go", "branch": "main",
                            "image_repo": "IronCore864/dtm-test-go"}
    assert cfg.vars == {"githubUser": "IronCore864", "repo": {"name": "dtm-test-go"}}


def test_options_mean_what_they_meant_to_dtm(tmp_path):
    """Options are decoded as dtm's yaml.v3 decodes them, so a state written by dtm plans no false drift."""
    cfg = load_config(write(tmp_path, {
        "config.yaml": "toolFile: tools.yaml\nstate:\n  backend: local\n",
        "tools.yaml": "tools:\n- name: a\n  instanceID: x\n  options:\n    flag: yes\n    y: n\n"
                      "    mode: 0755\n    version: 1.10\n    on: off\n    list: [a, 1, true]\n",
    }))
    assert cfg.tools[0].options == {"flag": "yes", "y": "n", "mode": 493, "version": 1.1, "on": "off",
                                    "list": ["a", 1, True]}


# --- variables -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, text", [
    ("IronCore864", "IronCore864"),
    ("10", "10"),                   # yaml.v3 reads the int, Go's fmt prints it
    ("0x1F", "31"),
    ("010", "8"),
    ("1_000", "1000"),
    ("true", "true"),
    ("True", "true"),
    ("yes", "yes"),                 # yaml.v3 keeps yes/no as text
    ("2022-05-31", "2022-05-31"),   # a date as written (dtm printed "2022-05-31 00:00:00 +0000 UTC")
    ("1e400", "1e400"),             # out of float range: text for yaml.v3
    ("1:30", "1:30"),               # and sexagesimal-looking text
    ("1.5", "1.5"),
    ("7.0", "7"),                   # Go prints the float 7 as 7
    ("1e6", "1e+06"),
    ("0.00001", "1e-05"),
    ("-.inf", "-Inf"),
    ("'007'", "007"),               # a quoted string is pasted as is
    ('"a b"', "a b"),
    ("5m", "5m"),
], ids=str)
def test_variable_values_render_like_go(tmp_path, value, text):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(
        LOCAL_CORE, f"x: {value}\n", "tools:\n- name: a\n  instanceID: i\n  options:\n    v: \"[[ x ]]\"\n")}))
    assert cfg.tools[0].options["v"] == text


def test_rendered_text_is_then_read_as_yaml(tmp_path):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(
        LOCAL_CORE, "n: 10\nb: true\ns: IronCore864\n",
        "tools:\n- name: a\n  instanceID: i\n  options: {n: [[ n ]], b: [[ b ]], s: [[ s ]], q: '[[ n ]]'}\n")}))
    assert cfg.tools[0].options == {"n": 10, "b": True, "s": "IronCore864", "q": "10"}


def test_dotted_variables_and_placeholder_spacing(tmp_path):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(LOCAL_CORE, """
        repo:
          owner: me
          git:
            branch: main
    """, """
        tools:
        - name: a
          instanceID: i
          options:
            owner: [[repo.owner]]
            branch: [[   repo.git.branch   ]]
            url: https://github.com/[[ repo.owner ]]/x
    """)}))
    assert cfg.tools[0].options == {"owner": "me", "branch": "main", "url": "https://github.com/me/x"}


def test_variables_are_not_rendered_into_the_core_section(tmp_path):
    cfg = load_config(write(tmp_path, {"config.yaml": sections(
        "state:\n  backend: local\n  options:\n    stateFile: '[[ f ]]'\n", "f: x.state\n",
        "tools: []\n")}))
    assert cfg.state.options["stateFile"] == "[[ f ]]"


# --- every error, with file and line ---------------------------------------------------------------

TOOLS_HEAD = "tools:\n"


def tool(name="a", iid="x", extra=""):
    return f"- name: {name}\n  instanceID: {iid}\n{extra}"


ERRORS = {
    # files
    "main-missing": ({}, ["config.yaml does not exist", "pass the path of your main config"]),
    "varfile-missing": ({"config.yaml": "varFile: vars.yaml\ntoolFile: tools.yaml\n" + LOCAL_CORE,
                         "tools.yaml": "tools: []\n"},
                        ["config.yaml:1: varFile vars.yaml does not exist; looked for " + str(Path("/x/vars.yaml"))]),
    "toolfile-missing": ({"config.yaml": "toolFile: nope/tools.yaml\n" + LOCAL_CORE},
                         ["config.yaml:1: toolFile nope/tools.yaml does not exist; looked for /x/nope/tools.yaml",
                          "relative paths are read from the folder of config.yaml"]),
    "toolfile-is-folder": ({"config.yaml": "toolFile: sub\n" + LOCAL_CORE, "sub/x": ""},
                           ["config.yaml:1: toolFile sub is a folder, not a file (/x/sub)"]),
    # not YAML / not a map
    "main-not-yaml": ({"config.yaml": "state:\n  backend: local\n  options: [a\n"},
                      ["config.yaml:4:1: not valid YAML"]),
    "tools-not-yaml": ({"config.yaml": "toolFile: t.yaml\n" + LOCAL_CORE, "t.yaml": "tools:\n- name: a\n  x: [\n"},
                       ["t.yaml:4:1: not valid YAML"]),
    "rendered-value-breaks-yaml": ({"config.yaml": sections(LOCAL_CORE, "v: 'a: b'\n", "tools:\n- name: a\n"
                                                            "  instanceID: x\n  options:\n    k: [[ v ]]\n")},
                                   ["config.yaml:13:", "quote the placeholder"]),
    "main-top-level-list": ({"config.yaml": "- state\n- tools\n"},
                            ["config.yaml:1: the top level is a list", "no `state` section"]),
    "tools-top-level-list": ({"config.yaml": "toolFile: t.yaml\n" + LOCAL_CORE, "t.yaml": "- name: a\n"},
                             ["t.yaml:1: the top level is a list"]),
    "tools-not-list": ({"config.yaml": sections(LOCAL_CORE, "tools:\n  name: a\n")},
                       ["config.yaml:8: `tools:` must be a list"]),
    "no-state": ({"config.yaml": "toolFile: t.yaml\n", "t.yaml": "tools: []\n"},
                 ["config.yaml: no `state` section", "backend: local"]),
    "no-tools": ({"config.yaml": LOCAL_CORE}, ["config.yaml: no tools"]),
    "duplicate-core": ({"config.yaml": sections(LOCAL_CORE, LOCAL_CORE, "tools: []\n")},
                       ["config.yaml:7: a second core section (with `state:`) (the first is at line 2)"]),
    "duplicate-tools": ({"config.yaml": sections(LOCAL_CORE, "tools: []\n", "tools: []\n")},
                        ["config.yaml:9: a second tools section (the first is at line 7)"]),
    "duplicate-vars": ({"config.yaml": sections(LOCAL_CORE, "a: 1\n", "b: 2\n", "tools: []\n")},
                       ["config.yaml:9: a second variables section (the first is at line 7)"]),
    "duplicate-yaml-key": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  options: {}\n"
                                                                                   "  options: {}\n"))},
                           ["config.yaml:11: key `options` is written twice in the same map (also at line 10)"]),
    "unknown-core-key": ({"config.yaml": "toolfile: t.yaml\n" + LOCAL_CORE},
                         ["config.yaml:1: unknown key `toolfile` in the core section (did you mean `toolFile`?)"]),
    # state
    "state-empty": ({"config.yaml": "state:\ntools: []\n"}, ["config.yaml:1: `state:` is empty"]),
    "state-not-map": ({"config.yaml": "state: local\ntools: []\n"}, ["config.yaml:1: `state:` must be a map"]),
    "state-options-not-map": ({"config.yaml": "state:\n  backend: local\n  options: [x]\ntools: []\n"},
                              ["config.yaml:3: `state.options` must be a map"]),
    "backend-unknown": ({"config.yaml": "state:\n  backend: dynamo\ntools: []\n"},
                        ["config.yaml:2: state backend `dynamo` is not supported", "backend: local", "backend: s3"]),
    "backend-k8s": ({"config.yaml": "state:\n  backend: k8s\ntools: []\n"},
                    ["config.yaml:2: state backend `k8s` is not supported"]),
    "backend-missing": ({"config.yaml": "state:\n  options: {}\ntools: []\n"},
                        ["config.yaml:1: state backend is missing"]),
    "s3-missing-all": ({"config.yaml": "state:\n  backend: s3\ntools: []\n"},
                       ["config.yaml:2: state.options: the s3 state backend needs option 'bucket'",
                        "config.yaml:2: state.options: the s3 state backend needs option 'region'",
                        "config.yaml:2: state.options: the s3 state backend needs option 'key'"]),
    "s3-missing-key": ({"config.yaml": "state:\n  backend: s3\n  options: {bucket: b, region: r}\ntools: []\n"},
                       ["1 problem", "config.yaml:3: state.options: the s3 state backend needs option 'key'"]),
    # tools
    "name-missing": ({"config.yaml": sections(LOCAL_CORE, "tools:\n- instanceID: x\n")},
                     ["config.yaml:8: tool has no `name`"]),
    "name-empty": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(name='""'))},
                   ["config.yaml:8: tool has no `name`"]),
    "name-not-text": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(name="[a]", iid="{b: c}"))},
                      ["2 problems", "config.yaml:8: `name` must be text, not a list",
                       "config.yaml:9: `instanceID` must be text, not a map"]),
    "name-underscore": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(name="my_tool"))},
                        ["config.yaml:8: tool name `my_tool` contains '_'", "use '-' instead"]),
    "instance-missing": ({"config.yaml": sections(LOCAL_CORE, "tools:\n- name: a\n")},
                         ["config.yaml:8: tool `a` has no `instanceID`", "instanceID: default"]),
    "instance-empty": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(iid="''"))},
                       ["config.yaml:8: tool `a` has no `instanceID`"]),
    "instance-invalid": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(iid="My_App"))},
                         ["config.yaml:9: instanceID `My_App` is not valid", "lower-case letters, digits, '-' and "
                          "'.'", "at most 253 characters", "try `my-app`"]),
    "instance-too-long": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(iid="a" * 254))},
                          ["config.yaml:9: instanceID `" + "a" * 254 + "` is not valid"]),
    "duplicate-tool": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool() + tool())},
                       ["config.yaml:10: tool a.x is defined twice (also at line 8)"]),
    "unknown-key-instanceId": ({"config.yaml": sections(LOCAL_CORE, "tools:\n- name: a\n  instanceId: x\n")},
                               ["config.yaml:9: unknown key `instanceId` in a tool entry (did you mean "
                                "`instanceID`?)"]),
    "unknown-key-dependson": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  dependson: []\n"))},
                              ["config.yaml:10: unknown key `dependson` in a tool entry (did you mean `dependsOn`?)"]),
    "unknown-key-option": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  owner: me\n"))},
                           ["config.yaml:10: unknown key `owner`", "indent it under `options:`"]),
    "depends-not-list": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool() + tool("b", "y",
                                                  "  dependsOn: a.x\n"))},
                         ["config.yaml:12: dependsOn must be a list"]),
    "depends-bad-entry": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  dependsOn: [argocd]\n"))},
                          ["config.yaml:10: dependsOn entry 'argocd' must be `name.instanceID`"]),
    "depends-unknown": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool() + tool("b", "y",
                                                 "  dependsOn: [argocd.default]\n"))},
                        ["config.yaml:10: tool b.y depends on argocd.default, which is not in the config "
                         "(tools in this config: a.x, b.y)"]),
    "cycle": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  dependsOn: [b.y]\n")
                                       + tool("b", "y", "  dependsOn: [a.x]\n"))},
              ["config.yaml:8: dependency cycle a.x -> b.y -> a.x"]),
    "cycle-of-three": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool("c", "z", "  dependsOn: [a.x]\n")
                                                + tool(extra="  dependsOn: [b.y]\n")
                                                + tool("b", "y", "  dependsOn: [c.z]\n"))},
                       ["config.yaml:8: dependency cycle c.z -> a.x -> b.y -> c.z"]),
    "self-dependency": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  dependsOn: [a.x]\n"))},
                        ["config.yaml:8: dependency cycle a.x -> a.x"]),
    "options-not-map": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  options: [x]\n"))},
                        ["config.yaml:10: options must be a map"]),
    "entry-not-map": ({"config.yaml": sections(LOCAL_CORE, "tools:\n- just-a-name\n")},
                      ["config.yaml:8: a tool entry must be a map"]),
    # variables
    "vars-missing": ({"config.yaml": "varFile: vars.yaml\ntoolFile: tools.yaml\n" + LOCAL_CORE,
                      "vars.yaml": "repoName: x\n",
                      "tools.yaml": "tools:\n- name: a\n  instanceID: x\n  options:\n    owner: [[ githubUsername ]]\n"
                                    "    repo: [[ repoName ]]\n    image: [[ dockerUser ]]/[[ githubUsername ]]\n"},
                     ["2 problems", "tools.yaml:5: variable [[ githubUsername ]] is not defined (also used at line 7)",
                      "add `githubUsername: ...` to vars.yaml", "tools.yaml:7: variable [[ dockerUser ]] is not "
                      "defined; add `dockerUser: ...` to vars.yaml"]),
    "vars-absent-three-files": ({"config.yaml": "toolFile: t.yaml\n" + LOCAL_CORE,
                                 "t.yaml": "tools:\n- name: a\n  instanceID: x\n  options: {o: [[ owner ]]}\n"},
                                ["t.yaml:4: variable [[ owner ]] is not defined", "set `varFile: variables.yaml`"]),
    "vars-absent-sections": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  options:\n"
                                                                                    "    o: [[ owner ]]\n"))},
                             ["config.yaml:11: variable [[ owner ]] is not defined", "add `owner: ...` to a "
                              "variables section of config.yaml"]),
    "vars-empty-section": ({"config.yaml": sections(LOCAL_CORE, "# no variables yet\n{}\n",
                                                    TOOLS_HEAD + tool(extra="  options:\n    o: [[ owner ]]\n"))},
                           ["config.yaml:14: variable [[ owner ]] is not defined",
                            "to the variables section of config.yaml"]),
    "vars-in-comment": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  # owner: [[ who ]]\n"))},
                        ["config.yaml:10: variable [[ who ]] is not defined", "placeholders in comments are "
                         "rendered too"]),
    "vars-dotted-missing": ({"config.yaml": sections(LOCAL_CORE, "repo:\n  name: x\n",
                                                     TOOLS_HEAD + tool(extra="  options:\n    o: [[ repo.owner ]]\n"
                                                                       "    p: [[ git.host.name ]]\n"))},
                            ["config.yaml:14: variable [[ repo.owner ]] is not defined; add `owner: ...` under `repo`",
                             "config.yaml:15: variable [[ git.host.name ]] is not defined; add "
                             "`git: {host: {name: ...}}`"]),
    "vars-v010-missing": ({"config.yaml": "config:\n" + textwrap.indent(LOCAL_CORE, "  ") + "vars:\n  a: 1\n"
                           + TOOLS_HEAD + tool(extra="  options: {o: '[[ b ]]'}\n")},
                          ["config.yaml:11: variable [[ b ]] is not defined; add `b: ...` to the `vars:` section"]),
    "vars-dot-prefix": ({"config.yaml": sections(LOCAL_CORE, "x: 1\n", TOOLS_HEAD + tool(extra="  options: "
                                                                                         "{o: '[[ .x ]]'}\n"))},
                        ["config.yaml:12: write [[ x ]], without the dot"]),
    "vars-list-value": ({"config.yaml": sections(LOCAL_CORE, "xs: [a, b]\nm: {k: v}\n", TOOLS_HEAD + tool(
                            extra="  options: {o: '[[ xs ]]', p: '[[ m ]]'}\n"))},
                        ["config.yaml:13: variable xs is a list; list and map values are not supported",
                         "config.yaml:13: variable m is a map"]),
    "vars-null-value": ({"config.yaml": sections(LOCAL_CORE, "x:\n", TOOLS_HEAD + tool(extra="  options: "
                                                                                      "{o: '[[ x ]]'}\n"))},
                        ["config.yaml:12: variable x has no value"]),
    "vars-not-a-map-parent": ({"config.yaml": sections(LOCAL_CORE, "x: 1\n", TOOLS_HEAD + tool(
                                  extra="  options: {o: '[[ x.y ]]'}\n"))},
                              ["config.yaml:12: variable x is not a map, so [[ x.y ]] cannot be looked up"]),
    "vars-nested-yaml-list": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  options: "
                                                                                     "{m: [[1, 2], [3]]}\n"))},
                              ["config.yaml:10: `[[1, 2], [3]]` is not a variable", "`[ [1, 2] ]`"]),
    "vars-unclosed": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(extra="  options: {m: '[[ x'}\n"))},
                      ["config.yaml:10: `[[` without a closing `]]`"]),
    "vars-not-map": ({"config.yaml": "varFile: v.yaml\ntoolFile: t.yaml\n" + LOCAL_CORE, "v.yaml": "- a\n",
                      "t.yaml": "tools: []\n"}, ["v.yaml:1: the top level is a list"]),
    "tools-section-extra-key": ({"config.yaml": sections(LOCAL_CORE, "tool: []\ntools: []\n")},
                                ["config.yaml:7: unknown key `tool` in the tools section (did you mean `tools`?)"]),
    "toolfile-without-tools": ({"config.yaml": "toolFile: t.yaml\n" + LOCAL_CORE, "t.yaml": "# empty\n"},
                               ["t.yaml: no `tools:` list"]),
    "depends-bad-entry-block-list": ({"config.yaml": sections(LOCAL_CORE, TOOLS_HEAD + tool(
                                         extra="  dependsOn:\n    - a.x\n    - ''\n"))},
                                     ["config.yaml:12: dependsOn entry '' must be `name.instanceID`"]),
    "toolfile-not-a-path": ({"config.yaml": "toolFile: [a]\n" + LOCAL_CORE},
                            ["config.yaml:1: `toolFile` must be a file path"]),
    # v0.10
    "v010-no-tools": ({"config.yaml": "config:\n" + textwrap.indent(LOCAL_CORE, "  ") + "vars: {}\n"},
                      ["config.yaml: no tools: add a `tools:` list"]),
    "v010-apps": ({"config.yaml": "config:\n" + textwrap.indent(LOCAL_CORE, "  ") + "apps:\n- name: x\n"
                   "pipelineTemplates: []\ntools: []\n"},
                  ["config.yaml:6: `apps:` is not supported", "config.yaml:8: `pipelineTemplates:` is not supported"]),
    "v010-no-state": ({"config.yaml": "config:\n  pluginDir: x\ntools: []\n"},
                      ["config.yaml:2: unknown key `pluginDir` in the core section; it holds only state",
                       "config.yaml: no `state` section"]),
    "v010-no-config": ({"config.yaml": "vars: {}\ntools: []\n"}, ["no `state` section"]),
}


@pytest.mark.parametrize("files, expected", ERRORS.values(), ids=ERRORS.keys())
def test_errors_name_file_line_and_fix(tmp_path, monkeypatch, files, expected):
    message = load_error(tmp_path, files, monkeypatch)
    for text in expected:
        assert text.replace("/x/", f"{tmp_path}/") in message


def test_all_problems_reported_at_once(tmp_path, monkeypatch):
    message = load_error(tmp_path, monkeypatch=monkeypatch, files={"config.yaml": sections(
        "state:\n  backend: s3\n",
        TOOLS_HEAD + tool("my_tool", "Bad") + tool(extra="  options: 3\n") + tool(extra="  dependsOn: [z.z]\n"))})
    assert message.startswith("invalid config config.yaml (7 problems):\n  - config.yaml:3: state.options: the s3 "
                              "state backend needs option 'bucket'")
    for text in ["config.yaml:3: state.options: the s3 state backend needs option 'bucket'",
                 "config.yaml:6: tool name `my_tool`",
                 "config.yaml:7: instanceID `Bad` is not valid", "config.yaml:10: options must be a map",
                 "config.yaml:11: tool a.x depends on z.z"]:
        assert text in message


def test_one_mistake_gives_one_message(tmp_path, monkeypatch):
    """A typo'd key is not also reported as a missing one; a tool depending on an invalid tool is fine."""
    message = load_error(tmp_path, monkeypatch=monkeypatch, files={"config.yaml": sections(
        LOCAL_CORE, TOOLS_HEAD + "- name: a\n  instanceId: x\n" + tool("b", "y", "  options: 3\n")
        + tool("c", "z", "  dependsOn: [b.y]\n"))})
    assert "(2 problems)" in message
    assert "config.yaml:9: unknown key `instanceId`" in message
    assert "config.yaml:12: options must be a map" in message


def test_structure_still_checked_when_variables_are_missing(tmp_path, monkeypatch):
    message = load_error(tmp_path, monkeypatch=monkeypatch, files={"config.yaml": sections(
        LOCAL_CORE, TOOLS_HEAD + tool("my_tool", extra="  options:\n    owner: [[ user ]]\n"))})
    assert "(2 problems)" in message
    assert "config.yaml:11: variable [[ user ]] is not defined" in message
    assert "config.yaml:8: tool name `my_tool` contains '_'" in message


def test_undefined_placeholders_do_not_hide_other_problems(tmp_path, monkeypatch):
    """Unquoted `[[ a ]]/[[ b ]]` left as written would not even be YAML: the tools are still checked."""
    message = load_error(tmp_path, monkeypatch=monkeypatch, files={"config.yaml": sections(
        LOCAL_CORE, TOOLS_HEAD + tool("my_tool", extra="  options:\n    image: [[ user ]]/[[ repo ]]\n"))})
    assert "(3 problems)" in message
    assert "config.yaml:8: tool name `my_tool` contains '_'" in message
    assert "config.yaml:11: variable [[ user ]] is not defined" in message
    assert "config.yaml:11: variable [[ repo ]] is not defined" in message
    assert "not valid YAML" not in message


def test_error_lines_survive_multi_line_variable_values(tmp_path, monkeypatch):
    message = load_error(tmp_path, monkeypatch=monkeypatch, files={"config.yaml": sections(
        LOCAL_CORE, 'script: "a\\nb"\n', """
        tools:
        - name: a
          instanceID: x
          options:
            run: "[[ script ]]"
        - name: b
          instanceID: x
          options: 3
    """)})
    assert "config.yaml:16: options must be a map" in message


def test_error_is_a_config_error_with_exit_code_2(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nothing.yaml")
    assert info.value.exit_code == 2
    assert info.value.problems == [f"config file {tmp_path / 'nothing.yaml'} does not exist; pass the path of your "
                                   f"main config file, e.g. config.yaml"]


def test_absurdly_deep_nesting_is_a_config_error_not_a_traceback(tmp_path):
    deep = "x: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
    path = write(tmp_path, {"config.yaml": "toolFile: tools.yaml\nstate:\n  backend: local\n",
                            "tools.yaml": "tools:\n- name: local-file\n  instanceID: x\n  options:\n    " + deep})
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(path)
