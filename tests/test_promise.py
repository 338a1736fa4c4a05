"""The plan is a promise: apply does what plan showed and touches nothing dtmnb did not create and record.

Each case of issue 8 is reproduced through the public API; the checks look at the disk and at the sandbox's
repositories, not only at dtmnb's own reports.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import dtmnb
from dtmnb.console import QuietConsole
from dtmnb.errors import ChangesFailedError, UsageError
from dtmnb.plugins import Plugin, register_plugin
from dtmnb.state import parse_state

from ._engine_helpers import write_config


def apply(cfg, **kw):
    return dtmnb.apply(cfg, auto_approve=True, console=QuietConsole(), **kw)


def rows(frame, *columns):
    return list(frame[list(columns)].itertuples(index=False, name=None))


def local_file(instance: str, path: str, content: str = "x", depends: str = "") -> str:
    deps = f"  dependsOn: [{depends}]\n" if depends else ""
    return (f"- name: local-file\n  instanceID: {instance}\n{deps}  options:\n    path: {path}\n"
            f"    content: {content!r}\n").replace("'", '"')


def scaffolding(repo: str, output_dir: str = "repos") -> str:
    return textwrap.dedent(f"""
        - name: local-repo-scaffolding
          instanceID: app
          options:
            owner: IronCore864
            repo: {repo}
            output_dir: {output_dir}
        """)


def config(folder: Path, *tools: str):
    return dtmnb.load_config(write_config(folder, "tools:\n" + "".join(t.lstrip("\n") for t in tools)))


# ---- 1. renames: Replace deletes what the state recorded, never what it did not make ---------------------

def test_local_file_path_change_is_a_replace_that_removes_the_recorded_file(tmp_path):
    apply(config(tmp_path, local_file("a", "old.txt", "hello")))
    cfg = config(tmp_path, local_file("a", "new.txt", "hello"))
    plan = dtmnb.plan(cfg)
    assert rows(plan, "key", "action") == [("local-file_a", "Replace")]
    assert "path=old.txt will be deleted, then path=new.txt created" in plan.loc[0, "reason"]
    assert plan.loc[0, "diff"] == [{"path": "options.path", "before": "old.txt", "after": "new.txt"}]
    assert list(apply(cfg)["status"]) == ["succeeded"]
    assert not (tmp_path / "old.txt").exists() and (tmp_path / "new.txt").read_text() == "hello"
    assert dtmnb.plan(cfg).empty


def test_local_file_never_overwrites_an_unmanaged_file(tmp_path):
    apply(config(tmp_path, local_file("a", "old.txt", "mine")))
    (tmp_path / "precious.txt").write_text("not dtmnb's\n")
    cfg = config(tmp_path, local_file("a", "precious.txt", "mine"))
    result = apply(cfg)
    assert list(result["status"]) == ["failed"]
    assert "already exists and dtmnb did not create it" in result.loc[0, "error"]
    assert "dtmnb import -f CONFIG local-file.a" in result.loc[0, "error"]
    assert (tmp_path / "precious.txt").read_text() == "not dtmnb's\n"       # untouched
    assert (tmp_path / "old.txt").read_text() == "mine"                       # the recorded one is kept
    assert dtmnb.read_state(cfg).loc[0, "options"]["path"] == "old.txt"
    # a plain Create onto an existing file fails the same way, and independent changes still run
    cfg = config(tmp_path / "other", local_file("b", "taken.txt"), local_file("c", "free.txt"))
    (tmp_path / "other" / "taken.txt").write_text("someone else's\n")
    result = apply(cfg).set_index("key")
    assert result.loc["local-file_b", "status"] == "failed" and result.loc["local-file_c", "status"] == "succeeded"
    assert (tmp_path / "other" / "taken.txt").read_text() == "someone else's\n"


def test_folder_rename_onto_an_occupied_name_deletes_nothing_and_destroy_cleans_up(tmp_path):
    apply(config(tmp_path, scaffolding("demo")))
    precious = tmp_path / "repos" / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine\n")
    cfg = config(tmp_path, scaffolding("precious"))
    plan = dtmnb.plan(cfg)
    assert rows(plan, "action") == [("Replace",)]
    assert "IronCore864" in plan.loc[0, "reason"] and "demo" in plan.loc[0, "reason"]
    result = apply(cfg)
    assert list(result["status"]) == ["failed"] and "already exists" in result.loc[0, "error"]
    assert (precious / "keep.txt").read_text() == "mine\n" and len(list(precious.iterdir())) == 1
    assert (tmp_path / "repos" / "demo" / "go.mod").is_file()       # the recorded project is still there
    dtmnb.destroy(cfg, auto_approve=True, console=QuietConsole())
    assert not (tmp_path / "repos" / "demo").exists()                 # what dtmnb made is gone ...
    assert (precious / "keep.txt").read_text() == "mine\n"           # ... what it did not make is not


def test_folder_rename_onto_a_free_name_leaves_nothing_behind(tmp_path):
    apply(config(tmp_path, scaffolding("demo")))
    cfg = config(tmp_path, scaffolding("fresh"))
    assert list(apply(cfg)["status"]) == ["succeeded"]
    assert not (tmp_path / "repos" / "demo").exists() and (tmp_path / "repos" / "fresh" / "go.mod").is_file()
    dtmnb.destroy(cfg, auto_approve=True, console=QuietConsole())
    assert list((tmp_path / "repos").iterdir()) == []


GITHUB_TOOL = """
tools:
- name: github-repo-scaffolding-golang
  instanceID: default
  options:
    owner: IronCore864
    repo: {repo}
    branch: main
    image_repo: ironcore864/{repo}
"""


def repo_exists(gh, full_name: str) -> bool:
    from github import UnknownObjectException

    try:
        gh.get_repo(full_name)
    except UnknownObjectException:
        return False
    return True


def test_github_rename_onto_an_existing_repository_never_touches_it(github_env, tmp_path):
    gh = github_env.client()
    cfg = dtmnb.load_config(write_config(tmp_path, GITHUB_TOOL.format(repo="demo")))
    assert list(apply(cfg)["status"]) == ["succeeded"]
    precious = gh.get_user().create_repo("precious", auto_init=True)
    precious.create_file("notes.md", "mine", "my notes\n")
    cfg = dtmnb.load_config(write_config(tmp_path, GITHUB_TOOL.format(repo="precious")))
    plan = dtmnb.plan(cfg)
    assert rows(plan, "action") == [("Replace",)]
    assert "IronCore864/demo will be deleted, then IronCore864/precious created" in plan.loc[0, "reason"]
    result = apply(cfg)
    assert list(result["status"]) == ["failed"]
    assert "IronCore864/precious already exists and dtmnb did not create it" in result.loc[0, "error"]
    assert gh.get_repo("IronCore864/precious").get_contents("notes.md").decoded_content == b"my notes\n"
    assert gh.get_repo("IronCore864/demo").name == "demo"             # still there, still recorded
    dtmnb.destroy(cfg, auto_approve=True, console=QuietConsole())
    assert not repo_exists(gh, "IronCore864/demo") and repo_exists(gh, "IronCore864/precious")


def test_github_rename_onto_a_free_name_moves_the_repository(github_env, tmp_path):
    gh = github_env.client()
    apply(dtmnb.load_config(write_config(tmp_path, GITHUB_TOOL.format(repo="demo"))))
    cfg = dtmnb.load_config(write_config(tmp_path, GITHUB_TOOL.format(repo="fresh")))
    assert list(apply(cfg)["status"]) == ["succeeded"]
    assert not repo_exists(gh, "IronCore864/demo") and repo_exists(gh, "IronCore864/fresh")
    assert dtmnb.plan(cfg).empty
    dtmnb.destroy(cfg, auto_approve=True, console=QuietConsole())
    assert not repo_exists(gh, "IronCore864/fresh")


# ---- 2. outputs propagate in one apply -------------------------------------------------------------------

def test_dependents_of_a_changed_output_are_planned_and_converge_in_one_apply(tmp_path):
    upstream = local_file("a", "a.txt", "one")
    downstream = local_file("b", "b.txt", "${{ local-file.a.outputs.sha256 }}")   # no dependsOn written
    cfg = config(tmp_path, upstream, downstream)
    plan = dtmnb.plan(cfg)
    assert rows(plan, "key", "depends_on") == [("local-file_a", []), ("local-file_b", ["local-file.a"])]
    apply(cfg)
    cfg = config(tmp_path, local_file("a", "a.txt", "two"), downstream)
    plan = dtmnb.plan(cfg)
    assert rows(plan, "key", "action") == [("local-file_a", "Update"), ("local-file_b", "Update")]
    assert "known after apply" in plan.loc[1, "reason"]
    assert plan.loc[1, "diff"][0]["path"] == "options.content"
    assert plan.loc[1, "diff"][0]["after"] == "(known after apply)"
    result = apply(cfg)
    assert list(result["status"]) == ["succeeded", "succeeded"]
    sha = parse_state((tmp_path / "devstream.state").read_bytes(), "x").entries["local-file_a"].outputs["sha256"]
    assert (tmp_path / "b.txt").read_text() == sha
    assert dtmnb.plan(cfg).empty                                       # one apply converged


class Counter(Plugin):
    """Outputs that depend on one option only (``out``); counts its calls."""

    name = "counter"
    calls: list = []
    made: set = set()

    def _resource(self, options):
        return {"id": options["id"], "outputs": {"value": options.get("out", "")}}

    def create(self, options):
        Counter.calls.append(("create", options["id"]))
        Counter.made.add(options["id"])
        return self._resource(options)

    def read(self, options):
        return self._resource(options) if options["id"] in Counter.made else None

    def update(self, options, prior):
        Counter.calls.append(("update", options["id"]))
        return self._resource(options)

    def delete(self, options):
        Counter.calls.append(("delete", options["id"]))
        Counter.made.discard(options["id"])


register_plugin("counter", Counter, clobber=True)


def test_dependent_whose_reference_did_not_change_is_recorded_unchanged_and_not_run(tmp_path):
    def tools(note):
        return ("- name: counter\n  instanceID: a\n  options: {id: a, out: same, note: " + note + "}\n"
                "- name: counter\n  instanceID: b\n  options: {id: b, v: '${{ counter.a.outputs.value }}'}\n")
    cfg = config(tmp_path, tools("first"))
    apply(cfg)
    Counter.calls.clear()
    cfg = config(tmp_path, tools("second"))
    assert rows(dtmnb.plan(cfg), "key", "action") == [("counter_a", "Update"), ("counter_b", "Update")]
    result = apply(cfg)
    assert rows(result, "key", "status") == [("counter_a", "succeeded"), ("counter_b", "unchanged")]
    assert Counter.calls == [("update", "a")]
    assert dtmnb.plan(cfg).empty


# ---- 4/6. whatever a plugin returns, apply returns its frame --------------------------------------------

class Odd(Plugin):
    name = "odd"
    returns: object = None

    def create(self, options):
        return Odd.returns

    def read(self, options):
        return None

    def delete(self, options):
        pass


register_plugin("odd", Odd, clobber=True)


@pytest.mark.parametrize("value, words", [
    ({"outputs": {"path": Path("/tmp/x")}}, ["resource.outputs.path", "PosixPath"]),
    ({"set": {1, 2}}, ["resource.set", "set"]),
    ({1: "a"}, ["key 1", "int"]),
    ("text", ["str", "not a map"]),
])
def test_an_unstorable_resource_fails_that_change_only(tmp_path, value, words):
    Odd.returns = value
    cfg = config(tmp_path, "- name: odd\n  instanceID: o\n  options: {}\n", local_file("f", "f.txt"))
    result = apply(cfg).set_index("key")
    assert result.loc["local-file_f", "status"] == "succeeded"
    assert result.loc["odd_o", "status"] == "failed"
    error = result.loc["odd_o", "error"]
    assert "plugin odd returned a value the state cannot hold" in error
    assert all(w in error for w in words), error
    assert list(dtmnb.read_state(cfg)["key"]) == ["local-file_f"]     # the state stays readable


class Exiting(Odd):
    name = "exiting"

    def create(self, options):
        raise SystemExit(3)


register_plugin("exiting", Exiting, clobber=True)


def test_a_plugin_calling_sys_exit_fails_its_change_not_the_run(tmp_path):
    cfg = config(tmp_path, "- name: exiting\n  instanceID: e\n  options: {}\n", local_file("f", "f.txt"))
    result = apply(cfg).set_index("key")
    assert result.loc["exiting_e", "status"] == "failed" and "SystemExit" in result.loc["exiting_e", "error"]
    assert result.loc["local-file_f", "status"] == "succeeded"


# ---- 5/7. convenient calls -----------------------------------------------------------------------------

def test_every_public_call_takes_a_path(tmp_path):
    path = write_config(tmp_path, "tools:\n" + local_file("a", "a.txt"))
    assert rows(dtmnb.plan(path), "action") == [("Create",)]
    assert rows(dtmnb.plan(str(path)), "action") == [("Create",)]
    apply(path)
    assert list(dtmnb.read_state(path)["key"]) == ["local-file_a"]
    assert list(dtmnb.show_status(str(path))["status"]) == ["in sync"]
    assert list(dtmnb.tools_frame(path)["key"]) == ["local-file_a"]
    with pytest.raises(UsageError, match="expected a config"):
        dtmnb.plan(42)


def test_check_raises_with_the_result_frame(tmp_path):
    (tmp_path / "taken.txt").write_text("x")
    cfg = config(tmp_path, local_file("a", "taken.txt"))
    with pytest.raises(ChangesFailedError) as err:
        apply(cfg, check=True)
    assert "local-file_a Create" in str(err.value) and "already exists" in str(err.value)
    assert list(err.value.result["status"]) == ["failed"]


# ---- 6. after a crash: import takes an existing thing under management; state rm forgets one ------------

def test_import_records_an_existing_thing_and_plan_is_then_empty(tmp_path):
    (tmp_path / "made-before.txt").write_text("x")     # as if a crash hit between create and the state write
    cfg = config(tmp_path, local_file("a", "made-before.txt", "x"))
    first = apply(cfg)
    assert "dtmnb import -f CONFIG local-file.a" in first.loc[0, "error"]
    result = dtmnb.import_tool(cfg, "local-file.a", console=QuietConsole())
    assert rows(result, "key", "action", "status") == [("local-file_a", "Import", "succeeded")]
    assert dtmnb.read_state(cfg).loc[0, "resource"]["size"] == 1
    assert dtmnb.plan(cfg).empty
    with pytest.raises(UsageError, match="already in the state"):
        dtmnb.import_tool(cfg, "local-file.a")
    with pytest.raises(UsageError, match="not a tool of the config"):
        dtmnb.import_tool(cfg, "local-file.nope")


def test_import_of_something_missing_fails_clearly(tmp_path):
    cfg = config(tmp_path, local_file("a", "missing.txt"))
    with pytest.raises(ChangesFailedError, match="nothing to import: path=missing.txt does not exist"):
        dtmnb.import_tool(cfg, "local-file.a", console=QuietConsole())
    assert dtmnb.read_state(cfg).empty


def test_forget_drops_a_tool_from_the_state_and_leaves_its_file(tmp_path):
    cfg = config(tmp_path, local_file("a", "a.txt"))
    apply(cfg)
    assert dtmnb.forget(cfg, "local-file.a", console=QuietConsole()) == ["local-file_a"]
    assert dtmnb.read_state(cfg).empty and (tmp_path / "a.txt").exists()
    with pytest.raises(UsageError, match="not in the state: local-file.a"):
        dtmnb.forget(cfg, "local-file.a")


# ---- a shared state cannot make an apply delete outside the project --------------------------------------

def test_tampered_state_cannot_delete_outside_the_config_folder(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    apply(config(project, scaffolding("demo", output_dir=str(elsewhere))))
    assert (elsewhere / "demo" / "go.mod").is_file()          # the config named it: allowed
    cfg = config(project, local_file("f", "f.txt"))            # the tool is gone from the config
    result = apply(cfg).set_index("key")
    assert result.loc["local-repo-scaffolding_app", "status"] == "failed"
    assert "refusing to delete" in result.loc["local-repo-scaffolding_app", "error"]
    assert (elsewhere / "demo" / "go.mod").is_file()


def test_delete_uses_the_options_the_state_recorded(tmp_path):
    apply(config(tmp_path, local_file("a", "first.txt")))
    (tmp_path / "second.txt").write_text("someone else's")
    cfg = config(tmp_path, local_file("a", "second.txt"))     # changed, then deleted without applying
    dtmnb.delete(cfg, auto_approve=True, console=QuietConsole())
    assert not (tmp_path / "first.txt").exists()
    assert (tmp_path / "second.txt").read_text() == "someone else's"


def test_a_dependent_that_drifted_is_repaired_even_when_its_references_did_not_change(tmp_path):
    upstream = local_file("a", "a.txt", "one")
    downstream = local_file("b", "b.txt", "${{ local-file.a.outputs.path }}")
    cfg = config(tmp_path, upstream, downstream)
    apply(cfg)
    (tmp_path / "a.txt").write_text("edited by hand")      # a drifts: it is rewritten, its path output stays
    (tmp_path / "b.txt").write_text("edited by hand")      # b drifts too
    plan = dtmnb.plan(cfg)
    assert rows(plan, "key", "action") == [("local-file_a", "Update"), ("local-file_b", "Update")]
    result = apply(cfg)
    assert list(result["status"]) == ["succeeded", "succeeded"]
    assert (tmp_path / "b.txt").read_text() == "a.txt"
    assert dtmnb.plan(cfg).empty
