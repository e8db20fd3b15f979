"""Writes to the index. Callers hold the transaction; every function here is one step in it."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from notes_kb.store.migrations import FTS_COLUMNS

NOTE_COLUMNS = (
    "path",
    "source",
    "stem",
    "title",
    "body",
    "tags",
    "authors",
    "categories",
    "fm_format",
    "draft",
    "revisit",
    "revisit_after",
    "lastmod",
    "date",
    "created",
    "updated",
    "meta",
    "error",
    "warnings",
    "mtime_ns",
    "size",
    "inode",
    "hash",
    "indexed_at",
)
_INSERT_WITH_ID = (
    f"INSERT INTO notes (id, {', '.join(NOTE_COLUMNS)}) "
    f"VALUES (?, {', '.join('?' for _ in NOTE_COLUMNS)})"
)
# A record's NOTE_COLUMNS values, in order.
note_values = operator.itemgetter(*NOTE_COLUMNS)
_UPDATE = f"UPDATE notes SET {', '.join(c + ' = ?' for c in NOTE_COLUMNS)} WHERE id = ?"
_CHILD_TABLES = ("note_tags", "note_authors", "note_categories", "links")


def write_notes(conn: sqlite3.Connection, records: Sequence[dict[str, Any]]) -> None:
    """Insert or replace notes by path, with their tags, authors, categories and links."""
    if not records:
        return
    paths = [r["path"] for r in records]
    existing = ids_by_path(conn, paths)
    inserts = [r for r in records if r["path"] not in existing]
    updates = [r for r in records if r["path"] in existing]
    if updates:
        ids = [existing[r["path"]] for r in updates]
        delete_children(conn, ids)
        conn.executemany(_UPDATE, [(*note_values(r), existing[r["path"]]) for r in updates])
    if inserts:
        # The transaction holds the write lock, so the next ids are ours to give: no
        # look-up of each new row's id afterwards.
        first = next_id(conn)
        new_ids = range(first, first + len(inserts))
        conn.executemany(
            _INSERT_WITH_ID, [(i, *note_values(r)) for i, r in zip(new_ids, inserts, strict=True)]
        )
        existing.update(zip((r["path"] for r in inserts), new_ids, strict=True))
    _insert_children(conn, [(existing[r["path"]], r) for r in records])


def next_id(conn: sqlite3.Connection) -> int:
    """The id the next new note gets (callers hold the write lock)."""
    return int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM notes").fetchone()[0])


def ids_by_path(conn: sqlite3.Connection, paths: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for chunk in _chunks(paths, 500):
        marks = ",".join("?" for _ in chunk)
        for note_id, path in conn.execute(
            f"SELECT id, path FROM notes WHERE path IN ({marks})", chunk
        ):
            out[path] = note_id
    return out


def delete_children(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" for _ in chunk)
        for table in _CHILD_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE note_id IN ({marks})", chunk)


def delete_notes(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    delete_children(conn, ids)
    for chunk in _chunks(ids, 500):
        marks = ",".join("?" for _ in chunk)
        conn.execute(f"UPDATE links SET target_id = NULL WHERE target_id IN ({marks})", chunk)
        conn.execute(f"DELETE FROM notes WHERE id IN ({marks})", chunk)


def move_note(conn: sqlite3.Connection, note_id: int, record: dict[str, Any]) -> None:
    """A file that moved keeps its id (and so its backlinks); its row takes the new path."""
    delete_children(conn, [note_id])
    conn.execute(_UPDATE, (*note_values(record), note_id))
    conn.execute("UPDATE links SET target_id = NULL WHERE target_id = ?", (note_id,))
    _insert_children(conn, [(note_id, record)])


def _insert_children(conn: sqlite3.Connection, notes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """The tag, author, category and link rows of (note id, record) pairs, in one batch each."""
    tags: list[tuple[int, str, str]] = []
    authors: list[tuple[int, str, str]] = []
    categories: list[tuple[int, str, str]] = []
    links: list[tuple[Any, ...]] = []
    for note_id, r in notes:
        tags += [(note_id, t, t.casefold()) for t in r["_tags"]]
        authors += [(note_id, a, a.casefold()) for a in r["_authors"]]
        categories += [(note_id, c, c.casefold()) for c in r["_categories"]]
        links += [(note_id, *link) for link in r["_links"]]
    conn.executemany("INSERT INTO note_tags (note_id, tag, tag_lc) VALUES (?, ?, ?)", tags)
    conn.executemany(
        "INSERT INTO note_authors (note_id, author, author_lc) VALUES (?, ?, ?)", authors
    )
    conn.executemany(
        "INSERT INTO note_categories (note_id, category, category_lc) VALUES (?, ?, ?)",
        categories,
    )
    conn.executemany(
        "INSERT INTO links (note_id, kind, target, resolved, domain, text, origin) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        links,
    )


def touch(conn: sqlite3.Connection, rows: Iterable[tuple[int, int, int, int]]) -> None:
    """Content unchanged (same hash) but the stat changed: remember the new stat."""
    conn.executemany("UPDATE notes SET mtime_ns = ?, size = ?, inode = ? WHERE id = ?", rows)


def resolve_links(conn: sqlite3.Connection) -> None:
    """Point note-to-note links at their target notes where those exist."""
    conn.execute(
        "UPDATE links SET target_id = (SELECT n.id FROM notes n WHERE n.path = links.resolved "
        "OR n.path = links.resolved || '.md') WHERE kind = 'internal' AND target_id IS NULL"
    )
    conn.execute(
        "UPDATE links SET target_id = COALESCE("
        "(SELECT n.id FROM notes n WHERE n.stem = links.resolved ORDER BY n.id LIMIT 1),"
        "(SELECT n.id FROM notes n WHERE lower(n.title) = +links.resolved ORDER BY n.id LIMIT 1)"
        ") WHERE kind = 'wiki' AND target_id IS NULL"
    )


def record_source(conn: sqlite3.Connection, path: str, when: str) -> None:
    count = conn.execute("SELECT count(*) FROM notes WHERE source = ?", (path,)).fetchone()[0]
    conn.execute(
        "INSERT INTO sources (path, last_import, notes) VALUES (?, ?, ?) "
        "ON CONFLICT(path) DO UPDATE SET "
        "last_import = excluded.last_import, notes = excluded.notes",
        (path, when, count),
    )


def set_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO state (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Full-text terms gathered in memory before a segment is written, during a bulk load.
# Rebuilt at the end, larger means fewer segments to merge (100k notes: 9.2 -> 6.5 s
# for 1 -> 64 MB). Indexed alongside parsing workers, a smaller table leaves the shared
# CPU cache to them: at 100k notes the import takes 35.2 s with 16 MB, 37.8 s with 64 MB.
BULK_FTS_HASHSIZE = 64 * 1024 * 1024
ALONGSIDE_FTS_HASHSIZE = 16 * 1024 * 1024
FTS_DEFAULT_HASHSIZE = 1024 * 1024  # SQLite's own default
# Kept during a bulk load: the unique path index (it guards the one-row-per-file rule).
_KEPT_INDEXES = ("idx_notes_path",)


def begin_bulk(conn: sqlite3.Connection, *, text_alongside: bool) -> list[tuple[str, str]]:
    """For a bulk load into an empty index: no per-row full-text or secondary-index work
    (`text_alongside`: `index_text` gives the full text as the notes are parsed).

    Returns (table, SQL) of the dropped indexes, for `end_bulk` (building an index once from
    the loaded rows is cheaper than keeping it up to date row by row). Both run inside
    the import's transaction, so a crash leaves the schema as it was.
    """
    conn.execute("DROP TRIGGER IF EXISTS notes_ai")
    if text_alongside:
        # No rebuild at the end will clear what an earlier, damaged index left in the
        # full-text index: terms of notes long gone would match the new notes' ids.
        conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('delete-all')")
    hashsize = ALONGSIDE_FTS_HASHSIZE if text_alongside else BULK_FTS_HASHSIZE
    _fts_config(conn, "hashsize", hashsize)
    marks = ",".join("?" for _ in _KEPT_INDEXES)
    dropped = conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ('notes', {', '.join(repr(t) for t in _CHILD_TABLES)}) "
        f"AND name NOT IN ({marks}) ORDER BY name",
        _KEPT_INDEXES,
    ).fetchall()
    for name, _table, _sql in dropped:
        conn.execute(f'DROP INDEX "{name}"')
    return [(table, sql) for _name, table, sql in dropped]


def set_synchronous(conn: sqlite3.Connection, *, durable: bool) -> None:
    """Whether commits wait for the disk (outside a transaction only).

    A bulk load into an empty index commits without waiting (synchronous OFF): its commit
    and WAL checkpoint then cost a third of the time, and the OS writes the pages out a few
    seconds later. A power cut in those seconds can damage the index, never a note: the
    index held no notes and no review history before (the importer checks), and deleting
    it and importing again rebuilds it (what `notes-kb doctor` advises for a damaged index).
    Every other write is durable (NORMAL: WAL synced at each checkpoint).
    """
    conn.execute(f"PRAGMA synchronous = {'NORMAL' if durable else 'OFF'}")


def end_bulk(
    conn: sqlite3.Connection, indexes: Sequence[tuple[str, str]], *, text_indexed: bool
) -> None:
    """Resolve links, recreate the indexes `begin_bulk` dropped, rebuild the full-text index
    unless `index_text` already gave it every note.

    The notes' indexes come first (link resolution looks notes up by name and title), the
    links' after it (so resolving does not update an index on every link it points).
    """
    for table, sql in indexes:
        if table == "notes":
            conn.execute(sql)
    resolve_links(conn)
    for table, sql in indexes:
        if table != "notes":
            conn.execute(sql)
    if not text_indexed:
        rebuild_fts(conn)
    _restore_insert_trigger(conn)
    _fts_config(conn, "hashsize", FTS_DEFAULT_HASHSIZE)


# A record's full-text columns, in notes_fts order (title, body, tags, authors).
text_values = operator.itemgetter(*FTS_COLUMNS)


_INDEX_TEXT = (
    f"INSERT INTO notes_fts(rowid, {', '.join(FTS_COLUMNS)}) "
    f"VALUES (?, {', '.join('?' for _ in FTS_COLUMNS)})"
)


def index_text(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """During a bulk load: (note id, *text_values) into the full-text index directly, in
    rising id order, for notes whose rows `shard.merge` writes later in the transaction
    (an external-content index keeps only terms; its content is the notes table)."""
    conn.executemany(_INDEX_TEXT, rows)


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """The full-text index made again from the notes table."""
    conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")


def _fts_config(conn: sqlite3.Connection, key: str, value: int) -> None:
    conn.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES (?, ?)", (key, value))


def _restore_insert_trigger(conn: sqlite3.Connection) -> None:
    from notes_kb.store.migrations import TRIGGERS

    conn.execute("DROP TRIGGER IF EXISTS notes_ai")
    insert_trigger = TRIGGERS.split("END;")[0] + "END;"
    conn.execute(insert_trigger)
