"""Bracketed string arrays shared by YAML flow lists, TOML arrays and JSON arrays.

The scanner records where each item's text is, so an edit only touches item text, the
separator next to it, or (for one-item-per-line layouts) the item's own line.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass

from notes_kb.edit._doc import Splice, line_bounds
from notes_kb.edit._scalar import yaml_load
from notes_kb.errors import EditRefused


@dataclass
class Item:
    start: int
    end: int
    value: str
    quote: str  # '"', "'" or "" (plain)
    comma: int | None = None  # position of the comma after the item


@dataclass
class Array:
    open: int
    close: int
    items: list[Item]
    dialect: str  # "yaml" | "toml" | "json"

    def multiline(self, s: str) -> bool:
        return "\n" in s[self.open : self.close]


def _skip(s: str, i: int, dialect: str) -> int:
    while i < len(s):
        c = s[i]
        if c in " \t\r\n":
            i += 1
        elif c == "#" and dialect != "json":
            nl = s.find("\n", i)
            i = len(s) if nl < 0 else nl
        else:
            break
    return i


def _scan_item(s: str, i: int, dialect: str) -> tuple[int, str]:
    c = s[i]
    if c in "[{":
        raise EditRefused("a tag list item is itself a list or mapping")
    if c == '"':
        if dialect == "toml" and s.startswith('"""', i):
            raise EditRefused("multi-line TOML strings in the tag list are not supported")
        j = i + 1
        while j < len(s) and s[j] not in "\r\n":
            if s[j] == "\\":
                j += 2
                continue
            if s[j] == '"':
                return j + 1, '"'
            j += 1
        raise EditRefused("unterminated quoted item in the tag list")
    if c == "'" and dialect != "json":
        if dialect == "toml" and s.startswith("'''", i):
            raise EditRefused("multi-line TOML strings in the tag list are not supported")
        j = i + 1
        while j < len(s) and s[j] not in "\r\n":
            if s[j] == "'":
                if dialect == "yaml" and s.startswith("''", j):
                    j += 2
                    continue
                return j + 1, "'"
            j += 1
        raise EditRefused("unterminated quoted item in the tag list")
    if dialect != "yaml":
        raise EditRefused("the tag list holds a value that is not a string")
    j = i
    while j < len(s):
        ch = s[j]
        if ch in ",]\r\n":
            break
        if ch in "[{}":
            raise EditRefused("a tag list item contains brackets")
        if ch == "#" and s[j - 1] in " \t":
            break
        j += 1
    end = j
    while end > i and s[end - 1] in " \t":
        end -= 1
    if end == i:
        raise EditRefused("empty item in the tag list")
    return end, ""


def _item_value(raw: str, dialect: str) -> str:
    value: object
    if dialect == "yaml":
        value = yaml_load(raw)
    elif dialect == "toml":
        try:
            value = tomllib.loads("v = " + raw)["v"]
        except tomllib.TOMLDecodeError:
            raise EditRefused("a tag list item does not parse") from None
    else:
        try:
            value = json.loads(raw)
        except ValueError:
            raise EditRefused("a tag list item does not parse") from None
    if not isinstance(value, str):
        raise EditRefused("the tag list holds a value that is not a string")
    return value


def scan(s: str, p: int, dialect: str) -> Array:
    """Scan the array whose "[" is at s[p]."""
    if s[p] != "[":
        raise EditRefused("expected a list")
    i = p + 1
    items: list[Item] = []
    while True:
        i = _skip(s, i, dialect)
        if i >= len(s):
            raise EditRefused("unterminated tag list")
        c = s[i]
        if c == "]":
            return Array(p, i, items, dialect)
        if c == ",":
            if not items or items[-1].comma is not None:
                raise EditRefused("empty item in the tag list")
            items[-1].comma = i
            i += 1
            continue
        if items and items[-1].comma is None:
            raise EditRefused("tag list items are not separated by commas")
        end, quote = _scan_item(s, i, dialect)
        items.append(Item(i, end, _item_value(s[i:end], dialect), quote))
        i = end


def _rest_is_blank(s: str, pos: int, dialect: str) -> bool:
    _, end, _ = line_bounds(s, pos)
    rest = s[pos:end].strip()
    return rest == "" or (dialect != "json" and rest.startswith("#"))


def one_per_line(s: str, arr: Array) -> bool:
    """Opening "[" ends its line, each item sits alone on its own line, "]" starts its line."""
    if not arr.multiline(s):
        return False
    if not _rest_is_blank(s, arr.open + 1, arr.dialect):
        return False
    start, _, _ = line_bounds(s, arr.close)
    if s[start : arr.close].strip():
        return False
    for it in arr.items:
        start, _, _ = line_bounds(s, it.start)
        if s[start : it.start].strip():
            return False
        after = it.end
        if it.comma is not None:
            if s[it.end : it.comma].strip(" \t"):
                return False
            after = it.comma + 1
        if not _rest_is_blank(s, after, arr.dialect):
            return False
    return True


def _no_comment(s: str, start: int, end: int, dialect: str) -> None:
    # separators never contain item text, so any "#" there starts a comment
    if dialect != "json" and "#" in s[start:end]:
        raise EditRefused("a comment sits between tag list items")


def add(s: str, arr: Array, rendered: str, default_indent: str, nl: str) -> list[Splice]:
    """Append one rendered item."""
    items = arr.items
    if not items:
        inner = s[arr.open + 1 : arr.close]
        if "#" in inner and arr.dialect != "json":
            raise EditRefused("an empty tag list holds a comment")
        if "\n" not in inner:
            return [(arr.open + 1, arr.close, inner + rendered + inner)]
        _, _, full = line_bounds(s, arr.open)
        return [(full, full, default_indent + rendered + nl)]
    last = items[-1]
    if one_per_line(s, arr):
        start, _, full = line_bounds(s, last.start)
        indent = s[start : last.start]
        line_end = s[line_bounds(s, last.start)[1] : full] or nl
        trailing = last.comma is not None
        out: list[Splice] = [(full, full, indent + rendered + ("," if trailing else "") + line_end)]
        if not trailing:
            out.append((last.end, last.end, ","))
        return out
    if len(items) >= 2:
        sep = s[items[-2].end : last.start]
        _no_comment(s, items[-2].end, last.start, arr.dialect)
    else:
        if arr.multiline(s):
            raise EditRefused("a multi-line tag list with an unusual layout")
        sep = ", "
    return [(last.end, last.end, sep + rendered)]


def remove(s: str, arr: Array, i: int) -> list[Splice]:
    """Remove item i (the list keeps existing, possibly empty)."""
    items = arr.items
    it = items[i]
    if one_per_line(s, arr):
        start, _, full = line_bounds(s, it.start)
        out: list[Splice] = [(start, full, "")]
        if i == len(items) - 1 and it.comma is None and i > 0:
            prev = items[i - 1]
            if prev.comma is not None:
                out.append((prev.end, prev.comma + 1, ""))
        return out
    if len(items) == 1:
        _no_comment(s, it.end, arr.close, arr.dialect)
        if arr.multiline(s):
            raise EditRefused("a multi-line tag list with an unusual layout")
        return [(it.start, arr.close, "")]
    if i > 0:
        _no_comment(s, items[i - 1].end, it.start, arr.dialect)
        return [(items[i - 1].end, it.end, "")]
    _no_comment(s, it.end, items[1].start, arr.dialect)
    return [(it.start, items[1].start, "")]


def replace(arr: Array, i: int, rendered: str) -> list[Splice]:
    it = arr.items[i]
    return [(it.start, it.end, rendered)]
