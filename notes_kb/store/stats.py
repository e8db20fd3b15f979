"""Reads for `stats`: counts the other reads do not already give."""

from __future__ import annotations

import datetime as dt
import sqlite3

_MONTH_GLOB = "[0-9][0-9][0-9][0-9]-[0-1][0-9]"


def revisit_counts(conn: sqlite3.Connection, today: dt.date) -> tuple[int, int]:
    """(due now, snoozed until later) among the notes marked revisit, as is:due / is:snoozed."""
    due, snoozed = conn.execute(
        "SELECT coalesce(sum(revisit_after IS NULL OR revisit_after <= ?), 0), "
        "coalesce(sum(revisit_after > ?), 0) FROM notes WHERE revisit = 1",
        (today.isoformat(), today.isoformat()),
    ).fetchone()
    return int(due), int(snoozed)


def notes_per_month(conn: sqlite3.Connection) -> tuple[list[tuple[str, int]], int]:
    """([(YYYY-MM, notes)] by lastmod, falling back to date; the number of undated notes)."""
    rows = conn.execute(
        "SELECT substr(coalesce(lastmod, date), 1, 7) AS month, count(*) FROM notes "
        f"WHERE month GLOB '{_MONTH_GLOB}' GROUP BY month ORDER BY month"
    ).fetchall()
    dated = sum(n for _m, n in rows)
    total = int(conn.execute("SELECT count(*) FROM notes").fetchone()[0])
    return [(m, int(n)) for m, n in rows], total - dated
