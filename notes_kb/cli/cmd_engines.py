"""`related` and `reindex`, and the engine side of `search` (--engine, --fuzzy, did you mean)."""

import sqlite3
import time
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from notes_kb.cli.app import app, check_format, db_path, open_index
from notes_kb.cli.progress import progress_bar

#: Below this many hits, `search` looks for misspelt words and suggests a corrected query.
SUGGEST_BELOW = 3
#: For suggestions alone, the Whoosh index is built from scratch only for notebooks this small
#: (bigger ones get a hint to build it once with `reindex --engine whoosh`).
SUGGEST_BUILD_LIMIT = 1000
#: Index updates smaller than this finish without a progress bar.


@dataclass
class Found:
    rows: list[dict[str, Any]]
    total: int
    suggestion: str | None = None
    no_vocabulary: bool = False  # words were unknown but the Whoosh index was not built


def find_notes(
    conn: sqlite3.Connection,
    node: Any,
    typed: Any,
    *,
    engine: str,
    fuzzy: bool,
    suggest: bool,
    sort: str,
    reverse: bool,
    limit: int | None,
    snippets: bool,
    count: bool,
    paths_only: bool = False,
) -> Found:
    """Run a query on the chosen engine; `typed` is the user's own query (for suggestions).
    `count` asks for the number of all matches even when `limit` cuts the rows short."""
    from notes_kb.engines import (
        ENGINES,
        SearchRequest,
        Vocabulary,
        open_engine,
        open_vocabulary,
        plain_words,
        replace_words,
    )
    from notes_kb.query import to_string

    if engine not in ENGINES:
        raise typer.BadParameter(
            f"{engine!r} is not one of: {', '.join(ENGINES)}", param_hint="--engine"
        )
    words = plain_words(typed)
    with progress_bar("indexing for search") as progress:
        vocabulary: list[Vocabulary] = []  # opened (and brought up to date) only when needed

        def vocab() -> Vocabulary:
            if not vocabulary:
                vocabulary.append(open_vocabulary(conn, db_path(), progress))
            return vocabulary[0]

        expansions = vocab().expand(words) if fuzzy and words else {}
        request = SearchRequest(
            node,
            sort=sort,
            reverse=reverse,
            limit=limit,
            snippets=snippets,
            count=count,
            fuzzy=expansions,
            paths_only=paths_only,
        )
        result = open_engine(engine, conn, db_path(), progress).search(request)
        total = result.total if result.total is not None else len(result.rows)
        found = Found(result.rows, total)
        if suggest and words and total < SUGGEST_BELOW and not (fuzzy and total):
            unknown = _unknown_words(conn, words)  # asked of FTS5 first: no Whoosh needed
            if unknown and not vocab().ready(SUGGEST_BUILD_LIMIT):
                found.no_vocabulary = True
            elif unknown:
                fixes = vocab().corrections(unknown)
                if fixes:
                    found.suggestion = to_string(replace_words(typed, fixes))
    return found


def _unknown_words(conn: sqlite3.Connection, words: list[str]) -> list[str]:
    """The words no note contains in any form (FTS5 matches stems, as the engines do)."""
    from notes_kb.query import Text
    from notes_kb.store.bulk import unmatched
    from notes_kb.store.querysql import fts_quote

    quoted = {q: w for w in words if (q := fts_quote(Text(w)))}
    return [quoted[q] for q in unmatched(conn, quoted)]


@app.command()
def related(
    note: Annotated[
        str, typer.Argument(help="Path, file name, title or a unique prefix.", show_default=False)
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most N notes.")] = 10,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="table, json, jsonl, csv or paths.", show_default=False
        ),
    ] = None,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Do not check the notes folders for changes first.")
    ] = False,
) -> None:
    """The notes most like NOTE, by the key terms of its body, title and tags (never NOTE)."""
    from notes_kb import render
    from notes_kb.cli.cmd_query import refreshed_index
    from notes_kb.engines import open_vocabulary
    from notes_kb.store.read import resolve_note

    fmt = check_format(fmt)
    if limit < 0:
        raise typer.BadParameter("must be 0 or more", param_hint="--limit")
    conn = refreshed_index(no_refresh)
    note_id = resolve_note(conn, note)
    with progress_bar("indexing") as progress:
        rows = open_vocabulary(conn, db_path(), progress).related(note_id, limit)
    summary = f"{len(rows)} related note{'' if len(rows) == 1 else 's'}"
    render.emit_notes(rows, fmt, summary=summary)


@app.command()
def reindex(
    engine: Annotated[str, typer.Option("--engine", help="whoosh, fts5 or all.")] = "all",
) -> None:
    """Rebuild the search indexes from the notes already imported (no files are read)."""
    from notes_kb import render
    from notes_kb.engines import ENGINES, open_engine

    if engine not in (*ENGINES, "all"):
        raise typer.BadParameter(
            f"{engine!r} is not one of: fts5, whoosh, all", param_hint="--engine"
        )
    conn = open_index()
    for name in ENGINES if engine == "all" else (engine,):
        started = time.perf_counter()
        with progress_bar(f"indexing ({name})", minimum=1) as progress:
            count = open_engine(name, conn, db_path(), progress).reindex()
        seconds = time.perf_counter() - started
        render.write(f"{name}: {count} note{'' if count == 1 else 's'} in {seconds:.2f}s\n")
