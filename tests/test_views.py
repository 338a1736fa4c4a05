"""Notebook views: coloured tables with stable HTML and text, and the SVG dependency graph."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from dtmnb import views

PLAN = pd.DataFrame([
    {"step": 1, "key": "a_default", "name": "a", "instance_id": "default", "action": "Create",
     "reason": "Tool (a/default) found in config but doesn't exist in the state, will be created.", "depends_on": []},
    {"step": 2, "key": "b_default", "name": "b", "instance_id": "default", "action": "Update",
     "reason": "Tool (b/default) config drifted from the state, will be updated.", "depends_on": ["a.default"]},
    {"step": 3, "key": "c_old", "name": "c", "instance_id": "old", "action": "Delete",
     "reason": "", "depends_on": []},
])
RESULT = pd.DataFrame([
    {"key": "a_default", "name": "a", "instance_id": "default", "action": "Create", "status": "failed",
     "error": "<boom> & bust", "seconds": 0.123456},
    {"key": "b_default", "name": "b", "instance_id": "default", "action": "Update", "status": "skipped",
     "error": "", "seconds": 0.0},
    {"key": "c_old", "name": "c", "instance_id": "old", "action": "Delete", "status": "succeeded",
     "error": "", "seconds": 1.5},
])
STATE = pd.DataFrame([
    {"key": "a_default", "name": "a", "instance_id": "default", "depends_on": [], "options": {"path": "x"},
     "resource": {"outputs": {"path": "/tmp/x"}}, "outputs": {"path": "/tmp/x"}},
])


def test_guess_kind():
    assert views.guess_kind(PLAN) == "plan"
    assert views.guess_kind(RESULT) == "result"
    assert views.guess_kind(STATE) == "state"
    assert views.guess_kind(pd.DataFrame({"x": [1]})) == "frame"
    tagged = pd.DataFrame({"x": [1]})
    tagged.attrs["dtmnb"] = "history"
    assert views.guess_kind(tagged) == "history"


def test_plan_view_text_and_html_are_deterministic():
    a = views.PlanView(PLAN, uuid="plan")
    b = views.PlanView(PLAN.copy(), uuid="plan")
    assert a.to_html() == b.to_html()
    assert repr(a) == repr(b)
    assert repr(a).splitlines()[0] == "Plan: 1 to create, 1 to update, 1 to delete"
    html = a.to_html()
    assert 'id="T_plan"' in html
    assert "#d4edda" in html and "#fff3cd" in html and "#f8d7da" in html
    assert "0x" not in repr(a)


def test_a_wide_table_gets_fixed_widths_that_keep_short_words_whole():
    wide = PLAN.assign(key=["github-repo-scaffolding-golang_default"] * 3, action=["Replace", "Update", "Delete"],
                       reason=["Tool (b/default) config drifted from the state, will be replaced: " + "x" * 80] * 3)
    html = views.show(wide).to_html()
    assert "table-layout: fixed; width: 100%;" in html
    shares = [float(p) for p in re.findall(r'<col style="width: ([0-9.]+)%">', html)]
    shown = re.findall(r"<th [^>]*>([^<]*)</th>", html)
    assert len(shares) == len(shown) and abs(sum(shares) - 100) < 0.5
    room = dict(zip(shown, (views.FITS_CHARS * p / 100 for p in shares), strict=True))
    assert room["step"] >= len("step") + views.PADDING_CHARS       # the header does not run into the next one
    assert room["action"] >= len("Replace") + views.PADDING_CHARS  # never "Repla-ce"
    assert room["reason"] > 3 * room["action"]                       # the long text gets the rest


def test_view_ids_are_unique_and_numbered_in_order():
    views._reset_ids()
    first, second = views.show(PLAN), views.show(PLAN)
    assert (first.uuid, second.uuid) == ("dtmnb-plan-1", "dtmnb-plan-2")
    views._reset_ids()
    assert views.show(PLAN).to_html() == first.to_html()


def test_result_view_colours_statuses_and_escapes():
    v = views.show(RESULT, uuid="r")
    assert isinstance(v, views.ResultView)
    assert v.summary() == "1 succeeded, 1 failed, 1 skipped"
    html = v.to_html()
    assert "&lt;boom&gt; &amp; bust" in html and "<boom>" not in html
    assert "#e2e3e5" in html  # skipped grey
    assert "0.12 s" in html and "1.50 s" in html
    assert "0.12 s" in repr(v)


def test_hide_columns():
    v = views.show(RESULT, hide=["seconds"])
    assert "seconds" not in repr(v) and "seconds" not in v.to_html()


def test_state_view_renders_dicts_as_json():
    v = views.show(STATE, uuid="s")
    assert repr(v).startswith("State: 1 tool in the state")
    assert '{"path": "x"}' in repr(v)


def test_empty_frames():
    empty_plan = PLAN.iloc[0:0]
    assert repr(views.show(empty_plan)) == "Plan: no changes"
    assert "<table" in views.show(empty_plan).to_html()
    assert repr(views.ResultView(RESULT.iloc[0:0])) == "Result: nothing was done"


def test_status_history_diff_views():
    status = pd.DataFrame([
        {"key": "a_default", "status": "drifted", "drifted": True, "differences": ["sha256"], "stored": {"x": 1},
         "live": {"x": 2}},
        {"key": "b_default", "status": "in sync", "drifted": False, "differences": [], "stored": {}, "live": {}}])
    sv = views.show(status, uuid="st")
    assert isinstance(sv, views.StatusView) and sv.summary() == "1 drifted, 1 in sync"
    assert "#fff3cd" in sv.to_html()
    assert "stored" not in repr(sv) and "stored" in repr(views.show(status, hide=()))
    hist = pd.DataFrame([{"version_id": "v1", "last_modified": "2026-01-01", "size": 10}])
    assert repr(views.show(hist)).startswith("History: 1 version")
    diff = pd.DataFrame([{"key": "a_default", "change": "added", "before": None, "after": {"x": 1}}])
    dv = views.show(diff, uuid="d")
    assert isinstance(dv, views.DiffView) and dv.summary() == "1 added"


def test_show_passes_other_objects_through():
    marker = object()
    assert views.show(marker) is marker
    with pytest.raises(ValueError):
        views.view(PLAN, kind="nope")


def test_dependency_graph_from_plan_is_deterministic_svg():
    g1 = views.dependency_graph(PLAN)
    g2 = views.dependency_graph(PLAN.copy())
    assert g1._repr_svg_() == g2._repr_svg_()
    root = ET.fromstring(g1.svg)  # well-formed XML
    assert root.tag.endswith("svg")
    nodes = {n.get("data-key"): n.get("data-action") for n in root.iter() if n.get("class") == "dtmnb-node"}
    assert nodes == {"a_default": "create", "b_default": "update", "c_old": "delete"}
    edges = [(e.get("data-from"), e.get("data-to")) for e in root.iter() if e.get("class") == "dtmnb-edge"]
    assert edges == [("a_default", "b_default")]
    assert repr(g1) == ("Dependency graph: 3 tools, 1 edge\n  a_default [Create]\n  b_default [Update]\n"
                        "  c_old [Delete]\n  a_default -> b_default")


def test_dependency_graph_adds_unchanged_dependencies_and_layers_them():
    plan = PLAN.iloc[1:2]  # only b changes; it depends on a, which has no change
    g = views.dependency_graph(plan)
    root = ET.fromstring(g.svg)
    boxes = {n.get("data-key"): n for n in root.iter() if n.get("class") == "dtmnb-node"}
    assert boxes["a_default"].get("data-action") == "none"

    def y(key):
        rect = next(c for c in boxes[key] if c.tag.endswith("rect"))
        return float(rect.get("y"))

    assert y("a_default") < y("b_default")  # dependencies above their dependents


def test_dependency_graph_from_config_with_explicit_plan(tmp_path: Path):
    from dtmnb.config import Config, StateConfig, Tool

    cfg = Config(tmp_path / "config.yaml",
                 [Tool("repo", "default"), Tool("file", "readme", ["repo.default"])],
                 StateConfig("local", {"stateFile": "devstream.state"}, tmp_path))
    plan = PLAN.iloc[0:0]
    g = views.dependency_graph(cfg, plan=plan)
    assert repr(g).splitlines() == ["Dependency graph: 2 tools, 1 edge", "  repo_default [no change]",
                                    "  file_readme [no change]", "  repo_default -> file_readme"]
    out = tmp_path / "g.svg"
    g.save(out)
    assert out.read_text().startswith("<svg")


def test_filtered_and_exploded_frames_still_render():
    exploded = PLAN.explode("depends_on")  # duplicate index labels would break Styler.apply
    exploded = pd.concat([exploded, exploded])
    v = views.show(exploded, kind="plan", uuid="x")
    html = v.to_html()
    assert html.count("#d4edda") >= 1 and "<table" in html
    assert repr(v).startswith("Plan: 2 to create, 2 to update, 2 to delete")


def test_every_colour_pair_reads_in_any_theme():
    from dtmnb import palette

    pairs = {**palette.ACTION_COLORS, **palette.STATUS_COLORS, **palette.BOX_COLORS, "no change": palette.NO_CHANGE}
    weak = {name: round(palette.contrast(*pair), 2) for name, pair in pairs.items() if palette.contrast(*pair) < 4.5}
    assert not weak


def test_coloured_rows_set_their_text_colour_too():
    html = views.show(RESULT, uuid="c").to_html()
    assert 'style="background-color: #f8d7da; color: #721c24;"' in html
    assert "white-space: pre-wrap" in html and "overflow-wrap: break-word" in html


def test_nested_values_are_compact_with_the_whole_value_on_hover():
    big = {"outputs": {f"key{i}": "x" * 20 for i in range(10)}}
    frame = pd.DataFrame([{"key": "a_b", "name": "a", "instance_id": "b", "depends_on": [], "options": {},
                           "resource": big, "outputs": big["outputs"]}])
    html = views.show(frame, uuid="n").to_html()
    assert "…</span>" in html and 'title="{&quot;outputs&quot;' in html
    assert '"key9": "xxxxxxxxxxxxxxxxxxxx"' in repr(views.show(frame))          # the text view keeps it all


def test_html_needs_no_jinja2(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "jinja2", None)       # as if it were not installed
    html = views.show(PLAN, uuid="nj").to_html()
    assert 'id="T_nj"' in html and "#fff3cd" in html


def test_plan_diff_column_reads_as_path_before_after():
    plan = PLAN.assign(diff=[[], [{"path": "options.content", "before": "a", "after": "b"}], []])
    assert 'options.content: "a" -> "b"' in repr(views.show(plan))


def test_graph_edges_for_instance_ids_with_dots():
    plan = pd.DataFrame([
        {"step": 1, "key": "local-file_a.b", "name": "local-file", "instance_id": "a.b", "action": "Create",
         "depends_on": []},
        {"step": 2, "key": "local-file_c", "name": "local-file", "instance_id": "c", "action": "Create",
         "depends_on": ["local-file.a.b"]}])
    g = views.dependency_graph(plan)
    root = ET.fromstring(g.svg)
    edges = [(e.get("data-from"), e.get("data-to")) for e in root.iter() if e.get("class") == "dtmnb-edge"]
    assert edges == [("local-file_a.b", "local-file_c")]
    assert 'style="fill: var(--jp-layout-color0, #ffffff)"' in g.svg       # follows the theme
