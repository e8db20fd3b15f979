"""The search-engine layer: the same query language on SQLite FTS5 and on Whoosh.

Search cases run against both engines on the sample notebook; a generated set of queries
checks that both engines find exactly the same notes.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Invoke, open_db

from notes_kb.engines import (
    ENGINES,
    SearchRequest,
    open_engine,
    plain_words,
    replace_words,
)
from notes_kb.engines import plan as engine_plan
from notes_kb.engines.fts5 import Fts5Engine
from notes_kb.engines.text import distance, fold, max_edits, words
from notes_kb.query import And, Field, Not, Or, Text, parse_query, to_string
from notes_kb.store import bulk


@pytest.fixture
def conn(indexed: Path) -> Iterator[sqlite3.Connection]:
    connection = open_db(indexed)
    yield connection
    connection.close()


def run(
    conn: sqlite3.Connection, db: Path, engine: str, query: str, **options: object
) -> list[str]:
    """File stems of the notes found, in order."""
    request = SearchRequest(parse_query(query), **options)  # type: ignore[arg-type]
    rows = open_engine(engine, conn, db).search(request).rows
    return [Path(r["path"]).stem for r in rows]


# ---- pure helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World", ["hello", "world"]),
        ("snake_case and kebab-case", ["snake", "case", "and", "kebab", "case"]),
        ("naïve Café", ["naive", "cafe"]),
        ("don't C++ e.g.", ["don", "t", "c", "e", "g"]),
        ("日本語 text", ["日本語", "text"]),
        ("v1.50.0", ["v1", "50", "0"]),
        ("", []),
    ],
)
def test_words_split_like_fts5(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_fold_is_lower_case_without_accents() -> None:
    assert fold("ÉCOLE Straße") == "ecole straße"


@pytest.mark.parametrize(
    ("word", "edits"),
    [("", 0), ("adm", 0), ("adam", 1), ("variant", 1), ("variants", 2), ("optimization", 2)],
)
def test_typo_allowance_grows_with_word_length(word: str, edits: int) -> None:
    assert max_edits(word) == edits


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("adam", "adam", 0),
        ("adam", "adma", 1),  # a swap is one edit
        ("variants", "varinats", 1),
        ("kitten", "sitting", 3),
        ("abc", "abcdefgh", 4),  # capped at limit + 1
    ],
)
def test_distance(a: str, b: str, expected: int) -> None:
    assert distance(a, b, limit=3) == expected


def test_plain_words_are_positive_single_words() -> None:
    node = parse_query('adam "a phrase" pre* -gone tag:x (one OR two) NOT (three -four)')
    assert plain_words(node) == ["adam", "one", "two", "four"]
    assert plain_words(None) == []


def test_replace_words_keeps_the_rest_of_the_query() -> None:
    node = parse_query('varinats tag:ml "adm" (x OR adm)')
    fixed = replace_words(node, {"varinats": "variants", "adm": "adam"})
    assert to_string(fixed) == 'variants tag:ml "adm" (x OR adam)'


def test_split_divides_text_fields_and_mixed_parts() -> None:
    node = parse_query("adam -beta tag:ml lastmod>=2024 (tag:x OR gamma) body:delta")
    parts = engine_plan.split(node)
    assert parts.text == [Text("adam"), Not(Text("beta")), Field("body", ":", "delta")]
    assert parts.fields == And((Field("tag", ":", "ml"), Field("lastmod", ">=", "2024")))
    assert parts.mixed == [Or((Field("tag", ":", "x"), Text("gamma")))]
    assert engine_plan.ranking_terms(parts.mixed) == [Text("gamma")]


def test_stemmer_matches_the_fts5_index(conn: sqlite3.Connection) -> None:
    """Every indexed term of notes_fts is the stem bulk.Stemmer gives for its words."""
    conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, notes_fts, row)")
    terms = {row[0] for row in conn.execute("SELECT term FROM temp.v")}
    vocabulary = {w for (body,) in conn.execute("SELECT body FROM notes") for w in words(body)}
    stems = bulk.Stemmer().stems(vocabulary)
    assert {s for s in stems.values() if " " not in s} <= terms
    assert set(bulk.Stemmer().stems(["optimizers", "optimization"]).values()) == {"optim"}


def test_order_ids_sorts_like_find(conn: sqlite3.Connection) -> None:
    ids = sorted(bulk.all_ids(conn))
    for sort in ("lastmod", "title", "path"):
        for reverse in (False, True):
            expected = [
                r["id"]
                for r in Fts5Engine(conn)
                .search(SearchRequest(None, sort=sort, reverse=reverse))
                .rows
            ]
            assert bulk.order_ids(conn, ids, sort, reverse) == expected, (sort, reverse)


# ---- the same search cases on both engines ---------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("query", "first", "expected"),
    [
        ("adam", "adam-optimizer-notes", None),
        (
            "optimizers",  # stems: optimizer, optimization, optimisation...
            None,
            {
                "adam-optimizer-notes",
                "gradient-descent-intuition",
                "state-of-ml-in-julia",
                "reading-list-2024",
                "numerical-stability-logsumexp",
                "flux-jl-first-steps",
            },
        ),
        ('"log-sum-exp"', "numerical-stability-logsumexp", {"numerical-stability-logsumexp"}),
        ('"multiple dispatch"', "julia-multiple-dispatch", None),
        ('"gradient desc"*', None, {"gradient-descent-intuition", "adam-optimizer-notes"}),
        (
            "tag:ml -julia",
            None,
            {
                "hybrid-search-bm25-embeddings",
                "bm25-ranking-explained",
                "gradient-descent-intuition",
            },
        ),
        (
            "julia lastmod>=2024-01-01",
            None,
            {
                "julia-autodiff-zygote-enzyme",
                "numerical-stability-logsumexp",
                "til-python-typing-protocols",
                "helix-editor",
            },
        ),
        ("is:draft julia", None, {"flux-jl-first-steps", "learning-rust-ownership"}),
        ("body:zygote", "julia-autodiff-zygote-enzyme", None),
        ("tag:rust OR zygote", None, None),
        ("nosuchwordanywhere", None, set()),
    ],
)
def test_search_cases(
    conn: sqlite3.Connection,
    indexed: Path,
    engine: str,
    query: str,
    first: str | None,
    expected: set[str] | None,
) -> None:
    found = run(conn, indexed, engine, query)
    if first is not None:
        assert found[0] == first
    if expected is not None:
        assert set(found) == expected
    assert len(found) == len(set(found))


@pytest.mark.parametrize("engine", ENGINES)
def test_fields_alone_list_newest_first(
    conn: sqlite3.Connection, indexed: Path, engine: str
) -> None:
    found = run(conn, indexed, engine, "tag:sqlite")
    assert found == [
        "duckdb-vs-sqlite",
        "hybrid-search-bm25-embeddings",
        "sqlite-wal-mode",
        "sqlite-fts5-notes",
        "designing-data-intensive-applications",
    ]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("sort", ["lastmod", "title", "path"])
def test_sorts_limits_and_counts(
    conn: sqlite3.Connection, indexed: Path, engine: str, sort: str
) -> None:
    everything = run(conn, indexed, "fts5", "julia", sort=sort)
    request = SearchRequest(parse_query("julia"), sort=sort, limit=3, count=True)
    result = open_engine(engine, conn, indexed).search(request)
    assert [Path(r["path"]).stem for r in result.rows] == everything[:3]
    assert result.total == len(everything)
    backwards = run(conn, indexed, engine, "julia", sort=sort, reverse=True)
    assert set(backwards) == set(everything)


@pytest.mark.parametrize("engine", ENGINES)
def test_hits_carry_score_and_marked_snippet(
    conn: sqlite3.Connection, indexed: Path, engine: str
) -> None:
    rows = open_engine(engine, conn, indexed).search(SearchRequest(parse_query("zygote"))).rows
    assert rows
    assert all(r["score"] > 0 for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert "\x02" in rows[0]["snippet"]
    assert "zygote" in rows[0]["snippet"].lower()


def test_both_engines_find_the_same_notes(conn: sqlite3.Connection, indexed: Path) -> None:
    """Generated words, phrases, prefixes and mixes of fields and text: equal result sets."""
    rnd = random.Random(20240611)
    texts = [t + " " + b for t, b in conn.execute("SELECT title, body FROM notes")]
    vocabulary = sorted({w.lower() for t in texts for w in re.findall(r"[A-Za-z]{3,}", t)})
    tags = sorted({r[0] for r in conn.execute("SELECT tag FROM note_tags")})
    queries: list[str] = []
    for _ in range(60):
        a, b, c = rnd.sample(vocabulary, 3)
        tag = rnd.choice(tags)
        queries += [
            a,
            f"{a} {b}",
            f"{a} OR {b}",
            f"{a} -{b}",
            f"{a[:3]}*",
            f"tag:{tag} {a}",
            f"{a} OR tag:{tag}",
            f"-{a} tag:{tag}",
            f"({a} OR {b}) {c}",
            f"NOT ({a} OR tag:{tag})",
            f"body:{a}",
        ]
        text = rnd.choice(texts)
        run_of_words = re.findall(r"[A-Za-z]+", text)
        start = rnd.randrange(max(1, len(run_of_words) - 2))
        queries.append('"' + " ".join(run_of_words[start : start + 2]) + '"')
    engines = {name: open_engine(name, conn, indexed) for name in ENGINES}
    differ = []
    for query in queries:
        node = parse_query(query)
        found = {
            name: {r["id"] for r in engine.search(SearchRequest(node)).rows}
            for name, engine in engines.items()
        }
        if found["fts5"] != found["whoosh"]:
            differ.append(query)
    assert differ == []


# ---- fuzzy expansion on FTS5 -------------------------------------------------------------


def test_fts5_runs_fuzzy_words_as_or_groups(conn: sqlite3.Connection, indexed: Path) -> None:
    expansions = {"varinats": [("varinats", 0), ("variants", 1)]}
    found = run(conn, indexed, "fts5", "adam varinats", fuzzy=expansions)
    assert found[0] == "adam-optimizer-notes"
    nested = run(conn, indexed, "fts5", "zzz OR varinats", fuzzy=expansions)
    assert "adam-optimizer-notes" in nested
    assert run(conn, indexed, "fts5", "adam varinats") == []


# ---- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_cli_search_with_engine(cli: Invoke, indexed: Path, engine: str) -> None:
    result = cli("search", "--engine", engine, "--format", "json", "tag:ml", "adam")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert Path(rows[0]["path"]).stem == "adam-optimizer-notes"
    assert rows[0]["score"] > 0


def test_cli_rejects_an_unknown_engine(cli: Invoke, indexed: Path) -> None:
    result = cli("search", "--engine", "lucene", "adam")
    assert result.exit_code == 2
    assert "lucene" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("engine", ENGINES)
def test_cli_fuzzy_finds_the_intended_note_first(cli: Invoke, indexed: Path, engine: str) -> None:
    result = cli("search", "--fuzzy", "--engine", engine, "-f", "paths", "Adam and its varinats")
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.splitlines()[0]).stem == "adam-optimizer-notes"


def test_cli_fuzzy_defaults_to_whoosh(cli: Invoke, indexed: Path) -> None:
    result = cli("search", "--fuzzy", "-f", "paths", "numericl stabilty")
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.splitlines()[0]).stem == "numerical-stability-logsumexp"
    assert indexed.with_name(indexed.name + ".whoosh").is_dir()


@pytest.mark.parametrize("engine", ENGINES)
def test_did_you_mean_on_no_hits(cli: Invoke, indexed: Path, engine: str) -> None:
    result = cli("search", "--engine", engine, "gradiant", "decsent")
    assert result.exit_code == 0, result.output
    assert "did you mean: gradient descent" in result.stderr
    as_json = cli("search", "--engine", engine, "-f", "json", "gradiant", "decsent")
    assert json.loads(as_json.stdout) == []
    assert "did you mean: gradient descent" in as_json.stderr


def test_few_hits_carry_the_suggestion(cli: Invoke, indexed: Path) -> None:
    result = cli("search", "-f", "json", "worktrees", "OR", "brnaches")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert 0 < len(rows) < 3
    assert {r["suggestion"] for r in rows} == {"worktrees OR branches"}
    assert "did you mean" not in result.stderr


def test_no_suggestion_when_words_are_known(cli: Invoke, indexed: Path) -> None:
    result = cli("search", "-f", "json", "zygote", "pandas")
    assert json.loads(result.stdout) == []
    assert "did you mean" not in result.stderr


def test_plain_search_does_not_touch_whoosh(cli: Invoke, indexed: Path) -> None:
    """Whoosh (for suggestions) is only opened when a word matches nothing in FTS5."""
    for query in ("adam", "worktrees", "zygote pandas"):  # many, one and no hits
        result = cli("search", "-f", "paths", query)
        assert result.exit_code == 0, result.output
    assert not indexed.with_name(indexed.name + ".whoosh").exists()


def test_big_notebooks_get_a_hint_instead_of_a_slow_first_build(
    cli: Invoke, indexed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notes_kb.cli import cmd_engines

    monkeypatch.setattr(cmd_engines, "SUGGEST_BUILD_LIMIT", 5)
    result = cli("search", "gradiant")
    assert result.exit_code == 0, result.output
    assert "reindex --engine whoosh" in result.stderr
    assert not indexed.with_name(indexed.name + ".whoosh").exists()
    assert cli("reindex", "--engine", "whoosh").exit_code == 0
    again = cli("search", "gradiant")
    assert "did you mean: gradient" in again.stderr
