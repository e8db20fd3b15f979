"""Crash safety: an import killed with SIGKILL at any moment leaves the old or the new index."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import hostile
import pytest
from conftest import raw_pragma

from notes_kb.store import health
from notes_kb.store.db import connect

NOTES = 1500
TRIALS = 24  # per run of the test: 8 on a new index, 16 on an existing one
SEED = 20240607

Fingerprint = frozenset[tuple[str, str, str]]


def _import_cmd(db: Path, notes: Path) -> list[str]:
    return [sys.executable, "-m", "notes_kb", "--db", str(db), "import", str(notes)]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTES_KB")}
    env["NO_COLOR"] = "1"
    return env


def _timed_import(db: Path, notes: Path) -> float:
    started = time.monotonic()
    proc = subprocess.run(_import_cmd(db, notes), env=_env(), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic() - started


def _settle(db: Path) -> None:
    """Checkpoint the WAL into the main file so a copy of it is the whole index."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def _copy(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)


def _fingerprint(conn: sqlite3.Connection) -> Fingerprint:
    """Every note with its content hash and tags: old and new states differ in all three."""
    return frozenset(
        (str(p), str(h), str(t))
        for p, h, t in conn.execute(
            "SELECT n.path, n.hash, (SELECT group_concat(tag_lc, ',') FROM "
            "(SELECT tag_lc FROM note_tags WHERE note_id = n.id ORDER BY tag_lc)) FROM notes n"
        )
    )


def _check(db: Path, *, deep: bool = True) -> Fingerprint:
    """The index opens, is sound, and its full-text index and child rows match its notes."""
    conn = connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
        assert health.fts_problems(conn, deep=deep) == []
        assert health.orphans(conn) == {}
        return _fingerprint(conn)
    finally:
        conn.close()


def _mutate(notes: Path, rng: random.Random) -> None:
    """Delete, edit and add notes: the new state differs from the old in every way."""
    files = sorted(notes.rglob("*.md"))
    rng.shuffle(files)
    for path in files[:150]:
        path.unlink()
    for path in files[150:450]:
        path.write_text(path.read_text().replace("tags: [", "tags: [edited, "))
    extra = notes / "extra"
    hostile.make_notebook(extra, 400, seed=99)


def _leftovers(marker: str) -> list[int]:
    """Processes still running whose command line names this trial's index."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry))
    return found


def _await_no_leftovers(marker: str) -> list[int]:
    deadline = time.monotonic() + 3
    while (left := _leftovers(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:  # do not leave strays behind even when the test fails
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


@dataclass
class Setup:
    notes: Path
    base: Path  # the index of the notebook before it changed
    old: Fingerprint
    new: Fingerprint
    t_fresh: float
    t_update: float


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    tmp_path = tmp_path_factory.mktemp("crash")
    notes = tmp_path / "notes"
    hostile.make_notebook(notes, NOTES, seed=1, words=60)
    base = tmp_path / "base.db"
    t_fresh = _timed_import(base, notes)
    _settle(base)
    old = _check(base)
    assert len(old) == NOTES

    _mutate(notes, random.Random(SEED))
    reference = tmp_path / "reference.db"
    _copy(base, reference)
    t_update = _timed_import(reference, notes)
    new = _check(reference)
    assert len(new) == NOTES - 150 + 400
    return Setup(notes, base, old, new, t_fresh, t_update)


def test_sigkill_leaves_the_old_or_the_new_state(setup: Setup, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    notes, base, old, new = setup.notes, setup.base, setup.old, setup.new
    t_fresh, t_update = setup.t_fresh, setup.t_update
    outcomes: dict[str, int] = {"old": 0, "new": 0, "empty": 0}
    fresh = TRIALS // 3
    plans = [("fresh", t_fresh, i, fresh) for i in range(fresh)]
    plans += [("update", t_update, i, TRIALS - fresh) for i in range(TRIALS - fresh)]
    for trial, (mode, duration, index, count) in enumerate(plans):
        db = tmp_path / f"trial-{trial:02d}.db"
        if mode == "update":
            _copy(base, db)
        proc = subprocess.Popen(
            _import_cmd(db, notes), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        # Stratified moments from start-up to the end of the import; the last trial of each
        # kind is not killed at all.
        moment = duration * (index + rng.random()) / (count - 1)
        if index < count - 1:
            time.sleep(moment)
            proc.kill()
        _, stderr = proc.communicate(timeout=120)
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")
        assert not _await_no_leftovers(str(db)), f"trial {trial}: orphaned workers"

        if not db.exists():
            assert mode == "fresh"
            outcomes["empty"] += 1
            continue
        state = _check(db, deep=trial % 3 == 0)
        if state == new:
            outcomes["new"] += 1
        elif mode == "update":
            assert state == old, f"trial {trial} ({mode}, {moment:.2f}s): a mixed state"
            outcomes["old"] += 1
        else:
            assert state == frozenset(), f"trial {trial} ({mode}, {moment:.2f}s): a mixed state"
            outcomes["empty"] += 1
        if index == count // 2:  # a later import finishes the job, and clears what was left
            _timed_import(db, notes)
            assert _check(db) == new
            # however the kill left the journal (a fresh load runs on a rollback journal)
            assert raw_pragma(db, "journal_mode") == "wal"
            assert not list(tmp_path.glob(f"{db.name}.import-*")), "worker shards left behind"
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    assert outcomes["new"] >= 2, outcomes
    assert outcomes["old"] + outcomes["empty"] >= TRIALS // 2, outcomes


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("mode", ["update", "fresh"])
def test_ctrl_c_rolls_back_quietly(setup: Setup, tmp_path: Path, mode: str) -> None:
    """Ctrl-C reaches the whole process group (import and workers): one line, exit 130.

    "fresh" imports into a new index: the bulk load, with worker shards in a scratch folder.
    """
    rng = random.Random(SEED + 1)
    interrupted = 0
    before = setup.old if mode == "update" else frozenset()
    duration = setup.t_update if mode == "update" else setup.t_fresh
    # Aim for the middle of the import; when an interrupt lands after the commit (a busy
    # machine measured the import slower than it runs now), aim earlier the next time.
    delay = duration * 0.5
    for trial in range(12):
        db = tmp_path / f"int-{trial}.db"
        if mode == "update":
            _copy(setup.base, db)
        proc = subprocess.Popen(
            _import_cmd(db, setup.notes),
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, as a shell job has
            # and Ctrl-C as a terminal delivers it, even when this test runs as a background
            # job of a non-interactive shell (which starts its children with SIGINT ignored)
            preexec_fn=_default_sigint,
        )
        time.sleep(delay * (0.6 + 0.8 * rng.random()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        assert not _await_no_leftovers(str(db))
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")
        assert not list(tmp_path.glob(f"{db.name}.import-*")), "scratch files left behind"
        state = _check(db, deep=False) if db.exists() else frozenset()
        if state == setup.new:
            delay = max(delay * 0.7, duration * 0.25)  # it came after the commit
            continue
        assert state == before, f"trial {trial}: a mixed state"
        assert proc.returncode == 130, stderr
        assert stderr.decode() == "notes-kb: interrupted\n"
        interrupted += 1
        if interrupted == 4:
            break
    assert interrupted >= 2
