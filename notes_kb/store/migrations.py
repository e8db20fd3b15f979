"""Schema as code: ordered migrations; the version lives in PRAGMA user_version."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

FTS_COLUMNS = ("title", "body", "tags", "authors")
# bm25 weights for title, body, tags, authors.
RANK = "bm25(10.0, 1.0, 6.0, 3.0)"


def _declared(build: Callable[[Any], None]) -> list[str]:
    """Tables declared with sqlite-utils on a scratch database, as SQL to run in one transaction."""
    import sqlite_utils

    scratch = sqlite_utils.Database(memory=True, execute_plugins=False)  # no plugin scan: 50 ms
    build(scratch)
    rows = scratch.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'index', rowid"
    ).fetchall()
    return [row[0] for row in rows]


def m001_initial(conn: sqlite3.Connection) -> None:
    for statement in _declared(_m001_tables):
        conn.execute(statement)
    conn.execute("CREATE INDEX idx_notes_title_lc ON notes(lower(title))")
    _m001_fts(conn)


def _m001_tables(db: Any) -> None:
    db["notes"].create(
        {
            "id": int,
            "path": str,
            "source": str,
            "stem": str,
            "title": str,
            "body": str,
            "tags": str,
            "authors": str,
            "categories": str,
            "fm_format": str,
            "draft": int,
            "revisit": int,
            "revisit_after": str,
            "lastmod": str,
            "date": str,
            "created": str,
            "updated": str,
            "meta": str,
            "error": str,
            "warnings": str,
            "mtime_ns": int,
            "size": int,
            "inode": int,
            "hash": str,
            "indexed_at": str,
        },
        pk="id",
        not_null={"path"},
    )
    db["notes"].create_index(["path"], unique=True)
    db["notes"].create_index(["stem"])
    db["notes"].create_index(["lastmod"])
    for table, column in (
        ("note_tags", "tag"),
        ("note_authors", "author"),
        ("note_categories", "category"),
    ):
        db[table].create(
            {"note_id": int, column: str, f"{column}_lc": str},
            foreign_keys=[("note_id", "notes", "id")],
        )
        db[table].create_index([f"{column}_lc"])
        db[table].create_index(["note_id"])
    db["links"].create(
        {
            "note_id": int,
            "kind": str,
            "target": str,
            "resolved": str,
            "domain": str,
            "text": str,
            "origin": str,
            "target_id": int,
        },
        foreign_keys=[("note_id", "notes", "id")],
    )
    db["links"].create_index(["note_id"])
    db["links"].create_index(["target_id"])
    db["links"].create_index(["domain"])
    db["sources"].create({"path": str, "last_import": str, "notes": int}, pk="path")
    db["history"].create(
        {"id": int, "at": str, "path": str, "title": str, "action": str, "detail": str},
        pk="id",
    )
    db["state"].create({"key": str, "value": str}, pk="key")


TRIGGERS = """
    CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
      INSERT INTO notes_fts(rowid, title, body, tags, authors)
      VALUES (new.id, new.title, new.body, new.tags, new.authors);
    END;
    CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
      INSERT INTO notes_fts(notes_fts, rowid, title, body, tags, authors)
      VALUES ('delete', old.id, old.title, old.body, old.tags, old.authors);
    END;
    CREATE TRIGGER notes_au AFTER UPDATE OF title, body, tags, authors ON notes BEGIN
      INSERT INTO notes_fts(notes_fts, rowid, title, body, tags, authors)
      VALUES ('delete', old.id, old.title, old.body, old.tags, old.authors);
      INSERT INTO notes_fts(rowid, title, body, tags, authors)
      VALUES (new.id, new.title, new.body, new.tags, new.authors);
    END;
"""


def _m001_fts(conn: sqlite3.Connection) -> None:
    # Child rows (tags, authors, links...) are removed explicitly by the store when a note goes.
    conn.execute(
        "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, tags, authors, "
        "content='notes', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    for trigger in TRIGGERS.split("END;")[:-1]:
        conn.execute(trigger + "END;")
    conn.execute(f"INSERT INTO notes_fts(notes_fts, rank) VALUES ('rank', '{RANK}')")


def m002_stat_index(conn: sqlite3.Connection) -> None:
    """A covering index for the stat comparison before every query: reading these columns
    from the table would walk past each note's body."""
    conn.execute("CREATE INDEX idx_notes_stat ON notes(path, mtime_ns, size, id, hash)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [m001_initial, m002_stat_index]
LATEST = len(MIGRATIONS)
