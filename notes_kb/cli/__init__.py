"""The command line: a thin Typer app. Commands live one group per module."""

from __future__ import annotations

from notes_kb.cli import cmd_import, cmd_listings, cmd_query  # noqa: F401  (registers commands)
from notes_kb.cli.app import app


def main() -> None:
    app(prog_name="notes-kb")


__all__ = ["app", "main"]
