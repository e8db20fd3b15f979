"""Tests for notes_kb.query: the search language parser."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from notes_kb.errors import NotesKbError, QueryError
from notes_kb.query import (
    EQUALITY_ONLY_FIELDS,
    IS_VALUES,
    MAX_DEPTH,
    And,
    Field,
    Node,
    Not,
    Or,
    Text,
    combine,
    parse_query,
    parse_where,
    text_terms,
    to_string,
)


def W(value: str, prefix: bool = False) -> Text:
    return Text(value, prefix=prefix)


def P(value: str, prefix: bool = False) -> Text:
    return Text(value, phrase=True, prefix=prefix)


def F(name: str, value: str, op: str = ":") -> Field:
    return Field(name, op, value)


def A(*children: Node) -> And:
    return And(children)


def O(*children: Node) -> Or:  # noqa: E743
    return Or(children)


# ---- parsing: input -> tree ---------------------------------------------------------------

PARSE_CASES: list[tuple[str, Node | None]] = [
    # empty and noise
    ("", None),
    ("   \t\n ", None),
    ("-", None),
    ("*", None),
    ("- * & !", None),
    ('""', None),
    ("-*", None),
    ("NOT *", None),
    ("(*)", None),
    # words
    ("autodiff", W("autodiff")),
    ("Autodiff", W("Autodiff")),
    ("C++", W("C++")),
    ("don't", W("don't")),
    ("e.g.", W("e.g.")),
    ("naïve", W("naïve")),
    ("日本語", W("日本語")),
    ("well-known", W("well-known")),
    ("--verbose", W("--verbose")),
    ("f(x)", W("f(x)")),
    ("wiki/Foo_(bar)", W("wiki/Foo_(bar)")),
    ("a\\b", W("a\\b")),
    ("or and not", A(W("or"), W("and"), W("not"))),
    ("a * b", A(W("a"), W("b"))),
    # prefix
    ("auto*", W("auto", prefix=True)),
    ("auto**", W("auto", prefix=True)),
    ("C++*", W("C++", prefix=True)),
    ("a*b", W("a*b")),
    ("OR*", W("OR", prefix=True)),
    # phrases
    ('"machine learning"', P("machine learning")),
    ('"one"', P("one")),
    ('"  spaced \n  out "', P("spaced out")),
    ('"foo bar"*', P("foo bar", prefix=True)),
    ('"say \\"hi\\""', P('say "hi"')),
    ('"back\\\\slash"', P("back\\slash")),
    ('"C:\\path"', P("C:\\path")),
    ('"a OR b"', P("a OR b")),
    ('"tag:x"', P("tag:x")),
    ('foo"bar"', A(W("foo"), P("bar"))),
    # implicit AND, explicit AND, OR and precedence
    ("a b", A(W("a"), W("b"))),
    ("a AND b", A(W("a"), W("b"))),
    ("a OR b", O(W("a"), W("b"))),
    ("a OR b OR c", O(W("a"), W("b"), W("c"))),
    ("a b OR c", O(A(W("a"), W("b")), W("c"))),
    ("a OR b c", O(W("a"), A(W("b"), W("c")))),
    ("a AND b OR c AND d", O(A(W("a"), W("b")), A(W("c"), W("d")))),
    ("a (b OR c)", A(W("a"), O(W("b"), W("c")))),
    ("(a b) c", A(W("a"), W("b"), W("c"))),
    ("(a OR b) OR c", O(W("a"), W("b"), W("c"))),
    ("((a))", W("a")),
    ("(a OR (b OR (c d)))", O(W("a"), W("b"), A(W("c"), W("d")))),
    ("a OR *", W("a")),
    ("(f(x) OR y)", O(W("f(x)"), W("y"))),
    # negation
    ("-draft", Not(W("draft"))),
    ('-"rough draft"', Not(P("rough draft"))),
    ("NOT draft", Not(W("draft"))),
    ("-a b", A(Not(W("a")), W("b"))),
    ("NOT a b", A(Not(W("a")), W("b"))),
    ("a NOT b", A(W("a"), Not(W("b")))),
    ("-a OR b", O(Not(W("a")), W("b"))),
    ("-(a OR b)", Not(O(W("a"), W("b")))),
    ("NOT (a b)", Not(A(W("a"), W("b")))),
    ("NOT -a", Not(Not(W("a")))),
    ("-(-a)", Not(Not(W("a")))),
    ("a - b", A(W("a"), W("b"))),
    ("-tag:draft", Not(F("tag", "draft"))),
    # fields
    ("tag:julia", F("tag", "julia")),
    ("tag=julia", F("tag", "julia")),
    ("TAG:Julia", F("tag", "Julia")),
    ("tags:julia", F("tag", "julia")),
    ("authors:knuth", F("author", "knuth")),
    ("categories:math", F("category", "math")),
    ('author:"Chris Rackauckas"', F("author", "Chris Rackauckas")),
    ('author:"  Chris   Rackauckas "', F("author", "Chris Rackauckas")),
    ('author="Chris Rackauckas"', F("author", "Chris Rackauckas")),
    ("category:math", F("category", "math")),
    ("link:discourse.julialang.org", F("link", "discourse.julialang.org")),
    ("link:https://x.com/a?b=c", F("link", "https://x.com/a?b=c")),
    ('link:"//x.com"', F("link", "//x.com")),
    ("links-to:index", F("links-to", "index")),
    ("linked-by:notes/a.md", F("linked-by", "notes/a.md")),
    ("is:draft", F("is", "draft")),
    ("is:revisit", F("is", "revisit")),
    ("is:SNOOZED", F("is", "snoozed")),
    ("title:intro", F("title", "intro")),
    ("title>=m", F("title", "m", ">=")),
    ("path:notes/2020", F("path", "notes/2020")),
    ("has:tags", F("has", "tag")),
    ("has:Summary", F("has", "summary")),
    ("body:gradient", F("body", "gradient")),
    ("status:done", F("status", "done")),
    ("Status:Done", F("status", "Done")),
    ("weight<10", F("weight", "10", "<")),
    ("weight>10", F("weight", "10", ">")),
    ("weight<=10", F("weight", "10", "<=")),
    ("weight>=-5", F("weight", "-5", ">=")),
    ("status!=done", F("status", "done", "!=")),
    ("lastmod>=2022-01-01", F("lastmod", "2022-01-01", ">=")),
    ("ms.date>=2020-01-01", F("ms.date", "2020-01-01", ">=")),
    ("my_key:1", F("my_key", "1")),
    ("a-b/c.d:x", F("a-b/c.d", "x")),
    ("_private:x", F("_private", "x")),
    ("a:b:c", F("a", "b:c")),
    ("a==b", F("a", "=b")),
    ("tag:OR", F("tag", "OR")),
    ("tag:foo*", F("tag", "foo*")),
    ("tag:(a)", F("tag", "(a)")),
    ('tag:a"b"', A(F("tag", "a"), P("b"))),
    ("(tag:a OR tag:b) -is:draft", A(O(F("tag", "a"), F("tag", "b")), Not(F("is", "draft")))),
    # things that look like fields but are text
    ("http://x.com/a", W("http://x.com/a")),
    ("see https://example.org/x", A(W("see"), W("https://example.org/x"))),
    ("10:30", W("10:30")),
    ("16:9", W("16:9")),
    ("foo->bar", W("foo->bar")),
    ("a-:b", W("a-:b")),
    ("<=>", None),
    ("x<=>y", F("x", ">y", "<=")),
    ("1<2", W("1<2")),
    # the example from the spec
    (
        'autodiff tag:julia -tag:draft author:"Chris Rackauckas" '
        "link:discourse.julialang.org lastmod>=2022-01-01",
        A(
            W("autodiff"),
            F("tag", "julia"),
            Not(F("tag", "draft")),
            F("author", "Chris Rackauckas"),
            F("link", "discourse.julialang.org"),
            F("lastmod", "2022-01-01", ">="),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse(text: str, expected: Node | None) -> None:
    assert parse_query(text) == expected


# ---- errors: input -> (message parts, token, position) -------------------------------------

ERROR_CASES: list[tuple[str, list[str], str, int]] = [
    # parentheses
    ("(a", ["unclosed '('", "position 0", "expected a matching ')'"], "(", 0),
    ("a (b (c)", ["unclosed '('", "position 2"], "(", 2),
    ("a )", ["unmatched ')'", "position 2"], ")", 2),
    ("(a))", ["unmatched ')'", "position 3"], ")", 3),
    (")", ["unexpected ')'", "position 0", "expected a term"], ")", 0),
    ("()", ["unexpected ')'", "position 1", "expected a term after '('"], ")", 1),
    ("a (", ["nothing after '('", "position 2", "expected a term"], "(", 2),
    ("(a OR )", ["unexpected ')'", "position 6", "expected a term after 'OR'"], ")", 6),
    # quotes
    ('abc "def', ["unterminated quote starting at position 4", "closing"], '"def', 4),
    ('"', ["unterminated quote starting at position 0"], '"', 0),
    ('"a\\"', ["unterminated quote starting at position 0"], '"a\\"', 0),
    ('author:"Chris', ["unterminated quote starting at position 7"], '"Chris', 7),
    ('a -"b', ["unterminated quote starting at position 3"], '"b', 3),
    # OR / AND / NOT with a missing side
    ("OR a", ["unexpected 'OR'", "position 0", "expected a term before it"], "OR", 0),
    ("a OR", ["nothing after 'OR'", "position 2", "expected a term"], "OR", 2),
    ("a OR OR b", ["unexpected 'OR'", "position 5", "after 'OR'"], "OR", 5),
    ("(OR a)", ["unexpected 'OR'", "position 1"], "OR", 1),
    ("a (b OR) c", ["unexpected ')'", "position 7", "after 'OR'"], ")", 7),
    ("AND a", ["unexpected 'AND'", "position 0", "before it"], "AND", 0),
    ("a AND", ["nothing after 'AND'", "position 2"], "AND", 2),
    ("a AND OR b", ["unexpected 'OR'", "position 6", "after 'AND'"], "OR", 6),
    ("NOT", ["nothing after 'NOT'", "position 0", "expected a term"], "NOT", 0),
    ("a NOT OR b", ["unexpected 'OR'", "position 6", "after 'NOT'"], "OR", 6),
    ("-OR a", ["unexpected 'OR'", "position 1", "after '-'"], "OR", 1),
    # empty values
    ("tag:", ["empty value for 'tag:'", "position 0", "expected a tag name"], "tag:", 0),
    ("x tag: y", ["empty value for 'tag:'", "position 2", "a tag name"], "tag:", 2),
    ('tag:""', ["empty value for 'tag:'", "position 0"], 'tag:""', 0),
    ('author:"  "', ["empty value for 'author:'", "an author name"], 'author:"  "', 0),
    ("(tag:)", ["empty value for 'tag:'", "position 1"], "tag:", 1),
    ("tag=", ["empty value for 'tag='", "position 0"], "tag=", 0),
    ("weight< 10", ["empty value for 'weight<'", "expected a value"], "weight<", 0),
    ("is:", ["empty value for 'is:'", "one of draft, revisit, snoozed"], "is:", 0),
    ("has:", ["empty value for 'has:'", "a field name"], "has:", 0),
    ("link:", ["empty value for 'link:'", "a URL or domain"], "link:", 0),
    ("Note:", ["empty value for 'Note:'", "expected a value"], "Note:", 0),
    ("tag:(a", ["empty value for 'tag:'"], "tag:", 0),
    # is: values
    (
        "is:foo",
        ["unknown value 'foo'", "'is:'", "position 0", "expected one of draft, revisit, snoozed"],
        "is:foo",
        0,
    ),
    ('a is:"not done"', ["unknown value 'not done'", "position 2"], 'is:"not done"', 2),
    # comparisons on fields that cannot compare
    ("tag>=x", ["cannot use '>=' with 'tag'", "position 0", "expected 'tag:value'"], "tag>=x", 0),
    ("tags<x", ["cannot use '<' with 'tags'"], "tags<x", 0),
    ("author>a", ["cannot use '>' with 'author'"], "author>a", 0),
    ("category<=b", ["cannot use '<=' with 'category'"], "category<=b", 0),
    ("link>x", ["cannot use '>' with 'link'"], "link>x", 0),
    ("links-to>x", ["cannot use '>' with 'links-to'"], "links-to>x", 0),
    ("linked-by<x", ["cannot use '<' with 'linked-by'"], "linked-by<x", 0),
    ("is>=draft", ["cannot use '>=' with 'is'"], "is>=draft", 0),
    ("has>x", ["cannot use '>' with 'has'"], "has>x", 0),
    ("body>x", ["cannot use '>' with 'body'"], "body>x", 0),
    ("a tag!=x", ["cannot use '!=' with 'tag'", "position 2", "'-tag:value'"], "tag!=x", 2),
    ("tag>:", ["cannot use '>' with 'tag'"], "tag>:", 0),
    # nesting limit
    ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), ["nests too deeply"], "(", MAX_DEPTH),
    ("NOT " * (MAX_DEPTH + 1) + "a", ["nests too deeply"], "NOT", 4 * MAX_DEPTH),
]


@pytest.mark.parametrize(
    ("text", "parts", "token", "position"), ERROR_CASES, ids=[c[0][:40] for c in ERROR_CASES]
)
def test_parse_errors(text: str, parts: list[str], token: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(text)
    message = str(info.value)
    for part in parts:
        assert part in message
    assert "\n" not in message
    assert info.value.token == token
    assert info.value.position == position
    assert f"position {position}" in message
    assert info.value.exit_code == 2
    assert isinstance(info.value, NotesKbError)


def test_errors_are_reported_left_to_right() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("(a OR ) tag:")
    assert info.value.position == 6


def test_error_message_truncates_long_tokens() -> None:
    with pytest.raises(QueryError) as info:
        parse_query("is:" + "x" * 500)
    assert len(str(info.value)) < 200
    assert info.value.token == "is:" + "x" * 500


def test_deep_but_allowed_nesting() -> None:
    text = "(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    assert parse_query(text) == W("a")
    assert parse_query("NOT " * (MAX_DEPTH - 1) + "a") is not None


def test_long_queries_are_fast_enough() -> None:
    words = " ".join(f"w{i}" for i in range(20000))
    node = parse_query(words)
    assert isinstance(node, And)
    assert len(node.children) == 20000


def test_pathological_input_raises_query_error() -> None:
    with pytest.raises(QueryError):
        parse_query("a(" * 20000)


# ---- parse_where -------------------------------------------------------------------------

WHERE_CASES: list[tuple[str, Field]] = [
    ("weight>=10", F("weight", "10", ">=")),
    ("weight >= 10", F("weight", "10", ">=")),
    ("  status = done ", F("status", "done")),
    ("author=Chris Rackauckas", F("author", "Chris Rackauckas")),
    ('author:"Chris Rackauckas"', F("author", "Chris Rackauckas")),
    ('title:"say \\"hi\\""', F("title", 'say "hi"')),
    ("Tags:julia", F("tag", "julia")),
    ("is:Draft", F("is", "draft")),
    ("link:https://x.com/a", F("link", "https://x.com/a")),
    ("lastmod<2020-01-01", F("lastmod", "2020-01-01", "<")),
    ("status!=done", F("status", "done", "!=")),
    ("ms.date>2020", F("ms.date", "2020", ">")),
]


@pytest.mark.parametrize(("expr", "expected"), WHERE_CASES, ids=[c[0] for c in WHERE_CASES])
def test_parse_where(expr: str, expected: Field) -> None:
    assert parse_where(expr) == expected


WHERE_ERRORS: list[tuple[str, str, int]] = [
    ("draft", "invalid --where 'draft'", 0),
    ("", "expected a comparison", 0),
    ("-tag:x", "invalid --where '-tag:x'", 0),
    ("  10<x", "invalid --where '10<x'", 2),
    ("tag:", "empty value for 'tag:'", 0),
    ("weight >= ", "empty value for 'weight>='", 0),
    ("tag>=x", "cannot use '>=' with 'tag'", 0),
    ("is:foo", "unknown value 'foo'", 0),
    ('title:"a', "unterminated quote starting at position 6", 6),
    ('title:"a" b', "unexpected 'b' at position 10", 10),
]


@pytest.mark.parametrize(("expr", "part", "position"), WHERE_ERRORS)
def test_parse_where_errors(expr: str, part: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_where(expr)
    assert part in str(info.value)
    assert info.value.position == position


# ---- combine, to_string, text_terms -------------------------------------------------------


def test_combine() -> None:
    a, b, c = W("a"), W("b"), W("c")
    assert combine() is None
    assert combine(None, None) is None
    assert combine(a) == a
    assert combine(None, a, None) == a
    assert combine(a, b) == A(a, b)
    assert combine(A(a, b), c) == A(a, b, c)
    assert combine(O(a, b), c) == A(O(a, b), c)
    assert combine(parse_query("x y"), F("tag", "t")) == A(W("x"), W("y"), F("tag", "t"))


TO_STRING_CASES: list[tuple[Node, str]] = [
    (W("a"), "a"),
    (W("auto", prefix=True), "auto*"),
    (P("a b"), '"a b"'),
    (P("a b", prefix=True), '"a b"*'),
    (P('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"'),
    (A(W("a"), W("b")), "a b"),
    (O(A(W("a"), W("b")), W("c")), "(a b) OR c"),
    (A(O(W("a"), W("b")), W("c")), "(a OR b) c"),
    (Not(W("a")), "-a"),
    (Not(O(W("a"), W("b"))), "-(a OR b)"),
    (Not(Not(W("a"))), "-(-a)"),
    (F("tag", "julia"), "tag:julia"),
    (F("author", "Chris Rackauckas"), 'author:"Chris Rackauckas"'),
    (F("weight", "10", ">="), "weight>=10"),
    (F("weight", "=10", ">"), 'weight>"=10"'),
    (F("http", "//x.com"), 'http:"//x.com"'),
    (F("title", 'a"b'), 'title:"a\\"b"'),
    (W("http://x.com/a"), "http://x.com/a"),
    # not produced by the parser: written in the closest form that parses
    (W("OR"), '"OR"'),
    (W("two words"), '"two words"'),
]


@pytest.mark.parametrize(("node", "expected"), TO_STRING_CASES, ids=[c[1] for c in TO_STRING_CASES])
def test_to_string(node: Node, expected: str) -> None:
    assert to_string(node) == expected


TERMS_CASES: list[tuple[str, list[str]]] = [
    ("", []),
    ("a b", ["a", "b"]),
    ('a "b c" -d', ["a", "b c"]),
    ("auto* tag:x title:y", ["auto"]),
    ("a OR (b -(c OR d))", ["a", "b"]),
    ("NOT -a", ["a"]),
    ("a a A", ["a", "A"]),
    ("body:gradient -body:x", ["gradient"]),
]


@pytest.mark.parametrize(("text", "expected"), TERMS_CASES, ids=[c[0] for c in TERMS_CASES])
def test_text_terms(text: str, expected: list[str]) -> None:
    assert text_terms(parse_query(text)) == expected


def test_text_terms_none() -> None:
    assert text_terms(None) == []


# ---- properties ------------------------------------------------------------------------------

QUERYISH = st.text(alphabet=st.sampled_from(list('ab:=<>!-*()" \\/.tagis_OR NOTAND\n')))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), QUERYISH))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    try:
        node = parse_query(text)
    except QueryError as err:
        assert "\n" not in str(err)
        assert 0 <= err.position <= len(text)
        assert f"position {err.position}" in str(err)
        return
    if node is not None:
        # canonical text parses back to the same tree
        assert parse_query(to_string(node)) == node
        text_terms(node)


@settings(max_examples=200)
@given(st.one_of(st.text(), QUERYISH))
def test_parse_where_never_crashes(text: str) -> None:
    try:
        field = parse_where(text)
    except QueryError:
        return
    assert isinstance(field, Field)


_ALNUM = st.characters(categories=("Lu", "Ll", "Lo", "Nd"))
_WORD = st.builds(
    lambda first, rest: first + "".join(rest),
    _ALNUM,
    st.lists(st.one_of(_ALNUM, st.sampled_from(list("+.'_#&-/"))), max_size=8),
)
_PHRASE = (
    st.text(min_size=1)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: any(ch.isalnum() for ch in s))
)
_KEY = st.from_regex(r"[a-z_]([a-z0-9_.\-/]*[a-z0-9_])?", fullmatch=True)
_VALUE = st.text(min_size=1).map(lambda s: " ".join(s.split())).filter(bool)


@st.composite
def _fields(draw: st.DrawFn) -> Field:
    name = draw(st.one_of(st.sampled_from(sorted(EQUALITY_ONLY_FIELDS | {"title", "path"})), _KEY))
    name = {"tags": "tag", "authors": "author", "categories": "category"}.get(name, name)
    if name in EQUALITY_ONLY_FIELDS:
        op = ":"
    else:
        op = draw(st.sampled_from([":", ">=", "<=", ">", "<", "!="]))
    if name == "is":
        value = draw(st.sampled_from(IS_VALUES))
    elif name == "has":
        value = draw(_KEY)
        value = {"tags": "tag", "authors": "author", "categories": "category"}.get(value, value)
    else:
        value = draw(_VALUE)
    return Field(name, op, value)


_LEAVES: st.SearchStrategy[Node] = st.one_of(
    st.builds(Text, _WORD, st.just(False), st.booleans()).filter(
        lambda t: t.value not in {"OR", "AND", "NOT"}
    ),
    st.builds(Text, _PHRASE, st.just(True), st.booleans()),
    _fields(),
)


def _flat(kind: type[And] | type[Or], children: list[Node]) -> Node:
    out: list[Node] = []
    for child in children:
        out.extend(child.children if isinstance(child, kind) else [child])
    return kind(tuple(out))


TREES: st.SearchStrategy[Node] = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.lists(inner, min_size=2, max_size=4).map(lambda cs: _flat(And, cs)),
        st.lists(inner, min_size=2, max_size=4).map(lambda cs: _flat(Or, cs)),
    ),
    max_leaves=12,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_round_trip(node: Node) -> None:
    text = to_string(node)
    parsed = parse_query(text)
    assert parsed == node
    assert to_string(parsed) == text


@given(TREES, TREES)
def test_combine_round_trip(left: Node, right: Node) -> None:
    both = combine(left, right)
    assume(both is not None)
    assert both is not None
    assert parse_query(to_string(both)) == both
