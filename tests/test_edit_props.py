"""Property tests for notes_kb.edit: generated notes in every supported style."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from notes_kb.edit import add_tag, remove_tag, rename_tag

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SIMPLE_RE = re.compile(r"[a-z][a-z0-9-]*")
KEY_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True).filter(
    lambda k: k not in ("tags", "tag", "keywords", "y", "n", "on", "no", "yes", "off")
)
SIMPLE_TAGS = st.from_regex(r"[a-z][a-z0-9-]{0,9}", fullmatch=True).filter(
    lambda t: t not in ("y", "n", "on", "no", "yes", "off", "true", "false", "null")
)
# anything a user might type as a tag, including characters that need quoting in YAML
WILD_TAGS = (
    st.text(alphabet=st.sampled_from(list("abXY09 -_:#'\".,/+é&*!?[]{}@`|>%~")), max_size=12)
    .map(str.strip)
    .filter(bool)
)
ANY_TAG = st.one_of(SIMPLE_TAGS, WILD_TAGS)
PRINTABLE = st.text(alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), max_size=10)
BODY_LINES = st.sampled_from(
    ["", "text", "---", "+++", "tags: [body]", "# Heading", "- item", "{not json}", "...", "  x"]
)


@dataclass
class Note:
    text: str
    fmt: str
    style: str
    key: str
    tags: list[str]
    body: str


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, str) and SIMPLE_RE.fullmatch(v) and v not in ("y", "n", "on", "no"):
        return v
    if isinstance(v, dt.date):
        return v.isoformat()
    return json.dumps(v, ensure_ascii=False)


def _norm(tag: str) -> str:
    """How notes_kb.edit compares tags: case-insensitive, ignoring a leading "#"."""
    return tag.lstrip("#").strip().casefold()


def _toml_scalar(v: Any) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    return json.dumps(v, ensure_ascii=False)


def _item(tag: str, quote: str, dialect: str) -> str:
    if quote == "'" and "'" not in tag:
        return f"'{tag}'"
    if quote == "" and dialect == "yaml" and SIMPLE_RE.fullmatch(tag):
        return tag
    return json.dumps(tag, ensure_ascii=False)


@st.composite
def notes(draw: st.DrawFn, with_tags: bool = False) -> Note:
    formats = ["yaml", "yaml", "yaml", "toml", "json"] + ([] if with_tags else ["none"])
    fmt = draw(st.sampled_from(formats))
    values = st.one_of(SIMPLE_TAGS, st.integers(-5, 5000), st.dates(), PRINTABLE, st.booleans())
    others = draw(st.dictionaries(KEY_NAMES, values, max_size=5))
    key = draw(st.sampled_from(["tags", "tags", "tag", "keywords"]))
    styles = {
        "yaml": ["absent", "null", "empty", "block", "block", "flow", "flow", "string"],
        "toml": ["absent", "empty", "inline", "multi"],
        "json": ["absent", "empty", "inline", "multi"],
        "none": ["absent"],
    }[fmt]
    if with_tags:
        styles = [x for x in styles if x not in ("absent", "null", "empty")]
    style = draw(st.sampled_from(styles))
    tag_st = SIMPLE_TAGS if style == "string" else ANY_TAG
    size = 0 if style in ("absent", "null", "empty") else draw(st.integers(1, 5))
    tags = draw(st.lists(tag_st, min_size=size, max_size=size, unique_by=_norm))
    quote = draw(st.sampled_from(["", '"', "'"]))
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    body_nl = draw(st.sampled_from([nl, "\n", "\r\n"]))
    body_lines = draw(st.lists(BODY_LINES, max_size=6))
    body = body_nl.join(body_lines) + draw(st.sampled_from(["", body_nl]))
    position = draw(st.integers(0, len(others)))
    lines: list[str] = []
    tag_lines: list[str] = []
    if fmt == "yaml":
        lines = [f"{k}: {_yaml_scalar(v)}" for k, v in others.items()]
        if draw(st.booleans()):
            lines.insert(draw(st.integers(0, len(lines))), "# a comment")
        indent = " " * draw(st.sampled_from([0, 2, 4]))
        if style == "null":
            tag_lines = [f"{key}:"]
        elif style == "empty":
            tag_lines = [f"{key}: {draw(st.sampled_from(['[]', '[ ]']))}"]
        elif style == "block":
            notes_ = draw(st.lists(st.sampled_from(["", "  # note"]), min_size=size, max_size=size))
            tag_lines = [f"{key}:"] + [
                f"{indent}- {_item(t, quote, 'yaml')}{c}" for t, c in zip(tags, notes_, strict=True)
            ]
        elif style == "flow":
            sep = draw(st.sampled_from([", ", ","]))
            comment = draw(st.sampled_from(["", " # note"]))
            tag_lines = [f"{key}: [{sep.join(_item(t, quote, 'yaml') for t in tags)}]{comment}"]
        elif style == "string":
            tag_lines = [f"{key}: {draw(st.sampled_from([', ', ' '])).join(tags)}"]
        lines[position:position] = tag_lines
        assume(lines)  # an empty ---/--- block is refused by design (see test_edit.py)
        fm = "---" + nl + "".join(line + nl for line in lines) + "---" + nl
    elif fmt == "toml":
        lines = [f"{k} = {_toml_scalar(v)}" for k, v in others.items()]
        q = "'" if quote == "'" else '"'
        if style == "empty":
            tag_lines = [f"{key} = []"]
        elif style == "inline":
            tag_lines = [f"{key} = [{', '.join(_item(t, q, 'toml') for t in tags)}]"]
        elif style == "multi":
            trailing = draw(st.booleans())
            items = [f"  {_item(t, q, 'toml')}," for t in tags]
            if not trailing:
                items[-1] = items[-1][:-1]
            tag_lines = [f"{key} = [", *items, "]"]
        lines[position:position] = tag_lines
        if draw(st.booleans()):
            lines += ["", "[extra]", "x = 1"]
        fm = "+++" + nl + "".join(line + nl for line in lines) + "+++" + nl
    elif fmt == "json":
        ind = " " * draw(st.sampled_from([2, 4]))
        members = [
            f"{json.dumps(k)}: {json.dumps(v if not isinstance(v, dt.date) else str(v))}"
            for k, v in others.items()
        ]
        if style == "empty":
            members.insert(position, f'"{key}": []')
        elif style == "inline":
            members.insert(position, f'"{key}": [{", ".join(json.dumps(t) for t in tags)}]')
        elif style == "multi":
            inner = ("," + nl).join(ind * 2 + json.dumps(t) for t in tags)
            members.insert(position, f'"{key}": [{nl}{inner}{nl}{ind}]')
        assume(members)  # a one-line "{}" object gets no new key
        fm = "{" + nl + ("," + nl).join(ind + m for m in members) + nl + "}" + nl
    else:
        fm = ""
        body = "text" + body_nl + body
    bom = draw(st.sampled_from(["", "\ufeff"]))
    if style == "absent":
        key = "tags"
    return Note(bom + fm + body, fmt, style, key, tags, body)


def meta(text: str) -> dict[str, Any]:
    """Parse the frontmatter independently of notes_kb.edit."""
    t = text.removeprefix("\ufeff")
    if t.startswith("{"):
        obj = json.JSONDecoder().raw_decode(t)[0]
        assert isinstance(obj, dict)
        return obj
    lines = t.split("\n")
    fence = lines[0].rstrip()
    if fence not in ("---", "+++"):
        return {}
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() == fence)
    block = "\n".join(lines[1:end]) + "\n"
    data = tomllib.loads(block) if fence == "+++" else yaml.safe_load(block)
    return data or {}


def tag_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()] if "," in value else value.split()
    assert isinstance(value, list)
    return value


def others(m: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in m.items() if k != key]


@SETTINGS
@given(note=notes(), data=st.data())
def test_add_then_remove_is_identity(note: Note, data: st.DataObject) -> None:
    before = meta(note.text)
    assert tag_list(before.get(note.key)) == note.tags
    tag = data.draw(SIMPLE_TAGS if note.style == "string" else ANY_TAG, label="tag")
    assume(_norm(tag) not in {_norm(t) for t in note.tags})
    added = add_tag(note.text, tag)
    assert added.endswith(note.body)
    after = meta(added)
    assert tag_list(after[note.key]) == [*note.tags, tag]
    assert others(after, note.key) == others(before, note.key)
    assert remove_tag(added, tag) == note.text
    assert add_tag(added, tag.upper()) == added  # already present, ignoring case


@SETTINGS
@given(note=notes(with_tags=True), data=st.data())
def test_rename_changes_only_that_tag(note: Note, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(note.tags) - 1), label="index")
    new = data.draw(SIMPLE_TAGS if note.style == "string" else ANY_TAG, label="new")
    assume(_norm(new) not in {_norm(t) for t in note.tags})
    old = note.tags[i]
    renamed = rename_tag(note.text, old.upper() if old.isascii() else old, new)
    before, after = meta(note.text), meta(renamed)
    expected = list(note.tags)
    expected[i] = new
    assert tag_list(after[note.key]) == expected
    assert others(after, note.key) == others(before, note.key)
    assert renamed.endswith(note.body)
    changed = [
        line
        for line in difflib.ndiff(note.text.splitlines(True), renamed.splitlines(True))
        if line[:2] in ("- ", "+ ")
    ]
    assert len(changed) == 2


@SETTINGS
@given(note=notes())
def test_remove_each_tag_then_add_back_keeps_tags(note: Note) -> None:
    text = note.text
    for tag in note.tags:
        text = remove_tag(text, tag)
        assert _norm(tag) not in {_norm(t) for t in tag_list(meta(text).get(note.key))}
    assert text.endswith(note.body)
    assert others(meta(text), note.key) == others(meta(note.text), note.key)
