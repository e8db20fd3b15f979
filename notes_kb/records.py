"""One file -> one index record (read, hash, parse). Runs in worker processes during import."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
import stat as stat_module
import time
from typing import Any

from notes_kb.errors import NotesKbError
from notes_kb.model import Note
from notes_kb.parse import parse_bytes

MAX_NOTE_BYTES = 64 * 1024 * 1024


def file_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_record(
    path: str,
    source: str,
    known_hash: str | None = None,
    revisit_tag: str = "revisit",
    date_fields: tuple[str, ...] | None = None,
) -> tuple[str, Any]:
    """("record", dict) | ("same", (hash, stat)) | ("failed", reason).

    `date_fields` defaults to the configured extra date keys.
    """
    if date_fields is None:
        from notes_kb import config

        date_fields = config.load().date_fields
    try:
        # O_NONBLOCK: a FIFO or device named like a note must not hang the import.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            st = os.fstat(fd)
            if not stat_module.S_ISREG(st.st_mode):
                return "failed", "not a regular file"
            if st.st_size > MAX_NOTE_BYTES:
                return "failed", f"file is larger than {MAX_NOTE_BYTES // (1024 * 1024)} MB"
            data = _read_bounded(fd, st.st_size)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return "failed", "file vanished before it could be read"
    except OSError as exc:
        return "failed", f"cannot read: {exc.strerror or exc}"
    if len(data) > MAX_NOTE_BYTES:
        return "failed", f"file is larger than {MAX_NOTE_BYTES // (1024 * 1024)} MB"
    digest = file_hash(data)
    stat = (st.st_mtime_ns, st.st_size, st.st_ino)
    if known_hash is not None and digest == known_hash:
        return "same", (digest, stat)
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        note = parse_bytes(data, stem, revisit_tag=revisit_tag, date_fields=date_fields)
        return "record", to_record(note, path, source, stat, digest)
    except NotesKbError as exc:
        return "failed", str(exc)
    except RecursionError:
        return "failed", "note is nested too deeply to parse"
    except Exception as exc:  # one bad note must never stop an import
        return "failed", f"could not be parsed ({type(exc).__name__}: {exc})"


def _read_bounded(fd: int, size: int) -> bytes:
    """The file's bytes, at most MAX_NOTE_BYTES + 1 of them (a file may grow while read).

    Asks for the size the stat gave (plus one, to notice growth) rather than the limit, so
    no 64 MB buffer is allocated per note; plain os.read, as this runs for every note.
    """
    limit = MAX_NOTE_BYTES + 1
    expected = min(size, MAX_NOTE_BYTES) + 1
    chunks: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, (expected if total < expected else limit) - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def to_record(
    note: Note, path: str, source: str, stat: tuple[int, int, int], digest: str
) -> dict[str, Any]:
    folder = os.path.dirname(path)
    links = []
    for kind, target, domain, text, origin in note.links:
        if kind == "wiki":  # the file name's stem: what os.path.basename gives, inlined
            resolved = target[target.rfind("/") + 1 :].removesuffix(".md").casefold()
        elif kind == "internal":
            resolved = os.path.normpath(os.path.join(folder, target))
        else:
            resolved = ""
        links.append((kind, target, resolved, domain, text, origin))
    return {
        "path": path,
        "source": source,
        "stem": os.path.splitext(os.path.basename(path))[0].casefold(),
        "title": note.title,
        "body": note.body,
        "tags": json_strings(note.tags),
        "authors": json_strings(note.authors),
        "categories": json_strings(note.categories),
        "fm_format": note.fm_format,
        "draft": int(note.draft),
        "revisit": int(note.revisit),
        "revisit_after": note.revisit_after,
        "lastmod": note.lastmod,
        "date": note.dates.get("date"),
        "created": note.dates.get("created"),
        "updated": note.dates.get("updated"),
        "meta": _json(note.meta),
        "error": note.error,
        "warnings": _json(list(note.warnings)) if note.warnings else None,
        "mtime_ns": stat[0],
        "size": stat[1],
        "inode": stat[2],
        "hash": digest,
        "indexed_at": _now(),
        "_tags": list(note.tags),
        "_authors": list(note.authors),
        "_categories": list(note.categories),
        "_links": links,
    }


def _now() -> str:
    """The current UTC time to the second, as ISO text (made once a second, not per note)."""
    return _iso_second(int(time.time()))


@functools.lru_cache(maxsize=1)
def _iso_second(second: int) -> str:
    return dt.datetime.fromtimestamp(second, dt.UTC).isoformat(timespec="seconds")


_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps builds one per call


def _json(value: Any) -> str:
    return _encode(value)


# What json.dumps(..., ensure_ascii=False) escapes in a string.
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def json_strings(items: tuple[str, ...]) -> str:
    """A JSON array of strings, exactly as json.dumps(list(items), ensure_ascii=False)
    writes it, without the encoder's cost for the common case of nothing to escape."""
    joined = '", "'.join(items)
    if _NEEDS_ESCAPE.search(joined):
        return _encode(list(items))
    return f'["{joined}"]' if items else "[]"


ReadTask = tuple[str, str, str | None, str, tuple[str, ...]]


def read_task(args: ReadTask) -> tuple[str, str, Any]:
    """Process-pool entry point: (path, source, known hash, revisit tag, date fields)."""
    path, source, known, revisit_tag, date_fields = args
    kind, payload = read_record(path, source, known, revisit_tag, date_fields)
    return path, kind, payload
