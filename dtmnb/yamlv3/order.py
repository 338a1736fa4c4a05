"""The order yaml.v3 writes map keys in: a port of ``sorter.go keyList.Less`` (docs/state-format.md §2.2)."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cmp_to_key
from os.path import commonprefix
from typing import Any

from .values import Timestamp

_KIND_BOOL, _KIND_INT, _KIND_UINT, _KIND_FLOAT, _KIND_NIL, _KIND_STRING, _KIND_STRUCT = 1, 2, 11, 14, 20, 24, 25


def _kind(v: Any) -> int:
    """The Go reflect.Kind a Python key stands for (the numbers are Go's, only their order matters)."""
    if v is None:
        return _KIND_NIL
    if isinstance(v, bool):
        return _KIND_BOOL
    if isinstance(v, int):
        return _KIND_UINT if v >= 1 << 63 else _KIND_INT
    if isinstance(v, float):
        return _KIND_FLOAT
    if isinstance(v, Timestamp):
        return _KIND_STRUCT
    return _KIND_STRING


def _is_letter(c: str) -> bool:
    return ("a" <= c <= "z" or "A" <= c <= "Z") if c < "\x80" else unicodedata.category(c)[0] == "L"


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9" if c < "\x80" else unicodedata.category(c) == "Nd"


def _wrap64(n: int) -> int:
    n &= (1 << 64) - 1
    return n - (1 << 64) if n >= 1 << 63 else n


def _less_str(a: str, b: str) -> bool:
    """Go's "natural" string order: letters by code point, non-letters first, digit runs as numbers."""
    start = len(commonprefix((a, b)))
    if start == min(len(a), len(b)):
        return len(a) < len(b)
    after_digit = start > 0 and _is_digit(a[start - 1])
    for i in range(start, min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            after_digit = _is_digit(ca)
            continue
        la, lb = _is_letter(ca), _is_letter(cb)
        if la and lb:
            return ca < cb
        if la or lb:  # one letter: it goes last, unless a digit run precedes (then it goes first)
            return la if after_digit else lb
        return _less_runs(a, b, i)
    return len(a) < len(b)


def _less_runs(a: str, b: str, i: int) -> bool:
    """_less_str where ``a`` and ``b`` first differ at ``i`` and neither has a letter there: the digit runs
    from ``i`` on compare by value (Go's int64, wrapping), then by length; else the characters compare."""
    n = 0
    if a[i] == "0" or b[i] == "0":  # a zero after nonzero shared digits still counts
        j = i - 1
        while j >= 0 and _is_digit(a[j]):
            if a[j] != "0":
                n = 1
                break
            j -= 1
    ea, na = _digit_run(a, i, n)
    eb, nb = _digit_run(b, i, n)
    if na != nb:
        return na < nb
    if ea != eb:
        return ea < eb
    return a[i] < b[i]


def _digit_run(s: str, i: int, n: int) -> tuple[int, int]:
    """The end of the run of digits at ``s[i:]`` and its value, continuing ``n`` (Go's int64 arithmetic)."""
    while i < len(s) and _is_digit(s[i]):
        n = _wrap64(n * 10 + ord(s[i]) - 48)
        i += 1
    return i, n


def less(a: Any, b: Any) -> bool:
    """yaml.v3's map key order for Python keys (numbers and bools first, then nil, strings, times)."""
    ka, kb = _kind(a), _kind(b)
    if ka <= _KIND_FLOAT and kb <= _KIND_FLOAT:
        fa, fb = float(a), float(b)
        if fa != fb:
            return fa < fb
        if ka != kb:
            return ka < kb
        return bool(a < b)
    if ka != _KIND_STRING or kb != _KIND_STRING:
        return ka < kb
    return _less_str(a, b)


def _cmp(a: Any, b: Any) -> int:
    return -1 if less(a, b) else 1 if less(b, a) else 0


# A string whose plain comparison gives _less_str's order, for ASCII strings whose digit runs are shorter
# than 19 (no int64 wrap). Each element of the key starts with its class; within a class it compares as
# Less does: a character at a fresh position sorts other < digit run < letter, right after a digit run
# letter < other; a digit run sorts by value, then by length.
_OTHER, _RUN, _LETTER, _LETTER_AFTER_RUN, _OTHER_AFTER_RUN = "\x01", "\x02", "\x03", "\x06", "\x07"
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_FRESH = {c: (_LETTER if chr(c) in _LETTERS else _OTHER) + chr(c) for c in range(128)}
_AFTER_RUN = {chr(c): (_LETTER_AFTER_RUN if chr(c) in _LETTERS else _OTHER_AFTER_RUN) + chr(c) for c in range(128)}
_RUNS = re.compile("([0-9]+)")


def _natural_key(s: str) -> str | None:
    """A key for ``sorted`` that gives Go's order for plain ASCII strings (None for other strings)."""
    if not s.isascii():
        return None
    parts = _RUNS.split(s)
    if len(parts) == 1:
        return s.translate(_FRESH)
    out = [parts[0].translate(_FRESH)]
    for i in range(1, len(parts), 2):
        run, rest = parts[i], parts[i + 1]
        if len(run) >= 19:
            return None
        value = run.lstrip("0")
        out.append(f"{_RUN}{chr(48 + len(value))}{value}{chr(48 + len(run))}")
        if rest:
            out.append(_AFTER_RUN[rest[0]] + rest[1:].translate(_FRESH))
    return "".join(out)


def sorted_keys(keys: Iterable[Any], cache: dict[str, str | None] | None = None) -> list[Any]:
    """Map keys in the order yaml.v3 writes them. ``cache`` (str -> sort key) may be shared by calls."""
    keys = list(keys)
    if len(keys) < 2:
        return keys
    if all(type(k) is str for k in keys):
        if cache is None:
            cache = {}
        natural = []
        for k in keys:
            n = cache.get(k, False)
            if n is False:
                n = cache[k] = _natural_key(k)
            if n is None:
                break
            natural.append(n)
        else:
            order = sorted(range(len(keys)), key=natural.__getitem__)
            return [keys[i] for i in order]
    return sorted(keys, key=cmp_to_key(_cmp))
