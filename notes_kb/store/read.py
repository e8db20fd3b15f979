"""Reads from the index with plain sqlite3: lean enough for the query path."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from notes_kb.errors import AmbiguousNote, NoteNotFound
from notes_kb.store.querysql import Compiled
from notes_kb.values import to_iso

SNIPPET_OPEN = "\x02"
SNIPPET_CLOSE = "\x03"
SORTS = ("relevance", "lastmod", "title", "path")
_ROW_COLUMNS = (
    "id, path, title, tags, authors, categories, draft, revisit, revisit_after, lastmod, date, "
    "error"
)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _date(value: Any) -> str | None:
    return to_iso(value) if isinstance(value, str) else None


def prepare(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Register the SQL functions the query compiler uses."""
    conn.create_function(
        "casefold", 1, lambda v: v.casefold() if isinstance(v, str) else v, deterministic=True
    )
    conn.create_function("nkb_date", 1, _date, deterministic=True)
    conn.create_function("nkb_number", 1, _number, deterministic=True)
    return conn


def _order(sort: str, reverse: bool, ranked: bool) -> str:
    if sort == "relevance" and not ranked:
        sort = "lastmod"
    if sort == "relevance":
        clause = "score ASC, n.id ASC"
        return clause.replace("ASC", "DESC") if reverse else clause
    if sort == "lastmod":
        direction = "ASC" if reverse else "DESC"
        return f"n.lastmod IS NULL, n.lastmod {direction}, n.id"
    if sort == "title":
        direction = "DESC" if reverse else "ASC"
        return f"casefold(n.title) {direction}, n.id"
    direction = "DESC" if reverse else "ASC"
    return f"n.path {direction}"


def find(
    conn: sqlite3.Connection,
    q: Compiled,
    *,
    sort: str = "relevance",
    reverse: bool = False,
    limit: int | None = None,
    snippets: bool = True,
    paths_only: bool = False,
) -> list[dict[str, Any]]:
    """Ranked note dicts (+ score and snippet when the query has words)."""
    limit_sql = f" LIMIT {int(limit)}" if limit is not None and limit >= 0 else ""
    ranked = q.fts is not None or q.rank_fts is not None
    order = _order(sort, reverse, ranked)
    if q.fts is not None:
        sql = (
            "SELECT n.id, f.rank AS score FROM notes_fts f JOIN notes n ON n.id = f.rowid "
            f"WHERE notes_fts MATCH ? AND {q.where} ORDER BY {order}{limit_sql}"
        )
        params: list[Any] = [q.fts, *q.params]
    elif q.rank_fts is not None:
        sql = (
            "SELECT n.id, coalesce(r.rank, 0) AS score FROM notes n LEFT JOIN "
            "(SELECT rowid, rank FROM notes_fts WHERE notes_fts MATCH ?) r ON r.rowid = n.id "
            f"WHERE {q.where} ORDER BY {order}{limit_sql}"
        )
        params = [q.rank_fts, *q.params]
    else:
        sql = f"SELECT n.id, NULL AS score FROM notes n WHERE {q.where} ORDER BY {order}{limit_sql}"
        params = list(q.params)
    hits = conn.execute(sql, params).fetchall()
    ids = [h[0] for h in hits]
    if paths_only:
        paths = _paths_by_id(conn, ids)
        return [{"id": i, "path": paths[i]} for i in ids]
    rows = notes_by_id(conn, ids)
    match = q.fts or q.rank_fts
    snips = _snippets(conn, match, ids) if snippets and match and ids else {}
    out = []
    for note_id, score in hits:
        row = rows[note_id]
        if ranked:
            row["score"] = float(f"{-score:.4g}") if score is not None else 0.0
            row["snippet"] = snips.get(note_id, "")
        out.append(row)
    return out


def count(conn: sqlite3.Connection, q: Compiled) -> int:
    if q.fts is not None:
        sql = (
            "SELECT count(*) FROM notes_fts f JOIN notes n ON n.id = f.rowid "
            f"WHERE notes_fts MATCH ? AND {q.where}"
        )
        return int(conn.execute(sql, [q.fts, *q.params]).fetchone()[0])
    return int(
        conn.execute(f"SELECT count(*) FROM notes n WHERE {q.where}", q.params).fetchone()[0]
    )


# SQLite's snippet() is quadratic in the number of matches in a note: big notes get a
# snippet made here from the first match instead.
SNIPPET_MAX_BYTES = 65536
_BIG_SCAN_CHARS = 262144
_FTS_STRING_RE = re.compile(r'"((?:[^"]|"")*)"(\*?)')


def _snippets(conn: sqlite3.Connection, match: str, ids: list[int]) -> dict[int, str]:
    marks = ",".join("?" for _ in ids)
    big = {
        row[0]: row[1]
        for row in conn.execute(
            f"SELECT id, substr(body, 1, {_BIG_SCAN_CHARS}) FROM notes "
            f"WHERE id IN ({marks}) AND size > {SNIPPET_MAX_BYTES}",
            ids,
        )
    }
    out = {note_id: _plain_snippet(body, match) for note_id, body in big.items()}
    small = [i for i in ids if i not in big]
    if small:
        marks = ",".join("?" for _ in small)
        sql = (
            f"SELECT rowid, snippet(notes_fts, 1, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 14) "
            f"FROM notes_fts WHERE notes_fts MATCH ? AND rowid IN ({marks})"
        )
        out.update((rowid, text.strip()) for rowid, text in conn.execute(sql, [match, *small]))
    return out


def _plain_snippet(body: str, match: str, width: int = 90) -> str:
    """A snippet around the first occurrence of any query word (case-insensitive)."""
    words = [m.group(1).replace('""', '"') for m in _FTS_STRING_RE.finditer(match)]
    words = [w for w in words if w.strip()]
    if not words:
        return body[:width].strip()
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    found = pattern.search(body)
    if found is None:
        return body[:width].strip()
    start = max(0, found.start() - width // 2)
    end = min(len(body), found.end() + width // 2)
    before, hit, after = body[start : found.start()], found.group(0), body[found.end() : end]
    return (
        ("…" if start else "")
        + before
        + SNIPPET_OPEN
        + hit
        + SNIPPET_CLOSE
        + after
        + ("…" if end < len(body) else "")
    ).strip()


def _paths_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        out.update(conn.execute(f"SELECT id, path FROM notes WHERE id IN ({marks})", chunk))
    return out


def notes_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        for row in conn.execute(f"SELECT {_ROW_COLUMNS} FROM notes WHERE id IN ({marks})", chunk):
            out[row[0]] = _note_dict(row)
        links: dict[int, list[str]] = {}
        for note_id, target in conn.execute(
            f"SELECT note_id, target FROM links WHERE note_id IN ({marks}) ORDER BY rowid", chunk
        ):
            links.setdefault(note_id, []).append(target)
        for note_id, targets in links.items():
            out[note_id]["links"] = targets
    return out


def _note_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    (
        note_id,
        path,
        title,
        tags,
        authors,
        categories,
        draft,
        revisit,
        after,
        lastmod,
        date,
        error,
    ) = row
    return {
        "id": note_id,
        "path": path,
        "title": title,
        "authors": json.loads(authors or "[]"),
        "tags": json.loads(tags or "[]"),
        "categories": json.loads(categories or "[]"),
        "draft": bool(draft),
        "revisit": bool(revisit),
        "revisit_after": after,
        "lastmod": lastmod,
        "date": date,
        "links": [],
        "error": error,
    }


def note_detail(conn: sqlite3.Connection, note_id: int) -> dict[str, Any]:
    """Everything `show` needs: the note dict, body, frontmatter, outgoing links, backlinks."""
    row = notes_by_id(conn, [note_id])[note_id]
    body, meta, fmt, warnings = conn.execute(
        "SELECT body, meta, fm_format, warnings FROM notes WHERE id = ?", (note_id,)
    ).fetchone()
    row["body"] = body
    row["meta"] = json.loads(meta or "{}")
    row["format"] = fmt
    row["warnings"] = json.loads(warnings) if warnings else []
    row["outgoing"] = [
        {"kind": k, "target": t, "domain": d, "text": x, "note": p}
        for k, t, d, x, p in conn.execute(
            "SELECT l.kind, l.target, l.domain, l.text, m.path FROM links l "
            "LEFT JOIN notes m ON m.id = l.target_id WHERE l.note_id = ? ORDER BY l.rowid",
            (note_id,),
        )
    ]
    row["backlinks"] = [
        {"path": p, "title": t}
        for p, t in conn.execute(
            "SELECT DISTINCT m.path, m.title FROM links l JOIN notes m ON m.id = l.note_id "
            "WHERE l.target_id = ? AND m.id != ? ORDER BY m.title, m.path",
            (note_id, note_id),
        )
    ]
    return row


def resolve_note(conn: sqlite3.Connection, ref: str) -> int:
    """A note by path, file name, title, or a unique prefix of one of them."""
    import os

    ref_path = os.path.abspath(os.path.expanduser(ref))
    row = conn.execute("SELECT id FROM notes WHERE path = ?", (ref_path,)).fetchone()
    if row:
        return int(row[0])
    low = ref.casefold()
    stem = os.path.basename(low).removesuffix(".md")
    for sql, args in (
        ("SELECT id, path FROM notes WHERE stem = ?", (stem,)),
        ("SELECT id, path FROM notes WHERE casefold(title) = ?", (low,)),
        ("SELECT id, path FROM notes WHERE path LIKE ? ESCAPE '\\'", ("%/" + _esc(ref),)),
        (
            "SELECT id, path FROM notes WHERE substr(stem, 1, ?) = ? "
            "OR substr(casefold(title), 1, ?) = ?",
            (len(low), low, len(low), low),
        ),
    ):
        found = conn.execute(sql + " ORDER BY path LIMIT 21", args).fetchall()
        if len(found) == 1:
            return int(found[0][0])
        if len(found) > 1:
            raise AmbiguousNote(
                f"{ref!r} matches {len(found)} notes; be more specific", [p for _i, p in found]
            )
    raise NoteNotFound(f"no note matches {ref!r}")


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def facet_counts(conn: sqlite3.Connection, facet: str) -> list[tuple[str, int]]:
    """(value as most often written, note count) for tags, authors or categories."""
    table, column = {
        "tags": ("note_tags", "tag"),
        "authors": ("note_authors", "author"),
        "categories": ("note_categories", "category"),
    }[facet]
    spelling = _most_written(
        conn.execute(f"SELECT {column}_lc, {column}, count(*) FROM {table} GROUP BY 1, 2")
    )
    sql = (
        f"SELECT {column}_lc, count(DISTINCT note_id) FROM {table} GROUP BY {column}_lc "
        f"ORDER BY count(DISTINCT note_id) DESC, {column}_lc"
    )
    return [(spelling[key], n) for key, n in conn.execute(sql)]


def _most_written(rows: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """key -> its most frequent spelling (ties: the first in code-point order), whatever the
    order the rows were stored in."""
    best: dict[str, tuple[int, str]] = {}
    for key, value, count in rows:
        held = best.get(key)
        if held is None or count > held[0] or (count == held[0] and value < held[1]):
            best[key] = (count, value)
    return {key: value for key, (_count, value) in best.items()}


def domain_counts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    sql = (
        "SELECT domain, count(*) FROM links WHERE kind = 'url' AND domain != '' "
        "GROUP BY domain ORDER BY count(*) DESC, domain"
    )
    return [(d, n) for d, n in conn.execute(sql)]


def broken_links(conn: sqlite3.Connection) -> list[dict[str, str]]:
    sql = (
        "SELECT n.path, n.title, l.kind, l.target FROM links l JOIN notes n ON n.id = l.note_id "
        "WHERE l.kind IN ('wiki', 'internal') AND l.target_id IS NULL ORDER BY n.path, l.rowid"
    )
    return [{"path": p, "title": t, "kind": k, "target": x} for p, t, k, x in conn.execute(sql)]


def status(conn: sqlite3.Connection) -> dict[str, Any]:
    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return {
        "notes": one("SELECT count(*) FROM notes"),
        "tags": one("SELECT count(DISTINCT tag_lc) FROM note_tags"),
        "authors": one("SELECT count(DISTINCT author_lc) FROM note_authors"),
        "links": one("SELECT count(*) FROM links"),
        "drafts": one("SELECT count(*) FROM notes WHERE draft = 1"),
        "revisit": one("SELECT count(*) FROM notes WHERE revisit = 1"),
        "with_errors": one("SELECT count(*) FROM notes WHERE error IS NOT NULL"),
        "sources": [
            {"path": p, "last_import": t, "notes": c}
            for p, t, c in conn.execute(
                "SELECT path, last_import, notes FROM sources ORDER BY path"
            )
        ],
    }


def orphans(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT n.id FROM notes n WHERE NOT EXISTS (SELECT 1 FROM links l "
            "WHERE l.target_id = n.id AND l.note_id != n.id) ORDER BY casefold(n.title)"
        )
    ]
    rows = notes_by_id(conn, ids)
    return [rows[i] for i in ids]


def tag_tree_counts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every tag and every parent of a nested tag (a for a/b), with distinct note counts;
    each shown as most often written."""
    written: dict[tuple[str, str], int] = {}
    notes: dict[str, set[int]] = {}
    for note_id, tag in conn.execute("SELECT note_id, tag FROM note_tags"):
        parts = tag.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            name = "/".join(parts[:depth])
            key = name.casefold()
            written[key, name] = written.get((key, name), 0) + 1
            notes.setdefault(key, set()).add(note_id)
    spelling = _most_written((key, name, n) for (key, name), n in written.items())
    rows = [(spelling[k], len(v)) for k, v in notes.items()]
    rows.sort(key=lambda r: (-r[1], r[0].casefold()))
    return rows
