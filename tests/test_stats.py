"""`notes-kb stats`: the numbers (checked against the index itself) and their display."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import Invoke, open_db, write_note

from notes_kb.stats import collect, fill_months


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], []),
        ([("2024-03", 2)], [("2024-03", 2)]),
        (
            [("2023-11", 1), ("2024-02", 3)],
            [("2023-11", 1), ("2023-12", 0), ("2024-01", 0), ("2024-02", 3)],
        ),
    ],
)
def test_fill_months(rows: list[tuple[str, int]], expected: list[tuple[str, int]]) -> None:
    assert fill_months(rows) == expected


def test_stats_json_matches_the_index(cli: Invoke, indexed: Path) -> None:
    result = cli("stats", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    conn = open_db(indexed)

    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    assert data["notes"] == one("SELECT count(*) FROM notes") == 25
    assert data["drafts"] == one("SELECT count(*) FROM notes WHERE draft = 1")
    assert data["revisit"]["total"] == one("SELECT count(*) FROM notes WHERE revisit = 1")
    assert data["revisit"]["due"] + data["revisit"]["snoozed"] == data["revisit"]["total"]
    tag_counts = dict(
        conn.execute("SELECT tag_lc, count(DISTINCT note_id) FROM note_tags GROUP BY tag_lc")
    )
    assert len(data["top_tags"]) == 10
    counts = [t["count"] for t in data["top_tags"]]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == max(tag_counts.values())
    for entry in data["top_tags"]:
        assert tag_counts[entry["tag"].casefold()] == entry["count"]
    assert data["top_authors"][0] == {"author": "Vasken Dermardiros", "count": 2}
    months = data["notes_per_month"]
    assert sum(m["count"] for m in months) + data["undated"] == data["notes"]
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)
    assert data["undated"] == one(
        "SELECT count(*) FROM notes WHERE coalesce(lastmod, date) IS NULL"
    )


def test_months_use_lastmod_then_date_and_revisit_splits_due_and_snoozed(
    cli: Invoke, tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "nb"
    write_note(folder, "a.md", "---\ntitle: A\nlastmod: 2024-01-15\ndate: 2020-01-01\n---\n")
    write_note(folder, "b.md", "---\ntitle: B\ndate: 2024-03-02\n---\n")
    write_note(folder, "c.md", "---\ntitle: C\ntags: [revisit]\n---\n")
    write_note(folder, "d.md", "---\ntitle: D\nrevisit: true\nrevisit_after: 2999-01-01\n---\n")
    assert cli("import", folder).exit_code == 0
    stats = collect(open_db(db_path), today=dt.date(2025, 1, 1))
    assert stats.months == [("2024-01", 1), ("2024-02", 0), ("2024-03", 1)]
    assert stats.undated == 2
    assert (stats.revisit, stats.revisit_due, stats.revisit_snoozed) == (2, 1, 1)


def test_stats_table_draws_bars_and_a_histogram(cli: Invoke, indexed: Path) -> None:
    result = cli("stats")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("notes 25   drafts ")
    assert "top tags" in out and "top authors" in out and "notes per month" in out
    tag_lines = out.split("top tags")[1].split("top authors")[0].strip().splitlines()
    assert len(tag_lines) == 10
    assert all("█" in line for line in tag_lines)
    hist = out.split("notes per month")[1].splitlines()
    assert any("└" in line for line in hist)
    assert any(line.strip().startswith("2021") or " 2022 " in line for line in hist)
    assert max(len(line) for line in out.splitlines()) <= 100


def test_stats_on_an_empty_index(cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert cli("import", tmp_path / "empty").exit_code == 0
    result = cli("stats")
    assert result.exit_code == 0, result.output
    assert "(none)" in result.stdout and "(no dated notes)" in result.stdout
    data = json.loads(cli("stats", "-f", "json").stdout)
    assert data["notes"] == 0 and data["notes_per_month"] == []


def test_stats_without_an_index_says_so(cli: Invoke) -> None:
    result = cli("stats")
    assert result.exit_code == 1
    assert "no index" in result.stderr
