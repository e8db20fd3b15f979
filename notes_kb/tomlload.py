"""TOML frontmatter without tomllib for the plain shape most notes use.

tomllib is written in Python and spends about 140 us on a six-line Hugo frontmatter.
Most `+++` blocks are `key = value` lines (quoted strings without escapes, true/false,
integers, dates and datetimes, arrays of strings), perhaps under `[table]` headers.
`simple` reads exactly that shape, giving what values.jsonable(tomllib.loads(text))
gives, and returns None for anything else (nested or array tables, dotted or quoted
keys, escapes, floats, fractional seconds, comments inside arrays, repeated keys...):
tomllib then decides, errors included. Tests check both agree on generated documents
and on every TOML frontmatter of the corpora.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from notes_kb.values import MAX_NODES

# Control characters other than tab and newline: TOML forbids most of them, and a CR is
# left to tomllib's rules.
_AWKWARD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE = re.compile(r"([A-Za-z0-9_-]+)[ \t]*=[ \t]*(.*)")
_REST = re.compile(r"[ \t]*(?:#.*)?")  # what may follow a value: blanks, a comment
_STRING_RE = re.compile(r"\"[^\"\\\n]*\"|'[^'\n]*'")
# Newlines are blanks inside an array (strings never hold one).
_ARRAY = re.compile(
    rf"\[[ \t\n]*(?:(?:{_STRING_RE.pattern})[ \t\n]*,[ \t\n]*)*"
    rf"(?:(?:{_STRING_RE.pattern})[ \t\n]*)?\]"
)
_HEADER = re.compile(r"\[[ \t]*([A-Za-z0-9_-]+)[ \t]*\][ \t]*(?:#.*)?")
_SCALAR = re.compile(
    r"(?P<bool>true|false)"
    r"|(?P<datetime>([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]"
    r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])"
    r"(?:([Zz])|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))?)"  # tomllib's ranges, no fractions
    r"|(?P<date>([0-9]{4})-([0-9]{2})-([0-9]{2}))"
    r"|(?P<int>[+-]?(?:0|[1-9][0-9]{0,17}))"
)
_NOT_SIMPLE: Any = object()


def simple(text: str) -> dict[str, Any] | None:
    """The document as JSON-safe data, or None when it is not of the plain shape."""
    if _AWKWARD.search(text):
        return None
    out: dict[str, Any] = {}
    table = out  # where keys go: the top level, or the last [table]
    nodes = 1  # counted as values.jsonable counts them: past its limit, tomllib's way says so
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip(" \t")
        i += 1
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            header = _HEADER.fullmatch(line)
            if header is None or header.group(1) in out:  # [[array]], [a.b], redefinitions
                return None
            table = out[header.group(1)] = {}
            nodes += 1
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            return None
        key, raw = m.group(1), m.group(2)
        if raw.startswith("[") and "]" not in raw:  # an array over several lines
            parts = [raw]
            while i < len(lines) and "]" not in parts[-1]:
                parts.append(lines[i])
                i += 1
            raw = "\n".join(parts)
            if "#" in raw:
                return None  # comments between items: tomllib's job
        value = _value(raw)
        if value is _NOT_SIMPLE or key in table:  # a repeated key is tomllib's error to report
            return None
        table[key] = value
        nodes += 1 + (len(value) if isinstance(value, list) else 0)
    return out if nodes <= MAX_NODES else None


def _value(raw: str) -> Any:
    """The value at the start of `raw`, when only blanks or a comment follow it."""
    if not raw:
        return _NOT_SIMPLE
    first = raw[0]
    if first in "\"'":
        m = _STRING_RE.match(raw)
        value: Any = m.group(0)[1:-1] if m else _NOT_SIMPLE
    elif first == "[":
        m = _ARRAY.match(raw)
        value = [item[1:-1] for item in _STRING_RE.findall(m.group(0))] if m else _NOT_SIMPLE
    else:
        m = _SCALAR.match(raw)
        value = _scalar(m) if m else _NOT_SIMPLE
    if m is None or value is _NOT_SIMPLE or not _REST.fullmatch(raw, m.end()):
        return _NOT_SIMPLE
    return value


def _scalar(m: re.Match[str]) -> Any:
    """Groups of _SCALAR: 1 bool, 2 datetime (3-12 its parts), 13 date (14-16), 17 int."""
    kind = m.lastgroup
    text = m.group(0)
    if kind == "bool":
        return text == "true"
    if kind == "int":
        return int(text)
    if kind == "date":
        return text if _real_date(*m.group(14, 15, 16)) else _NOT_SIMPLE
    return _datetime(m.group(3, 4, 5, 6, 7, 8, 9, 10, 11, 12))


def _real_date(year: str, month: str, day: str) -> bool:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return False  # an impossible day: tomllib says so
    return True


def _datetime(groups: tuple[Any, ...]) -> Any:
    """The isoformat of the datetime tomllib makes of the match, written out directly."""
    year, month, day, hour, minute, second, zulu, sign, off_hour, off_minute = groups
    if not _real_date(year, month, day):  # the time's ranges are the pattern's
        return _NOT_SIMPLE
    text = f"{year}-{month}-{day}T{hour}:{minute}:{second}"
    if zulu or (sign and off_hour == off_minute == "00"):
        return text + "+00:00"
    if sign:
        return f"{text}{sign}{off_hour}:{off_minute}"
    return text
