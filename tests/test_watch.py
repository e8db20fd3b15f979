"""`notes-kb watch`: file changes reach the index quickly; Ctrl-C and SIGTERM end it cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import Invoke, write_note

from notes_kb.watch import Relevance, Summary, distinct_roots

NEW_NOTE_DEADLINE = 1.0  # seconds: a new note is searchable within this
DEADLINE = 10.0  # seconds: generous, for everything else on a busy machine


@dataclass
class Watch:
    proc: subprocess.Popen[str]
    db: Path
    lines: list[str] = field(default_factory=list)

    def stderr(self) -> str:
        return "\n".join(self.lines)

    def paths(self) -> set[str]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return {p for (p,) in conn.execute("SELECT path FROM notes")}
        finally:
            conn.close()

    def title(self, path: Path) -> str | None:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT title FROM notes WHERE path = ?", (str(path),)).fetchone()
            return row[0] if row else None
        finally:
            conn.close()


def wait_for(check: Callable[[], bool], deadline: float, what: str) -> float:
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started > deadline:
            raise AssertionError(f"not within {deadline}s: {what}")
        time.sleep(0.02)


def search(db: Path, *words: str) -> list[str]:
    argv = [sys.executable, "-m", "notes_kb", "--db", str(db), "search", "--no-refresh"]
    proc = subprocess.run(
        [*argv, "-f", "paths", *words],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def start_watch(db: Path, *args: str) -> Watch:
    proc = subprocess.Popen(
        [sys.executable, "-m", "notes_kb", "--db", str(db), "watch", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watch = Watch(proc, db)
    assert proc.stderr is not None
    stream = proc.stderr
    threading.Thread(target=lambda: watch.lines.extend(stream), daemon=True).start()
    try:
        wait_for(lambda: "watching" in watch.stderr(), DEADLINE, "watch starts")
    except AssertionError:
        proc.kill()
        raise
    return watch


@pytest.fixture
def watching(tmp_path: Path, db_path: Path) -> Iterator[tuple[Watch, Path]]:
    folder = tmp_path / "nb"
    write_note(folder, "first.md", "---\ntitle: First note\ntags: [seed]\n---\nThe seed text.\n")
    watch = start_watch(db_path, str(folder))
    try:
        yield watch, folder
    finally:
        if watch.proc.poll() is None:
            watch.proc.kill()
            watch.proc.wait(timeout=10)


def stop(watch: Watch, sig: signal.Signals) -> int:
    watch.proc.send_signal(sig)
    code = watch.proc.wait(timeout=DEADLINE)
    time.sleep(0.1)  # let the reader thread take the last lines
    return code


def test_create_modify_move_delete_reach_the_index(watching: tuple[Watch, Path]) -> None:
    watch, folder = watching
    first = folder / "first.md"
    assert watch.paths() == {str(first)}

    new = write_note(folder, "fresh.md", "---\ntitle: Quixotic platypus\n---\nbody\n")
    took = wait_for(lambda: str(new) in watch.paths(), DEADLINE, "a created note is indexed")
    assert took < NEW_NOTE_DEADLINE, f"new note searchable after {took:.2f}s"
    assert search(watch.db, "quixotic") == [str(new)]

    new.write_text("---\ntitle: Quixotic wombat\n---\nbody\n", encoding="utf-8")
    wait_for(lambda: watch.title(new) == "Quixotic wombat", DEADLINE, "a change is indexed")
    assert search(watch.db, "wombat") == [str(new)]
    assert search(watch.db, "platypus") == []

    moved = folder / "sub" / "renamed.md"
    moved.parent.mkdir()
    new.rename(moved)
    wait_for(
        lambda: str(moved) in watch.paths() and str(new) not in watch.paths(),
        DEADLINE,
        "a move is indexed",
    )
    assert search(watch.db, "wombat") == [str(moved)]

    moved.unlink()
    wait_for(lambda: str(moved) not in watch.paths(), DEADLINE, "a deletion is indexed")
    assert search(watch.db, "wombat") == []

    write_note(folder, "gone/a.md", "---\ntitle: In a folder\n---\n")
    wait_for(lambda: str(folder / "gone" / "a.md") in watch.paths(), DEADLINE, "folder note")
    shutil.rmtree(folder / "gone")
    wait_for(lambda: watch.paths() == {str(first)}, DEADLINE, "a deleted folder is indexed")

    assert stop(watch, signal.SIGINT) == 0, watch.stderr()
    err = watch.stderr()
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("watched 1 folder for "), err
    assert "added" in last and "removed" in last


def test_editor_litter_and_hidden_files_are_ignored(watching: tuple[Watch, Path]) -> None:
    watch, folder = watching
    for name in (".hidden.md", "notes.md.swp", "notes.md~", "4913", ".git/x.md"):
        write_note(folder, name, "---\ntitle: Litter\n---\n")
    time.sleep(0.6)
    assert watch.paths() == {str(folder / "first.md")}
    assert stop(watch, signal.SIGINT) == 0
    assert "0 imports" in watch.stderr().strip().splitlines()[-1]


def test_sigterm_ends_it_cleanly(watching: tuple[Watch, Path]) -> None:
    watch, _folder = watching
    assert stop(watch, signal.SIGTERM) == 0, watch.stderr()
    assert "Traceback" not in watch.stderr()
    assert watch.stderr().strip().splitlines()[-1].startswith("watched 1 folder")


def test_without_paths_it_watches_the_imported_sources(
    cli: Invoke, notes_copy: Path, db_path: Path
) -> None:
    assert cli("import", notes_copy).exit_code == 0
    watch = start_watch(db_path)
    try:
        note = write_note(notes_copy, "late.md", "---\ntitle: Late arrival\n---\n")
        wait_for(lambda: str(note) in watch.paths(), DEADLINE, "a note in the source")
        assert len(watch.paths()) == 26
    finally:
        code = stop(watch, signal.SIGINT)
    assert code == 0, watch.stderr()
    assert "watching notes" in watch.stderr() or f"watching {notes_copy}" in watch.stderr()


def test_nothing_to_watch_is_a_usage_error(cli: Invoke) -> None:
    result = cli("watch")
    assert result.exit_code == 2
    assert "nothing to watch" in result.stderr


def test_relevance() -> None:
    root = os.path.abspath("/nb")
    rel = Relevance([root], exclude=["archive", "*.draft.md"])
    assert rel.check(f"{root}/a.md", False, "created") == root
    assert rel.check(f"{root}/sub/a.markdown", False, "modified") == root
    assert rel.check(f"{root}/sub", True, "deleted") == root
    assert rel.check(f"{root}/sub", True, "modified") is None
    assert rel.check(f"{root}/a.txt", False, "created") is None
    assert rel.check(f"{root}/.a.md", False, "created") is None
    assert rel.check(f"{root}/.obsidian/a.md", False, "created") is None
    assert rel.check(f"{root}/archive/a.md", False, "created") is None
    assert rel.check(f"{root}/x.draft.md", False, "created") is None
    assert rel.check("/elsewhere/a.md", False, "created") is None


def test_distinct_roots_drops_nested_and_repeated_roots() -> None:
    assert distinct_roots(["/a/b", "/a", "/a/", "/ab", "/c/d"]) == ["/a", "/ab", "/c/d"]


def test_summary_line() -> None:
    summary = Summary(["/a", "/b"], imports=3, added=2, updated=1, removed=1, seconds=75)
    assert str(summary) == "watched 2 folders for 1m 15s: 3 imports, 2 added, 1 updated, 1 removed"
