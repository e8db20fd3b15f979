"""Edits of JSON frontmatter (a leading {...} object): tag arrays and scalar keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from notes_kb.edit import _array
from notes_kb.edit._doc import Doc, Splice, apply, line_bounds
from notes_kb.edit._scalar import render_json
from notes_kb.errors import EditRefused

_WS = " \t\r\n"


@dataclass
class Member:
    key: str
    key_start: int
    val_start: int
    val_end: int


def _skip(s: str, i: int) -> int:
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def members(s: str) -> tuple[list[Member], int]:
    """Top-level members of the object text s, and the position of its closing brace."""
    dec = json.JSONDecoder()
    out: list[Member] = []
    i = _skip(s, 1)
    if s[i] == "}":
        return out, i
    while True:
        key, kend = dec.raw_decode(s, i)
        colon = _skip(s, kend)
        vstart = _skip(s, colon + 1)
        _, vend = dec.raw_decode(s, vstart)
        out.append(Member(key, i, vstart, vend))
        i = _skip(s, vend)
        if s[i] == "}":
            return out, i
        i = _skip(s, i + 1)


def _find(s: str, key: str) -> tuple[list[Member], int, int | None]:
    ms, close = members(s)
    idx = [k for k, m in enumerate(ms) if m.key == key]
    if len(idx) > 1:
        raise EditRefused(f"the {key} key appears {len(idx)} times")
    return ms, close, (idx[0] if idx else None)


def _delete_member(ms: list[Member], k: int) -> Splice:
    if k > 0:
        return (ms[k - 1].val_end, ms[k].val_end, "")
    if len(ms) > 1:
        return (ms[0].key_start, ms[1].key_start, "")
    return (ms[0].key_start, ms[0].val_end, "")


def _member_indent(s: str, m: Member) -> str | None:
    start, _, _ = line_bounds(s, m.key_start)
    ind = s[start : m.key_start]
    return ind if not ind.strip() else None


def _append_member(s: str, ms: list[Member], nl: str, text: str) -> Splice:
    """Append `"key": value` text after the last member, in the object's layout."""
    if not ms:
        return (1, 1, text)
    last = ms[-1]
    ind = _member_indent(s, last)
    sep = " " if ind is None else nl + ind
    return (last.val_end, last.val_end, "," + sep + text)


@dataclass
class TagField:
    doc: Doc
    key: str
    ms: list[Member]
    k: int | None
    arr: _array.Array | None = None

    @property
    def values(self) -> list[str]:
        return [] if self.arr is None else [it.value for it in self.arr.items]

    def _text(self, splices: list[Splice]) -> str:
        return self.doc.text(apply(self.doc.content, splices))

    def add(self, tag: str) -> str:
        s, nl = self.doc.content, self.doc.nl
        rendered = render_json(tag)
        if self.arr is None:
            ind = _member_indent(s, self.ms[-1]) if self.ms else None
            if ind is None:
                raise EditRefused("JSON frontmatter on one line: a new key is not added")
            key = json.dumps(self.key, ensure_ascii=False)
            text = f"{key}: [{nl}{ind}{ind}{rendered}{nl}{ind}]"
            return self._text([_append_member(s, self.ms, nl, text)])
        m = self.ms[self.k] if self.k is not None else None
        ind = _member_indent(s, m) if m is not None else None
        return self._text(_array.add(s, self.arr, rendered, (ind or "") * 2, nl))

    def remove(self, i: int) -> str:
        assert self.arr is not None and self.k is not None
        s = self.doc.content
        if len(self.arr.items) == 1 and self.arr.multiline(s):
            # a multi-line array (the form add_tag creates for a missing key) goes away whole
            return self._text([_delete_member(self.ms, self.k)])
        return self._text(_array.remove(s, self.arr, i))

    def replace(self, i: int, new: str) -> str:
        assert self.arr is not None
        return self._text(_array.replace(self.arr, i, render_json(new)))


def locate_tags(doc: Doc, key: str, parsed: dict[str, Any]) -> TagField:
    s = doc.content
    ms, _, k = _find(s, key)
    f = TagField(doc, key, ms, k)
    if k is None:
        return f
    if s[ms[k].val_start] != "[":
        raise EditRefused(f"{key} is not an array")
    f.arr = _array.scan(s, ms[k].val_start, "json")
    if f.values != parsed.get(key):
        raise EditRefused(f"the {key} array is not understood")
    return f


def set_scalar(doc: Doc, key: str, value: str | None, parsed: dict[str, Any]) -> str:
    s, nl = doc.content, doc.nl
    ms, _, k = _find(s, key)
    if k is not None and not isinstance(parsed.get(key), str | None):
        raise EditRefused(f"{key} holds a non-string value")
    if value is None:
        if k is None:
            return doc.text()
        return doc.text(apply(s, [_delete_member(ms, k)]))
    rendered = render_json(value)
    if k is None:
        text = json.dumps(key, ensure_ascii=False) + ": " + rendered
        return doc.text(apply(s, [_append_member(s, ms, nl, text)]))
    return doc.text(apply(s, [(ms[k].val_start, ms[k].val_end, rendered)]))
