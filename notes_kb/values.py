"""Pure conversions of frontmatter values: booleans, dates, string lists, JSON-safe copies."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})

_DATE_FORMATS = (
    "%B %d, %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M",
    "%a, %d %b %Y %H:%M:%S %z",
    "%a %b %d %Y",
    "%B %Y",
)
_ORDINAL_RE = re.compile(r"(\d)(st|nd|rd|th)\b", re.I)
# ISO-like dates with one-digit parts, as Hugo accepts them: 2019-05-08T8:09:26-07:00, 2022-1-3.
_LOOSE_ISO_RE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)? ?(Z|[+-]\d{2}:?\d{2})?)?",
    re.I,
)


class TooLarge(ValueError):
    """A value is too large or too deeply nested to keep."""


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return False


def to_iso(value: Any) -> str | None:
    """A date-like value as ISO 8601, or None when it is not a date we understand."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64 or not any(ch.isdigit() for ch in text):
        return None  # every date we understand has a year in digits
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed.isoformat()
    except ValueError:
        pass
    loose = _loose_iso(text)
    if loose is not None:
        return loose
    cleaned = _ORDINAL_RE.sub(r"\1", text)
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        if "%H" in fmt or "%z" in fmt:
            return parsed.isoformat()
        return parsed.date().isoformat()
    return None


def _loose_iso(text: str) -> str | None:
    m = _LOOSE_ISO_RE.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = m.groups()
    try:
        if hour is None:
            return dt.date(int(year), int(month), int(day)).isoformat()
        tz = None
        if zone:
            if zone.upper() == "Z":
                tz = dt.UTC
            else:
                sign = -1 if zone[0] == "-" else 1
                digits = zone[1:].replace(":", "")
                offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                tz = dt.timezone(sign * offset)
        micro = int((fraction or "0").ljust(6, "0"))
        parsed = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, tz
        )
    except ValueError:
        return None
    return parsed.isoformat()


def split_words(value: Any, *, commas_only: bool = False) -> list[str]:
    """A list, or a comma/space separated string, as a list of non-empty strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        out: list[str] = []
        for item in value:
            if isinstance(item, list | tuple):
                out.extend(split_words(item, commas_only=True))
            elif item is not None and not isinstance(item, dict):
                text = scalar_text(item)
                if text:
                    out.append(text)
        return out
    if isinstance(value, dict):
        return []
    text = scalar_text(value)
    parts = text.split(",") if commas_only or "," in text else text.split()
    return [p.strip() for p in parts if p.strip()]


def scalar_text(value: Any) -> str:
    if type(value) is str:  # the common case first
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).strip()


MAX_NODES = 20000  # values in one frontmatter: more is an alias bomb or not a note


def jsonable(value: Any, *, max_nodes: int = MAX_NODES, max_depth: int = 64) -> Any:
    """A JSON-safe copy of frontmatter data; raises TooLarge for alias bombs and deep nesting."""
    budget = [max_nodes]

    def walk(v: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise TooLarge(f"frontmatter has more than {max_nodes} values (alias expansion?)")
        if depth > max_depth:
            raise TooLarge(f"frontmatter is nested deeper than {max_depth} levels")
        if v is None or isinstance(v, bool | int | str):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else str(v)
        if isinstance(v, dt.datetime | dt.date | dt.time):
            return v.isoformat()
        if isinstance(v, dict):
            return {
                scalar_text(k) if k is not None else "": walk(x, depth + 1) for k, x in v.items()
            }
        if isinstance(v, list | tuple | set | frozenset):
            return [walk(x, depth + 1) for x in v]
        if isinstance(v, bytes):
            return v.hex()
        return str(v)

    return walk(value, 0)
