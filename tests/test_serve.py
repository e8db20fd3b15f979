"""`notes-kb serve`: the index in Datasette, searched and faceted through its JSON API."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from notes_kb.serve import ServeError, bind, is_loopback, metadata, snapshot

STARTUP_DEADLINE = 30.0


@dataclass
class Server:
    proc: subprocess.Popen[str]
    base: str
    lines: list[str] = field(default_factory=list)

    def get(self, path: str, **params: str) -> tuple[int, Any]:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        text = body.decode("utf-8")
        return status, json.loads(text) if path.endswith(".json") else text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: Path) -> Server:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "notes_kb", "--db", str(db), "serve", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(proc, f"http://127.0.0.1:{port}")
    assert proc.stderr is not None
    stream = proc.stderr
    threading.Thread(target=lambda: server.lines.extend(stream), daemon=True).start()
    started = time.monotonic()
    while True:
        try:
            status, _ = server.get("/-/versions.json")
            if status == 200:
                return server
        except (urllib.error.URLError, ConnectionError):
            pass
        if proc.poll() is not None or time.monotonic() - started > STARTUP_DEADLINE:
            proc.kill()
            raise AssertionError("server did not start: " + "".join(server.lines))
        time.sleep(0.1)


def stop_server(server: Server, sig: signal.Signals = signal.SIGINT) -> int:
    server.proc.send_signal(sig)
    code = server.proc.wait(timeout=30)
    time.sleep(0.1)
    return code


@pytest.fixture
def server(indexed: Path) -> Iterator[Server]:
    running = start_server(indexed)
    try:
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.kill()
            running.proc.wait(timeout=10)


def fts_ids(db: Path, word: str) -> set[int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?", (word,))
        return {r[0] for r in rows}
    finally:
        conn.close()


def test_search_facets_and_read_only(server: Server, indexed: Path) -> None:
    status, data = server.get("/index/notes.json", _search="julia", _shape="objects", _size="max")
    assert status == 200
    rows = data["rows"]
    assert {r["id"] for r in rows} == fts_ids(indexed, "julia") != set()
    assert "State of Machine Learning in Julia" in {r["title"] for r in rows}
    facets = data["facet_results"]
    assert {"tags", "authors", "draft", "revisit"} <= set(facets)
    julia = next(f for f in facets["tags"]["results"] if f["value"] == "julia")
    assert julia["count"] >= 1
    assert facets["tags"]["type"] == "array"

    # Full-text search and a facet together: a drafts filter.
    status, drafts = server.get("/index/notes.json", _search="julia", draft="1", _shape="objects")
    assert status == 200 and drafts["rows"]
    assert all(r["draft"] == 1 for r in drafts["rows"])

    for sql in (
        "DELETE FROM notes",
        "UPDATE notes SET title = 'x'",
        "INSERT INTO state (key, value) VALUES ('a', 'b')",
        "DROP TABLE notes",
        "PRAGMA user_version = 99",
    ):
        status, answer = server.get("/index.json", sql=sql)
        assert status == 400, (sql, answer)
        assert answer["ok"] is False
    status, _ = server.get("/index.json", sql="SELECT count(*) AS n FROM notes")
    assert status == 200

    conn = sqlite3.connect(indexed)
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 25
    conn.close()

    assert stop_server(server) == 0
    err = "".join(server.lines)
    assert "Traceback" not in err
    assert "serving http://127.0.0.1:" in err


def test_bodies_are_rendered_as_markdown(server: Server, indexed: Path) -> None:
    conn = sqlite3.connect(indexed)
    (note_id,) = conn.execute(
        "SELECT id FROM notes WHERE title = 'Git worktrees for parallel branches'"
    ).fetchone()
    conn.close()
    status, page = server.get(f"/index/notes/{note_id}")
    assert status == 200
    assert "<h2>Commands</h2>" in page
    assert "<code>git worktree</code>" in page
    assert "## Commands" not in page


def test_a_missing_page_is_a_plain_404(server: Server) -> None:
    status, answer = server.get("/index/nope.json")
    assert status == 404
    assert answer["ok"] is False
    assert stop_server(server, signal.SIGTERM) == 0
    assert "Traceback" not in "".join(server.lines)
    assert server.lines[-1] == "stopped\n"


def test_no_index_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "notes_kb",
            "--db",
            str(tmp_path / "none.db"),
            "serve",
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "no index" in proc.stderr


def test_a_busy_port_is_one_line(indexed: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServeError, match=f"port {port} on 127.0.0.1 is in use"):
            bind("127.0.0.1", port)


def test_metadata_configures_search_facets_and_markdown() -> None:
    notes = metadata("index")["databases"]["index"]["tables"]["notes"]
    assert notes["fts_table"] == "notes_fts"
    assert notes["fts_pk"] == "id"
    assert notes["facets"] == [{"array": "tags"}, {"array": "authors"}, "draft", "revisit"]
    assert notes["plugins"] == {"datasette-render-markdown": {"columns": ["body"]}}


def test_snapshot_is_a_complete_standalone_copy(indexed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    copy = snapshot(indexed, folder)
    assert copy.name == "index.db"
    conn = sqlite3.connect(f"file:{copy}?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 25
    assert conn.execute("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'julia'").fetchone()
    conn.close()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("example", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
