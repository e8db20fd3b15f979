"""`tag add|remove|rename`: edits that touch only the tag lines of the notes on disk."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from conftest import write_note

SQLITE_NOTES = {
    "designing-data-intensive-applications.md",
    "duckdb-vs-sqlite.md",
    "hybrid-search-bm25-embeddings.md",
    "sqlite-fts5-notes.md",
    "sqlite-wal-mode.md",
}


@pytest.fixture
def kb(notes_copy: Path, cli):
    """The writable notes copy imported into the test's index."""
    result = cli("import", notes_copy)
    assert result.exit_code == 0, result.output
    return notes_copy


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.md"))}


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    return [
        line
        for line in difflib.ndiff(before.decode().splitlines(), after.decode().splitlines())
        if line[:2] in ("- ", "+ ")
    ]


def _list_tag(cli, tag: str) -> set[str]:
    result = cli("list", "--tag", tag, "--no-refresh", "--format", "paths")
    assert result.exit_code == 0, result.output
    return {Path(line).name for line in result.stdout.splitlines() if line.strip()}


def test_add_to_one_note_follows_block_list(kb: Path, cli) -> None:
    note = kb / "git-worktrees.md"
    before = note.read_bytes()
    result = cli("tag", "add", "workflow", note)
    assert result.exit_code == 0, result.output
    after = note.read_bytes()
    assert b"- til\n- workflow\ntitle:" in after
    assert _changed_lines(before, after) == ["+ - workflow"]
    assert _list_tag(cli, "workflow") == {note.name}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("designing-data-intensive-applications.md", "- sqlite\n- flagged\n"),  # YAML
        ("hybrid-search-bm25-embeddings.md", '"embeddings", "flagged"]'),  # JSON
        ("sqlite-wal-mode.md", '"til", "flagged"]'),  # JSON
        ("duckdb-vs-sqlite.md", "- revisit\n- flagged\n"),  # YAML
    ],
)
def test_add_by_query_in_each_syntax(kb: Path, cli, name: str, expected: str) -> None:
    before = _snapshot(kb)
    result = cli("tag", "add", "flagged", "tag:sqlite")
    assert result.exit_code == 0, result.output
    after = _snapshot(kb)
    assert {n for n in after if after[n] != before[n]} == SQLITE_NOTES
    assert expected in after[name].decode()
    assert len(_changed_lines(before[name], after[name])) <= 2
    assert _list_tag(cli, "flagged") == SQLITE_NOTES


def test_add_toml_note(kb: Path, cli) -> None:
    note = kb / "julia-autodiff-zygote-enzyme.md"
    before = note.read_bytes()
    result = cli("tag", "add", "flagged", note)
    assert result.exit_code == 0, result.output
    after = note.read_bytes()
    assert b'tags = ["julia", "autodiff", "ml", "programming", "flagged"]\n' in after
    assert _changed_lines(before, after) == [
        '- tags = ["julia", "autodiff", "ml", "programming"]',
        '+ tags = ["julia", "autodiff", "ml", "programming", "flagged"]',
    ]
    assert "flagged" in json.loads(cli("show", note, "--format", "json").stdout)["tags"]


def test_dry_run_prints_diff_and_writes_nothing(kb: Path, cli) -> None:
    before = _snapshot(kb)
    result = cli("tag", "add", "flagged", "tag:sqlite", "--dry-run")
    assert result.exit_code == 0, result.output
    assert _snapshot(kb) == before
    out = result.stdout
    for name in SQLITE_NOTES:
        assert f"--- {kb / name}" in out
        assert f"+++ {kb / name}" in out
    assert "+- flagged" in out
    assert "@@" in out
    assert "would change 5 notes" in result.output
    assert _list_tag(cli, "flagged") == set()


def test_remove_everywhere_restores_original_bytes(kb: Path, cli) -> None:
    original = _snapshot(kb)
    result = cli("tag", "add", "flagged", "tag:sqlite")
    assert result.exit_code == 0, result.output
    note = kb / "julia-autodiff-zygote-enzyme.md"
    result = cli("tag", "add", "flagged", note)
    assert result.exit_code == 0, result.output
    assert _list_tag(cli, "flagged") == {*SQLITE_NOTES, note.name}

    result = cli("tag", "remove", "flagged")
    assert result.exit_code == 0, result.output
    assert _snapshot(kb) == original
    assert _list_tag(cli, "flagged") == set()


def test_rename_changes_only_tag_lines(kb: Path, cli) -> None:
    before = _snapshot(kb)
    result = cli("tag", "rename", "til", "today-i-learned")
    assert result.exit_code == 0, result.output
    after = _snapshot(kb)
    changed = {n for n in after if after[n] != before[n]}
    assert changed == {"git-worktrees.md", "sqlite-wal-mode.md", "til-python-typing-protocols.md"}
    for name in changed:
        lines = _changed_lines(before[name], after[name])
        assert lines, name
        assert all(("til" in ln) or ("today-i-learned" in ln) for ln in lines), lines
        assert all(not ln[2:].lstrip().startswith("#") for ln in lines), lines
        assert after[name].decode().count("#til") == before[name].decode().count("#til")
    tags = cli("tags", "--format", "json")
    assert tags.exit_code == 0, tags.output
    counts = {row["tag"]: row["count"] for row in json.loads(tags.stdout)}
    assert counts.get("today-i-learned") == len(changed)


def test_broken_frontmatter_is_refused(kb: Path, cli) -> None:
    bad = write_note(kb, "broken.md", "---\ntitle: [unclosed\ntags:\n- revisit\n---\nbody\n")
    original = bad.read_bytes()
    result = cli("tag", "add", "x", bad)
    assert result.exit_code == 1, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("notes-kb: ")]
    assert len(errors) == 1, result.stderr
    assert str(bad) in errors[0]
    assert [ln for ln in result.stderr.splitlines() if "broken.md" in ln] == errors
    assert "1 refused" in result.stderr
    assert bad.read_bytes() == original


@pytest.mark.parametrize(
    "args",
    [
        ("add", "two words", "git-worktrees.md"),
        ("remove", "two words"),
        ("rename", "til", "two words"),
        ("add", "#", "git-worktrees.md"),
    ],
)
def test_invalid_tag_name(kb: Path, cli, args: tuple[str, ...]) -> None:
    before = _snapshot(kb)
    result = cli("tag", *args)
    assert result.exit_code != 0, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "not a tag" in result.stderr
    assert _snapshot(kb) == before
