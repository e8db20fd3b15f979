"""End-to-end outputs over the sample notebook, compared with files in tests/golden/.

Refresh them after an intended change with `make golden` (NOTES_KB_UPDATE_GOLDEN=1), then
review the diff like any other change.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import REPO, Invoke

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("NOTES_KB_UPDATE_GOLDEN") == "1"

CASES = {
    "search-julia.json": ["search", "julia", "--format", "json"],
    "list-tag-revisit.txt": ["list", "--tag", "revisit"],
    "tags.txt": ["tags"],
    "show-state-of-ml-in-julia.txt": ["show", "state-of-ml-in-julia"],
}


def normalise(text: str, db_path: Path) -> str:
    """Make output independent of where the repository and the index live, and of timing."""
    text = text.replace(str(db_path), "<index>")
    text = text.replace(str(REPO) + os.sep, "")
    text = re.sub(r"\b\d+(\.\d+)? ?ms\b", "<N> ms", text)
    text = re.sub(r"\b\d+\.\d+s\b", "<N>s", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def normalise_json(text: str) -> str:
    rows = json.loads(text)
    for row in rows:
        row["path"] = os.path.relpath(row["path"], REPO)
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.usefixtures("indexed")
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str, cli: Invoke, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # tables show paths relative to the working folder
    result = cli(*CASES[name], "--no-refresh")
    assert result.exit_code == 0, result.output
    out = normalise_json(result.stdout) if name.endswith(".json") else result.stdout
    out = normalise(out, db_path)
    golden = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
        return
    assert golden.exists(), f"{golden} is missing: run `make golden` and review it"
    expected = golden.read_text(encoding="utf-8")
    assert out == expected, f"output of {' '.join(CASES[name])} changed; see `make golden`"


def test_golden_files_have_no_machine_specific_text() -> None:
    files = sorted(GOLDEN.glob("*"))
    assert {f.name for f in files} == set(CASES)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert str(REPO) not in text
        assert "\x1b" not in text
        assert re.search(r"\d+ ms", text) is None
