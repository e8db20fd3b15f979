"""What the index holds, in numbers: the data behind `notes-kb stats`."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from typing import Any

TOP = 10


@dataclass(frozen=True)
class Stats:
    notes: int
    drafts: int
    revisit: int
    revisit_due: int
    revisit_snoozed: int
    tags: list[tuple[str, int]] = field(default_factory=list)
    authors: list[tuple[str, int]] = field(default_factory=list)
    months: list[tuple[str, int]] = field(default_factory=list)  # every month first..last
    undated: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "notes": self.notes,
            "drafts": self.drafts,
            "revisit": {
                "total": self.revisit,
                "due": self.revisit_due,
                "snoozed": self.revisit_snoozed,
            },
            "top_tags": [{"tag": t, "count": n} for t, n in self.tags],
            "top_authors": [{"author": a, "count": n} for a, n in self.authors],
            "notes_per_month": [{"month": m, "count": n} for m, n in self.months],
            "undated": self.undated,
        }


def fill_months(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """[(YYYY-MM, n)] sorted -> the same with every missing month in between as 0."""
    if not rows:
        return []
    counts = dict(rows)
    year, month = (int(p) for p in rows[0][0].split("-"))
    last = rows[-1][0]
    out: list[tuple[str, int]] = []
    while True:
        key = f"{year:04d}-{month:02d}"
        out.append((key, counts.get(key, 0)))
        if key >= last:
            return out
        month += 1
        if month > 12:
            year, month = year + 1, 1


def collect(conn: sqlite3.Connection, *, top: int = TOP, today: dt.date | None = None) -> Stats:
    from notes_kb.store import read
    from notes_kb.store import stats as sql

    summary = read.status(conn)
    due, snoozed = sql.revisit_counts(conn, today or dt.date.today())
    months, undated = sql.notes_per_month(conn)
    months = [(m, n) for m, n in months if 1 <= int(m[5:7]) <= 12]
    return Stats(
        notes=summary["notes"],
        drafts=summary["drafts"],
        revisit=summary["revisit"],
        revisit_due=due,
        revisit_snoozed=snoozed,
        tags=read.facet_counts(conn, "tags")[:top],
        authors=read.facet_counts(conn, "authors")[:top],
        months=fill_months(months),
        undated=undated,
    )
