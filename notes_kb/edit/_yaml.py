"""Line-level edits of YAML frontmatter: the tag list and single scalar keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from notes_kb.edit import _array
from notes_kb.edit._doc import Doc, Splice, apply, line_bounds, lines, split
from notes_kb.edit._scalar import (
    common_quote,
    render_yaml,
    yaml_double,
    yaml_load,
    yaml_single,
)
from notes_kb.errors import EditRefused

_NULL_WORDS = {"~", "null", "Null", "NULL"}
_ITEM_RE = re.compile(r"( *)-(?:[ \t]+|$)")
NULL_INDENT = "  "  # item indent used when a tag goes under an existing empty `key:` line


def _key_lines(content: str, key: str) -> list[int]:
    pat = re.compile(rf"^{re.escape(key)}[ \t]*:(?=[ \t\r\n]|$)", re.M)
    return [m.start() for m in pat.finditer(content)]


def _rest_blank(s: str, pos: int, eol: int) -> bool:
    rest = s[pos:eol].strip()
    return rest == "" or (rest.startswith("#") and (pos == eol or s[pos] in " \t"))


def _scalar_span(s: str, q: int, eol: int) -> tuple[int, str]:
    """End and quote style of a one-line scalar starting at s[q]."""
    c = s[q]
    if c in "\"'":
        j = q + 1
        while j < eol:
            if c == '"' and s[j] == "\\":
                j += 2
                continue
            if s[j] == c:
                if c == "'" and j + 1 < eol and s[j + 1] == "'":
                    j += 2
                    continue
                if not _rest_blank(s, j + 1, eol):
                    raise EditRefused("unexpected text after a quoted value")
                return j + 1, c
            j += 1
        raise EditRefused("a quoted value continues on the next line")
    if c in "[]{}&*!|>%@`#," or s[q : q + 2] in ("- ", "? ", ": ") or s[q:eol] in "-?:":
        raise EditRefused("the value uses YAML syntax that is not edited automatically")
    m = re.search(r"[ \t]#", s[q:eol])
    end = q + m.start() if m else eol
    while end > q and s[end - 1] in " \t":
        end -= 1
    return end, ""


def _continues(s: str, pos: int) -> bool:
    """Whether the value ending on the line before pos continues on indented lines."""
    for start, end, _ in lines(s[pos:]):
        text = s[pos + start : pos + end]
        if not text.strip():
            continue
        return text[0] in " \t" and not text.strip().startswith("#")
    return False


@dataclass
class _BItem:
    start: int
    end: int
    value: str
    quote: str
    line_start: int
    line_full: int
    indent: int


def _tokens(s: str, a: int, b: int) -> tuple[str, list[tuple[int, int]]]:
    inner = s[a:b]
    if "," in inner:
        spans: list[tuple[int, int]] = []
        pos = a
        for piece in inner.split(","):
            stripped = piece.strip()
            if stripped:
                off = pos + piece.index(stripped)
                spans.append((off, off + len(stripped)))
            pos += len(piece) + 1
        return ",", spans
    return " ", [(a + m.start(), a + m.end()) for m in re.finditer(r"\S+", inner)]


def split_tag_string(value: str) -> list[str]:
    """How a tag string reads: comma separated when it has a comma, else whitespace separated."""
    if "," in value:
        return [p.strip() for p in value.split(",") if p.strip()]
    return value.split()


@dataclass
class TagField:
    """The located tag key of a YAML note (or of a note without frontmatter)."""

    doc: Doc
    key: str
    kind: str = "absent"  # absent | null | block | flow | string
    line_start: int = 0
    line_full: int = 0
    colon: int = 0
    bare: bool = False
    items: list[_BItem] = field(default_factory=list)
    arr: _array.Array | None = None
    span: tuple[int, int] = (0, 0)  # string kind: the text between the quotes (or plain text)
    quote: str = ""

    @property
    def values(self) -> list[str]:
        if self.kind == "block":
            return [it.value for it in self.items]
        if self.kind == "flow":
            assert self.arr is not None
            return [it.value for it in self.arr.items]
        if self.kind == "string":
            s = self.doc.content
            return [s[a:b] for a, b in _tokens(s, *self.span)[1]]
        return []

    def _text(self, splices: list[Splice]) -> str:
        return self.doc.text(apply(self.doc.content, splices))

    # -- add -------------------------------------------------------------------------------
    def add(self, tag: str) -> str:
        s, nl = self.doc.content, self.doc.nl
        if self.kind == "absent":
            block = f"{self.key}:{nl}- {render_yaml(tag, '', False)}{nl}"
            if self.doc.fmt == "none":
                return self.doc.bom + f"---{nl}" + block + f"---{nl}" + self.doc.body
            return self._text([(len(s), len(s), block)])
        if self.kind == "null":
            ending = s[line_bounds(s, self.line_start)[1] : self.line_full] or nl
            line = f"{NULL_INDENT}- {render_yaml(tag, '', False)}{ending}"
            return self._text([(self.line_full, self.line_full, line)])
        if self.kind == "block":
            last = self.items[-1]
            quote = common_quote([it.quote for it in self.items])
            ending = s[line_bounds(s, last.start)[1] : last.line_full] or nl
            line = " " * last.indent + "- " + render_yaml(tag, quote, False) + ending
            return self._text([(last.line_full, last.line_full, line)])
        if self.kind == "flow":
            assert self.arr is not None
            quote = common_quote([it.quote for it in self.arr.items])
            rendered = render_yaml(tag, quote, True)
            return self._text(_array.add(s, self.arr, rendered, "  ", nl))
        return self._text(self._string_insert(tag))

    def _string_check(self, tag: str, mode: str) -> None:
        if mode == "," and "," in tag:
            raise EditRefused("a tag with a comma cannot go into a comma-separated tag string")
        if mode == " " and any(ch.isspace() for ch in tag):
            raise EditRefused("a tag with spaces cannot go into a space-separated tag string")
        if self.quote and (self.quote in tag or (self.quote == '"' and "\\" in tag)):
            raise EditRefused("the tag would need escaping inside the quoted tag string")

    def _string_insert(self, tag: str) -> list[Splice]:
        s = self.doc.content
        mode, toks = _tokens(s, *self.span)
        if not toks:
            self._string_check(tag, " ")
            return [(self.span[0], self.span[0], tag)]
        if len(toks) == 1:
            mode, sep = ",", ", "
        else:
            sep = s[toks[-2][1] : toks[-1][0]]
        self._string_check(tag, mode)
        return [(toks[-1][1], toks[-1][1], sep + tag)]

    # -- remove ----------------------------------------------------------------------------
    def remove(self, i: int) -> str:
        s = self.doc.content
        if self.kind == "block":
            it = self.items[i]
            created_form = self.bare and it.indent == 0 and it.line_start == self.line_full
            if len(self.items) == 1 and created_form:
                # the form add_tag creates for a missing key: the key goes away again
                new = apply(s, [(self.line_start, it.line_full, "")])
                if drop_block(self.doc, new):
                    return self.doc.bom + self.doc.body
                return self.doc.text(new)
            return self._text([(it.line_start, it.line_full, "")])
        if self.kind == "flow":
            assert self.arr is not None
            return self._text(_array.remove(s, self.arr, i))
        if self.kind == "string":
            toks = _tokens(s, *self.span)[1]
            if len(toks) == 1:
                start = toks[0][0] if self.quote else self.colon
                return self._text([(start, toks[0][1], "")])
            if i > 0:
                return self._text([(toks[i - 1][1], toks[i][1], "")])
            return self._text([(toks[0][0], toks[1][0], "")])
        raise EditRefused("no tag to remove")

    # -- rename ----------------------------------------------------------------------------
    def replace(self, i: int, new: str) -> str:
        s = self.doc.content
        if self.kind == "block":
            it = self.items[i]
            return self._text([(it.start, it.end, render_yaml(new, it.quote, False))])
        if self.kind == "flow":
            assert self.arr is not None
            rendered = render_yaml(new, self.arr.items[i].quote, True)
            return self._text(_array.replace(self.arr, i, rendered))
        mode, toks = _tokens(s, *self.span)
        self._string_check(new, mode if len(toks) > 1 else " ")
        return self._text([(toks[i][0], toks[i][1], new)])


def drop_block(doc: Doc, new_content: str) -> bool:
    """Whether a YAML block left empty goes away: nothing between two exact `---` fences, and
    the body alone would not itself be read as frontmatter."""
    if new_content or doc.head.rstrip("\r\n") != "---" or doc.tail.rstrip("\r\n") != "---":
        return False
    try:
        return split(doc.bom + doc.body).fmt == "none"
    except EditRefused:
        return False


def _header(s: str, key: str, parsed: dict[str, Any]) -> int | None:
    starts = _key_lines(s, key)
    if key not in parsed:
        if starts:
            raise EditRefused(f"the {key} key line is not understood")
        return None
    if len(starts) != 1:
        raise EditRefused(f"the {key} key appears {len(starts)} times or in an unusual form")
    return starts[0]


def locate_tags(doc: Doc, key: str, parsed: dict[str, Any]) -> TagField:
    f = TagField(doc, key)
    if doc.fmt == "none":
        return f
    s = doc.content
    start = _header(s, key, parsed)
    if start is None:
        return f
    value = parsed[key]
    _, eol, full = line_bounds(s, start)
    f.line_start, f.line_full = start, full
    f.colon = s.index(":", start) + 1
    f.bare = s[start:eol] == key + ":"
    q = f.colon
    while q < eol and s[q] in " \t":
        q += 1
    if q < eol and s[q] != "#":
        if s[q] == "[":
            f.kind, f.arr = "flow", _array.scan(s, q, "yaml")
            _, close_eol, close_full = line_bounds(s, f.arr.close)
            if not _rest_blank(s, f.arr.close + 1, close_eol) or _continues(s, close_full):
                raise EditRefused("unexpected text after the tag list")
            if f.values != value:
                raise EditRefused("the tag list is not understood")
            return f
        end, f.quote = _scalar_span(s, q, eol)
        if s[q:end] in _NULL_WORDS:
            raise EditRefused(f"{key} is an explicit null; write `{key}:` or `{key}: []`")
        if _continues(s, full):
            raise EditRefused(f"the {key} value spans several lines")
        f.kind = "string"
        f.span = (q + 1, end - 1) if f.quote else (q, end)
        if not isinstance(value, str) or s[f.span[0] : f.span[1]] != value:
            raise EditRefused(f"the {key} value is not a plain tag string")
        return f
    f.kind = "null"
    for ls, le, lf in lines(s[full:]):
        ls, le, lf = ls + full, le + full, lf + full
        text = s[ls:le]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        m = _ITEM_RE.match(text)
        if m is None:
            if text[0] in " \t":
                raise EditRefused(f"the {key} value is nested or spans several lines")
            break
        indent = len(m.group(1))
        if f.items and indent != f.items[0].indent:
            raise EditRefused(f"the {key} list items are not evenly indented")
        q = ls + m.end()
        if q >= le:
            raise EditRefused(f"the {key} list has an empty item")
        end, quote = _scalar_span(s, q, le)
        item = yaml_load(s[q:end])
        if not isinstance(item, str):
            raise EditRefused(f"the {key} list holds a value that is not a string")
        f.items.append(_BItem(q, end, item, quote, ls, lf, indent))
        f.kind = "block"
    if f.values != ([] if value is None else value) or (f.kind == "null" and value is not None):
        raise EditRefused(f"the {key} value is not understood")
    return f


# -- scalar keys (set_key) ---------------------------------------------------------------------


@dataclass
class ScalarField:
    doc: Doc
    key: str
    present: bool = False
    line_start: int = 0
    line_full: int = 0
    span: tuple[int, int] = (0, 0)  # the value text (with its quotes); empty for null
    quote: str = ""


def locate_scalar(doc: Doc, key: str, parsed: dict[str, Any]) -> ScalarField:
    f = ScalarField(doc, key)
    if doc.fmt == "none":
        return f
    s = doc.content
    start = _header(s, key, parsed)
    if start is None:
        return f
    if isinstance(parsed[key], list | dict):
        raise EditRefused(f"{key} holds a list or mapping, not a single value")
    _, eol, full = line_bounds(s, start)
    f.present, f.line_start, f.line_full = True, start, full
    q = s.index(":", start) + 1
    while q < eol and s[q] in " \t":
        q += 1
    if q < eol and s[q] != "#":
        end, f.quote = _scalar_span(s, q, eol)
        f.span = (q, end)
    else:
        f.span = (q, q)
    if _continues(s, full):
        raise EditRefused(f"the {key} value spans several lines")
    return f


def render_value(value: str, quote: str, probe_key: str) -> str:
    """A YAML scalar for set_key: plain when it reads back as value (or that date), else quoted."""
    if quote == "'":
        return yaml_single(value)
    if quote == "":
        try:
            got = yaml_load(f"{probe_key}: {value}")
        except EditRefused:
            got = None
        if isinstance(got, dict) and value_matches(got.get(probe_key), value):
            return value
    return yaml_double(value)


def value_matches(got: Any, value: str) -> bool:
    """A parsed value equals the string we meant to write (dates compare by ISO form)."""
    if isinstance(got, str):
        return got == value
    iso = getattr(got, "isoformat", None)
    if callable(iso) and not isinstance(got, bool | int | float):
        return bool(iso() == value or str(got) == value)
    return False


def set_scalar(f: ScalarField, value: str | None) -> str:
    doc, s, nl = f.doc, f.doc.content, f.doc.nl
    if value is None:
        if not f.present:
            return doc.text()
        new = apply(s, [(f.line_start, f.line_full, "")])
        return doc.bom + doc.body if drop_block(doc, new) else doc.text(new)
    if not f.present:
        line = f"{f.key}: {render_value(value, '', f.key)}{nl}"
        if doc.fmt == "none":
            return doc.bom + f"---{nl}" + line + f"---{nl}" + doc.body
        return doc.text(s + line)
    rendered = render_value(value, f.quote, f.key)
    a, b = f.span
    if a == b:
        # `key:` (null, maybe with a comment): value goes right after the colon
        colon = s.index(":", f.line_start) + 1
        return doc.text(apply(s, [(colon, colon, " " + rendered)]))
    return doc.text(apply(s, [(a, b, rendered)]))
