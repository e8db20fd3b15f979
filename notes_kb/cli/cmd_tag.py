"""`tag add|remove|rename`: batch tag edits that change only the tag lines of each note."""

import sqlite3
from typing import TYPE_CHECKING, Annotated

import typer

from notes_kb.cli.app import app
from notes_kb.cli.cmd_query import NoRefreshOpt, refreshed_index

if TYPE_CHECKING:
    from notes_kb.update import Edit

tag_app = typer.Typer(
    help="Add, remove or rename tags in the notes themselves.", no_args_is_help=True
)
app.add_typer(tag_app, name="tag")

TargetsArg = Annotated[
    list[str],
    typer.Argument(help="Notes (path, file name, title) or a query like 'tag:x has:tags'."),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show the diff of each file; write nothing.")
]


def select(conn: sqlite3.Connection, targets: list[str]) -> list[str]:
    """Paths of the notes named; if the words are not all note names, they are one query."""
    from notes_kb.errors import NotesKbError
    from notes_kb.query import parse_query
    from notes_kb.store import read
    from notes_kb.store.querysql import compile_query

    paths: list[str] = []
    try:
        for ref in targets:
            note_id = read.resolve_note(conn, ref)
            paths.append(read.notes_by_id(conn, [note_id])[note_id]["path"])
        return paths
    except NotesKbError:
        pass
    rows = read.find(
        conn, compile_query(parse_query(" ".join(targets))), sort="path", snippets=False
    )
    return [r["path"] for r in rows]


def _run(
    conn: sqlite3.Connection, paths: list[str], edit: "Edit", dry_run: bool, verb: str
) -> None:
    from notes_kb import render, update
    from notes_kb.errors import ExitStatus

    result = update.apply(conn, paths, edit, dry_run=dry_run)
    if dry_run:
        for diff in result.diffs:
            render.write(render.safe(diff, multiline=True))
    for path, reason in result.refused:
        render.error(f"{path}: {reason}")
    what = "would change" if dry_run else verb
    render.info(
        f"{what} {len(result.changed)} note{'' if len(result.changed) == 1 else 's'}, "
        f"{len(result.unchanged)} already right, {len(result.refused)} refused"
    )
    if result.refused:
        raise typer.Exit(int(ExitStatus.ERROR))


@tag_app.command("add")
def add(
    tag: Annotated[str, typer.Argument(help="The tag to add.")],
    targets: TargetsArg,
    dry_run: DryRunOpt = False,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Add TAG to the notes named, or to every note matching a query."""
    from notes_kb import edit

    tag = _clean(tag)
    conn = refreshed_index(no_refresh)
    _run(conn, select(conn, targets), lambda text: edit.add_tag(text, tag), dry_run, "changed")


@tag_app.command("remove")
def remove(
    tag: Annotated[str, typer.Argument(help="The tag to remove (any case).")],
    targets: Annotated[
        list[str] | None, typer.Argument(help="Notes or a query (default: every note with TAG).")
    ] = None,
    dry_run: DryRunOpt = False,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Remove TAG from the notes named, a query's notes, or every note that has it."""
    from notes_kb import edit
    from notes_kb.query import Field, to_string

    tag = _clean(tag)
    conn = refreshed_index(no_refresh)
    chosen = targets or [to_string(Field("tag", ":", tag))]
    _run(conn, select(conn, chosen), lambda text: edit.remove_tag(text, tag), dry_run, "changed")


@tag_app.command("rename")
def rename(
    old: Annotated[str, typer.Argument(help="The tag to rename (any case).")],
    new: Annotated[str, typer.Argument(help="The new name.")],
    dry_run: DryRunOpt = False,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Rename a tag in every note that has it (frontmatter tags only)."""
    from notes_kb import edit

    old, new = _clean(old), _clean(new)
    conn = refreshed_index(no_refresh)
    paths = [
        p
        for (p,) in conn.execute(
            "SELECT DISTINCT n.path FROM notes n JOIN note_tags t ON t.note_id = n.id "
            "WHERE t.tag_lc = ? ORDER BY n.path",
            (old.casefold(),),
        )
    ]
    _run(conn, paths, lambda text: edit.rename_tag(text, old, new), dry_run, "changed")


def _clean(tag: str) -> str:
    from notes_kb.errors import NotesKbError

    value = tag.strip().lstrip("#").strip()
    if not value or any(ch.isspace() for ch in value):
        raise NotesKbError(f"{tag!r} is not a tag: tags are single words (a/b nesting allowed)")
    return value
