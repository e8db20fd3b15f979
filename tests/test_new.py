"""`notes-kb new`: slug, house-style frontmatter, no overwrite, indexing, the editor."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Invoke, open_db

from notes_kb import config
from notes_kb.newnote import MAX_SLUG, create, frontmatter, slugify
from notes_kb.parse import parse


@pytest.fixture(autouse=True)
def fresh_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("NOTES_KB_EDITOR", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    config.reset()
    yield
    config.reset()


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("State of Machine Learning in Julia", "state-of-machine-learning-in-julia"),
        ("Über Café: Notes", "uber-cafe-notes"),
        ("Straße & Øresund", "strasse-oresund"),
        ("C++ / Rust!", "c-rust"),
        ("  --Hello--  ", "hello"),
        ("TIL: typing.Protocol", "til-typing-protocol"),
        ("日本語", "note"),
        ("", "note"),
        ("naïve Bayes — 2nd try", "naive-bayes-2nd-try"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_slugs_are_cut_at_a_word() -> None:
    slug = slugify("word " * 40)
    assert len(slug) <= MAX_SLUG
    assert slug.endswith("word")


def test_frontmatter_is_the_house_style_and_parses_back() -> None:
    text = frontmatter(
        'A "quoted": title',
        tags=["julia", "ml/autodiff"],
        authors=["Ada"],
        today=dt.date(2024, 5, 1),
    )
    assert text.splitlines()[:10] == [
        "---",
        "title: 'A \"quoted\": title'",
        "author:",
        "- Ada",
        "tags:",
        "- julia",
        "- ml/autodiff",
        "draft: true",
        "lastmod: 2024-05-01",
        "---",
    ]
    note = parse(text, "x")
    assert note.title == 'A "quoted": title'
    assert note.tags == ("julia", "ml/autodiff")
    assert note.authors == ("Ada",)
    assert note.draft is True
    assert note.lastmod == "2024-05-01"


def test_create_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    first = create(folder, "same", "one\n")
    second = create(folder, "same", "two\n")
    third = create(folder, "same", "three\n")
    assert [p.name for p in (first, second, third)] == ["same.md", "same-2.md", "same-3.md"]
    assert first.read_text() == "one\n"
    assert sorted(p.name for p in folder.iterdir()) == ["same-2.md", "same-3.md", "same.md"]


def test_new_creates_indexes_and_prints_the_path(
    cli: Invoke, tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "nb"
    result = cli(
        "new", "Zebracorn Field Guide", "--tag", "animals", "--tag", "myth", "--author", "Ada",
        "--dir", folder, "--no-edit",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = folder / "zebracorn-field-guide.md"
    assert result.stdout == f"{path}\n"
    note = parse(path.read_text(encoding="utf-8"), path.stem)
    assert (note.title, note.tags, note.authors, note.draft) == (
        "Zebracorn Field Guide",
        ("animals", "myth"),
        ("Ada",),
        True,
    )
    assert note.lastmod == dt.date.today().isoformat()
    assert [p.name for p in folder.iterdir()] == [path.name]  # no temporary file left
    found = cli("search", "--no-refresh", "--format", "paths", "zebracorn")
    assert found.stdout.splitlines() == [str(path)]
    conn = open_db(db_path)
    assert conn.execute("SELECT source FROM notes").fetchall() == [(str(folder),)]
    assert conn.execute("SELECT path FROM sources").fetchall() == [(str(folder),)]


def test_same_title_twice_gets_a_suffix(cli: Invoke, tmp_path: Path) -> None:
    outs = [cli("new", "Twice", "--dir", tmp_path, "--no-edit") for _ in range(3)]
    assert [r.exit_code for r in outs] == [0, 0, 0]
    assert [Path(r.stdout.strip()).name for r in outs] == ["twice.md", "twice-2.md", "twice-3.md"]
    found = cli("list", "--no-refresh", "--format", "paths", "title:twice")
    assert len(found.stdout.splitlines()) == 3


def test_a_note_in_an_imported_folder_joins_that_source(
    cli: Invoke, notes_copy: Path, db_path: Path
) -> None:
    assert cli("import", notes_copy).exit_code == 0
    result = cli("new", "Deep Thought", "--dir", notes_copy / "sub", "--no-edit")
    assert result.exit_code == 0, result.output
    conn = open_db(db_path)
    source = conn.execute("SELECT source FROM notes WHERE title = 'Deep Thought'").fetchone()
    assert source == (str(notes_copy),)
    assert [r[0] for r in conn.execute("SELECT path FROM sources")] == [str(notes_copy)]


def test_dir_defaults_to_the_first_configured_source(cli: Invoke, tmp_path: Path) -> None:
    home = tmp_path / "configured"
    (config.config_file()[0]).write_text(f'sources = ["{home}", "/elsewhere"]\n')
    result = cli("new", "Where Am I", "--no-edit")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(home / "where-am-i.md")


def editor_script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "with open(sys.argv[-1], 'a', encoding='utf-8') as fh:\n"
        f"    fh.write({body!r})\n"
        "sys.exit(int(sys.argv[1]) if len(sys.argv) > 2 else 0)\n"
    )
    return f"{sys.executable} {script}"


def test_the_editor_is_opened_and_its_changes_indexed(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, "Written in the editor: quokka.\n"))
    result = cli("new", "Edited", "--dir", tmp_path / "nb")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.read_text(encoding="utf-8").endswith("quokka.\n")
    found = cli("search", "--no-refresh", "--format", "paths", "quokka")
    assert found.stdout.splitlines() == [str(path)]


def test_a_failing_editor_is_reported_and_the_note_kept(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTES_KB_EDITOR", editor_script(tmp_path, "") + " 3")
    result = cli("new", "Kept", "--dir", tmp_path / "nb")
    assert result.exit_code == 1
    assert "exited with status 3" in result.stderr
    assert Path(result.stdout.strip()).exists()


def test_a_missing_editor_is_one_line(
    cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", "/no/such/editor --wait")
    result = cli("new", "Kept", "--dir", tmp_path / "nb")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot start the editor" in result.stderr
    assert "Traceback" not in result.output


def test_an_empty_title_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    result = cli("new", "   ", "--dir", tmp_path / "nb", "--no-edit")
    assert result.exit_code == 2
    assert not (tmp_path / "nb").exists()
