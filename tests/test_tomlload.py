"""TOML read without tomllib must give exactly what tomllib + jsonable give, or defer."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import frontmatters
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notes_kb import parse, tomlload
from notes_kb.errors import NoteParseError
from notes_kb.values import jsonable

NOTES = Path(__file__).resolve().parents[1] / "notes"


def _reference(text: str) -> Any:
    try:
        return jsonable(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return "error"


def _assert_agrees(text: str) -> None:
    """The short way gives tomllib's mapping, keys in the same order, or steps aside."""
    fast = tomlload.simple(text)
    if fast is None:
        return
    expected = _reference(text)
    assert expected != "error", text  # never a mapping where tomllib finds an error
    # repr: the same keys in the same order, and the same types at every depth (1 == True)
    assert repr(fast) == repr(expected), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "A"\ntags = ["a", \'b\']\n', {"title": "A", "tags": ["a", "b"]}),
        ("draft = false\nn = -0\nm = +5\n", {"draft": False, "n": 0, "m": 5}),
        ("lastmod = 2022-01-13\n", {"lastmod": "2022-01-13"}),
        ("at = 2022-01-13T10:20:30+02:00\n", {"at": "2022-01-13T10:20:30+02:00"}),
        ("at = 2022-01-13 10:20:30Z\n", {"at": "2022-01-13T10:20:30+00:00"}),
        ("at = 2022-01-13t10:20:30-00:00\n", {"at": "2022-01-13T10:20:30+00:00"}),
        ("at = 2022-01-13T10:20:30\n", {"at": "2022-01-13T10:20:30"}),
        ('k = "a # b" # c\n', {"k": "a # b"}),
        ("k = [ ]\nj = ['x',]\n", {"k": [], "j": ["x"]}),
        ("  # comment\n\n1234 = 'v'\n", {"1234": "v"}),
        ('t = "tab\tinside"\n', {"t": "tab\tinside"}),
        ("a = 1\n[extra] # c\nb = 'x'\n[ more ]\n", {"a": 1, "extra": {"b": "x"}, "more": {}}),
        ("l = [\n  'a',\n  \"b\"\n]\nn = 1\n", {"l": ["a", "b"], "n": 1}),
    ],
)
def test_plain_values_take_the_short_way(text: str, expected: dict[str, Any]) -> None:
    assert tomlload.simple(text) == expected
    assert _reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a = 1\na = 2\n",  # repeated key: tomllib's error
        "d = 2022-02-30\n",  # impossible date: tomllib's error
        "d = 2022-02-30T10:00:00Z\n",
        "n = 007\n",
        'e = "esc\\n"\n',
        "f = 1.5\n",
        "t = 10:20:30\n",
        "w = 2022-01-13T10:20:30.5Z\n",
        "[a.b]\nx = 1\n",
        "[[items]]\nx = 1\n",
        "x = 1\n[x]\n",
        "[t]\n[t]\n",
        "[t]\nx = 1\nx = 2\n",
        "a.b = 1\n",
        "l = [\n  'a', # why\n]\n",
        'l = ["x\ny"]\n',
        "l = [\n  'a',\n",
        '"q" = 1\n',
        'm = """multi"""\n',
        "l = ['a', 1]\n",
        "x = \n",
        "x = 'a' 'b'\n",
        "cr = 1\r\n",
        "big = 9999999999999999999\n",
    ],
)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert tomlload.simple(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "tags = [" + '"t", ' * 19_997 + '"t"]\n',  # the mapping, the list, 19,998 items
        "".join(f"k{n} = 1\n" for n in range(19_999)),
        "[t]\n" + "".join(f"k{n} = true\n" for n in range(19_998)),
    ],
)
def test_frontmatter_at_the_value_limit_takes_the_short_way(text: str) -> None:
    assert tomlload.simple(text) is not None
    _assert_agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "tags = [" + '"t", ' * 19_998 + '"t"]\n',
        "".join(f"k{n} = 1\n" for n in range(20_000)),
        "[t]\n" + "".join(f"k{n} = true\n" for n in range(19_999)),
    ],
)
def test_frontmatter_past_the_value_limit_is_refused_as_before(text: str) -> None:
    assert tomlload.simple(text) is None
    with pytest.raises(NoteParseError, match="more than 20000 values"):
        parse.load("toml", text, 2)


def test_a_note_with_an_impossible_date_still_reports_tomllibs_error() -> None:
    with pytest.raises(NoteParseError, match="invalid TOML frontmatter"):
        parse.load("toml", "title = 'x'\nlastmod = 2022-02-30\n", 2)


_keys = st.sampled_from(["title", "tags", "a", "1", "key-1", "_k", "a.b", '"q"', "draft", "x y"])
_tricky = st.sampled_from(
    [
        '"plain"',
        "'literal'",
        '"with # hash"',
        '"esc\\"aped"',
        "''",
        '""',
        '"""tri"""',
        "true",
        "false",
        "True",
        "0",
        "-0",
        "+12",
        "012",
        "1_000",
        "1.5",
        "inf",
        "2022-01-13",
        "2022-02-29",
        "2024-02-29",
        "0000-01-01",
        "2022-13-01",
        "2022-1-3",
        "2022-01-13T10:20:30Z",
        "2022-01-13t10:20:30z",
        "2022-01-13 10:20:30",
        "2022-01-13T24:00:00",
        "2022-01-13T10:20:60",
        "2022-01-13T10:20:30+23:59",
        "2022-01-13T10:20:30+24:00",
        "2022-01-13T10:20:30-00:00",
        "2022-01-13T10:20:30.123+01:00",
        "10:20:30",
        '["a", "b"]',
        "['a',]",
        "[ ]",
        "[,]",
        '["a" "b"]',
        '["a", 1]',
        '["a # b", "c"]',
        "{ x = 1 }",
        "[",
        "[\n'a',\n'b'\n]",
        "[ 'a',\n  'b', ]",
        '["x\ny"]',
        "[\n 'a', # c\n]",
        "[\n'a]',\n]",
    ]
)
_junk = st.text(alphabet="ab1 =\"'#[],.:-+TZ\t", max_size=12)
_values = st.one_of(_tricky, _junk)
_after = st.sampled_from(["", " ", "\t", " # note", "  #", " #'\"", "# x"])


@st.composite
def _documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(_keys)
        eq = draw(st.sampled_from([" = ", "=", " =\t", "\t= "]))
        indent = draw(st.sampled_from(["", "", "  ", "\t"]))
        lines.append(f"{indent}{key}{eq}{draw(_values)}{draw(_after)}")
        if draw(st.integers(0, 5)) == 0:
            extra = ["", "# a comment", "  # indented", "[table]", "[ t2 ] # c", "[a.b]", "[[arr]]"]
            lines.append(draw(st.sampled_from(extra)))
    return "\n".join(lines) + "\n"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents())
def test_generated_documents_agree_with_tomllib(text: str) -> None:
    _assert_agrees(text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="ab1 =\"'#[],.:-+TZ\n\t\r\\", max_size=60))
def test_arbitrary_toml_like_text_agrees_with_tomllib(text: str) -> None:
    _assert_agrees(text)


def test_every_toml_frontmatter_in_the_corpora_and_notes_agrees(corpora: Path) -> None:
    texts = frontmatters("toml", corpora, NOTES)
    assert len(texts) > 500
    for text in texts:
        _assert_agrees(text)
    short = [t for t in texts if tomlload.simple(t) is not None]
    assert len(short) > len(texts) / 2  # most real TOML frontmatter takes the short way
