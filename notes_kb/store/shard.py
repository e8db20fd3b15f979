"""Shards: the rows one import worker parsed, in a scratch SQLite file of its own.

A bulk load into an empty index has each worker write its notes' rows straight into its
shard, so the rows never travel through a pipe and the importing process stays free; the
shards are then merged into the index with one INSERT ... SELECT per table, in C, inside
the import's transaction, while a helper process builds the full-text index from them
(`build_text`, `merge_text`). A shard is scratch: nothing in it matters once the merge is done
or the import fails, so it is written without a journal or syncs.

A note's rows carry its position in the import (`pos`), so the merged index is the same
whichever worker parsed which note: ids follow the scan order, and a note's links keep their
order (a shard's child rows are read in the order they were written: a note's in a row).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from notes_kb.store.migrations import FTS_COLUMNS
from notes_kb.store.write import (
    BULK_FTS_HASHSIZE,
    NOTE_COLUMNS,
    fts_config,
    link_target,
    note_values,
    rebuild_fts,
)

_CHILDREN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("note_tags", ("tag", "tag_lc")),
    ("note_authors", ("author", "author_lc")),
    ("note_categories", ("category", "category_lc")),
    ("links", ("kind", "target", "resolved", "domain", "text", "origin")),
)
_PREFIX = ".import-"
_LOCK = ".lock"
_ATTACHED = "nkb_shard"
_SCRATCH_PAGE_SIZE = 16384


def _scratch_place(db_file: str) -> tuple[str, str]:
    folder, name = os.path.split(db_file) if db_file else (tempfile.gettempdir(), "notes-kb")
    return folder or ".", name + _PREFIX


def clear_leftovers(db_file: str) -> None:
    """Remove what imports killed mid-way left beside the index: scratch folders whose lock
    file nobody holds (an import holds its own until it has removed its folder)."""
    if not db_file:
        return  # in-memory indexes share the temp folder: leave other processes' files alone
    folder, prefix = _scratch_place(db_file)
    try:
        entries = [e for e in os.listdir(folder) if e.startswith(prefix)]
    except OSError:
        return
    locks = {e for e in entries if e.endswith(_LOCK)}
    for entry in entries:
        if entry in locks:
            if entry.removesuffix(_LOCK) not in entries:  # its folder is gone already
                _remove_unheld(os.path.join(folder, entry), None)
            continue
        if entry + _LOCK not in locks:  # its lock file is made first: it is not being made now
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
            continue
        _remove_unheld(os.path.join(folder, entry + _LOCK), os.path.join(folder, entry))


def _remove_unheld(lock: str, scratch: str | None) -> None:
    """Remove a scratch folder and its lock file unless a running import holds the lock."""
    fd = _try_lock(lock)
    if fd is None:
        return
    try:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
    finally:
        os.close(fd)


def _try_lock(path: str) -> int | None:
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class Scratch:
    """A fresh folder for shards beside the index (where there is room for the index), held
    by a lock file beside it for as long as the import runs."""

    def __init__(self, db_file: str) -> None:
        folder, prefix = _scratch_place(db_file)
        self._fd, self._lock = tempfile.mkstemp(prefix=prefix, suffix=_LOCK, dir=folder)
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # a new file: nobody else holds it
        self.path = self._lock.removesuffix(_LOCK)
        try:
            os.mkdir(self.path, 0o700)
        except OSError:
            self.remove()
            raise

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self._lock)
        os.close(self._fd)


def create(path: str) -> None:
    """An empty shard with the tables `Writer` fills."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # A note's row is a few KB: on SQLite's default 4 KB pages most take a page each.
        conn.execute(f"PRAGMA page_size = {_SCRATCH_PAGE_SIZE}")  # 100k notes: 475 -> 340 MB
        conn.execute("PRAGMA journal_mode = OFF")
        cols = ", ".join(NOTE_COLUMNS)
        conn.execute(f"CREATE TABLE notes (pos INTEGER PRIMARY KEY, {cols})")
        for table, columns in _CHILDREN:
            conn.execute(f"CREATE TABLE {table} (pos INTEGER, {', '.join(columns)})")
    finally:
        conn.close()


class Writer:
    """Appends records to one shard, a chunk per transaction."""

    def __init__(self, path: str, *, variable_limit: int | None = None) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = OFF")
        self._conn.execute("PRAGMA synchronous = OFF")
        # Rows per INSERT statement, within the number of parameters SQLite takes.
        limit = variable_limit or self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        self._tables = [_Insert("notes", ("pos", *NOTE_COLUMNS), limit)] + [
            _Insert(table, ("pos", *columns), limit) for table, columns in _CHILDREN
        ]

    def write(self, records: Sequence[tuple[int, dict[str, Any]]]) -> None:
        notes = [(pos, *note_values(r)) for pos, r in records]
        # One flat comprehension per table (a link: 3 us less than keyed rows built per note).
        tags = [(pos, v, v.casefold()) for pos, r in records for v in r["_tags"]]
        authors = [(pos, v, v.casefold()) for pos, r in records for v in r["_authors"]]
        categories = [(pos, v, v.casefold()) for pos, r in records for v in r["_categories"]]
        links = [(pos, *link) for pos, r in records for link in r["_links"]]
        conn = self._conn
        conn.execute("BEGIN")
        for insert, rows in zip(
            self._tables, (notes, tags, authors, categories, links), strict=True
        ):
            insert.run(conn, rows)
        conn.execute("COMMIT")


_ROWS_PER_INSERT = 64


class _Insert:
    """Rows into one shard table, many per statement: binding them costs 40% less than a
    statement per row."""

    def __init__(self, table: str, columns: tuple[str, ...], variable_limit: int) -> None:
        self.per = max(1, min(_ROWS_PER_INSERT, variable_limit // len(columns)))
        one = "(" + ", ".join("?" for _ in columns) + ")"
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        self.many = head + ", ".join([one] * self.per)
        self.single = head + one

    def run(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        per = self.per
        whole = len(rows) - len(rows) % per
        for start in range(0, whole, per):
            conn.execute(self.many, list(chain.from_iterable(rows[start : start + per])))
        if whole < len(rows):
            conn.executemany(self.single, rows[whole:])


def capacity(conn: sqlite3.Connection) -> int:
    """How many shards `merge` can take at once: one per database SQLite lets attach, but
    for the full text `merge_text` attaches."""
    return int(conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED)) - 1


def text_declaration(conn: sqlite3.Connection) -> str:
    """The full-text table's CREATE statement, for `build_text`."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'notes_fts'").fetchone()
    return str(row[0])


def merge(
    conn: sqlite3.Connection,
    shards: Sequence[str],
    skipped: Sequence[int] = (),
    *,
    index_notes: Callable[[], None] = lambda: None,
) -> None:
    """Copy every shard's rows into the index, in the caller's transaction.

    The notes of every shard first, then `index_notes` (to recreate the notes' indexes),
    then the child rows, each link with the id of the note it points to, looked up as it is
    copied (pointing them afterwards would write every link row twice).

    A shard at a time: notes take their ids from their positions, and a note's child rows
    keep their order (a shard is read in key order), so the index holds what a note-by-note
    import writes, but for the order of different notes' child rows, which no query depends
    on (merging the shards into one ordered stream costs 3x as much). `skipped` are the
    positions of notes that could not be read: the ids after each close up, as a note-by-note
    import numbers only the notes it writes. At most `capacity` shards; they stay attached
    until `detach`, after the transaction ends.
    """
    note_id = _ids_closing_gaps(conn, skipped)
    cols = ", ".join(NOTE_COLUMNS)
    names = [f"{_ATTACHED}{i}" for i in range(len(shards))]
    for name, path in zip(names, shards, strict=True):
        conn.execute(f"ATTACH DATABASE ? AS {name}", (path,))
        conn.execute(
            f"INSERT INTO notes (id, {cols}) SELECT {note_id.format('s.pos')}, {cols} "
            f"FROM {name}.notes AS s"
        )
    index_notes()
    owner = note_id.format("s.pos")
    for name in names:
        for table, columns in _CHILDREN:
            child = ", ".join(columns)
            extra, values = "", f"{owner}, {child}"
            if table == "links":
                extra, values = ", target_id", f"{values}, {link_target('s.kind', 's.resolved')}"
            conn.execute(
                f"INSERT INTO {table} (note_id, {child}{extra}) "
                f"SELECT {values} FROM {name}.{table} AS s ORDER BY s.rowid"
            )
    if skipped:
        conn.execute(f"DROP TABLE temp.{_GAPS}")


def build_text(shards: Sequence[str], skipped: Sequence[int], built: str, declaration: str) -> None:
    """In a helper process, while the importing one merges: the full-text index of every
    shard's notes (ids as `merge` gives them), in the new database file `built`, in a table
    made by `declaration` (the index's own CREATE statement), for `merge_text`."""
    conn = sqlite3.connect(built, isolation_level=None)
    try:
        # FTS5 writes its index in blobs of about 4 KB: on pages of 4 KB (SQLite's default)
        # each takes an overflow page as well (100k notes: built in 7.0 s, not 6.6 s).
        conn.execute(f"PRAGMA page_size = {_SCRATCH_PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(declaration)
        conn.execute("BEGIN")
        fts_config(conn, "hashsize", BULK_FTS_HASHSIZE)
        note_id = _ids_closing_gaps(conn, skipped)
        cols = ", ".join(FTS_COLUMNS)
        arms = []
        for i, path in enumerate(shards):
            conn.execute(f"ATTACH DATABASE ? AS {_ATTACHED}{i}", (path,))
            arms.append(f"SELECT pos, {cols} FROM {_ATTACHED}{i}.notes")
        # In id order, as FTS5 writes a segment each time ids go back: the shards are read
        # side by side in key order (a merge, no sort).
        conn.execute(
            f"INSERT INTO notes_fts(rowid, {cols}) SELECT {note_id.format('s.pos')}, {cols} "
            f"FROM ({' UNION ALL '.join(arms)} ORDER BY pos) AS s"
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


# The tables an FTS5 index with external content keeps its terms in (its settings are in
# notes_fts_config, which the copy leaves alone).
_FTS_TABLES = ("notes_fts_data", "notes_fts_idx", "notes_fts_docsize")
_TEXT = f"{_ATTACHED}_text"


def merge_text(conn: sqlite3.Connection, built: str) -> None:
    """Make the index's full-text index the one `build_text` made in `built`.

    Copies FTS5's own tables: same declaration, same library, so the same index a rebuild
    gives. FTS5 keeps a view of them per connection that it renews only when another
    connection commits, so `conn` must be one on which nothing has read or written the
    full-text table, closed once the transaction ends (the settings in notes_fts_config
    stay as they were: the copy leaves them alone). A built index of another FTS5 format
    version, or one missing notes, is not kept: the full text is then rebuilt from the
    notes. Attached until `detach`.
    """
    conn.execute(f"ATTACH DATABASE ? AS {_TEXT}", (built,))
    version = "SELECT v FROM {}.notes_fts_config WHERE k = 'version'"
    if (
        conn.execute(version.format("main")).fetchone()
        != conn.execute(version.format(_TEXT)).fetchone()
    ):
        rebuild_fts(conn)
        return
    for table in _FTS_TABLES:
        conn.execute(f"DELETE FROM main.{table}")
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM {_TEXT}.{table}")
    sizes = conn.execute("SELECT count(*) FROM main.notes_fts_docsize").fetchone()[0]
    if sizes != conn.execute("SELECT count(*) FROM main.notes").fetchone()[0]:
        rebuild_fts(conn)  # not every note in it: made again from the notes instead


_GAPS = "nkb_import_gaps"


def _ids_closing_gaps(conn: sqlite3.Connection, skipped: Sequence[int]) -> str:
    """An SQL expression template: the id of the note at position {0}."""
    if not skipped:
        return "{0}"
    conn.execute(f"CREATE TEMP TABLE {_GAPS} (pos INTEGER PRIMARY KEY, shift INTEGER)")
    conn.executemany(
        f"INSERT INTO temp.{_GAPS} VALUES (?, ?)",
        [(pos, n) for n, pos in enumerate(sorted(skipped), start=1)],
    )
    # Minus the number of skipped positions before it: one index seek per row.
    return (
        "{0} - coalesce((SELECT g.shift FROM temp." + _GAPS + " AS g WHERE g.pos < {0} "
        "ORDER BY g.pos DESC LIMIT 1), 0)"
    )


def detach(conn: sqlite3.Connection) -> None:
    """Detach the shards `merge` attached (SQLite refuses while a transaction is open)."""
    for (name,) in conn.execute("SELECT name FROM pragma_database_list").fetchall():
        if name.startswith(_ATTACHED):
            conn.execute(f"DETACH DATABASE {name}")
