"""notes_kb.parse: text -> Note. Pure unit tests, table style: input, expected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notes_kb.errors import NoteReadError
from notes_kb.model import Link, Note
from notes_kb.parse import decode, parse, parse_bytes, split


def P(text: str, stem: str = "stem", **kwargs: Any) -> Note:
    return parse(text, stem, **kwargs)


def fm(yaml_lines: str, body: str = "") -> str:
    return f"---\n{yaml_lines}\n---\n{body}"


def link_tuples(note: Note) -> list[tuple[str, str]]:
    return [(link.kind, link.target) for link in note.links]


# ---- frontmatter formats ----------------------------------------------------------------------

FORMAT_CASES = [
    pytest.param("---\ntitle: Y\n---\nBody text", "yaml", {"title": "Y"}, "Body text", id="yaml"),
    pytest.param(
        '+++\ntitle = "T"\n+++\nBody text', "toml", {"title": "T"}, "Body text", id="toml"
    ),
    pytest.param('{"title": "J"}\nBody text', "json", {"title": "J"}, "Body text", id="json"),
    pytest.param(
        '{\n  "title": "J",\n  "n": 2\n}\n\nBody text',
        "json",
        {"title": "J", "n": 2},
        "Body text",
        id="json-multiline",
    ),
    pytest.param("Body text", "none", {}, "Body text", id="none"),
    pytest.param("---\n---\nBody text", "yaml", {}, "Body text", id="empty-yaml"),
    pytest.param(
        "----\ntitle: Y\n----\nBody text", "yaml", {"title": "Y"}, "Body text", id="extra-dashes"
    ),
    pytest.param(
        "--- \ntitle: Y\n---  \nBody text",
        "yaml",
        {"title": "Y"},
        "Body text",
        id="trailing-space-after-dashes",
    ),
    pytest.param(
        "---\ntitle: Y\n...\nBody text", "yaml", {"title": "Y"}, "Body text", id="yaml-dots-close"
    ),
    pytest.param("+++\n+++\nBody text", "toml", {}, "Body text", id="empty-toml"),
    pytest.param(
        "{{< youtube id >}}\nBody text",
        "none",
        {},
        "{{< youtube id >}}\nBody text",
        id="hugo-shortcode-is-body",
    ),
    pytest.param("{% raw %}Body text", "none", {}, "{% raw %}Body text", id="liquid-tag-is-body"),
    pytest.param("", "none", {}, "", id="zero-length"),
    pytest.param(
        "Text\n---\ntitle: no\n---\n",
        "none",
        {},
        "Text\n---\ntitle: no\n---",
        id="dashes-later-are-body",
    ),
]


@pytest.mark.parametrize(("text", "fmt", "meta", "body"), FORMAT_CASES)
def test_frontmatter_formats(text: str, fmt: str, meta: dict[str, Any], body: str) -> None:
    note = P(text)
    assert note.error is None
    assert note.fm_format == fmt
    assert note.meta == meta
    assert note.body.strip() == body.strip()


def test_body_excludes_frontmatter() -> None:
    note = P("---\ntitle: Secret title words\ntags: [x]\n---\nvisible body\n")
    assert "Secret" not in note.body
    assert "visible body" in note.body


def test_split_reports_first_frontmatter_line() -> None:
    assert split("---\na: 1\n---\nb") == ("yaml", "a: 1\n", "\nb", 2)
    assert split("+++\na = 1\n+++\nb") == ("toml", "a = 1\n", "\nb", 2)
    assert split('{"a": 1}\nb') == ("json", '{"a": 1}', "\nb", 1)
    assert split("plain") == ("none", "", "plain", 0)


# ---- frontmatter errors: recorded, never raised; the body is still indexed ---------------------

ERROR_CASES = [
    pytest.param(
        "---\ntitle: x\nbad: [\n---\nbody words",
        "invalid YAML frontmatter at line",
        id="yaml-syntax",
    ),
    pytest.param(
        '+++\ntitle = "x"\nbad line\n+++\nbody words', "(at line 3", id="toml-line-number"
    ),
    pytest.param(
        '{\n"a": 1,\n}\nbody words', "invalid JSON frontmatter at line ", id="json-syntax"
    ),
    pytest.param(
        "---\ntitle: x\nbody words", "unterminated YAML frontmatter", id="yaml-unterminated"
    ),
    pytest.param(
        '+++\ntitle = "x"\nbody words', "unterminated TOML frontmatter", id="toml-unterminated"
    ),
    pytest.param("---\n- a\n- b\n---\nbody words", "not a mapping", id="yaml-list"),
    pytest.param("---\njust a string\n---\nbody words", "not a mapping", id="yaml-scalar"),
    pytest.param(
        "---\ndate: {{ .Date }}\n---\nbody words", "invalid YAML", id="hugo-template-yaml"
    ),
    pytest.param(
        "+++\ndate = {{ .Date }}\ndraft = true\n+++\nbody words",
        "invalid TOML",
        id="hugo-template-toml",
    ),
    pytest.param(
        "---\ncreated: {{date}}\ntags:\n  - x\n---\nbody words",
        "invalid YAML",
        id="obsidian-template",
    ),
    pytest.param(
        '---\ntitle: "{{ replace .Name "-" " " | title }}"\n---\nbody words',
        "invalid YAML",
        id="hugo-archetype-title",
    ),
]


@pytest.mark.parametrize(("text", "message"), ERROR_CASES)
def test_frontmatter_errors_are_recorded_not_raised(text: str, message: str) -> None:
    note = P(text, "the-stem")
    assert note.error is not None
    assert message in note.error
    assert "body words" in note.body
    assert note.meta == {}
    assert note.title == "the-stem"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: ok\nx: a: b\n---\n", 3),
        ("---\ntitle: ok\ntags: [a, b\nx: ]]\n---\n", 4),
        ("\ufeff---\r\ntitle: ok\r\nx: a: b\r\n---\r\n", 3),
    ],
)
def test_yaml_error_names_the_file_line(text: str, line: int) -> None:
    note = P(text)
    assert note.error is not None
    assert f"invalid YAML frontmatter at line {line}:" in note.error


def test_toml_error_line_counts_the_opening_fence() -> None:
    note = P("+++\na = 1\nb = 2\nc = = 3\n+++\n")
    assert note.error is not None and "(at line 4" in note.error


UNSAFE_YAML = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
]


@pytest.mark.parametrize("value", UNSAFE_YAML)
def test_unsafe_yaml_tags_never_construct_objects(value: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = fm(f"title: {value.format(marker=marker)}", "# Still Indexed\nbody words\n")
    note = P(text)
    assert not marker.exists()
    assert note.error is not None and "python/" in note.error
    assert note.meta == {}
    assert note.title == "Still Indexed"
    assert "body words" in note.body


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    note = P(fm("\n".join(lines), "body"))
    assert note.error is not None and "values" in note.error
    assert note.meta == {}


@pytest.mark.parametrize(
    "text",
    [
        "---\na: " + "[" * 5000 + "\n---\n",
        "---\na: " + "{a: " * 3000 + "\n---\n",
        '{"a": ' + "[" * 100_000 + "\n",
        "+++\na = " + "[" * 5000 + "\n+++\n",
    ],
    ids=["yaml-seq", "yaml-map", "json", "toml"],
)
def test_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    note = P(text)
    assert note.error is not None
    assert note.meta == {}


def test_local_yaml_tags_and_lone_equals_give_plain_data() -> None:
    note = P(fm("secret: !vault abc\nlist: !seq [1, 2]\nmap: !m {a: 1}\neq: =\ntitle: T"))
    assert note.error is None
    assert note.meta == {"secret": "abc", "list": [1, 2], "map": {"a": 1}, "eq": "=", "title": "T"}


# ---- decoding: BOM, CRLF, encodings, NUL bytes -------------------------------------------------

BOM_YAML = b"\xef\xbb\xbf---\ntitle: With BOM\ntags: [bom]\n---\nbody\n"


def test_utf8_bom_before_frontmatter_still_yields_metadata() -> None:
    # The python-frontmatter trap: decoded as plain utf-8, the BOM hides the opening `---`.
    note = parse_bytes(BOM_YAML, "stem")
    assert note.fm_format == "yaml"
    assert note.title == "With BOM"
    assert note.tags == ("bom",)
    assert not note.body.startswith("\ufeff")


def test_bom_in_already_decoded_text_is_tolerated() -> None:
    note = P(BOM_YAML.decode("utf-8"))
    assert note.title == "With BOM"
    assert note.meta == {"title": "With BOM", "tags": ["bom"]}


@pytest.mark.parametrize(
    "data",
    [
        b"---\r\ntitle: Windows\r\ntags: [a, b]\r\n---\r\nline one #c\r\nline two\r\n",
        b"---\rtitle: Windows\rtags: [a, b]\r---\rline one #c\rline two\r",
        b"\xef\xbb\xbf---\r\ntitle: Windows\r\ntags: [a, b]\r\n---\r\nline one #c\r\nline two\r\n",
    ],
    ids=["crlf", "cr", "bom-crlf"],
)
def test_crlf_and_cr_line_endings(data: bytes) -> None:
    note = parse_bytes(data, "stem")
    assert note.error is None
    assert note.title == "Windows"
    assert note.tags == ("a", "b", "c")
    assert "\r" not in note.body
    assert note.body.strip().splitlines() == ["line one #c", "line two"]


def test_toml_frontmatter_with_crlf() -> None:
    note = parse_bytes(b'+++\r\ntitle = "T"\r\ndraft = true\r\n+++\r\nbody', "s")
    assert (note.fm_format, note.title, note.draft) == ("toml", "T", True)


def test_zero_byte_file_is_an_empty_note() -> None:
    note = parse_bytes(b"", "empty-note")
    assert note.title == "empty-note"
    assert note.body == ""
    assert note.error is None
    assert (note.tags, note.links, note.meta) == ((), (), {})


@pytest.mark.parametrize(
    "data", [b"\x00", b"---\ntitle: x\n---\nab\x00cd", b"\x7fELF\x02\x01\x00\x00"]
)
def test_nul_bytes_mean_binary(data: bytes) -> None:
    with pytest.raises(NoteReadError, match="NUL"):
        parse_bytes(data, "s")


def test_utf16_with_bom_is_decoded() -> None:
    data = "---\ntitle: Wide\n---\nbody".encode("utf-16")
    note = parse_bytes(data, "s")
    assert note.title == "Wide"
    assert any("UTF-16" in w for w in note.warnings)


def test_broken_utf16_is_a_read_error() -> None:
    with pytest.raises(NoteReadError):
        parse_bytes(b"\xff\xfe\x00", "s")


def test_latin1_falls_back_with_a_warning() -> None:
    note = parse_bytes("---\ntitle: Café\n---\nnaïve".encode("cp1252"), "s")
    assert note.title == "Café"
    assert "naïve" in note.body
    assert any("not UTF-8" in w for w in note.warnings)


def test_decode_returns_warnings_only_when_needed() -> None:
    assert decode("héllo".encode()) == ("héllo", ())
    assert decode(b"\xef\xbb\xbfx") == ("x", ())


@given(
    st.lists(
        st.one_of(
            st.sampled_from([b"\xef\xbb\xbf", "é".encode(), b"\xe9", b"\xef\xbb"]), st.binary()
        ),
        max_size=6,
    ).map(b"".join)
)
def test_decode_reads_utf8_as_the_utf8_sig_codec_does(data: bytes) -> None:
    if b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # refused as binary, or UTF-16: other tests
    try:
        expected = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        assert decode(data) == (data.decode("cp1252", errors="replace"), WINDOWS_1252)
    else:
        assert decode(data) == (expected, ())


WINDOWS_1252 = ("not UTF-8; decoded as Windows-1252",)


# ---- titles -----------------------------------------------------------------------------------

TITLE_CASES = [
    (fm("title: From Frontmatter", "# Heading\n"), "From Frontmatter"),
    (fm("tags: [a]", "intro\n\n# The Heading\n\n# Second\n"), "The Heading"),
    ("no heading here", "stem"),
    ("## Only a subheading\n", "stem"),
    (fm('title: ""', "# Heading Instead\n"), "Heading Instead"),
    (fm("title: '   '", "# Heading Instead\n"), "Heading Instead"),
    (fm("title:", "# Heading Instead\n"), "Heading Instead"),
    (fm("title: [a, b]", "# Heading Instead\n"), "Heading Instead"),
    (fm("title: 2024"), "2024"),
    (fm("title: 2024-01-02"), "2024-01-02"),
    (fm("title: true"), "true"),
    ("```\n# not a heading\n```\n# Real Heading\n", "Real Heading"),
    ("<!--\n# commented out\n-->\n# Real Heading\n", "Real Heading"),
    ("#hashtag is not a heading\n", "stem"),
    ("# Closing hashes ##\n", "Closing hashes"),
    ("# C#\n", "C#"),
    ("   # Indented three\n", "Indented three"),
    ("    # Indented four is code\n", "stem"),
    ('+++\ntitle = "TOML title"\n+++\n# H\n', "TOML title"),
    ('{"title": "JSON title"}\n# H\n', "JSON title"),
    ("---\nTitle: Capitalised Key\n---\n", "Capitalised Key"),
    ("---\ntitle: x\nbad: [\n---\n# Heading After Error\n", "Heading After Error"),
    (fm("title: '  padded  '"), "padded"),
]


@pytest.mark.parametrize(("text", "title"), TITLE_CASES)
def test_title_fallback(text: str, title: str) -> None:
    assert P(text).title == title


def test_title_is_capped() -> None:
    assert len(P(fm("title: " + "x" * 2000)).title) == 500


# ---- authors ----------------------------------------------------------------------------------

AUTHOR_CASES = [
    (fm("author: Robert Nystrom"), ("Robert Nystrom",)),
    (fm("author: NARUSE, Yui"), ("NARUSE, Yui",)),
    (fm("authors: [Jane Doe, John Roe]"), ("Jane Doe", "John Roe")),
    (fm("authors:\n  - Jane Doe\n  - John Roe"), ("Jane Doe", "John Roe")),
    (fm("author:\n  - NARUSE, Yui\n  - Matz"), ("NARUSE, Yui", "Matz")),
    (fm('author: "[[Steph Ango]]"'), ("Steph Ango",)),
    (fm('author:\n  - "[[Steph Ango]]"\n  - "[[Paul|Paul C.]]"'), ("Steph Ango", "Paul")),
    (fm("author: [[Steph Ango]]"), ("Steph Ango",)),
    (fm("author: jobergum bjorncs"), ("jobergum bjorncs",)),
    (fm("author:\n  name: Ann\n  email: a@b.c"), ("Ann",)),
    (fm("authors:\n  - name: Ann\n  - name: Bo"), ("Ann", "Bo")),
    (fm("author: [Ann, ann, ANN, Bo]"), ("Ann", "Bo")),
    (fm('author: ""'), ()),
    (fm("author:"), ()),
    (fm("author: []"), ()),
    (fm("Author: Capital Key"), ("Capital Key",)),
    ('+++\nauthors = ["A One", "B Two"]\n+++\n', ("A One", "B Two")),
    ('{"author": ["Diederik P. Kingma", "Jimmy Ba"]}\n', ("Diederik P. Kingma", "Jimmy Ba")),
    ("no frontmatter", ()),
]


@pytest.mark.parametrize(("text", "authors"), AUTHOR_CASES)
def test_authors(text: str, authors: tuple[str, ...]) -> None:
    assert P(text).authors == authors


# ---- tags -------------------------------------------------------------------------------------

TAG_CASES = [
    (fm("tags: [a, b]"), ("a", "b")),
    (fm("tags:\n  - a\n  - b"), ("a", "b")),
    (fm("tags: a, b, c"), ("a", "b", "c")),
    (fm("tags: a b c"), ("a", "b", "c")),
    (fm('tags: "#a, #b"'), ("a", "b")),
    (fm('tags: ["#a", "##b"]'), ("a", "b")),
    (fm("tag: single"), ("single",)),
    (fm("keywords: [search, fts]"), ("search", "fts")),
    (fm("tags: [Python, python, PYTHON, rust]"), ("Python", "rust")),
    (fm("tags: [ml]", "text #ML and #Ml and #new"), ("ml", "new")),
    (fm("tags:"), ()),
    (fm("tags: []"), ()),
    (fm("tags: null"), ()),
    (fm('tags: ""'), ()),
    (fm('tags: ["#", " "]'), ()),
    (fm("tags: [2024, true]"), ("2024", "true")),
    (fm("tags: [a/b, c]"), ("a/b", "c")),
    (fm("tags: [[x]]"), ("x",)),
    (fm("tags: {a: 1}"), ()),
    ('+++\ntags = ["julia", "ml"]\n+++\n', ("julia", "ml")),
    ('{"tags": "a b"}\n', ("a", "b")),
    ("body only #one and #two/three", ("one", "two/three")),
]


@pytest.mark.parametrize(("text", "tags"), TAG_CASES)
def test_tags(text: str, tags: tuple[str, ...]) -> None:
    assert P(text).tags == tags


INLINE_TAG_CASES = [
    ("#start of text", ("start",)),
    ("word #mid sentence, #end.", ("mid", "end")),
    ("#nested/deeper/tag and #trailing/", ("nested/deeper/tag", "trailing")),
    ("#with-dash_and_underscore", ("with-dash_and_underscore",)),
    ("#café #日本語", ("café", "日本語")),
    ("#y2k and #2024 and #1st and #_x", ("y2k", "1st", "_x")),
    ("`#code` and ``#code2`` here", ()),
    ("```\n#fenced\n```\n~~~\n#tilde\n~~~\n", ()),
    ("<!-- #hidden -->", ()),
    ("# Heading\n## Sub heading #notag\n", ()),
    ("colour #ff0000 and #FFF and #EBEBEB and #abc123 and #1e1e1e", ()),
    ("a #cafe and a #fade", ("cafe", "fade")),
    ("see [notes](#fn1) and https://github.com/a/b#L10 and page.html#section", ()),
    ("[jump]: #fn1\n[other]: https://x.org/#L10\n", ()),
    ("[[Feature #14183]](https://bugs.ruby-lang.org/issues/14183)", ()),
    ("issue #14183 and PR #7", ()),
    ("C#, F# and a#b are not tags; &#39; neither", ()),
    ("(#parenthesised) is not a tag", ()),
    ("[[note#heading]] and [[other#Heading With Space]]", ()),
    ("Config:\n\n    weight: 0.6 #semantic\n\nprose #real", ("real",)),
    ("<pre>\n#include <stdio.h>\n</pre>\n<style>#main {}</style>", ()),
    ("- item\n\n    indented list text #kept", ("kept",)),
]


@pytest.mark.parametrize(("body", "tags"), INLINE_TAG_CASES)
def test_inline_tags(body: str, tags: tuple[str, ...]) -> None:
    assert P(body).tags == tags


# ---- categories, draft ------------------------------------------------------------------------

CATEGORY_CASES = [
    (fm("categories: reading"), ("reading",)),
    (fm("categories: [databases, tools]"), ("databases", "tools")),
    (fm("categories: Machine Learning"), ("Machine Learning",)),
    (fm("categories: a, b"), ("a", "b")),
    (fm("category: single"), ("single",)),
    (fm('categories:\n  - "[[Books]]"\n  - "[[People]]"'), ("Books", "People")),
    (fm("categories: []"), ()),
    (fm("categories:"), ()),
    (fm("categories: [Ml, ml]"), ("Ml",)),
]


@pytest.mark.parametrize(("text", "categories"), CATEGORY_CASES)
def test_categories(text: str, categories: tuple[str, ...]) -> None:
    assert P(text).categories == categories


@pytest.mark.parametrize(
    ("value", "draft"),
    [
        ("true", True),
        ("True", True),
        ("yes", True),
        ('"yes"', True),
        ('"1"', True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("no", False),
        ('"no"', False),
        ("0", False),
        ("", False),
        ("maybe", False),
        ("[true]", False),
    ],
)
def test_draft(value: str, draft: bool) -> None:
    assert P(fm(f"draft: {value}")).draft is draft


def test_draft_absent_and_toml() -> None:
    assert P(fm("title: x")).draft is False
    assert P("+++\ndraft = true\n+++\n").draft is True
    assert P('{"draft": false}\n').draft is False


# ---- dates ------------------------------------------------------------------------------------

DATE_CASES = [
    (fm("date: 2022-01-13"), {"date": "2022-01-13"}),
    (fm("date: 2022-01-13T10:30:00+02:00"), {"date": "2022-01-13T10:30:00+02:00"}),
    (fm("date: 2022-01-13 10:30:00 -05:00"), {"date": "2022-01-13T10:30:00-05:00"}),
    (fm("date: 2022-01-13T10:30:00Z"), {"date": "2022-01-13T10:30:00+00:00"}),
    (fm('date: "2022-01-13"'), {"date": "2022-01-13"}),
    (fm('date: "2022-01-13T10:30:00+02:00"'), {"date": "2022-01-13T10:30:00+02:00"}),
    (fm("lastmod: January 13, 2022"), {"lastmod": "2022-01-13"}),
    (fm("updated: Jan 2, 2022"), {"updated": "2022-01-02"}),
    (fm("created: 2 January 2022"), {"created": "2022-01-02"}),
    (fm("created: 2022/01/02"), {"created": "2022-01-02"}),
    (
        fm("date: 2021-01-01\nlastmod: 2022-02-02\nupdated: 2023-03-03\ncreated: 2020-12-12"),
        {
            "date": "2021-01-01",
            "lastmod": "2022-02-02",
            "updated": "2023-03-03",
            "created": "2020-12-12",
        },
    ),
    ("+++\ndate = 2019-03-11T08:00:00-07:00\n+++\n", {"date": "2019-03-11T08:00:00-07:00"}),
    ('+++\ndate = "2019-03-11T08:00:00-07:00"\n+++\n', {"date": "2019-03-11T08:00:00-07:00"}),
    ("+++\ndate = 2019-03-11\n+++\n", {"date": "2019-03-11"}),
    ('{"lastmod": "2022-11-20"}\n', {"lastmod": "2022-11-20"}),
    (fm("date:"), {}),
    (fm('date: ""'), {}),
    (fm("published: 2022-01-01"), {}),
]


@pytest.mark.parametrize(("text", "dates"), DATE_CASES)
def test_dates(text: str, dates: dict[str, str]) -> None:
    note = P(text)
    assert note.dates == dates
    assert note.warnings == ()


@pytest.mark.parametrize(
    ("line", "raw"),
    [
        ("date: someday", "someday"),
        ("date: 2022-02-30", "2022-02-30"),
        ("updated: 2022-01-01 25:00:00", "2022-01-01 25:00:00"),
        ("lastmod: 2022", 2022),
        ("created: [2022-01-01]", ["2022-01-01"]),
        ('date: "13/13/2022"', "13/13/2022"),
    ],
)
def test_unparseable_dates_stay_raw_with_a_warning(line: str, raw: Any) -> None:
    note = P(fm(f"title: Kept\n{line}"))
    key = line.split(":", 1)[0]
    assert note.error is None
    assert note.title == "Kept"
    assert note.dates == {}
    assert note.meta[key] == raw
    assert any(w.startswith(f"{key}: not a date") for w in note.warnings)


@pytest.mark.parametrize(
    ("lines", "lastmod"),
    [
        ("lastmod: 2022-03-03\nupdated: 2022-02-02\ndate: 2022-01-01", "2022-03-03"),
        ("updated: 2022-02-02\ndate: 2022-01-01", "2022-02-02"),
        ("date: 2022-01-01\ncreated: 2021-01-01", "2022-01-01"),
        ("created: 2021-01-01", None),
    ],
)
def test_lastmod_precedence(lines: str, lastmod: str | None) -> None:
    assert P(fm(lines)).lastmod == lastmod


# ---- revisit ----------------------------------------------------------------------------------

REVISIT_CASES = [
    (fm("tags: [revisit]"), True, None),
    (fm("tags: [ReVisit]"), True, None),
    (fm('tags: ["#REVISIT"]'), True, None),
    ("body with #Revisit inline", True, None),
    (fm("revisit: true"), True, None),
    (fm('revisit: "yes"'), True, None),
    (fm("revisit: false\ntags: [x]"), False, None),
    (fm("tags: [revisit-later, revisit/x]"), False, None),
    (fm("tags: [revisit]\nrevisit_after: 2025-06-01"), True, "2025-06-01"),
    (fm("revisit: true\nrevisit_after: June 1, 2025"), True, "2025-06-01"),
    ("`#revisit` in code", False, None),
    ("plain", False, None),
]


@pytest.mark.parametrize(("text", "revisit", "after"), REVISIT_CASES)
def test_revisit(text: str, revisit: bool, after: str | None) -> None:
    note = P(text)
    assert note.revisit is revisit
    assert note.revisit_after == after


def test_revisit_after_garbage_warns() -> None:
    note = P(fm("tags: [revisit]\nrevisit_after: whenever"))
    assert note.revisit is True
    assert note.revisit_after is None
    assert any("revisit_after" in w for w in note.warnings)


@pytest.mark.parametrize("tag", ["later", "Later", "LATER"])
def test_custom_revisit_tag_any_case(tag: str) -> None:
    assert P(fm("tags: [later]"), revisit_tag=tag).revisit is True
    assert P(fm("tags: [revisit]"), revisit_tag=tag).revisit is False


# ---- links ------------------------------------------------------------------------------------

LINK_CASES = [
    pytest.param(
        fm("links:\n  - https://a.example/x\n  - https://b.example/"),
        [("url", "https://a.example/x"), ("url", "https://b.example/")],
        id="fm-list",
    ),
    pytest.param(
        fm("links: https://a.example/x"), [("url", "https://a.example/x")], id="fm-string"
    ),
    pytest.param(
        fm("links:\n  - [[other note]]\n  - [[third]]"),
        [("wiki", "other note"), ("wiki", "third")],
        id="fm-unquoted-wiki",
    ),
    pytest.param(
        fm('links:\n  - "[[other note|alias]]"\n  - "[[x#h]]"'),
        [("wiki", "other note"), ("wiki", "x")],
        id="fm-quoted-wiki",
    ),
    pytest.param(
        fm("links:\n  - some-note\n  - ../dir/other.md"),
        [("wiki", "some-note"), ("wiki", "../dir/other.md")],
        id="fm-plain-names",
    ),
    pytest.param(
        fm('people:\n  - "[[Steph Ango]]"\nsource: https://not.a.link/'),
        [("wiki", "Steph Ango")],
        id="fm-wiki-in-any-key",
    ),
    pytest.param(
        "[text](https://example.com/a?b=c)", [("url", "https://example.com/a?b=c")], id="md-link"
    ),
    pytest.param(
        '[t](https://example.com/x "Title")', [("url", "https://example.com/x")], id="md-link-title"
    ),
    pytest.param(
        "[t](<https://example.com/with space>)",
        [("url", "https://example.com/with space")],
        id="md-link-angle",
    ),
    pytest.param(
        "[w](https://en.wikipedia.org/wiki/Foo_(bar))",
        [("url", "https://en.wikipedia.org/wiki/Foo_(bar)")],
        id="md-link-parens",
    ),
    pytest.param(
        "[[Feature #14183]](https://bugs.ruby-lang.org/issues/14183)",
        [("url", "https://bugs.ruby-lang.org/issues/14183")],
        id="bracketed-text-link",
    ),
    pytest.param("![alt](https://img.example/a.png)", [], id="image-not-a-link"),
    pytest.param(
        "[![badge](https://img.example/b.svg)](https://ci.example/)",
        [("url", "https://ci.example/")],
        id="linked-image",
    ),
    pytest.param(
        "See [DDIA][d].\n\n[d]: https://dataintensive.net/\n",
        [("url", "https://dataintensive.net/")],
        id="reference-definition",
    ),
    pytest.param(
        "Text[^1].\n\n[^1]: https://footnote.example/ is text\n",
        [("url", "https://footnote.example/")],
        id="footnote-url-is-bare",
    ),
    pytest.param(
        "<https://auto.example/x> and <mailto:me@mail.example>",
        [("url", "https://auto.example/x"), ("url", "mailto:me@mail.example")],
        id="autolinks",
    ),
    pytest.param(
        "visit https://bare.example/path). Or www.site.example, ok?",
        [("url", "https://bare.example/path"), ("url", "http://www.site.example")],
        id="bare-url-trailing-punctuation",
    ),
    pytest.param(
        "(see https://x.example/a_(b)) and HTTPS://UPPER.EXAMPLE/",
        [("url", "https://x.example/a_(b)"), ("url", "HTTPS://UPPER.EXAMPLE/")],
        id="bare-url-balanced-parens",
    ),
    pytest.param(
        "[[Note A#Heading|alias]] and [[b^block]] and [[ spaced ]]",
        [("wiki", "Note A"), ("wiki", "b"), ("wiki", "spaced")],
        id="wikilinks",
    ),
    pytest.param(
        "[a](../other/note.md) [b](note%20two.md#sec) [c](#local) [d](?q)",
        [("internal", "../other/note.md"), ("internal", "note two.md")],
        id="internal-links",
    ),
    pytest.param("[x](javascript:alert(1)) [y](data:text/html,hi)", [], id="script-urls-dropped"),
    pytest.param(
        "`[[code]] https://code.example/` and\n```\n[x](https://fence.example/)\n```\n",
        [],
        id="none-from-code",
    ),
    pytest.param("<!-- https://comment.example/ -->", [], id="none-from-comments"),
    pytest.param(
        "[a](https://dup.example/) https://dup.example/ [[n]] [[n|again]]",
        [("url", "https://dup.example/"), ("wiki", "n")],
        id="deduplicated",
    ),
    pytest.param("not.a.url and foohttp://x.example", [], id="no-false-bare-urls"),
]


@pytest.mark.parametrize(("text", "links"), LINK_CASES)
def test_links(text: str, links: list[tuple[str, str]]) -> None:
    assert link_tuples(P(text)) == links


def test_link_fields() -> None:
    note = P(
        fm(
            "links:\n  - https://Docs.Example.org/page",
            "[the text](https://WWW.Ex.com:8080/p)\n"
            "[[Target Note|Shown]]\n[rel](sub/n.md)\n<mailto:a@Mail.Example>\n",
        )
    )
    assert note.links == (
        Link("url", "https://Docs.Example.org/page", "docs.example.org", "", "frontmatter"),
        Link("url", "https://WWW.Ex.com:8080/p", "www.ex.com", "the text", "body"),
        Link("internal", "sub/n.md", "", "rel", "body"),
        Link("url", "mailto:a@Mail.Example", "mail.example", "", "body"),
        Link("wiki", "Target Note", "", "Shown", "body"),
    )


def test_frontmatter_wikilinks_are_links_and_authors() -> None:
    note = P(fm('author:\n  - "[[Steph Ango]]"\ncategories:\n  - "[[Clippings]]"'))
    assert note.authors == ("Steph Ango",)
    assert note.categories == ("Clippings",)
    assert link_tuples(note) == [("wiki", "Steph Ango"), ("wiki", "Clippings")]


_fm_values = st.recursive(
    st.one_of(
        st.none(),
        st.integers(),
        st.sampled_from(
            ["[[a]]", "[[b|B]]", " [[c#h]] ", "x [[d]] y", "https://e.org/p", "f.md", "g"]
        ),
        st.text(alphabet="[]|#ab h:/.", max_size=12),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("kl"), children)
    ),
    max_leaves=8,
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(["links", "Links", "related", "up", "tags"]), _fm_values))
def test_frontmatter_link_prefilter_never_changes_the_links(meta: dict[str, Any]) -> None:
    from notes_kb import parse as parse_module

    fast = parse_module._frontmatter_links(meta)
    real = parse_module._may_hold_wikilink
    parse_module._may_hold_wikilink = lambda _value: True  # type: ignore[assignment]
    try:
        assert parse_module._frontmatter_links(meta) == fast
    finally:
        parse_module._may_hold_wikilink = real


# ---- meta -------------------------------------------------------------------------------------


def test_every_frontmatter_key_is_kept_json_safe() -> None:
    text = fm(
        "title: T\nlayout: post\nweight: 3\nratio: 0.5\nnan: .nan\nwhen: 2022-01-02\n"
        "stamp: 2022-01-02T03:04:05+01:00\nnested:\n  a: [1, 2]\n  b: {c: null}\n"
        "bin: !!binary aGk=\nset: !!set {x}\n1: int key\nyes_key: yes"
    )
    note = P(text)
    assert note.error is None
    assert note.meta == {
        "title": "T",
        "layout": "post",
        "weight": 3,
        "ratio": 0.5,
        "nan": "nan",
        "when": "2022-01-02",
        "stamp": "2022-01-02T03:04:05+01:00",
        "nested": {"a": [1, 2], "b": {"c": None}},
        "bin": "6869",
        "set": ["x"],
        "1": "int key",
        "yes_key": True,
    }
    assert json.loads(json.dumps(note.meta)) == note.meta


def test_toml_nested_tables_in_meta() -> None:
    note = P(
        '+++\ntitle = "T"\nauthors = ["A"]\n[extra]\nteam = "Core"\n[extra.deep]\nx = 1\n+++\n'
    )
    assert note.meta["extra"] == {"team": "Core", "deep": {"x": 1}}
    assert note.authors == ("A",)


def test_duplicate_keys_last_wins() -> None:
    note = P(fm("title: First\ntitle: Second\ntags: [a]\ntags: [b]"))
    assert note.error is None
    assert note.title == "Second"
    assert note.tags == ("b",)
    assert note.meta == {"title": "Second", "tags": ["b"]}


def test_odd_keys_are_kept() -> None:
    note = P(fm('my key: 1\na.b: 2\n-x: 3\n"": 4\n"quoted key": 5\nÜmlaut: 6'))
    assert note.error is None
    assert note.meta == {"my key": 1, "a.b": 2, "-x": 3, "": 4, "quoted key": 5, "Ümlaut": 6}


def test_python_frontmatter_unicode_fixture() -> None:
    note = P('---\ntitle: "Let\'s try unicode"\nlanguage: 中文\n---\n\n欢迎来到大连水产学院！')
    assert note.meta == {"title": "Let's try unicode", "language": "中文"}
    assert note.body.strip() == "欢迎来到大连水产学院！"


# ---- properties: parsing never crashes ----------------------------------------------------------

FRONTMATTER_BITS = st.sampled_from(
    [
        "---\n",
        "+++\n",
        "{",
        "}",
        '"',
        "title: ",
        "tags: ",
        "- ",
        "[[",
        "]]",
        "#",
        "`",
        "```\n",
        "\n",
        "\r\n",
        "\ufeff",
        ": ",
        "date: ",
        "2022-01-01",
        "{{ .Date }}",
        "!!python/name:os.x",
        "&a ",
        "*a ",
        "[",
        "]",
        "<!--",
        "-->",
        "](",
        "http://",
        "www.",
        "\\",
        "'",
        "\t",
        "= ",
        "author: ",
        "links:\n",
        "  - ",
        "draft: ",
        "revisit_after: ",
        "\x00",
        "é",
        "日本",
    ]
)
NOTE_TEXT = st.one_of(
    st.text(),
    st.lists(st.one_of(FRONTMATTER_BITS, st.text(max_size=5)), max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTE_TEXT)
def test_parse_never_raises(text: str) -> None:
    note = parse(text, "stem")
    assert isinstance(note, Note)
    assert note.title
    json.dumps(note.meta)
    assert all(isinstance(t, str) and t for t in note.tags)
    assert len({t.casefold() for t in note.tags}) == len(note.tags)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(), NOTE_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_parse_bytes_returns_a_note_or_raises_read_error(data: bytes) -> None:
    try:
        note = parse_bytes(data, "stem")
    except NoteReadError:
        return
    assert isinstance(note, Note)


@pytest.mark.parametrize(
    ("front", "fields", "expected_date", "expected_extra"),
    [
        ("published: 2021-05-04\n", ("published",), "2021-05-04", "2021-05-04"),
        ("published: May 4, 2021\n", ("Published",), "2021-05-04", "2021-05-04"),
        ("date: 2020-01-01\npublished: 2021-05-04\n", ("published",), "2020-01-01", "2021-05-04"),
        ("published: 2021-05-04\n", (), None, None),
    ],
)
def test_configured_extra_date_fields(
    front: str, fields: tuple[str, ...], expected_date: str | None, expected_extra: str | None
) -> None:
    note = parse(f"---\n{front}---\nbody\n", "stem", date_fields=fields)
    assert note.dates.get("date") == expected_date
    assert note.dates.get("published") == expected_extra
