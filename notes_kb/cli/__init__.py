"""The command line: a thin Typer app. Commands live one group per module."""

from __future__ import annotations

# Importing a command module registers its commands on the app.
from notes_kb.cli import cmd_doctor as cmd_doctor
from notes_kb.cli import cmd_ecosystem as cmd_ecosystem
from notes_kb.cli import cmd_engines as cmd_engines
from notes_kb.cli import cmd_import as cmd_import
from notes_kb.cli import cmd_listings as cmd_listings
from notes_kb.cli import cmd_query as cmd_query
from notes_kb.cli import cmd_revisit as cmd_revisit
from notes_kb.cli import cmd_tag as cmd_tag
from notes_kb.cli.app import app


def main() -> None:
    try:
        app(prog_name="notes-kb")
    except KeyboardInterrupt:  # before a command started; inside one, Group.invoke handles it
        raise SystemExit(130) from None


__all__ = ["app", "main"]
