"""Line-level edits of TOML (+++) frontmatter: top-level tag arrays and scalar keys."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from notes_kb.edit import _array
from notes_kb.edit._doc import Doc, Splice, apply, line_bounds, lines
from notes_kb.edit._scalar import render_toml, toml_basic
from notes_kb.edit._yaml import value_matches
from notes_kb.errors import EditRefused

_TABLE_RE = re.compile(r"[ \t]*\[\[?[ \t]*[\w\-.\"' ]+[ \t]*\]\]?[ \t]*(#.*)?")
CREATED_INDENT = "  "


def _top_level_end(s: str) -> int:
    """Start of the first table header line (or the end of the content)."""
    for start, end, _ in lines(s):
        if _TABLE_RE.fullmatch(s[start:end]):
            return start
    return len(s)


def _insert_point(s: str) -> int:
    """Where a new top-level key goes: after the last top-level line that is not blank/comment."""
    pos = _top_level_end(s)
    while pos > 0:
        start, end, _ = line_bounds(s, pos - 1)
        text = s[start:end].strip()
        if text and not text.startswith("#"):
            break
        pos = start
    return pos


def _key_line(s: str, key: str, parsed: dict[str, Any]) -> int | None:
    pat = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=", re.M)
    starts = [m.start() for m in pat.finditer(s, 0, _top_level_end(s))]
    if key not in parsed:
        if starts:
            raise EditRefused(f"the {key} key line is not understood")
        return None
    if len(starts) != 1:
        raise EditRefused(f"the {key} key appears {len(starts)} times or in an unusual form")
    return starts[0]


def _value_start(s: str, start: int) -> int:
    q = s.index("=", start) + 1
    while q < len(s) and s[q] in " \t":
        q += 1
    return q


def _rest_blank(s: str, pos: int) -> bool:
    _, end, _ = line_bounds(s, pos)
    rest = s[pos:end].strip()
    return rest == "" or rest.startswith("#")


@dataclass
class TagField:
    doc: Doc
    key: str
    arr: _array.Array | None = None
    line_start: int = 0

    @property
    def values(self) -> list[str]:
        return [] if self.arr is None else [it.value for it in self.arr.items]

    def _text(self, splices: list[Splice]) -> str:
        return self.doc.text(apply(self.doc.content, splices))

    def add(self, tag: str) -> str:
        s, nl = self.doc.content, self.doc.nl
        if self.arr is None:
            if isinstance(_taxonomies(self.doc).get(self.key), list):
                raise EditRefused(f"{self.key} lives under [taxonomies] in this note")
            pos = _insert_point(s)
            block = f"{self.key} = [{nl}{CREATED_INDENT}{render_toml(tag, '')},{nl}]{nl}"
            return self._text([(pos, pos, block)])
        quotes = [it.quote for it in self.arr.items]
        quote = "'" if quotes and all(q == "'" for q in quotes) else '"'
        rendered = render_toml(tag, quote)
        return self._text(_array.add(s, self.arr, rendered, CREATED_INDENT, nl))

    def remove(self, i: int) -> str:
        assert self.arr is not None
        s = self.doc.content
        if len(self.arr.items) == 1 and self.arr.multiline(s):
            # a multi-line array (the form add_tag creates for a missing key) goes away whole
            _, _, full = line_bounds(s, self.arr.close)
            return self._text([(self.line_start, full, "")])
        return self._text(_array.remove(s, self.arr, i))

    def replace(self, i: int, new: str) -> str:
        assert self.arr is not None
        rendered = render_toml(new, self.arr.items[i].quote)
        return self._text(_array.replace(self.arr, i, rendered))


def _taxonomies(doc: Doc) -> dict[str, Any]:
    try:
        tax = tomllib.loads(doc.content).get("taxonomies")
    except tomllib.TOMLDecodeError:
        return {}
    return tax if isinstance(tax, dict) else {}


def locate_tags(doc: Doc, key: str, parsed: dict[str, Any]) -> TagField:
    s = doc.content
    f = TagField(doc, key)
    start = _key_line(s, key, parsed)
    if start is None:
        return f
    q = _value_start(s, start)
    if q >= len(s) or s[q] != "[":
        raise EditRefused(f"{key} is not an array")
    f.line_start = line_bounds(s, start)[0]
    f.arr = _array.scan(s, q, "toml")
    if not _rest_blank(s, f.arr.close + 1) or f.values != parsed[key]:
        raise EditRefused(f"the {key} array is not understood")
    return f


# -- scalar keys -------------------------------------------------------------------------------


def _bare_literal(value: str) -> bool:
    """Whether value reads back as itself when written bare (TOML dates and times)."""
    try:
        got = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return False
    return not isinstance(got, str) and value_matches(got, value)


def _scalar_end(s: str, q: int) -> tuple[int, str]:
    _, eol, _ = line_bounds(s, q)
    c = s[q]
    if s.startswith(('"""', "'''"), q) or c in "[{":
        raise EditRefused("the value is multi-line, an array or a table")
    if c in "\"'":
        j = q + 1
        while j < eol:
            if c == '"' and s[j] == "\\":
                j += 2
                continue
            if s[j] == c:
                return j + 1, c
            j += 1
        raise EditRefused("unterminated string value")
    m = re.search(r"[ \t]*(#|$)", s[q:eol])
    return q + (m.start() if m else eol - q), ""


def set_scalar(doc: Doc, key: str, value: str | None, parsed: dict[str, Any]) -> str:
    s, nl = doc.content, doc.nl
    start = _key_line(s, key, parsed)
    if start is not None and isinstance(parsed[key], list | dict):
        raise EditRefused(f"{key} holds an array or table, not a single value")
    if value is None:
        if start is None:
            return doc.text()
        ls, _, full = line_bounds(s, start)
        return doc.text(apply(s, [(ls, full, "")]))
    if start is None:
        rendered = value if _bare_literal(value) else toml_basic(value)
        pos = _insert_point(s)
        return doc.text(apply(s, [(pos, pos, f"{key} = {rendered}{nl}")]))
    q = _value_start(s, start)
    end, quote = _scalar_end(s, q)
    if not _rest_blank(s, end):
        raise EditRefused(f"unexpected text after the {key} value")
    if quote:
        rendered = render_toml(value, quote)
    else:
        rendered = value if _bare_literal(value) else toml_basic(value)
    return doc.text(apply(s, [(q, end, rendered)]))
