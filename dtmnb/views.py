"""Notebook views of dtmnb's frames: coloured tables (presentation only).

The public calls return plain DataFrames; these views only present them::

    dtmnb.show(dtmnb.plan(cfg))        # coloured plan: Create / Update / Replace / Delete
    dtmnb.show(result)                 # succeeded / failed / skipped / unchanged

Every view has a deterministic ``__repr__`` (terminals, nbval's text/plain) and a ``_repr_html_`` written
here (no Jinja2 needed) with a fixed table id, so stored notebook outputs do not change from run to run.
Rows are coloured with a text colour for each background (:mod:`dtmnb.palette`), so they read in light and
dark themes; nested values are shown compactly with the whole value on hover, long text wraps at spaces.
The dependency graph lives in :mod:`dtmnb.graphview` (re-exported here).
"""
from __future__ import annotations

import html
import itertools
import json
import math
from typing import Any

import pandas as pd

from .graphview import DependencyGraph, dependency_graph
from .palette import ACTION_COLORS, STATUS_COLORS, THEME_BORDER, Pair
from .palette import style as pair_style

# One table id per view, numbered in creation order: deterministic within a fresh kernel (nbval), and two
# tables on one page never share an id (pandas' CSS rules are keyed by it).
_counter = itertools.count(1)


def _reset_ids() -> None:
    """Restart table numbering (tests)."""
    global _counter
    _counter = itertools.count(1)


COMPACT = 48   # characters of a nested value shown in a cell; the whole value is on hover


def _cell_text(value: Any) -> str:
    if _is_diff(value):
        return "\n".join(_diff_line(d) for d in value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _is_diff(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(d, dict) and set(d) == {"path", "before", "after"} for d in value)


def _diff_line(d: dict) -> str:
    def show(v: Any) -> str:
        return "(none)" if v is None else json.dumps(v, ensure_ascii=False, default=str)
    return f"{d['path']}: {show(d['before'])} -> {show(d['after'])}"


def _cell_html(value: Any) -> str:
    """A cell's HTML: escaped text; a nested value compact, with the whole value as its hover title."""
    text = _cell_text(value)
    if isinstance(value, (dict, list, tuple)) and not _is_diff(value) and len(text) > COMPACT:
        short = text[:COMPACT - 1].rstrip() + "…"
        return f'<span title="{html.escape(text)}">{html.escape(short)}</span>'
    return html.escape(text)


# Inline styles only: JupyterLab shows an untrusted notebook's HTML (anyone's freshly opened notebook) with
# <style> elements removed but style attributes kept.
TABLE_STYLE = "border-collapse: collapse; max-width: 100%; font-size: 13px; line-height: 1.4; margin: 4px 0;"
CAPTION_STYLE = "caption-side: top; text-align: left; font-weight: bold; padding: 2px 0;"
TH_STYLE = (f"text-align: left; vertical-align: bottom; padding: 3px 8px; white-space: nowrap; "
            f"border-bottom: 1px solid {THEME_BORDER};")
# identifiers and short words: never broken across lines
NOWRAP_COLUMNS = frozenset(("step", "key", "name", "instance_id", "action", "status", "seconds", "version_id",
                            "modified", "change", "id", "operation", "created"))
TD_NOWRAP_STYLE = "text-align: left; vertical-align: top; padding: 3px 8px; white-space: nowrap;"
WIDEST_COLUMN = 40      # characters a column asks for at most when the table is laid out (it wraps beyond)
FITS_CHARS = 130        # about what a 1,000 px output area holds at 13 px: wider tables get fixed column widths
PADDING_CHARS = 2       # a cell's 8 px of padding on each side, in characters
LONGEST_WORD = 24       # a column keeps words up to this long whole; longer ones (shas, URLs) break anyway
# text wraps at spaces; a word too long for its column (a URL, a sha) breaks where it must (JupyterLab keeps
# only ``normal`` and ``break-word`` for overflow-wrap in an untrusted notebook)
TD_STYLE = ("text-align: left; vertical-align: top; padding: 3px 8px; max-width: 30em; white-space: pre-wrap; "
            "overflow-wrap: break-word; word-break: normal;")


def _column_shares(texts: list[list[str]], widths: list[int]) -> list[float]:
    """Percentages of a fixed-layout table's width: each column first gets room for its longest word
    (header included, so ``Replace`` or ``step`` never break), then the rest of the ~FITS_CHARS is shared
    in proportion to how much more each column would hold on one line."""
    words = [min(max((len(w) for t in column for w in t.split()), default=1), LONGEST_WORD, width)
             for column, width in zip(texts, widths, strict=True)]
    floor = [w + PADDING_CHARS + 1 for w in words]   # + 1: proportional letters are not all the same width
    extra = [width - w for width, w in zip(widths, words, strict=True)]
    left = max(FITS_CHARS - sum(floor), 0)
    room = [f + (left * e / sum(extra) if sum(extra) else 0) for f, e in zip(floor, extra, strict=True)]
    return [100 * r / sum(room) for r in room]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class FrameView:
    """A DataFrame with a title, a one-line summary, coloured rows and stable HTML/text reprs."""

    kind = "frame"
    title = "Table"
    color_column: str | None = None
    colors: dict[str, Pair] = {}
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

    def row_colors(self, row: pd.Series) -> Pair | None:
        """The (background, text) colours of a row, or None for the theme's."""
        if self.color_column and self.color_column in row.index:
            return self.colors.get(str(row[self.color_column]).lower())
        return None

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

    def styler(self) -> Any:
        """A pandas Styler of the same table (needs Jinja2), to restyle freely; the HTML does not use it."""
        frame = self.visible_frame().reset_index(drop=True)
        full = self.frame.reset_index(drop=True)

        def paint(row: pd.Series) -> list[str]:
            pair = self.row_colors(full.iloc[row.name])
            return [pair_style(pair) if pair else "" for _ in row]

        styler = frame.style.set_uuid(self.uuid).hide(axis="index").set_caption(html.escape(self.caption()))
        styler = styler.format(self._formatters(), escape="html")
        return styler.apply(paint, axis=1) if len(frame) else styler

    def to_html(self) -> str:
        """The table as HTML: deterministic, theme-aware, no Jinja2 needed. A table whose columns would not fit
        an output area of about 1,000 px gets fixed column widths, in proportion to what each holds, so long
        words wrap inside their column instead of widening the table."""
        frame = self.visible_frame().reset_index(drop=True)
        full = self.frame.reset_index(drop=True)
        formatters = self._formatters()
        cells = [[self._cell(formatters, col, frame.iat[i, j]) for j, col in enumerate(frame.columns)]
                 for i in range(len(frame))]
        texts = [[str(col)] + [row[j][0] for row in cells] for j, col in enumerate(frame.columns)]
        widths = [min(max(len(t) for t in column), WIDEST_COLUMN) for column in texts]
        fixed = sum(widths) + PADDING_CHARS * len(widths) > FITS_CHARS
        table_style = TABLE_STYLE + (" table-layout: fixed; width: 100%;" if fixed else "")
        cols = "".join(f'<col style="width: {share:.1f}%">' for share in _column_shares(texts, widths)) if fixed else ""
        head = "".join(f'<th style="{TH_STYLE}">{html.escape(str(c))}</th>' for c in frame.columns)
        rows = []
        for i, row in enumerate(cells):
            pair = self.row_colors(full.iloc[i])
            attr = f' style="{pair_style(pair)}"' if pair else ""
            tds = "".join(f'<td style="{TD_NOWRAP_STYLE if col in NOWRAP_COLUMNS and not fixed else TD_STYLE}">'
                          f"{markup}</td>" for col, (_, markup) in zip(frame.columns, row, strict=True))
            rows.append(f"<tr{attr}>{tds}</tr>")
        return (f'<div class="dtmnb-view"><table id="T_{self.uuid}" class="dtmnb-table" style="{table_style}">'
                f'<caption style="{CAPTION_STYLE}">{html.escape(self.caption())}</caption>'
                f"{'<colgroup>' + cols + '</colgroup>' if cols else ''}<thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table></div>")

    @staticmethod
    def _cell(formatters: dict, col: str, value: Any) -> tuple[str, str]:
        """(the text a person sees, its HTML) of one cell."""
        fmt = formatters.get(col, _cell_text)
        if fmt is _cell_text:
            markup = _cell_html(value)
            text = _cell_text(value)
            return (text[:COMPACT] if markup.startswith("<span title=") else text), markup
        text = fmt(value)
        return text, html.escape(text)

    def _repr_html_(self) -> str:
        return self.to_html()


class PlanView(FrameView):
    kind, title, color_column, colors = "plan", "Plan", "action", ACTION_COLORS

    def summary(self) -> str:
        if self.frame.empty:
            return "no changes"
        counts = self.frame["action"].astype(str).str.lower().value_counts()
        actions = ["create", "update"] + (["replace"] if counts.get("replace", 0) else []) + ["delete"]
        if counts.get("import", 0):
            actions.append("import")
        return ", ".join(f"{counts.get(a, 0)} to {a}" for a in actions)

    def _formatters(self) -> dict:
        fmts = super()._formatters()
        if "diff" in fmts:   # a Create or Delete has no attribute diff: an empty cell, not "[]"
            fmts["diff"] = lambda v: _cell_text(v) if isinstance(v, list) and v else ""
        return fmts


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


def view(frame: pd.DataFrame, kind: str | None = None, **kwargs: Any) -> FrameView:
    """Wrap ``frame`` in the view for ``kind`` (plan, result, state, status, history, diff)."""
    kind = kind or guess_kind(frame)
    if kind not in VIEWS:
        raise ValueError(f"unknown view kind '{kind}'; use one of: {', '.join(sorted(VIEWS))}")
    return VIEWS[kind](frame, **kwargs)


def show(obj: Any, kind: str | None = None, **kwargs: Any) -> Any:
    """The notebook view of what dtmnb returned: a frame gets its coloured table; anything else
    (a PendingApply confirmation, a graph) is returned unchanged so it displays itself."""
    if isinstance(obj, pd.DataFrame):
        return view(obj, kind, **kwargs)
    return obj


__all__ = ["ACTION_COLORS", "STATUS_COLORS", "DependencyGraph", "DiffView", "FrameView", "HistoryView", "LockView",
           "PlanView", "ResultView", "StateView", "StatusView", "ToolsView", "dependency_graph", "guess_kind", "show",
           "view"]
