"""notes_kb.store on a fresh database: schema, migrations, writes, link resolution, reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from notes_kb.errors import AmbiguousNote, IndexError_, NoteNotFound, SchemaTooNew
from notes_kb.parse import parse
from notes_kb.records import file_hash, to_record
from notes_kb.store import db as store_db
from notes_kb.store import migrations, read, write

ROOT = "/kb"


def record(name: str, text: str, folder: str = ROOT) -> dict[str, Any]:
    path = f"{folder}/{name}"
    stem = name.rsplit("/", 1)[-1].removesuffix(".md")
    data = text.encode()
    return to_record(parse(text, stem), path, ROOT, (1, len(data), 1), file_hash(data))


@pytest.fixture
def conn(fresh_index: Path) -> sqlite3.Connection:
    connection = read.prepare(store_db.connect(fresh_index))
    yield connection  # type: ignore[misc]
    connection.close()


def put(conn: sqlite3.Connection, *records: dict[str, Any]) -> None:
    conn.execute("BEGIN")
    write.write_notes(conn, list(records))
    write.resolve_links(conn)
    conn.execute("COMMIT")


def note_id(conn: sqlite3.Connection, name: str) -> int:
    return int(
        conn.execute("SELECT id FROM notes WHERE path = ?", (f"{ROOT}/{name}",)).fetchone()[0]
    )


def fts(conn: sqlite3.Connection, query: str) -> list[str]:
    rows = conn.execute(
        "SELECT n.path FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts MATCH ? "
        "ORDER BY n.path",
        (query,),
    )
    return [row[0].rsplit("/", 1)[-1] for row in rows]


# ---- schema and migrations --------------------------------------------------------------------


def test_fresh_index_has_the_schema(conn: sqlite3.Connection) -> None:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    for table in (
        "notes",
        "note_tags",
        "note_authors",
        "note_categories",
        "links",
        "sources",
        "state",
        "notes_fts",
    ):
        assert table in names
    assert {"notes_ai", "notes_ad", "notes_au"} <= names
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_db.latest()
    assert store_db.latest() == len(migrations.MIGRATIONS) >= 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_connect_again_does_not_migrate_twice(
    fresh_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def spy(conn: sqlite3.Connection) -> None:
        calls.append("migrated")

    monkeypatch.setattr(migrations, "MIGRATIONS", [spy] * store_db.latest())
    again = store_db.connect(fresh_index)
    assert calls == []
    assert again.execute("PRAGMA user_version").fetchone()[0] == store_db.latest()
    again.close()


def test_connect_creates_a_fresh_index(db_path: Path) -> None:
    conn = store_db.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store_db.latest()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_missing_index_without_create(tmp_path: Path) -> None:
    with pytest.raises(IndexError_, match="import"):
        store_db.connect(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(IndexError_, match="not a notes-kb index"):
        store_db.connect(path)


def test_an_index_locked_by_another_process_is_busy_not_broken(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_db.connect(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_MS", 50)
    try:
        with pytest.raises(IndexError_, match=r"busy .*try again") as info:
            store_db.connect(db_path)
        assert "delete it" not in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    store_db.connect(db_path).close()


def test_an_index_from_a_newer_version_is_refused(db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {store_db.latest() + 1}")
    raw.close()
    with pytest.raises(SchemaTooNew, match="newer"):
        store_db.connect(db_path)


def test_failed_migration_leaves_nothing_behind(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        conn.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, broken])
    with pytest.raises(IndexError_):
        store_db.connect(db_path)
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 0
    assert raw.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    raw.close()


# ---- writes -----------------------------------------------------------------------------------


def test_write_indexes_fields_children_and_full_text(conn: sqlite3.Connection) -> None:
    put(
        conn,
        record(
            "a.md",
            "---\ntitle: Alpha Note\nauthor: Ann\ntags: [x, Y]\n"
            "categories: [c]\n---\nbody about zebras https://z.example/\n",
        ),
    )
    row = conn.execute("SELECT title, tags, authors, fm_format FROM notes").fetchone()
    assert row == ("Alpha Note", '["x", "Y"]', '["Ann"]', "yaml")
    assert conn.execute("SELECT tag, tag_lc FROM note_tags ORDER BY tag").fetchall() == [
        ("Y", "y"),
        ("x", "x"),
    ]
    assert conn.execute("SELECT author_lc FROM note_authors").fetchall() == [("ann",)]
    assert conn.execute("SELECT category FROM note_categories").fetchall() == [("c",)]
    assert conn.execute("SELECT kind, target, domain FROM links").fetchall() == [
        ("url", "https://z.example/", "z.example"),
    ]
    assert fts(conn, "zebra") == ["a.md"]  # porter stemming
    assert fts(conn, "title:alpha") == ["a.md"]
    assert fts(conn, "tags:y") == ["a.md"]
    assert fts(conn, "authors:ann") == ["a.md"]


def test_rewrite_replaces_children_and_full_text(conn: sqlite3.Connection) -> None:
    put(conn, record("a.md", "---\ntags: [old]\n---\nancient words [[b]]\n"))
    first_id = note_id(conn, "a.md")
    put(conn, record("a.md", "---\ntags: [new]\n---\nmodern words\n"))
    assert note_id(conn, "a.md") == first_id
    assert conn.execute("SELECT tag FROM note_tags").fetchall() == [("new",)]
    assert conn.execute("SELECT count(*) FROM links").fetchone()[0] == 0
    assert fts(conn, "ancient") == []
    assert fts(conn, "modern") == ["a.md"]


def test_delete_removes_everything(conn: sqlite3.Connection) -> None:
    put(conn, record("a.md", "#t [[b]] words"), record("b.md", "[[a]]"))
    a = note_id(conn, "a.md")
    conn.execute("BEGIN")
    write.delete_notes(conn, [a])
    conn.execute("COMMIT")
    assert fts(conn, "words") == []
    for table in ("note_tags", "note_authors", "note_categories", "links"):
        assert (
            conn.execute(f"SELECT count(*) FROM {table} WHERE note_id = ?", (a,)).fetchone()[0] == 0
        )
    # b's link to a is now dangling, not pointing at a missing row.
    assert conn.execute("SELECT target_id FROM links").fetchall() == [(None,)]


def test_move_keeps_id_and_backlinks(conn: sqlite3.Connection) -> None:
    put(conn, record("a.md", "links to [[b]]"), record("b.md", "---\ntitle: Bee\n---\ntext"))
    b = note_id(conn, "b.md")
    conn.execute("BEGIN")
    moved = record("sub/b.md", "---\ntitle: Bee\n---\ntext")
    write.move_note(conn, b, moved)
    write.resolve_links(conn)
    conn.execute("COMMIT")
    assert (
        conn.execute("SELECT path FROM notes WHERE id = ?", (b,)).fetchone()[0]
        == f"{ROOT}/sub/b.md"
    )
    assert [back["path"] for back in read.note_detail(conn, b)["backlinks"]] == [f"{ROOT}/a.md"]


# ---- link resolution --------------------------------------------------------------------------


def test_link_resolution(conn: sqlite3.Connection) -> None:
    put(
        conn,
        record(
            "src.md",
            "[[target-stem]] [[Some Title]] [[TARGET-STEM#part]] [[missing]]\n"
            "[rel](sub/deep.md) [noext](sub/deep) [up](../kb/target-stem.md) "
            "[gone](nowhere.md) https://ext.example/\n",
        ),
        record("target-stem.md", "# Not The Title\n"),
        record("titled.md", "---\ntitle: Some Title\n---\n"),
        record("sub/deep.md", "deep"),
    )
    rows = conn.execute(
        "SELECT l.kind, l.target, m.path FROM links l LEFT JOIN notes m ON m.id = l.target_id "
        "WHERE l.note_id = ? ORDER BY l.rowid",
        (note_id(conn, "src.md"),),
    ).fetchall()
    resolved = {
        (kind, target): (path.rsplit(ROOT + "/", 1)[-1] if path else None)
        for kind, target, path in rows
    }
    assert resolved == {
        ("internal", "sub/deep.md"): "sub/deep.md",
        ("internal", "sub/deep"): "sub/deep.md",
        ("internal", "../kb/target-stem.md"): "target-stem.md",
        ("internal", "nowhere.md"): None,
        ("url", "https://ext.example/"): None,
        ("wiki", "target-stem"): "target-stem.md",
        ("wiki", "Some Title"): "titled.md",
        ("wiki", "TARGET-STEM"): "target-stem.md",
        ("wiki", "missing"): None,
    }
    broken = [(b["kind"], b["target"]) for b in read.broken_links(conn)]
    assert broken == [("internal", "nowhere.md"), ("wiki", "missing")]


def test_links_resolve_when_the_target_arrives_later(conn: sqlite3.Connection) -> None:
    put(conn, record("a.md", "[[later]]"))
    assert conn.execute("SELECT target_id FROM links").fetchone()[0] is None
    put(conn, record("later.md", "here now"))
    assert conn.execute("SELECT target_id FROM links").fetchone()[0] == note_id(conn, "later.md")


# ---- reads ------------------------------------------------------------------------------------


@pytest.fixture
def small(conn: sqlite3.Connection) -> sqlite3.Connection:
    put(
        conn,
        record("alpha.md", "---\ntitle: Alpha\ntags: [Python, x]\nauthor: Ann\n---\n[[beta]]"),
        record("beta.md", "---\ntitle: Beta One\ntags: [python]\n---\n[[alpha]]"),
        record("beta-two.md", "---\ntitle: Beta Two\ntags: [PYTHON, y]\ndraft: true\n---\n"),
        record("dir/gamma.md", "---\ntitle: Gamma\n---\n[[alpha]] [[beta]]"),
    )
    return conn


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        ("alpha", "alpha.md"),
        ("ALPHA.md", "alpha.md"),
        ("Beta One", "beta.md"),
        ("beta two", "beta-two.md"),
        ("dir/gamma.md", "dir/gamma.md"),
        ("gam", "dir/gamma.md"),
        (f"{ROOT}/beta.md", "beta.md"),
        ("beta", "beta.md"),
    ],
)
def test_resolve_note(small: sqlite3.Connection, ref: str, name: str) -> None:
    assert read.resolve_note(small, ref) == note_id(small, name)


def test_resolve_note_ambiguous_and_unknown(small: sqlite3.Connection) -> None:
    with pytest.raises(AmbiguousNote) as info:
        read.resolve_note(small, "bet")
    assert sorted(info.value.candidates) == [f"{ROOT}/beta-two.md", f"{ROOT}/beta.md"]
    with pytest.raises(NoteNotFound, match="nothing-like-this"):
        read.resolve_note(small, "nothing-like-this")


def test_facet_counts_group_case_insensitively(small: sqlite3.Connection) -> None:
    counts = dict(read.facet_counts(small, "tags"))
    assert len([k for k in counts if k.casefold() == "python"]) == 1
    assert counts[next(k for k in counts if k.casefold() == "python")] == 3
    assert counts["x"] == 1 and counts["y"] == 1
    assert read.facet_counts(small, "authors") == [("Ann", 1)]


def test_note_detail_backlinks(small: sqlite3.Connection) -> None:
    detail = read.note_detail(small, note_id(small, "alpha.md"))
    assert detail["title"] == "Alpha"
    assert detail["meta"] == {"title": "Alpha", "tags": ["Python", "x"], "author": "Ann"}
    assert sorted(b["title"] for b in detail["backlinks"]) == ["Beta One", "Gamma"]
    assert [(o["kind"], o["target"]) for o in detail["outgoing"]] == [("wiki", "beta")]


def test_status_counts(small: sqlite3.Connection) -> None:
    info = read.status(small)
    assert info["notes"] == 4
    assert info["drafts"] == 1
    assert info["tags"] == 3
    assert info["links"] == 4


def test_a_tag_is_shown_as_most_often_written_whatever_the_row_order(
    db_path: Path,
) -> None:
    conn = store_db.connect(db_path)
    try:
        rows = [(1, "ml"), (2, "ML"), (3, "ML/deep"), (4, "Ml"), (5, "ml/deep"), (6, "ML")]
        for order in (rows, rows[::-1]):
            conn.execute("DELETE FROM note_tags")
            conn.executemany(
                "INSERT INTO note_tags (note_id, tag, tag_lc) VALUES (?, ?, ?)",
                [(i, t, t.casefold()) for i, t in order],
            )
            assert read.facet_counts(conn, "tags") == [("ML", 4), ("ML/deep", 2)]
            tree = dict(read.tag_tree_counts(conn))
            assert tree == {"ML": 6, "ML/deep": 2}
    finally:
        conn.close()
