"""Listings: tags, authors, categories, links (by domain, per note, broken), orphans."""

from typing import Annotated

import typer

from notes_kb.cli.app import app, check_format
from notes_kb.cli.cmd_query import FormatOpt, NoRefreshOpt, refreshed_index


@app.command()
def links(
    note: Annotated[
        str | None,
        typer.Argument(help="A note: show its outgoing links and backlinks.", show_default=False),
    ] = None,
    broken: Annotated[
        bool, typer.Option("--broken", help="Internal links whose target is missing.")
    ] = False,
    fmt: FormatOpt = None,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Linked domains with counts; a note's links and backlinks; or broken internal links."""
    from notes_kb import render
    from notes_kb.store import read

    fmt = check_format(fmt)
    conn = refreshed_index(no_refresh)
    if broken:
        rows = read.broken_links(conn)
        if fmt in ("json", "jsonl"):
            render.emit_records(rows, fmt)
        else:
            render.emit_pairs(
                [(r["path"], r["target"]) for r in rows], fmt, ("path", "missing target")
            )
        return
    if note:
        detail = read.note_detail(conn, read.resolve_note(conn, note))
        if fmt in ("json", "jsonl"):
            render.emit_records(
                [{"direction": "out", **o} for o in detail["outgoing"]]
                + [{"direction": "in", **b} for b in detail["backlinks"]],
                fmt,
            )
            return
        pairs = [("→ " + o["kind"], o["target"]) for o in detail["outgoing"]]
        pairs += [("← backlink", b["path"]) for b in detail["backlinks"]]
        render.emit_pairs(pairs, fmt, ("link", "target"))
        return
    render.emit_counts(read.domain_counts(conn), fmt, "domain")


@app.command()
def orphans(fmt: FormatOpt = None, no_refresh: NoRefreshOpt = False) -> None:
    """Notes that no other note links to."""
    from notes_kb import render
    from notes_kb.store import read

    fmt = check_format(fmt)
    conn = refreshed_index(no_refresh)
    render.emit_notes(read.orphans(conn), fmt, columns=("title", "tags", "lastmod", "path"))


def _facet(
    facet: str,
    key: str,
    fmt: str | None,
    sort: str,
    prefix: str | None,
    no_refresh: bool,
    tree: bool = False,
) -> None:
    from notes_kb import render
    from notes_kb.store.read import facet_counts, tag_tree_counts

    fmt = check_format(fmt)
    conn = refreshed_index(no_refresh)
    rows = tag_tree_counts(conn) if tree else facet_counts(conn, facet)
    if prefix:
        low = prefix.casefold()
        rows = [r for r in rows if r[0].casefold().startswith(low)]
    if sort == "name":
        rows.sort(key=lambda r: r[0].casefold())
    elif sort != "count":
        raise typer.BadParameter("use count or name", param_hint="--sort")
    if tree and fmt == "table":
        render.emit_tree(rows)
        return
    render.emit_counts(rows, fmt, key)


@app.command()
def tags(
    prefix: Annotated[
        str | None, typer.Argument(help="Only tags starting with this.", show_default=False)
    ] = None,
    sort: Annotated[str, typer.Option("--sort", help="count or name.")] = "count",
    tree: Annotated[bool, typer.Option("--tree", help="Nested tags (a/b) as a tree.")] = False,
    fmt: FormatOpt = None,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Tags with the number of notes carrying each (a/b also counts for a with --tree)."""
    _facet("tags", "tag", fmt, sort, prefix, no_refresh, tree)


@app.command()
def authors(
    sort: Annotated[str, typer.Option("--sort", help="count or name.")] = "count",
    fmt: FormatOpt = None,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Authors with their note counts."""
    _facet("authors", "author", fmt, sort, None, no_refresh)


@app.command()
def categories(
    sort: Annotated[str, typer.Option("--sort", help="count or name.")] = "count",
    fmt: FormatOpt = None,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Categories with their note counts."""
    _facet("categories", "category", fmt, sort, None, no_refresh)
