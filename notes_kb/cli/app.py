"""The Typer app, shared options, and the one place errors become messages and exit codes."""

import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from notes_kb.errors import AmbiguousNote, ExitStatus, NotesKbError

# The order of `--help`: everyday commands first.
COMMAND_ORDER = (
    "import",
    "search",
    "list",
    "show",
    "open",
    "tags",
    "authors",
    "categories",
    "links",
    "orphans",
    "related",
    "revisit",
    "tag",
    "new",
    "status",
    "stats",
    "export",
    "watch",
    "serve",
    "reindex",
    "doctor",
    "config",
)


class Group(TyperGroup):
    """Translates every error into one line on stderr and an exit code."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(self.commands, key=lambda name: order.get(name, len(order)))

    def invoke(self, ctx: Any) -> Any:
        from notes_kb import render

        try:
            return super().invoke(ctx)
        except AmbiguousNote as exc:
            render.error(str(exc))
            for candidate in exc.candidates:
                render.info(f"  {candidate}")
            raise typer.Exit(int(exc.exit_code)) from None
        except NotesKbError as exc:
            render.error(str(exc))
            raise typer.Exit(int(exc.exit_code)) from None
        except sqlite3.OperationalError as exc:
            render.error(f"index error: {exc}")
            raise typer.Exit(int(ExitStatus.ERROR)) from None
        except sqlite3.DatabaseError as exc:
            render.error(f"the index is damaged ({exc}); run `notes-kb doctor` or import again")
            raise typer.Exit(int(ExitStatus.ERROR)) from None
        except KeyboardInterrupt:
            render.error("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise typer.Exit(0) from None
        except OSError as exc:
            render.error(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
            raise typer.Exit(int(ExitStatus.ERROR)) from None


def _quiet_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


app = typer.Typer(
    cls=Group,
    name="notes-kb",
    help="Search and curate a folder of markdown notes from the terminal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)


@dataclass
class State:
    db: Path | None = None
    refresh: bool = True


state = State()


@app.callback()
def _root(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Index file (default: $NOTES_KB_DB, the config file, or the user data folder).",
            show_default=False,
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Configuration file (default: $NOTES_KB_CONFIG or config.toml in the user "
            "config folder).",
            show_default=False,
        ),
    ] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output, no colours.")] = False,
) -> None:
    from notes_kb import config, paths, render

    config.set_options(config_file=config_file, db=db)
    state.db = paths.index_path(db)
    render.set_no_color(no_color or bool(os.environ.get("NO_COLOR")))


def db_path() -> Path:
    if state.db is None:
        from notes_kb import paths

        state.db = paths.index_path()
    return state.db


def open_index(*, create: bool = False) -> sqlite3.Connection:
    from notes_kb.store.db import connect
    from notes_kb.store.read import prepare

    return prepare(connect(db_path(), create=create))


FormatOpt = Annotated[
    str,
    typer.Option("--format", "-f", help="table, json, jsonl, csv or paths.", show_default=False),
]


def check_format(
    fmt: str | None, allowed: tuple[str, ...] = ("table", "json", "jsonl", "csv", "paths")
) -> str:
    """The output format: the option, else the configured default when this command has it."""
    if not fmt:
        from notes_kb import config

        configured = config.load().format
        return configured if configured in allowed else "table"
    if fmt not in allowed:
        raise typer.BadParameter(
            f"{fmt!r} is not one of: {', '.join(allowed)}", param_hint="--format"
        )
    return fmt
