"""How a query tree divides between SQL (fields) and a full-text engine (words). Pure code.

The top level of a query is an AND. Each of its parts is one of:

* text only (words, phrases, ``body:``, and OR/NOT of those): the engine matches and ranks;
* fields only (``tag:``, dates, ``is:``...): store.querysql compiles them to one WHERE clause;
* mixed (``tag:x OR word``): evaluated as sets of note ids, field parts by SQL, text parts
  by the engine, combined with the set operations of AND, OR and NOT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from notes_kb.engines import is_text
from notes_kb.query import And, Node, Not, Or, combine


def has_text(node: Node) -> bool:
    if isinstance(node, Not):
        return has_text(node.child)
    if isinstance(node, And | Or):
        return any(has_text(c) for c in node.children)
    return is_text(node)


def has_fields(node: Node) -> bool:
    if isinstance(node, Not):
        return has_fields(node.child)
    if isinstance(node, And | Or):
        return any(has_fields(c) for c in node.children)
    return not is_text(node)


@dataclass
class Split:
    text: list[Node] = field(default_factory=list)
    fields: Node | None = None
    mixed: list[Node] = field(default_factory=list)

    @property
    def filtered(self) -> bool:
        """Whether SQL or set evaluation restricts the notes before the engine runs."""
        return self.fields is not None or bool(self.mixed)


def split(node: Node | None) -> Split:
    out = Split()
    if node is None:
        return out
    sql: list[Node] = []
    for child in node.children if isinstance(node, And) else (node,):
        text, fields = has_text(child), has_fields(child)
        if text and fields:
            out.mixed.append(child)
        elif text:
            out.text.append(child)
        else:
            sql.append(child)
    out.fields = combine(*sql)
    return out


def ranking_terms(nodes: list[Node]) -> list[Node]:
    """Positive text leaves nested in AND/OR (not under NOT): they rank, never filter."""
    out: list[Node] = []
    for node in nodes:
        if is_text(node):
            out.append(node)
        elif isinstance(node, And | Or):
            out += ranking_terms(list(node.children))
    return out
