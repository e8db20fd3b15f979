"""notes_kb.body: code masking, headings, inline tags, link extraction. Pure unit tests."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notes_kb import body as md
from notes_kb.model import Link

# ---- code masking -----------------------------------------------------------------------------

STRIP_CASES = [
    ("plain text", "plain text"),
    ("a `code` b", "a   b"),
    ("a ``co`de`` b", "a   b"),
    ("a ` unmatched", "a ` unmatched"),
    ("a ``x` b", "a ``x` b"),
    ("x\n```python\ncode\nmore\n```\ny", "x\n \n\n\n\ny"),
    ("x\n~~~\ncode\n~~~\ny", "x\n \n\n\ny"),
    ("x\n````\n```\nstill code\n````\ny", "x\n \n\n\n\ny"),
    ("x\n```\nunclosed\nto the end", "x\n \n\n"),
    ("x\n   ```\nindented three\n   ```\ny", "x\n \n\n\ny"),
    ("x\n```\nclose needs same char\n~~~\n```\ny", "x\n \n\n\n\ny"),
    ("```mvn dependency:tree``` is a span\n[l](u)", "  is a span\n[l](u)"),
    ("a <!-- hidden\nmore --> b", "a  \n b"),
    ("a <!-- unclosed", "a  "),
    ("Text:\n\n    code\n    more\n\nafter", "Text:\n\n \n\n\nafter"),
    ("    first line is code\n\nprose", " \n\nprose"),
    ("- item\n\n    continuation", "- item\n\n    continuation"),
    ("1. step\n\n    continuation", "1. step\n\n    continuation"),
    ("para\n    no blank line before", "para\n    no blank line before"),
    ("x\n\n\ttab code\n", "x\n\n \n"),
    ("<pre>\n#x\n</pre> y", " \n\n y"),
    ("<STYLE>#main { color: red }</STYLE>", " "),
    ("<script src='https://x.example/a.js'></script> z", "  z"),
    ("<pre>unclosed\nrest", " \n"),
    ("<presentation> is not pre", "<presentation> is not pre"),
    ("<PRE class=x>#a</pre> b <Script>#c</SCRIPT> d", "  b   d"),
]


@pytest.mark.parametrize(("text", "expected"), STRIP_CASES)
def test_strip_code(text: str, expected: str) -> None:
    assert md.strip_code(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="`~ \nab#-<!>", max_size=60))
def test_strip_code_keeps_line_count_and_never_adds_text(text: str) -> None:
    out = md.strip_code(text)
    assert out.count("\n") == text.count("\n")
    assert len(out) <= len(text) + 1


# ---- headings ---------------------------------------------------------------------------------

HEADING_CASES = [
    ("# Title", "Title"),
    ("intro\n#  Spaced   \n", "Spaced"),
    ("## Two\n# One", "One"),
    ("# Title #", "Title"),
    ("# Title ###   ", "Title"),
    ("# F#", "F#"),
    ("#\n# Real", "Real"),
    ("# #\n# Real", "Real"),
    ("#NoSpace", None),
    ("    # code block", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "heading"), HEADING_CASES)
def test_first_heading(text: str, heading: str | None) -> None:
    assert md.first_heading(text) == heading


# ---- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("#a #b\n#c", ["a", "b", "c"]),
        ("# heading #x\n#y", ["y"]),
        ("[def]: #frag\n#real", ["real"]),
        ("#ff0000 #00ff00aa #abc #fff #EEE #beef #add", ["abc", "beef", "add"]),
        ("#a- #b/ #c/-", ["a", "b", "c"]),
        ("#a " * 3, ["a", "a", "a"]),
    ],
)
def test_inline_tags_raw(text: str, tags: list[str]) -> None:
    # Duplicates are removed later, by the parser, case-insensitively.
    assert md.inline_tags(text) == tags


# ---- classify and domains ---------------------------------------------------------------------

CLASSIFY_CASES = [
    ("https://Example.COM/a", Link("url", "https://Example.COM/a", "example.com")),
    (
        "http://user:pw@host.example:8080/p",
        Link("url", "http://user:pw@host.example:8080/p", "host.example"),
    ),
    ("http://[::1]:80/", Link("url", "http://[::1]:80/", "::1")),
    ("www.example.org/x", Link("url", "http://www.example.org/x", "www.example.org")),
    (
        "mailto:Me@Mail.Example?subject=hi",
        Link("url", "mailto:Me@Mail.Example?subject=hi", "mail.example"),
    ),
    ("ftp://files.example/f", Link("url", "ftp://files.example/f", "files.example")),
    ("<https://angle.example/>", Link("url", "https://angle.example/", "angle.example")),
    ("tel:+123", Link("url", "tel:+123", "")),
    ("other.md", Link("internal", "other.md")),
    ("../a/b%20c.md#part", Link("internal", "../a/b c.md")),
    ("C:\\notes\\x.md", Link("internal", "C:\\notes\\x.md")),
    ("note?x=1", Link("internal", "note")),
    ("#local", None),
    ("", None),
    ("   ", None),
    ("?only", None),
    ("javascript:alert(1)", None),
    ("JavaScript:alert(1)", None),
    ("data:text/html;base64,xx", None),
    ("vbscript:x", None),
]


@pytest.mark.parametrize(("target", "link"), CLASSIFY_CASES)
def test_classify(target: str, link: Link | None) -> None:
    assert md.classify(target) == link


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://a.b.example/x", "a.b.example"),
        ("HTTPS://UP.EXAMPLE", "up.example"),
        ("https://trailing.example./", "trailing.example"),
        ("mailto:x@y.example", "y.example"),
        ("news:comp.lang", ""),
        ("example.com/path", "example.com"),
        ("", ""),
    ],
)
def test_domain_of(url: str, domain: str) -> None:
    assert md.domain_of(url) == domain


@pytest.mark.parametrize(
    ("raw", "target"),
    [
        ("note", "note"),
        ("note#Heading", "note"),
        ("note^block", "note"),
        (" spaced ", "spaced"),
        ("#only-heading", ""),
    ],
)
def test_wiki_target(raw: str, target: str) -> None:
    assert md.wiki_target(raw) == target


def test_links_in_document_order_by_kind() -> None:
    text = (
        "[one](https://one.example/) [[Two]] <https://three.example/> https://four.example/\n"
        "[five][r]\n\n[r]: https://five.example/\n"
    )
    assert [(link.kind, link.target) for link in md.links(text)] == [
        ("url", "https://one.example/"),
        ("url", "https://five.example/"),
        ("url", "https://three.example/"),
        ("wiki", "Two"),
        ("url", "https://four.example/"),
    ]


def test_reference_definition_must_start_a_line() -> None:
    assert md.links("text [a]: https://x.example/") == [
        Link("url", "https://x.example/", "x.example")
    ]
    assert md.links("    [a]: https://x.example/")[0].text == ""  # indented: code, found bare
    assert md.links("   [a]: https://x.example/")[0].text == "a"


# ---- speed: linear on hostile input -----------------------------------------------------------

HOSTILE = {
    "backtick-runs": "".join("`" * (i % 40 + 1) + " x " for i in range(20_000)),
    "single-backticks": "` " * 50_000,
    "brackets": "[" * 200_000,
    "unclosed-links": "[a](" * 40_000,
    "hashes": "#" * 200_000,
    "tags-one-line": "#a " * 60_000,
    "schemes": "http://" * 30_000,
    "wiki-opens": "[[" * 100_000,
    "angles": "<" * 200_000,
    "fences": "```\n" * 40_000,
    "comments": "<!--" * 40_000,
    "ref-defs-one-line": "[a]: " * 40_000,
    "ref-defs": "[a]: #x\n" * 20_000,
    "indented-blocks": "para\n\n    code #x\n" * 20_000,
    "list-continuations": "- item\n\n    more #x\n" * 20_000,
    "blank-lines": "\n \t\n" * 50_000,
    "unclosed-pre": "<pre " * 40_000,
    "closed-pre": "<pre>#x</pre>" * 20_000,
    "fences-then-tilde": "```\nx\n```\n" * 20_000 + "~~~",
    "tildes-then-backticks": "~~~\nx\n~~~\n" * 20_000 + "```",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_are_scanned_quickly(name: str) -> None:
    from notes_kb.parse import parse

    text = HOSTILE[name]
    started = time.perf_counter()
    parse(text, "s")
    # Quadratic behaviour on these inputs takes minutes; linear takes well under a second.
    assert time.perf_counter() - started < 5.0


# ---- bare URLs: the fast scan finds what the pattern finds ------------------------------------

URL_ALPHABET = "hHtTpPsS:/wW. ab-()[]<>\"'`\n\u0130\u212a\u00e9_1"


def _pattern_urls(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in md._BARE_URL_RE.finditer(text)]


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["http://", "https://", "HTTPS://", "www.", "WwW.", "://", "xhttp://"]),
            st.text(alphabet=URL_ALPHABET, max_size=8),
        ),
        max_size=12,
    ).map("".join)
)
def test_bare_url_scan_matches_the_pattern_everywhere(text: str) -> None:
    assert [m.span() for m in md.bare_urls(text)] == _pattern_urls(text)


def test_bare_url_scan_matches_the_pattern_on_every_corpus_note(corpora: Path) -> None:
    checked = 0
    for path in sorted(corpora.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for variant in (text, md.strip_code(text)):
            assert [m.span() for m in md.bare_urls(variant)] == _pattern_urls(variant), path
        checked += 1
    assert checked > 1000


# ---- possessive link patterns: the same matches as their backtracking forms ------------------

# The patterns as first written, with backtracking loops: the reference.
_MD_LINK_BACKTRACKING = re.compile(
    r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_WIKI_BACKTRACKING = re.compile(r"\[\[([^\[\]\n|]+?)(?:\|([^\[\]\n]*))?\]\](?!\()")
LINK_ALPHABET = "[]()|<>\"' \n\tab#:/!"


def _matches(pattern: re.Pattern[str], text: str) -> list[tuple[Any, ...]]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


@settings(max_examples=3000, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["[[", "]]", "](", "[a](", "[[a|b]]", "](<", '"t")', "http://x"]),
            st.text(alphabet=LINK_ALPHABET, max_size=6),
        ),
        max_size=12,
    ).map("".join)
)
def test_possessive_link_patterns_match_as_the_backtracking_ones(text: str) -> None:
    assert _matches(md._MD_LINK_RE, text) == _matches(_MD_LINK_BACKTRACKING, text)
    assert _matches(md._WIKI_RE, text) == _matches(_WIKI_BACKTRACKING, text)


def test_possessive_link_patterns_match_as_the_backtracking_ones_on_every_corpus_note(
    corpora: Path,
) -> None:
    checked = 0
    for path in sorted(corpora.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _matches(md._MD_LINK_RE, text) == _matches(_MD_LINK_BACKTRACKING, text), path
        assert _matches(md._WIKI_RE, text) == _matches(_WIKI_BACKTRACKING, text), path
        checked += 1
    assert checked > 1000
