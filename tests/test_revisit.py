"""The revisit queue: pure interval logic, the CLI commands, and the interactive review."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, open_db

from notes_kb.revisit import IntervalError, age_days, is_due, parse_interval, snooze_days

TODAY = dt.date.today()
QUEUE_ORDER = [
    "julia-multiple-dispatch.md",
    "gradient-descent-intuition.md",
    "state-of-ml-in-julia.md",
    "sqlite-fts5-notes.md",
    "til-python-typing-protocols.md",
    "duckdb-vs-sqlite.md",
]
SNOOZED = "numerical-stability-logsumexp.md"


# --- pure -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "days"),
    [(-1, 1), (0, 1), (1, 3), (2, 7), (3, 14), (4, 30), (5, 60), (6, 120), (7, 120), (50, 120)],
)
def test_snooze_days_grows_then_stays(previous: int, days: int) -> None:
    assert snooze_days(previous) == days


@pytest.mark.parametrize(
    ("text", "days"),
    [("10d", 10), ("2w", 14), ("1m", 30), ("1y", 365), ("5", 5), ("3D", 3), (" 2w ", 14)],
)
def test_parse_interval(text: str, days: int) -> None:
    assert parse_interval(text) == days


@pytest.mark.parametrize("text", ["0d", "0", "abc", "-3d", "", "3x", "1.5d", "d"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(IntervalError):
        parse_interval(text)


@pytest.mark.parametrize(
    ("revisit_after", "due"),
    [
        (None, True),
        ("", True),
        ((TODAY - dt.timedelta(days=1)).isoformat(), True),
        (TODAY.isoformat(), True),
        (TODAY.isoformat() + "T23:59:00", True),
        ((TODAY + dt.timedelta(days=1)).isoformat(), False),
        ("2099-01-01", False),
    ],
)
def test_is_due(revisit_after: str | None, due: bool) -> None:
    assert is_due(revisit_after, TODAY) is due


@pytest.mark.parametrize(
    ("when", "age"),
    [
        ("2024-01-01", 10),
        ("2024-01-01T12:30:00", 10),
        ("2024-01-11", 0),
        ("2024-01-12", -1),
        (None, None),
        ("", None),
        ("not a date", None),
    ],
)
def test_age_days(when: str | None, age: int | None) -> None:
    assert age_days(when, dt.date(2024, 1, 11)) == age


# --- CLI ---------------------------------------------------------------------------------


@pytest.fixture
def kb(notes_copy: Path, cli):
    """The writable notes copy imported into the test's index."""
    result = cli("import", notes_copy)
    assert result.exit_code == 0, result.output
    return notes_copy


def _queue(cli, *extra: str) -> list[dict]:
    result = cli("revisit", "list", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _names(rows: list[dict]) -> list[str]:
    return [Path(r["path"]).name for r in rows]


def _history(cli) -> list[dict]:
    result = cli("revisit", "history", "--format", "json", "-n", "100")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _front_value(path: Path, key: str) -> str | None:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{key}:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return None


def _has_revisit_tag(path: Path) -> bool:
    return "- revisit" in path.read_text(encoding="utf-8").splitlines()


def test_list_oldest_first_hides_snoozed(kb: Path, cli) -> None:
    rows = _queue(cli)
    assert _names(rows) == QUEUE_ORDER
    lastmods = [r["lastmod"] for r in rows]
    assert lastmods == sorted(lastmods)
    for row in rows:
        assert row["age_days"] == age_days(row["lastmod"], TODAY)


def test_list_all_shows_snoozed(kb: Path, cli) -> None:
    names = _names(_queue(cli, "--all"))
    assert SNOOZED in names
    assert set(names) == {*QUEUE_ORDER, SNOOZED}
    table = cli("revisit", "list", "--all")
    assert table.exit_code == 0, table.output
    assert "2099-01-01" in table.output
    plain = cli("revisit", "list")
    assert plain.exit_code == 0, plain.output
    assert "6 notes to revisit" in plain.output
    assert "Numerical stability" not in plain.output


def test_snooze_grows_then_explicit_interval(kb: Path, cli) -> None:
    note = kb / "sqlite-fts5-notes.md"
    expected = [TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=3)]
    for i, until in enumerate(expected, start=1):
        result = cli("revisit", "snooze", note)
        assert result.exit_code == 0, result.output
        assert _front_value(note, "revisit_after") == until.isoformat()
        snoozes = [h for h in _history(cli) if h["action"] == "snooze"]
        assert len(snoozes) == i
        assert snoozes[0]["detail"] == until.isoformat()
    assert note.name not in _names(_queue(cli))
    assert note.name in _names(_queue(cli, "--all"))

    result = cli("revisit", "snooze", note, "10d")
    assert result.exit_code == 0, result.output
    assert _front_value(note, "revisit_after") == (TODAY + dt.timedelta(days=10)).isoformat()


def test_done_changes_only_revisit_lines(kb: Path, cli) -> None:
    note = kb / SNOOZED
    before = note.read_text(encoding="utf-8")
    result = cli("revisit", "done", note)
    assert result.exit_code == 0, result.output
    after = note.read_text(encoding="utf-8")
    assert after != before
    changed = [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:2] in ("- ", "+ ")
    ]
    assert changed
    assert all("revisit" in line for line in changed), changed
    assert "revisit_after" not in after
    assert not _has_revisit_tag(note)
    assert SNOOZED not in _names(_queue(cli, "--all"))


def test_add_after_done_restores_original_bytes(kb: Path, cli) -> None:
    note = kb / "state-of-ml-in-julia.md"
    original = note.read_bytes()
    assert original.decode().split("tags:\n", 1)[1].split("title:")[0].endswith("- revisit\n")
    result = cli("revisit", "done", note)
    assert result.exit_code == 0, result.output
    assert not _has_revisit_tag(note)
    assert note.name not in _names(_queue(cli))
    result = cli("revisit", "add", note)
    assert result.exit_code == 0, result.output
    assert note.read_bytes() == original
    assert note.name in _names(_queue(cli))


def test_done_clears_revisit_true_flag(kb: Path, cli) -> None:
    note = kb / "til-python-typing-protocols.md"
    assert "revisit: true" in note.read_text(encoding="utf-8")
    result = cli("revisit", "done", note)
    assert result.exit_code == 0, result.output
    assert "revisit" not in note.read_text(encoding="utf-8")
    assert note.name not in _names(_queue(cli, "--all"))


def test_history_lists_actions_and_survives_full_import(kb: Path, cli) -> None:
    steps = [
        ("done", "state-of-ml-in-julia.md"),
        ("add", "state-of-ml-in-julia.md"),
        ("snooze", "duckdb-vs-sqlite.md"),
    ]
    for action, name in steps:
        result = cli("revisit", action, kb / name)
        assert result.exit_code == 0, result.output
    expected = [(a, n) for a, n in reversed(steps)]
    got = [(h["action"], Path(h["path"]).name) for h in _history(cli)]
    assert got == expected
    table = cli("revisit", "history")
    assert table.exit_code == 0, table.output
    for action, _name in steps:
        assert action in table.output

    result = cli("import", "--full", kb)
    assert result.exit_code == 0, result.output
    assert [(h["action"], Path(h["path"]).name) for h in _history(cli)] == expected


def test_done_reads_current_file_changed_after_import(kb: Path, cli) -> None:
    note = kb / "duckdb-vs-sqlite.md"
    text = note.read_text(encoding="utf-8")
    note.write_text(text + "\nA line added after the import.\n", encoding="utf-8")
    result = cli("revisit", "done", note, "--no-refresh")
    assert result.exit_code == 0, result.output
    after = note.read_text(encoding="utf-8")
    assert "A line added after the import." in after
    assert not _has_revisit_tag(note)
    assert note.name not in _names(_queue(cli))


def test_review_without_terminal_is_usage_error(kb: Path, cli) -> None:
    result = cli("revisit", "review", input="d\n")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "revisit list" in lines[0]


# --- a real terminal ---------------------------------------------------------------------


def _read_until(fd: int, buf: bytearray, needle: str, start: int, timeout: float = 20.0) -> int:
    """Read from the pty until `needle` appears after `start`; return the end of the match."""
    deadline = time.monotonic() + timeout
    target = needle.encode()
    while True:
        pos = buf.find(target, start)
        if pos >= 0:
            return pos + len(target)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            tail = buf[-2000:].decode("utf-8", "replace")
            raise AssertionError(f"timed out waiting for {needle!r}; last output:\n{tail}")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            if not chunk:
                pos = buf.find(target, start)
                if pos >= 0:
                    return pos + len(target)
                tail = buf[-2000:].decode("utf-8", "replace")
                raise AssertionError(f"terminal closed before {needle!r}; last output:\n{tail}")
            buf += chunk


def _send_key(fd: int, key: bytes, timeout: float = 20.0) -> None:
    """Send one key once the review waits for a key press (terminal in cbreak mode).

    read_key() switches to cbreak with TCSAFLUSH, which drops keys typed ahead of it,
    so wait until canonical mode is off before writing.
    """
    import termios

    deadline = time.monotonic() + timeout
    while termios.tcgetattr(fd)[3] & termios.ICANON:
        if time.monotonic() > deadline:
            raise AssertionError("the review never switched the terminal to cbreak mode")
        time.sleep(0.02)
    os.write(fd, key)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_review_in_a_pseudo_terminal(kb: Path, cli, db_path: Path) -> None:
    import pty

    first, second, third = (kb / n for n in QUEUE_ORDER[:3])
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "NOTES_KB_DB": str(db_path),
        "TERM": "xterm",
        "COLUMNS": "100",
        "LINES": "40",
        "NO_COLOR": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "notes_kb", "--db", str(db_path), "revisit", "review"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=REPO,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    buf = bytearray()
    try:
        pos = _read_until(master, buf, "[d]one", 0)
        _send_key(master, b"k")
        pos = _read_until(master, buf, "Revisit 2/", pos)
        pos = _read_until(master, buf, "[d]one", pos)
        _send_key(master, b"s")
        pos = _read_until(master, buf, "snooze for", pos)
        os.write(master, b"\r")
        pos = _read_until(master, buf, "Revisit 3/", pos)
        pos = _read_until(master, buf, "[d]one", pos)
        _send_key(master, b"d")
        pos = _read_until(master, buf, "Revisit 4/", pos)
        pos = _read_until(master, buf, "[d]one", pos)
        _send_key(master, b"q")
        _read_until(master, buf, "Review finished", pos)
        assert proc.wait(timeout=20) == 0, buf.decode("utf-8", "replace")[-2000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        os.close(master)

    output = buf.decode("utf-8", "replace")
    assert "1 done, 1 snoozed, 1 kept, 3 not reviewed" in output
    assert _has_revisit_tag(first)
    assert _front_value(first, "revisit_after") is None
    assert _front_value(second, "revisit_after") == (TODAY + dt.timedelta(days=1)).isoformat()
    assert _has_revisit_tag(second)
    assert not _has_revisit_tag(third)
    got = {(h["action"], Path(h["path"]).name) for h in _history(cli)}
    assert got == {("keep", first.name), ("snooze", second.name), ("done", third.name)}
    conn = open_db(db_path)
    try:
        revisit = dict(conn.execute("SELECT path, revisit FROM notes"))
    finally:
        conn.close()
    assert revisit[str(third)] == 0
