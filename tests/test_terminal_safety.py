"""Terminal safety: text from notes never reaches the terminal as markup or control codes.

Titles, tags, authors, categories, bodies, links and file names below carry Rich markup,
ANSI/OSC escape sequences (colour, OSC 52 clipboard, OSC 8 hyperlinks), BEL, CR and the C1
control CSI (U+009B). Every output mode must show the markup literally and neutralise the
controls; JSON keeps the exact strings (escaped by JSON).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Invoke = Callable[..., Any]

ESC, BEL = "\x1b", "\x07"
MARKUP = "[bold red]x[/] [link=http://evil.example]click[/link]"
HOSTILE = (
    f"{MARKUP} {ESC}[31mred{ESC}[0m {ESC}]52;c;cHduZWQ={BEL} "
    f"{ESC}]8;;http://evil.example{ESC}\\hyper{ESC}]8;;{ESC}\\ bell{BEL} cr\rX c1\x9b31m"
)
TITLE = f"T {HOSTILE}"
EVIL_NAME = f"name {ESC}[31mred{ESC}[0m {BEL}.md"
# Raw control characters that must never reach a terminal (ESC, BEL, CR, C1 controls).
FORBIDDEN = re.compile("[\x1b\x07\r\x80-\x9f]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # Rich's own styling, allowed on a forced terminal only


def _note(title: str, tags: list[str], author: str, categories: list[str], body: str) -> str:
    return (
        "---\n"
        f"title: {json.dumps(title)}\n"
        f"tags: {json.dumps(tags)}\n"
        f"author: {json.dumps(author)}\n"
        f"categories: {json.dumps(categories)}\n"
        "---\n"
        f"{body}"
    )


@pytest.fixture
def evil(tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notebook full of hostile text, imported; returns the notes folder."""
    monkeypatch.setenv("COLUMNS", "400")  # no folding: markup must be findable verbatim
    notes = tmp_path / "notes"
    notes.mkdir()
    body = (
        f"# H {HOSTILE}\n\nsearchword body {HOSTILE}\n\n"
        f"[link {HOSTILE}](http://evil.example/{ESC}[31m) and [[wiki {ESC}]52;c;aGk={BEL}]] "
        f"https://x.example/{ESC}[2J\n\n```\ncode {HOSTILE}\n```\n"
    )
    (notes / "evil.md").write_text(
        _note(TITLE, [f"tag{HOSTILE}", "plain"], f"A {HOSTILE}", [f"C {HOSTILE}"], body)
    )
    (notes / EVIL_NAME).write_text(f'---\ntitle: "broken: [\n---\nsearchword {HOSTILE}\n')
    (notes / "other.md").write_text("---\ntitle: Other\n---\nsee [[evil]] searchword\n")
    result = cli("import", notes)
    assert result.exit_code == 0, result.output
    _assert_clean(result.stdout + result.stderr)
    return notes


def _assert_clean(text: str, *, terminal: bool = False) -> None:
    if terminal:
        text = SGR.sub("", text)
    bad = FORBIDDEN.search(text)
    assert bad is None, f"raw {bad.group()!r} in output: {text[max(0, bad.start() - 60) :][:120]!r}"


COMMANDS: list[tuple[str, ...]] = [
    ("list",),
    ("list", "--format", "csv"),
    ("list", "--format", "paths"),
    ("search", "searchword"),
    ("search", "bold"),
    ("search", "searchword", "--format", "csv"),
    ("show", "evil"),
    ("show", "evil", "--raw"),
    ("tags",),
    ("tags", "--tree"),
    ("tags", "--format", "csv"),
    ("authors",),
    ("categories",),
    ("links",),
    ("links", "evil"),
    ("links", "--broken"),
    ("links", "--broken", "--format", "csv"),
    ("links", "--broken", "--format", "paths"),
    ("orphans",),
]
SHOWS_MARKUP = {
    ("list",),
    ("list", "--format", "csv"),
    ("search", "searchword"),
    ("search", "bold"),
    ("show", "evil"),
    ("show", "evil", "--raw"),
    ("tags",),
    ("authors",),
    ("categories",),
}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_plain_output_neutralises_controls(evil: Path, cli: Invoke, args: tuple[str, ...]) -> None:
    result = cli(*args, "--no-refresh")
    assert result.exit_code == 0, result.output
    _assert_clean(result.stdout)
    _assert_clean(result.stderr)
    if args in SHOWS_MARKUP:
        assert "[bold red]x[/]" in result.stdout
        assert "[link=http://evil.example]click[/link]" in result.stdout


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_forced_terminal_output_has_only_rich_styling(
    evil: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    from notes_kb import render

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(render, "stdout_is_terminal", lambda: True)
    result = cli(*args, "--no-refresh")
    assert result.exit_code == 0, result.output
    _assert_clean(result.stdout, terminal=True)
    _assert_clean(result.stderr, terminal=True)
    if args in SHOWS_MARKUP and "--format" not in args and "--raw" not in args:
        assert SGR.search(result.stdout), "expected styled output on a terminal"
        assert "[bold red]x[/]" in SGR.sub("", result.stdout)


def test_table_shows_controls_as_visible_symbols(evil: Path, cli: Invoke) -> None:
    result = cli("list", "--no-refresh")
    assert "\u241b[31mred\u241b[0m" in result.stdout  # ␛ instead of ESC
    assert "bell\u2407" in result.stdout  # ␇ instead of BEL


def test_csv_cells_are_the_neutralised_text(evil: Path, cli: Invoke) -> None:
    result = cli("list", "--format", "csv", "--no-refresh")
    rows = {r["path"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    row = rows[str(evil / "evil.md")]
    assert row["title"].startswith(f"T {MARKUP} \u241b[31mred")
    assert "\x1b" not in row["tags"] and f"tag{MARKUP}" in row["tags"]


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_keeps_the_exact_strings(evil: Path, cli: Invoke, fmt: str) -> None:
    result = cli("list", "--format", fmt, "--no-refresh")
    assert result.exit_code == 0, result.output
    for char in (ESC, BEL, "\r"):
        assert char not in result.stdout  # escaped by JSON as \u001b, \u0007, \r
    if fmt == "json":
        rows = json.loads(result.stdout)
    else:
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    evil_row = next(r for r in rows if r["path"].endswith("/evil.md"))
    assert evil_row["title"] == TITLE
    assert f"tag{HOSTILE}" in evil_row["tags"]
    assert evil_row["authors"] == [f"A {HOSTILE}"]
    assert any(r["path"].endswith(EVIL_NAME) for r in rows)


def test_show_json_keeps_the_exact_body(evil: Path, cli: Invoke) -> None:
    result = cli("show", "evil", "--format", "json", "--no-refresh")
    assert result.exit_code == 0, result.output
    for char in (ESC, BEL, "\r"):
        assert char not in result.stdout
    detail = json.loads(result.stdout)
    # The body is stored as parsed: CR line breaks become LF, nothing else changes.
    assert f"searchword body {HOSTILE}".replace("\r", "\n") in detail["body"]
    assert detail["title"] == TITLE


@pytest.mark.parametrize(
    "args",
    [
        ("show", f"{ESC}[31mnothing{BEL}"),
        ("show", f"{ESC}]52;c;eA=={BEL}"),
        ("list", "--where", f"{ESC}]52;c;eA=={BEL}>=3"),
        ("search", f"{ESC}[31m AND"),
        ("search", f"tag:{ESC}[2J\r\x9b("),
        ("list", f"--{ESC}[31m"),
        ("list", "--sort", f"\x9b31m{BEL}"),
        ("list", "--format", f"{ESC}[5m"),
        ("links", f"{ESC}[31mnothing"),
    ],
    ids=lambda a: " ".join(a).encode("unicode_escape").decode(),
)
def test_error_messages_neutralise_controls(
    evil: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    for terminal in (False, True):
        if terminal:
            monkeypatch.delenv("NO_COLOR", raising=False)
            monkeypatch.setenv("FORCE_COLOR", "1")
        result = cli(*args, "--no-refresh")
        assert result.exit_code != 0
        assert result.stderr.strip()
        _assert_clean(result.stdout, terminal=terminal)
        _assert_clean(result.stderr, terminal=terminal)


def test_error_about_an_index_path_with_controls(tmp_path: Path, cli: Invoke) -> None:
    result = cli("list", db=tmp_path / f"{ESC}]52;c;eA=={BEL}" / "x.db")
    assert result.exit_code == 1
    _assert_clean(result.stderr)
    assert "no index at" in result.stderr


def test_import_warnings_neutralise_file_names(evil: Path, cli: Invoke, tmp_path: Path) -> None:
    result = cli("import", evil, "--full", db=tmp_path / "again.db")
    assert result.exit_code == 0, result.output
    _assert_clean(result.stderr)
    assert "name \u241b[31mred\u241b[0m \u2407.md: invalid YAML" in result.stderr


def test_doctor_lists_hostile_paths_safely(evil: Path, cli: Invoke) -> None:
    result = cli("doctor")
    assert result.exit_code == 0, result.output
    _assert_clean(result.stdout)
    assert "name \u241b[31mred" in result.stdout
    as_json = cli("doctor", "--format", "json")
    for char in (ESC, BEL, "\r"):
        assert char not in as_json.stdout
    problems = next(
        c for c in json.loads(as_json.stdout)["checks"] if c["check"] == "note problems"
    )
    assert any(EVIL_NAME in d for d in problems["details"])
