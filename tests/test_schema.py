"""Schema versions: older indexes are migrated on open, newer ones refused untouched."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import raw_pragma

from notes_kb.errors import IndexError_, SchemaTooNew
from notes_kb.store import db as store_db
from notes_kb.store import migrations
from notes_kb.store.db import connect, latest

Invoke = Callable[..., Any]
TABLES = {"notes", "notes_fts", "note_tags", "note_authors", "note_categories", "links", "state"}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _version(path: Path) -> int:
    return int(str(raw_pragma(path, "user_version")))


def _stamp(path: Path, version: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def test_latest_is_the_number_of_migrations() -> None:
    assert latest() == len(migrations.MIGRATIONS) >= 1


def test_a_new_index_uses_large_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = connect(tmp_path / "new.db")
    assert conn.execute("PRAGMA page_size").fetchone() == (store_db.PAGE_SIZE,) != (4096,)
    conn.close()
    monkeypatch.setattr(store_db, "PAGE_SIZE", 4096)  # an index made by an earlier version
    connect(tmp_path / "old.db").close()
    monkeypatch.undo()
    conn = connect(tmp_path / "old.db")
    assert conn.execute("PRAGMA page_size").fetchone() == (4096,)
    conn.execute("INSERT INTO state (key, value) VALUES ('k', 'v')")  # and it works as before
    conn.close()


def test_version_zero_without_tables_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()  # an empty SQLite file: user_version 0, no tables
    assert _version(path) == 0
    conn = connect(path)
    try:
        assert _tables(conn) >= TABLES
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_zero_byte_file_is_migrated_and_usable(tmp_path: Path, cli: Invoke) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("---\ntitle: Alpha\n---\nbody\n")
    result = cli("import", notes, db=path)
    assert result.exit_code == 0, result.output
    listed = cli("list", "--format", "paths", "--no-refresh", db=path)
    assert listed.stdout.strip() == str(notes / "a.md")


def _extra_step(calls: list[int]) -> Callable[[sqlite3.Connection], None]:
    def m999_note_colour(conn: sqlite3.Connection) -> None:
        calls.append(1)
        conn.execute("ALTER TABLE notes ADD COLUMN colour TEXT")
        conn.execute("UPDATE notes SET colour = 'blue'")

    return m999_note_colour


def test_a_new_migration_runs_once_on_an_existing_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke
) -> None:
    path = tmp_path / "index.db"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Alpha\n")
    assert cli("import", notes, db=path).exit_code == 0
    before = latest()

    calls: list[int] = []
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, _extra_step(calls)])
    assert latest() == before + 1
    for _ in range(2):
        conn = connect(path)
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == before + 1
            assert conn.execute("SELECT title, colour FROM notes").fetchall() == [("Alpha", "blue")]
        finally:
            conn.close()
    assert calls == [1]
    result = cli("search", "alpha", "--format", "json", "--no-refresh", db=path)
    assert result.exit_code == 0, result.output


def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Invoke
) -> None:
    path = tmp_path / "index.db"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Alpha\n")
    assert cli("import", notes, db=path).exit_code == 0
    before = latest()

    def m999_half_done(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_half_done])
    with pytest.raises(IndexError_, match="could not prepare the index"):
        connect(path)
    result = cli("list", "--no-refresh", db=path)
    assert result.exit_code == 1
    assert "could not prepare the index" in result.stderr
    monkeypatch.undo()
    assert _version(path) == before
    conn = connect(path)
    try:
        assert "half" not in _tables(conn)
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_python_error_in_a_migration_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "index.db"
    sqlite3.connect(path).close()

    def m001_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE partial (x)")
        raise RuntimeError("bug in a migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", [m001_broken])
    with pytest.raises(RuntimeError):
        connect(path)
    monkeypatch.undo()
    assert _version(path) == 0
    conn = sqlite3.connect(path)
    assert "partial" not in _tables(conn)
    conn.close()


def test_another_process_migrating_first_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes open a new index at once; the first migrates and goes straight on to
    write (as an import does). The second sees the migration done and does not wait for the
    write lock, let alone fail with "database is locked"."""
    import threading
    import time

    path = tmp_path / "index.db"
    sqlite3.connect(path).close()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("BEGIN IMMEDIATE")
    for step in migrations.MIGRATIONS:
        step(other)
    other.execute(f"PRAGMA user_version = {latest()}")
    release = threading.Event()

    def commit_then_keep_writing() -> None:
        time.sleep(0.3)
        other.execute("COMMIT")
        other.execute("BEGIN IMMEDIATE")
        release.wait(10)
        other.execute("ROLLBACK")

    worker = threading.Thread(target=commit_then_keep_writing)
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 2_000)
    worker.start()
    try:
        began = time.monotonic()
        conn = connect(path)  # sees version 0, cannot get the write lock, then sees LATEST
        assert time.monotonic() - began < 1.5
        try:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == latest()
            assert _tables(conn) >= TABLES
            assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 0
        finally:
            conn.close()
    finally:
        release.set()
        worker.join()
        other.close()


# -- indexes from a newer notes-kb, and files that are not indexes -----------------------------


@pytest.fixture
def newer_index(tmp_path: Path, cli: Invoke) -> Path:
    path = tmp_path / "newer.db"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# Alpha\n")
    assert cli("import", notes, db=path).exit_code == 0
    _stamp(path, latest() + 1)
    return path


def test_newer_index_is_refused_in_process(newer_index: Path) -> None:
    data = newer_index.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer than this notes-kb supports"):
        connect(newer_index)
    assert newer_index.read_bytes() == data


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("search", "alpha"),
        ("import", "NOTES"),
        ("status",),
        ("doctor",),
        ("tags",),
    ],
)
def test_newer_index_is_refused_with_one_line_and_left_untouched(
    newer_index: Path, cli: Invoke, args: tuple[str, ...]
) -> None:
    data = newer_index.read_bytes()
    notes = newer_index.parent / "notes"
    argv = [str(notes) if a == "NOTES" else a for a in args]
    result = cli(*argv, db=newer_index)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("notes-kb: ")
    assert f"index schema version {latest() + 1} is newer" in lines[0]
    assert result.stdout == ""
    assert newer_index.read_bytes() == data
    assert _version(newer_index) == latest() + 1


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a database, just some text\n" * 100,
        b"SQLite format 3\x00" + b"\xff" * 4000,
    ],
)
def test_a_file_that_is_not_an_index_is_refused_and_kept(
    tmp_path: Path, cli: Invoke, content: bytes
) -> None:
    path = tmp_path / "index.db"
    path.write_bytes(content)
    for args in (("list",), ("doctor",), ("import", str(tmp_path))):
        result = cli(*args, db=path)
        assert result.exit_code == 1, result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "not a notes-kb index" in result.stderr
        assert "Traceback" not in result.output
    assert path.read_bytes() == content


def test_index_path_that_is_a_folder(tmp_path: Path, cli: Invoke) -> None:
    folder = tmp_path / "index.db"
    folder.mkdir()
    result = cli("list", db=folder)
    assert result.exit_code == 1
    assert result.stderr.startswith("notes-kb: ")
    assert len(result.stderr.strip().splitlines()) == 1
