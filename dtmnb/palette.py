"""The colours of every coloured thing dtmnb shows, each a (background, text) pair.

Every coloured element sets its text colour together with its background, so it reads the same in
JupyterLab's light and dark themes; each pair has a WCAG contrast of at least 4.5:1 (tests check it).
Uncoloured text uses the theme's own colours (JupyterLab CSS variables, with light-theme fallbacks).
"""
from __future__ import annotations

Pair = tuple[str, str]

GREEN: Pair = ("#d4edda", "#155724")
YELLOW: Pair = ("#fff3cd", "#6d5200")
ORANGE: Pair = ("#ffe0c2", "#7a3300")
RED: Pair = ("#f8d7da", "#721c24")
GREY: Pair = ("#e2e3e5", "#383d41")
LIGHT: Pair = ("#f1f3f5", "#343a40")
BLUE: Pair = ("#cce5ff", "#004085")

ACTION_COLORS: dict[str, Pair] = {"create": GREEN, "update": YELLOW, "replace": ORANGE, "delete": RED,
                                  "import": BLUE}
STATUS_COLORS: dict[str, Pair] = {
    # apply/delete/destroy results
    "succeeded": GREEN, "failed": RED, "skipped": GREY, "unchanged": LIGHT,
    # drift (show_status)
    "in sync": GREEN, "drifted": YELLOW, "gone": RED, "error": RED,
    # state_diff
    "added": GREEN, "changed": YELLOW, "removed": RED,
}
NO_CHANGE: Pair = LIGHT
# the states of the confirmation box (ui.py)
BOX_COLORS: dict[str, Pair] = {"pending": BLUE, "running": BLUE, "applied": GREEN, "cancelled": GREY,
                               "failed": RED}

THEME_TEXT = "var(--jp-ui-font-color1, #1f2328)"
THEME_MUTED = "var(--jp-ui-font-color2, #57606a)"
THEME_BACKGROUND = "var(--jp-layout-color0, #ffffff)"
THEME_BORDER = "var(--jp-border-color2, #d0d7de)"


def style(pair: Pair) -> str:
    """The CSS declarations of a pair."""
    return f"background-color: {pair[0]}; color: {pair[1]};"


def _luminance(color: str) -> float:
    rgb = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


__all__ = ["ACTION_COLORS", "BOX_COLORS", "NO_CHANGE", "STATUS_COLORS", "contrast", "style"]
