"""Around the index: config, new, watch, serve, stats, export."""

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from notes_kb.cli.app import app, check_format, db_path, open_index
from notes_kb.cli.cmd_query import NoRefreshOpt, refreshed_index

if TYPE_CHECKING:
    from notes_kb.config import Config


def _config(ctx: typer.Context) -> "Config":
    """The effective configuration, with the global options of this invocation applied."""
    from notes_kb import config

    root = ctx.find_root().params
    config.set_options(config_file=root.get("config_file"), db=root.get("db"))
    return config.load()


# -- config --------------------------------------------------------------------------------


@app.command("config")
def config_(
    ctx: typer.Context,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="table or json.")] = None,
) -> None:
    """The effective configuration and where each value came from.

    Values come from a command-line option, the environment, config.toml in the user
    config folder (or --config FILE / $NOTES_KB_CONFIG), or the built-in default.
    """
    from notes_kb import config, render

    fmt = check_format(fmt, ("table", "json"))
    cfg = _config(ctx)
    file, file_origin, _required = config.config_file()
    if fmt == "json":
        render.emit_json(
            {
                "file": str(file),
                "file_exists": cfg.file is not None,
                "values": {
                    key: {
                        "value": value,
                        "source": cfg.source_of(key),
                        "detail": cfg.origin_of(key).detail,
                    }
                    for key, value in cfg.as_dict().items()
                },
            }
        )
        return
    state = "" if cfg.file is not None else " (not found: built-in defaults)"
    named = f", from {file_origin}" if file_origin.kind != "default" else ""
    rows = [(k, v, _origin(cfg, k)) for k, v in cfg.as_dict().items()]
    render.emit_config(rows, f"config file: {file}{state}{named}")


def _origin(cfg: "Config", key: str) -> str:
    origin = cfg.origin_of(key)
    return origin.kind if origin.kind == "file" else str(origin)  # the file is named above


# -- new -----------------------------------------------------------------------------------


@app.command("new")
def new(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The note's title.", show_default=False)],
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable).")
    ] = None,
    author: Annotated[
        list[str] | None, typer.Option("--author", "-a", help="An author (repeatable).")
    ] = None,
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            "-d",
            help="Folder for the note (default: the first configured source, else here).",
            show_default=False,
        ),
    ] = None,
    no_edit: Annotated[bool, typer.Option("--no-edit", help="Do not open an editor.")] = False,
) -> None:
    """Create a draft note (slug.md, never overwriting), index it, open it in the editor.

    Prints the new file's path. The editor is $NOTES_KB_EDITOR, `editor` in config.toml,
    $VISUAL or $EDITOR, in that order.
    """
    from notes_kb import newnote, render
    from notes_kb.errors import NotesKbError

    if not title.strip():
        raise typer.BadParameter("the title is empty", param_hint="TITLE")
    cfg = _config(ctx)
    target_dir = folder or (Path(cfg.sources[0]) if cfg.sources else Path.cwd())
    text = newnote.frontmatter(title.strip(), tags=tag or (), authors=author or ())
    path = newnote.create(target_dir.expanduser(), newnote.slugify(title), text)
    conn = open_index(create=True)
    newnote.index_file(conn, db_path(), path, revisit_tag=cfg.revisit_tag)
    if not no_edit:
        try:
            _edit(cfg.editor, path)
        except NotesKbError:
            render.write(f"{path}\n")
            raise
        newnote.index_file(conn, db_path(), path, revisit_tag=cfg.revisit_tag)
    render.write(f"{path}\n")


def _edit(editor: str, path: Path) -> None:
    import shlex
    import subprocess

    from notes_kb.errors import NotesKbError

    try:
        argv = shlex.split(editor)
    except ValueError as exc:
        raise NotesKbError(f"cannot parse the editor command {editor!r}: {exc}") from exc
    try:
        result = subprocess.run([*argv, str(path)], check=False)
    except OSError as exc:
        raise NotesKbError(
            f"cannot start the editor {editor!r} ({exc.strerror or exc}); "
            "set `editor` in config.toml or $EDITOR"
        ) from exc
    if result.returncode != 0:
        raise NotesKbError(f"the editor {editor!r} exited with status {result.returncode}")


# -- watch ---------------------------------------------------------------------------------


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT and SIGTERM set the event instead of interrupting an import half-way."""
    stop = threading.Event()

    def handler(_signum: int, _frame: Any) -> None:
        stop.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, previous in old.items():
            signal.signal(s, previous)


@app.command()
def watch(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Folders to watch (default: the imported and configured sources).",
            show_default=False,
        ),
    ] = None,
    debounce: Annotated[
        int, typer.Option("--debounce", help="Milliseconds of quiet before importing.", min=0)
    ] = 200,
) -> None:
    """Keep the index current as notes are created, changed, moved and deleted.

    Runs until Ctrl-C (or SIGTERM), then prints a one-line summary.
    """
    from notes_kb import render
    from notes_kb.errors import ExitStatus
    from notes_kb.importer import sources
    from notes_kb.model import ImportReport
    from notes_kb.watch import MAX_DELAY, Watcher, distinct_roots

    cfg = _config(ctx)
    missing = [str(p) for p in paths or [] if not p.exists()]
    if missing:
        render.error(f"no such file or folder: {missing[0]}")
        raise typer.Exit(int(ExitStatus.USAGE))
    conn = open_index(create=True)
    if paths:
        candidates = [str(p) for p in paths]
    else:
        candidates = [*sources(conn), *cfg.sources]
        for gone in [c for c in candidates if not os.path.exists(c)]:
            render.warn(f"source not found, not watched: {gone}")
        candidates = [c for c in candidates if os.path.exists(c)]
    roots = distinct_roots(candidates)
    if not roots:
        render.error("nothing to watch: give a folder, import one, or set `sources` in config")
        raise typer.Exit(int(ExitStatus.USAGE))

    def reported(changed: list[str], report: ImportReport) -> None:
        for failure in report.failed:
            render.warn(f"{failure.path}: {failure.error}")
        if report.changed or report.failed:
            where = ", ".join(_short(r) for r in changed)
            render.info(f"{where}: {report}")

    with _stop_on_signals() as stop:
        watcher = Watcher(
            conn,
            db_path(),
            roots,
            exclude=cfg.exclude,
            revisit_tag=cfg.revisit_tag,
            debounce=debounce / 1000,
            max_delay=max(MAX_DELAY, 4 * debounce / 1000),
            on_import=reported,
            warn=render.warn,
            stop=stop,
        )

        def ready(initial: ImportReport) -> None:
            reported(roots, initial)
            render.info(f"watching {', '.join(_short(r) for r in roots)} (Ctrl-C to stop)")

        summary = watcher.run(on_ready=ready)
    render.info(str(summary))


def _short(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


# -- serve ---------------------------------------------------------------------------------


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", help="Port (0: any free port).")] = 8001,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Browse the index in Datasette: search, tag and author facets, rendered bodies.

    Serves a read-only snapshot of the index taken at start; restart to see later changes.
    """
    from notes_kb import render
    from notes_kb import serve as web

    if not 0 <= port <= 65535:
        raise typer.BadParameter("must be between 0 and 65535", param_hint="--port")
    refreshed_index(no_refresh).close()
    if not web.is_loopback(host):
        render.warn(f"listening on {host}: anyone who can reach this machine can read the notes")

    def ready(url: str) -> None:
        render.info(f"serving {url} (read-only snapshot; Ctrl-C to stop)")

    web.serve(db_path(), host=host, port=port, on_ready=ready)
    render.info("stopped")


# -- stats ---------------------------------------------------------------------------------


@app.command()
def stats(
    ctx: typer.Context,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="table or json.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many tags and authors.", min=1)] = 10,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Notes, drafts, the revisit queue, top tags and authors, notes per month."""
    from notes_kb import render
    from notes_kb.stats import collect

    if fmt is None:
        configured = _config(ctx).format
        fmt = configured if configured == "json" else "table"
    fmt = check_format(fmt, ("table", "json"))
    data = collect(refreshed_index(no_refresh), top=top).as_dict()
    if fmt == "json":
        render.emit_json(data)
    else:
        render.emit_stats(data)


# -- export --------------------------------------------------------------------------------


@app.command()
def export(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            help="Optional query (see `search`); default: every note.", show_default=False
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, jsonl or csv.")] = "json",
    sort: Annotated[
        str, typer.Option("--sort", help="path, lastmod, title or relevance.")
    ] = "path",
    reverse: Annotated[bool, typer.Option("--reverse", help="Reverse the order.")] = False,
    no_refresh: NoRefreshOpt = False,
) -> None:
    """Every field of the selected notes: metadata, the full frontmatter (meta) and the body."""
    from notes_kb import render
    from notes_kb.query import parse_query
    from notes_kb.store.export import EXPORT_FIELDS, export_notes
    from notes_kb.store.querysql import compile_query
    from notes_kb.store.read import SORTS

    fmt = check_format(fmt, ("json", "jsonl", "csv"))
    if sort not in SORTS:
        raise typer.BadParameter(f"{sort!r} is not one of: {', '.join(SORTS)}", param_hint="--sort")
    compiled = compile_query(parse_query(" ".join(query or [])))
    rows = export_notes(refreshed_index(no_refresh), compiled, sort=sort, reverse=reverse)
    render.emit_export(rows, fmt, EXPORT_FIELDS)
