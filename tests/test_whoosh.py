"""The Whoosh engine: keeping its index right, fuzzy matching, spelling, related notes."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Invoke, open_db, write_note

from notes_kb.engines import SearchRequest, open_engine, plain_words
from notes_kb.engines.indexfiles import META_FILE
from notes_kb.engines.text import words
from notes_kb.engines.whoosh import WhooshEngine, index_dir
from notes_kb.importer import guarded_import
from notes_kb.query import parse_query
from notes_kb.store import bulk

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def found(engine: WhooshEngine, query: str, **options: object) -> list[str]:
    request = SearchRequest(parse_query(query), **options)  # type: ignore[arg-type]
    return [Path(r["path"]).stem for r in engine.search(request).rows]


def import_into(db: Path, folder: Path) -> None:
    conn = open_db(db)
    try:
        guarded_import(conn, db, [str(folder)])
    finally:
        conn.close()


@pytest.fixture
def conn(indexed: Path) -> Iterator[sqlite3.Connection]:
    connection = open_db(indexed)
    yield connection
    connection.close()


@pytest.fixture
def copy_indexed(notes_copy: Path, db_path: Path) -> Path:
    """A writable copy of the sample notebook, imported."""
    import_into(db_path, notes_copy)
    return db_path


# ---- building and updating the index -----------------------------------------------------


def test_first_use_builds_the_index_beside_the_database(
    conn: sqlite3.Connection, indexed: Path
) -> None:
    engine = WhooshEngine(conn, indexed)
    assert found(engine, "adam")[0] == "adam-optimizer-notes"
    assert engine.rebuilt
    assert index_dir(indexed) == indexed.with_name("index.db.whoosh")
    meta = json.loads((index_dir(indexed) / META_FILE).read_text())
    assert meta["generation"] == bulk.generation(conn) != ""
    again = WhooshEngine(conn, indexed)
    assert found(again, "adam")[0] == "adam-optimizer-notes"
    assert not again.rebuilt
    assert again.updated == 0


def test_an_edited_note_is_updated_alone_and_quickly(copy_indexed: Path, notes_copy: Path) -> None:
    conn = open_db(copy_indexed)
    assert found(WhooshEngine(conn, copy_indexed), "zygote")
    note = notes_copy / "helix-editor.md"
    note.write_text(note.read_text() + "\nNow with quokkasaurus support.\n")
    import_into(copy_indexed, notes_copy)
    started = time.perf_counter()
    engine = WhooshEngine(conn, copy_indexed)
    assert found(engine, "quokkasaurus") == ["helix-editor"]
    assert time.perf_counter() - started < 1.0
    assert engine.updated == 1
    assert not engine.rebuilt


def test_removed_and_moved_notes_follow_the_import(copy_indexed: Path, notes_copy: Path) -> None:
    conn = open_db(copy_indexed)
    assert "helix-editor" in found(WhooshEngine(conn, copy_indexed), "helix")
    (notes_copy / "helix-editor.md").unlink()
    (notes_copy / "git-worktrees.md").rename(notes_copy / "worktrees-moved.md")
    write_note(notes_copy, "fresh.md", "---\ntitle: Fresh\n---\nA brand new zorblatt note.\n")
    import_into(copy_indexed, notes_copy)
    engine = WhooshEngine(conn, copy_indexed)
    assert "helix-editor" not in found(engine, "helix")
    assert found(engine, "worktrees")[0] == "worktrees-moved"
    assert found(engine, "zorblatt") == ["fresh"]
    assert engine.updated == 4  # by path: one removed, one moved (out and in), one added


def test_reindex_rebuilds_from_the_notes_table(conn: sqlite3.Connection, indexed: Path) -> None:
    engine = WhooshEngine(conn, indexed)
    assert engine.reindex() == bulk.note_count(conn)
    assert found(engine, "adam")[0] == "adam-optimizer-notes"
    assert not list(indexed.parent.glob("*.build-*"))


def _break(target: Path, how: str) -> None:
    folder = index_dir(target)
    segments = sorted(folder.glob("*.seg"))
    if how == "deleted":
        for item in folder.iterdir():
            item.unlink()
        folder.rmdir()
    elif how == "truncated":
        with open(segments[0], "r+b") as fh:
            fh.truncate(os.path.getsize(segments[0]) // 2)
    elif how == "scrambled":  # same size, garbage inside
        size = os.path.getsize(segments[0])
        segments[0].write_bytes(random.Random(1).randbytes(size))
    elif how == "toc":
        for toc in folder.glob("*.toc"):
            toc.write_bytes(b"not a table of contents")
    elif how == "meta":
        (folder / META_FILE).write_text("{nonsense")
    elif how == "empty":
        for item in folder.iterdir():
            item.unlink()


@pytest.mark.parametrize("how", ["deleted", "truncated", "scrambled", "toc", "meta", "empty"])
def test_a_damaged_index_is_rebuilt(
    cli: Invoke, conn: sqlite3.Connection, indexed: Path, how: str
) -> None:
    assert found(WhooshEngine(conn, indexed), "adam")[0] == "adam-optimizer-notes"
    _break(indexed, how)
    result = cli("search", "--engine", "whoosh", "-f", "json", "adam")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert Path(json.loads(result.stdout)[0]["path"]).stem == "adam-optimizer-notes"
    engine = WhooshEngine(conn, indexed)
    assert found(engine, "zygote")
    assert not engine.rebuilt  # the rebuilt index is whole again


def test_an_index_from_another_schema_is_rebuilt(conn: sqlite3.Connection, indexed: Path) -> None:
    found(WhooshEngine(conn, indexed), "adam")
    meta_path = index_dir(indexed) / META_FILE
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "schema": -1}))
    engine = WhooshEngine(conn, indexed)
    assert found(engine, "adam")[0] == "adam-optimizer-notes"
    assert engine.rebuilt


def test_a_locked_index_is_used_as_it_is(copy_indexed: Path, notes_copy: Path) -> None:
    from whoosh import index

    conn = open_db(copy_indexed)
    assert found(WhooshEngine(conn, copy_indexed), "helix")
    write_note(notes_copy, "fresh.md", "A brand new zorblatt note.\n")
    import_into(copy_indexed, notes_copy)
    holder = index.open_dir(str(index_dir(copy_indexed))).writer()
    try:
        import notes_kb.engines.whoosh as whoosh_engine

        wait, whoosh_engine.LOCK_WAIT_S = whoosh_engine.LOCK_WAIT_S, 0.1
        try:
            engine = WhooshEngine(conn, copy_indexed)
            assert found(engine, "helix")  # stale but usable
            assert found(engine, "zorblatt") == []
        finally:
            whoosh_engine.LOCK_WAIT_S = wait
    finally:
        holder.cancel()
    assert found(WhooshEngine(conn, copy_indexed), "zorblatt") == ["fresh"]


def test_leftovers_of_killed_builds_are_removed(conn: sqlite3.Connection, indexed: Path) -> None:
    leftover = indexed.with_name("index.db.whoosh.build-999999999")
    leftover.mkdir()
    (leftover / "junk.seg").write_bytes(b"x")
    WhooshEngine(conn, indexed).reindex()
    assert not leftover.exists()


def test_cli_reindex(cli: Invoke, indexed: Path) -> None:
    result = cli("reindex", "--engine", "all")
    assert result.exit_code == 0, result.output
    assert "fts5: 25 notes" in result.stdout
    assert "whoosh: 25 notes" in result.stdout
    only = cli("reindex", "--engine", "fts5")
    assert only.exit_code == 0 and "whoosh" not in only.stdout
    assert cli("search", "-f", "paths", "adam").stdout.startswith(str(Path("/")))
    bad = cli("reindex", "--engine", "lucene")
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


# ---- related notes -------------------------------------------------------------------------


def test_related_notes(conn: sqlite3.Connection, indexed: Path) -> None:
    engine = WhooshEngine(conn, indexed)
    note = bulk.ids_where(conn, "n.stem = ?", ["adam-optimizer-notes"]).pop()
    rows = engine.related(note, limit=5)
    stems = [Path(r["path"]).stem for r in rows]
    assert len(stems) == 5
    assert "adam-optimizer-notes" not in stems
    assert "gradient-descent-intuition" in stems[:3]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert engine.related(note, limit=0) == []


def test_cli_related(cli: Invoke, indexed: Path) -> None:
    result = cli("related", "sqlite-wal-mode", "--limit", "3", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    stems = [Path(r["path"]).stem for r in rows]
    assert len(stems) == 3 and "sqlite-wal-mode" not in stems
    assert "sqlite-fts5-notes" in stems or "duckdb-vs-sqlite" in stems
    missing = cli("related", "no-such-note")
    assert missing.exit_code == 1
    assert "no note matches" in missing.stderr


# ---- typo tolerance and spelling, measured ---------------------------------------------------


def _typo(word: str, rnd: random.Random) -> str:
    """One random edit (replace, drop, add or swap a letter), never the first letter."""
    for _ in range(10):
        op, i = rnd.choice("rdas"), rnd.randrange(1, len(word))
        if op == "r":
            typo = word[:i] + rnd.choice(LETTERS.replace(word[i], "")) + word[i + 1 :]
        elif op == "d":
            typo = word[:i] + word[i + 1 :]
        elif op == "a":
            typo = word[:i] + rnd.choice(LETTERS) + word[i:]
        else:
            i = min(i, len(word) - 2)
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if typo != word:
            return typo
    return word + "x"


def title_typo_rate(conn: sqlite3.Connection, db: Path, sample: int, seed: int) -> float:
    """Share of notes found in the top 5 by `--fuzzy` when their title (as words) has one
    typo in its longest word. Notes whose title repeats another's count when any note with
    that title is in the top 5; titles whose longest word has under 4 letters are skipped
    (typos there are not forgiven by design)."""
    rnd = random.Random(seed)
    notes = [
        (note_id, title, words(title))
        for note_id, title in conn.execute("SELECT id, title FROM notes ORDER BY id")
        if title and max(map(len, words(title)), default=0) >= 4
    ]
    if len(notes) > sample:
        notes = rnd.sample(notes, sample)
    vocabulary = WhooshEngine(conn, db)
    engine = open_engine("whoosh", conn, db)
    hits = 0
    for note_id, title, title_words in notes:
        longest = max(title_words, key=len)
        at = title_words.index(longest)
        typed = " ".join([*title_words[:at], _typo(longest, rnd), *title_words[at + 1 :]])
        node = parse_query(typed)
        request = SearchRequest(
            node, limit=5, snippets=False, fuzzy=vocabulary.expand(plain_words(node))
        )
        top = engine.search(request).rows
        hits += any(r["id"] == note_id or r["title"].casefold() == title.casefold() for r in top)
    return hits / len(notes)


def spelling_rate(conn: sqlite3.Connection, db: Path, sample: int, seed: int) -> float:
    """Share of single-typo words corrected to the intended word. Words are taken from the
    notebook (4+ letters, in 2+ notes); typos that are words of the notebook, or share a
    stem with one (a search finds those), are not misspellings and are left out."""
    rnd = random.Random(seed)
    counts: Counter[str] = Counter()
    for title, body in conn.execute("SELECT title, body FROM notes"):
        counts.update(set(words(f"{title} {body}")))
    stemmer = bulk.Stemmer()
    known_stems = set(stemmer.stems(counts).values())
    candidates = sorted(w for w, n in counts.items() if n >= 2 and len(w) >= 4 and w.isalpha())
    rnd.shuffle(candidates)
    cases: list[tuple[str, str]] = []
    for word in candidates:
        typo = _typo(word, rnd)
        if typo not in counts and stemmer.stem(typo) not in known_stems:
            cases.append((word, typo))
        if len(cases) == sample:
            break
    fixes = WhooshEngine(conn, db).corrections([typo for _, typo in cases])
    return sum(fixes.get(typo) == word for word, typo in cases) / len(cases)


def test_fuzzy_titles_on_the_sample_notebook(conn: sqlite3.Connection, indexed: Path) -> None:
    assert title_typo_rate(conn, indexed, sample=100, seed=1) >= 0.9


def test_spelling_on_the_sample_notebook(conn: sqlite3.Connection, indexed: Path) -> None:
    assert spelling_rate(conn, indexed, sample=200, seed=2) >= 0.8


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "zola-rust-blog"
    if not folder.is_dir():
        pytest.skip(f"corpus not available at {folder}")
    db = tmp_path_factory.mktemp("zola") / "index.db"
    import_into(db, folder)
    yield db


def test_fuzzy_titles_on_a_real_notebook(corpus_db: Path) -> None:
    conn = open_db(corpus_db)
    assert title_typo_rate(conn, corpus_db, sample=150, seed=3) >= 0.9


def test_spelling_on_a_real_notebook(corpus_db: Path) -> None:
    conn = open_db(corpus_db)
    assert spelling_rate(conn, corpus_db, sample=250, seed=4) >= 0.8
