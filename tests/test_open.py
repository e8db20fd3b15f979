"""`open NOTE`: the editor gets the note's path; the index follows what was written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import Invoke


def _editor_script(tmp_path: Path, body: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(body, encoding="utf-8")
    return f"{sys.executable} {script}"


def test_open_runs_the_editor_on_the_note_and_reindexes_it(
    cli: Invoke, notes_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("import", str(notes_copy)).exit_code == 0
    editor = _editor_script(
        tmp_path,
        "import sys\n"
        "with open(sys.argv[1], 'a', encoding='utf-8') as fh:\n"
        "    fh.write('\\nzanzibarish marmalade\\n')\n",
    )
    monkeypatch.setenv("NOTES_KB_EDITOR", editor)
    result = cli("open", "state-of-ml-in-julia")
    assert result.exit_code == 0, result.output
    assert "zanzibarish" in (notes_copy / "state-of-ml-in-julia.md").read_text(encoding="utf-8")
    found = cli("search", "zanzibarish", "--format", "paths", "--no-refresh")
    assert found.exit_code == 0, found.output
    assert found.output.strip().endswith("state-of-ml-in-julia.md")


def test_open_reports_an_editor_that_cannot_start(
    cli: Invoke, notes_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("import", str(notes_copy)).exit_code == 0
    monkeypatch.setenv("NOTES_KB_EDITOR", "/nonexistent/editor")
    result = cli("open", "state-of-ml-in-julia")
    assert result.exit_code == 1
    assert "cannot start editor" in result.output
    assert "Traceback" not in result.output


def test_open_unknown_note_is_one_line(cli: Invoke, notes_copy: Path) -> None:
    assert cli("import", str(notes_copy)).exit_code == 0
    result = cli("open", "no-such-note-anywhere")
    assert result.exit_code == 1
    assert "no note matches" in result.output
