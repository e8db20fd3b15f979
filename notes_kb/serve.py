"""The index in Datasette: a read-only web view with search, facets and rendered markdown.

Datasette serves an immutable snapshot of the index (taken with SQLite's backup API), so
it never holds a lock on the live index, `import` and `watch` can go on beside it, and no
request can change anything: write SQL and the write API are refused.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import sqlite3
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from notes_kb.errors import IndexError_, NotesKbError
from notes_kb.store.migrations import LATEST

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
_HIDDEN = ("notes_fts", "state", "history")
# Datasette greys out <em> in cells (its style for null); inside rendered bodies it is emphasis.
_CSS = "td div em, dd div em { font-style: italic; font-size: inherit; color: inherit; }"
CSS_URL = "data:text/css," + urllib.parse.quote(_CSS)
SETTINGS = {
    "default_page_size": 20,
    "default_facet_size": 10,
    "suggest_facets": False,
    "sql_time_limit_ms": 3000,
}


class ServeError(NotesKbError):
    """The web view could not be started"""


def metadata(db_name: str) -> dict[str, Any]:
    """Datasette metadata: FTS on notes, facets, markdown bodies, internal tables hidden."""
    tables: dict[str, Any] = {
        "notes": {
            "label_column": "title",
            "sort_desc": "lastmod",
            "fts_table": "notes_fts",
            "fts_pk": "id",
            "facets": [{"array": "tags"}, {"array": "authors"}, "draft", "revisit"],
            "plugins": {"datasette-render-markdown": {"columns": ["body"]}},
        },
    }
    tables.update({name: {"hidden": True} for name in _HIDDEN})
    return {
        "title": "notes-kb",
        "extra_css_urls": [CSS_URL],
        "description": "The notes index, read-only. Search notes, or facet by tag and author.",
        "databases": {db_name: {"tables": tables}},
    }


def snapshot(index: Path, folder: Path) -> Path:
    """Copy the index (WAL included) into `folder`, as a plain rollback-journal database."""
    if not index.exists():
        raise IndexError_(f"no index at {index}: run `notes-kb import FOLDER` first")
    target = folder / (index.stem + ".db")
    try:
        src = sqlite3.connect(f"{index.resolve().as_uri()}?mode=ro", uri=True)
        try:
            version = src.execute("PRAGMA user_version").fetchone()[0]
            if version != LATEST:
                raise IndexError_(
                    f"{index}: index schema version {version}, expected {LATEST}; "
                    "run any query or `notes-kb import` first"
                )
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise IndexError_(f"{index}: cannot read the index ({exc})") from exc
    return target


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ServeError(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
            raise ServeError(
                f"port {port} on {host} is in use; choose another with --port"
            ) from exc
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(False)
    return sock


@contextmanager
def prepared(index: Path) -> Iterator[tuple[Any, str]]:
    """(the Datasette ASGI app over a snapshot of `index`, the database name)."""
    import asyncio
    import importlib

    from datasette.app import Datasette  # type: ignore[import-untyped]

    # After datasette.app, which registers the default plugins (importing this module
    # first would register it half-initialised, without its hook).
    handle_exception = importlib.import_module("datasette.handle_exception")
    # Datasette prints a Rich traceback with locals for every 4xx answer when Rich is
    # installed (it is: notes-kb uses it), and with Rich >= 14 that call itself fails for
    # a 404, turning it into a 500. Errors are still answered as JSON or HTML pages.
    setattr(handle_exception, "rich", None)  # noqa: B010

    with tempfile.TemporaryDirectory(prefix="notes-kb-serve-") as tmp:
        snap = snapshot(index, Path(tmp))
        name = snap.stem
        ds = Datasette(
            immutables=[str(snap)],
            metadata=metadata(name),
            settings=SETTINGS,
        )
        asyncio.run(ds.invoke_startup())
        yield ds.app(), name


def serve(
    index: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM. `on_ready` gets the URL of the notes table."""
    import uvicorn

    sock = bind(host, port)
    try:
        with prepared(index) as (app, name):
            actual_port = sock.getsockname()[1]
            shown_host = f"[{host}]" if ":" in host else host
            config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
            server = uvicorn.Server(config)
            if on_ready:
                on_ready(f"http://{shown_host}:{actual_port}/{name}/notes")
            with _signals_stop_quietly():
                server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def _signals_stop_quietly() -> Iterator[None]:
    """Uvicorn stops on SIGINT/SIGTERM, then re-raises the signal to the previous handler;
    with this one in place, that ends `serve` normally instead of as an interrupt."""
    quiet = {
        s: signal.signal(s, lambda _sig, _frame: None) for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for s, previous in quiet.items():
            signal.signal(s, previous)
