"""A new note: slug from the title, YAML frontmatter in the house style, an atomic create."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from notes_kb.model import ImportReport

MAX_SLUG = 80
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Letters that NFKD does not split into an ASCII base letter.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "đ": "d",
     "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i"}
)  # fmt: skip


def slugify(title: str) -> str:
    """ASCII, lower case, words joined by '-': "Über Café: Notes" -> "uber-cafe-notes"."""
    folded = unicodedata.normalize("NFKD", title.translate(_FOLD))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_WORD.sub("-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug or "note"


def frontmatter(
    title: str,
    *,
    tags: Sequence[str] = (),
    authors: Sequence[str] = (),
    today: dt.date | None = None,
) -> str:
    """The house style: title, author list, tags list, draft: true, lastmod: today."""
    import yaml

    data = {
        "title": title,
        "author": list(authors),
        "tags": list(tags),
        "draft": True,
        "lastmod": today or dt.date.today(),
    }
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{text}---\n\n"


def create(folder: Path, slug: str, text: str) -> Path:
    """Write `slug.md` (or slug-2.md, slug-3.md... if taken) atomically; never overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    tmp = folder / f".{slug}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        for n in itertools.count(1):
            target = folder / (f"{slug}.md" if n == 1 else f"{slug}-{n}.md")
            try:
                os.link(tmp, target)  # fails if the name exists: no note is ever replaced
            except FileExistsError:
                continue
            except OSError:  # no hard links here: exclusive create, then write
                if not _create_exclusive(target, data):
                    continue
            return target
        raise AssertionError("unreachable")
    finally:
        tmp.unlink(missing_ok=True)


def _create_exclusive(target: Path, data: bytes) -> bool:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def index_file(
    conn: sqlite3.Connection,
    db_path: Path,
    path: Path,
    *,
    revisit_tag: str = "revisit",
) -> ImportReport:
    """Import one file incrementally, as part of the source that holds it (else its folder)."""
    from notes_kb.importer import import_lock, plan, run_import, sources

    file = os.path.abspath(path)
    holders = [s for s in sources(conn) if file.startswith(s.rstrip(os.sep) + os.sep)]
    root = max(holders, key=len) if holders else os.path.dirname(file)
    work = plan(conn, [file])
    work.roots = [root]
    work.to_read = [(fs, root, known) for fs, _r, known in work.to_read]
    with import_lock(db_path):
        return run_import(conn, [root], revisit_tag=revisit_tag, precomputed=work)
