"""Reads for `export`: every stored field of the selected notes, in the query's order."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from notes_kb.store.querysql import Compiled
from notes_kb.store.read import find

EXPORT_FIELDS = (
    "path",
    "source",
    "title",
    "authors",
    "tags",
    "categories",
    "draft",
    "revisit",
    "revisit_after",
    "lastmod",
    "date",
    "created",
    "updated",
    "format",
    "error",
    "warnings",
    "links",
    "meta",
    "body",
)
_JSON_COLUMNS = ("authors", "tags", "categories", "meta")


def export_notes(
    conn: sqlite3.Connection, q: Compiled, *, sort: str = "path", reverse: bool = False
) -> list[dict[str, Any]]:
    """The notes matching `q` as dicts with EXPORT_FIELDS (links as kind/target/text dicts)."""
    ids = [row["id"] for row in find(conn, q, sort=sort, reverse=reverse, snippets=False)]
    rows = _full_rows(conn, ids)
    return [rows[i] for i in ids if i in rows]


def _full_rows(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        cursor = conn.execute(
            "SELECT id, path, source, title, authors, tags, categories, draft, revisit, "
            "revisit_after, lastmod, date, created, updated, fm_format AS format, error, "
            f"warnings, meta, body FROM notes WHERE id IN ({marks})",
            chunk,
        )
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            for key in _JSON_COLUMNS:
                row[key] = json.loads(row[key]) if row[key] else ({} if key == "meta" else [])
            row["warnings"] = json.loads(row["warnings"]) if row["warnings"] else []
            row["draft"] = bool(row["draft"])
            row["revisit"] = bool(row["revisit"])
            row["links"] = []
            out[row.pop("id")] = row
        for note_id, kind, target, domain, text, origin in conn.execute(
            "SELECT note_id, kind, target, domain, text, origin FROM links "
            f"WHERE note_id IN ({marks}) ORDER BY rowid",
            chunk,
        ):
            out[note_id]["links"].append(
                {"kind": kind, "target": target, "domain": domain, "text": text, "origin": origin}
            )
    return {i: {k: row[k] for k in EXPORT_FIELDS} for i, row in out.items()}
