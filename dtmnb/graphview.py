"""The dependency graph: tools as boxes, ``dependsOn`` as arrows, each box coloured by its planned action.

Pure-Python SVG, identical for identical input. Boxes carry their own text colour with their fill; the
background, title and arrows follow the JupyterLab theme (CSS variables with light-theme fallbacks).
"""
from __future__ import annotations

import html
import os
from typing import Any

import pandas as pd

from .palette import ACTION_COLORS, NO_CHANGE, THEME_BACKGROUND, THEME_MUTED, THEME_TEXT

_LEGEND = (("Create", ACTION_COLORS["create"]), ("Update", ACTION_COLORS["update"]),
           ("Replace", ACTION_COLORS["replace"]), ("Delete", ACTION_COLORS["delete"]), ("no change", NO_CHANGE))
_STROKE = {"create": "#28a745", "update": "#d39e00", "replace": "#e8590c", "delete": "#dc3545"}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _ref_to_key(ref: str) -> str:
    """``name.instance`` (dependsOn form) -> ``name_instance`` (state key); keys pass through. A tool name has
    no dot, an instance id may have several: the first dot separates them."""
    ref = str(ref).strip()
    if "." in ref:
        name, _, inst = ref.partition(".")
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
        legend_w = 100 * len(_LEGEND)
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
            "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" "
            f'style="fill: {THEME_MUTED}"/></marker></defs>',
            f'<rect x="0" y="0" width="{f(width)}" height="{f(height)}" style="fill: {THEME_BACKGROUND}"/>',
            f'<text x="{f(self.PAD)}" y="{f(self.PAD + 12)}" font-size="14" font-weight="bold" '
            f'style="fill: {THEME_TEXT}">{html.escape(self.title)}</text>',
        ]
        lx = self.PAD
        for label, (fill, _) in _LEGEND:
            out.append(f'<rect x="{f(lx)}" y="{f(self.PAD + 22)}" width="14" height="14" fill="{fill}" '
                       f'stroke="#888"/><text x="{f(lx + 20)}" y="{f(self.PAD + 33)}" style="fill: {THEME_TEXT}">'
                       f"{label}</text>")
            lx += 100
        for a, b in self.edges:
            if a not in pos or b not in pos:
                continue
            ax, ay, aw = pos[a]
            bx, by, bw = pos[b]
            x1, y1, x2, y2 = ax + aw / 2, ay + self.BOX_H, bx + bw / 2, by
            mid = (y1 + y2) / 2
            out.append(f'<path class="dtmnb-edge" data-from="{html.escape(a)}" data-to="{html.escape(b)}" '
                       f'd="M {f(x1)} {f(y1)} C {f(x1)} {f(mid)} {f(x2)} {f(mid)} {f(x2)} {f(y2)}" '
                       f'fill="none" style="stroke: {THEME_MUTED}" stroke-width="1.5" '
                       f'marker-end="url(#dtmnb-arrow)"/>')
        for n in self.nodes:
            out.append(self._box(n, *pos[n["key"]], f))
        out.append("</svg>")
        return "\n".join(out)

    def _box(self, n: dict, x: float, y: float, w: float, f: Any) -> str:
        action = n["action"].lower()
        fill, ink = ACTION_COLORS.get(action, NO_CHANGE)
        stroke = _STROKE.get(action, "#888")
        key, label, sub = html.escape(n["key"]), html.escape(n["label"]), html.escape(n["sub"])
        return (f'<g class="dtmnb-node" data-key="{key}" data-action="{html.escape(action or "none")}">'
                f'<title>{key}: {html.escape(n["action"] or "no change")}</title>'
                f'<rect x="{f(x)}" y="{f(y)}" width="{f(w)}" height="{self.BOX_H}" rx="6" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="1.5"/>'
                f'<text x="{f(x + w / 2)}" y="{f(y + 19)}" text-anchor="middle" font-weight="bold" fill="{ink}">'
                f"{label}</text>"
                f'<text x="{f(x + w / 2)}" y="{f(y + 36)}" text-anchor="middle" fill="{ink}">{sub}</text></g>')

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

    def save(self, path: str | os.PathLike[str]) -> None:
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
            name, _, inst = a.partition("_")
            nodes.append({"key": a, "label": name or a, "sub": f"{inst} · no change", "action": ""})
    return nodes, edges


def dependency_graph(cfg_or_plan: Any, plan: pd.DataFrame | None = None,
                     title: str = "Dependency graph") -> DependencyGraph:
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
        name = str(r["name"]) if "name" in r else key.partition("_")[0]
        inst = str(r["instance_id"]) if "instance_id" in r else key.partition("_")[2]
        nodes.append({"key": key, "label": name, "sub": f"{inst} · {r['action']}", "action": str(r["action"])})
        deps = r["depends_on"] if "depends_on" in r and isinstance(r["depends_on"], (list, tuple)) else []
        edges.extend((_ref_to_key(d), key) for d in deps)
    return DependencyGraph(nodes, edges, title)


__all__ = ["DependencyGraph", "dependency_graph"]
