"""The configuration file, its precedence rules, and `notes-kb config`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Invoke
from typer.testing import CliRunner

from notes_kb import config, paths
from notes_kb.config import ConfigError


@pytest.fixture(autouse=True)
def fresh_config() -> Iterator[None]:
    config.reset()
    yield
    config.reset()


@pytest.fixture
def config_file() -> Path:
    return paths.config_dir() / "config.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTES_KB_DB", "NOTES_KB_EDITOR", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    cfg = config.load()
    assert cfg.file is None
    assert cfg.index == paths.data_dir() / "index.db"
    assert cfg.sources == ()
    assert cfg.exclude == ()
    assert cfg.revisit_tag == "revisit"
    assert cfg.date_fields == ()
    assert cfg.editor == "vi"
    assert cfg.format == "table"
    assert {cfg.source_of(k) for k in config.KEYS} == {"default"}


def test_every_key_from_the_file(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NOTES_KB_DB", "NOTES_KB_EDITOR", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(
        config_file,
        """
        index = "idx/notes.db"
        sources = ["~/notes", "/srv/shared-notes", "work"]
        exclude = ["archive", "*.tmp.md"]
        revisit_tag = "later"
        date_fields = ["published", "reviewed"]
        editor = "hx --vsplit"
        format = "json"
        """.replace("\n        ", "\n"),
    )
    cfg = config.load()
    base = config_file.parent
    assert cfg.file == config_file
    assert cfg.index == base / "idx" / "notes.db"
    assert cfg.sources == (
        str(tmp_path / "home" / "notes"),
        "/srv/shared-notes",
        str(base / "work"),
    )
    assert cfg.exclude == ("archive", "*.tmp.md")
    assert cfg.revisit_tag == "later"
    assert cfg.date_fields == ("published", "reviewed")
    assert cfg.editor == "hx --vsplit"
    assert cfg.format == "json"
    assert {cfg.source_of(k) for k in config.KEYS} == {"file"}
    assert cfg.origin_of("sources").detail == str(config_file)


@pytest.mark.parametrize(
    ("option", "env", "in_file", "expected", "source"),
    [
        ("opt.db", "env.db", "file.db", "opt.db", "option"),
        (None, "env.db", "file.db", "env.db", "env"),
        (None, None, "file.db", "file.db", "file"),
        (None, None, None, None, "default"),
    ],
)
def test_index_precedence(
    config_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: str | None,
    env: str | None,
    in_file: str | None,
    expected: str | None,
    source: str,
) -> None:
    monkeypatch.delenv("NOTES_KB_DB", raising=False)
    if env:
        monkeypatch.setenv("NOTES_KB_DB", str(tmp_path / env))
    if in_file:
        write(config_file, f'index = "{tmp_path / in_file}"\n')
    config.set_options(db=tmp_path / option if option else None)
    cfg = config.load()
    want = tmp_path / expected if expected else paths.data_dir() / "index.db"
    assert cfg.index == want
    assert cfg.source_of("index") == source
    # paths.index_path() is the seam every command uses: it agrees.
    explicit = tmp_path / option if option else None
    assert paths.index_path(explicit) == want


@pytest.mark.parametrize(
    ("env", "in_file", "expected", "source"),
    [
        ({"NOTES_KB_EDITOR": "nkbed", "VISUAL": "vis", "EDITOR": "ed"}, "fileed", "nkbed", "env"),
        ({"VISUAL": "vis", "EDITOR": "ed"}, "fileed", "fileed", "file"),
        ({"VISUAL": "vis", "EDITOR": "ed"}, None, "vis", "env"),
        ({"EDITOR": "ed"}, None, "ed", "env"),
        ({}, None, "vi", "default"),
    ],
)
def test_editor_precedence(
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    in_file: str | None,
    expected: str,
    source: str,
) -> None:
    for name in ("NOTES_KB_EDITOR", "VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if in_file:
        write(config_file, f'editor = "{in_file}"\n')
    cfg = config.load()
    assert (cfg.editor, cfg.source_of("editor")) == (expected, source)


def test_config_file_named_by_env_and_by_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_env = write(tmp_path / "a.toml", 'revisit_tag = "from-env"\n')
    by_option = write(tmp_path / "b.toml", 'revisit_tag = "from-option"\n')
    monkeypatch.setenv("NOTES_KB_CONFIG", str(by_env))
    assert config.load().revisit_tag == "from-env"
    config.set_options(config_file=by_option)
    assert config.load().revisit_tag == "from-option"
    assert config.load().file == by_option


def test_a_named_config_file_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES_KB_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml: no such config file"):
        config.load()


def test_invalid_toml_names_the_file_and_line(config_file: Path) -> None:
    write(config_file, 'sources = ["~/notes"]\nrevisit_tag = \n')
    with pytest.raises(ConfigError) as info:
        config.load()
    message = str(info.value)
    assert message.startswith(f"{config_file}: line 2, column")
    assert "invalid TOML" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('colour = "red"\n', "unknown key 'colour'"),
        ('sources = "~/notes"\n', "sources must be a list of non-empty strings"),
        ("exclude = [1, 2]\n", "exclude must be a list of non-empty strings"),
        ("revisit_tag = 3\n", "revisit_tag must be a non-empty string"),
        ('format = "yaml"\n', "format must be one of"),
        ('editor = ""\n', "editor must be a non-empty string"),
    ],
)
def test_wrong_keys_and_types_are_refused(config_file: Path, text: str, error: str) -> None:
    write(config_file, text)
    with pytest.raises(ConfigError, match=error):
        config.load()


def test_load_is_cached_until_the_file_changes(config_file: Path) -> None:
    write(config_file, 'revisit_tag = "one"\n')
    first = config.load()
    assert config.load() is first
    write(config_file, 'revisit_tag = "second"\n')
    stat = config_file.stat()
    os.utime(config_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert config.load().revisit_tag == "second"


def test_cli_config_shows_values_and_sources(cli: Invoke, config_file: Path, db_path: Path) -> None:
    write(config_file, 'sources = ["/srv/notes"]\nrevisit_tag = "later"\n')
    result = cli("config")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert str(config_file) in out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 3}
    assert "/srv/notes" in lines["sources"] and "file" in lines["sources"]
    assert "later" in lines["revisit_tag"]
    assert "option (--db)" in lines["index"]
    assert "default" in lines["format"]


def test_cli_config_json(cli: Invoke, config_file: Path, db_path: Path) -> None:
    write(config_file, 'exclude = ["drafts"]\n')
    result = cli("config", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["file"] == str(config_file)
    assert data["file_exists"] is True
    assert data["values"]["exclude"] == {
        "value": ["drafts"],
        "source": "file",
        "detail": str(config_file),
    }
    assert data["values"]["index"]["value"] == str(db_path)
    assert data["values"]["index"]["source"] == "option"


def test_cli_invalid_config_is_one_line_with_exit_1(cli: Invoke, config_file: Path) -> None:
    write(config_file, "sources = [\n")
    result = cli("config")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(config_file) in lines[0] and "line " in lines[0]
    assert "Traceback" not in result.output


def test_index_from_config_is_used_by_commands(
    runner: CliRunner,
    config_file: Path,
    tmp_path: Path,
    notes_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from notes_kb.cli import app

    monkeypatch.delenv("NOTES_KB_DB")
    index = tmp_path / "from-config.db"
    write(config_file, f'index = "{index}"\n')
    result = runner.invoke(app, ["import", str(notes_dir)])
    assert result.exit_code == 0, result.output
    assert index.exists()
