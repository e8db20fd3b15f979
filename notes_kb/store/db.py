"""Opening the index: pragmas, migrations, and refusing indexes from newer versions."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from notes_kb.errors import IndexError_, SchemaTooNew
from notes_kb.store import migrations

BUSY_TIMEOUT_MS = 30_000
# While migrating, wait for the write lock in short steps: another process may be running
# the same migration, and once it commits there is nothing left to do.
_MIGRATE_STEP_MS = 200


PAGE_SIZE = 8192


def latest() -> int:
    """The schema version this notes-kb writes."""
    return len(migrations.MIGRATIONS)


def connect(path: Path, *, create: bool = True, readonly: bool = False) -> sqlite3.Connection:
    """Open (and migrate) the index at `path`."""
    if not create and not path.exists():
        raise IndexError_(f"no index at {path}: run `notes-kb import FOLDER` first")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        raise IndexError_(f"{path}: cannot open the index ({exc})") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and _busy(exc):
            raise IndexError_(
                f"{path}: the index is busy (another process is writing it); try again"
            ) from exc
        raise IndexError_(
            f"{path}: not a notes-kb index ({exc}); delete it and import again"
        ) from exc
    newest = latest()
    if version > newest:
        conn.close()
        raise SchemaTooNew(
            f"{path}: index schema version {version} is newer than this notes-kb supports "
            f"({newest}); upgrade notes-kb or delete the index and import again"
        )
    if version < newest:
        if readonly:
            conn.close()
            return connect(path, create=create)
        try:
            _migrate(conn, path)
        except BaseException:
            conn.close()
            raise
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def leave_wal(conn: sqlite3.Connection) -> None:
    """Switch the index to a rollback journal, if no other connection has it open.

    For a bulk load into an empty index: its pages then go to the file once, where the WAL
    writes them twice (to the log, then to the file at the checkpoint) and deletes a log
    as big as the index (100k notes: 1.5 s of 31). Readers arriving meanwhile wait for the
    commit (the busy timeout) instead of reading the empty index. Nothing changes when
    another connection is open (a `serve`, a `watch`...): SQLite cannot leave WAL mode
    then. `back_to_wal` once the load has committed or rolled back (or, when it was
    killed, at the next import).
    """
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        with contextlib.suppress(sqlite3.OperationalError):  # busy, or in a transaction:
            conn.execute("PRAGMA journal_mode = DELETE")  # WAL it is
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def in_wal(conn: sqlite3.Connection) -> bool:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"


def back_to_wal(conn: sqlite3.Connection) -> None:
    """Back to WAL mode after `leave_wal`, once readers are done (the busy timeout).

    Without a sync: the load's commit made its own choice of durability (see
    write.set_synchronous); switching need not flush the whole index again (1 s at 100k).
    """
    conn.execute("PRAGMA synchronous = OFF")
    try:
        with contextlib.suppress(sqlite3.OperationalError):  # sound all the same: the next
            conn.execute("PRAGMA journal_mode = WAL")  # import tries again
    finally:
        conn.execute("PRAGMA synchronous = NORMAL")


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one transaction: all of it happens or none of it."""
    try:
        # Only a new, empty file takes it: notes of a few KB each then share pages instead
        # of each taking a 4 KB page to itself (half of it empty).
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise IndexError_(f"{path}: could not switch the index to WAL mode")
        if not _begin_unless_current(conn):
            return
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(current, latest()):
            migrations.MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _rollback(conn)
        raise IndexError_(f"{path}: could not prepare the index: {exc}") from exc
    except BaseException:
        _rollback(conn)
        raise


def _begin_unless_current(conn: sqlite3.Connection) -> bool:
    """Take the write lock; False when another process brought the schema up to date first."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    conn.execute(f"PRAGMA busy_timeout = {_MIGRATE_STEP_MS}")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                if conn.execute("PRAGMA user_version").fetchone()[0] >= latest():
                    return False
                if time.monotonic() > deadline:
                    raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (the connection is in autocommit)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
