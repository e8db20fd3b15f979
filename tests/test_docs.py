"""Docs are tested: every command has help text and is in the README."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from conftest import REPO

README = REPO / "README.md"


def _commands() -> list[tuple[str, Any]]:
    from notes_kb.cli import app

    found: list[tuple[str, Any]] = []

    def walk(group: Any, prefix: list[str]) -> None:
        # typer ships its own copy of click: recognise groups by their commands.
        commands = getattr(group, "commands", None)
        if isinstance(commands, dict):
            for name, command in commands.items():
                found.append((" ".join([*prefix, name]), command))
                walk(command, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()


def test_there_are_commands() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"import", "list", "search", "show", "tags", "status"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_text(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"`{name}` has no help text (a docstring)"
    first = command.help.strip().splitlines()[0]
    assert len(first) >= 10, f"`{name}`: help text {first!r} says too little"
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            assert (param.help or "").strip(), f"`{name}` option {param.opts} has no help text"


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_command_is_in_the_readme(name: str) -> None:
    if not README.exists():
        pytest.skip("README.md is not written yet")
    text = README.read_text(encoding="utf-8")
    words = r"\s+".join(re.escape(w) for w in name.split())
    # `nkb name ...` in an example, or `name` in backticks (the command table).
    pattern = rf"(?:(?:nkb|notes-kb)\s+|`){words}(?![\w-])"
    assert re.search(pattern, text), f"README.md does not mention `{name}`"
