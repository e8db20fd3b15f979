"""Query tree -> SQL. User text only ever travels as bound parameters or quoted FTS5 strings."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from notes_kb.query import And, Field, Node, Not, Or, Text
from notes_kb.values import to_iso

DATE_COLUMNS = {"lastmod", "date", "created", "updated", "revisit_after"}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SQL_OPS = {":": "=", ">=": ">=", "<=": "<=", ">": ">", "<": "<", "!=": "!="}


@dataclass
class Compiled:
    where: str = "1"
    params: list[Any] = field(default_factory=list)
    fts: str | None = None  # MATCH that filters (the query's top-level words), ranks and snippets
    rank_fts: str | None = None  # MATCH used only to rank and snippet (words under OR/NOT)


def fts_quote(text: Text) -> str | None:
    """One free-text term as an FTS5 string: always quoted, so no input is FTS5 syntax."""
    value = text.value
    if not any(ch.isalnum() for ch in value):
        return None
    quoted = '"' + value.replace('"', '""') + '"'
    return quoted + "*" if text.prefix else quoted


def compile_query(node: Node | None, today: dt.date | None = None) -> Compiled:
    today = today or dt.date.today()
    if node is None:
        return Compiled()
    positives: list[str] = []
    rest: list[Node] = []
    children = node.children if isinstance(node, And) else (node,)
    for child in children:
        quoted = fts_quote(child) if isinstance(child, Text) else None
        if quoted:
            positives.append(quoted)
        elif not isinstance(child, Text):
            rest.append(child)
    params: list[Any] = []
    parts = [_node(child, params, today) for child in rest]
    compiled = Compiled(where=" AND ".join(parts) if parts else "1", params=params)
    if positives:
        compiled.fts = " AND ".join(positives)
    else:
        rank_terms = _ranking_terms(rest)
        compiled.rank_fts = " OR ".join(rank_terms) if rank_terms else None
    return compiled


def _ranking_terms(nodes: list[Node]) -> list[str]:
    """Positive text terms nested under OR: used to rank and snippet, never to filter."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            quoted = fts_quote(node)
            if quoted:
                out.append(quoted)
        elif isinstance(node, And | Or):
            out += _ranking_terms(list(node.children))
    return out


def _node(node: Node, params: list[Any], today: dt.date) -> str:
    if isinstance(node, And):
        return "(" + " AND ".join(_node(c, params, today) for c in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(_node(c, params, today) for c in node.children) + ")"
    if isinstance(node, Not):
        return f"(NOT coalesce({_node(node.child, params, today)}, 0))"
    if isinstance(node, Text):
        quoted = fts_quote(node)
        if quoted is None:
            return "1"
        params.append(quoted)
        return "n.id IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)"
    return _field(node, params, today)


def _exists(table: str, column: str, cond: str) -> str:
    test = cond.format(c="x." + column)
    return f"EXISTS (SELECT 1 FROM {table} x WHERE x.note_id = n.id AND {test})"


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _note_ref(alias: str) -> str:
    return (
        f"({alias}.stem = ? OR casefold({alias}.title) = ? OR {alias}.path = ? "
        f"OR {alias}.path LIKE ? ESCAPE '\\')"
    )


def _field(f: Field, params: list[Any], today: dt.date) -> str:
    name, op, value = f.name, f.op, f.value
    low = value.casefold()
    if name == "tag":
        if low.endswith("*"):
            params.append(_like_escape(low[:-1]) + "%")
            return _exists("note_tags", "tag_lc", "{c} LIKE ? ESCAPE '\\'")
        params += [low.strip("#"), _like_escape(low.strip("#")) + "/%"]
        return _exists("note_tags", "tag_lc", "({c} = ? OR {c} LIKE ? ESCAPE '\\')")
    if name == "author":
        params.append(low)
        return _exists("note_authors", "author_lc", "instr({c}, ?) > 0")
    if name == "category":
        params.append(low)
        return _exists("note_categories", "category_lc", "{c} = ?")
    if name == "link":
        params.append(low)
        return (
            "EXISTS (SELECT 1 FROM links l "
            "WHERE l.note_id = n.id AND instr(casefold(l.target), ?) > 0)"
        )
    if name in ("links-to", "linked-by"):
        stem = low.rsplit("/", 1)[-1].removesuffix(".md")
        params += [stem, low, value, "%/" + _like_escape(value)]
        if name == "links-to":
            return (
                "EXISTS (SELECT 1 FROM links l JOIN notes m ON m.id = l.target_id "
                f"WHERE l.note_id = n.id AND {_note_ref('m')})"
            )
        return (
            "EXISTS (SELECT 1 FROM links l JOIN notes m ON m.id = l.note_id "
            f"WHERE l.target_id = n.id AND {_note_ref('m')})"
        )
    if name == "is":
        if low == "draft":
            return "n.draft = 1"
        if low == "revisit":
            return "n.revisit = 1"
        if low == "snoozed":
            params.append(today.isoformat())
            return "(n.revisit = 1 AND n.revisit_after > ?)"
        if low == "due":
            params.append(today.isoformat())
            return "(n.revisit = 1 AND (n.revisit_after IS NULL OR n.revisit_after <= ?))"
        return "0"
    if name == "title" and op == ":":
        params.append(low)
        return "instr(casefold(n.title), ?) > 0"
    if name == "path" and op == ":":
        params.append(low)
        return "instr(casefold(n.path), ?) > 0"
    if name == "body" and op == ":":
        quoted = fts_quote(Text(value, phrase=" " in value))
        if quoted is None:
            return "1"
        params.append("body : " + quoted)
        return "n.id IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)"
    if name == "has":
        return _has(low, params)
    if name == "draft" and op in (":", "!="):
        want = 1 if low in ("true", "yes", "1", "on") else 0
        return f"n.draft {'=' if op == ':' else '!='} {want}"
    if name in DATE_COLUMNS:
        return _compare(f"n.{name}", op, value, params, date_column=True)
    inner_params: list[Any] = []
    inner = _compare("j.value", op, value, inner_params, date_column=False)
    scalar = (
        "EXISTS (SELECT 1 FROM json_each(n.meta) j WHERE casefold(j.key) = ? "
        f"AND j.type != 'array' AND {inner})"
    )
    params += [name, *inner_params]
    if op not in (":", "!="):
        return scalar
    params += [name, low]
    member = (
        "EXISTS (SELECT 1 FROM json_each(n.meta) j, json_each(j.value) k "
        "WHERE casefold(j.key) = ? AND j.type = 'array' AND casefold(k.value) = ?)"
    )
    if op == "!=":
        return f"({scalar} AND NOT {member})"
    return f"({scalar} OR {member})"


def _has(key: str, params: list[Any]) -> str:
    key = {"tag": "tags", "author": "authors", "category": "categories", "link": "links"}.get(
        key, key
    )
    if key in ("tags", "authors", "categories"):
        table = {"tags": "note_tags", "authors": "note_authors", "categories": "note_categories"}[
            key
        ]
        return f"EXISTS (SELECT 1 FROM {table} x WHERE x.note_id = n.id)"
    if key == "links":
        return "EXISTS (SELECT 1 FROM links l WHERE l.note_id = n.id)"
    if key in DATE_COLUMNS:
        return f"n.{key} IS NOT NULL"
    if key == "title":
        return "n.title IS NOT NULL"
    params.append(key)
    return (
        "EXISTS (SELECT 1 FROM json_each(n.meta) j WHERE casefold(j.key) = ? "
        "AND j.type != 'null' AND NOT (j.type = 'text' AND j.value = '') "
        "AND NOT (j.type = 'array' AND json_array_length(j.value) = 0))"
    )


def _compare(column: str, op: str, value: str, params: list[Any], *, date_column: bool) -> str:
    sql_op = _SQL_OPS[op]
    iso = to_iso(value) if any(ch.isdigit() for ch in value) else None
    if iso is not None and not _NUMBER_RE.match(value):
        expr = column if date_column else f"nkb_date({column})"
        if op in (":", "!="):
            params.append(iso[:10] if len(value.strip()) <= 10 else iso)
            width = 10 if len(value.strip()) <= 10 else len(iso)
            return f"coalesce(substr({expr}, 1, {width}) {sql_op} ?, 0)"
        params.append(iso)
        return f"coalesce({expr} {sql_op} ?, 0)"
    if date_column:
        params.append(value)
        return f"coalesce({column} {sql_op} ?, 0)"
    if _NUMBER_RE.match(value):
        params.append(float(value))
        return f"coalesce(nkb_number({column}) {sql_op} ?, 0)"
    params.append(value.casefold())
    return f"coalesce(casefold({column}) {sql_op} ?, 0)"
