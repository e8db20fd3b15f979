"""Unit tests for notes_kb.edit: edits that never damage a note."""

from __future__ import annotations

import difflib
import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
import yaml

from notes_kb.edit import add_tag, atomic_write, remove_tag, rename_tag, set_key
from notes_kb.errors import EditRefused, NotesKbError

CORPORA = Path(__file__).parent.parent.parent / "shared" / "corpora"

B = "body line\n---\nnot: frontmatter\n"  # a body that itself contains --- and key-like lines

# (id, before, tag, after): after == add_tag(before, tag) and remove_tag(after, tag) == before
ADD_CASES = [
    # YAML block lists
    ("yaml-block", f"---\ntitle: T\ntags:\n- a\n- b\n---\n{B}", "c",
     f"---\ntitle: T\ntags:\n- a\n- b\n- c\n---\n{B}"),
    ("yaml-block-indented", f"---\ntags:\n  - a\n  - b\ndate: 2020-01-02\n---\n{B}", "c",
     f"---\ntags:\n  - a\n  - b\n  - c\ndate: 2020-01-02\n---\n{B}"),
    ("yaml-block-quoted-items", '---\ntags:\n- "a"\n- "b"\n---\n', "c",
     '---\ntags:\n- "a"\n- "b"\n- "c"\n---\n'),
    ("yaml-block-single-quoted", "---\ntags:\n  - 'a'\n---\n", "it's",
     "---\ntags:\n  - 'a'\n  - 'it''s'\n---\n"),
    ("yaml-block-comments", "---\n# head\ntags: # the tags\n- a  # first\n# between\n- b\n"
     "# after\ntitle: T\n---\n", "c",
     "---\n# head\ntags: # the tags\n- a  # first\n# between\n- b\n- c\n# after\ntitle: T\n---\n"),
    # YAML flow lists
    ("yaml-flow", f"---\ntitle: T\ntags: [a, b]\n---\n{B}", "c",
     f"---\ntitle: T\ntags: [a, b, c]\n---\n{B}"),
    ("yaml-flow-tight", "---\ntags: [a,b]\n---\n", "c", "---\ntags: [a,b,c]\n---\n"),
    ("yaml-flow-double", '---\ntags: ["a", "b"]\n---\n', "c", '---\ntags: ["a", "b", "c"]\n---\n'),
    ("yaml-flow-single", "---\ntags: ['a']\n---\n", "c", "---\ntags: ['a', 'c']\n---\n"),
    ("yaml-flow-comment", "---\ntags: [a, b]  # keep me\n---\n", "c",
     "---\ntags: [a, b, c]  # keep me\n---\n"),
    ("yaml-flow-spaces", "---\ntags: [ a, b ]\n---\n", "c", "---\ntags: [ a, b, c ]\n---\n"),
    ("yaml-flow-multiline", "---\ntags: [\n  a,\n  b\n]\n---\n", "c",
     "---\ntags: [\n  a,\n  b,\n  c\n]\n---\n"),
    # YAML empty / null / string
    ("yaml-empty-flow", "---\ntitle: T\ntags: []\n---\n", "c", "---\ntitle: T\ntags: [c]\n---\n"),
    ("yaml-empty-flow-space", "---\ntags: [ ]\n---\n", "c", "---\ntags: [ c ]\n---\n"),
    ("yaml-null", "---\ntags:\ntitle: T\n---\n", "c", "---\ntags:\n  - c\ntitle: T\n---\n"),
    ("yaml-null-last", "---\ntitle: T\ntags:\n---\n", "c", "---\ntitle: T\ntags:\n  - c\n---\n"),
    ("yaml-null-comment", "---\ntags: # none yet\n---\n", "c",
     "---\ntags: # none yet\n  - c\n---\n"),
    ("yaml-string-comma", "---\ntags: a, b\n---\n", "c", "---\ntags: a, b, c\n---\n"),
    ("yaml-string-space", '---\ntags: "a b"\n---\n', "c", '---\ntags: "a b c"\n---\n'),
    ("yaml-string-single", "---\ntags: 'a,b'\n---\n", "c d", "---\ntags: 'a,b,c d'\n---\n"),
    ("yaml-string-one", "---\ntags: a\n---\n", "c", "---\ntags: a, c\n---\n"),
    ("yaml-string-empty", '---\ntags: ""\n---\n', "c", '---\ntags: "c"\n---\n'),
    # other tag keys
    ("yaml-tag-key", "---\ntag: [a]\n---\n", "c", "---\ntag: [a, c]\n---\n"),
    ("yaml-keywords-key", "---\nkeywords: []\n---\n", "c", "---\nkeywords: [c]\n---\n"),
    # missing key / missing frontmatter
    ("yaml-missing-key", f"---\ntitle: T\ndate: 2021-03-04T05:06:07+02:00\n---\n{B}", "c",
     f"---\ntitle: T\ndate: 2021-03-04T05:06:07+02:00\ntags:\n- c\n---\n{B}"),
    ("yaml-fence-trailing-space", "--- \ntitle: T\n---  \nbody\n", "c",
     "--- \ntitle: T\ntags:\n- c\n---  \nbody\n"),
    ("no-frontmatter", "# Title\n\nText.\n", "c", "---\ntags:\n- c\n---\n# Title\n\nText.\n"),
    ("no-frontmatter-empty", "", "c", "---\ntags:\n- c\n---\n"),
    ("no-frontmatter-no-newline", "text", "c", "---\ntags:\n- c\n---\ntext"),
    # CRLF and BOM
    ("crlf-block", "---\r\ntitle: T\r\ntags:\r\n- a\r\n---\r\nbody\r\n", "c",
     "---\r\ntitle: T\r\ntags:\r\n- a\r\n- c\r\n---\r\nbody\r\n"),
    ("crlf-missing", "---\r\ntitle: T\r\n---\r\nbody\r\n", "c",
     "---\r\ntitle: T\r\ntags:\r\n- c\r\n---\r\nbody\r\n"),
    ("crlf-null", "---\r\ntags:\r\n---\r\n", "c", "---\r\ntags:\r\n  - c\r\n---\r\n"),
    ("crlf-no-frontmatter", "body\r\nmore\r\n", "c",
     "---\r\ntags:\r\n- c\r\n---\r\nbody\r\nmore\r\n"),
    ("bom-flow", "\ufeff---\ntags: [a]\n---\nbody\n", "c", "\ufeff---\ntags: [a, c]\n---\nbody\n"),
    ("bom-no-frontmatter", "\ufeffbody\n", "c", "\ufeff---\ntags:\n- c\n---\nbody\n"),
    # quoting of new tags
    ("quote-colon", "---\ntags:\n- a\n---\n", "needs: quote",
     '---\ntags:\n- a\n- "needs: quote"\n---\n'),
    ("quote-hash", "---\ntags: [a]\n---\n", "#hash", '---\ntags: [a, "#hash"]\n---\n'),
    ("quote-dash", "---\ntags:\n- a\n---\n", "-dash", '---\ntags:\n- a\n- "-dash"\n---\n'),
    ("quote-bool-word", "---\ntags: [a]\n---\n", "yes", '---\ntags: [a, "yes"]\n---\n'),
    ("quote-number", "---\ntags: [a]\n---\n", "2024", '---\ntags: [a, "2024"]\n---\n'),
    ("quote-comma-in-flow", "---\ntags: [a]\n---\n", "x, y", '---\ntags: [a, "x, y"]\n---\n'),
    ("quote-dquote", "---\ntags:\n- a\n---\n", 'say "hi"',
     '---\ntags:\n- a\n- "say \\"hi\\""\n---\n'),
    ("plain-unicode-space", "---\ntags: [a]\n---\n", "été 2024", "---\ntags: [a, été 2024]\n---\n"),
    # TOML
    ("toml-single-line", f'+++\ntitle = "T"\ntags = ["a", "b"]\n+++\n{B}', "c",
     f'+++\ntitle = "T"\ntags = ["a", "b", "c"]\n+++\n{B}'),
    ("toml-literal-quotes", "+++\ntags = ['a','b']\n+++\n", "c",
     "+++\ntags = ['a','b','c']\n+++\n"),
    ("toml-empty", "+++\ntags = []\n+++\n", "c", '+++\ntags = ["c"]\n+++\n'),
    ("toml-multiline-trailing-comma", '+++\ntags = [\n    "a",\n    "b",\n]\n+++\n', "c",
     '+++\ntags = [\n    "a",\n    "b",\n    "c",\n]\n+++\n'),
    ("toml-multiline-no-trailing-comma", '+++\ntags = [\n  "a", # one\n  "b"\n]\n+++\n', "c",
     '+++\ntags = [\n  "a", # one\n  "b",\n  "c"\n]\n+++\n'),
    ("toml-missing-before-table", '+++\ntitle = "T"\ndate = 2020-01-01\n\n[extra]\nx = 1\n+++\nb\n',
     "c", '+++\ntitle = "T"\ndate = 2020-01-01\ntags = [\n  "c",\n]\n\n[extra]\nx = 1\n+++\nb\n'),
    ("toml-missing-no-table", '+++\ntitle = "T"\n+++\n', "c",
     '+++\ntitle = "T"\ntags = [\n  "c",\n]\n+++\n'),
    ("toml-crlf", '+++\r\ntags = ["a"]\r\n+++\r\nbody\r\n', "c",
     '+++\r\ntags = ["a", "c"]\r\n+++\r\nbody\r\n'),
    ("toml-quote", '+++\ntags = ["a"]\n+++\n', 'x"y', '+++\ntags = ["a", "x\\"y"]\n+++\n'),
    # JSON
    ("json-single-line", '{\n    "title": "T",\n    "tags": ["a", "b"]\n}\nbody\n', "c",
     '{\n    "title": "T",\n    "tags": ["a", "b", "c"]\n}\nbody\n'),
    ("json-multiline", '{\n  "tags": [\n    "a"\n  ],\n  "x": 1\n}\nbody\n', "c",
     '{\n  "tags": [\n    "a",\n    "c"\n  ],\n  "x": 1\n}\nbody\n'),
    ("json-missing", '{\n    "title": "T"\n}\nbody\n', "c",
     '{\n    "title": "T",\n    "tags": [\n        "c"\n    ]\n}\nbody\n'),
    ("json-empty", '{\n  "tags": []\n}\n', "c", '{\n  "tags": ["c"]\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("before", "tag", "after"), [c[1:] for c in ADD_CASES],
                         ids=[c[0] for c in ADD_CASES])  # fmt: skip
def test_add_then_remove(before: str, tag: str, after: str) -> None:
    assert add_tag(before, tag) == after
    assert remove_tag(after, tag) == before


# (id, before, tag, after) for removals that are not the inverse of an add
REMOVE_CASES = [
    ("case-insensitive", "---\ntags: [Alpha, b]\n---\n", "alpha", "---\ntags: [b]\n---\n"),
    ("all-matches", "---\ntags:\n- a\n- b\n- A\n---\n", "a", "---\ntags:\n- b\n---\n"),
    ("flow-first", "---\ntags: [a, b, c]\n---\n", "a", "---\ntags: [b, c]\n---\n"),
    ("flow-middle", "---\ntags: [a, b, c]\n---\n", "b", "---\ntags: [a, c]\n---\n"),
    ("flow-only", "---\ntags: [a]\n---\n", "a", "---\ntags: []\n---\n"),
    ("block-middle-comment", "---\ntags:\n- a # x\n- b # y\n- c\n---\n", "b",
     "---\ntags:\n- a # x\n- c\n---\n"),
    ("block-last-col0-removes-key", "---\ntags:\n- a\ntitle: T\n---\nbody\n", "a",
     "---\ntitle: T\n---\nbody\n"),
    ("block-last-indented-leaves-null", "---\ntags:\n  - a\ntitle: T\n---\n", "a",
     "---\ntags:\ntitle: T\n---\n"),
    ("block-last-commented-key", "---\ntags: # t\n- a\n---\n", "a", "---\ntags: # t\n---\n"),
    ("only-key-removes-block", "---\ntags:\n- a\n---\nbody\n", "a", "body\n"),
    ("block-kept-when-body-looks-like-frontmatter", "---\ntags:\n- a\n---\n---\nx: 1\n---\n", "a",
     "---\n---\n---\nx: 1\n---\n"),
    ("string-first", "---\ntags: a, b, c\n---\n", "a", "---\ntags: b, c\n---\n"),
    ("string-only-plain", "---\ntags: a # c\n---\n", "a", "---\ntags: # c\n---\n"),
    ("string-only-quoted", "---\ntags: 'a'\n---\n", "a", "---\ntags: ''\n---\n"),
    ("toml-multiline-only", '+++\nt = 1\ntags = [\n  "a"\n]\n+++\n', "a", "+++\nt = 1\n+++\n"),
    ("toml-multiline-last", '+++\ntags = [\n  "a",\n  "b"\n]\n+++\n', "b",
     '+++\ntags = [\n  "a"\n]\n+++\n'),
    ("toml-single-only", "+++\ntags = ['a']\n+++\n", "a", "+++\ntags = []\n+++\n"),
    ("json-first", '{\n  "tags": ["a", "b"]\n}\n', "a", '{\n  "tags": ["b"]\n}\n'),
    ("json-multiline-last", '{\n  "tags": [\n    "a",\n    "b"\n  ]\n}\n', "b",
     '{\n  "tags": [\n    "a"\n  ]\n}\n'),
    ("json-multiline-only-first-member", '{\n  "tags": [\n    "a"\n  ],\n  "x": 1\n}\n', "a",
     '{\n  "x": 1\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("before", "tag", "after"), [c[1:] for c in REMOVE_CASES],
                         ids=[c[0] for c in REMOVE_CASES])  # fmt: skip
def test_remove(before: str, tag: str, after: str) -> None:
    assert remove_tag(before, tag) == after


NOOP_TEXTS = [
    "---\ntags: [Alpha]\n---\n",
    "---\ntags:\n- Alpha\n---\n",
    "---\ntags: alpha beta\n---\n",
    "+++\ntags = ['ALPHA']\n+++\n",
    '{\n "tags": ["alpha"]\n}\n',
]


@pytest.mark.parametrize("text", NOOP_TEXTS)
def test_add_present_tag_is_noop(text: str) -> None:
    assert add_tag(text, "alpha") is text or add_tag(text, "alpha") == text
    assert add_tag(text, "aLPHA") == text


@pytest.mark.parametrize(
    "text", [*NOOP_TEXTS, "no frontmatter\n", "---\ntitle: T\n---\n", "---\ntags:\n---\n"]
)
def test_remove_absent_tag_is_noop(text: str) -> None:
    assert remove_tag(text, "zeta") == text
    assert rename_tag(text, "zeta", "eta") == text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # keys match case-insensitively and keep their spelling
        ("---\nTags: [a]\n---\n", "---\nTags: [a, c]\n---\n"),
        # like the indexer, a null tags key gives way to a keywords key that has values
        ("---\ntags:\nkeywords: [a]\n---\n", "---\ntags:\nkeywords: [a, c]\n---\n"),
        ("---\ntag: []\nkeywords: [a]\n---\n", "---\ntag: [c]\nkeywords: [a]\n---\n"),
    ],
)
def test_which_tag_key(before: str, after: str) -> None:
    assert add_tag(before, "c") == after
    assert remove_tag(after, "c") == before


def test_leading_hash_matches_bare_tag() -> None:
    text = '---\ntags: ["#python", b]\n---\n'
    assert add_tag(text, "Python") == text
    assert remove_tag(text, "python") == "---\ntags: [b]\n---\n"
    assert rename_tag(text, "python", "py") == '---\ntags: ["py", b]\n---\n'


def test_several_spellings_of_the_tag_key_refused() -> None:
    with pytest.raises(EditRefused, match="several tags keys"):
        add_tag("---\ntags: [a]\nTags: [b]\n---\n", "c")


REFUSED = [
    ("yaml-invalid", "---\ntitle: [unclosed\n---\nbody\n"),
    ("template-placeholder", "---\ndate: {{ .Date }}\n---\n"),
    ("unterminated", "---\ntitle: T\nbody\n"),
    ("anchor", "---\ntags: &t [a]\nalso: *t\n---\n"),
    ("alias", "---\nbase: &t [a]\ntags: *t\n---\n"),
    ("nested-mapping", "---\ntags:\n  a: 1\n---\n"),
    ("non-string-items", "---\ntags: [1, 2]\n---\n"),
    ("explicit-null", "---\ntags: ~\n---\n"),
    ("duplicate-key", "---\ntags: [a]\ntags: [b]\n---\n"),
    ("block-scalar", "---\ntags: |\n  a b\n---\n"),
    ("not-a-mapping", "---\n- a\n- b\n---\n"),
    ("flow-mapping-root", "---\n{tags: [a]}\n---\n"),
    ("toml-invalid", "+++\ntitle = \n+++\n"),
    ("json-invalid", '{"title": }\nbody\n'),
    ("empty-yaml-block", "---\n---\nbody\n"),  # add then remove would drop the block
    ("json-one-line-missing-key", '{"title": "T"}\nbody\n'),
]


@pytest.mark.parametrize("text", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused(text: str) -> None:
    with pytest.raises(EditRefused) as info:
        add_tag(text, "zz")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, NotesKbError)


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("---\ntags: a, b\n---\n", "#x"),  # would become a comment in a plain string
        ("---\ntags: a b\n---\n", "two words"),  # cannot be told apart from two tags
        ("---\ntags: a\n---\n", "x: y"),  # would turn the string into a mapping
        ("---\ntags: [a]\n---\n", "bad\nline"),
        ("---\ntags: [a]\n---\n", ""),
        ("---\ntags: [a]\n---\n", " padded "),
    ],
)
def test_unsafe_tags_refused(text: str, tag: str) -> None:
    with pytest.raises(EditRefused):
        add_tag(text, tag)


def test_result_always_parses_with_intended_value() -> None:
    text = "---\ntitle: T\ntags:\n- a\n---\nbody\n"
    for tag in ["b: c", "#d", "- e", "[f]", "{g}", "'h'", '"i"', "j # k", "null", "~", "@l", "`m"]:
        out = add_tag(text, tag)
        meta = yaml.safe_load(out.split("---\n")[1])
        assert meta == {"title": "T", "tags": ["a", tag]}


RENAME_CASES = [
    ("block", "---\ntags:\n- a\n- b\n---\n", "A", "z", "---\ntags:\n- z\n- b\n---\n"),
    ("block-quoted", "---\ntags:\n- 'a'\n---\n", "a", "z", "---\ntags:\n- 'z'\n---\n"),
    ("flow", "---\ntags: [a, b]  # c\n---\n", "b", "z: y", '---\ntags: [a, "z: y"]  # c\n---\n'),
    ("string", "---\ntags: a, b\n---\n", "b", "z", "---\ntags: a, z\n---\n"),
    ("case-only", "---\ntags: [python]\n---\n", "python", "Python", "---\ntags: [Python]\n---\n"),
    ("onto-existing", "---\ntags: [a, b]\n---\n", "a", "B", "---\ntags: [b]\n---\n"),
    ("toml", "+++\ntags = ['a', 'b']\n+++\n", "a", "z", "+++\ntags = ['z', 'b']\n+++\n"),
    ("json", '{\n "tags": ["a"]\n}\n', "a", "z", '{\n "tags": ["z"]\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("before", "old", "new", "after"), [c[1:] for c in RENAME_CASES],
                         ids=[c[0] for c in RENAME_CASES])  # fmt: skip
def test_rename(before: str, old: str, new: str, after: str) -> None:
    assert rename_tag(before, old, new) == after


SET_CASES = [
    ("yaml-replace-date", "---\ntitle: T\nrevisit_after: 2025-01-01\n---\nb\n", "2026-12-01",
     "---\ntitle: T\nrevisit_after: 2026-12-01\n---\nb\n"),
    ("yaml-keep-quotes-comment", '---\nrevisit_after: "2025-01-01"  # when\n---\n', "2026-12-01",
     '---\nrevisit_after: "2026-12-01"  # when\n---\n'),
    ("yaml-null", "---\nrevisit_after:\ntitle: T\n---\n", "2026-12-01",
     "---\nrevisit_after: 2026-12-01\ntitle: T\n---\n"),
    ("yaml-new", "---\ntitle: T\n---\nb\n", "2026-12-01",
     "---\ntitle: T\nrevisit_after: 2026-12-01\n---\nb\n"),
    ("yaml-new-needs-quotes", "---\ntitle: T\n---\n", "soon: maybe",
     '---\ntitle: T\nrevisit_after: "soon: maybe"\n---\n'),
    ("yaml-crlf", "---\r\ntitle: T\r\n---\r\n", "2026-12-01",
     "---\r\ntitle: T\r\nrevisit_after: 2026-12-01\r\n---\r\n"),
    ("no-frontmatter", "body\n", "2026-12-01", "---\nrevisit_after: 2026-12-01\n---\nbody\n"),
    ("toml-bare-date", "+++\nrevisit_after = 2025-01-01\n+++\n", "2026-12-01",
     "+++\nrevisit_after = 2026-12-01\n+++\n"),
    ("toml-new", '+++\ntitle = "T"\n[extra]\nx = 1\n+++\n', "2026-12-01",
     '+++\ntitle = "T"\nrevisit_after = 2026-12-01\n[extra]\nx = 1\n+++\n'),
    ("toml-quoted", "+++\nrevisit_after = '2025-01-01'\n+++\n", "2026-12-01",
     "+++\nrevisit_after = '2026-12-01'\n+++\n"),
    ("json-new", '{\n  "title": "T"\n}\n', "2026-12-01",
     '{\n  "title": "T",\n  "revisit_after": "2026-12-01"\n}\n'),
]  # fmt: skip


@pytest.mark.parametrize(("before", "value", "after"), [c[1:] for c in SET_CASES],
                         ids=[c[0] for c in SET_CASES])  # fmt: skip
def test_set_key(before: str, value: str, after: str) -> None:
    assert set_key(before, "revisit_after", value) == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("---\ntitle: T\nrevisit_after: 2025-01-01 # x\n---\nb\n", "---\ntitle: T\n---\nb\n"),
        ("---\nrevisit_after: 2025-01-01\n---\nb\n", "b\n"),
        ("+++\nrevisit_after = 2025-01-01\nt = 1\n+++\n", "+++\nt = 1\n+++\n"),
        ('{\n  "t": 1,\n  "revisit_after": "x"\n}\n', '{\n  "t": 1\n}\n'),
        ("---\ntitle: T\n---\n", "---\ntitle: T\n---\n"),
    ],
)
def test_set_key_none_removes(before: str, after: str) -> None:
    assert set_key(before, "revisit_after", None) == after


@pytest.mark.parametrize(
    "text",
    [
        "---\nrevisit_after:\n- a\n---\n",
        "---\nrevisit_after: >\n  folded\n---\n",
        "---\nrevisit_after: [a]\n---\n",
        "---\nbroken: [\n---\n",
    ],
)
def test_set_key_refused(text: str) -> None:
    with pytest.raises(EditRefused):
        set_key(text, "revisit_after", "2026-12-01")


def test_set_key_bad_key_name() -> None:
    with pytest.raises(EditRefused):
        set_key("---\na: 1\n---\n", "bad key", "x")


# -- atomic_write ------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of its own (tmp_path itself may hold files made by shared fixtures)."""
    path = tmp_path / "notes"
    path.mkdir()
    return path


def test_atomic_write_replaces_and_keeps_mode(folder: Path) -> None:
    note = folder / "n.md"
    original = "\ufeff---\r\ntags: [a]\r\n---\r\nbody\r\n".encode()
    note.write_bytes(original)
    note.chmod(0o640)
    new = add_tag(original.decode("utf-8"), "b")
    atomic_write(note, new, original)
    assert note.read_bytes() == "\ufeff---\r\ntags: [a, b]\r\n---\r\nbody\r\n".encode()
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["n.md"]


def test_atomic_write_refuses_when_changed_on_disk(folder: Path) -> None:
    note = folder / "n.md"
    note.write_bytes(b"---\ntags: [a]\n---\n")
    with pytest.raises(EditRefused, match="changed on disk since it was read"):
        atomic_write(note, "new", b"---\ntags: [old]\n---\n")
    assert note.read_bytes() == b"---\ntags: [a]\n---\n"
    assert [p.name for p in folder.iterdir()] == ["n.md"]


def test_atomic_write_leaves_no_temp_file_on_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = folder / "n.md"
    note.write_bytes(b"old")

    def boom(src: str, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(EditRefused, match="disk full"):
        atomic_write(note, "new", b"old")
    assert note.read_bytes() == b"old"
    assert [p.name for p in folder.iterdir()] == ["n.md"]


def test_atomic_write_follows_symlink(folder: Path) -> None:
    target = folder / "real.md"
    target.write_bytes(b"old")
    link = folder / "link.md"
    link.symlink_to(target)
    atomic_write(link, "new", b"old")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


def test_atomic_write_missing_file(folder: Path) -> None:
    with pytest.raises(EditRefused):
        atomic_write(folder / "gone.md", "x", b"x")


# -- real-world corpora ------------------------------------------------------------------------


def _corpus_notes() -> list[tuple[Path, str]]:
    if not CORPORA.is_dir():
        pytest.skip("shared corpora not present")
    notes = []
    for path in sorted(CORPORA.rglob("*.md")):
        try:
            notes.append((path, path.read_bytes().decode("utf-8")))
        except UnicodeDecodeError:
            continue
    return notes


def test_corpora_add_remove_identity() -> None:
    notes = _corpus_notes()
    refused = 0
    for path, text in notes:
        for tag in ("nkb-test-tag", "needs: quoting"):
            try:
                added = add_tag(text, tag)
            except EditRefused:
                refused += 1
                continue
            assert added != text, path
            assert remove_tag(added, tag) == text, path
    assert notes
    assert refused < 0.15 * 2 * len(notes), refused


def _meta(text: str) -> object:
    """Parsed frontmatter, found independently of notes_kb.edit; None without frontmatter."""
    t = text.removeprefix("\ufeff")
    if t.startswith("{"):
        return json.JSONDecoder().raw_decode(t)[0]
    lines = t.split("\n")
    fence = lines[0].rstrip()
    if fence not in ("---", "+++"):
        return None
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == fence)
    block = "\n".join(lines[1:end])
    return tomllib.loads(block) if fence == "+++" else yaml.safe_load(block)


def test_corpora_rename_touches_only_tag_lines() -> None:
    renamed = 0
    for path, text in _corpus_notes():
        try:
            meta = _meta(text)
        except Exception:
            continue
        if not isinstance(meta, dict):
            continue
        key = next((k for k in ("tags", "tag", "keywords") if k in meta), None)
        tags = meta.get(key) if key else None
        if not isinstance(tags, list) or not tags or not isinstance(tags[0], str):
            continue
        old = tags[0]
        try:
            new_text = rename_tag(text, old, "renamed-tag")
        except EditRefused:
            continue
        renamed += 1
        new_meta = _meta(new_text)
        assert isinstance(new_meta, dict)
        assert new_meta[key][0] == "renamed-tag"
        assert {k: v for k, v in new_meta.items() if k != key} == {
            k: v for k, v in meta.items() if k != key
        }
        old_lines, new_lines = text.splitlines(True), new_text.splitlines(True)
        for line in difflib.ndiff(old_lines, new_lines):
            if line.startswith("- "):
                assert old.casefold() in line.casefold(), (path, line)
            elif line.startswith("+ "):
                assert "renamed-tag" in line, (path, line)
    assert renamed > 50
