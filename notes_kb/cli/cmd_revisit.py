"""`revisit`: the queue of notes to come back to, reviewed in the terminal or by command."""

import datetime as dt
import sqlite3
import sys
from typing import Annotated, Any

import typer

from notes_kb.cli.app import app, check_format
from notes_kb.cli.cmd_query import NoRefreshOpt, refreshed_index

revisit_app = typer.Typer(
    help="The queue of notes tagged revisit: list, review, add, done, snooze.",
    no_args_is_help=True,
)
app.add_typer(revisit_app, name="revisit")

NotesArg = Annotated[list[str], typer.Argument(help="Notes: path, file name, title or prefix.")]


def revisit_tag() -> str:
    from notes_kb import config

    return config.load().revisit_tag


def queue_rows(
    conn: sqlite3.Connection, *, include_snoozed: bool, today: dt.date
) -> list[dict[str, Any]]:
    from notes_kb.revisit import age_days
    from notes_kb.store import history, read

    ids = history.queue(conn, today.isoformat(), include_snoozed=include_snoozed)
    rows = read.notes_by_id(conn, ids)
    out = []
    for note_id in ids:
        row = rows[note_id]
        row["age_days"] = age_days(row["lastmod"] or row["date"], today)
        out.append(row)
    return out


@revisit_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include snoozed notes.")] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="table, json, jsonl, csv or paths.", show_default=False
        ),
    ] = None,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Notes due for a revisit, oldest first, with their age in days."""
    from notes_kb import render

    fmt = check_format(fmt)
    rows = queue_rows(refreshed_index(no_refresh), include_snoozed=all_, today=dt.date.today())
    for row in rows:
        row["age"] = "" if row["age_days"] is None else f"{row['age_days']}d"
        row["snoozed until"] = row["revisit_after"] or ""
    columns = ["title", "age", "lastmod", "path"]
    if all_:
        columns.insert(2, "snoozed until")
    noun = "note" if len(rows) == 1 else "notes"
    render.emit_notes(rows, fmt, summary=f"{len(rows)} {noun} to revisit", columns=columns)


def _targets(conn: sqlite3.Connection, refs: list[str]) -> list[tuple[str, str]]:
    from notes_kb.store import read

    out = []
    for ref in refs:
        note = read.notes_by_id(conn, [read.resolve_note(conn, ref)])
        row = next(iter(note.values()))
        out.append((row["path"], row["title"]))
    return out


def _report(result: Any, verb: str) -> None:
    from notes_kb import render
    from notes_kb.errors import ExitStatus

    for path in result.changed:
        render.info(f"{verb}: {path}")
    for path in result.unchanged:
        render.info(f"unchanged: {path}")
    for path, reason in result.refused:
        render.error(f"{path}: {reason}")
    if result.refused:
        raise typer.Exit(int(ExitStatus.ERROR))


def mark_done(conn: sqlite3.Connection, path: str, title: str) -> Any:
    from notes_kb import edit, update

    tag = revisit_tag()

    def done(text: str) -> str:
        text = edit.remove_tag(text, tag)
        text = edit.set_key(text, "revisit_after", None)
        return _clear_revisit_flag(text)

    result = update.apply(conn, [path], done)
    if result.changed:
        log_action(conn, path, title, "done")
    return result


def _clear_revisit_flag(text: str) -> str:
    """`revisit: true` marks a note too: remove that key when present."""
    from notes_kb import edit

    return edit.set_key(text, "revisit", None) if _has_key(text, "revisit") else text


def _has_key(text: str, key: str) -> bool:
    from notes_kb.parse import load, split

    try:
        fmt, fm, _body, line = split(text.removeprefix("\ufeff").replace("\r\n", "\n"))
        return key in load(fmt, fm, line)
    except Exception:
        return False


def mark_snoozed(
    conn: sqlite3.Connection, path: str, title: str, days: int | None, today: dt.date
) -> tuple[Any, str]:
    from notes_kb import edit, update
    from notes_kb.revisit import snooze_days, snooze_until
    from notes_kb.store import history

    if days is None:
        days = snooze_days(history.snooze_count(conn, path))
    until = snooze_until(today, days)
    result = update.apply(conn, [path], lambda text: edit.set_key(text, "revisit_after", until))
    if result.changed:
        log_action(conn, path, title, "snooze", until)
    return result, until


def log_action(
    conn: sqlite3.Connection, path: str, title: str, action: str, detail: str = ""
) -> None:
    """Record a review action in the history table."""
    from notes_kb.store import history
    from notes_kb.store.db import transaction

    with transaction(conn):
        history.record(conn, path, title, action, detail)


@revisit_app.command("add")
def add(notes: NotesArg, no_refresh: NoRefreshOpt = False) -> None:
    """Tag notes `revisit` so they join the queue."""
    from notes_kb import edit, update

    conn = refreshed_index(no_refresh)
    targets = _targets(conn, notes)
    result = update.apply(conn, [p for p, _t in targets], lambda t: edit.add_tag(t, revisit_tag()))
    for path, title in targets:
        if path in result.changed:
            log_action(conn, path, title, "add")
    _report(result, "added")


@revisit_app.command("done")
def done(notes: NotesArg, no_refresh: NoRefreshOpt = False) -> None:
    """Remove the `revisit` tag (and any snooze date) from notes."""
    from notes_kb.update import EditResult

    conn = refreshed_index(no_refresh)
    total = EditResult()
    for path, title in _targets(conn, notes):
        result = mark_done(conn, path, title)
        total.changed += result.changed
        total.unchanged += result.unchanged
        total.refused += result.refused
    _report(total, "done")


@revisit_app.command("snooze")
def snooze(
    args: Annotated[
        list[str],
        typer.Argument(help="Notes, then optionally an interval like 3d, 2w, 1m (default: grows)."),
    ],
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Hide notes from the queue for a while (1d, 3d, 1w, 2w, 1m... as they are snoozed again)."""
    from notes_kb.revisit import IntervalError, parse_interval
    from notes_kb.update import EditResult

    days: int | None = None
    refs = list(args)
    if len(refs) > 1:
        try:
            days = parse_interval(refs[-1])
            refs = refs[:-1]
        except IntervalError:
            days = None
    conn = refreshed_index(no_refresh)
    total = EditResult()
    today = dt.date.today()
    for path, title in _targets(conn, refs):
        result, _until = mark_snoozed(conn, path, title, days, today)
        total.changed += result.changed
        total.unchanged += result.unchanged
        total.refused += result.refused
    _report(total, "snoozed")


@revisit_app.command("history")
def history_(
    limit: Annotated[int, typer.Option("--limit", "-n", help="Most recent N entries.")] = 20,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="table or json.")] = None,
) -> None:
    """What was done in reviews, newest first."""
    from notes_kb import render
    from notes_kb.cli.app import open_index
    from notes_kb.store import history

    fmt = check_format(fmt, ("table", "json", "jsonl"))
    rows = history.entries(open_index(), limit)
    if fmt in ("json", "jsonl"):
        render.emit_records(rows, fmt)
        return
    render.emit_history(rows)


@revisit_app.command("review")
def review(no_refresh: NoRefreshOpt = False) -> None:
    """Work through the queue one note at a time: d done, s snooze, k keep, o open, n/p, q quit."""
    from notes_kb import render
    from notes_kb.errors import ExitStatus

    if not sys.stdin.isatty() or not sys.stdout.isatty():
        render.error(
            "revisit review needs a terminal; use `revisit list`, `revisit done` or "
            "`revisit snooze` from scripts"
        )
        raise typer.Exit(int(ExitStatus.USAGE))
    from notes_kb.cli.review import run_review

    run_review(refreshed_index(no_refresh))
