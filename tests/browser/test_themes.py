"""Every notebook, as committed, rendered in JupyterLab's light and dark themes: every table cell, caption and
status line of dtmnb's views has a text/background contrast of at least 4.5:1 (WCAG AA).

The notebooks are opened as a person opens someone else's notebook: untrusted, so their HTML is sanitized
(no <style> elements), with their stored outputs. ``DTMNB_SCREENSHOT_DIR`` saves a screenshot of each.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
SHOWN = ".jp-NotebookPanel:not(.lm-mod-hidden) "     # the notebook in front, not those in other tabs
MEASURED = ", ".join(SHOWN + s for s in (".dtmnb-view td", ".dtmnb-view th", ".dtmnb-view caption",
                                         ".dtmnb-status", ".dtmnb-confirm-static b"))
CONTRASTS = """(selector) => {
  const rgb = (s) => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const background = (el) => { for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor); if (c && c.a > 0.5) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  return [...document.querySelectorAll(selector)].filter((el) => el.textContent.trim())
    .map((el) => [el.tagName, el.textContent.trim().slice(0, 50),
                  ratio(rgb(getComputedStyle(el).color), background(el))]);
}"""


WIDEST = """(selector) => [...document.querySelectorAll(selector)].map((t) => {
  const area = t.closest('.jp-OutputArea-output');
  return [t.querySelector('caption') ? t.querySelector('caption').textContent.slice(0, 40) : '',
          Math.round(t.getBoundingClientRect().width), area ? area.clientWidth : 0];
})"""


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_views_in_every_notebook_are_readable(lab, chromium_page, theme, tmp_path):
    url, root = lab
    for path in NOTEBOOKS:
        shutil.copy(path, root / path.name)
    page = chromium_page
    shots = os.environ.get("DTMNB_SCREENSHOT_DIR")
    weak, measured, too_wide = [], 0, []
    for path in NOTEBOOKS:
        page.goto(f"{url}/lab/tree/{path.name}?reset")   # a fresh workspace: only this notebook open
        page.wait_for_function(f"() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                               f"window.jupyterapp.shell.currentWidget.context && "
                               f"window.jupyterapp.shell.currentWidget.context.path === '{path.name}'",
                               timeout=90_000)   # stored outputs render without waiting for a kernel
        page.evaluate(f"() => window.jupyterapp.commands.execute('apputils:change-theme', "
                      f"{{theme: '{THEMES[theme]}'}})")
        page.wait_for_function(f"() => document.body.dataset.jpThemeName === '{THEMES[theme]}'", timeout=30_000)
        page.wait_for_selector(SHOWN + ".dtmnb-view td", state="attached", timeout=60_000)
        if shots:
            page.screenshot(path=os.path.join(shots, f"{path.stem}-{theme}.png"), full_page=True)
        found = page.evaluate(CONTRASTS, MEASURED)
        if theme == "light":   # layout does not depend on the theme: measured once
            tables = page.evaluate(WIDEST, SHOWN + ".dtmnb-view table")
            too_wide += [(path.name, caption, width, area) for caption, width, area in tables if width > area + 1]
        measured += len(found)
        weak += [(path.name, tag, text, round(ratio, 2)) for tag, text, ratio in found if ratio < 4.5]
    assert measured > 100 * len(NOTEBOOKS) // 4, f"only {measured} elements found: is the selector right?"
    assert not weak, f"{len(weak)} element(s) below 4.5:1 in the {theme} theme: {weak[:10]}"
    assert not too_wide, f"tables wider than their output area: {too_wide[:10]}"
