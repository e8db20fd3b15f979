"""The public text edits: locate, edit, then prove the edit did only what was asked."""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Callable
from typing import Any, Protocol

from notes_kb.edit import _json, _toml, _yaml
from notes_kb.edit._doc import Doc, one_line, split
from notes_kb.edit._scalar import check_text, yaml_load
from notes_kb.errors import EditRefused

TAG_KEYS = ("tags", "tag", "keywords")
_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class _Field(Protocol):
    @property
    def values(self) -> list[str]: ...
    def add(self, tag: str) -> str: ...
    def remove(self, i: int) -> str: ...
    def replace(self, i: int, new: str) -> str: ...


def _parse(doc: Doc) -> dict[str, Any]:
    """The parsed frontmatter (shared and cached: callers must not modify it)."""
    return _parse_cached(doc.fmt, doc.content)


@functools.lru_cache(maxsize=32)
def _parse_cached(fmt: str, content: str) -> dict[str, Any]:
    data: Any
    if fmt == "none":
        return {}
    if fmt == "yaml":
        data = yaml_load(content)
        if data is None:
            return {}
    elif fmt == "toml":
        try:
            data = tomllib.loads(content)
        except tomllib.TOMLDecodeError as exc:
            raise EditRefused(f"TOML frontmatter does not parse: {one_line(exc)}") from None
    else:
        try:
            data = json.loads(content)
        except ValueError as exc:
            raise EditRefused(f"JSON frontmatter does not parse: {one_line(exc)}") from None
    if not isinstance(data, dict):
        raise EditRefused("the frontmatter is not a mapping of keys to values")
    return data


def _state(text: str) -> tuple[Doc, dict[str, Any]]:
    doc = split(text)
    return doc, _parse(doc)


def tag_key(parsed: dict[str, Any]) -> str:
    """The key holding the note's tags, spelled as in the note.

    Like the indexer: keys match case-insensitively, and the first of tags, tag, keywords
    with a non-null value wins; else the first one present (null); else a new ``tags``.
    """
    found: list[tuple[str, Any]] = []
    for name in TAG_KEYS:
        spellings = [k for k in parsed if isinstance(k, str) and k.lower() == name]
        if len(spellings) > 1:
            raise EditRefused(f"the note has several {name} keys: {', '.join(spellings)}")
        found += [(k, parsed[k]) for k in spellings]
    chosen = next((k for k, v in found if v is not None), None)
    return chosen or (found[0][0] if found else "tags")


def same_tag(a: str, b: str) -> bool:
    """Tags match ignoring case and a leading "#" (the indexer strips it)."""
    return a.lstrip("#").strip().casefold() == b.lstrip("#").strip().casefold()


def norm_tags(value: Any, key: str = "tags") -> list[str]:
    """Tag strings of a frontmatter value (None, a list of strings, or a tag string)."""
    if value is None:
        return []
    if isinstance(value, str):
        return _yaml.split_tag_string(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise EditRefused(f"{key} is neither a list of strings nor a tag string")


def _locate(doc: Doc, key: str, parsed: dict[str, Any]) -> _Field:
    if doc.fmt == "toml":
        return _toml.locate_tags(doc, key, parsed)
    if doc.fmt == "json":
        return _json.locate_tags(doc, key, parsed)
    return _yaml.locate_tags(doc, key, parsed)


def _verify(
    doc: Doc, before: dict[str, Any], new_text: str, key: str, ok: Callable[[bool, Any], bool]
) -> None:
    """Re-parse the result: body and BOM unchanged, other keys unchanged, key as intended."""
    try:
        new_doc, after = _state(new_text)
    except EditRefused as exc:
        raise EditRefused(f"the edit would break the frontmatter ({exc})") from None
    if new_doc.body != doc.body or new_doc.bom != doc.bom:
        raise EditRefused("the edit would change the note body")
    if [(k, v) for k, v in before.items() if k != key] != [
        (k, v) for k, v in after.items() if k != key
    ]:
        raise EditRefused("the edit would change other frontmatter keys")
    if not ok(key in after, after.get(key)):
        raise EditRefused(f"the edit would not give {key} the intended value")


def _same_shape(old: Any, present: bool, new: Any, emptied: bool) -> bool:
    """Lists stay lists and strings stay strings; an emptied key may become null or go away."""
    if emptied and (not present or new is None):
        return True
    if isinstance(old, str):
        return isinstance(new, str)
    return isinstance(new, list)


def add_tag(text: str, tag: str) -> str:
    tag = check_text(tag, "tag")
    doc, before = _state(text)
    key = tag_key(before)
    old = norm_tags(before.get(key), key)
    if any(same_tag(t, tag) for t in old):
        return text
    new_text = _locate(doc, key, before).add(tag)
    expected = [*old, tag]

    def ok(present: bool, value: Any) -> bool:
        return (
            present
            and norm_tags(value, key) == expected
            and _same_shape(before.get(key), True, value, False)
        )

    _verify(doc, before, new_text, key, ok)
    if remove_tag(new_text, tag) != text:
        raise EditRefused("removing the tag again would not restore the note exactly")
    return new_text


def remove_tag(text: str, tag: str) -> str:
    if not tag.strip():
        raise EditRefused("empty tag")
    doc, before = _state(text)
    key = tag_key(before)
    old = norm_tags(before.get(key), key)
    expected = [t for t in old if not same_tag(t, tag)]
    if expected == old:
        return text
    new_text = text
    for _ in old:
        cur_doc, cur = _state(new_text)
        field = _locate(cur_doc, key, cur)
        idx = next((i for i, v in enumerate(field.values) if same_tag(v, tag)), None)
        if idx is None:
            break
        new_text = field.remove(idx)

    def ok(present: bool, value: Any) -> bool:
        return (not present or norm_tags(value, key) == expected) and _same_shape(
            before.get(key), present, value, not expected
        )

    _verify(doc, before, new_text, key, ok)
    return new_text


def rename_tag(text: str, old: str, new: str) -> str:
    new = check_text(new, "tag")
    doc, before = _state(text)
    key = tag_key(before)
    tags = norm_tags(before.get(key), key)
    matches = [i for i, t in enumerate(tags) if same_tag(t, old)]
    if not matches:
        return text
    new_elsewhere = not same_tag(old, new) and any(same_tag(t, new) for t in tags)
    to_remove = matches if new_elsewhere else matches[1:]
    expected = [
        new if i == matches[0] and not new_elsewhere else t
        for i, t in enumerate(tags)
        if i not in to_remove
    ]
    if expected == tags:
        return text
    new_text = text
    if not new_elsewhere and tags[matches[0]] != new:
        new_text = _locate(doc, key, before).replace(matches[0], new)
    for i in reversed(to_remove):
        cur_doc, cur = _state(new_text)
        new_text = _locate(cur_doc, key, cur).remove(i)

    def ok(present: bool, value: Any) -> bool:
        return (
            present
            and norm_tags(value, key) == expected
            and _same_shape(before.get(key), True, value, False)
        )

    _verify(doc, before, new_text, key, ok)
    return new_text


def set_key(text: str, key: str, value: str | None) -> str:
    if not _KEY_RE.fullmatch(key):
        raise EditRefused(f"key {key!r} is not a simple name")
    if value is not None:
        value = check_text(value, "value")
    doc, before = _state(text)
    if value is None and key not in before:
        return text
    if doc.fmt == "toml":
        new_text = _toml.set_scalar(doc, key, value, before)
    elif doc.fmt == "json":
        new_text = _json.set_scalar(doc, key, value, before)
    else:
        new_text = _yaml.set_scalar(_yaml.locate_scalar(doc, key, before), value)
    if new_text == text:
        return text

    def ok(present: bool, got: Any) -> bool:
        if value is None:
            return not present
        return present and _yaml.value_matches(got, value)

    _verify(doc, before, new_text, key, ok)
    if key not in before and set_key(new_text, key, None) != text:
        raise EditRefused(f"removing {key} again would not restore the note exactly")
    return new_text
