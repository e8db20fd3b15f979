"""notes_kb.importer: incremental imports, moves, failures, one transaction, link resolution."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import open_db, write_note

from notes_kb import importer, records
from notes_kb.errors import ImportIncomplete, ImportLocked, NotesKbError, WorkerDied
from notes_kb.importer import guarded_import, import_lock, refresh
from notes_kb.model import ImportReport
from notes_kb.parse import parse
from notes_kb.query import parse_query
from notes_kb.store import read, shard, write
from notes_kb.store.querysql import compile_query


@pytest.fixture
def conn(db_path: Path) -> Iterator[sqlite3.Connection]:
    connection = open_db(db_path)
    yield connection
    connection.close()


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the stem of every note the importer parses."""
    calls: list[str] = []
    real = records.parse_bytes

    def spy(data: bytes, stem: str, **kwargs: Any) -> Any:
        calls.append(stem)
        return real(data, stem, **kwargs)

    monkeypatch.setattr(records, "parse_bytes", spy)
    return calls


def run(conn: sqlite3.Connection, db_path: Path, *roots: Path, **kwargs: Any) -> ImportReport:
    kwargs.setdefault("workers", 1)
    return guarded_import(conn, db_path, [str(r) for r in roots], **kwargs)


def counts(report: ImportReport) -> tuple[int, int, int, int, int]:
    return report.added, report.updated, report.removed, report.unchanged, report.moved


def paths(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT path FROM notes ORDER BY path")]


def titles(conn: sqlite3.Connection) -> dict[str, str]:
    return {Path(p).name: t for p, t in conn.execute("SELECT path, title FROM notes")}


def bump_mtime(path: Path, seconds: int = 10) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def query_paths(conn: sqlite3.Connection, query: str) -> list[str]:
    rows = read.find(conn, compile_query(parse_query(query)), sort="path", snippets=False)
    return [Path(r["path"]).name for r in rows]


# ---- counts and incremental imports -----------------------------------------------------------


def test_first_import_adds_every_note(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path
) -> None:
    report = run(conn, db_path, notes_copy)
    assert counts(report) == (25, 0, 0, 0, 0)
    assert report.failed == []
    assert len(paths(conn)) == 25
    assert "added" in str(report) and "25" in str(report)


def test_second_import_parses_nothing(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path, parsed: list[str]
) -> None:
    run(conn, db_path, notes_copy)
    assert len(parsed) == 25
    parsed.clear()
    report = run(conn, db_path, notes_copy)
    assert counts(report) == (0, 0, 0, 25, 0)
    assert parsed == []
    assert not report.changed


def test_touched_but_unchanged_file_is_unchanged(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path, parsed: list[str]
) -> None:
    run(conn, db_path, notes_copy)
    target = notes_copy / "helix-editor.md"
    bump_mtime(target)
    parsed.clear()
    report = run(conn, db_path, notes_copy)
    assert counts(report) == (0, 0, 0, 25, 0)
    assert parsed == []  # the hash matched, so the text was not parsed again
    stored = conn.execute("SELECT mtime_ns FROM notes WHERE path = ?", (str(target),)).fetchone()
    assert stored[0] == target.stat().st_mtime_ns  # and the new stat is remembered


def test_edited_file_is_updated(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path, parsed: list[str]
) -> None:
    run(conn, db_path, notes_copy)
    target = notes_copy / "helix-editor.md"
    before = conn.execute("SELECT id FROM notes WHERE path = ?", (str(target),)).fetchone()[0]
    target.write_text("---\ntitle: Rewritten Helix\n---\nquasar\n", encoding="utf-8")
    bump_mtime(target)
    parsed.clear()
    report = run(conn, db_path, notes_copy)
    assert counts(report) == (0, 1, 0, 24, 0)
    assert parsed == ["helix-editor"]
    assert titles(conn)["helix-editor.md"] == "Rewritten Helix"
    assert (
        conn.execute("SELECT id FROM notes WHERE path = ?", (str(target),)).fetchone()[0] == before
    )
    assert query_paths(conn, "quasar") == ["helix-editor.md"]


def test_same_size_edit_with_same_mtime_is_missed_by_design(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path
) -> None:
    # The stat walk is the contract: a change that keeps size and mtime needs --full.
    root = tmp_path / "kb"
    note = write_note(root, "a.md", "alpha")
    run(conn, db_path, root)
    st = note.stat()
    note.write_text("omega", encoding="utf-8")
    os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert counts(run(conn, db_path, root)) == (0, 0, 0, 1, 0)
    assert counts(run(conn, db_path, root, full=True)) == (0, 1, 0, 0, 0)
    assert query_paths(conn, "omega") == ["a.md"]


def test_deleted_file_is_removed(conn: sqlite3.Connection, db_path: Path, notes_copy: Path) -> None:
    run(conn, db_path, notes_copy)
    (notes_copy / "helix-editor.md").unlink()
    report = run(conn, db_path, notes_copy)
    assert counts(report) == (0, 0, 1, 24, 0)
    assert "helix-editor.md" not in titles(conn)
    assert query_paths(conn, "title:helix") == []


def test_new_file_is_added(conn: sqlite3.Connection, db_path: Path, notes_copy: Path) -> None:
    run(conn, db_path, notes_copy)
    write_note(notes_copy, "sub/new-note.md", "# Brand New\n")
    assert counts(run(conn, db_path, notes_copy)) == (1, 0, 0, 25, 0)
    assert titles(conn)["new-note.md"] == "Brand New"


def test_moved_file_keeps_its_id_and_backlinks(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path
) -> None:
    run(conn, db_path, notes_copy)
    old = notes_copy / "state-of-ml-in-julia.md"
    old_id = conn.execute("SELECT id FROM notes WHERE path = ?", (str(old),)).fetchone()[0]
    backlinks = sorted(b["path"] for b in read.note_detail(conn, old_id)["backlinks"])
    assert len(backlinks) >= 2
    new = notes_copy / "archive" / "state-of-ml-in-julia.md"
    new.parent.mkdir()
    old.rename(new)
    report = run(conn, db_path, notes_copy)
    assert counts(report) == (0, 0, 0, 24, 1)
    assert conn.execute("SELECT path FROM notes WHERE id = ?", (old_id,)).fetchone()[0] == str(new)
    assert sorted(b["path"] for b in read.note_detail(conn, old_id)["backlinks"]) == backlinks


def test_full_reparses_everything_as_updates(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path, parsed: list[str]
) -> None:
    run(conn, db_path, notes_copy)
    ids = dict(conn.execute("SELECT path, id FROM notes").fetchall())
    parsed.clear()
    report = run(conn, db_path, notes_copy, full=True)
    assert counts(report) == (0, 25, 0, 0, 0)
    assert len(parsed) == 25
    assert dict(conn.execute("SELECT path, id FROM notes").fetchall()) == ids


# ---- what gets scanned ------------------------------------------------------------------------


def test_hidden_folders_are_skipped(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path
) -> None:
    root = tmp_path / "vault"
    write_note(root, "visible.md", "v")
    write_note(root, ".git/COMMIT_EDITMSG.md", "g")
    write_note(root, ".obsidian/workspace.md", "o")
    write_note(root, ".trash/old.md", "t")
    report = run(conn, db_path, root)
    assert counts(report) == (1, 0, 0, 0, 0)
    assert [Path(p).name for p in paths(conn)] == ["visible.md"]


def test_symlink_loop_does_not_hang(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path
) -> None:
    root = tmp_path / "kb"
    write_note(root, "a/n.md", "n")
    (root / "a" / "up").symlink_to(root, target_is_directory=True)
    report = run(conn, db_path, root)
    assert report.added == 1


def test_two_roots_are_independent(conn: sqlite3.Connection, db_path: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_note(one, "a.md", "a")
    write_note(two, "b.md", "b")
    run(conn, db_path, one)
    run(conn, db_path, two)
    (one / "a.md").unlink()
    assert counts(run(conn, db_path, two)) == (0, 0, 0, 1, 0)  # one/ is not this import's business
    assert counts(run(conn, db_path, one)) == (0, 0, 1, 0, 0)
    assert [Path(p).name for p in paths(conn)] == ["b.md"]
    assert [s["path"] for s in read.status(conn)["sources"]] == [str(one), str(two)]


# ---- failures ---------------------------------------------------------------------------------


def test_broken_files_are_reported_and_the_rest_indexed(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "kb"
    write_note(root, "good.md", "---\ntitle: Good\n---\nfine")
    write_note(root, "binary.md", b"\x00\x01\x02 not text")
    write_note(root, "bad-yaml.md", "---\ntitle: [unclosed\n---\nstill searchable xylophone")
    write_note(root, "template.md", "---\ndate: {{ .Date }}\n---\n")
    write_note(root, "empty.md", b"")
    write_note(root, "huge.md", "x" * 20_000)
    write_note(root, "late-nul.md", "a" * 9000 + "\x00 tail")
    monkeypatch.setattr(records, "MAX_NOTE_BYTES", 10_000)
    report = run(conn, db_path, root)
    failed = {Path(f.path).name: f.error for f in report.failed}
    assert set(failed) == {"binary.md", "bad-yaml.md", "template.md", "huge.md"}
    assert "NUL" in failed["binary.md"]
    assert "YAML" in failed["bad-yaml.md"]
    assert "larger than" in failed["huge.md"]
    assert all(os.path.isabs(f.path) for f in report.failed)
    indexed = titles(conn)
    assert set(indexed) == {"good.md", "bad-yaml.md", "template.md", "empty.md", "late-nul.md"}
    assert query_paths(conn, "xylophone") == ["bad-yaml.md"]
    error = conn.execute("SELECT error FROM notes WHERE title = 'bad-yaml'").fetchone()[0]
    assert error and "YAML" in error


def test_a_failure_mid_import_changes_nothing(
    conn: sqlite3.Connection, db_path: Path, notes_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(conn, db_path, notes_copy)
    before = conn.execute("SELECT path, title, hash FROM notes ORDER BY path").fetchall()
    tags_before = conn.execute("SELECT count(*) FROM note_tags").fetchone()[0]
    for name in ("helix-editor.md", "git-worktrees.md", "python-packaging.md"):
        (notes_copy / name).write_text(f"# Zyzzyva {name}\n", encoding="utf-8")
        bump_mtime(notes_copy / name)
    write_note(notes_copy, "added-1.md", "# New one\n")
    write_note(notes_copy, "added-2.md", "# New two\n")
    (notes_copy / "pandas-to-polars.md").unlink()

    real = write.write_notes
    batches: list[int] = []

    def fail_after_first_batch(c: sqlite3.Connection, recs: Any) -> None:
        if batches:
            raise RuntimeError("disk on fire")
        batches.append(len(recs))
        real(c, recs)

    monkeypatch.setattr(importer, "BATCH", 2)
    monkeypatch.setattr(write, "write_notes", fail_after_first_batch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(conn, db_path, notes_copy)
    assert batches == [2]  # one batch was written inside the transaction, then rolled back
    assert not conn.in_transaction
    fresh = open_db(db_path)
    try:
        assert (
            fresh.execute("SELECT path, title, hash FROM notes ORDER BY path").fetchall() == before
        )
        assert fresh.execute("SELECT count(*) FROM note_tags").fetchone()[0] == tags_before
        assert query_paths(fresh, "zyzzyva") == []
    finally:
        fresh.close()

    monkeypatch.setattr(write, "write_notes", real)
    assert counts(run(conn, db_path, notes_copy)) == (2, 3, 1, 21, 0)


def test_a_second_import_waits_or_refuses(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path
) -> None:
    root = tmp_path / "kb"
    write_note(root, "a.md", "a")
    with import_lock(db_path) as locked:
        assert locked
        with pytest.raises(ImportLocked):
            run(conn, db_path, root, wait=False)
    assert run(conn, db_path, root, wait=False).added == 1


@pytest.mark.parametrize("bulk", [False, True], ids=["note by note", "bulk load"])
def test_a_link_to_a_path_takes_that_note_before_the_one_with_md_added(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool
) -> None:
    root = tmp_path / "kb"
    write_note(root, "foo.md", "# Foo")
    write_note(root, "foo.md.md", "# Foo twice")
    write_note(root, "bar.md", "# Bar")  # and none at bar.md.md
    write_note(root, "from.md", "[a](foo.md) [b](foo) [c](bar)")
    for i in range(12):  # enough notes for the bulk load
        write_note(root, f"filler-{i:02d}.md", f"# Filler {i}")
    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 10 if bulk else 10**9)
    connection = open_db(db_path)
    try:
        run(connection, db_path, root, workers=2 if bulk else 1)
        rows = connection.execute(
            "SELECT l.target, t.path FROM links l JOIN notes t ON t.id = l.target_id "
            "ORDER BY l.target"
        ).fetchall()
    finally:
        connection.close()
    assert [(target, Path(path).name) for target, path in rows] == [
        ("bar", "bar.md"),
        ("foo", "foo.md"),
        ("foo.md", "foo.md"),
    ]


# ---- links across files -----------------------------------------------------------------------


@pytest.fixture
def linked(conn: sqlite3.Connection, db_path: Path, tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write_note(
        root,
        "hub.md",
        "---\ntitle: Hub\nlinks:\n  - [[by-stem]]\n---\n"
        "[[By Title Note]] [rel](sub/child.md) [up](../hub.md) [[nowhere]] [x](missing.md)",
    )
    write_note(root, "by-stem.md", "# Stem Target\n[[hub]]")
    write_note(root, "titled.md", "---\ntitle: By Title Note\n---\n")
    write_note(root, "sub/child.md", "[parent](../hub.md)")
    run(conn, db_path, root)
    return root


def test_links_resolve_across_folders(conn: sqlite3.Connection, linked: Path) -> None:
    hub = conn.execute("SELECT id FROM notes WHERE title = 'Hub'").fetchone()[0]
    detail = read.note_detail(conn, hub)
    out = {o["target"]: (Path(o["note"]).name if o["note"] else None) for o in detail["outgoing"]}
    assert out == {
        "by-stem": "by-stem.md",
        "By Title Note": "titled.md",
        "sub/child.md": "child.md",
        "../hub.md": None,  # resolves outside the folder: no such note
        "nowhere": None,
        "missing.md": None,
    }
    assert sorted(Path(b["path"]).name for b in detail["backlinks"]) == ["by-stem.md", "child.md"]


def test_links_to_and_linked_by(conn: sqlite3.Connection, linked: Path) -> None:
    assert query_paths(conn, "links-to:hub") == ["by-stem.md", "child.md"]
    assert query_paths(conn, "links-to:titled") == ["hub.md"]
    assert query_paths(conn, "linked-by:hub") == ["by-stem.md", "child.md", "titled.md"]
    assert query_paths(conn, "links-to:nowhere") == []


def test_broken_links_heal_when_the_target_appears(
    conn: sqlite3.Connection, db_path: Path, linked: Path
) -> None:
    write_note(linked, "nowhere.md", "# Now Here\n")
    run(conn, db_path, linked)
    assert query_paths(conn, "links-to:nowhere") == ["hub.md"]
    (linked / "nowhere.md").unlink()
    run(conn, db_path, linked)
    assert query_paths(conn, "links-to:nowhere") == []
    assert ("wiki", "nowhere") in [(b["kind"], b["target"]) for b in read.broken_links(conn)]


# ---- refresh before queries -------------------------------------------------------------------


def test_refresh_picks_up_changes(conn: sqlite3.Connection, db_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(root, "a.md", "a")
    run(conn, db_path, root)
    assert refresh(conn, db_path) is None  # nothing changed: no import at all
    write_note(root, "b.md", "b")
    report = refresh(conn, db_path)
    assert report is not None and report.added == 1
    with import_lock(db_path):
        write_note(root, "c.md", "c")
        assert refresh(conn, db_path) is None  # someone else is importing: use the index as is
    assert len(paths(conn)) == 2


# ---- bulk load into an empty index ------------------------------------------------------------


def _bulk_book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int) -> Path:
    """A plain notebook of `count` notes, big enough for the bulk path (threshold 10)."""
    from tests.hostile import make_notebook

    folder = tmp_path / "book"
    make_notebook(folder, count)
    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 10)
    return folder


def _schema(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
    ).fetchall()


def _contents(connection: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "notes": connection.execute(
            "SELECT id, path, title, tags, authors, lastmod, hash FROM notes ORDER BY path"
        ).fetchall(),
        "tags": connection.execute(
            "SELECT n.path, t.tag FROM note_tags t JOIN notes n ON n.id = t.note_id ORDER BY 1, 2"
        ).fetchall(),
        "links": connection.execute(
            "SELECT n.path, l.kind, l.target, t.path FROM links l JOIN notes n ON n.id = l.note_id "
            "LEFT JOIN notes t ON t.id = l.target_id ORDER BY 1, 2, 3"
        ).fetchall(),
        # a note's links are listed in the order they appear in it
        "link order": connection.execute(
            "SELECT n.path, l.target FROM links l JOIN notes n ON n.id = l.note_id "
            "ORDER BY n.path, l.rowid"
        ).fetchall(),
        "rows": [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("notes", "note_tags", "note_authors", "note_categories", "links")
        ],
        # every term of the full-text index, where it sits in which note
        "full text": _full_text(connection),
    }


def _full_text(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.nkb_terms "
        "USING fts5vocab(main, notes_fts, instance)"
    )
    terms = connection.execute(
        "SELECT n.path, v.term, v.col, v.offset FROM temp.nkb_terms v JOIN notes n ON n.id = v.doc "
        "ORDER BY 1, 2, 3, 4"
    ).fetchall()
    sizes = connection.execute(
        "SELECT n.path, d.sz FROM notes_fts_docsize d JOIN notes n ON n.id = d.id ORDER BY 1"
    ).fetchall()
    assert len(sizes) == connection.execute("SELECT count(*) FROM notes").fetchone()[0]
    return terms + sizes


@pytest.mark.parametrize("workers", [1, 2], ids=["one process", "worker shards"])
def test_bulk_load_gives_the_schema_and_rows_of_a_note_by_note_import(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 150)
    for i in range(0, 150, 7):  # several links each, to check they keep their order
        extra = "".join(
            f" [[note-{(i * 3 + k) % 150:05d}]] [x](https://e{k}.org/{i})" for k in range(5)
        )
        # a note by path, with and without .md; by title; and links to nothing
        extra += f" [p](../d{i % 20:02d}/note-{i:05d}.md) [q](../d01/note-00001)"
        extra += f" [[Note {(i + 2) % 150} {_title_word(folder, (i + 2) % 150)}]] [[nowhere]]"
        with (folder / f"d{i % 20:02d}" / f"note-{i:05d}.md").open("a", encoding="utf-8") as f:
            f.write(f"\nMore:{extra}\n")
    for i in (3, 41, 42, 97):  # notes that cannot be read get no id: the ids after close up
        (folder / f"d{i % 20:02d}" / f"note-{i:05d}.md").write_bytes(b"\x00binary\x00" * 9)
    monkeypatch.setattr(importer, "SHARD_CHUNK", 4)  # many chunks, shared out between workers
    monkeypatch.setattr(shard, "_ROWS_PER_INSERT", 3)  # several rows per INSERT, and the rest
    bulk = open_db(db_path)
    assert query_paths(bulk, "note") == []  # its full-text view taken before the load
    statements = _trace(monkeypatch, bulk)
    run(bulk, db_path, folder, workers=workers)
    assert not _scratch_folders(db_path)
    to_fts = [s for s in statements if "notes_fts(notes_fts" in s]
    if workers == 1:  # rebuilt once from the notes, with a larger buffer
        config = "INSERT INTO notes_fts(notes_fts, rank) VALUES ('hashsize', {})"
        assert to_fts == [
            config.format(write.BULK_FTS_HASHSIZE),
            "INSERT INTO notes_fts(notes_fts) VALUES ('rebuild')",
            config.format(write.FTS_DEFAULT_HASHSIZE),
        ]
    else:  # built by a helper process from the shards and copied in, links pointed on the way
        assert to_fts == []
        assert any(s.startswith("INSERT INTO main.notes_fts_data SELECT") for s in statements)
        assert not any(s.startswith("UPDATE links") for s in statements)
    linked = bulk.execute(
        "SELECT count(*), count(target_id) FROM links WHERE kind IN ('internal', 'wiki')"
    ).fetchone()
    assert linked[0] > linked[1] > 0  # some point at notes, some at nothing
    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 10_000)  # note by note
    other = tmp_path / "other.db"
    single = open_db(other)
    run(single, other, folder)
    try:
        assert _schema(bulk) == _schema(single)
        assert _contents(bulk) == _contents(single)
        assert bulk.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # the larger full-text buffer of the bulk load is not kept for later edits
        hashsize = bulk.execute("SELECT v FROM notes_fts_config WHERE k = 'hashsize'").fetchone()
        assert (hashsize or (write.FTS_DEFAULT_HASHSIZE,)) == (write.FTS_DEFAULT_HASHSIZE,)
        # Raises "database disk image is malformed" when the full-text index disagrees.
        bulk.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
        assert query_paths(bulk, "tag:t3") == query_paths(single, "tag:t3") != []
        # The connection that read the empty full-text index before sees every note now.
        assert query_paths(bulk, "shard") == query_paths(single, "shard") != []
        # The insert trigger is back: a later note is searchable at once, through the same
        # connection, and the full text of the others stays whole.
        write_note(folder, "late.md", "# Zyzzyva arrives late\n")
        late = run(bulk, db_path, folder)
        assert counts(late) == (1, 0, 0, 146, 0)
        # each note's stat data, taken as it was read (the walk into an empty index takes none)
        for path, *stat in bulk.execute("SELECT path, mtime_ns, size, inode FROM notes"):
            st = os.stat(path)
            assert stat == [st.st_mtime_ns, st.st_size, st.st_ino]
        assert query_paths(bulk, "zyzzyva") == ["late.md"]
        assert query_paths(bulk, "shard") == query_paths(single, "shard")
        bulk.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
    finally:
        bulk.close()
        single.close()


@pytest.mark.parametrize("notebook", ["hostile files", "real notebooks"])
def test_a_bulk_load_of_hostile_and_real_notes_matches_a_note_by_note_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpora: Path, notebook: str
) -> None:
    """Every note through the workers' shards and the full-text helper: the same index as
    note by note, the same failures, whatever the files hold."""
    from tests import hostile

    if notebook == "hostile files":
        folder = tmp_path / "hostile"
        hostile.build(folder, big=False)
        roots = [folder]
    else:
        roots = [corpora / "obsidian-kepano-vault", corpora / "zola-rust-blog"]
    try:
        indexes = {}
        failures = {}
        for name, threshold, workers in (("bulk", 10, 2), ("single", 10**9, 1)):
            monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", threshold)
            db_file = tmp_path / f"{name}.db"
            connection = open_db(db_file)
            statements = _trace(monkeypatch)
            report = run(connection, db_file, *roots, workers=workers)
            copied = any(s.startswith("INSERT INTO main.notes_fts_data") for s in statements)
            assert copied == (name == "bulk")  # the bulk load took the shards' way
            indexes[name] = connection
            failures[name] = sorted((f.path, f.error) for f in report.failed)
        bulk, single = indexes["bulk"], indexes["single"]
        assert failures["bulk"] == failures["single"]
        assert _schema(bulk) == _schema(single)
        assert _contents(bulk) == _contents(single)
        assert bulk.execute("SELECT count(*) FROM notes").fetchone()[0] > 20
        bulk.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
        for connection in indexes.values():
            connection.close()
    finally:
        if notebook == "hostile files":
            hostile.cleanup(folder)


def _title_word(folder: Path, i: int) -> str:
    """The word after "Note i" in note i's title (make_notebook draws it at random)."""
    text = (folder / f"d{i % 20:02d}" / f"note-{i:05d}.md").read_text(encoding="utf-8")
    return text.split("\n")[1].split()[-1]


def _trace(monkeypatch: pytest.MonkeyPatch, *connections: sqlite3.Connection) -> list[str]:
    """Every statement run on `connections` and on connections opened from now on (a bulk
    load runs on one of its own)."""
    from notes_kb.store import db

    statements: list[str] = []
    real_connect = db.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened = real_connect(*args, **kwargs)
        opened.set_trace_callback(statements.append)
        return opened

    monkeypatch.setattr(db, "connect", connect)
    for connection in connections:
        connection.set_trace_callback(statements.append)
    return statements


def _scratch_folders(db_path: Path) -> list[str]:
    return sorted(
        p.name for p in db_path.parent.iterdir() if p.name.startswith(db_path.name + ".import-")
    )


def test_shards_are_removed_after_a_failed_load_and_after_a_killed_one(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 40)
    merged: list[int] = []
    real_merge = shard.merge

    def failing_merge(c: sqlite3.Connection, shards: Any, skipped: Any = (), **kw: Any) -> None:
        merged.append(len(shards))
        assert _scratch_folders(db_path)  # the workers wrote their rows there
        raise OSError("No space left on device")

    monkeypatch.setattr(shard, "merge", failing_merge)
    with pytest.raises(OSError, match="No space"):
        run(conn, db_path, folder, workers=2)
    assert merged == [2]
    assert not _scratch_folders(db_path)
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    # what an import killed with SIGKILL leaves behind goes with the next import, bulk or not
    for workers in (2, 1):
        left = db_path.parent / f"{db_path.name}.import-killed"
        left.mkdir()
        (left / "shard-0000.db").write_bytes(b"x" * 100)
        monkeypatch.setattr(shard, "merge", real_merge)
        report = run(conn, db_path, folder, workers=workers)
        assert (report.added, report.failed) == ((40, []) if workers == 2 else (0, []))
        assert not _scratch_folders(db_path)


def test_a_reader_arriving_during_a_bulk_load_waits_for_it_then_reads_every_note(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    folder = _bulk_book(tmp_path, monkeypatch, 30)
    # A cache of a few pages: the load writes to the index file long before it commits.
    monkeypatch.setattr(importer, "IMPORT_CACHE_KIB", 1)
    real_end = write.end_bulk
    at_once: list[str] = []
    seen: list[int] = []

    def count() -> None:  # a `search` started in another terminal, say
        reader = open_db(db_path)
        try:
            seen.append(reader.execute("SELECT count(*) FROM notes").fetchone()[0])
        finally:
            reader.close()

    def end_bulk(c: sqlite3.Connection, indexes: Any, **kwargs: Any) -> None:
        real_end(c, indexes, **kwargs)  # every row written, the transaction still open
        impatient = sqlite3.connect(db_path)
        impatient.execute("PRAGMA busy_timeout = 0")
        try:
            impatient.execute("SELECT count(*) FROM notes").fetchone()
        except sqlite3.OperationalError as exc:
            at_once.append(str(exc))
        finally:
            impatient.close()
        reader.start()

    reader = threading.Thread(target=count)
    monkeypatch.setattr(write, "end_bulk", end_bulk)
    assert run(conn, db_path, folder, workers=2).added == 30
    reader.join(timeout=60)
    assert at_once == ["database is locked"]  # no half-loaded index to read
    assert seen == [30]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_bulk_load_keeps_the_wal_while_another_connection_is_open(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    other = open_db(db_path)  # a `serve` or `watch`: SQLite cannot leave WAL mode under it
    real_end = write.end_bulk
    seen: list[int] = []

    def end_bulk(c: sqlite3.Connection, indexes: Any, **kwargs: Any) -> None:
        real_end(c, indexes, **kwargs)
        assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        other.execute("PRAGMA busy_timeout = 0")  # readers read the old index at once
        seen.append(other.execute("SELECT count(*) FROM notes").fetchone()[0])

    monkeypatch.setattr(write, "end_bulk", end_bulk)
    try:
        assert run(conn, db_path, folder, workers=2).added == 30
        assert seen == [0]
        assert other.execute("SELECT count(*) FROM notes").fetchone() == (30,)
    finally:
        other.close()
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_an_import_puts_back_the_wal_an_interrupted_bulk_load_left(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path
) -> None:
    note = write_note(tmp_path / "book", "one.md", "---\ntitle: One\n---\nbody\n")
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)  # as if
    assert run(conn, db_path, note).added == 1
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert run(conn, db_path, note).unchanged == 1


def test_a_bulk_load_uses_no_more_shards_than_sqlite_can_attach(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 40)
    monkeypatch.setattr(importer, "SHARD_CHUNK", 2)
    monkeypatch.setattr(shard, "capacity", lambda c: 3)
    merged: list[int] = []
    real_merge = shard.merge

    def merge(c: sqlite3.Connection, shards: Any, skipped: Any = (), **kw: Any) -> None:
        merged.append(len(shards))
        real_merge(c, shards, skipped, **kw)

    monkeypatch.setattr(shard, "merge", merge)
    assert run(conn, db_path, folder, workers=5).added == 40
    assert merged == [3]
    assert len(paths(conn)) == 40


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk load", "re-import"])
def test_a_worker_that_dies_ends_the_import_instead_of_hanging_it(
    conn: sqlite3.Connection,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bulk: bool,
) -> None:
    import signal

    folder = _bulk_book(tmp_path, monkeypatch, 40)
    if not bulk:
        run(conn, db_path, folder)
    before = _contents(conn)
    real = records.parse_bytes
    # batches of 4, one in flight per worker: the death comes mid-way, results still due
    monkeypatch.setattr(importer, "SHARD_CHUNK", 4)
    monkeypatch.setattr(importer, "READ_CHUNK", 4)
    monkeypatch.setattr(importer, "_IN_FLIGHT_PER_WORKER", 1)

    def parse_bytes(data: bytes, stem: str, **kwargs: Any) -> Any:
        if stem == "note-00023":
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return real(data, stem, **kwargs)

    monkeypatch.setattr(records, "parse_bytes", parse_bytes)
    with pytest.raises(WorkerDied, match="stopped unexpectedly"):
        run(conn, db_path, folder, workers=2, full=True)
    assert _contents(conn) == before
    assert not _scratch_folders(db_path)
    assert _synchronous(conn) == _NORMAL and not conn.in_transaction


def test_a_running_imports_scratch_folder_is_never_cleared(tmp_path: Path) -> None:
    db_file = str(tmp_path / "index.db")
    running = shard.Scratch(db_file)
    killed = shard.Scratch(db_file)
    os.close(killed._fd)  # what a killed import leaves: its folder and an unheld lock file
    (Path(killed.path) / "shard-0000.db").write_bytes(b"rows")
    bare = tmp_path / "index.db.import-older"  # from before lock files, or a lost one
    bare.mkdir()
    shard.clear_leftovers(db_file)
    name = Path(running.path).name
    assert _scratch_folders(tmp_path / "index.db") == sorted([name, name + ".lock"])
    running.remove()
    assert _scratch_folders(tmp_path / "index.db") == []


def test_a_worker_that_cannot_open_its_shard_says_so_in_one_line(
    conn: sqlite3.Connection,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)

    class FullDisk:
        def __init__(self, path: str) -> None:
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(shard, "Writer", FullDisk)
    with pytest.raises(NotesKbError, match=r"cannot open a scratch file .*disk is full"):
        run(conn, db_path, folder, workers=2)
    assert "Traceback" not in capfd.readouterr().err
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert not _scratch_folders(db_path)


def test_rows_missing_from_the_shards_fail_the_import(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    real_merge = shard.merge

    def lossy_merge(c: sqlite3.Connection, shards: Any, skipped: Any, **kw: Any) -> None:
        for path in shards:  # a row lost from a shard
            raw = sqlite3.connect(path)
            lost = raw.execute("DELETE FROM notes WHERE pos = (SELECT max(pos) FROM notes)")
            raw.commit()
            raw.close()
            if lost.rowcount:
                break
        real_merge(c, shards, skipped, **kw)

    monkeypatch.setattr(shard, "merge", lossy_merge)
    with pytest.raises(ImportIncomplete, match="30 notes were read but 29 reached"):
        run(conn, db_path, folder, workers=2)
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)


def _full_disk(*args: Any) -> None:
    raise sqlite3.OperationalError("database or disk is full")


def _killed(*args: Any) -> None:
    import signal

    os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (_full_disk, ImportIncomplete, r"full-text index: database or disk is full;"),
        (_killed, WorkerDied, "full-text index stopped unexpectedly"),
    ],
    ids=["fails", "dies"],
)
def test_a_full_text_helper_that_fails_or_dies_ends_the_import_in_one_line(
    conn: sqlite3.Connection,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    build: Any,
    error: type[Exception],
    message: str,
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    monkeypatch.setattr(shard, "build_text", build)  # run in the helper process
    with pytest.raises(error, match=message):
        run(conn, db_path, folder, workers=2)
    assert "Traceback" not in capfd.readouterr().err
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert not _scratch_folders(db_path)
    monkeypatch.undo()
    monkeypatch.setattr(importer, "PARALLEL_THRESHOLD", 10)
    assert run(conn, db_path, folder, workers=2).added == 30  # nothing of the failure left
    assert query_paths(conn, "shard") != []
    conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")


@pytest.mark.parametrize("how", ["Ctrl-C", "an error under watch"])
def test_an_import_stopped_while_the_full_text_is_built_stops_the_helper_too(
    conn: sqlite3.Connection,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    import signal
    import time

    folder = _bulk_book(tmp_path, monkeypatch, 30)
    started, finished = tmp_path / "helper.pid", tmp_path / "helper.done"

    def slow_build(*args: Any) -> None:
        started.write_text(str(os.getpid()))
        time.sleep(30)  # long, but not endless: an import that waits for it fails the test
        finished.write_text("done")

    def stopped_merge(*args: Any, **kwargs: Any) -> None:
        deadline = time.monotonic() + 60
        while not started.exists():  # the helper is at work
            assert time.monotonic() < deadline, "the helper never started"
            time.sleep(0.01)
        raise KeyboardInterrupt if how == "Ctrl-C" else RuntimeError("disk on fire")

    if how != "Ctrl-C":  # `watch` turns SIGTERM into a request to stop, children inherit it
        previous = signal.signal(signal.SIGTERM, lambda *a: None)
    monkeypatch.setattr(shard, "build_text", slow_build)
    monkeypatch.setattr(shard, "merge", stopped_merge)
    try:
        with pytest.raises(KeyboardInterrupt if how == "Ctrl-C" else RuntimeError):
            run(conn, db_path, folder, workers=2)
    finally:
        if how != "Ctrl-C":
            signal.signal(signal.SIGTERM, previous)
    assert not finished.exists()  # ended, not waited for
    with pytest.raises(ProcessLookupError):  # and reaped
        os.kill(int(started.read_text()), 0)
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert not _scratch_folders(db_path)


def test_a_ctrl_c_while_the_full_text_helper_starts_ends_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.process
    import signal
    import time

    started = tmp_path / "helper.pid"
    real_start = multiprocessing.process.BaseProcess.start

    def start(self: Any) -> None:
        real_start(self)
        os.kill(os.getpid(), signal.SIGINT)  # held back until the fork is done

    def work(path: Path) -> None:
        path.write_text(str(os.getpid()))
        time.sleep(30)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    with pytest.raises(KeyboardInterrupt), importer._aside(work, started):
        pytest.fail("the Ctrl-C arrives before the block")
    assert multiprocessing.active_children() == []  # the helper ended and reaped


def test_an_index_reached_through_a_link_shares_the_import_lock(tmp_path: Path) -> None:
    target = tmp_path / "real" / "index.db"
    target.parent.mkdir()
    link = tmp_path / "index-link.db"
    link.symlink_to(target)
    with import_lock(target) as held:
        assert held
        with import_lock(link, wait=False) as second:
            assert not second


def test_a_failed_bulk_load_keeps_every_index(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    before = _schema(conn)

    def fail(c: sqlite3.Connection, indexes: Any, **kwargs: Any) -> None:
        assert indexes  # the secondary indexes were dropped inside the transaction
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write, "end_bulk", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(conn, db_path, folder)
    assert _schema(conn) == before
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)


def _synchronous(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA synchronous").fetchone()[0])


def _import_steps(
    connection: sqlite3.Connection, db_path: Path, folder: Path
) -> tuple[ImportReport, list[str]]:
    """An import's report, and its durability and transaction statements in order."""
    with pytest.MonkeyPatch.context() as patch:
        statements = _trace(patch, connection)
        try:
            report = run(connection, db_path, folder, workers=2)
        finally:
            connection.set_trace_callback(None)
    steps = ("PRAGMA synchronous", "PRAGMA journal_mode =", "BEGIN", "COMMIT", "ROLLBACK")
    return report, [s for s in statements if s.startswith(steps)]


_NORMAL = 1


def test_a_bulk_load_commits_without_waiting_for_the_disk_then_is_durable_again(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    _report, order = _import_steps(conn, db_path, folder)
    assert order == [
        "PRAGMA journal_mode = DELETE",  # on the caller's connection, the only one open
        "PRAGMA synchronous = OFF",  # then on the bulk load's own connection, closed after
        "BEGIN IMMEDIATE",
        "COMMIT",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA synchronous = OFF",  # the caller's again: back to WAL without a flush
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
    ]
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (30,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert _synchronous(conn) == _NORMAL


def test_an_import_into_an_index_with_notes_is_always_durable(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    run(conn, db_path, sorted(folder.rglob("*.md"))[0])
    report, order = _import_steps(conn, db_path, folder)
    assert report.added == 29
    assert order == ["BEGIN IMMEDIATE", "COMMIT"]
    assert _synchronous(conn) == _NORMAL


def test_a_failed_bulk_load_leaves_the_connection_durable(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)

    def fail(c: sqlite3.Connection, indexes: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write, "end_bulk", fail)
    statements = _trace(monkeypatch)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run(conn, db_path, folder, workers=2)
    order = [s for s in statements if s.startswith(("PRAGMA synchronous", "BEGIN", "ROLLBACK"))]
    assert order == [
        "PRAGMA synchronous = OFF",
        "BEGIN IMMEDIATE",
        "ROLLBACK",
        "PRAGMA synchronous = NORMAL",
    ]
    assert not conn.in_transaction
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_notes_or_history_that_arrive_before_the_bulk_load_starts_make_it_durable(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    # Rebuildable when planned (twice: for the journal, then the transaction), not once the
    # lock is held.
    answers = iter([True, True, False])
    monkeypatch.setattr(importer, "_rebuildable", lambda c: next(answers))
    report, order = _import_steps(conn, db_path, folder)
    assert report.added == 30
    assert order == [
        "PRAGMA journal_mode = DELETE",
        "PRAGMA synchronous = OFF",
        "BEGIN IMMEDIATE",
        "ROLLBACK",
        "PRAGMA synchronous = NORMAL",
        "BEGIN IMMEDIATE",
        "COMMIT",  # durable: a rollback journal synced at the commit
        "PRAGMA synchronous = OFF",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
    ]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def _shard_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    raw = sqlite3.connect(path)
    try:
        return {
            table: raw.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()
            for table in ("notes", "note_tags", "note_authors", "note_categories", "links")
        }
    finally:
        raw.close()


@pytest.mark.parametrize("variable_limit", [None, 40, 7])
def test_a_shard_holds_every_row_whatever_the_rows_per_statement(
    tmp_path: Path, variable_limit: int | None
) -> None:
    notes = []
    for i in range(150):
        text = (
            f"---\ntitle: N{i}\nauthor: [A{i % 3}, B]\ncategories: c{i % 2}\n"
            f"tags: [t{i % 5}, x, y]\n---\n#in{i} [[n{i + 1}]] https://e.org/{i} [l](../x{i}.md)\n"
        )
        note = parse(text, f"n{i}")
        notes.append((1000 + i, records.to_record(note, f"/b/n{i}.md", "/b", (i, i, i), "h")))
    expected = tmp_path / "one-by-one.db"
    shard.create(str(expected))
    writer = shard.Writer(str(expected), variable_limit=1)  # a row per statement: the reference
    for record in notes:
        writer.write([record])
    actual = tmp_path / "batched.db"
    shard.create(str(actual))
    writer = shard.Writer(str(actual), variable_limit=variable_limit)
    writer.write(notes[:100])
    writer.write(notes[100:])
    rows = _shard_rows(actual)
    assert rows == _shard_rows(expected)
    assert len(rows["notes"]) == 150 and len(rows["links"]) == 450 and len(rows["note_tags"]) == 600


def _note_start(item: tuple[str, int]) -> int:
    """In a worker: record that `item` started, then give it back."""
    log, number = item
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"{number}\n")
    return number


def test_workers_run_only_a_few_batches_ahead_of_the_importing_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(importer, "_IN_FLIGHT_PER_WORKER", 1)
    log = tmp_path / "started.txt"
    log.touch()
    items = [(str(log), n) for n in range(40)]
    results = importer._parallel(_note_start, items, 2, chunksize=2)
    seen = []
    try:
        for number in results:
            seen.append(number)
            time.sleep(0.01)  # a slow consumer: the workers must wait for it
            started = len(log.read_text(encoding="utf-8").split())
            # batches of 2: the one taken, and at most 1 + 2 (one per worker) submitted
            assert started <= 2 * (len(seen) // 2 + 1 + 2), (started, len(seen))
    finally:
        results.close()
    assert seen == list(range(40))


def test_an_index_with_review_history_is_bulk_loaded_durably(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notes_kb.store import history

    folder = _bulk_book(tmp_path, monkeypatch, 30)
    conn.execute("BEGIN")
    history.record(conn, str(folder / "gone.md"), "Gone", "snooze", "7d")
    conn.execute("COMMIT")
    report, order = _import_steps(conn, db_path, folder)
    assert report.added == 30
    # no import could bring the history back
    assert order == ["BEGIN IMMEDIATE", "COMMIT"]
    assert history.entries(conn)[0]["action"] == "snooze"


def test_a_bulk_load_clears_full_text_entries_an_earlier_index_left_behind(
    conn: sqlite3.Connection, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notes_kb.store import health
    from notes_kb.store.migrations import TRIGGERS

    old = tmp_path / "old"
    for i in range(12):
        write_note(old, f"n{i:02d}.md", f"# N{i}\nzebra text\n")
    run(conn, db_path, old)
    # A damaged index: the notes are gone, their full-text entries are not.
    conn.execute("DROP TRIGGER notes_ad")
    conn.execute("DELETE FROM notes")
    conn.execute("DELETE FROM links")
    conn.execute(TRIGGERS.split("END;")[1] + "END;")
    assert health.fts_problems(conn)
    folder = _bulk_book(tmp_path, monkeypatch, 30)
    run(conn, db_path, folder, workers=2)
    assert query_paths(conn, "zebra") == []
    assert not health.fts_problems(conn)
    conn.execute("INSERT INTO notes_fts(notes_fts) VALUES ('integrity-check')")
