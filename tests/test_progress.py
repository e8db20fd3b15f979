"""The import's progress bar: on a terminal it shows, piped it does not."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from tests.hostile import make_notebook


def _import_cmd(db: Path, folder: Path) -> list[str]:
    return [sys.executable, "-m", "notes_kb", "--db", str(db), "import", str(folder)]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTES_KB")}
    env.update({"TERM": "xterm", "COLUMNS": "100", "NO_COLOR": "1"})
    return env


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress") / "book"
    make_notebook(folder, 400, words=40)
    return folder


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_a_terminal_sees_the_progress_bar_then_the_report(notebook: Path, tmp_path: Path) -> None:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        _import_cmd(tmp_path / "tty.db", notebook),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,  # where the bar and the report go
        cwd=REPO,
        env=_env(),
        close_fds=True,
    )
    os.close(slave)
    screen = bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the import closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    stdout = proc.communicate(timeout=60)[0].decode()
    os.close(master)
    text = screen.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "importing" in text and "/400" in text and "━" in text, text
    assert "[progress" not in text, text  # a style, never printed as markup
    assert "400 added" in text.rsplit("━", 1)[1], text  # the report comes after the bar
    assert stdout == ""


def test_piped_there_is_no_progress_bar(notebook: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        _import_cmd(tmp_path / "pipe.db", notebook),
        capture_output=True,
        cwd=REPO,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    # The report, one line, and nothing of a bar: no bar glyphs, carriage returns or escapes.
    assert done.stderr.decode().startswith("400 added")
    assert done.stderr.count(b"\n") == 1
    assert not any(mark in done.stderr for mark in (b"\r", b"\x1b", "━".encode()))


def test_the_bar_says_when_only_the_finishing_work_remains(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    import rich.progress
    from rich.console import Console

    from notes_kb import render
    from notes_kb.cli import progress

    descriptions: list[str | None] = []

    class Recording(rich.progress.Progress):
        def update(self, task_id: rich.progress.TaskID, **kwargs: Any) -> None:
            descriptions.append(kwargs.get("description"))
            super().update(task_id, **kwargs)

    console = Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None)
    monkeypatch.setattr(rich.progress, "Progress", Recording)
    monkeypatch.setattr(render, "err_console", lambda: console)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with progress.progress_bar("importing", minimum=1) as update:
        assert update is not None
        update(5, 10)
        update(10, 10)
    assert descriptions == ["importing", "importing: finishing"]
