"""Real-world corpora (read in place from ../shared/corpora): every file is indexed or reported.

Each corpus is imported once per module; the spot checks then read that index. The folders
and the traps they exercise are described in ../shared/corpora/SOURCES.md.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPORA, open_db

from notes_kb.importer import guarded_import
from notes_kb.model import ImportReport
from notes_kb.parse import parse_bytes
from notes_kb.store import read

pytestmark = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"no corpora at {CORPORA}")

FOLDERS = (
    "hugo-theme-learn",
    "hugo-jessfraz-blog",
    "zola-rust-blog",
    "obsidian-kepano-vault",
    "hugo-hugoDocs",
    "jekyll-vespa-blog",
    "python-frontmatter-fixtures",
)


@dataclass
class Imported:
    root: Path
    db: Path
    report: ImportReport
    conn: sqlite3.Connection

    def row(self, relpath: str) -> dict[str, Any]:
        path = str(self.root / relpath)
        found = self.conn.execute("SELECT id FROM notes WHERE path = ?", (path,)).fetchone()
        assert found, f"{relpath} is not indexed"
        detail = read.note_detail(self.conn, found[0])
        detail["fm_format"] = self.conn.execute(
            "SELECT fm_format FROM notes WHERE id = ?", (found[0],)
        ).fetchone()[0]
        return detail


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Imported]]:
    done: dict[str, Imported] = {}
    folder = tmp_path_factory.mktemp("corpora")

    def get(name: str) -> Imported:
        if name not in done:
            db = folder / f"{name}.db"
            conn = open_db(db)
            report = guarded_import(conn, db, [str(CORPORA / name)])
            done[name] = Imported(CORPORA / name, db, report, conn)
        return done[name]

    yield _Lazy(get)  # type: ignore[misc]
    for imported in done.values():
        imported.conn.close()


class _Lazy(dict[str, Imported]):
    def __init__(self, get: Any) -> None:
        super().__init__()
        self._get = get

    def __missing__(self, key: str) -> Imported:
        return self._get(key)


def markdown_files(root: Path) -> set[str]:
    """Every note file the scanner should see: .md files outside hidden folders."""
    out: set[str] = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out.update(
            os.path.join(folder, f)
            for f in files
            if f.lower().endswith(".md") and not f.startswith(".")
        )
    return out


@pytest.mark.parametrize("name", FOLDERS)
def test_every_file_is_indexed_or_reported(corpus: dict[str, Imported], name: str) -> None:
    imported = corpus[name]
    expected = markdown_files(imported.root)
    assert expected
    indexed = {row[0] for row in imported.conn.execute("SELECT path FROM notes")}
    failed = {f.path: f.error for f in imported.report.failed}
    assert all(failed.values()), "every failure names its reason"
    assert expected <= indexed | set(failed)
    assert indexed <= expected
    assert imported.report.added == len(indexed)
    # Notes whose frontmatter could not be read are indexed (body searchable) and reported.
    with_errors = {
        p for p, e in imported.conn.execute("SELECT path, error FROM notes WHERE error IS NOT NULL")
    }
    assert with_errors <= set(failed)


@pytest.mark.parametrize("name", FOLDERS)
def test_second_import_changes_nothing(corpus: dict[str, Imported], name: str) -> None:
    imported = corpus[name]
    again = guarded_import(imported.conn, imported.db, [str(imported.root)])
    assert (again.added, again.updated, again.removed, again.moved) == (0, 0, 0, 0)
    assert again.unchanged == imported.report.added


def test_hidden_folders_are_not_indexed(corpus: dict[str, Imported]) -> None:
    docs = corpus["hugo-hugoDocs"]
    assert (docs.root / ".github" / "SUPPORT.md").exists()
    paths = [row[0] for row in docs.conn.execute("SELECT path FROM notes")]
    assert not any("/.github/" in p for p in paths)


# ---- spot checks ------------------------------------------------------------------------------


def test_zola_toml_authors_list(corpus: dict[str, Imported]) -> None:
    row = corpus["zola-rust-blog"].row(
        "content/inside-rust/how-josh-helps-rust-manage-code-across-multiple-repositories.md"
    )
    assert row["fm_format"] == "toml"
    assert row["authors"] == ["Jakub Beránek", "Ralf Jung"]
    assert row["title"] == "How Josh helps Rust manage code across multiple repositories"
    assert row["lastmod"] is None and row["date"] is None  # zola posts carry no date key
    assert corpus["zola-rust-blog"].report.failed == []


def test_zola_nested_extra_tables_kept_in_meta(corpus: dict[str, Imported]) -> None:
    conn = corpus["zola-rust-blog"].conn
    metas = [json.loads(m) for (m,) in conn.execute("SELECT meta FROM notes")]
    extras = [m["extra"] for m in metas if isinstance(m.get("extra"), dict)]
    assert extras, "some zola posts have an [extra] table"


def test_jessfraz_toml_dates_with_offsets(corpus: dict[str, Imported]) -> None:
    jess = corpus["hugo-jessfraz-blog"]
    row = jess.row("content/post/talks.md")
    assert row["fm_format"] == "toml"
    assert row["date"] == "2018-06-07T08:09:26-07:00"
    assert row["authors"] == ["Jessica Frazelle"]
    assert row["title"] == "Talks"
    # Hugo accepts one-digit hours ("2019-05-08T8:09:26-07:00"); so do we.
    row = jess.row("content/post/leadership-ci.md")
    assert row["date"] == "2019-04-09T08:09:26-07:00"
    undated = [
        p
        for (p,) in jess.conn.execute(
            "SELECT path FROM notes WHERE date IS NULL AND path LIKE '%/content/post/%'"
        )
    ]
    assert undated == []


def test_vespa_author_string_stays_one_author(corpus: dict[str, Imported]) -> None:
    vespa = corpus["jekyll-vespa-blog"]
    row = vespa.row("_posts/2023-06-13-enhancing-vespas-embedding-management-capabilities.md")
    assert row["authors"] == ["jobergum bjorncs"]
    assert row["tags"] == []
    assert row["date"] == "2023-06-14"
    assert row["title"] == "Enhancing Vespa’s Embedding Management Capabilities"


def test_vespa_null_tags(corpus: dict[str, Imported]) -> None:
    row = corpus["jekyll-vespa-blog"].row(
        "_posts/tumblr/2019-03-29-vespa-product-updates-march-2019-tensor-updates.md"
    )
    assert row["error"] is None
    assert all(isinstance(t, str) and t for t in row["tags"])


def test_hugodocs_empty_lists_and_empty_frontmatter(corpus: dict[str, Imported]) -> None:
    docs = corpus["hugo-hugoDocs"]
    row = docs.row("content/en/shortcodes/highlight.md")
    assert row["categories"] == []
    assert row["tags"] == ["highlight"]  # from keywords
    assert row["meta"]["categories"] == []
    comment_only = docs.row("content/en/_common/store-methods.md")
    assert comment_only["fm_format"] == "yaml"
    assert comment_only["meta"] == {}
    assert comment_only["error"] is None
    assert comment_only["title"] == "store-methods"  # no title, no level-1 heading


def test_hugodocs_large_page(corpus: dict[str, Imported]) -> None:
    row = corpus["hugo-hugoDocs"].row("content/en/quick-reference/emojis.md")
    assert len(row["body"]) > 100_000


def test_hugodocs_archetype_templates_reported(corpus: dict[str, Imported]) -> None:
    failed = {
        Path(f.path).relative_to(corpus["hugo-hugoDocs"].root).as_posix(): f.error
        for f in corpus["hugo-hugoDocs"].report.failed
    }
    assert failed and all(p.startswith("archetypes/") for p in failed)


def test_theme_learn_templates_and_languages(corpus: dict[str, Imported]) -> None:
    learn = corpus["hugo-theme-learn"]
    failed = {Path(f.path).relative_to(learn.root).as_posix() for f in learn.report.failed}
    assert failed == {"archetypes/default.md", "archetypes/chapter.md"}
    en = learn.row("exampleSite/content/basics/installation/_index.en.md")
    fr = learn.row("exampleSite/content/basics/installation/_index.fr.md")
    assert en["title"] and fr["title"] == "Installation"
    spaced = learn.row("exampleSite/content/shortcodes/children/test.en.md")
    assert spaced["fm_format"] == "toml" and spaced["title"] == "page test"


def test_kepano_wikilinks_in_frontmatter(corpus: dict[str, Imported]) -> None:
    vault = corpus["obsidian-kepano-vault"]
    clip = vault.row("Clippings/Buy wisely.md")
    assert clip["authors"] == ["Steph Ango"]
    assert clip["categories"] == ["Clippings", "Posts"]
    assert clip["title"] == "Buy wisely"  # from the file name
    outgoing = {o["target"]: o["note"] for o in clip["outgoing"] if o["kind"] == "wiki"}
    assert outgoing["Steph Ango"] == str(vault.root / "References" / "Steph Ango.md")
    assert "Clippings" in outgoing
    steph = vault.row("References/Steph Ango.md")
    backlinks = {b["path"] for b in steph["backlinks"]}
    assert str(vault.root / "Clippings" / "Buy wisely.md") in backlinks


def test_kepano_templates_are_reported_not_fatal(corpus: dict[str, Imported]) -> None:
    vault = corpus["obsidian-kepano-vault"]
    failed = [Path(f.path) for f in vault.report.failed]
    assert failed
    assert all(p.parent.name == "Templates" for p in failed)
    assert all("{{" in p.read_text(encoding="utf-8") for p in failed)


# ---- python-frontmatter's own fixtures --------------------------------------------------------


def _fixtures() -> list[Path]:
    folder = CORPORA / "python-frontmatter-fixtures" / "tests"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".txt"))


@pytest.mark.parametrize("path", _fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_python_frontmatter_fixture_metadata(path: Path) -> None:
    expected_file = path.with_name(path.stem + ".result.json")
    if not expected_file.exists():
        pytest.skip("no result.json for this fixture")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    content = expected.pop("content")
    note = parse_bytes(path.read_bytes(), path.stem)
    assert note.error is None
    assert note.meta == expected
    assert note.body.strip() == content.strip()
