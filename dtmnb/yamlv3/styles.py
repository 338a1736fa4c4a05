"""Which style yaml.v3 writes a string in, and the text of each style (docs/state-format.md §2.3-§2.5).

The rules port ``encode.go stringv`` (the style asked for) and ``emitterc.go yaml_emitter_analyze_scalar``
/ ``yaml_emitter_select_scalar_style`` (the style allowed). Where yaml.v3's own choice would not read
back as the same string, :func:`style` picks double quotes instead (§4).
"""
from __future__ import annotations

import re
from functools import cache, lru_cache

from .scalars import HINTS, is_long_int, reads_as_str

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"
BREAKS = "\n\r\x85\u2028\u2029"
_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}
# yaml.v3's printable runes; everything else is "special" (4-byte runes, NEL, controls, DEL, surrogates,
# U+FEFF...). The negated classes below are compiled on first use: they take tens of milliseconds.
_PRINTABLE = "\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd"
_ASCII_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_HASH_AFTER_SPACE = re.compile("[ \t\n\r\x85\u2028\u2029]#")
_PLAIN_BAD_START = frozenset("#,[]{}&*!|>'\"%@`")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EASY = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_/.:@=+,~-]*(?<!:)\Z")  # nothing for analyze_scalar to find


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _has_special(s: str) -> bool:
    if s.isascii():
        return _ASCII_SPECIAL.search(s) is not None
    return _regex(f"[^\n\t{_PRINTABLE}]").search(s) is not None


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return "\\" + _ESCAPES[ch]
    cp = ord(ch)
    return f"\\x{cp:02X}" if cp <= 0xFF else f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}"


def double_quoted(s: str) -> str:
    """``"..."`` with yaml.v3's escapes (upper-case hex; no folding, as the line width is unlimited)."""
    if s.startswith("\ufeff"):  # yaml.v3 bug: is_bom() looks at the value's start, so escape everything
        return '"' + "".join(map(_escape_char, s)) + '"'
    escape = _regex(f'[^{_PRINTABLE}]|["\\\\\u2028\u2029]')
    return '"' + escape.sub(lambda m: _escape_char(m.group()), s) + '"'


def single_quoted(s: str, indent: int) -> str:
    """``'...'``; a line or paragraph separator inside indents the next line (a trailing one does not)."""
    s = s.replace("'", "''")
    if "\u2028" in s or "\u2029" in s:
        s = re.sub("([\u2028\u2029]+)(?=[^\u2028\u2029])", lambda m: m.group(1) + " " * indent, s)
    return "'" + s + "'"


def literal(s: str, indent: int) -> str:
    """A ``|`` block as yaml.v3 writes it: hints, no explicit header break, content at ``indent``; it
    ends with its last line break."""
    hints = "2" if s[0] == " " or s[0] in BREAKS else ""
    if s[-1] not in BREAKS:
        hints += "-"
    elif len(s) == 1 or s[-2] in BREAKS:
        hints += "+"
    out, pad, at_line_start = ["|" + hints], " " * indent, False
    for part in re.split("([\n\u2028\u2029])", s):
        if not part:
            continue
        if part in "\n\u2028\u2029":
            out.append(part)
            at_line_start = True
        else:
            out.append(("" if at_line_start else "\n") + pad + part)
            at_line_start = False
    if not at_line_start:
        out.append("\n")
    return "".join(out)


def plain_at_a_glance(s: str) -> bool:
    """A quick yes for the most common strings: ASCII words, paths and URLs that nothing in the style rules
    touches (they start with a letter, ``_`` or ``/``, so they can only resolve to a string)."""
    return _EASY.match(s) is not None and s[0] not in HINTS


@lru_cache(maxsize=1 << 14)
def _analyze(s: str) -> tuple[bool, bool, bool, bool]:
    """yaml.v3 ``analyze_scalar`` for a non-empty string: (plain_ok, single_ok, block_ok, multiline)."""
    if _EASY.match(s):
        return True, True, True, False
    special = _has_special(s)
    tab = "\t" in s
    multiline = any(b in s for b in BREAKS)
    first, last = s[0], s[-1]
    space_break = break_space = False
    if multiline:
        for i in range(1, len(s)):
            a, b = s[i - 1], s[i]
            if a == " " and b in BREAKS:
                space_break = True
            elif a in BREAKS and b == " ":
                break_space = True
    indicator = (
        first in _PLAIN_BAD_START
        or first in "-?:" and (len(s) == 1 or s[1] in " \t")
        or s.startswith(("---", "..."))
        or last == ":"
        or ": " in s or ":\t" in s
        or "#" in s and _HASH_AFTER_SPACE.search(s) is not None)
    edge_space = first == " " or last == " " or first in BREAKS or last in BREAKS
    plain_ok = not (special or tab or multiline or indicator or edge_space)
    single_ok = not (special or tab or space_break or break_space)
    block_ok = not (special or space_break or last == " ")
    return plain_ok, single_ok, block_ok, multiline


@lru_cache(maxsize=1 << 14)
def style(s: str, key: bool) -> tuple[str, bool]:
    """The style ``s`` is written in, and (for keys) whether it is a simple ``key:`` (§2.3, §2.5)."""
    if s == "":
        return DOUBLE, True
    if not s.isascii() and _SURROGATE.search(s):
        raise ValueError("yaml.v3 writer: a lone surrogate is not text that UTF-8 (or Go) can hold")
    plain_ok, single_ok, block_ok, multiline = _analyze(s)
    simple = key and not multiline and len(s.encode("utf-8", "surrogatepass")) <= 128
    chosen = LITERAL if "\n" in s else PLAIN if reads_as_str(s) else DOUBLE
    if chosen == PLAIN and not plain_ok:
        chosen = SINGLE
    if chosen == SINGLE and not single_ok:
        chosen = DOUBLE
    if chosen == LITERAL and (not block_ok or (key and simple)):
        chosen = DOUBLE
    if _v3_loses(s, chosen, key):
        chosen = DOUBLE
    return chosen, simple


def _v3_loses(s: str, chosen: str, key: bool) -> bool:
    """Whether yaml.v3's own form of ``s`` would read back as something else (§4); double quotes do not.

    * a block whose value starts with a line break: yaml.v3 writes no break after the ``|`` header, so
      the value's first break stands in for it and is lost;
    * a block whose first line starts with a tab: no reader takes a tab where indentation is expected;
    * the key ``<<`` written plain: it reads back as a merge key;
    * a decimal literal over MAX_INT_DIGITS digits written plain: dtmnb's state reader refuses it.
    """
    if chosen == LITERAL:
        return s[0] in "\t\n\u2028\u2029"
    if chosen == PLAIN:
        return key and s == "<<" or s[0] in "+-0123456789" and is_long_int(s)
    return False
