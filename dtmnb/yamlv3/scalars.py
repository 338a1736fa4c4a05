"""What a plain scalar means to yaml.v3, and how Go spells numbers and times (docs/state-format.md §3)."""
from __future__ import annotations

import base64
import datetime as _dt
import math
import re
from functools import lru_cache

from ..limits import MAX_INT_DIGITS
from .values import BOOL, FLOAT, INT, NULL, STR, TIME, Timestamp

_TABLE: dict[str, object] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    **{s + v: (-math.inf if s == "-" else math.inf) for s in ("", "+", "-") for v in (".inf", ".Inf", ".INF")},
}
_TABLE_TAG = {k: (NULL if v is None else BOOL if isinstance(v, bool) else FLOAT) for k, v in _TABLE.items()}
NULLS = frozenset(k for k, v in _TABLE.items() if v is None)
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?\Z")  # Go ParseFloat, '.'-led
_DIGITS = {2: re.compile(r"[01]+\Z"), 8: re.compile(r"[0-7]+\Z"), 10: re.compile(r"[0-9]+\Z"),
           16: re.compile(r"[0-9a-fA-F]+\Z")}
_MAX_DIGITS = {2: 64, 8: 22, 10: 20, 16: 16}  # more significant digits than this never fit in 64 bits
_TS = re.compile(r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:([Tt])|( +))([0-9][0-9]?):([0-9][0-9]?):([0-9][0-9]?)"
                 r"(?:[.,]([0-9]{1,9}))?(Z|[-+](?:[0-9]{2}|[-+][0-9]):(?:[0-9]{2}|[-+][0-9]))?)?\Z")
OLD_BOOLS = frozenset(["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
                       "on", "On", "ON", "off", "Off", "OFF"])
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
_DECIMAL_LITERAL = re.compile(r"[-+]?[0-9_]+\Z")
# first characters after which resolve() can find something other than a string
HINTS = frozenset("+-.0123456789yYnNtTfFoO~")


def _go_int(s: str, base: int = 0, signed: bool = True) -> int | None:
    """Go ``strconv.ParseInt``/``ParseUint`` (base 0 = prefix rules, leading 0 = octal); None on error."""
    neg = False
    if s[:1] in ("+", "-"):
        if not signed:
            return None
        neg, s = s[0] == "-", s[1:]
    if base == 0:
        base, head = 10, s[:2].lower()
        if head in ("0x", "0b", "0o"):
            base, s = {"0x": 16, "0b": 2, "0o": 8}[head], s[2:]
        elif len(s) > 1 and s[0] == "0":
            base, s = 8, s[1:]
    if not _DIGITS[base].match(s) or len(s.lstrip("0")) > _MAX_DIGITS[base]:
        return None  # (the length check also keeps int() away from Python's 4,300-digit limit)
    v = -int(s, base) if neg else int(s, base)
    ok = -(1 << 63) <= v < (1 << 63) if signed else v < (1 << 64)
    return v if ok else None


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _timestamp(s: str) -> Timestamp | None:
    """Go 1.19 ``time.Parse`` with yaml.v3's four layouts; returns the RFC3339Nano text or None."""
    m = _TS.match(s)
    if not m:
        return None
    ys, mos, ds, tee, spaces, hh, mi, ss, frac, zone = m.groups()
    y, mo, d = int(ys), int(mos), int(ds)
    if not 1 <= mo <= 12 or not 1 <= d <= _days_in(mo, y):
        return None
    if tee and zone is None or spaces and zone is not None:   # 'T' needs a zone, the space form has none
        return None
    h = mn = sec = 0
    out_frac, out_zone = "", "Z"
    if hh is not None:
        h, mn, sec = int(hh), int(mi), int(ss)
        if h >= 24 or mn >= 60 or sec >= 60:
            return None
        if frac:
            out_frac = "." + frac.ljust(9, "0").rstrip("0") if int(frac) else ""
        if zone and zone != "Z":  # each pair goes through Go's atoi (a sign is allowed), no range check
            offset = (int(zone[1:3]) * 60 + int(zone[4:6])) * (-1 if zone[0] == "-" else 1)
            if offset:
                a = abs(offset)
                out_zone = f"{'-' if offset < 0 else '+'}{a // 60:02d}:{a % 60:02d}"
    return Timestamp(f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mn:02d}:{sec:02d}{out_frac}{out_zone}")


def _finite(text: str) -> float | None:
    v = float(text)
    return None if math.isinf(v) else v


@lru_cache(maxsize=1 << 16)
def resolve(text: str) -> tuple[str, object]:
    """The tag and value yaml.v3 gives a **plain** scalar: ``("!!int", 493)`` for ``0755`` etc.

    A port of yaml.v3's ``resolve.go`` with Go 1.19's ``time.Parse`` (docs/state-format.md §3.1).
    """
    c = text[:1]
    if c and c not in HINTS:
        return STR, text
    if text in _TABLE:
        return _TABLE_TAG[text], _TABLE[text]
    if c == ".":
        v = _finite(text.replace("_", "")) if _DOT_FLOAT.match(text) else None
        return (STR, text) if v is None else (FLOAT, v)
    if c not in "+-0123456789":
        return STR, text
    t = _timestamp(text)
    if t is not None:
        return TIME, t
    return _number(text)


def _number(text: str) -> tuple[str, object]:
    """resolve() for a text that starts with a sign or a digit and is not a time."""
    plain = text.replace("_", "")
    for signed in (True, False):
        i = _go_int(plain, 0, signed)
        if i is not None:
            return INT, i
    if _YAML_FLOAT.match(plain):
        v = _finite(plain)
        if v is not None:
            return FLOAT, v
    i = _prefixed_int(plain)
    return (STR, text) if i is None else (INT, i)


def _prefixed_int(plain: str) -> int | None:
    """resolve.go's fallbacks for ``0b``/``0o`` literals (and ``-0b``/``-0o``) Go's prefix rules refused."""
    for prefix, base in (("0b", 2), ("-0b", 2), ("0o", 8), ("-0o", 8)):
        if plain.startswith(prefix):
            rest = ("-" if prefix[0] == "-" else "") + plain[len(prefix):]
            i = _go_int(rest, base)
            if i is None and prefix[0] != "-":
                i = _go_int(rest, base, signed=False)
            return i
    return None


def reads_as_str(s: str) -> bool:
    """yaml.v3 ``encode.go stringv``: may ``s`` be written plain (it would read back as this same string)?"""
    return resolve(s)[0] == STR and s not in OLD_BOOLS and not _BASE60.match(s)


def is_long_int(text: str) -> bool:
    """A plain decimal integer literal longer than :data:`dtmnb.limits.MAX_INT_DIGITS` digits.

    yaml.v3 reads it as a string (it fits no Go number); dtmnb's state reader refuses it instead
    (docs/state-format.md §5), so the writer quotes such a string."""
    return len(text) > MAX_INT_DIGITS and _DECIMAL_LITERAL.match(text) is not None and \
        sum(ch.isdigit() for ch in text) > MAX_INT_DIGITS


def format_float(f: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, 64)``, with yaml.v3's ``.inf``/``.nan`` (§2.6)."""
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    sign, r = ("-" if f < 0 else ""), repr(abs(f))
    mant, _, exp = r.partition("e")
    ip, _, fp = mant.partition(".")
    if fp == "0":
        fp = ""
    all_digits = ip + fp
    digits = all_digits.lstrip("0")
    dp = len(ip) + (int(exp) if exp else 0) - (len(all_digits) - len(digits))
    digits = digits.rstrip("0") or "0"
    x = dp - 1
    if x < -4 or x >= 6:
        e = f"e{'-' if x < 0 else '+'}{abs(x):02d}"
        return sign + digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + e
    if dp <= 0:
        return sign + "0." + "0" * -dp + digits
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return sign + digits[:dp] + "." + digits[dp:]


def go_time(v: _dt.date) -> Timestamp:
    """A Python datetime/date as the RFC3339Nano text Go would write (naive means UTC)."""
    if not isinstance(v, _dt.datetime):
        v = _dt.datetime(v.year, v.month, v.day)
    frac = f".{v.microsecond:06d}".rstrip("0") if v.microsecond else ""
    off = v.utcoffset()
    minutes = int(off.total_seconds() / 60) if off else 0
    a = abs(minutes)
    zone = f"{'-' if minutes < 0 else '+'}{a // 60:02d}:{a % 60:02d}" if minutes else "Z"
    return Timestamp(f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
                     f"{frac}{zone}")


def binary(b: bytes) -> str:
    """yaml.v3's base64 for a non-UTF-8 string: 70-character lines, each ending in a break, if long."""
    enc = base64.b64encode(b).decode()
    if len(enc) < 70:
        return enc
    return "".join(enc[i:i + 70] + "\n" for i in range(0, len(enc), 70))
