"""`notes-kb export`: every field of the selected notes as json, jsonl or csv."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from conftest import Invoke, open_db, write_note

from notes_kb.store.export import EXPORT_FIELDS


def test_export_json_has_every_note_with_all_metadata(
    cli: Invoke, indexed: Path, notes_dir: Path
) -> None:
    result = cli("export", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 25
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    assert all(list(r) == list(EXPORT_FIELDS) for r in rows)
    worktrees = next(r for r in rows if r["path"].endswith("git-worktrees.md"))
    assert worktrees["meta"] == {
        "author": ["Git documentation"],
        "categories": "tools",
        "draft": False,
        "lastmod": "2023-05-04T10:30:00+02:00",
        "tags": ["git", "tools", "til"],
        "title": "Git worktrees for parallel branches",
        "links": ["https://git-scm.com/docs/git-worktree"],
    }
    assert worktrees["title"] == "Git worktrees for parallel branches"
    assert worktrees["authors"] == ["Git documentation"]
    assert worktrees["format"] == "yaml"
    assert worktrees["source"] == str(notes_dir)
    assert worktrees["body"].lstrip().startswith("#til `git worktree`")
    assert {"kind": "url", "target": "https://git-scm.com/docs/git-worktree"}.items() <= (
        worktrees["links"][0].items()
    )


def test_export_selects_with_the_query_language(cli: Invoke, indexed: Path) -> None:
    result = cli("export", "--format", "jsonl", "tag:julia -is:draft")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    conn = open_db(indexed)
    expected = {
        p
        for (p,) in conn.execute(
            "SELECT path FROM notes n WHERE draft = 0 AND EXISTS (SELECT 1 FROM note_tags t "
            "WHERE t.note_id = n.id AND (t.tag_lc = 'julia' OR t.tag_lc LIKE 'julia/%'))"
        )
    }
    assert expected and {r["path"] for r in rows} == expected
    listed = cli("list", "--no-refresh", "-f", "paths", "--", "tag:julia", "-is:draft")
    assert set(listed.stdout.splitlines()) == expected


def test_export_words_can_be_sorted_by_relevance(cli: Invoke, indexed: Path) -> None:
    result = cli("export", "-f", "jsonl", "--sort", "relevance", "autodiff")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    searched = cli("search", "--no-refresh", "-f", "paths", "--limit", "100", "autodiff")
    assert [r["path"] for r in rows] == searched.stdout.splitlines()


def test_export_csv_round_trips_bodies_and_metadata(
    cli: Invoke, tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "nb"
    body = 'Line one, with "quotes";\nline two\n\n- a list\n'
    write_note(folder, "n.md", f"---\ntitle: T\ntags: [a, b]\nweight: 3\n---\n{body}")
    assert cli("import", folder).exit_code == 0
    result = cli("export", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == list(EXPORT_FIELDS)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["body"].lstrip("\n") == body
    assert record["body"] == json.loads(cli("export").stdout)[0]["body"]
    assert json.loads(record["tags"]) == ["a", "b"]
    assert json.loads(record["meta"]) == {"title": "T", "tags": ["a", "b"], "weight": 3}
    assert record["draft"] == "false"


def test_export_of_nothing(cli: Invoke, indexed: Path) -> None:
    assert json.loads(cli("export", "zzzznothing").stdout) == []
    assert cli("export", "-f", "jsonl", "zzzznothing").stdout == ""
    assert cli("export", "-f", "csv", "zzzznothing").stdout.splitlines() == [
        ",".join(EXPORT_FIELDS)
    ]


def test_export_errors(cli: Invoke, indexed: Path) -> None:
    bad_format = cli("export", "--format", "table")
    assert bad_format.exit_code == 2
    bad_query = cli("export", "(unclosed")
    assert bad_query.exit_code == 2
    assert len(bad_query.stderr.strip().splitlines()) == 1
