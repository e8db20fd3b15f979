"""The notes-kb search language: parse a query string into a small, immutable syntax tree.

Pure code: no I/O. Another module compiles the tree to SQL/FTS5.

Grammar (informal)::

    query    := or_expr
    or_expr  := and_expr ( "OR" and_expr )*
    and_expr := unary ( ["AND"] unary )*          # juxtaposition means AND
    unary    := ( "-" | "NOT" ) unary | primary
    primary  := "(" or_expr ")" | phrase | field | word

Precedence, tightest first: negation (``-x`` / ``NOT x``), then AND (implicit or the
``AND`` keyword), then ``OR``.  So ``a b OR c`` means ``(a AND b) OR c`` and
``-a b`` means ``(NOT a) AND b``, as in most search engines.  ``OR``, ``AND`` and ``NOT``
are keywords only when written in upper case; ``or``/``and``/``not`` are plain words.

Tokens (separated by whitespace; ``(``, ``)`` and ``"`` also end a bare word):

* word: any other run of characters, e.g. ``autodiff``, ``C++``, ``don't``, ``e.g.``,
  ``naïve``, ``日本語``, ``f(x)`` (balanced parentheses inside a word belong to it).
  Trailing ``*`` marks a prefix search (``auto*``).  A word with no letter or digit
  (a lone ``*``, ``-``, ``&``...) is ignored as noise, as are such phrases; if nothing else
  remains the query is empty.
* phrase: ``"..."``; ``\\"`` and ``\\\\`` are the only escapes inside quotes.  A ``*``
  right after the closing quote makes a prefix phrase.  Runs of whitespace in phrases and
  quoted values are collapsed to one space and the ends are stripped.
* negation: ``-`` directly before a term (``-word``, ``-"a phrase"``, ``-tag:x``,
  ``-(a OR b)``).  ``-`` inside a word (``well-known``) is part of the word, and so is a
  leading ``--`` (``--verbose`` is a word, not a double negation).
* field: ``key<op>value`` where key matches ``[letter_][letters digits _ - . /]*`` ending in
  a letter, digit or ``_`` and op is one of ``: = >= <= > < !=`` (``=`` is the same as
  ``:``).  The value is a bare word or a quoted string.  Field names are case-insensitive
  and canonicalised to lower case, with aliases ``tags``->``tag``, ``authors``->``author``,
  ``categories``->``category``.  A bare value starting with ``//`` makes the whole token
  plain text, so ``http://x.com/a`` is a word, not field ``http``; ``10:30`` is a word too
  (keys start with a letter).
  ``tag author category link links-to linked-by is has body`` accept only ``:``/``=``
  (negate with ``-tag:x``); ``is:`` takes one of ``draft revisit snoozed``
  (case-insensitive, stored lower-case); ``has:`` takes a field name (canonicalised like a
  field name).  ``title``, ``path`` and any other frontmatter key accept every operator.

Errors raise :class:`QueryError` with ``.token`` and ``.position`` (0-based character
offset) set and a one-line message naming the token and what was expected.  Queries nested
more than :data:`MAX_DEPTH` levels (parentheses plus negations) are rejected.

Trees are normalised: nested ``And``/``Or`` are flattened and a one-child ``And``/``Or``
collapses to its child.  ``Not(Not(x))`` is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

from notes_kb.errors import QueryError

__all__ = [
    "COMPARE_OPS",
    "EQUALITY_ONLY_FIELDS",
    "FIELD_ALIASES",
    "IS_VALUES",
    "KNOWN_FIELDS",
    "MAX_DEPTH",
    "SET_FIELDS",
    "TEXT_FIELDS",
    "And",
    "Field",
    "Node",
    "Not",
    "Or",
    "Text",
    "canonical_field",
    "combine",
    "is_comparable",
    "parse_query",
    "parse_where",
    "text_terms",
    "to_string",
]


@dataclass(frozen=True)
class Text:
    """Free text for the full-text index."""

    value: str  # the word or phrase, unquoted
    phrase: bool = False
    prefix: bool = False  # trailing *


@dataclass(frozen=True)
class Field:
    """A field test: ``name op value``."""

    name: str  # canonical lower-case field name or frontmatter key
    op: str  # one of ":", ">=", "<=", ">", "<", "!="  (":" also for "=")
    value: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node: TypeAlias = Text | Field | Not | And | Or

#: Multi-valued fields: a note matches when any of its values matches.
SET_FIELDS = frozenset({"tag", "author", "category", "link", "links-to", "linked-by"})
#: Fields matched against note text rather than a single value.
TEXT_FIELDS = frozenset({"title", "path", "body"})
#: Values accepted by ``is:``, in the order shown in error messages.
IS_VALUES = ("draft", "revisit", "snoozed")
#: Built-in field names; any other name is a frontmatter key.
KNOWN_FIELDS = SET_FIELDS | TEXT_FIELDS | {"is", "has"}
#: Fields that accept only ``:`` (and ``=``).
EQUALITY_ONLY_FIELDS = SET_FIELDS | {"is", "has", "body"}
FIELD_ALIASES = {"tags": "tag", "authors": "author", "categories": "category"}
#: Operators, longest first; "=" is normalised to ":".
COMPARE_OPS = (">=", "<=", "!=", ":", "=", ">", "<")
#: Maximum nesting of parentheses plus negations.
MAX_DEPTH = 64

_KEYWORDS = frozenset({"OR", "AND", "NOT"})
_KEY = r"[^\W\d](?:[\w.\-/]*\w)?"
_KEY_RE = re.compile(_KEY)
_FIELD_RE = re.compile(rf"({_KEY})(>=|<=|!=|:|=|>|<)")
_WHERE_RE = re.compile(rf"\s*({_KEY})\s*(>=|<=|!=|:|=|>|<)\s*")
_EXPECTED_VALUE = {
    "tag": "a tag name",
    "author": "an author name",
    "category": "a category name",
    "link": "a URL or domain",
    "links-to": "a note name or path",
    "linked-by": "a note name or path",
    "is": "one of " + ", ".join(IS_VALUES),
    "has": "a field name",
    "title": "title text",
    "path": "a path",
    "body": "body text",
}
_SHOW_MAX = 40


def canonical_field(name: str) -> str:
    """The canonical spelling of a field name: lower case, aliases resolved."""
    low = name.lower()
    return FIELD_ALIASES.get(low, low)


def is_comparable(name: str) -> bool:
    """Whether field ``name`` (canonical) accepts ordering operators and ``!=``."""
    return name not in EQUALITY_ONLY_FIELDS


def _show(token: str) -> str:
    """A token quoted for a one-line message (repr escapes newlines and control chars)."""
    if len(token) > _SHOW_MAX:
        token = token[: _SHOW_MAX - 1] + "…"
    return repr(token)


def _has_word_char(value: str) -> bool:
    return any(ch.isalnum() for ch in value)


def _squash(value: str) -> str:
    return " ".join(value.split())


def _make(kind: type[And] | type[Or], parts: Iterable[Node | None]) -> Node | None:
    """``kind`` of the non-None parts, flattened; one part is returned as is."""
    children: list[Node] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, kind):
            children.extend(part.children)
        else:
            children.append(part)
    if not children:
        return None
    if len(children) == 1:
        return children[0]
    return kind(tuple(children))


def _make_field(raw_name: str, op: str, value: str, token: str, pos: int) -> Field:
    """Validate and canonicalise one field term (shared by queries and --where)."""
    name = canonical_field(raw_name)
    typed = raw_name + op
    if op == "=":
        op = ":"
    if op != ":" and not is_comparable(name):
        hint = f" or '-{raw_name}:value'" if op == "!=" else ""
        raise QueryError(
            f"cannot use '{op}' with '{raw_name}' at position {pos}: "
            f"expected '{raw_name}:value'{hint}",
            token,
            pos,
        )
    value = _squash(value)
    if not value:
        expected = _EXPECTED_VALUE.get(name, "a value")
        raise QueryError(
            f"empty value for {_show(typed)} at position {pos}: expected {expected}", token, pos
        )
    if name == "is":
        value = value.lower()
        if value not in IS_VALUES:
            raise QueryError(
                f"unknown value {_show(value)} for '{raw_name}:' at position {pos}: "
                f"expected one of {', '.join(IS_VALUES)}",
                token,
                pos,
            )
    elif name == "has":
        value = canonical_field(value)
    return Field(name, op, value)


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(", ")", "-", "OR", "AND", "NOT" or "term"
    pos: int
    raw: str
    node: Node | None = None  # for "term": the leaf, or None when it is noise


class _Parser:
    """Recursive descent over a lazily lexed token stream (errors come left to right)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self._look: _Tok | None = None
        self._looked = False

    # ---- lexer -------------------------------------------------------------------------

    def peek(self) -> _Tok | None:
        if not self._looked:
            self._look = self._lex()
            self._looked = True
        return self._look

    def take(self) -> _Tok:
        tok = self.peek()
        assert tok is not None
        self._looked = False
        return tok

    def _lex(self) -> _Tok | None:
        text, n = self.text, self.n
        i = self.i
        while i < n and text[i].isspace():
            i += 1
        self.i = i
        if i >= n:
            return None
        ch = text[i]
        if ch in "()":
            self.i = i + 1
            return _Tok(ch, i, ch)
        if ch == '"':
            value, end = self._quoted(i)
            star_end = end
            while star_end < n and text[star_end] == "*":
                star_end += 1
            self.i = star_end
            value = _squash(value)
            leaf = (
                Text(value, phrase=True, prefix=star_end > end) if _has_word_char(value) else None
            )
            return _Tok("term", i, text[i:star_end], leaf)
        if ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] not in ")-":
            self.i = i + 1
            return _Tok("-", i, "-")
        m = _FIELD_RE.match(text, i)
        if m is not None:
            tok = self._field(m)
            if tok is not None:
                return tok
        end = self._word_end(i)
        self.i = end
        raw = text[i:end]
        if raw in _KEYWORDS:
            return _Tok(raw, i, raw)
        value = raw.rstrip("*")
        leaf = Text(value, prefix=len(value) < len(raw)) if _has_word_char(value) else None
        return _Tok("term", i, raw, leaf)

    def _field(self, m: re.Match[str]) -> _Tok | None:
        """The field token for a ``key<op>`` match, or None when it is plain text."""
        text, n = self.text, self.n
        raw_name, op = m.group(1), m.group(2)
        if not _KEY_RE.fullmatch(canonical_field(raw_name)):
            return None  # lower-casing changed its shape (e.g. 'İ'): keep it as text
        start, v = m.start(), m.end()
        if v < n and text[v] == '"':
            value, end = self._quoted(v)
        else:
            end = self._word_end(v)
            value = text[v:end]
            if value.startswith("//"):
                return None  # http://example.com is text, not field "http"
        token = text[start:end]
        leaf = _make_field(raw_name, op, value, token, start)
        self.i = end
        return _Tok("term", start, token, leaf)

    def _word_end(self, i: int) -> int:
        """End of the bare word starting at ``i``; balanced ``(...)`` inside it is kept."""
        text, n = self.text, self.n
        while i < n:
            ch = text[i]
            if ch.isspace() or ch == '"' or ch == ")":
                break
            if ch == "(":
                close = self._balanced_end(i)
                if close < 0:
                    break
                i = close
                continue
            i += 1
        return i

    def _balanced_end(self, i: int) -> int:
        """Index after the ')' matching the '(' at ``i`` within the same word, else -1."""
        text, n = self.text, self.n
        depth = 0
        while i < n:
            ch = text[i]
            if ch.isspace() or ch == '"':
                return -1
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return -1

    def _quoted(self, start: int) -> tuple[str, int]:
        """The unescaped contents of the quoted string at ``start`` and the index after it."""
        text, n = self.text, self.n
        out: list[str] = []
        i = start + 1
        while i < n:
            ch = text[i]
            if ch == "\\" and i + 1 < n and text[i + 1] in '"\\':
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                return "".join(out), i + 1
            out.append(ch)
            i += 1
        raise QueryError(
            f"unterminated quote starting at position {start}: expected a closing '\"'",
            text[start:],
            start,
        )

    # ---- parser ------------------------------------------------------------------------

    def parse(self) -> Node | None:
        if self.peek() is None:
            return None
        node = self._or(0, None)
        tok = self.peek()
        if tok is not None:  # only a ')' can stop the top-level expression
            raise QueryError(
                f"unmatched {_show(tok.raw)} at position {tok.pos}: expected a '(' before it",
                tok.raw,
                tok.pos,
            )
        return node

    def _or(self, depth: int, after: _Tok | None) -> Node | None:
        parts = [self._and(depth, after)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            parts.append(self._and(depth, self.take()))
        return _make(Or, parts)

    def _and(self, depth: int, after: _Tok | None) -> Node | None:
        parts = [self._unary(depth, after)]
        while (tok := self.peek()) is not None and tok.kind not in (")", "OR"):
            parts.append(self._unary(depth, self.take() if tok.kind == "AND" else None))
        return _make(And, parts)

    def _unary(self, depth: int, after: _Tok | None) -> Node | None:
        negations = 0
        while (tok := self.peek()) is not None and tok.kind in ("-", "NOT"):
            after = self.take()
            negations += 1
            self._check_depth(depth + negations, after)
        tok = self.peek()
        node: Node | None
        if tok is None:
            assert after is not None  # the query is not empty, so something came before
            raise QueryError(
                f"nothing after {_show(after.raw)} at position {after.pos}: expected a term",
                after.raw,
                after.pos,
            )
        if tok.kind == "term":
            node = self.take().node
        elif tok.kind == "(":
            opener = self.take()
            inner_depth = depth + negations + 1
            self._check_depth(inner_depth, opener)
            node = self._or(inner_depth, opener)
            close = self.peek()
            if close is None:
                raise QueryError(
                    f"unclosed '(' at position {opener.pos}: expected a matching ')'",
                    "(",
                    opener.pos,
                )
            self.take()
        else:
            if after is not None:
                where = f" after {_show(after.raw)}"
            elif tok.kind in ("OR", "AND"):
                where = " before it"
            else:
                where = ""
            raise QueryError(
                f"unexpected {_show(tok.raw)} at position {tok.pos}: expected a term{where}",
                tok.raw,
                tok.pos,
            )
        for _ in range(negations):
            node = Not(node) if node is not None else None
        return node

    @staticmethod
    def _check_depth(depth: int, tok: _Tok) -> None:
        if depth > MAX_DEPTH:
            raise QueryError(
                f"{_show(tok.raw)} at position {tok.pos} nests too deeply: expected at most "
                f"{MAX_DEPTH} levels of parentheses and negation",
                tok.raw,
                tok.pos,
            )


def parse_query(text: str) -> Node | None:
    """Parse a search query; None for an empty (or all-noise) query.

    Raises QueryError for syntax errors.
    """
    return _Parser(text).parse()


def parse_where(expr: str) -> Field:
    """Parse the CLI's ``--where 'key>=value'``: exactly one field comparison.

    Unlike in a query, spaces are allowed around the operator and an unquoted value runs
    to the end of the string (``author=Chris Rackauckas``); a value may also be quoted.
    """
    m = _WHERE_RE.match(expr)
    if m is None:
        shown = expr.strip()
        pos = len(expr) - len(expr.lstrip())
        raise QueryError(
            f"invalid --where {_show(shown)} at position {pos}: "
            "expected a comparison like 'key>=value'",
            shown,
            pos,
        )
    raw_name, op = m.group(1), m.group(2)
    pos = m.start(1)
    rest = expr[m.end() :]
    if rest.startswith('"'):
        value, end = _Parser(expr)._quoted(m.end())
        trailing = expr[end:]
        if trailing.strip():
            tpos = end + len(trailing) - len(trailing.lstrip())
            extra = trailing.strip()
            raise QueryError(
                f"unexpected {_show(extra)} at position {tpos}: "
                "expected nothing after the quoted value",
                extra,
                tpos,
            )
    else:
        value = rest
    return _make_field(raw_name, op, value, expr.strip(), pos)


def combine(*nodes: Node | None) -> Node | None:
    """AND the given nodes together, skipping None; None when none are left."""
    return _make(And, nodes)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _reparses_to(text: str, node: Node) -> bool:
    try:
        return parse_query(text) == node
    except QueryError:
        return False


def _group(node: Node) -> str:
    text = to_string(node)
    return f"({text})" if isinstance(node, And | Or) else text


def to_string(node: Node) -> str:
    """Canonical query text for ``node``; ``parse_query(to_string(n)) == n`` for parsed trees.

    Words and field values are written bare when that reads back identically, else quoted.
    Negation is written ``-x``; groups inside OR, AND and negation are parenthesised.
    """
    if isinstance(node, Text):
        star = "*" if node.prefix else ""
        if not node.phrase and _reparses_to(node.value + star, node):
            return node.value + star
        return _quote(node.value) + star
    if isinstance(node, Field):
        bare = f"{node.name}{node.op}{node.value}"
        if _reparses_to(bare, node):
            return bare
        return f"{node.name}{node.op}{_quote(node.value)}"
    if isinstance(node, Not):
        child = node.child
        return f"-({to_string(child)})" if isinstance(child, Not) else "-" + _group(child)
    if isinstance(node, And):
        return " ".join(_group(child) for child in node.children)
    return " OR ".join(_group(child) for child in node.children)


def positive_leaves(node: Node | None) -> Iterator[Text | Field]:
    """The leaf terms of a query outside any odd number of negations, left to right."""
    stack: list[tuple[Node, bool]] = [(node, True)] if node is not None else []
    while stack:
        current, positive = stack.pop()
        if isinstance(current, Not):
            stack.append((current.child, not positive))
        elif isinstance(current, And | Or):
            stack.extend((child, positive) for child in reversed(current.children))
        elif positive:
            yield current


def text_terms(node: Node | None) -> list[str]:
    """The positive free-text words and phrases (and ``body:`` values), first-seen order.

    Terms under an odd number of negations are left out; prefix words are given without
    their ``*``.
    """
    out: list[str] = []
    for leaf in positive_leaves(node):
        is_body = isinstance(leaf, Field) and leaf.name == "body" and leaf.op == ":"
        if (isinstance(leaf, Text) or is_body) and leaf.value not in out:
            out.append(leaf.value)
    return out
