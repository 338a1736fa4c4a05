"""Read and write YAML exactly as Go's ``gopkg.in/yaml.v3`` does for dtm's state files.

dtm saves its state with yaml.v3 (``NewEncoder`` + ``SetIndent(2)``) and loads it with ``yaml.Unmarshal``
into Go types. This module reproduces both sides from the rules recorded in
``reference/yaml-v3-compat.md`` (section numbers below refer to it):

* :func:`dump` writes the bytes yaml.v3 writes (a small direct writer, §2): sequences indented under
  their key, yaml.v3's string style choice (tab class, 4-byte runes escaped, lazy literal header),
  simple keys up to 128 UTF-8 bytes, Go's float format, Go's ``Less`` key order, no line width.
* :func:`load` parses with libyaml's event parser (``yaml._yaml.CParser``, or PyYAML's pure-Python
  parser when the C extension is missing) into light nodes; a :class:`Decoder` then decodes nodes the
  way yaml.v3 decodes into a Go target type (§3): string targets get the source text, ``interface{}``
  targets get yaml.v3's resolved scalars (:func:`resolve`, a port of ``resolve.go`` incl. ``time.Parse``),
  maps become string maps or typed-key maps, duplicate keys are errors, merge keys and redefined
  anchors work.

Values use plain Python types: ``None``, ``bool``, ``int`` (an int >= 2**63 is Go's uint64), ``float``,
``str``, ``list`` and ``dict``; :class:`Timestamp` (a ``str`` holding Go's RFC3339Nano text) stands for
``time.Time``; ``bytes`` stands for a Go string that is not valid UTF-8 (written as ``!!binary``).
:class:`Fields` is an ordered struct (written in its own order, never sorted).
"""
from __future__ import annotations

import base64
import datetime as _dt
import math
import re
import unicodedata
from os.path import commonprefix as _commonprefix
from functools import cmp_to_key, lru_cache

__all__ = ["Timestamp", "Fields", "YAMLv3Error", "dump", "load", "resolve", "Decoder", "less", "sorted_keys"]

STR, NULL, BOOL, INT, FLOAT, TIME, MERGE, BINARY = (
    "!!str", "!!null", "!!bool", "!!int", "!!float", "!!timestamp", "!!merge", "!!binary")


class Timestamp(str):
    """A Go ``time.Time`` as the RFC3339Nano text yaml.v3 writes for it (plain, never quoted)."""

    __slots__ = ()


class Fields(tuple):
    """An ordered struct: a tuple of ``(name, value)`` pairs, written in this order (like Go fields)."""

    __slots__ = ()


class YAMLv3Error(ValueError):
    """Input that yaml.v3 would refuse. ``line`` is 1-based (or None); ``problem`` is the bare text."""

    def __init__(self, problem: str, line: int | None = None):
        self.problem, self.line = problem, line
        super().__init__(f"line {line}: {problem}" if line else problem)


# ----------------------------------------------------------------------------------------------
# Scalar resolution (§3.1): what a plain scalar means to yaml.v3
# ----------------------------------------------------------------------------------------------

_TABLE = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    **{s + v: (-math.inf if s == "-" else math.inf) for s in ("", "+", "-") for v in (".inf", ".Inf", ".INF")},
}
_TABLE_TAG = {k: (NULL if v is None else BOOL if isinstance(v, bool) else FLOAT) for k, v in _TABLE.items()}
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?\Z")  # Go ParseFloat, '.'-led
_DIGITS = {2: re.compile(r"[01]+\Z"), 8: re.compile(r"[0-7]+\Z"), 10: re.compile(r"[0-9]+\Z"),
           16: re.compile(r"[0-9a-fA-F]+\Z")}
_TS = re.compile(r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:(?:([Tt])|( +))([0-9][0-9]?):([0-9][0-9]?):([0-9][0-9]?)"
                 r"(?:[.,]([0-9]{1,9}))?(Z|[-+](?:[0-9]{2}|[-+][0-9]):(?:[0-9]{2}|[-+][0-9]))?)?\Z")
_OLD_BOOLS = frozenset("y Y yes Yes YES n N no No NO on On ON off Off OFF".split())
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")


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
    if not _DIGITS[base].match(s):
        return None
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
    y, mo, d, tee, spaces, hh, mi, ss, frac, zone = m.groups()
    y, mo, d = int(y), int(mo), int(d)
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
    """The tag and value yaml.v3 gives a **plain** scalar: ``("!!int", 493)`` for ``0755`` etc."""
    c = text[:1]
    if c and c not in "+-.0123456789yYnNtTfFoO~":
        return STR, text
    if text in _TABLE:
        return _TABLE_TAG[text], _TABLE[text]
    if c == ".":
        if _DOT_FLOAT.match(text):
            v = _finite(text.replace("_", ""))
            if v is not None:
                return FLOAT, v
        return STR, text
    if c not in "+-0123456789":
        return STR, text
    t = _timestamp(text)
    if t is not None:
        return TIME, t
    plain = text.replace("_", "")
    for signed in (True, False):
        v = _go_int(plain, 0, signed)
        if v is not None:
            return INT, v
    if _YAML_FLOAT.match(plain):
        v = _finite(plain)
        if v is not None:
            return FLOAT, v
    for prefix, base in (("0b", 2), ("-0b", 2), ("0o", 8), ("-0o", 8)):  # resolve.go's fallbacks
        if plain.startswith(prefix):
            rest = ("-" if prefix[0] == "-" else "") + plain[len(prefix):]
            v = _go_int(rest, base)
            if v is None and prefix[0] != "-":
                v = _go_int(rest, base, signed=False)
            if v is not None:
                return INT, v
            break
    return STR, text


def _reads_as_str(s: str) -> bool:
    """yaml.v3 ``stringv``: may ``s`` be written plain (it would read back as this same string)?"""
    return resolve(s)[0] == STR and s not in _OLD_BOOLS and not _BASE60.match(s)


# ----------------------------------------------------------------------------------------------
# Writer (§2)
# ----------------------------------------------------------------------------------------------

_BREAKS = "\n\r\x85\u2028\u2029"
_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}
# yaml.v3's "special" runes: not printable (4-byte runes, NEL, controls, DEL, surrogates, U+FEFF...).
# (compiled on first use: these large negated classes take tens of milliseconds to compile)
_PRINTABLE = "\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd"


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


_ASCII_SPECIAL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _has_special(s: str) -> bool:
    if s.isascii():
        return _ASCII_SPECIAL.search(s) is not None
    return _regex(f"[^\n\t{_PRINTABLE}]").search(s) is not None


_HASH_AFTER_SPACE = re.compile("[ \t\n\r\x85\u2028\u2029]#")
_PLAIN_BAD_START = frozenset("#,[]{}&*!|>'\"%@`")
PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return "\\" + _ESCAPES[ch]
    cp = ord(ch)
    return f"\\x{cp:02X}" if cp <= 0xFF else f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}"


def _double_quoted(s: str) -> str:
    if s.startswith("\ufeff"):  # yaml.v3 bug: is_bom() looks at the value's start, so escape everything
        return '"' + "".join(map(_escape_char, s)) + '"'
    escape = _regex(f'[^{_PRINTABLE}]|["\\\\\u2028\u2029]')
    return '"' + escape.sub(lambda m: _escape_char(m.group()), s) + '"'


_EASY = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_/.:@=+,~-]*(?<!:)\Z")  # nothing for analyze_scalar to find


@lru_cache(maxsize=1 << 14)
def _analyze(s: str) -> tuple[bool, bool, bool, bool]:
    """yaml.v3 ``analyze_scalar`` for a non-empty string: (plain_ok, single_ok, block_ok, multiline)."""
    if _EASY.match(s):
        return True, True, True, False
    special = _has_special(s)
    tab = "\t" in s
    multiline = any(b in s for b in _BREAKS)
    first, last = s[0], s[-1]
    space_break = break_space = False
    if multiline:
        for i in range(1, len(s)):
            a, b = s[i - 1], s[i]
            if a == " " and b in _BREAKS:
                space_break = True
            elif a in _BREAKS and b == " ":
                break_space = True
    indicator = (
        first in _PLAIN_BAD_START
        or first in "-?:" and (len(s) == 1 or s[1] in " \t")
        or s.startswith(("---", "..."))
        or last == ":"
        or ": " in s or ":\t" in s
        or "#" in s and _HASH_AFTER_SPACE.search(s) is not None)
    edge_space = first == " " or last == " " or first in _BREAKS or last in _BREAKS
    plain_ok = not (special or tab or multiline or indicator or edge_space)
    single_ok = not (special or tab or space_break or break_space)
    block_ok = not (special or space_break or last == " ")
    return plain_ok, single_ok, block_ok, multiline


@lru_cache(maxsize=1 << 14)
def _style(s: str, key: bool) -> tuple[str, bool]:
    """The style yaml.v3 writes ``s`` in, and (for keys) whether it is a simple key."""
    if s == "":
        return DOUBLE, True
    plain_ok, single_ok, block_ok, multiline = _analyze(s)
    simple = key and not multiline and len(s.encode("utf-8", "surrogatepass")) <= 128
    style = LITERAL if "\n" in s else PLAIN if _reads_as_str(s) else DOUBLE
    if style == PLAIN and not plain_ok:
        style = SINGLE
    if style == SINGLE and not single_ok:
        style = DOUBLE
    if style == LITERAL and (not block_ok or (key and simple)):
        style = DOUBLE
    return style, simple


def _literal(s: str, indent: int) -> str:
    """A ``|`` block as yaml.v3 writes it: hints, no explicit header break, content at ``indent``."""
    hints = "2" if s[0] == " " or s[0] in _BREAKS else ""
    if s[-1] not in _BREAKS:
        hints += "-"
    elif len(s) == 1 or s[-2] in _BREAKS:
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


def _single_quoted(s: str, indent: int) -> str:
    s = s.replace("'", "''")
    if "\u2028" in s or "\u2029" in s:  # a break inside: the next line is indented, a trailing one not
        s = re.sub("([\u2028\u2029]+)(?=[^\u2028\u2029])", lambda m: m.group(1) + " " * indent, s)
    return "'" + s + "'"


def _format_float(f: float) -> str:
    """Go ``strconv.FormatFloat(f, 'g', -1, 64)``, with yaml.v3's ``.inf``/``.nan``."""
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


def _go_time(v) -> Timestamp:
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


def _binary(b: bytes) -> str:
    """yaml.v3's base64 for a non-UTF-8 string: 70-character lines, each ending in a break, if long."""
    enc = base64.b64encode(b).decode()
    if len(enc) < 70:
        return enc
    return "".join(enc[i:i + 70] + "\n" for i in range(0, len(enc), 70))


# -- Go's map key order (sorter.go keyList.Less), §2.2 ------------------------------------------

_KIND_BOOL, _KIND_INT, _KIND_UINT, _KIND_FLOAT, _KIND_NIL, _KIND_STRING, _KIND_STRUCT = 1, 2, 11, 14, 20, 24, 25


def _kind(v) -> int:
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
    start = len(_commonprefix((a, b)))
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
        na = nb = 0
        if ca == "0" or cb == "0":  # a zero after nonzero shared digits still counts
            j = i - 1
            while j >= 0 and _is_digit(a[j]):
                if a[j] != "0":
                    na = nb = 1
                    break
                j -= 1
        ea = i
        while ea < len(a) and _is_digit(a[ea]):
            na = _wrap64(na * 10 + ord(a[ea]) - 48)
            ea += 1
        eb = i
        while eb < len(b) and _is_digit(b[eb]):
            nb = _wrap64(nb * 10 + ord(b[eb]) - 48)
            eb += 1
        if na != nb:
            return na < nb
        if ea != eb:
            return ea < eb
        return ca < cb
    return len(a) < len(b)


def less(a, b) -> bool:
    """yaml.v3's map key order for Python keys (numbers and bools first, then nil, strings, times)."""
    ka, kb = _kind(a), _kind(b)
    if ka <= _KIND_FLOAT and kb <= _KIND_FLOAT:
        fa, fb = float(a), float(b)
        if fa != fb:
            return fa < fb
        if ka != kb:
            return ka < kb
        return a < b
    if ka != _KIND_STRING or kb != _KIND_STRING:
        return ka < kb
    return _less_str(a, b)


def _cmp(a, b) -> int:
    return -1 if less(a, b) else 1 if less(b, a) else 0


_TOKENS = re.compile(r"[0-9]+|[^0-9]")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _natural_key(s: str) -> tuple | None:
    """A sort key giving exactly :func:`_less_str`'s order for ASCII strings whose digit runs are
    shorter than 19 (no int64 wrap); None otherwise. Digit runs sort as (value, length); a character
    at a fresh position sorts other < digit run < letter, right after a digit run letter < other."""
    if not s.isascii():
        return None
    key, after_digit = [], False
    for tok in _TOKENS.findall(s):
        if tok[0] in "0123456789":
            if len(tok) >= 19:
                return None
            key.append((1, int(tok), len(tok)))
            after_digit = True
            continue
        letter = tok in _ASCII_LETTERS
        if after_digit:
            key.append((5 if letter else 6, ord(tok)))
        else:
            key.append((2 if letter else 0, ord(tok)))
        after_digit = False
    return tuple(key)


def _sorted_keys(keys: list, cache: dict | None = None) -> list:
    """Keys in yaml.v3's order: a fast exact key function for plain ASCII strings, else Go's Less."""
    if all(type(k) is str for k in keys):
        if cache is None:
            cache = {}
        natural = [cache[k] if k in cache else cache.setdefault(k, _natural_key(k)) for k in keys]
        if None not in natural:
            order = sorted(range(len(keys)), key=natural.__getitem__)
            return [keys[i] for i in order]
    return sorted(keys, key=cmp_to_key(_cmp))


def format_float(f: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'g', -1, 64)`` (yaml.v3's spelling for inf and NaN)."""
    return _format_float(f)


def sorted_keys(keys) -> list:
    """Map keys in the order yaml.v3 writes them."""
    return _sorted_keys(list(keys))


# -- the emitter ----------------------------------------------------------------------------------

def _rendered(s: str, key: bool) -> tuple[str, bool, bool] | None:
    """The writer's answer for a string whose text does not depend on the indent (most of them)."""
    style, simple = _style(s, key)
    if style == PLAIN:
        return s, simple, False
    if style == DOUBLE:
        return _double_quoted(s), simple, False
    if style == SINGLE and "\u2028" not in s and "\u2029" not in s:
        return _single_quoted(s, 0), simple, False
    return None


class _Writer:
    """Writes block YAML as yaml.v3's emitter does with indent 2 (the shapes a state can hold)."""

    def __init__(self):
        self.out: list[str] = []
        # Per-document caches (a state repeats many strings; nothing outlives the call).
        self.rendered: tuple[dict, dict] = ({}, {})  # for values, for keys
        self.natural: dict[str, tuple | None] = {}

    def render(self, s: str, key: bool):
        cache = self.rendered[key]
        got = cache.get(s, False)
        if got is False:
            got = cache[s] = _rendered(s, key)
        return got

    def scalar(self, v, indent: int, key: bool = False) -> tuple[str, bool, bool]:
        """(text, may be a simple key, is a block) for a scalar; a block ends with its last break."""
        if isinstance(v, str):
            if isinstance(v, Timestamp):
                return str(v), True, False
            v = str(v)
            done = self.render(v, key)
            if done is not None:
                return done
            style, simple = _style(v, key)
            if style == SINGLE:  # with a line/paragraph separator inside: the indent matters
                return _single_quoted(v, indent), simple, False
            return _literal(v, indent), False, True
        if v is None:
            return "null", True, False
        if v is True or v is False:
            return ("true" if v else "false"), True, False
        if isinstance(v, int):
            return str(int(v)), True, False
        if isinstance(v, float):
            return _format_float(v), True, False
        if isinstance(v, (_dt.datetime, _dt.date)):
            return _go_time(v), True, False
        if isinstance(v, (bytes, bytearray)):
            try:
                return self.scalar(bytes(v).decode("utf-8"), indent, key)
            except UnicodeDecodeError:
                enc = _binary(bytes(v))
                if "\n" in enc:
                    return "!!binary " + _literal(enc, indent), False, True
                return "!!binary " + enc, True, False
        raise TypeError(f"yaml.v3 writer: cannot write a value of type {type(v).__name__}: {v!r}")

    def value(self, v, indent: int, after_key: bool) -> None:
        """Write ``v`` after ``key:`` (after_key) or after ``- ``/``? ``/``: `` (collections inline)."""
        out = self.out
        if type(v) is str:
            done = self.render(v, False)
            if done is not None:
                out.append((" " + done[0] + "\n") if after_key else done[0] + "\n")
                return
        if isinstance(v, (dict, list, tuple)):
            if not v:
                out.append((" " if after_key else "") + ("[]\n" if type(v) in (list, tuple) else "{}\n"))
                return
            if after_key:
                out.append("\n")
            if isinstance(v, Fields):
                self.mapping(list(v), indent + 2, not after_key)
            elif isinstance(v, dict):
                self.mapping(self.items(v), indent + 2, not after_key)
            else:
                self.sequence(v, indent + 2, not after_key)
            return
        text, _, block = self.scalar(v, indent + 2)
        out.append((" " if after_key else "") + (text if block else text + "\n"))

    def items(self, d: dict) -> list:
        keys = _sorted_keys(list(d), self.natural)
        return [(k, None if isinstance(k, float) and math.isnan(k) else d[k]) for k in keys]

    def mapping(self, items: list, indent: int, inline: bool) -> None:
        out, pad, value = self.out, " " * indent, self.value
        for n, (k, v) in enumerate(items):
            lead = "" if n == 0 and inline else pad
            if type(k) is not str and isinstance(k, (dict, list, tuple)):
                raise TypeError(f"yaml.v3 writer: a map key must be a scalar, not {type(k).__name__}")
            text, simple, block = self.scalar(k, indent + 2, key=True)
            if simple:
                out.append(lead + text + ":")
                value(v, indent, True)
            else:  # a complex key: "? key", then ": value" on the next line
                out.append(lead + "? " + (text if block else text + "\n") + pad + ": ")
                value(v, indent, False)

    def sequence(self, items, indent: int, inline: bool) -> None:
        out, pad = self.out, " " * indent
        for n, item in enumerate(items):
            out.append(("- " if n == 0 and inline else pad + "- "))
            self.value(item, indent, after_key=False)


def dump(value, writer: "_Writer | None" = None) -> str:
    """The text yaml.v3's Encoder (indent 2) writes for a dict or :class:`Fields` (``{}`` when empty).

    Several related documents can share one ``writer = yamlv3.writer()`` so that its string caches
    carry over from one call to the next.
    """
    if not isinstance(value, (dict, Fields)):
        raise TypeError("yaml.v3 writer: the top level must be a dict or Fields")
    if not value:
        return "{}\n"
    w = writer or _Writer()
    w.out = []
    w.mapping(list(value) if isinstance(value, Fields) else w.items(value), 0, False)
    return "".join(w.out)


def writer() -> _Writer:
    """A writer whose caches several :func:`dump` calls can share."""
    return _Writer()


# ----------------------------------------------------------------------------------------------
# Reader (§3): libyaml events -> light nodes -> Go-typed decoding
# ----------------------------------------------------------------------------------------------
# A node is a tuple: ("s", tag, text, plain, line) for a scalar, ("m", tag, [k, v, k, v...], line),
# ("q", tag, [items], line) for a sequence, ("a", name, target, line) for an alias. ``tag`` is None,
# or the short form of an explicit tag ("!!int", "!foo"); a non-specific "!" counts as no tag.

def _short_tag(tag: str | None) -> str | None:
    if not tag or tag == "!":
        return None
    return "!!" + tag[18:] if tag.startswith("tag:yaml.org,2002:") else tag


def _parser(data: bytes):
    try:
        from yaml._yaml import CParser
        return CParser(data)
    except ImportError:  # no libyaml: PyYAML's pure-Python parser (slower, §6 scanner caveats)
        import yaml
        return yaml.SafeLoader(data)


def load(data: bytes | str):
    """Parse the first YAML document into a node (None for an empty stream). Raises YAMLv3Error."""
    import yaml
    from yaml import events as ev

    anchors: dict[str, tuple] = {}
    Scalar, MapStart, SeqStart, Alias = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent, ev.AliasEvent
    parser = None
    try:
        parser = _parser(data)  # the pure-Python reader already decodes (and may refuse) the bytes here
        get = parser.get_event
        get()  # StreamStart
        if isinstance(get(), ev.StreamEndEvent):
            return None
        holder: list = []          # receives the root node
        kids, stack = holder, []   # the children list being filled, and the enclosing ones
        while True:
            e = get()
            cls = type(e)
            if cls is Scalar:
                tag, plain = e.tag, not e.style
                if tag is not None:
                    tag = _short_tag(tag)
                n = ("s", MERGE if tag == MERGE or tag is None and plain and e.value == "<<" else tag,
                     e.value, plain, e.start_mark.line + 1)
                if e.anchor is not None:  # a later anchor of the same name wins, as in yaml.v3
                    anchors[e.anchor] = n
                kids.append(n)
            elif cls is MapStart or cls is SeqStart:
                inner: list = []
                n = ("m" if cls is MapStart else "q", e.tag and _short_tag(e.tag), inner, e.start_mark.line + 1)
                if e.anchor is not None:  # registered before the children: an alias inside sees it
                    anchors[e.anchor] = n
                kids.append(n)
                stack.append(kids)
                kids = inner
            elif cls is Alias:
                if e.anchor not in anchors:
                    raise YAMLv3Error(f"unknown anchor '{e.anchor}' referenced", e.start_mark.line + 1)
                kids.append(("a", e.anchor, anchors[e.anchor], e.start_mark.line + 1))
            else:  # the end of a mapping or sequence
                kids = stack.pop()
            if not stack and holder:
                break
        get()  # DocumentEnd: its look-ahead can still find a syntax error, as yaml.v3's does
        if anchors:
            _check_aliasing(holder[0])
        return holder[0]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        raise YAMLv3Error(problem, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:  # e.g. a ReaderError for bytes that are not UTF-8
        raise YAMLv3Error(str(getattr(exc, "reason", exc) or exc).strip()) from None
    finally:
        dispose = parser is not None and getattr(parser, "dispose", None)
        if dispose:
            dispose()


def _allowed_alias_ratio(decodes: int) -> float:
    """yaml.v3's limit on the share of decoding done inside aliases (0.99 small, 0.10 from 4M nodes)."""
    if decodes <= 400_000:
        return 0.99
    if decodes >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decodes - 400_000) / 3_600_000


def _check_aliasing(root) -> None:
    """Refuse a "billion laughs" document as yaml.v3 does: count the nodes decoding would visit and how
    many of them it visits through aliases (yaml.v3 checks as it goes; this applies its rule to the totals
    before decoding, so the expansion never has to happen)."""
    memo: dict[int, tuple[int, int]] = {}

    def size(n) -> tuple[int, int]:
        kind = n[0]
        if kind == "s":
            return 1, 0
        if kind == "a":
            total, _ = size(n[2])
            return 1 + total, total
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = (1, 0)  # a cycle counts once here; decoding reports it
        total, aliased = 1, 0
        for child in n[2]:
            t, a = size(child)
            total, aliased = total + t, aliased + a
        memo[key] = (total, aliased)
        return total, aliased

    try:
        total, aliased = size(root)
    except RecursionError:
        raise YAMLv3Error("the document is nested too deeply") from None
    if aliased > 100 and total > 1000 and aliased / total > _allowed_alias_ratio(total):
        raise YAMLv3Error("document contains excessive aliasing")


def _quote(text: str) -> str:
    """Go's %#v for a string, close enough for messages."""
    import json

    return json.dumps(text, ensure_ascii=False)


def _node_tag(n) -> str:
    """yaml.v3 ``Node.ShortTag``: the tag a node counts as (aliases count as their target)."""
    while n[0] == "a":
        n = n[2]
    if n[0] == "m":
        return n[1] or "!!map"
    if n[0] == "q":
        return n[1] or "!!seq"
    if n[1]:
        return n[1]
    return resolve(n[2])[0] if n[3] else STR


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
DROP = object()  # a key function's answer for "leave this entry out" (a null key in a typed map)


class Decoder:
    """Decodes nodes as yaml.v3 decodes into Go types; methods are named after the Go target type.

    Errors raise :class:`YAMLv3Error` with yaml.v3's wording (``cannot unmarshal !!seq into string``).
    Aliases are followed (:func:`load` has already refused an excessive expansion).
    """

    def __init__(self):
        self._open: set[int] = set()  # collections being decoded (an alias to one is a cycle)

    # -- helpers ---------------------------------------------------------------------------------
    def deref(self, n):
        """Follow an alias to its node (an alias to a collection being decoded is a cycle)."""
        while n[0] == "a":
            if id(n[2]) in self._open:
                raise YAMLv3Error(f"anchor '{n[1]}' value contains itself", n[3])
            n = n[2]
        return n

    @staticmethod
    def type_error(n, target: str) -> YAMLv3Error:
        if n[0] == "s":
            text = n[2] if len(n[2]) <= 10 else n[2][:7] + "..."
            return YAMLv3Error(f"cannot unmarshal {_node_tag(n)} `{text}` into {target}", n[4])
        return YAMLv3Error(f"cannot unmarshal {_node_tag(n)} into {target}", n[3])

    @staticmethod
    def _tagged(n):
        """The value of a scalar with an explicit tag (yaml.v3 checks the text fits the tag)."""
        tag, text, line = n[1], n[2], n[4]
        if tag == STR:
            return text
        if tag == BINARY:
            try:
                raw = base64.b64decode(re.sub(r"[\r\n]", "", text), validate=True)
            except ValueError:
                raise YAMLv3Error("!!binary value contains invalid base64 data", line) from None
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw
        if tag not in (NULL, BOOL, INT, FLOAT, TIME):
            return text  # an unknown or local tag: the text
        rtag, value = resolve(text)
        if rtag == tag:
            return value
        if tag == FLOAT and rtag == INT:
            return float(value)
        raise YAMLv3Error(f"cannot decode {rtag} `{text}` as a {tag}", line)

    def scalar_value(self, n):
        """interface{} value of a scalar node."""
        tag = n[1]
        if tag is None:
            return resolve(n[2])[1] if n[3] else n[2]
        return n[2] if tag == MERGE else self._tagged(n)

    def pairs(self, n, key_of) -> list:
        """[(key, value node)] of a mapping: duplicate keys refused, merge keys expanded, explicit keys
        before merged ones and earlier merged maps before later ones (the first one seen wins).
        ``key_of(key node)`` gives the decoded key, or DROP to leave the entry out."""
        if n[0] == "a":
            n = self.deref(n)
        out: list = []
        self._collect(n, key_of, {}, out, True)
        return out

    def _collect(self, n, key_of, seen: dict, out: list, top: bool = False) -> None:
        kids = n[2]
        ident: dict = {}
        if top and key_of == self.string_key and all(k[0] == "s" and k[1] is None for k in kids[::2]):
            # The common case, made quick: untagged scalar keys of a string-keyed map, no merge.
            for i in range(0, len(kids), 2):
                k = kids[i]
                text = k[2]
                if text in ident:
                    raise YAMLv3Error(f"mapping key {_quote(text)} already defined at line {ident[text]}", k[4])
                ident[text] = k[4]
                if not (k[3] and text in _NULLS):
                    out.append((text, kids[i + 1]))
            return
        merge = None
        for i in range(0, len(kids), 2):
            k = kids[i]
            kind = k[0]
            if kind == "s":
                kid, kline = k[2], k[4]
            else:
                kid, kline = (k[1] if kind == "a" else ""), k[3]
            kid = (kind, kid)
            if kid in ident:
                raise YAMLv3Error(f"mapping key {_quote(kid[1])} already defined at line {ident[kid]}", kline)
            ident[kid] = kline
            if kind == "s" and k[1] == MERGE and k[2] == "<<":
                merge = kids[i + 1]
                continue
            key = key_of(k)
            if key is DROP or key in seen:
                continue
            seen[key] = True
            out.append((key, kids[i + 1]))
        if merge is None:
            return
        line = merge[4] if merge[0] == "s" else merge[3]
        target = merge[2] if merge[0] == "a" else merge
        if target[0] == "m":
            sources = [merge]
        elif merge[0] == "q":
            sources = merge[2]
            if any((s[2] if s[0] == "a" else s)[0] != "m" for s in sources):
                raise YAMLv3Error("map merge requires map or sequence of maps as the value", line)
        else:
            raise YAMLv3Error("map merge requires map or sequence of maps as the value", line)
        self._open.add(id(n))
        try:
            for s in sources:
                self._collect(self.deref(s), key_of, seen, out)
        finally:
            self._open.discard(id(n))

    # -- Go target types ---------------------------------------------------------------------------
    def string(self, n, target: str = "string"):
        """A Go string: the scalar's source text; None for a null (a zero string / dropped item)."""
        if n[0] != "s":
            n = self.deref(n)
            if n[0] != "s":
                raise self.type_error(n, target)
        tag = n[1]
        if tag is None or tag == MERGE:
            text = n[2]
            if n[3] and text in _NULLS:
                return None
            return text
        value = self._tagged(n)
        if value is None:
            return None
        if tag == BINARY:
            return value
        return n[2]

    def string_key(self, k):
        """Key function for Go maps with string keys: a null key drops the entry."""
        s = self.string(k)
        return DROP if s is None else s

    def string_list(self, n, target: str = "[]string") -> list:
        """A Go []string: null gives [], null items are dropped."""
        if n[0] == "a":
            n = self.deref(n)
        if n[0] == "s" and self.string(n) is None:
            return []
        if n[0] != "q":
            raise self.type_error(n, target)
        self._open.add(id(n))
        try:
            return [s for s in map(self.string, n[2]) if s is not None]
        finally:
            self._open.discard(id(n))

    def is_null(self, n) -> bool:
        """Whether a node decodes to nil (yaml.v3 then leaves a Go target at its zero value)."""
        if n[0] == "a":
            n = self.deref(n)
        return n[0] == "s" and (n[1] is None or n[1] == NULL) and self.scalar_value(n) is None

    def string_map(self, n, target: str = "map[string]interface {}") -> dict:
        """A Go map[string]interface{}: keys are source text (a null key drops the entry)."""
        if n[0] == "a":
            n = self.deref(n)
        if n[0] != "m":
            if self.is_null(n):
                return {}
            raise self.type_error(n, target)
        self._open.add(id(n))
        try:
            interface = self.interface
            return {k: interface(v) for k, v in self.pairs(n, self.string_key)}
        finally:
            self._open.discard(id(n))

    def _any_key(self, k):
        if k[0] == "a":
            k = self.deref(k)
        if k[0] != "s":
            raise YAMLv3Error("invalid map key: a map or list cannot be a key here", k[3])
        return self.scalar_value(k)

    def interface(self, n):
        """A Go interface{}: resolved scalars, []interface{}, map[string]interface{} when every key
        is tagged !!str (or is a merge), otherwise map[interface{}]interface{} with typed keys."""
        kind = n[0]
        if kind == "s":
            tag = n[1]
            if tag is None:
                return resolve(n[2])[1] if n[3] else n[2]
            return self.scalar_value(n)
        if kind == "a":
            n = self.deref(n)
            kind = n[0]
            if kind == "s":
                return self.scalar_value(n)
        self._open.add(id(n))
        try:
            if kind == "q":
                return [self.interface(i) for i in n[2]]
            kids = n[2]
            string_keys = all(_node_tag(kids[i]) in (STR, MERGE) for i in range(0, len(kids), 2))
            interface = self.interface
            return {k: interface(v) for k, v in self.pairs(n, self.string_key if string_keys else self._any_key)}
        finally:
            self._open.discard(id(n))
