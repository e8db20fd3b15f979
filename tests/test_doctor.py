"""`doctor`: finds what is wrong with an index, repairs what it can, says what it did."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from notes_kb import doctor
from notes_kb.store import health
from notes_kb.store.db import connect

Invoke = Callable[..., Any]


@pytest.fixture
def index(notes_copy: Path, db_path: Path, cli: Invoke) -> Path:
    (notes_copy / "broken-yaml.md").write_text("---\ntitle: [unclosed\n---\n# Broken\n")
    (notes_copy / "bad-date.md").write_text("---\ntitle: Bad date\nlastmod: TBD\n---\nx\n")
    result = cli("import", notes_copy)
    assert result.exit_code == 0, result.output
    return db_path


@pytest.fixture
def raw(index: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(index, isolation_level=None)
    yield conn
    conn.close()


def _doctor(cli: Invoke, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("doctor", "--format", "json", *args)
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in report["checks"]}


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {name: c["status"] for name, c in _checks(report).items()}


def _fts_ok(index: Path) -> bool:
    conn = connect(index)
    try:
        return health.fts_problems(conn) == []
    finally:
        conn.close()


def test_healthy_index(index: Path, cli: Invoke) -> None:
    code, report = _doctor(cli)
    assert code == 0
    assert report["healthy"] is True
    assert report["repaired"] == []
    statuses = _statuses(report)
    for name in ("database file", "full-text index", "orphaned rows", "vanished files"):
        assert statuses[name] == "ok", report
    assert statuses["whoosh index"] in ("ok", "skipped")


def test_table_output_says_what_was_found(index: Path, cli: Invoke) -> None:
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"index: {index}"
    assert any(line.startswith("ok        full-text index") for line in lines)
    assert lines[-1] == "healthy"


def test_notes_with_frontmatter_problems_are_listed(index: Path, cli: Invoke) -> None:
    code, report = _doctor(cli)
    assert code == 0  # a note's own problem is not an index problem
    problems = _checks(report)["note problems"]
    assert problems["status"] == "info"
    details = "\n".join(problems["details"])
    assert f"{index.parent / 'notes' / 'broken-yaml.md'}: invalid YAML frontmatter" in details
    assert f"{index.parent / 'notes' / 'bad-date.md'}: lastmod: not a date: 'TBD'" in details
    text = cli("doctor").stdout
    assert "broken-yaml.md: invalid YAML frontmatter" in text


def _drop_trigger(raw: sqlite3.Connection, name: str) -> str:
    sql = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    raw.execute(f"DROP TRIGGER {name}")
    return str(sql)


@pytest.mark.parametrize("damage", ["stale", "missing", "extra"])
def test_full_text_index_out_of_step_is_rebuilt(
    index: Path, raw: sqlite3.Connection, cli: Invoke, damage: str
) -> None:
    note_id, title = raw.execute("SELECT id, title FROM notes ORDER BY id LIMIT 1").fetchone()
    if damage == "stale":  # the note changed behind the full-text index's back
        trigger = _drop_trigger(raw, "notes_au")
        raw.execute("UPDATE notes SET body = 'zanzibar quokka' WHERE id = ?", (note_id,))
        raw.execute(trigger)
    elif damage == "missing":
        raw.execute(
            "INSERT INTO notes_fts(notes_fts, rowid, title, body, tags, authors) "
            "SELECT 'delete', id, title, body, tags, authors FROM notes WHERE id = ?",
            (note_id,),
        )
    else:
        raw.execute(
            "INSERT INTO notes_fts(rowid, title, body, tags, authors) "
            "VALUES (99999, 'ghost', 'ghost body', '[]', '[]')"
        )
    # FTS5's own integrity-check does not notice (before SQLite 3.44); the doctor does.
    raw.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
    assert not _fts_ok(index)

    code, report = _doctor(cli, "--check")
    assert code == 1
    assert _checks(report)["full-text index"]["status"] == "problem"
    assert report["healthy"] is False
    assert not _fts_ok(index)  # --check changed nothing

    code, report = _doctor(cli)
    assert code == 0, report
    fts = _checks(report)["full-text index"]
    assert fts["status"] == "repaired"
    assert fts["summary"].endswith("rebuilt")
    assert report["repaired"] == ["full-text index"]
    assert _fts_ok(index)
    if damage == "stale":
        found = cli("search", "quokka", "--format", "json", "--no-refresh")
        assert [h["title"] for h in json.loads(found.stdout)] == [title]
    if damage == "extra":
        found = cli("search", "ghost", "--format", "json", "--no-refresh")
        assert json.loads(found.stdout) == []


def test_damaged_full_text_index_is_rebuilt(
    index: Path, raw: sqlite3.Connection, cli: Invoke
) -> None:
    raw.execute("DELETE FROM notes_fts_data WHERE id > 10")
    code, report = _doctor(cli)
    assert code == 0, report
    assert _checks(report)["full-text index"]["status"] == "repaired"
    assert "damaged" in _checks(report)["full-text index"]["summary"]
    assert _fts_ok(index)
    found = cli("search", "rust", "--format", "json", "--no-refresh")
    assert found.exit_code == 0 and json.loads(found.stdout)


def test_orphaned_rows_are_removed(index: Path, raw: sqlite3.Connection, cli: Invoke) -> None:
    raw.execute("INSERT INTO note_tags (note_id, tag, tag_lc) VALUES (9999, 'Ghost', 'ghost')")
    raw.execute("INSERT INTO note_authors (note_id, author, author_lc) VALUES (9999, 'X', 'x')")
    raw.execute(
        "INSERT INTO links (note_id, kind, target, resolved, domain, text, origin) "
        "VALUES (9999, 'url', 'https://ghost.example', '', 'ghost.example', '', 'body')"
    )
    raw.execute("UPDATE links SET target_id = 8888 WHERE rowid = (SELECT min(rowid) FROM links)")
    assert "Ghost" in cli("tags", "--no-refresh").stdout  # the orphan shows up in listings

    code, report = _doctor(cli)
    assert code == 0, report
    orphans = _checks(report)["orphaned rows"]
    assert orphans["status"] == "repaired"
    assert sorted(orphans["details"]) == [
        "link targets: 1",
        "links: 1",
        "note_authors: 1",
        "note_tags: 1",
    ]
    assert "Ghost" not in cli("tags", "--no-refresh").stdout
    assert "ghost.example" not in cli("links", "--no-refresh").stdout
    conn = connect(index)
    assert health.orphans(conn) == {}
    conn.close()


def test_notes_whose_file_vanished_are_removed(index: Path, notes_copy: Path, cli: Invoke) -> None:
    gone = notes_copy / "learning-rust-ownership.md"
    gone.unlink()
    code, report = _doctor(cli, "--check")
    assert code == 1
    assert _checks(report)["vanished files"]["details"] == [f"{gone}: file not found"]
    assert str(gone) in cli("list", "--format", "paths", "--no-refresh").stdout

    code, report = _doctor(cli)
    assert code == 0
    vanished = _checks(report)["vanished files"]
    assert vanished["status"] == "repaired"
    assert vanished["details"] == [f"{gone}: file not found"]
    assert str(gone) not in cli("list", "--format", "paths", "--no-refresh").stdout
    # Links to the removed note are now unresolved, and nothing points at a missing row.
    broken = cli("links", "--broken", "--format", "json", "--no-refresh")
    assert "learning-rust-ownership" in broken.stdout
    conn = connect(index)
    assert health.orphans(conn) == {}
    assert health.fts_problems(conn) == []
    counts = dict(conn.execute("SELECT path, notes FROM sources"))
    assert counts[str(notes_copy)] == conn.execute("SELECT count(*) FROM notes").fetchone()[0]
    conn.close()


def test_a_missing_source_folder_keeps_its_notes(
    index: Path, notes_copy: Path, cli: Invoke
) -> None:
    moved = notes_copy.with_name("unplugged")
    shutil.move(notes_copy, moved)
    try:
        before = cli("list", "--format", "paths", "--no-refresh").stdout
        code, report = _doctor(cli)
        assert code == 0
        vanished = _checks(report)["vanished files"]
        assert vanished["status"] == "info"
        assert vanished["details"][0].startswith(f"{notes_copy}: source folder not found")
        assert cli("list", "--format", "paths", "--no-refresh").stdout == before
    finally:
        shutil.move(moved, notes_copy)


def _break_an_index(index: Path) -> None:
    """Entries written with a different lower(): idx_notes_title_lc no longer matches."""
    conn = sqlite3.connect(index, isolation_level=None)
    conn.create_function("lower", 1, lambda s: f"zz{s}", deterministic=True)
    conn.execute(
        "INSERT INTO notes (path, source, stem, title, body) "
        "VALUES ('/nowhere/x.md', '', 'x', 'Bad Index', 'b')"
    )
    conn.close()


def test_an_index_out_of_step_with_its_table_is_reindexed(index: Path, cli: Invoke) -> None:
    _break_an_index(index)
    code, report = _doctor(cli, "--check")
    assert code == 1
    database = _checks(report)["database file"]
    assert database["status"] == "problem"
    assert any("missing from index idx_notes_title_lc" in d for d in database["details"])

    code, report = _doctor(cli)
    assert code == 0, report
    database = _checks(report)["database file"]
    assert database["status"] == "repaired"
    assert database["summary"].endswith("rebuilt the indexes")
    conn = connect(index)
    assert health.integrity(conn) == []
    conn.close()


def test_a_damaged_file_is_reported_as_unrepairable(tmp_path: Path, cli: Invoke) -> None:
    import hostile

    notes = tmp_path / "many"
    hostile.make_notebook(notes, 300, words=200)
    db = tmp_path / "damaged.db"
    assert cli("import", notes, db=db).exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    with open(db, "r+b") as fh:  # scribble over the middle fifth of the file
        for number in range(pages * 2 // 5, pages * 3 // 5):
            fh.seek(number * page)
            fh.write(b"\xa5" * page)

    result = cli("doctor", db=db)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "failed    database file" in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last == "the index cannot be repaired: delete it and run `notes-kb import FOLDER` again"


def test_no_index_yet(tmp_path: Path, cli: Invoke) -> None:
    result = cli("doctor", db=tmp_path / "none.db")
    assert result.exit_code == 1
    assert result.stderr.startswith("notes-kb: no index at")
    assert not (tmp_path / "none.db").exists()


def test_repairs_bump_the_generation(index: Path, raw: sqlite3.Connection, cli: Invoke) -> None:
    def generation() -> str | None:
        row = raw.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
        return None if row is None else str(row[0])

    before = generation()
    _doctor(cli)
    assert generation() == before  # nothing repaired, nothing changed
    raw.execute("INSERT INTO note_tags (note_id, tag, tag_lc) VALUES (9999, 'g', 'g')")
    _doctor(cli)
    assert generation() != before


def test_several_problems_at_once(
    index: Path, raw: sqlite3.Connection, notes_copy: Path, cli: Invoke
) -> None:
    raw.execute("INSERT INTO note_tags (note_id, tag, tag_lc) VALUES (9999, 'g', 'g')")
    raw.execute(
        "INSERT INTO notes_fts(rowid, title, body, tags, authors) VALUES (424242, 'a', 'b', '', '')"
    )
    (notes_copy / "helix-editor.md").unlink()
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "healthy after repairs (full-text index, orphaned rows, vanished files)"
    )
    code, report = _doctor(cli)
    assert code == 0
    assert report["repaired"] == []


# -- the search-engine hook ------------------------------------------------------------------


def test_engine_check_results_are_reported(
    index: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Path, bool]] = []

    def fake_check(db: Path, repair: bool) -> list[str]:
        calls.append((db, repair))
        return ["3 notes missing from the Whoosh index"]

    monkeypatch.setattr(doctor, "find_engine_check", lambda: fake_check)
    code, report = _doctor(cli)
    assert code == 0
    engine = _checks(report)["whoosh index"]
    assert engine["status"] == "repaired"
    assert engine["details"] == ["3 notes missing from the Whoosh index"]
    code, report = _doctor(cli, "--check")
    assert code == 1
    assert calls == [(index, True), (index, False)]


def test_a_crashing_engine_check_is_a_failure_not_a_traceback(
    index: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: Path, repair: bool) -> list[str]:
        raise OSError("whoosh folder unreadable")

    monkeypatch.setattr(doctor, "find_engine_check", lambda: broken)
    code, report = _doctor(cli)
    assert code == 1
    engine = _checks(report)["whoosh index"]
    assert engine["status"] == "failed"
    assert "whoosh folder unreadable" in engine["summary"]
