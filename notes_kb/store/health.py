"""Consistency checks and repairs of the index, as plain SQL. `doctor` coordinates them."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence

from notes_kb.store import write

CHILD_TABLES = ("note_tags", "note_authors", "note_categories", "links")
_FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
# Problems PRAGMA integrity_check reports that REINDEX rebuilds away.
_INDEX_PROBLEM = re.compile(
    r"^(row \d+ missing from index|wrong # of entries in index|non-unique entry in index) ",
)


def integrity(conn: sqlite3.Connection) -> list[str]:
    """PRAGMA integrity_check: an empty list when the file is sound."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(100)")]
    return [] if rows == ["ok"] else rows


def only_index_problems(problems: Sequence[str]) -> bool:
    """True when every problem is an index out of step with its table (REINDEX repairs it)."""
    return bool(problems) and all(_INDEX_PROBLEM.match(p) for p in problems)


def reindex(conn: sqlite3.Connection) -> None:
    conn.execute("REINDEX")


def fts_problems(conn: sqlite3.Connection, *, deep: bool = True) -> list[str]:
    """The full-text index against itself and against the notes table.

    FTS5's own 'integrity-check' looks inside the index only (before SQLite 3.44 it does not
    compare an external-content index with its table), so the indexed notes are compared with
    the notes table and, when `deep`, the per-note token counts with a fresh tokenisation of
    the notes in a temporary table.
    """
    problems: list[str] = []
    try:
        conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as exc:
        return [f"the full-text index is damaged ({exc})"]
    missing = _scalar(
        conn,
        "SELECT count(*) FROM notes n WHERE NOT EXISTS "
        "(SELECT 1 FROM notes_fts_docsize d WHERE d.id = n.id)",
    )
    extra = _scalar(
        conn,
        "SELECT count(*) FROM notes_fts_docsize d WHERE NOT EXISTS "
        "(SELECT 1 FROM notes n WHERE n.id = d.id)",
    )
    if missing:
        problems.append(f"{missing} notes are missing from the full-text index")
    if extra:
        problems.append(f"{extra} entries in the full-text index belong to no note")
    stale = _stale_fts_rows(conn) if deep else 0
    if stale:
        problems.append(f"{stale} notes have out-of-date full-text entries")
    return problems


def _stale_fts_rows(conn: sqlite3.Connection) -> int:
    conn.execute("DROP TABLE IF EXISTS temp.nkb_fts_check")
    conn.execute(
        "CREATE VIRTUAL TABLE temp.nkb_fts_check USING fts5(title, body, tags, authors, "
        f"content='', tokenize='{_FTS_TOKENIZE}')"
    )
    try:
        conn.execute(
            "INSERT INTO temp.nkb_fts_check(rowid, title, body, tags, authors) "
            "SELECT id, title, body, tags, authors FROM notes"
        )
        return _scalar(
            conn,
            "SELECT count(*) FROM main.notes_fts_docsize d "
            "JOIN temp.nkb_fts_check_docsize c ON c.id = d.id WHERE c.sz != d.sz",
        )
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.nkb_fts_check")


rebuild_fts = write.rebuild_fts


def orphans(conn: sqlite3.Connection) -> dict[str, int]:
    """Child rows whose note is gone, and links pointing at notes that are gone."""
    out: dict[str, int] = {}
    for table in CHILD_TABLES:
        n = _scalar(
            conn,
            f"SELECT count(*) FROM {table} c WHERE NOT EXISTS "
            "(SELECT 1 FROM notes n WHERE n.id = c.note_id)",
        )
        if n:
            out[table] = n
    dangling = _scalar(
        conn,
        "SELECT count(*) FROM links l WHERE l.target_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM notes n WHERE n.id = l.target_id)",
    )
    if dangling:
        out["link targets"] = dangling
    return out


def remove_orphans(conn: sqlite3.Connection) -> None:
    for table in CHILD_TABLES:
        conn.execute(
            f"DELETE FROM {table} WHERE NOT EXISTS "
            f"(SELECT 1 FROM notes n WHERE n.id = {table}.note_id)"
        )
    conn.execute(
        "UPDATE links SET target_id = NULL WHERE target_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM notes n WHERE n.id = links.target_id)"
    )


def note_files(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(id, path, source folder) of every note."""
    return [
        (int(i), str(p), str(s or ""))
        for i, p, s in conn.execute("SELECT id, path, source FROM notes ORDER BY path")
    ]


def remove_notes(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Remove notes with their child rows; links that pointed at them become unresolved."""
    write.delete_notes(conn, ids)
    write.resolve_links(conn)
    conn.execute(
        "UPDATE sources SET notes = (SELECT count(*) FROM notes WHERE source = sources.path)"
    )


def note_problems(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(path, problem) for notes whose frontmatter failed or produced warnings."""
    out: list[tuple[str, str]] = []
    for path, error, warnings in conn.execute(
        "SELECT path, error, warnings FROM notes "
        "WHERE error IS NOT NULL OR (warnings IS NOT NULL AND warnings NOT IN ('', '[]')) "
        "ORDER BY path"
    ):
        if error:
            out.append((path, str(error)))
        for warning in _warnings(warnings):
            out.append((path, warning))
    return out


def _warnings(raw: str | None) -> list[str]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return [raw]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def mark_changed(conn: sqlite3.Connection, when: str) -> None:
    """Tell readers that cache anything about the index (engines) that it changed."""
    import time

    write.set_state(conn, "generation", str(time.time_ns()))
    write.set_state(conn, "last_repair", when)


def _scalar(conn: sqlite3.Connection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0])
