"""Query commands: list, search, tags, authors, categories, show, links, orphans."""

import os
import sqlite3
import time
from typing import Annotated, Any

import typer

from notes_kb.cli.app import app, check_format, db_path, open_index


def complete_tags(incomplete: str) -> list[str]:
    """Shell completion: tag names from the index."""
    try:
        from notes_kb.store.read import facet_counts

        conn = open_index()
        low = incomplete.casefold()
        return [t for t, _n in facet_counts(conn, "tags") if t.casefold().startswith(low)]
    except Exception:
        return []


TagOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tag", "-t", help="Only notes with this tag (repeatable).", autocompletion=complete_tags
    ),
]
AuthorOpt = Annotated[str | None, typer.Option("--author", "-a", help="Only notes by this author.")]
LinkOpt = Annotated[
    str | None, typer.Option("--link", help="Only notes linking to this URL or domain.")
]
DraftOpt = Annotated[
    bool | None,
    typer.Option("--draft/--no-draft", help="Only drafts / only non-drafts.", show_default=False),
]
RevisitOpt = Annotated[bool, typer.Option("--revisit", help="Only notes marked revisit.")]
WhereOpt = Annotated[
    list[str] | None,
    typer.Option("--where", "-w", help="A field comparison, e.g. 'lastmod>=2022-01-01'."),
]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit", "-n", help="At most N notes (default 20 on a terminal).", show_default=False
    ),
]
SortOpt = Annotated[str, typer.Option("--sort", help="relevance, lastmod, title or path.")]
ReverseOpt = Annotated[bool, typer.Option("--reverse", help="Reverse the order.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f", help="table, json, jsonl, csv or paths.", show_default=False),
]
NullOpt = Annotated[bool, typer.Option("-0", "--null", help="With paths: NUL-separated.")]
NoRefreshOpt = Annotated[
    bool, typer.Option("--no-refresh", help="Do not check the notes folders for changes first.")
]


def refreshed_index(no_refresh: bool) -> sqlite3.Connection:
    """Open the index; first bring it up to date with its folders unless told not to."""
    conn = open_index()
    if not no_refresh and not os.environ.get("NOTES_KB_NO_REFRESH"):
        from notes_kb import config
        from notes_kb.importer import refresh

        refresh(conn, db_path(), revisit_tag=config.load().revisit_tag)
    return conn


def build_filter(
    query: str,
    tags: list[str] | None,
    author: str | None,
    link: str | None,
    draft: bool | None,
    revisit: bool,
    where: list[str] | None,
) -> Any:
    from notes_kb.query import Field, Not, combine, parse_query, parse_where

    nodes: list[Any] = [parse_query(query)]
    nodes += [Field("tag", ":", t) for t in tags or []]
    if author:
        nodes.append(Field("author", ":", author))
    if link:
        nodes.append(Field("link", ":", link))
    if draft is not None:
        is_draft = Field("is", ":", "draft")
        nodes.append(is_draft if draft else Not(is_draft))
    if revisit:
        nodes.append(Field("is", ":", "revisit"))
    nodes += [parse_where(w) for w in where or []]
    return combine(*nodes)


def run_query(
    query: str,
    *,
    tags: list[str] | None,
    author: str | None,
    link: str | None,
    draft: bool | None,
    revisit: bool,
    where: list[str] | None,
    limit: int | None,
    sort: str,
    reverse: bool,
    fmt: str | None,
    null: bool,
    no_refresh: bool,
    noun: str,
    engine: str = "fts5",
    fuzzy: bool = False,
    suggest: bool = False,
) -> list[dict[str, Any]]:
    from notes_kb import render
    from notes_kb.cli.cmd_engines import find_notes
    from notes_kb.query import parse_query
    from notes_kb.store.read import SORTS

    started = time.perf_counter()
    if sort not in SORTS:
        raise typer.BadParameter(f"{sort!r} is not one of: {', '.join(SORTS)}", param_hint="--sort")
    fmt = check_format(fmt)
    node = build_filter(query, tags, author, link, draft, revisit, where)
    if limit is None and render.stdout_is_terminal():
        limit = 20
    conn = refreshed_index(no_refresh)
    found = find_notes(
        conn,
        node,
        parse_query(query),
        engine=engine,
        fuzzy=fuzzy,
        suggest=suggest,
        sort=sort,
        reverse=reverse,
        limit=limit,
        snippets=fmt != "paths",
        count=fmt == "table",
        paths_only=fmt == "paths",
    )
    rows, total = found.rows, found.total
    summary = None
    if fmt == "table":
        ms = (time.perf_counter() - started) * 1000
        shown = f"{len(rows)} of {total}" if total > len(rows) else f"{total}"
        summary = f"{shown} {noun}{'' if total == 1 else 's'} in {ms:.0f} ms"
    for row in rows if found.suggestion else ():
        row["suggestion"] = found.suggestion  # few hits: json/jsonl rows carry it
    render.emit_notes(rows, fmt, null=null, summary=summary)
    if found.suggestion and (fmt == "table" or not rows):
        render.warn(f"did you mean: {found.suggestion}")
    elif found.no_vocabulary and fmt == "table" and not rows:
        render.info("for spelling suggestions, run `notes-kb reindex --engine whoosh` once")
    return rows


@app.command("list")
def list_(
    query: Annotated[
        list[str] | None, typer.Argument(help="Optional query (see `search`).", show_default=False)
    ] = None,
    tag: TagOpt = None,
    author: AuthorOpt = None,
    link: LinkOpt = None,
    draft: DraftOpt = None,
    revisit: RevisitOpt = False,
    where: WhereOpt = None,
    limit: LimitOpt = None,
    sort: SortOpt = "lastmod",
    reverse: ReverseOpt = False,
    fmt: FormatOpt = None,
    null: NullOpt = False,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """List notes, newest first, filtered by tag, author, link, draft or revisit status."""
    run_query(
        " ".join(query or []),
        tags=tag,
        author=author,
        link=link,
        draft=draft,
        revisit=revisit,
        where=where,
        limit=limit,
        sort=sort,
        reverse=reverse,
        fmt=fmt,
        null=null,
        no_refresh=no_refresh,
        noun="note",
    )


@app.command()
def search(
    query: Annotated[
        list[str],
        typer.Argument(
            help='Words, "phrases", prefix*, OR, -word, field:value...', show_default=False
        ),
    ],
    tag: TagOpt = None,
    author: AuthorOpt = None,
    link: LinkOpt = None,
    draft: DraftOpt = None,
    revisit: RevisitOpt = False,
    where: WhereOpt = None,
    limit: LimitOpt = None,
    sort: SortOpt = "relevance",
    reverse: ReverseOpt = False,
    fmt: FormatOpt = None,
    null: NullOpt = False,
    no_refresh: NoRefreshOpt = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="fts5 (SQLite) or whoosh: the same query language. Default: fts5, or whoosh "
            "with --fuzzy (it ranks exact words above corrected ones).",
            show_default=False,
        ),
    ] = None,
    fuzzy: Annotated[
        bool,
        typer.Option(
            "--fuzzy", help="Forgive typos after the first letter: 1 in words of 4-7, 2 from 8."
        ),
    ] = False,
) -> None:
    """Full-text search ranked by relevance (title and tags weigh more than the body).

    Query language: words, "exact phrases", prefix*, OR, -word, (groups), and fields:
    tag:, author:, category:, link:, links-to:, linked-by:, title:, path:, body:,
    is:draft|revisit|snoozed, has:FIELD, and any frontmatter key as key:value or
    key>=value (dates and numbers compare as such).

    With fewer than 3 hits, words the notebook does not contain are corrected from its
    own vocabulary: "did you mean: ..." on stderr (table output, or no hits at all) and a
    "suggestion" field in each json/jsonl row.
    """
    run_query(
        " ".join(query),
        tags=tag,
        author=author,
        link=link,
        draft=draft,
        revisit=revisit,
        where=where,
        limit=limit,
        sort=sort,
        reverse=reverse,
        fmt=fmt,
        null=null,
        no_refresh=no_refresh,
        noun="hit",
        engine=engine or ("whoosh" if fuzzy else "fts5"),
        fuzzy=fuzzy,
        suggest=True,
    )


@app.command()
def show(
    note: Annotated[
        str, typer.Argument(help="Path, file name, title or a unique prefix.", show_default=False)
    ],
    raw: Annotated[bool, typer.Option("--raw", help="Print the file as it is.")] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="table or json.", show_default=False)
    ] = None,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """One note: metadata, the rendered text, its links and backlinks."""
    from notes_kb import render, render_note
    from notes_kb.store.read import note_detail, resolve_note

    fmt = check_format(fmt, ("table", "json"))
    conn = refreshed_index(no_refresh)
    detail = note_detail(conn, resolve_note(conn, note))
    if raw:
        with open(detail["path"], "rb") as fh:
            data = fh.read()
        render.write(render.safe(data.decode("utf-8", errors="replace"), multiline=True))
        return
    if fmt == "json":
        render.emit_json({k: v for k, v in detail.items() if k != "id"})
        return
    render_note.show(detail)


@app.command("open")
def open_(
    note: Annotated[
        str, typer.Argument(help="Path, file name, title or a unique prefix.", show_default=False)
    ],
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Open a note in $VISUAL / $EDITOR (or the configured editor), then re-index it."""
    import shlex
    import subprocess

    from notes_kb import config, render
    from notes_kb.store.read import notes_by_id, resolve_note
    from notes_kb.update import reindex

    conn = refreshed_index(no_refresh)
    note_id = resolve_note(conn, note)
    path = notes_by_id(conn, [note_id])[note_id]["path"]
    editor = config.load().editor
    try:
        code = subprocess.run([*shlex.split(editor), path], check=False).returncode
    except OSError as exc:
        render.error(f"cannot start editor {editor!r}: {exc.strerror or exc}")
        raise typer.Exit(1) from None
    reindex(conn, [path])
    if code:
        raise typer.Exit(code)
