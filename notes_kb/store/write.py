"""Writes to the index. Callers hold the transaction; every function here is one step in it."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

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


# The id of the note a link points to, from its `resolved` column ({0}): for a path, the
# note at that path, else at that path with .md added (a prefix sorts first); for a
# wikilink, the note with that file name, else the one with that title (the lowest id
# where several share it).
_INTERNAL_TARGET = (
    "(SELECT n.id FROM main.notes n WHERE n.path = {0} OR n.path = {0} || '.md' "
    "ORDER BY n.path LIMIT 1)"
)
_WIKI_TARGET = (
    "COALESCE("
    "(SELECT n.id FROM main.notes n WHERE n.stem = {0} ORDER BY n.id LIMIT 1),"
    "(SELECT n.id FROM main.notes n WHERE lower(n.title) = +{0} ORDER BY n.id LIMIT 1))"
)


def link_target(kind: str, resolved: str) -> str:
    """SQL for the id of the note a link points to, or NULL; `kind` and `resolved` are SQL
    for its kind and `resolved` columns."""
    return (
        f"CASE {kind} WHEN 'internal' THEN {_INTERNAL_TARGET.format(resolved)} "
        f"WHEN 'wiki' THEN {_WIKI_TARGET.format(resolved)} END"
    )


def resolve_links(conn: sqlite3.Connection) -> None:
    """Point note-to-note links at their target notes where those exist."""
    conn.execute(
        f"UPDATE links SET target_id = {_INTERNAL_TARGET.format('links.resolved')} "
        "WHERE kind = 'internal' AND target_id IS NULL"
    )
    conn.execute(
        f"UPDATE links SET target_id = {_WIKI_TARGET.format('links.resolved')} "
        "WHERE kind = 'wiki' AND target_id IS NULL"
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


# Full-text terms gathered in memory before a segment is written, during a bulk load:
# larger means fewer segments to merge (100k notes: 9.2 -> 6.5 s for 1 -> 64 MB).
BULK_FTS_HASHSIZE = 64 * 1024 * 1024
FTS_DEFAULT_HASHSIZE = 1024 * 1024  # SQLite's own default
# Kept during a bulk load: the unique path index (it guards the one-row-per-file rule).
_KEPT_INDEXES = ("idx_notes_path",)


def begin_bulk(conn: sqlite3.Connection, *, rebuild_text: bool) -> list[tuple[str, str]]:
    """For a bulk load into an empty index: no per-row full-text or secondary-index work.

    `rebuild_text`: `end_bulk` rebuilds the full-text index from the notes; else the
    caller gives it whole (`shard.merge_text`), and this leaves the full-text table alone.
    Returns (table, SQL) of the dropped indexes, for `end_bulk` (building an index once
    from the loaded rows is cheaper than keeping it up to date row by row). Both run inside
    the import's transaction, so a crash leaves the schema as it was.
    """
    conn.execute("DROP TRIGGER IF EXISTS notes_ai")
    if rebuild_text:
        fts_config(conn, "hashsize", BULK_FTS_HASHSIZE)
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


def restore_indexes(
    conn: sqlite3.Connection, indexes: Sequence[tuple[str, str]], *, notes: bool
) -> None:
    """Recreate the dropped indexes of the notes table (`notes`), or of the others."""
    for table, sql in indexes:
        if (table == "notes") == notes:
            conn.execute(sql)


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
    conn: sqlite3.Connection, indexes: Sequence[tuple[str, str]], *, rebuild_text: bool
) -> None:
    """Recreate the indexes `begin_bulk` dropped and put the insert trigger back.

    With `rebuild_text` (the rows came note by note): the notes' indexes first, then links
    resolved (by name and title: indexed), the others' after (so resolving does not update
    an index on every link it points), then the full-text index rebuilt from the notes.
    Else (rows merged from shards, links resolved on the way in, notes indexed already):
    the others' indexes only.
    """
    if rebuild_text:
        restore_indexes(conn, indexes, notes=True)
        resolve_links(conn)
    restore_indexes(conn, indexes, notes=False)
    if rebuild_text:
        rebuild_fts(conn)
        fts_config(conn, "hashsize", FTS_DEFAULT_HASHSIZE)
    _restore_insert_trigger(conn)


def rebuild_fts(conn: sqlite3.Connection) -> None:
    """The full-text index made again from the notes table."""
    conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')")


def fts_config(conn: sqlite3.Connection, key: str, value: int) -> None:
    """Set one of the full-text index's settings (FTS5's own, kept in notes_fts_config)."""
    conn.execute("INSERT INTO notes_fts(notes_fts, rank) VALUES (?, ?)", (key, value))


def _restore_insert_trigger(conn: sqlite3.Connection) -> None:
    from notes_kb.store.migrations import TRIGGERS

    conn.execute("DROP TRIGGER IF EXISTS notes_ai")
    insert_trigger = TRIGGERS.split("END;")[0] + "END;"
    conn.execute(insert_trigger)
