"""Notebook views of dtmnb's frames: coloured tables and the dependency graph (presentation only).

The engine returns plain DataFrames; these views only present them::

    dtmnb.views.show(dtmnb.plan(cfg))        # coloured plan: Create / Update / Delete
    dtmnb.views.show(result)                 # succeeded / failed / skipped
    dtmnb.views.dependency_graph(cfg, plan)  # SVG: tools as boxes, dependsOn edges

Every view has a deterministic ``__repr__`` (terminals, nbval's text/plain) and a ``_repr_html_`` built by
pandas' Styler with a fixed table id, so stored notebook outputs do not change from run to run.
Styler needs Jinja2 (the ``notebook`` extra); without it the HTML falls back to ``DataFrame.to_html``.
"""
from __future__ import annotations

import html
import itertools
import json
import math

import pandas as pd

ACTION_COLORS = {"create": "#d4edda", "update": "#fff3cd", "delete": "#f8d7da"}
STATUS_COLORS = {
    # apply/delete/destroy results
    "succeeded": "#d4edda", "failed": "#f8d7da", "skipped": "#e2e3e5", "unchanged": "#f1f3f5",
    # drift (show_status)
    "in sync": "#d4edda", "drifted": "#fff3cd", "gone": "#f8d7da", "error": "#f8d7da",
    # state_diff
    "added": "#d4edda", "changed": "#fff3cd", "removed": "#f8d7da",
}
NO_CHANGE_COLOR = "#f1f3f5"

# One table id per view, numbered in creation order: deterministic within a fresh kernel (nbval), and two
# tables on one page never share an id (pandas' CSS rules are keyed by it).
_counter = itertools.count(1)


def _reset_ids() -> None:
    """Restart table numbering (tests)."""
    global _counter
    _counter = itertools.count(1)


def _cell_text(value) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class FrameView:
    """A DataFrame with a title, a one-line summary, coloured rows and stable HTML/text reprs."""

    kind = "frame"
    title = "Table"
    color_column: str | None = None
    colors: dict[str, str] = {}
    hidden: tuple[str, ...] = ()

    def __init__(self, frame: pd.DataFrame, title: str | None = None, uuid: str | None = None,
                 hide: list[str] | tuple[str, ...] | None = None):
        self.frame = frame
        if title is not None:
            self.title = title
        self.uuid = uuid or f"dtmnb-{self.kind}-{next(_counter)}"
        self.hidden = tuple(hide) if hide is not None else self.hidden

    # -- what the view says -------------------------------------------------------------------------
    def summary(self) -> str:
        return _plural(len(self.frame), "row")

    def caption(self) -> str:
        return f"{self.title}: {self.summary()}"

    def visible_frame(self) -> pd.DataFrame:
        cols = [c for c in self.frame.columns if c not in self.hidden]
        return self.frame.loc[:, cols]

    def row_color(self, row) -> str:
        if self.color_column and self.color_column in row.index:
            return self.colors.get(str(row[self.color_column]).lower(), "")
        return ""

    def _formatters(self) -> dict:
        return {c: _cell_text for c in self.visible_frame().columns}

    # -- reprs --------------------------------------------------------------------------------------
    def to_text(self) -> str:
        frame = self.visible_frame()
        if frame.empty:
            return self.caption()
        # No truncation: a cut in the middle of a path would make stored notebook outputs machine-dependent.
        body = frame.to_string(index=False, formatters=self._formatters())
        return f"{self.caption()}\n{body}"

    def __repr__(self) -> str:
        return self.to_text()

    def styler(self):
        """The pandas Styler behind the HTML (needs Jinja2); restyle it freely."""
        # the index is hidden; a fresh one keeps Styler working on filtered/exploded frames (duplicate labels)
        frame = self.visible_frame().reset_index(drop=True)
        full = self.frame.reset_index(drop=True)

        def paint(row):
            color = self.row_color(full.iloc[row.name])
            return [f"background-color: {color}" if color else "" for _ in row]

        styler = frame.style.set_uuid(self.uuid).hide(axis="index").set_caption(html.escape(self.caption()))
        styler = styler.format(self._formatters(), escape="html")
        if len(frame):
            styler = styler.apply(paint, axis=1)
        return styler.set_table_styles([
            {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
            {"selector": "td", "props": "text-align: left; vertical-align: top;"},
            {"selector": "th", "props": "text-align: left;"},
        ])

    def to_html(self) -> str:
        try:
            return self.styler().to_html()
        except ImportError:  # no Jinja2: plain table, still deterministic
            frame = self.visible_frame()
            table = frame.to_html(index=False, formatters=self._formatters(), escape=True)
            return f"<p><b>{html.escape(self.caption())}</b></p>{table}"

    def _repr_html_(self) -> str:
        return self.to_html()


class PlanView(FrameView):
    kind, title, color_column, colors = "plan", "Plan", "action", ACTION_COLORS

    def summary(self) -> str:
        if self.frame.empty:
            return "no changes"
        counts = self.frame["action"].astype(str).str.lower().value_counts()
        return ", ".join(f"{counts.get(a, 0)} to {a}" for a in ("create", "update", "delete"))


class ResultView(FrameView):
    kind, title, color_column, colors = "result", "Result", "status", STATUS_COLORS

    def summary(self) -> str:
        if self.frame.empty:
            return "nothing was done"
        counts = self.frame["status"].astype(str).value_counts()
        parts = [f"{counts.get(s, 0)} {s}" for s in ("succeeded", "failed", "skipped") if counts.get(s, 0)]
        return ", ".join(parts)

    def _formatters(self) -> dict:
        fmts = super()._formatters()
        if "seconds" in fmts:
            # "0.42 s": notebooks/nbval-sanitize.cfg turns durations into "N.NN s"
            fmts["seconds"] = lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) \
                else f"{float(v):.2f} s"
        return fmts


class StateView(FrameView):
    kind, title = "state", "State"

    def summary(self) -> str:
        return _plural(len(self.frame), "tool") + " in the state"


class StatusView(FrameView):
    """Drift per tool; the full ``stored``/``live`` resources are hidden (pass ``hide=()`` to see them)."""

    kind, title, colors = "status", "Status", STATUS_COLORS
    hidden = ("stored", "live")

    def __init__(self, frame, *args, **kwargs):
        super().__init__(frame, *args, **kwargs)
        for col in ("drift", "status", "state"):
            if col in frame.columns:
                self.color_column = col
                break

    def summary(self) -> str:
        if self.frame.empty or not self.color_column:
            return _plural(len(self.frame), "tool")
        counts = self.frame[self.color_column].astype(str).value_counts()
        return ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))


class HistoryView(FrameView):
    kind, title = "history", "History"

    def summary(self) -> str:
        return _plural(len(self.frame), "version")


class DiffView(FrameView):
    kind, title, colors = "diff", "Diff", STATUS_COLORS

    def __init__(self, frame, *args, **kwargs):
        super().__init__(frame, *args, **kwargs)
        for col in ("change", "action", "status", "kind"):
            if col in frame.columns:
                self.color_column = col
                break

    def summary(self) -> str:
        if self.frame.empty:
            return "no differences"
        if not self.color_column:
            return _plural(len(self.frame), "difference")
        counts = self.frame[self.color_column].astype(str).value_counts()
        return ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))


class ToolsView(FrameView):
    kind, title = "tools", "Tools"
    hidden = ("file", "line")

    def summary(self) -> str:
        return _plural(len(self.frame), "tool") + " in the config"


class LockView(FrameView):
    kind, title = "lock", "Lock"

    def summary(self) -> str:
        if self.frame.empty:
            return "nobody holds the lock"
        r = self.frame.iloc[0]
        return f"held by {r.get('who', '?')} ({r.get('operation', '?')})"


VIEWS = {v.kind: v for v in (FrameView, PlanView, ResultView, StateView, StatusView, HistoryView, DiffView,
                             ToolsView, LockView)}


def guess_kind(frame: pd.DataFrame) -> str:
    """Which view fits ``frame``: ``frame.attrs['dtmnb_kind']`` if set, else judged by its columns."""
    kind = frame.attrs.get("dtmnb") or frame.attrs.get("dtmnb_kind")  # frames.py tags its frames
    if kind in VIEWS:
        return kind
    cols = set(frame.columns)
    if {"action", "reason"} <= cols:
        return "plan"
    if {"status", "seconds"} <= cols or {"action", "status", "error"} <= cols:
        return "result"
    if cols & {"version_id", "version"} and cols & {"last_modified", "modified", "when", "timestamp"}:
        return "history"
    if cols & {"drift", "drifted"} and "status" in cols:
        return "status"
    if {"before", "after"} <= cols or "change" in cols:
        return "diff"
    if {"options", "resource"} <= cols:
        return "state"
    return "frame"


def view(frame: pd.DataFrame, kind: str | None = None, **kwargs) -> FrameView:
    """Wrap ``frame`` in the view for ``kind`` (plan, result, state, status, history, diff)."""
    kind = kind or guess_kind(frame)
    if kind not in VIEWS:
        raise ValueError(f"unknown view kind '{kind}'; use one of: {', '.join(sorted(VIEWS))}")
    return VIEWS[kind](frame, **kwargs)


def show(obj, kind: str | None = None, **kwargs):
    """The notebook view of what dtmnb returned: a frame gets its coloured table; anything else
    (a PendingApply confirmation, a graph) is returned unchanged so it displays itself."""
    if isinstance(obj, pd.DataFrame):
        return view(obj, kind, **kwargs)
    return obj


# ------------------------------------------------------------------------------------------------------
# Dependency graph
# ------------------------------------------------------------------------------------------------------

_LEGEND = (("Create", ACTION_COLORS["create"]), ("Update", ACTION_COLORS["update"]),
           ("Delete", ACTION_COLORS["delete"]), ("no change", NO_CHANGE_COLOR))
_STROKE = {"create": "#28a745", "update": "#d39e00", "delete": "#dc3545"}


def _ref_to_key(ref: str) -> str:
    """``name.instance`` (dependsOn form) -> ``name_instance`` (state key); keys pass through."""
    ref = str(ref).strip()
    if "." in ref:
        name, _, inst = ref.rpartition(".")
        return f"{name}_{inst}"
    return ref


class DependencyGraph:
    """Tools as boxes, ``dependsOn`` as arrows (from the tool that runs first to the one that waits),
    each box coloured by its planned action. Pure-Python SVG, identical for identical input."""

    BOX_H, GAP_X, GAP_Y, PAD, CHAR_W = 46, 28, 56, 16, 7.2

    def __init__(self, nodes: list[dict], edges: list[tuple[str, str]], title: str = "Dependency graph"):
        self.nodes = nodes          # dicts: key, label, sub, action ("" = no change)
        self.edges = edges          # (dependency key, dependent key)
        self.title = title
        self.svg = self._render()

    # -- layout -------------------------------------------------------------------------------------
    def _layers(self) -> list[list[dict]]:
        by_key = {n["key"]: n for n in self.nodes}
        deps = {k: [a for a, b in self.edges if b == k and a in by_key] for k in by_key}
        depth: dict[str, int] = {}

        def level(k, seen=()):
            if k in depth:
                return depth[k]
            if k in seen:  # a cycle (config validation rejects these); draw it flat
                return 0
            d = 0 if not deps[k] else 1 + max(level(a, seen + (k,)) for a in deps[k])
            depth[k] = d
            return d

        for n in self.nodes:
            level(n["key"])
        layers: list[list[dict]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for n in self.nodes:  # input order inside a layer (plan step order / config order)
            layers[depth[n["key"]]].append(n)
        return layers

    def _box_w(self, n: dict) -> float:
        return max(120.0, self.CHAR_W * max(len(n["label"]), len(n["sub"])) + 2 * 12)

    def _render(self) -> str:
        layers = self._layers()
        pos: dict[str, tuple[float, float, float]] = {}
        row_widths = [sum(self._box_w(n) for n in layer) + self.GAP_X * (len(layer) - 1) for layer in layers]
        legend_w = 110 * len(_LEGEND)
        width = max([legend_w, *row_widths, 200]) + 2 * self.PAD
        top = self.PAD + 24 + 22
        for i, layer in enumerate(layers):
            x = (width - row_widths[i]) / 2
            y = top + i * (self.BOX_H + self.GAP_Y)
            for n in layer:
                w = self._box_w(n)
                pos[n["key"]] = (x, y, w)
                x += w + self.GAP_X
        height = top + len(layers) * (self.BOX_H + self.GAP_Y) - self.GAP_Y + self.PAD
        if not layers:
            height = top + self.PAD

        f = lambda v: f"{v:.1f}".rstrip("0").rstrip(".")  # noqa: E731  (short, stable numbers)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="dtmnb-graph" width="{f(width)}" '
            f'height="{f(height)}" viewBox="0 0 {f(width)} {f(height)}" font-family="sans-serif" font-size="12">',
            "<defs><marker id=\"dtmnb-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
            "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/>"
            "</marker></defs>",
            f'<rect x="0" y="0" width="{f(width)}" height="{f(height)}" fill="#ffffff"/>',
            f'<text x="{f(self.PAD)}" y="{f(self.PAD + 12)}" font-size="14" font-weight="bold">'
            f"{html.escape(self.title)}</text>",
        ]
        lx = self.PAD
        for label, color in _LEGEND:
            out.append(f'<rect x="{f(lx)}" y="{f(self.PAD + 22)}" width="14" height="14" fill="{color}" '
                       f'stroke="#888"/><text x="{f(lx + 20)}" y="{f(self.PAD + 33)}">{label}</text>')
            lx += 110
        for a, b in self.edges:
            if a not in pos or b not in pos:
                continue
            ax, ay, aw = pos[a]
            bx, by, bw = pos[b]
            x1, y1, x2, y2 = ax + aw / 2, ay + self.BOX_H, bx + bw / 2, by
            mid = (y1 + y2) / 2
            out.append(f'<path class="dtmnb-edge" data-from="{html.escape(a)}" data-to="{html.escape(b)}" '
                       f'd="M {f(x1)} {f(y1)} C {f(x1)} {f(mid)} {f(x2)} {f(mid)} {f(x2)} {f(y2)}" '
                       f'fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#dtmnb-arrow)"/>')
        for n in self.nodes:
            x, y, w = pos[n["key"]]
            action = n["action"].lower()
            fill = ACTION_COLORS.get(action, NO_CHANGE_COLOR)
            stroke = _STROKE.get(action, "#888")
            out.append(
                f'<g class="dtmnb-node" data-key="{html.escape(n["key"])}" data-action="{html.escape(action or "none")}">'
                f'<title>{html.escape(n["key"])}: {html.escape(n["action"] or "no change")}</title>'
                f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{self.BOX_H}" rx="6" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="1.5"/>'
                f'<text x="{f(x + w / 2)}" y="{f(y + 19)}" text-anchor="middle" font-weight="bold">'
                f'{html.escape(n["label"])}</text>'
                f'<text x="{f(x + w / 2)}" y="{f(y + 36)}" text-anchor="middle" fill="#444">'
                f'{html.escape(n["sub"])}</text></g>')
        out.append("</svg>")
        return "\n".join(out)

    # -- reprs --------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        lines = [f"{self.title}: {_plural(len(self.nodes), 'tool')}, {_plural(len(self.edges), 'edge')}"]
        for n in self.nodes:
            lines.append(f"  {n['key']} [{n['action'] or 'no change'}]")
        for a, b in self.edges:
            lines.append(f"  {a} -> {b}")
        return "\n".join(lines)

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.svg + "\n")


def _from_plan(frame: pd.DataFrame) -> tuple[list[dict], list[tuple[str, str]]]:
    nodes, edges, seen = [], [], set()
    rows = frame.sort_values("step") if "step" in frame.columns else frame
    for _, r in rows.iterrows():
        key = str(r["key"])
        name = str(r.get("name", key))
        inst = str(r.get("instance_id", ""))
        nodes.append({"key": key, "label": name, "sub": f"{inst} · {r['action']}" if inst else str(r["action"]),
                      "action": str(r["action"])})
        seen.add(key)
        for dep in (r.get("depends_on") or []) if isinstance(r.get("depends_on"), (list, tuple)) else []:
            edges.append((_ref_to_key(dep), key))
    for a, _ in edges:  # a dependency with no change still gets a box
        if a not in seen:
            seen.add(a)
            name, _, inst = a.rpartition("_")
            nodes.append({"key": a, "label": name or a, "sub": f"{inst} · no change", "action": ""})
    return nodes, edges


def dependency_graph(cfg_or_plan, plan: pd.DataFrame | None = None, title: str = "Dependency graph"):
    """Draw tools and their ``dependsOn`` edges as SVG, each tool coloured by its planned action.

    Parameters
    ----------
    cfg_or_plan : Config or DataFrame
        A loaded config (every tool is drawn, coloured by ``plan``) or a plan DataFrame (only the
        changes, plus the tools they depend on).
    plan : DataFrame, optional
        The plan to colour a config's tools with; without it the config is drawn alone
        (``dtmnb.dependency_graph(cfg)`` plans first).
    """
    if isinstance(cfg_or_plan, pd.DataFrame):
        nodes, edges = _from_plan(cfg_or_plan)
        return DependencyGraph(nodes, edges, title)
    cfg = cfg_or_plan
    if plan is None:
        plan = pd.DataFrame(columns=["step", "key", "name", "instance_id", "action", "reason", "depends_on"])
    actions = {str(r["key"]): str(r["action"]) for _, r in plan.iterrows()} if len(plan) else {}
    nodes, edges = [], []
    keys = {t.key for t in cfg.tools}
    for t in cfg.tools:
        action = actions.get(t.key, "")
        nodes.append({"key": t.key, "label": t.name, "sub": f"{t.instance_id} · {action or 'no change'}",
                      "action": action})
        for dep in t.depends_on:
            edges.append((_ref_to_key(dep), t.key))
    for _, r in (plan.iterrows() if len(plan) else []):  # in the state, no longer in the config: a Delete
        key = str(r["key"])
        if key in keys:
            continue
        name = str(r["name"]) if "name" in r else key.rpartition("_")[0]
        inst = str(r["instance_id"]) if "instance_id" in r else key.rpartition("_")[2]
        nodes.append({"key": key, "label": name, "sub": f"{inst} · {r['action']}", "action": str(r["action"])})
        deps = r["depends_on"] if "depends_on" in r and isinstance(r["depends_on"], (list, tuple)) else []
        edges.extend((_ref_to_key(d), key) for d in deps)
    return DependencyGraph(nodes, edges, title)


__all__ = ["ACTION_COLORS", "STATUS_COLORS", "DependencyGraph", "DiffView", "FrameView", "HistoryView", "LockView",
           "PlanView", "ResultView", "StateView", "StatusView", "ToolsView", "dependency_graph", "guess_kind", "show", "view"]
