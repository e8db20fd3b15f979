"""Splitting a note into BOM, frontmatter fences, frontmatter content and body.

Offsets used by the format modules are offsets into ``Doc.content``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from notes_kb.errors import EditRefused

BOM = "\ufeff"


@dataclass(frozen=True)
class Doc:
    """A note cut into pieces; ``bom + head + content + tail + body`` is the text."""

    fmt: str  # "yaml" | "toml" | "json" | "none"
    bom: str
    head: str  # opening fence line with its line ending ("" for json/none)
    content: str  # frontmatter text between the fences (json: the object text)
    tail: str  # closing fence line with its line ending, if any ("" for json/none)
    body: str
    nl: str  # line ending used for lines this module writes

    def text(self, content: str | None = None) -> str:
        c = self.content if content is None else content
        return self.bom + self.head + c + self.tail + self.body


def line_bounds(s: str, pos: int) -> tuple[int, int, int]:
    """(start, end without line ending, end including the line ending) of the line at pos."""
    start = s.rfind("\n", 0, pos) + 1
    nl = s.find("\n", pos)
    full_end = len(s) if nl < 0 else nl + 1
    end = len(s) if nl < 0 else nl
    if end > start and s[end - 1] == "\r":
        end -= 1
    return start, end, full_end


def lines(s: str) -> list[tuple[int, int, int]]:
    """Every line of s as (start, end without ending, end with ending); split on LF only."""
    out: list[tuple[int, int, int]] = []
    pos = 0
    while pos < len(s):
        start, end, full = line_bounds(s, pos)
        out.append((start, end, full))
        pos = full
    return out


def _first_line_ending(t: str) -> str:
    nl = t.find("\n")
    if nl > 0 and t[nl - 1] == "\r":
        return "\r\n"
    return "\n"


def split(text: str) -> Doc:
    """Find the frontmatter block. Raises EditRefused for an unterminated or broken block."""
    bom = BOM if text.startswith(BOM) else ""
    t = text[len(bom) :]
    nl = _first_line_ending(t)
    _, first_end, first_full = line_bounds(t, 0)
    first = t[:first_end]
    for fence, fmt in (("---", "yaml"), ("+++", "toml")):
        if first.rstrip() != fence:
            continue
        pos = first_full
        while pos < len(t):
            start, end, full = line_bounds(t, pos)
            if t[start:end].rstrip() == fence:
                head, content = t[:first_full], t[first_full:start]
                return Doc(fmt, bom, head, content, t[start:full], t[full:], nl)
            pos = full
        raise EditRefused(f"frontmatter starting with {fence} has no closing {fence} line")
    if t.startswith("{"):
        try:
            _, end = json.JSONDecoder().raw_decode(t)
        except ValueError as exc:
            raise EditRefused(f"JSON frontmatter does not parse: {one_line(exc)}") from None
        return Doc("json", bom, "", t[:end], "", t[end:], nl)
    return Doc("none", bom, "", "", "", t, nl)


def one_line(exc: BaseException) -> str:
    """An exception message on one line (at most 200 characters)."""
    parts = [line.strip() for line in str(exc).splitlines() if line.strip()]
    msg = "; ".join(parts) or type(exc).__name__
    return msg if len(msg) <= 200 else msg[:197] + "..."


Splice = tuple[int, int, str]


def apply(s: str, splices: list[Splice]) -> str:
    """Apply non-overlapping (start, end, replacement) edits."""
    out = s
    for start, end, repl in sorted(splices, key=lambda x: (x[0], x[1]), reverse=True):
        out = out[:start] + repl + out[end:]
    return out
