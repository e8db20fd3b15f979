"""Apply a safe edit to notes on disk, then bring the index up to date for those files."""

from __future__ import annotations

import difflib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from notes_kb.errors import EditRefused, NotesKbError
from notes_kb.records import read_record
from notes_kb.store import write
from notes_kb.store.db import transaction

Edit = Callable[[str], str]


@dataclass
class EditResult:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)


def read_text(path: str) -> tuple[bytes, str]:
    """The note's bytes and its text; only UTF-8 notes are edited (a BOM is kept as U+FEFF)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise EditRefused(f"cannot read: {exc.strerror or exc}") from None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditRefused("not UTF-8 text; notes-kb only edits UTF-8 notes") from None


def apply(
    conn: sqlite3.Connection, paths: list[str], edit: Edit, *, dry_run: bool = False
) -> EditResult:
    """Run `edit` on each note's current text; write atomically; re-index what was written."""
    result = EditResult()
    for path in paths:
        try:
            original, text = read_text(path)
            new = edit(text)
        except NotesKbError as exc:
            result.refused.append((path, str(exc)))
            continue
        if new == text:
            result.unchanged.append(path)
            continue
        if dry_run:
            result.diffs.append(_diff(path, text, new))
            result.changed.append(path)
            continue
        try:
            from notes_kb.edit import atomic_write

            atomic_write(Path(path), new, original)
        except NotesKbError as exc:
            result.refused.append((path, str(exc)))
            continue
        result.changed.append(path)
    if result.changed and not dry_run:
        reindex(conn, result.changed)
    return result


def _diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=path,
        tofile=path,
    )
    return "".join(lines)


def reindex(conn: sqlite3.Connection, paths: list[str]) -> None:
    """Re-read the given files into the index, keeping each note's source folder."""
    records = []
    for path in paths:
        row = conn.execute("SELECT source FROM notes WHERE path = ?", (path,)).fetchone()
        source = row[0] if row else os.path.dirname(path)
        kind, payload = read_record(path, source)
        if kind == "record":
            records.append(payload)
    if not records:
        return
    import time

    with transaction(conn):
        write.write_notes(conn, records)
        write.resolve_links(conn)
        write.set_state(conn, "generation", str(time.time_ns()))
