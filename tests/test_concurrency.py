"""Concurrency: queries while an import runs, two imports at once, refresh under the lock."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import hostile
import pytest

from notes_kb.errors import ImportLocked
from notes_kb.importer import guarded_import, import_lock
from notes_kb.store import health
from notes_kb.store.db import connect

NOTES = 1500
QUERIES = [
    ("search", "sqlite", "--no-refresh", "--format", "json"),
    ("list", "--no-refresh", "--format", "json", "--limit", "5"),
    ("tags", "--no-refresh", "--format", "json"),
    ("search", "tag:rust OR parser", "--no-refresh", "--format", "json", "--limit", "3"),
]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTES_KB")}
    env["NO_COLOR"] = "1"
    return env


def nkb(db: Path, *args: str | Path) -> list[str]:
    return [sys.executable, "-m", "notes_kb", "--db", str(db), *(str(a) for a in args)]


def run(db: Path, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        nkb(db, *args), env=_env(), capture_output=True, text=True, timeout=timeout
    )


def start(db: Path, *args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        nkb(db, *args), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _lock_is_held(db: Path) -> bool:
    lock = db.with_name(db.name + ".lock")
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the lock if we took it
    return False


def _wait_for(predicate: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _sound(db: Path) -> int:
    conn = connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert health.fts_problems(conn, deep=False) == []
        assert health.orphans(conn) == {}
        return int(conn.execute("SELECT count(*) FROM notes").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(notes folder, an index of it) shared by the tests; tests copy the index."""
    root = tmp_path_factory.mktemp("concurrency")
    notes = root / "notes"
    hostile.make_notebook(notes, NOTES, seed=3, words=60)
    db = root / "base.db"
    done = run(db, "import", notes)
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return notes, db


@pytest.fixture
def index(notebook: tuple[Path, Path], tmp_path: Path) -> Path:
    db = tmp_path / "index.db"
    db.write_bytes(notebook[1].read_bytes())
    return db


def _queries_during(proc: subprocess.Popen[str], db: Path) -> list[tuple[float, Any]]:
    """Run queries two at a time until `proc` ends; (start time, result) of each."""
    results: list[tuple[float, Any]] = []
    with ThreadPoolExecutor(2) as pool:
        n = 0
        while proc.poll() is None or n < 4:
            batch = [QUERIES[(n + i) % len(QUERIES)] for i in range(2)]
            n += 2
            started = time.monotonic()
            for result in pool.map(lambda q: run(db, *q), batch):
                results.append((started, result))
    return results


def test_queries_keep_working_while_an_import_runs(
    notebook: tuple[Path, Path], index: Path
) -> None:
    notes, _ = notebook
    importer = start(index, "import", notes, "--full")
    _wait_for(lambda: _lock_is_held(index) or importer.poll() is not None)
    results = _queries_during(importer, index)
    _out, err = importer.communicate(timeout=120)
    ended = time.monotonic()
    assert importer.returncode == 0, err
    overlapping = [r for t, r in results if t < ended]
    assert len(overlapping) >= 3, len(overlapping)
    for result in (r for _t, r in results):
        assert result.returncode == 0, result.stderr
        assert "locked" not in result.stderr
        assert json.loads(result.stdout), result.args
    assert _sound(index) == NOTES


def test_queries_during_the_first_import_of_a_new_index(
    notebook: tuple[Path, Path], tmp_path: Path
) -> None:
    notes, _ = notebook
    db = tmp_path / "new.db"
    importer = start(db, "import", notes)
    _wait_for(lambda: db.exists() or importer.poll() is not None)
    results = _queries_during(importer, db)
    _out, err = importer.communicate(timeout=120)
    assert importer.returncode == 0, err
    for _t, result in results:
        assert "locked" not in result.stderr, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 0, result.stderr
    assert _sound(db) == NOTES


def test_two_imports_at_once_run_one_after_the_other(
    notebook: tuple[Path, Path], index: Path
) -> None:
    notes, _ = notebook
    first = start(index, "import", notes, "--full", "--format", "json")
    _wait_for(lambda: _lock_is_held(index) or first.poll() is not None)
    assert first.poll() is None, "the first import ended before the second one started"
    second = start(index, "import", notes, "--format", "json")
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "locked" not in err1 + err2
    assert json.loads(out1)["updated"] == NOTES
    # The second import waited, then found nothing left to do.
    assert json.loads(out2)["unchanged"] == NOTES
    assert _sound(index) == NOTES


# -- an import in flight, simulated: the import lock plus an open write transaction ----------


@pytest.fixture
def import_in_flight(index: Path) -> Iterator[Path]:
    with import_lock(index) as locked:
        assert locked
        writer = sqlite3.connect(index, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE notes SET title = 'uncommitted' WHERE id = 1")
        try:
            yield index
        finally:
            writer.execute("ROLLBACK")
            writer.close()


def test_auto_refresh_does_not_fail_while_an_import_holds_the_lock(
    notebook: tuple[Path, Path], import_in_flight: Path, tmp_path: Path
) -> None:
    notes, _ = notebook
    # A changed note makes the search want to refresh the index first.
    changed = next(notes.rglob("note-00007.md"))
    original = changed.read_text()
    try:
        changed.write_text(original.replace("title: Note 7", "title: Renamed seven"))
        began = time.monotonic()
        result = run(import_in_flight, "search", "title:seven", "--format", "json")
        assert time.monotonic() - began < 20  # it did not sit out the busy timeout
    finally:
        changed.write_text(original)
    assert result.returncode == 0, result.stderr
    assert "locked" not in result.stderr
    titles = [hit["title"] for hit in json.loads(result.stdout)]
    assert titles == [] or all("Renamed" not in t for t in titles)  # the committed index
    listing = run(import_in_flight, "list", "--format", "json", "--limit", "3")
    assert listing.returncode == 0, listing.stderr
    assert "uncommitted" not in listing.stdout


def test_an_import_waits_for_the_running_one(notebook: tuple[Path, Path], index: Path) -> None:
    notes, _ = notebook
    with import_lock(index) as locked:
        assert locked
        waiting = start(index, "import", notes, "--format", "json")
        time.sleep(1.5)
        assert waiting.poll() is None, waiting.communicate()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert json.loads(out)["unchanged"] == NOTES


def test_not_waiting_says_another_import_is_running(index: Path, tmp_path: Path) -> None:
    folder = tmp_path / "few"
    hostile.make_notebook(folder, 3)
    conn = connect(index)
    waited: list[bool] = []
    pool = ThreadPoolExecutor(1)
    try:
        with import_lock(index):
            with pytest.raises(ImportLocked, match="another import is running"):
                guarded_import(conn, index, [str(folder)], wait=False)
            job = pool.submit(
                lambda: guarded_import(
                    connect(index), index, [str(folder)], on_wait=lambda: waited.append(True)
                )
            )
            _wait_for(lambda: bool(waited), timeout=10)
            time.sleep(0.2)
            assert not job.done()
        assert job.result(timeout=60).added == 3  # it went ahead once the lock was free
    finally:
        pool.shutdown(wait=True)
        conn.close()


def test_doctor_refuses_to_repair_during_an_import(import_in_flight: Path) -> None:
    result = run(import_in_flight, "doctor")
    assert result.returncode == 1
    assert result.stderr.startswith("notes-kb: an import is running on")
    assert len(result.stderr.strip().splitlines()) == 1
