"""Shared fixtures: an isolated environment for every test, the sample notes, the CLI runner."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

REPO = Path(__file__).resolve().parents[1]
NOTES = REPO / "notes"
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"

Invoke = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own index, data and config folders, and stable plain output."""
    home = tmp_path / "_env"
    for sub in ("data", "config", "nkb-config"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("NOTES_KB_DB", str(tmp_path / "index.db"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("NOTES_KB_CONFIG_DIR", str(home / "nkb-config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    for name in ("NOTES_KB_NO_REFRESH", "FORCE_COLOR", "CLICOLOR_FORCE"):
        monkeypatch.delenv(name, raising=False)
    _reset_cli_state()
    yield
    _reset_cli_state()


def _reset_cli_state() -> None:
    """The CLI keeps a little module state (chosen index, cached consoles): start clean."""
    cli_app = sys.modules.get("notes_kb.cli.app")
    if cli_app is not None:
        cli_app.state.db = None
    render = sys.modules.get("notes_kb.render")
    if render is not None:
        render.set_no_color(True)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "index.db"


@pytest.fixture
def notes_dir() -> Path:
    """The sample notebook in the repository (read-only: tests never write there)."""
    assert NOTES.is_dir(), NOTES
    return NOTES


@pytest.fixture
def notes_copy(tmp_path: Path) -> Path:
    """A writable copy of the sample notebook."""
    target = tmp_path / "notes"
    shutil.copytree(NOTES, target)
    return target


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"corpora not available at {CORPORA}")
    return CORPORA


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner, db_path: Path) -> Invoke:
    """Run the CLI in-process against the test's index: cli("list", "--tag", "x")."""
    from notes_kb.cli import app

    def invoke(
        *args: str | os.PathLike[str], db: Path | None = None, input: str | None = None
    ) -> Result:
        argv = ["--db", str(db or db_path), *(str(a) for a in args)]
        _reset_cli_state()
        return runner.invoke(app, argv, input=input, catch_exceptions=True)

    return invoke


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An empty index and one holding the sample notebook, built once and copied per test."""
    from notes_kb.importer import guarded_import
    from notes_kb.store.db import connect

    folder = tmp_path_factory.mktemp("templates")
    empty = folder / "empty.db"
    connect(empty).close()
    full = folder / "notes.db"
    conn = connect(full)
    try:
        report = guarded_import(conn, full, [str(NOTES)])
    finally:
        conn.close()
    assert report.added == len(list(NOTES.glob("*.md"))), report
    for path in (empty, full):
        assert not Path(str(path) + "-wal").exists()
    return {"empty": empty, "notes": full}


@pytest.fixture
def fresh_index(_templates: dict[str, Path], db_path: Path) -> Path:
    """An empty, migrated index at the test's index path."""
    shutil.copyfile(_templates["empty"], db_path)
    return db_path


@pytest.fixture
def indexed(_templates: dict[str, Path], db_path: Path) -> Path:
    """The sample notebook imported into the test's index; returns the index path."""
    shutil.copyfile(_templates["notes"], db_path)
    return db_path


def open_db(path: Path) -> sqlite3.Connection:
    """A plain connection to an index, with the SQL functions reads need."""
    from notes_kb.store.db import connect
    from notes_kb.store.read import prepare

    return prepare(connect(path))


def raw_pragma(path: Path, name: str) -> object:
    """A pragma's value read by plain sqlite3, with none of notes-kb's set-up or migrations."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]
    finally:
        conn.close()


def write_note(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def frontmatters(fmt: str, *tops: Path) -> list[str]:
    """The frontmatter text of every file under `tops` whose frontmatter is `fmt`."""
    from notes_kb import parse

    out = []
    for top in tops:
        for path in sorted(top.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                text, _ = parse.decode(path.read_bytes())
                found, fm, _body, _line = parse.split(text.replace("\r\n", "\n"))
            except Exception:
                continue
            if found == fmt:
                out.append(fm)
    return out
