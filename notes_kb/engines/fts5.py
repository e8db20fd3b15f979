"""The default engine: SQLite FTS5 through store.querysql and store.read."""

from __future__ import annotations

import sqlite3

from notes_kb.engines import Expansions, SearchRequest, SearchResult
from notes_kb.query import And, Node, Not, Or, Text, combine
from notes_kb.store import bulk
from notes_kb.store.querysql import compile_query, fts_quote
from notes_kb.store.read import count, find


class Fts5Engine:
    name = "fts5"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def search(self, request: SearchRequest) -> SearchResult:
        node, groups = _fuzzy(request.node, request.fuzzy) if request.fuzzy else (request.node, [])
        compiled = compile_query(node)
        if groups:
            # Fuzzy words filter and rank as ("word" OR "neighbour" ...) groups.
            compiled.fts = " AND ".join([*([compiled.fts] if compiled.fts else []), *groups])
            compiled.rank_fts = None
        rows = find(
            self.conn,
            compiled,
            sort=request.sort,
            reverse=request.reverse,
            limit=request.limit,
            snippets=request.snippets,
            paths_only=request.paths_only,
        )
        total = None
        if request.count:
            limited = request.limit is not None and 0 <= request.limit <= len(rows)
            total = count(self.conn, compiled) if limited else len(rows)
        return SearchResult(rows, total)

    def reindex(self) -> int:
        return bulk.rebuild_fts(self.conn)


def _fuzzy(node: Node | None, expansions: Expansions) -> tuple[Node | None, list[str]]:
    """Top-level fuzzy words become FTS5 OR groups; nested ones become OR nodes."""
    if node is None:
        return None, []
    groups: list[str] = []
    rest: list[Node] = []
    for child in node.children if isinstance(node, And) else (node,):
        if isinstance(child, Text) and _expandable(child, expansions):
            quoted = [q for word, _ in expansions[child.value] if (q := fts_quote(Text(word)))]
            groups.append("(" + " OR ".join(quoted) + ")")
        else:
            rest.append(_rewrite(child, expansions))
    return combine(*rest), groups


def _expandable(node: Text, expansions: Expansions) -> bool:
    return not node.phrase and not node.prefix and bool(expansions.get(node.value))


def _rewrite(node: Node, expansions: Expansions) -> Node:
    if isinstance(node, Text):
        if not _expandable(node, expansions):
            return node
        alternatives = tuple(Text(word) for word, _ in expansions[node.value])
        return alternatives[0] if len(alternatives) == 1 else Or(alternatives)
    if isinstance(node, Not):
        return Not(_rewrite(node.child, expansions))
    if isinstance(node, And | Or):
        return type(node)(tuple(_rewrite(c, expansions) for c in node.children))
    return node
