"""The fast YAML walk must give exactly what PyYAML's safe constructor + jsonable give."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import frontmatters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notes_kb import parse, yamlload
from notes_kb.values import TooLarge
from tests.hostile import _cases

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
NOTES = Path(__file__).resolve().parents[1] / "notes"


def _outcome(load: Any, text: str) -> tuple[Any, ...]:
    try:
        return ("ok", load(text))
    except Exception as exc:  # both loaders must fail the same way
        return ("error", type(exc).__name__, str(exc))


def _assert_same(text: str) -> None:
    assert _outcome(yamlload.load, text) == _outcome(yamlload.load_generic, text), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: A\ntags: [a, b]\n", {"title": "A", "tags": ["a", "b"]}),
        (
            "draft: yes\nn: 3\nf: 1.5\nnothing: ~\n",
            {"draft": True, "n": 3, "f": 1.5, "nothing": None},
        ),
        ("date: 2022-01-13\n", {"date": "2022-01-13"}),
        ("at: 2022-01-13 10:20:30+02:00\n", {"at": "2022-01-13T10:20:30+02:00"}),
        ("bad: 2022-02-30\n", {"bad": "2022-02-30"}),
        ("x: .inf\ny: .nan\n", {"x": "inf", "y": "nan"}),
        (
            "1: one\nfalse: no\n2020-01-02: d\n~: n\n",
            {"1": "one", "false": False, "2020-01-02": "d", "": "n"},
        ),
        (" padded : v\n", {"padded": "v"}),
        ("a: 1\na: 2\n", {"a": 2}),
        (
            "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
            {"base": {"x": 1}, "other": {"x": 1, "y": 2}},
        ),
        ("s: !!set {a}\n", {"s": ["a"]}),
        ("b: !!binary aGk=\n", {"b": "6869"}),
        ("l: !local {k: v}\n", {"l": {"k": "v"}}),
        ("e: =\n", {"e": "="}),
        ("a: &x [1, 2]\nb: *x\n", {"a": [1, 2], "b": [1, 2]}),
    ],
)
def test_plain_and_unusual_values(text: str, expected: dict[str, Any]) -> None:
    assert yamlload.load(text) == expected
    _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "? [a, b]\n: v\n",  # a list as a key
        "x: !!python/object:os.system {}\n",
        "x: !!python/name:os.system\n",
        "a: &a [*a]\n",  # recursive alias
        "a: [unclosed\n",
        "- a\n- b\n",
        "just text\n",
    ],
)
def test_errors_and_odd_documents_match_the_safe_constructor(text: str) -> None:
    _assert_same(text)


def test_alias_bomb_is_refused_by_both() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for n in range(1, 9):
        name, previous = chr(97 + n), chr(96 + n)
        bomb += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    with pytest.raises(TooLarge):
        yamlload.load(bomb)
    _assert_same(bomb)


def test_deep_nesting_is_refused_by_both() -> None:
    text = "a: " + "[" * 100 + "]" * 100 + "\n"
    with pytest.raises(TooLarge):
        yamlload.load(text)
    _assert_same(text)


def test_every_yaml_frontmatter_in_the_corpora_and_notes_loads_the_same() -> None:
    texts = frontmatters("yaml", CORPORA, NOTES)
    assert len(texts) > 500
    for text in texts:
        _assert_same(text)


def test_hostile_yaml_cases_load_the_same() -> None:
    count = 0
    for _name, _expect, _title, _reason, content in _cases(big=False):
        if isinstance(content, bytes):
            continue
        try:
            fmt, fm, _body, _line = parse.split(content)
        except Exception:
            continue
        if fmt == "yaml":
            count += 1
            _assert_same(fm)
    assert count >= 5


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
)
_docs = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.one_of(st.text(max_size=8), st.integers(), st.booleans()), children, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=10), _docs, max_size=6))
def test_generated_documents_load_the_same(doc: dict[Any, Any]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    _assert_same(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="ab:- \n[]{}&*!<>|'\"~?,1.#", max_size=60))
def test_arbitrary_yaml_like_text_loads_the_same(text: str) -> None:
    _assert_same(text)


# ---- the parser-free path for simple documents -------------------------------------------------

_TRICKY = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "~",
    "null",
    "NULL",
    "",
    "0x1F",
    "0o17",
    "017",
    "1_000",
    "+12",
    "-3",
    "1:30",
    "190:20:30",
    "1.5",
    "1e3",
    "6.8523015e+5",
    ".inf",
    "-.inf",
    ".NaN",
    "2022-01-13",
    "2022-02-30",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "=",
    "<<",
    "a#b",
    "a #b",
    "a: b",
    "a:",
    "é",
    "日本語",
    "it's",
    '"q"',
    "'s'",
    '"a\\"b"',
    "'it''s'",
    '""',
    "''",
    "[a, b]",
    "[]",
    "[ a ,b ]",
    "[a,]",
    "[a, [b]]",
    "[\"x\", 'y']",
    "[a:b]",
    "[a?]",
    "[yes, 1, ~, 2022-01-01]",
    "-x",
    "-1",
    "- x",
    "--",
    "@x",
    "`x`",
    "%x",
    "!x",
    "&a x",
    "*a",
    "|",
    ">",
    "{a: 1}",
    "http://x.y/z?a=1#f",
    "C:\\path",
    "a\\b",
    "a\u0085b",
    "a\u2028b",
    "a\ufeffb",
    "x\ty",
    "[[note]]",
    '"[[note]]"',
]
_keys = st.sampled_from(
    ["title", "tags", "a", "on", "yes", "null", "y", "true", "key-1", "_k", "date", "1", "a b"]
)
_values = st.one_of(st.sampled_from(_TRICKY), st.text(alphabet="ab 1.:-#'\"[],yn~", max_size=8))


@st.composite
def _simple_shaped(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(_keys)
        if draw(st.booleans()):
            lines.append(f"{key}: {draw(_values)}{draw(st.sampled_from(['', ' ', '  ']))}")
        else:
            lines.append(f"{key}:")
            indent = draw(st.sampled_from(["", "  ", "    "]))
            for _ in range(draw(st.integers(0, 3))):
                own = draw(st.sampled_from([indent, indent, "   "]))
                lines.append(f"{own}- {draw(_values)}")
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# a comment", "  # indented", "   "])))
    return "\n".join(lines) + "\n"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_simple_shaped())
def test_simple_shaped_documents_load_the_same_with_or_without_the_parser(text: str) -> None:
    _assert_same(text)


_words = st.text(alphabet="abcyntfoONYTF019.-+:_~ é'\"\\/()", max_size=10)
_benign = st.one_of(
    _words,
    _words.map(lambda w: f'"{w}"'),
    _words.map(lambda w: f"'{w}'"),
    st.lists(_words, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
    st.sampled_from(["yes", "Off", "~", "1:30", "0x10", "-1.5", "12:30:45", "0b101", "+.inf"]),
    st.sampled_from(["2022-01-13", "2022-1-3", "2022-01-13T10:20:30Z", "1.", ".5", "1_0"]),
)


@st.composite
def _mostly_simple(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(["title", "t", "n", "no", "tags", "x_y", "a-b", "Yes", "NULL"]))
        if draw(st.booleans()):
            lines.append(f"{key}: {draw(_benign)}")
        else:
            lines.append(f"{key}:")
            indent = draw(st.sampled_from(["", "  "]))
            lines += [f"{indent}- {draw(_benign)}" for _ in range(draw(st.integers(0, 3)))]
    return "\n".join(lines) + "\n"


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mostly_simple())
def test_mostly_simple_documents_load_the_same_with_or_without_the_parser(text: str) -> None:
    _assert_same(text)


@pytest.mark.parametrize("length", [1024, 1025])
def test_a_key_longer_than_yaml_allows_is_left_to_the_parser(length: int) -> None:
    for text in ("k" * length + ": v\n", "a: 1\n" + "k" * length + ": v\n"):
        _assert_same(text)
        assert (yamlload._simple(text) is None) == (length > 1024)


def test_common_frontmatter_skips_the_parser() -> None:
    typical = (
        'title: "State of Machine Learning in Julia"\nauthor:\n  - Jane Doe\n  - John Roe\n'
        "categories: [ml]\ndraft: false\nlastmod: 2022-01-13\ntags: [julia, ML, revisit]\n"
        "links:\n- https://discourse.julialang.org/t/state-of-ml/123\n# a comment\n"
    )
    expected = yamlload.load_generic(typical)
    assert yamlload._simple(typical) == expected
    assert expected["lastmod"] == "2022-01-13" and expected["draft"] is False
    accepted = [t for t in frontmatters("yaml", CORPORA, NOTES) if yamlload._simple(t) is not None]
    assert len(accepted) > 300  # most real frontmatter takes the short way
