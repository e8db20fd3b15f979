"""`import` and `status`."""

from pathlib import Path
from typing import Annotated, Any

import typer

from notes_kb.cli.app import app, check_format, db_path, open_index
from notes_kb.cli.progress import progress_bar
from notes_kb.errors import ExitStatus


@app.command("import")
def import_(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders or files of notes (default: the configured sources).",
            show_default=False,
        ),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Re-parse every note.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 3 if any file failed.")] = False,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Skip files or folders matching a glob.")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="table or json.")] = None,
) -> None:
    """Index notes folders (incremental: only changed files are read)."""
    from notes_kb import config, render
    from notes_kb.importer import guarded_import

    fmt = check_format(fmt, ("table", "json"))
    cfg = config.load()
    if not paths:
        paths = [Path(p) for p in cfg.sources]
        if not paths:
            render.error("no folder given and no `sources` in the configuration")
            raise typer.Exit(int(ExitStatus.USAGE))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        render.error(f"no such file or folder: {missing[0]}")
        raise typer.Exit(int(ExitStatus.USAGE))
    conn = open_index(create=True)
    with progress_bar("importing", minimum=1) as progress:
        report = guarded_import(
            conn,
            db_path(),
            [str(p) for p in paths],
            full=full,
            exclude=[*cfg.exclude, *(exclude or ())],
            progress=progress,
            revisit_tag=cfg.revisit_tag,
            on_wait=lambda: render.info(f"waiting for another import on {db_path()} to finish…"),
        )
    if fmt == "json":
        render.emit_json(report.as_dict())
    else:
        for failure in report.failed:
            render.warn(f"{failure.path}: {failure.error}")
        render.info(str(report))
    if strict and report.failed:
        raise typer.Exit(int(ExitStatus.PARTIAL))


@app.command()
def status(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Where the index is, what it holds, and when each source was imported."""
    from notes_kb import render
    from notes_kb.store.read import status as read_status

    fmt = check_format(fmt, ("table", "json"))
    path = db_path()
    info: dict[str, Any]
    if not path.exists():
        info = {"index": str(path), "exists": False, "notes": 0, "sources": []}
    else:
        info = {"index": str(path), "exists": True, **read_status(open_index())}
    if fmt == "json":
        render.emit_json(info)
        return
    lines = [f"index: {info['index']}" + ("" if info["exists"] else " (not created yet)")]
    if info["exists"]:
        lines.append(
            f"notes: {info['notes']}  tags: {info['tags']}  authors: {info['authors']}  "
            f"links: {info['links']}  drafts: {info['drafts']}  revisit: {info['revisit']}"
        )
        if info["with_errors"]:
            lines.append(f"notes with unreadable frontmatter: {info['with_errors']}")
        for src in info["sources"]:
            lines.append(
                f"source: {src['path']}  ({src['notes']} notes, imported {src['last_import']})"
            )
    for line in lines:
        render.write(render.safe_line(line) + "\n")
