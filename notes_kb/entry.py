"""The console scripts' entry point: Ctrl-C is answered quietly from the very start.

Loading the command line (Typer, Rich, every command) takes a good part of a second's
tenth; an interrupt during it would otherwise print a traceback from an import.
"""

from __future__ import annotations


def main() -> None:
    try:
        from notes_kb.cli import main as run
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    run()
