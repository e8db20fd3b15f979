"""Review history: when which action was taken on which note. Survives `import --full`."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any


def record(conn: sqlite3.Connection, path: str, title: str, action: str, detail: str = "") -> None:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    conn.execute(
        "INSERT INTO history (at, path, title, action, detail) VALUES (?, ?, ?, ?, ?)",
        (at, path, title, action, detail),
    )


def snooze_count(conn: sqlite3.Connection, path: str) -> int:
    """Snoozes of this note since it was last marked done or added to the queue."""
    row = conn.execute(
        "SELECT count(*) FROM history WHERE path = ? AND action = 'snooze' AND id > "
        "coalesce((SELECT max(id) FROM history WHERE path = ? AND action IN ('done', 'add')), 0)",
        (path, path),
    ).fetchone()
    return int(row[0])


def entries(conn: sqlite3.Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT at, path, title, action, detail FROM history ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [{"at": a, "path": p, "title": t, "action": x, "detail": d} for a, p, t, x, d in rows]


def queue(conn: sqlite3.Connection, today: str, *, include_snoozed: bool) -> list[int]:
    """Ids of notes marked revisit, oldest first (lastmod, else date, else file mtime)."""
    due = (
        ""
        if include_snoozed
        else "AND (revisit_after IS NULL OR substr(revisit_after, 1, 10) <= ?)"
    )
    params: list[Any] = [] if include_snoozed else [today]
    rows = conn.execute(
        "SELECT id FROM notes WHERE revisit = 1 " + due + " ORDER BY coalesce(lastmod, date, "
        "strftime('%Y-%m-%dT%H:%M:%S', mtime_ns / 1000000000, 'unixepoch')), path",
        params,
    )
    return [r[0] for r in rows]
