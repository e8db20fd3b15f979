"""Bulk reads for the search engines: every note's text, id sets, orderings, snippets, and
the FTS5 stemmer.

Plain sqlite3 like store.read; the SQL stays in the store package.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from notes_kb.store import write
from notes_kb.store.read import SNIPPET_CLOSE, SNIPPET_OPEN

#: One note as the engines index it: id, path, hash, title, body, tags (JSON), authors (JSON).
Document = tuple[int, str, str, str, str, str, str]
_DOC_COLUMNS = (
    "id, path, coalesce(hash, ''), coalesce(title, ''), coalesce(body, ''), "
    "coalesce(tags, ''), coalesce(authors, '')"
)
_CHUNK = 500
#: The FTS5 tokenizer of notes_fts (store.migrations), for stems that match it exactly.
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"


def generation(conn: sqlite3.Connection) -> str:
    """The importer's change counter ('' before the first change)."""
    row = conn.execute("SELECT value FROM state WHERE key = 'generation'").fetchone()
    return str(row[0]) if row and row[0] is not None else ""


def note_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM notes").fetchone()[0])


def signatures(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """path -> (id, content hash) for every note."""
    return {
        path: (note_id, digest or "")
        for note_id, path, digest in conn.execute("SELECT id, path, hash FROM notes")
    }


def documents(conn: sqlite3.Connection, ids: Sequence[int] | None = None) -> Iterator[Document]:
    """Every note (or the given ones) with the text the engines index, in id order."""
    if ids is None:
        cursor = conn.execute(f"SELECT {_DOC_COLUMNS} FROM notes ORDER BY id")
        while rows := cursor.fetchmany(_CHUNK):
            yield from rows
        return
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        marks = ",".join("?" for _ in chunk)
        yield from conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM notes WHERE id IN ({marks}) ORDER BY id", chunk
        )


def all_ids(conn: sqlite3.Connection) -> set[int]:
    return {row[0] for row in conn.execute("SELECT id FROM notes")}


def ids_where(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> set[int]:
    """Ids of the notes matching a WHERE clause compiled by store.querysql (alias n)."""
    return {row[0] for row in conn.execute(f"SELECT n.id FROM notes n WHERE {where}", params)}


def order_ids(
    conn: sqlite3.Connection, ids: Collection[int], sort: str, reverse: bool
) -> list[int]:
    """`ids` sorted as store.read.find sorts: lastmod (newest first, undated last), title or
    path; ties by id."""
    rows: list[tuple[int, str | None, str, str]] = []
    for chunk in _chunks(list(ids)):
        marks = ",".join("?" for _ in chunk)
        rows += conn.execute(
            f"SELECT id, lastmod, casefold(coalesce(title, '')), path FROM notes "
            f"WHERE id IN ({marks})",
            chunk,
        ).fetchall()
    if sort == "title":
        rows.sort(key=lambda r: r[0])
        rows.sort(key=lambda r: r[2], reverse=reverse)
    elif sort == "path":
        rows.sort(key=lambda r: r[3], reverse=reverse)
    else:
        rows.sort(key=lambda r: r[0])
        dated = sorted(
            (r for r in rows if r[1] is not None), key=lambda r: r[1] or "", reverse=not reverse
        )
        rows = dated + [r for r in rows if r[1] is None]
    return [r[0] for r in rows]


def snippets(conn: sqlite3.Connection, match: str, ids: Iterable[int]) -> dict[int, str]:
    """FTS5 body snippets for `ids`, the words of `match` (an FTS5 expression) marked."""
    out: dict[int, str] = {}
    for chunk in _chunks(list(ids)):
        marks = ",".join("?" for _ in chunk)
        sql = (
            f"SELECT rowid, snippet(notes_fts, 1, '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 14) "
            f"FROM notes_fts WHERE notes_fts MATCH ? AND rowid IN ({marks})"
        )
        out.update(conn.execute(sql, [match, *chunk]))
    return out


def unmatched(conn: sqlite3.Connection, terms: Iterable[str]) -> list[str]:
    """The FTS5 expressions (quoted words) that match no note at all."""
    return [
        term
        for term in terms
        if conn.execute(
            "SELECT 1 FROM notes_fts WHERE notes_fts MATCH ? LIMIT 1", (term,)
        ).fetchone()
        is None
    ]


def rebuild_fts(conn: sqlite3.Connection) -> int:
    """Rebuild the FTS5 index from the notes table; returns the number of notes."""
    write.rebuild_fts(conn)
    return note_count(conn)


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class Stemmer:
    """Words -> the terms notes_fts makes of them (Porter stems), from SQLite's own tokenizer,
    so another engine can match words exactly as FTS5 does."""

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", isolation_level=None)
        self._db.execute(f"CREATE VIRTUAL TABLE words USING fts5(w, tokenize = '{FTS_TOKENIZER}')")
        self._db.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(words, instance)")
        self._known: dict[str, str] = {}

    def stem(self, word: str) -> str:
        known = self._known.get(word)
        return known if known is not None else self.stems([word])[word]

    def stems(self, words: Iterable[str]) -> dict[str, str]:
        """word -> its term(s), space-separated when the tokenizer splits the word."""
        wanted = list(dict.fromkeys(words))
        todo = [w for w in wanted if w not in self._known]
        if todo:
            found: dict[int, list[str]] = {}
            self._db.execute("BEGIN")
            try:
                self._db.executemany(
                    "INSERT INTO words (rowid, w) VALUES (?, ?)", enumerate(todo, 1)
                )
                for doc, term in self._db.execute(
                    "SELECT doc, term FROM terms ORDER BY doc, offset"
                ):
                    found.setdefault(doc, []).append(term)
            finally:
                self._db.execute("ROLLBACK")
            for row, word in enumerate(todo, 1):
                self._known[word] = " ".join(found.get(row, [word]))
        return {w: self._known[w] for w in wanted}
