"""notes_kb.values: booleans, dates, word lists and JSON-safe copies of frontmatter values."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notes_kb.values import TooLarge, jsonable, scalar_text, split_words, to_bool, to_iso

UTC = dt.UTC
PLUS2 = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (2, False),
        (1.0, True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("y", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("no", False),
        ("0", False),
        ("", False),
        ("draft", False),
        (None, False),
        ([True], False),
        ({"a": 1}, False),
    ],
)
def test_to_bool(value: Any, expected: bool) -> None:
    assert to_bool(value) is expected


ISO_CASES = [
    (dt.date(2022, 1, 13), "2022-01-13"),
    (dt.datetime(2022, 1, 13, 10, 30), "2022-01-13T10:30:00"),
    (dt.datetime(2022, 1, 13, 10, 30, tzinfo=PLUS2), "2022-01-13T10:30:00+02:00"),
    ("2022-01-13", "2022-01-13"),
    ("  2022-01-13  ", "2022-01-13"),
    ("2022-01-13T10:30:00+02:00", "2022-01-13T10:30:00+02:00"),
    ("2022-01-13T10:30:00Z", "2022-01-13T10:30:00+00:00"),
    ("2022-01-13 10:30", "2022-01-13T10:30:00"),
    ("2022-01-13T10:30:00.250-05:00", "2022-01-13T10:30:00.250000-05:00"),
    ("January 13, 2022", "2022-01-13"),
    ("Jan 13, 2022", "2022-01-13"),
    ("January 13th, 2022", "2022-01-13"),
    ("13 January 2022", "2022-01-13"),
    ("2022/01/13", "2022-01-13"),
    ("2022.01.13", "2022-01-13"),
    ("2015-09-05 12:00:00 +0000", "2015-09-05T12:00:00+00:00"),
    ("Sat, 05 Sep 2015 12:00:00 +0000", "2015-09-05T12:00:00+00:00"),
    ("March 2021", "2021-03-01"),
    ("2019-05-08T8:09:26-07:00", "2019-05-08T08:09:26-07:00"),
    ("2022-1-3", "2022-01-03"),
    ("2022-01-03 9:05", "2022-01-03T09:05:00"),
    ("2022-01-03T10:00:00.5+0530", "2022-01-03T10:00:00.500000+05:30"),
    ("2022-01-03t10:00:00z", "2022-01-03T10:00:00+00:00"),
]


@pytest.mark.parametrize(("value", "iso"), ISO_CASES)
def test_to_iso(value: Any, iso: str) -> None:
    assert to_iso(value) == iso


@pytest.mark.parametrize(
    "value",
    [
        "",
        "someday",
        "2022-02-30",
        "2022-13-01",
        "2022-01-03T25:00",
        "2022-01-03T10:00+24:00",
        "13/13/2022",
        "2022",
        2022,
        20.5,
        True,
        None,
        [2022],
        {"y": 2022},
        dt.time(10, 30),
        "x" * 100,
        "{{ .Date }}",
        "{{date}}",
    ],
)
def test_to_iso_rejects(value: Any) -> None:
    assert to_iso(value) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_to_iso_never_raises(text: str) -> None:
    result = to_iso(text)
    assert result is None or result[:4].isdigit()


@settings(max_examples=200, deadline=None)
@given(st.datetimes(timezones=st.none() | st.just(UTC) | st.just(PLUS2)))
def test_to_iso_round_trips_datetimes(value: dt.datetime) -> None:
    iso = to_iso(value)
    assert iso is not None
    assert dt.datetime.fromisoformat(iso) == value
    assert to_iso(iso) == iso


SPLIT_CASES = [
    (None, []),
    ("", []),
    ("a", ["a"]),
    ("a b  c", ["a", "b", "c"]),
    ("a, b c ,d", ["a", "b c", "d"]),
    (" , ,", []),
    (["a", " b ", "", None, 3, True], ["a", "b", "3", "true"]),
    (["x", ["y, z"], ("w",)], ["x", "y, z", "w"]),
    (["a, b"], ["a, b"]),
    ([{"a": 1}, "k"], ["k"]),
    ({"a": 1}, []),
    (42, ["42"]),
    (dt.date(2022, 1, 2), ["2022-01-02"]),
]


@pytest.mark.parametrize(("value", "words"), SPLIT_CASES)
def test_split_words(value: Any, words: list[str]) -> None:
    assert split_words(value) == words


def test_split_words_commas_only_keeps_spaces() -> None:
    assert split_words("Machine Learning", commas_only=True) == ["Machine Learning"]
    assert split_words("a b, c", commas_only=True) == ["a b", "c"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (1.5, "1.5"),
        (" x ", "x"),
        (dt.date(2020, 2, 3), "2020-02-03"),
        (dt.datetime(2020, 2, 3, 4, 5), "2020-02-03T04:05:00"),
    ],
)
def test_scalar_text(value: Any, text: str) -> None:
    assert scalar_text(value) == text


def test_jsonable_converts_everything_to_json_types() -> None:
    value = {
        "d": dt.date(2022, 1, 2),
        "t": dt.time(3, 4),
        "n": float("nan"),
        "inf": float("-inf"),
        "b": b"\x00\xff",
        "s": {3},
        "tup": (1, 2),
        1: "int key",
        None: "none key",
        dt.date(2020, 1, 1): "date key",
        "obj": object,
    }
    out = jsonable(value)
    assert out["d"] == "2022-01-02"
    assert out["t"] == "03:04:00"
    assert out["n"] == "nan" and out["inf"] == "-inf"
    assert out["b"] == "00ff"
    assert out["s"] == [3] and out["tup"] == [1, 2]
    assert out["1"] == "int key" and out[""] == "none key" and out["2020-01-01"] == "date key"
    assert out["obj"] == "<class 'object'>"
    assert json.loads(json.dumps(out, allow_nan=False)) == out


def test_jsonable_limits_size_and_depth() -> None:
    shared = ["x"] * 100
    bomb = {"a": [shared] * 500}  # 50 000 values reached through one shared list
    with pytest.raises(TooLarge, match="values"):
        jsonable(bomb)
    deep: Any = "leaf"
    for _ in range(100):
        deep = [deep]
    with pytest.raises(TooLarge, match="nested"):
        jsonable(deep)
    assert jsonable(deep, max_depth=200)  # the limit is a parameter


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text()
        | st.dates()
        | st.binary(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4)
        ),
        max_leaves=30,
    )
)
def test_jsonable_output_always_dumps(value: Any) -> None:
    json.dumps(jsonable(value), allow_nan=False)


@settings(max_examples=500)
@given(st.lists(st.text(max_size=12), max_size=6))
def test_json_strings_is_exactly_json_dumps(items: list[str]) -> None:
    from notes_kb.records import json_strings

    assert json_strings(tuple(items)) == json.dumps(items, ensure_ascii=False)


@pytest.mark.parametrize("item", ['say "hi"', "back\\slash", "tab\there", "nul\x00", "\x1f", "é"])
def test_json_strings_escapes_what_json_escapes(item: str) -> None:
    from notes_kb.records import json_strings

    assert json.loads(json_strings(("plain", item))) == ["plain", item]
    assert json_strings(("plain", item)) == json.dumps(["plain", item], ensure_ascii=False)
