"""The search engines behind `search`: SQLite FTS5 (the default) and Whoosh.

Both run the same query language. Field terms (``tag:``, ``author:``, dates...) always
compile to SQL through :mod:`notes_kb.store.querysql`, giving the notes allowed; the engine
matches and ranks the free text within them (see :mod:`notes_kb.engines.plan`).

Typo tolerance and "did you mean" come from the notebook's own vocabulary, which the Whoosh
index keeps: ``--fuzzy`` turns each word into the words of the notebook within a few edits
(:meth:`Vocabulary.expand`), and either engine runs the expanded query.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from notes_kb.query import And, Field, Node, Not, Or, Text, positive_leaves

ENGINES = ("fts5", "whoosh")

#: (done, total) callback for long index updates.
Progress = Callable[[int, int], None]
#: word -> [(a word of the notebook, edits from the word)], nearest first.
Expansions = Mapping[str, Sequence[tuple[str, int]]]


@dataclass(frozen=True)
class SearchRequest:
    node: Node | None
    sort: str = "relevance"
    reverse: bool = False
    limit: int | None = None
    snippets: bool = True
    count: bool = False  # also count every match, not only the ones returned
    fuzzy: Expansions = field(default_factory=dict)
    paths_only: bool = False  # rows need only "path" (for --format paths)


@dataclass
class SearchResult:
    rows: list[dict[str, Any]]
    total: int | None = None  # set when the request asked for a count


class Engine(Protocol):
    name: str

    def search(self, request: SearchRequest) -> SearchResult: ...

    def reindex(self) -> int:
        """Rebuild from the notes table; returns the number of notes indexed."""
        ...


class Vocabulary(Protocol):
    """What the Whoosh index knows about the notebook's words."""

    def expand(self, words: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        """For each word, the notebook's words within its typo allowance."""
        ...

    def corrections(self, words: Sequence[str]) -> dict[str, str]:
        """For each word the notebook does not contain, its most likely intended word."""
        ...

    def ready(self, build_limit: int) -> bool:
        """Whether the index is usable without a full build of more than `build_limit`
        notes (it is brought up to date either way)."""
        ...

    def related(self, note_id: int, limit: int = 10) -> list[dict[str, Any]]:
        """The notes most like a note (by key terms), never the note itself."""
        ...


def open_engine(
    name: str, conn: sqlite3.Connection, db_path: Path, progress: Progress | None = None
) -> Engine:
    if name == "whoosh":
        from notes_kb.engines.whoosh import WhooshEngine

        return WhooshEngine(conn, db_path, progress)
    from notes_kb.engines.fts5 import Fts5Engine

    return Fts5Engine(conn)


def open_vocabulary(
    conn: sqlite3.Connection, db_path: Path, progress: Progress | None = None
) -> Vocabulary:
    from notes_kb.engines.whoosh import WhooshEngine

    return WhooshEngine(conn, db_path, progress)


def plain_words(node: Node | None) -> list[str]:
    """The positive single words of a query (no phrases, prefixes or fields), first-seen
    order: the words fuzzy matching and spelling suggestions work on."""
    out: list[str] = []
    for leaf in positive_leaves(node):
        if isinstance(leaf, Text) and not leaf.phrase and not leaf.prefix and leaf.value not in out:
            out.append(leaf.value)
    return out


def replace_words(node: Node, replacements: Mapping[str, str]) -> Node:
    """`node` with plain words replaced (for "did you mean")."""
    if isinstance(node, Text):
        if not node.phrase and not node.prefix and node.value in replacements:
            return Text(replacements[node.value])
        return node
    if isinstance(node, Not):
        return Not(replace_words(node.child, replacements))
    if isinstance(node, And | Or):
        return type(node)(tuple(replace_words(c, replacements) for c in node.children))
    return node


def is_text(node: Node) -> bool:
    """A leaf the full-text engine answers: a word or phrase, or ``body:``."""
    return isinstance(node, Text) or (
        isinstance(node, Field) and node.name == "body" and node.op == ":"
    )


__all__ = [
    "ENGINES",
    "Engine",
    "Expansions",
    "Progress",
    "SearchRequest",
    "SearchResult",
    "Vocabulary",
    "is_text",
    "open_engine",
    "open_vocabulary",
    "plain_words",
    "replace_words",
]
