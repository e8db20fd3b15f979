"""The revisit queue and snooze intervals. Pure: dates in, decisions out."""

from __future__ import annotations

import datetime as dt
import re

from notes_kb.errors import ExitStatus, NotesKbError

# Each snooze of the same note waits longer: 1 day, 3 days, 1 week, 2 weeks, 1 month, ...
SNOOZE_STEPS = (1, 3, 7, 14, 30, 60, 120)
_INTERVAL_RE = re.compile(r"^\s*(\d{1,4})\s*([dwmy]?)\s*$", re.I)
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


class IntervalError(NotesKbError):
    """An interval could not be read"""

    exit_code = ExitStatus.USAGE


def snooze_days(previous_snoozes: int) -> int:
    """The interval for the next snooze of a note snoozed `previous_snoozes` times already."""
    index = min(max(previous_snoozes, 0), len(SNOOZE_STEPS) - 1)
    return SNOOZE_STEPS[index]


def parse_interval(text: str) -> int:
    """`10d`, `2w`, `1m`, `1y` or a bare number of days -> days."""
    m = _INTERVAL_RE.match(text)
    if not m or int(m.group(1)) == 0:
        raise IntervalError(f"{text!r} is not an interval: expected e.g. 3d, 2w, 1m or 1y")
    return int(m.group(1)) * _UNIT_DAYS[m.group(2).lower()]


def describe_days(days: int) -> str:
    if days % 365 == 0:
        n, unit = days // 365, "year"
    elif days % 30 == 0:
        n, unit = days // 30, "month"
    elif days % 7 == 0:
        n, unit = days // 7, "week"
    else:
        n, unit = days, "day"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def snooze_until(today: dt.date, days: int) -> str:
    return (today + dt.timedelta(days=days)).isoformat()


def is_due(revisit_after: str | None, today: dt.date) -> bool:
    """Due when there is no snooze date, or it is today or earlier."""
    return not revisit_after or revisit_after[:10] <= today.isoformat()


def age_days(when: str | None, today: dt.date) -> int | None:
    """Whole days since an ISO date or datetime."""
    if not when:
        return None
    try:
        day = dt.date.fromisoformat(when[:10])
    except ValueError:
        return None
    return (today - day).days
