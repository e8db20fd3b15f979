"""The command line through typer's CliRunner (plus the installed entry points, once each)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import REPO, Invoke, write_note

from notes_kb.model import Note
from notes_kb.parse import parse_bytes

FORMATS_WITH_ROWS = ("json", "jsonl", "csv", "paths")


def sample_notes(notes_dir: Path) -> dict[str, Note]:
    """The sample notebook parsed directly: the expectations the index must agree with."""
    return {p.stem: parse_bytes(p.read_bytes(), p.stem) for p in sorted(notes_dir.glob("*.md"))}


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def stems(result: Any) -> list[str]:
    return [Path(row["path"]).stem for row in json.loads(ok(result).stdout)]


def assert_clean_failure(result: Any, code: int) -> list[str]:
    """A failure is a short message on stderr and an exit code, never a traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[0].startswith("notes-kb: ")
    return lines


# ---- import -----------------------------------------------------------------------------------


def test_import_reports_counts(cli: Invoke, notes_dir: Path) -> None:
    result = ok(cli("import", notes_dir))
    assert "25 added" in result.stderr
    assert "0 updated" in result.stderr
    again = ok(cli("import", notes_dir))
    assert "25 unchanged" in again.stderr


def test_import_json_report(cli: Invoke, notes_copy: Path) -> None:
    first = json.loads(ok(cli("import", notes_copy, "--format", "json")).stdout)
    assert set(first) - {"moved"} == {
        "added",
        "updated",
        "removed",
        "unchanged",
        "failed",
        "seconds",
    }
    assert (first["added"], first["updated"], first["removed"], first["unchanged"]) == (25, 0, 0, 0)
    assert first["failed"] == []
    assert isinstance(first["seconds"], float) and first["seconds"] >= 0
    (notes_copy / "helix-editor.md").unlink()
    second = json.loads(ok(cli("import", notes_copy, "-f", "json")).stdout)
    assert (second["added"], second["removed"], second["unchanged"]) == (0, 1, 24)


def test_import_full_reparses(cli: Invoke, notes_dir: Path) -> None:
    ok(cli("import", notes_dir))
    report = json.loads(ok(cli("import", notes_dir, "--full", "--format", "json")).stdout)
    assert (report["added"], report["updated"]) == (0, 25)


def test_import_failures_and_strict(cli: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(root, "fine.md", "# Fine\n")
    write_note(root, "broken.md", "---\ntitle: [oops\n---\nbody\n")
    write_note(root, "binary.md", b"\x00\x00\x00")
    result = ok(cli("import", root, "--format", "json"))
    failed = {Path(f["path"]).name: f["error"] for f in json.loads(result.stdout)["failed"]}
    assert set(failed) == {"broken.md", "binary.md"}
    assert all(failed.values())
    table = ok(cli("import", root, "--full"))
    assert "broken.md" in table.stderr and "YAML" in table.stderr
    strict = cli("import", root, "--full", "--strict")
    assert strict.exit_code == 3, strict.output
    assert "Traceback" not in strict.output


def test_import_missing_folder(cli: Invoke, tmp_path: Path) -> None:
    lines = assert_clean_failure(cli("import", tmp_path / "nope"), 2)
    assert "nope" in lines[0]


def test_import_skips_hidden_and_excluded(cli: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(root, "a.md", "a")
    write_note(root, ".obsidian/b.md", "b")
    write_note(root, "drafts/c.md", "c")
    report = json.loads(ok(cli("import", root, "--exclude", "drafts", "-f", "json")).stdout)
    assert report["added"] == 1


# ---- list and its filters ---------------------------------------------------------------------


@pytest.mark.usefixtures("indexed")
def test_list_everything_newest_first(cli: Invoke, notes_dir: Path) -> None:
    rows = json.loads(ok(cli("list", "--format", "json")).stdout)
    assert len(rows) == 25
    dated = [r["lastmod"] for r in rows if r["lastmod"]]
    assert dated == sorted(dated, reverse=True)
    assert all(r["lastmod"] is None for r in rows[len(dated) :])


@pytest.mark.usefixtures("indexed")
@pytest.mark.parametrize(
    ("args", "predicate"),
    [
        (["--tag", "revisit"], lambda n: "revisit" in [t.casefold() for t in n.tags]),
        (["--tag", "ReVisit"], lambda n: "revisit" in [t.casefold() for t in n.tags]),
        (["--tag", "julia", "--tag", "ml"], lambda n: {"julia", "ml"} <= set(n.tags)),
        (["--revisit"], lambda n: n.revisit),
        (["--draft"], lambda n: n.draft),
        (["--no-draft"], lambda n: not n.draft),
        (
            ["--author", "rackauckas"],
            lambda n: any("rackauckas" in a.casefold() for a in n.authors),
        ),
        (["--link", "arxiv.org"], lambda n: any("arxiv.org" in ln.target for ln in n.links)),
        (["--tag", "python", "--no-draft"], lambda n: "python" in n.tags and not n.draft),
    ],
    ids=[
        "tag",
        "tag-any-case",
        "two-tags",
        "revisit",
        "draft",
        "no-draft",
        "author",
        "link",
        "tag-and-no-draft",
    ],
)
def test_list_filters(cli: Invoke, notes_dir: Path, args: list[str], predicate: Any) -> None:
    expected = sorted(stem for stem, note in sample_notes(notes_dir).items() if predicate(note))
    assert expected, "the sample notebook should exercise this filter"
    assert sorted(stems(cli("list", *args, "--format", "json"))) == expected


@pytest.mark.usefixtures("indexed")
def test_list_known_facts_of_the_sample(cli: Invoke) -> None:
    by_tag = stems(cli("list", "--tag", "revisit", "-f", "json"))
    by_flag = stems(cli("list", "--revisit", "-f", "json"))
    assert "state-of-ml-in-julia" in by_tag
    # `revisit: true` without the tag counts for --revisit but is not a tag.
    assert "til-python-typing-protocols" in by_flag
    assert "til-python-typing-protocols" not in by_tag
    assert "flux-jl-first-steps" in stems(cli("list", "--draft", "-f", "json"))


def test_list_nested_tags_match_their_parent(cli: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(root, "parent.md", "#proj")
    write_note(root, "child.md", "#proj/alpha")
    write_note(root, "grandchild.md", "#proj/alpha/one")
    write_note(root, "other.md", "#project and #proj-x")
    ok(cli("import", root))
    assert sorted(stems(cli("list", "--tag", "proj", "-f", "json"))) == [
        "child",
        "grandchild",
        "parent",
    ]
    assert sorted(stems(cli("list", "--tag", "proj/alpha", "-f", "json"))) == [
        "child",
        "grandchild",
    ]


@pytest.mark.usefixtures("indexed")
def test_list_limit(cli: Invoke) -> None:
    everything = stems(cli("list", "-f", "json"))
    assert stems(cli("list", "--limit", "3", "-f", "json")) == everything[:3]
    assert stems(cli("list", "-n", "0", "-f", "json")) == []


@pytest.mark.usefixtures("indexed")
def test_list_table(cli: Invoke) -> None:
    result = ok(cli("list", "--tag", "revisit"))
    assert "title" in result.stdout and "path" in result.stdout
    assert "State of Machine" in result.stdout
    assert "\x1b[" not in result.stdout  # NO_COLOR and not a terminal: plain text
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert "6 notes" in result.output


# ---- output formats ---------------------------------------------------------------------------


@pytest.mark.usefixtures("indexed")
@pytest.mark.parametrize("fmt", FORMATS_WITH_ROWS)
def test_formats_carry_the_same_notes(cli: Invoke, fmt: str) -> None:
    expected = [
        Path(p)
        for p in (
            r["path"] for r in json.loads(ok(cli("list", "--tag", "ml", "-f", "json")).stdout)
        )
    ]
    out = ok(cli("list", "--tag", "ml", "--format", fmt)).stdout
    if fmt == "json":
        rows = json.loads(out)
        assert {"path", "title", "tags", "authors", "lastmod", "draft", "links"} <= set(rows[0])
        got = [Path(r["path"]) for r in rows]
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
        got = [Path(r["path"]) for r in rows]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert "title" in rows[0] and "tags" in rows[0]
        got = [Path(r["path"]) for r in rows]
    else:
        got = [Path(line) for line in out.splitlines()]
    assert got == expected
    assert all(p.is_absolute() for p in got)


@pytest.mark.usefixtures("indexed")
def test_paths_nul_separated(cli: Invoke) -> None:
    out = ok(cli("list", "--tag", "ml", "-f", "paths", "-0")).stdout
    assert out.endswith("\0") and "\n" not in out
    paths = out.rstrip("\0").split("\0")
    assert len(paths) == len(stems(cli("list", "--tag", "ml", "-f", "json")))
    assert all(Path(p).is_file() for p in paths)


@pytest.mark.usefixtures("indexed")
def test_unknown_format_is_a_usage_error(cli: Invoke) -> None:
    result = cli("list", "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# ---- search -----------------------------------------------------------------------------------


@pytest.fixture
def ranked(cli: Invoke, tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write_note(root, "in-title.md", "---\ntitle: Quokka field guide\n---\nSmall marsupials.\n")
    write_note(root, "in-body.md", "---\ntitle: Island trip\n---\nWe met a quokka on Rottnest.\n")
    write_note(root, "in-tags.md", "---\ntitle: Animals\ntags: [quokka]\n---\nNotes.\n")
    write_note(root, "unrelated.md", "---\ntitle: Kangaroo\n---\nHopping.\n")
    ok(cli("import", root))
    return root


def test_search_title_match_ranks_above_body_only(cli: Invoke, ranked: Path) -> None:
    order = stems(cli("search", "quokka", "-f", "json"))
    assert set(order) == {"in-title", "in-body", "in-tags"}
    assert order.index("in-title") < order.index("in-body")
    assert order.index("in-tags") < order.index("in-body")


def test_search_scores_and_snippets(cli: Invoke, ranked: Path) -> None:
    rows = json.loads(ok(cli("search", "rottnest", "-f", "json")).stdout)
    assert [Path(r["path"]).stem for r in rows] == ["in-body"]
    assert "Rottnest" in rows[0]["snippet"]
    assert "\x02" not in rows[0]["snippet"] and "\x03" not in rows[0]["snippet"]
    assert isinstance(rows[0]["score"], int | float)
    table = ok(cli("search", "rottnest"))
    assert "Rottnest" in table.stdout and "Island trip" in table.stdout


def test_search_no_hits(cli: Invoke, ranked: Path) -> None:
    assert json.loads(ok(cli("search", "wombat", "-f", "json")).stdout) == []
    assert ok(cli("search", "wombat", "-f", "paths")).stdout == ""


@pytest.mark.usefixtures("indexed")
def test_search_sample_notebook(cli: Invoke, notes_dir: Path) -> None:
    found = stems(cli("search", "julia", "-f", "json"))
    mention = {
        s
        for s, n in sample_notes(notes_dir).items()
        if "julia" in (n.title + n.body + " ".join(n.tags)).casefold()
    }
    assert set(found) == mention
    assert stems(cli("search", "julia", "--tag", "revisit", "-f", "json")) == [
        s for s in found if "revisit" in sample_notes(notes_dir)[s].tags
    ]


@pytest.mark.usefixtures("indexed")
def test_bad_query_is_a_usage_error(cli: Invoke) -> None:
    lines = assert_clean_failure(cli("search", "tag:"), 2)
    assert "tag" in lines[0]


# ---- tags, show, status -----------------------------------------------------------------------


@pytest.mark.usefixtures("indexed")
def test_tags_counts(cli: Invoke, notes_dir: Path) -> None:
    rows = json.loads(ok(cli("tags", "--format", "json")).stdout)
    counts = {r["tag"].casefold(): r["count"] for r in rows}
    notes = sample_notes(notes_dir).values()
    for tag in ("ml", "julia", "revisit", "python", "ml/optimization"):
        assert counts[tag] == sum(tag in [t.casefold() for t in n.tags] for n in notes), tag
    ordered = [r["count"] for r in rows]
    assert ordered == sorted(ordered, reverse=True)
    table = ok(cli("tags")).stdout
    assert "julia" in table and "count" in table


@pytest.mark.usefixtures("indexed")
def test_show_metadata_body_and_backlinks(cli: Invoke) -> None:
    out = ok(cli("show", "state-of-ml-in-julia")).stdout
    assert "State of Machine Learning in Julia" in out
    assert "Chris Rackauckas" in out
    assert "reinforcement-learning" in out
    assert "Looks like it's an active discussion." in out
    assert "backlinks" in out
    for back in ("Autodiff in Julia", "First steps with Flux.jl", "JAX vs Julia"):
        assert back in out


@pytest.mark.usefixtures("indexed")
def test_show_json(cli: Invoke, notes_dir: Path) -> None:
    detail = json.loads(ok(cli("show", "duckdb-vs-sqlite", "-f", "json")).stdout)
    assert detail["path"] == str(notes_dir / "duckdb-vs-sqlite.md")
    assert detail["title"] == "DuckDB vs SQLite"
    assert detail["meta"]["title"] == "DuckDB vs SQLite"
    assert "Both are embedded" in detail["body"]
    assert {b["path"] for b in detail["backlinks"]} >= {str(notes_dir / "sqlite-fts5-notes.md")}


@pytest.mark.usefixtures("indexed")
@pytest.mark.parametrize(
    "ref", ["rich-markup-wip", "rich-markup-wip.md", "notes/rich-markup-wip.md"]
)
def test_show_raw_prints_the_file(
    cli: Invoke, notes_dir: Path, ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    out = ok(cli("show", ref, "--raw")).stdout
    assert out == (notes_dir / "rich-markup-wip.md").read_text(encoding="utf-8")


def test_show_raw_neutralises_control_codes(cli: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(root, "esc.md", "# Esc\nbefore \x1b[2J\x1b]0;title\x07 after\n")
    ok(cli("import", root))
    out = ok(cli("show", "esc", "--raw")).stdout
    assert "\x1b" not in out and "\x07" not in out
    assert out.startswith("# Esc\nbefore ") and out.endswith(" after\n")


@pytest.mark.usefixtures("indexed")
def test_unknown_note(cli: Invoke) -> None:
    lines = assert_clean_failure(cli("show", "no-such-note-anywhere"), 1)
    assert len(lines) == 1
    assert "no-such-note-anywhere" in lines[0]


@pytest.mark.usefixtures("indexed")
def test_ambiguous_note(cli: Invoke, notes_dir: Path) -> None:
    lines = assert_clean_failure(cli("show", "julia"), 1)
    assert "julia" in lines[0] and "matches" in lines[0]
    # Any further lines only name the candidates.
    for line in lines[1:]:
        assert line.strip().startswith(str(notes_dir)) and "julia" in line


@pytest.mark.usefixtures("indexed")
def test_status(cli: Invoke, notes_dir: Path, db_path: Path) -> None:
    info = json.loads(ok(cli("status", "--format", "json")).stdout)
    assert info["index"] == str(db_path)
    assert info["notes"] == 25
    assert info["drafts"] == sum(n.draft for n in sample_notes(notes_dir).values())
    assert [s["path"] for s in info["sources"]] == [str(notes_dir)]
    assert info["sources"][0]["notes"] == 25
    text = ok(cli("status")).stdout
    assert str(db_path) in text and str(notes_dir) in text and "notes: 25" in text


def test_status_before_any_import(cli: Invoke, db_path: Path) -> None:
    out = ok(cli("status")).stdout
    assert str(db_path) in out and "not created" in out
    assert not db_path.exists()


def test_query_before_any_import(cli: Invoke) -> None:
    lines = assert_clean_failure(cli("list"), 1)
    assert "import" in lines[0]


def test_index_path_from_environment(
    cli: Invoke, notes_dir: Path, runner: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from notes_kb.cli import app

    other = tmp_path / "elsewhere" / "kb.db"
    monkeypatch.setenv("NOTES_KB_DB", str(other))
    ok(runner.invoke(app, ["import", str(notes_dir)]))
    assert other.exists()
    info = json.loads(ok(runner.invoke(app, ["status", "-f", "json"])).stdout)
    assert info["index"] == str(other)


def test_queries_refresh_from_the_folders(cli: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(root, "a.md", "# A\n")
    ok(cli("import", root))
    write_note(root, "b.md", "# B\nfresh words")
    assert stems(cli("search", "fresh", "-f", "json")) == ["b"]
    write_note(root, "c.md", "# C\nfresh words")
    assert stems(cli("search", "fresh", "--no-refresh", "-f", "json")) == ["b"]


# ---- note text is data ------------------------------------------------------------------------


def test_note_text_is_never_markup_or_control_codes(cli: Invoke, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write_note(
        root,
        "evil.md",
        '---\ntitle: "[bold red]Loud[/] \\e[31mred\\e[0m \\a"\n'
        'tags: ["[link=http://x]y[/link]"]\n---\nbody \x1b]0;pwned\x07 text\n',
    )
    ok(cli("import", root))
    for args in (
        ["list"],
        ["show", "evil"],
        ["search", "body"],
        ["tags"],
        ["list", "-f", "csv"],
        ["list", "-f", "paths"],
    ):
        out = ok(cli(*args)).stdout
        assert "\x1b" not in out and "\x07" not in out, args
    table = ok(cli("list")).stdout
    assert "[bold red]Loud[/]" in table


# ---- help and entry points --------------------------------------------------------------------


def _all_commands() -> list[list[str]]:
    from notes_kb.cli import app

    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(group: Any, prefix: list[str]) -> None:
        # typer ships its own copy of click: recognise groups by their commands.
        if isinstance(getattr(group, "commands", None), dict):
            for name, sub in group.commands.items():
                found.append([*prefix, name])
                walk(sub, [*prefix, name])

    walk(root, [])
    return found


@pytest.mark.parametrize("command", [" ".join(c) for c in _all_commands()])
def test_every_command_has_help(cli: Invoke, command: str) -> None:
    result = ok(cli(*command.split(), "--help"))
    assert "Usage:" in result.stdout
    assert command.split()[-1] in result.stdout


def test_top_level_help(cli: Invoke) -> None:
    out = ok(cli("--help")).stdout
    for command in _all_commands():
        if len(command) == 1:
            assert command[0] in out


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"NOTES_KB_DB": str(tmp_path / "sub.db"), "NO_COLOR": "1", "COLUMNS": "100"})
    return env


def test_nkb_entry_point(tmp_path: Path, notes_dir: Path) -> None:
    nkb = Path(sys.executable).with_name("nkb")
    if not nkb.exists():
        pytest.skip("the nkb script is not installed")
    done = subprocess.run(
        [str(nkb), "import", str(notes_dir), "--format", "json"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 25
    missing = subprocess.run(
        [str(nkb), "show", "no-such-note"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("notes-kb: ") and "Traceback" not in missing.stderr


def test_ctrl_c_while_the_command_line_loads_is_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interrupt during the imports of start-up: exit 130, no traceback."""
    from notes_kb import entry

    class Interrupted:
        def __getattr__(self, name: str) -> Any:
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "notes_kb.cli", Interrupted())
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == 130


def test_scripts_start_through_the_quiet_entry_point() -> None:
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"notes-kb": "notes_kb.entry:main", "nkb": "notes_kb.entry:main"}
    assert "notes_kb.entry" in (REPO / "notes_kb" / "__main__.py").read_text()


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "notes_kb", "status"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "sub.db") in done.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "notes_kb", "--help"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert helped.returncode == 0 and "import" in helped.stdout
