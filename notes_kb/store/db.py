"""Opening the index: pragmas, migrations, and refusing indexes from newer versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from notes_kb.errors import IndexError_, SchemaTooNew
from notes_kb.store.migrations import LATEST, MIGRATIONS

BUSY_TIMEOUT_MS = 30_000


def connect(path: Path, *, create: bool = True, readonly: bool = False) -> sqlite3.Connection:
    """Open (and migrate) the index at `path`."""
    if not create and not path.exists():
        raise IndexError_(f"no index at {path}: run `notes-kb import FOLDER` first")
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise IndexError_(f"{path}: not a notes-kb index ({exc}); delete it and import again") from exc
    if version > LATEST:
        conn.close()
        raise SchemaTooNew(
            f"{path}: index schema version {version} is newer than this notes-kb supports "
            f"({LATEST}); upgrade notes-kb or delete the index and import again"
        )
    if version < LATEST:
        if readonly:
            conn.close()
            conn = connect(path, create=create)
            return conn
        _migrate(conn, version, path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _migrate(conn: sqlite3.Connection, version: int, path: Path) -> None:
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise IndexError_(f"{path}: could not switch the index to WAL mode")
        conn.execute("BEGIN IMMEDIATE")
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for number in range(current, LATEST):
            MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise IndexError_(f"{path}: could not prepare the index: {exc}") from exc
