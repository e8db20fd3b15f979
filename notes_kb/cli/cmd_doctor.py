"""`doctor`: check the index and repair it."""

from typing import Annotated

import typer

from notes_kb.cli.app import app, check_format, db_path, open_index
from notes_kb.errors import ExitStatus, ImportLocked


@app.command()
def doctor(
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report problems; change nothing.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Check the index (file, full-text index, orphaned rows, vanished files) and repair it.

    Exits 0 when the index is healthy or was repaired, 1 when a problem remains.
    Notes whose frontmatter has problems are listed; fix those in the notes themselves.
    """
    from notes_kb import render
    from notes_kb.doctor import run_doctor
    from notes_kb.importer import import_lock

    fmt = check_format(fmt, ("table", "json"))
    path = db_path()
    conn = open_index()
    with import_lock(path, wait=False) as locked:
        if not locked:
            raise ImportLocked(f"an import is running on {path}; run doctor when it has finished")
        report = run_doctor(conn, path, repair=not check_only)
    if fmt == "json":
        render.emit_json(report.as_dict())
    else:
        render.write("".join(render.safe_line(line) + "\n" for line in str(report).splitlines()))
    if not report.healthy:
        raise typer.Exit(int(ExitStatus.ERROR))
