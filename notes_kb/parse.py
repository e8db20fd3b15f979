"""Text -> Note. The only module that reads frontmatter; pure (no I/O).

Frontmatter: YAML between `---` lines, TOML between `+++` lines, or a JSON object
starting on the first line. A UTF-8 BOM and CRLF line endings are tolerated.
"""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from notes_kb import body as md
from notes_kb import tomlload, yamlload
from notes_kb.errors import NoteParseError, NoteReadError
from notes_kb.model import Link, Note
from notes_kb.values import TooLarge, jsonable, scalar_text, split_words, to_bool, to_iso

DATE_KEYS = ("lastmod", "date", "updated", "created")
TAG_KEYS = ("tags", "tag", "keywords")
AUTHOR_KEYS = ("author", "authors")
REVISIT_TAG = "revisit"

_YAML_OPEN = re.compile(r"\A-{3,}[ \t]*\n")
_YAML_CLOSE = re.compile(r"^(?:-{3,}|\.{3})[ \t]*$", re.M)
_TOML_OPEN = re.compile(r"\A\+{3,}[ \t]*\n")
_TOML_CLOSE = re.compile(r"^\+{3,}[ \t]*$", re.M)
_WIKI_VALUE_RE = re.compile(r"^\s*\[\[([^\[\]|]+?)(?:\|[^\[\]]*)?\]\]\s*$")
_TOML_LINE_RE = re.compile(r"\(at line (\d+)")
# `{` then a key or `}`: a JSON object, not a `{{< shortcode >}}` or `{% tag %}` body.
_JSON_OPEN = re.compile(r"\{\s*[\"}]")


def decode(data: bytes) -> tuple[str, tuple[str, ...]]:
    """Bytes -> text. UTF-8 (BOM tolerated), UTF-16 with a BOM, else Latin-1 with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ("decoded as UTF-16",)
        except UnicodeDecodeError as exc:
            raise NoteReadError(f"not valid UTF-16: {exc.reason}") from exc
    if data.find(b"\x00", 0, 8192) >= 0:
        raise NoteReadError("binary file (contains NUL bytes)")
    try:
        # What the "utf-8-sig" codec does, through the faster UTF-8 decoder.
        return data.decode("utf-8").removeprefix("\ufeff"), ()
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), ("not UTF-8; decoded as Windows-1252",)


def split(text: str) -> tuple[str, str, str, int]:
    """(format, frontmatter text, body, line number of the first frontmatter line)."""
    if text.startswith("-"):
        m = _YAML_OPEN.match(text)
        if m:
            end = _YAML_CLOSE.search(text, m.end())
            if end is None:
                raise NoteParseError("unterminated YAML frontmatter: no closing '---' line")
            return "yaml", text[m.end() : end.start()], text[end.end() :], 2
    elif text.startswith("+"):
        m = _TOML_OPEN.match(text)
        if m:
            end = _TOML_CLOSE.search(text, m.end())
            if end is None:
                raise NoteParseError("unterminated TOML frontmatter: no closing '+++' line")
            return "toml", text[m.end() : end.start()], text[end.end() :], 2
    elif text.startswith("{") and _JSON_OPEN.match(text):
        try:
            _, stop = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise NoteParseError(
                f"invalid JSON frontmatter at line {exc.lineno}: {exc.msg}"
            ) from exc
        except RecursionError as exc:
            raise NoteParseError("frontmatter is nested too deeply") from exc
        return "json", text[:stop], text[stop:], 1
    return "none", "", text, 0


def load(fmt: str, fm: str, first_line: int) -> dict[str, Any]:
    """Frontmatter text -> mapping; NoteParseError names the line when the parser gives one."""
    if fmt == "none" or not fm.strip():
        return {}
    try:
        if fmt == "yaml":
            data = yamlload.load(fm)
        elif fmt == "toml":
            plain = tomlload.simple(fm)
            if plain is not None:
                return plain  # JSON-safe already
            data = tomllib.loads(fm)
        else:
            data = json.loads(fm)
    except NoteParseError:
        raise
    except TooLarge as exc:
        raise NoteParseError(str(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = _TOML_LINE_RE.sub(lambda m: f"(at line {int(m.group(1)) + first_line - 1}", str(exc))
        raise NoteParseError(f"invalid TOML frontmatter: {msg}") from exc
    except json.JSONDecodeError as exc:
        raise NoteParseError(f"invalid JSON frontmatter at line {exc.lineno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise NoteParseError("frontmatter is nested too deeply") from exc
    except Exception as exc:  # YAML errors and anything a loader raises on hostile input
        message = _yaml_message(exc, first_line)
        if "{{" in fm or "{%" in fm:
            message += " (template placeholders such as {{ .Date }} are not YAML)"
        raise NoteParseError(message) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise NoteParseError(f"{fmt.upper()} frontmatter is a {type(data).__name__}, not a mapping")
    if fmt == "yaml":
        return data  # yamlload gives JSON-safe data already
    try:
        result = jsonable(data)
    except TooLarge as exc:
        raise NoteParseError(str(exc)) from exc
    except RecursionError as exc:
        raise NoteParseError("frontmatter is nested too deeply") from exc
    assert isinstance(result, dict)
    return result


def _yaml_message(exc: Exception, first_line: int) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    if mark is not None:
        detail = f"{problem}" if problem else type(exc).__name__
        return f"invalid YAML frontmatter at line {mark.line + first_line}: {detail}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"invalid YAML frontmatter: {first}"


def parse(
    text: str, stem: str, *, revisit_tag: str = REVISIT_TAG, date_fields: tuple[str, ...] = ()
) -> Note:
    """Parse a note's text. Never raises: frontmatter errors are kept in `Note.error`."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    error: str | None = None
    try:
        fmt, fm, body, first_line = split(text)
    except NoteParseError as exc:
        fmt, fm, body, first_line, error = "none", "", text, 0, str(exc)
    meta: dict[str, Any] = {}
    if error is None:
        try:
            meta = load(fmt, fm, first_line)
        except NoteParseError as exc:
            error = str(exc)
    return build(
        meta, body, stem, fmt=fmt, error=error, revisit_tag=revisit_tag, date_fields=date_fields
    )


def parse_bytes(
    data: bytes, stem: str, *, revisit_tag: str = REVISIT_TAG, date_fields: tuple[str, ...] = ()
) -> Note:
    """Decode then parse; NoteReadError for binary data."""
    text, warnings = decode(data)
    note = parse(text, stem, revisit_tag=revisit_tag, date_fields=date_fields)
    if warnings:
        return _with_warnings(note, warnings)
    return note


def _with_warnings(note: Note, warnings: tuple[str, ...]) -> Note:
    from dataclasses import replace

    return replace(note, warnings=note.warnings + warnings)


def _get(lower: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in lower and lower[key] is not None:
            return lower[key]
    return None


def _unwiki(name: str) -> str:
    m = _WIKI_VALUE_RE.match(name)
    return m.group(1).strip() if m else name


def _dedupe(items: list[str]) -> tuple[str, ...]:
    if len(items) < 2:
        return tuple(items)
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return tuple(out)


def build(
    meta: dict[str, Any],
    body: str,
    stem: str,
    *,
    fmt: str = "none",
    error: str | None = None,
    revisit_tag: str = REVISIT_TAG,
    date_fields: tuple[str, ...] = (),
) -> Note:
    """Frontmatter mapping + body -> Note. `date_fields` are extra keys read as dates (the
    first one present stands in for `date` when the note has none)."""
    lower = {str(k).lower(): v for k, v in meta.items()}
    code_free = md.strip_code(body)
    warnings: list[str] = []

    title_value = _get(lower, "title")
    title = scalar_text(title_value) if title_value is not None else ""
    if not title or isinstance(title_value, dict | list):
        title = md.first_heading(code_free) or stem

    authors = [_unwiki(a) for a in _names(_get(lower, *AUTHOR_KEYS))]

    tags = [t.lstrip("#").strip() for t in split_words(_get(lower, *TAG_KEYS))]
    tags += md.inline_tags(code_free)
    tags = [t for t in tags if t]
    categories = [
        _unwiki(c) for c in split_words(_get(lower, "categories", "category"), commas_only=True)
    ]

    dates: dict[str, str] = {}
    extra = tuple(k.lower() for k in date_fields if k.lower() not in DATE_KEYS)
    for key in DATE_KEYS + extra:
        value = lower.get(key)
        if value is None or value == "":
            continue
        iso = to_iso(value)
        if iso is None:
            warnings.append(f"{key}: not a date: {scalar_text(value)[:40]!r}")
        else:
            dates[key] = iso
    if "date" not in dates:
        for key in extra:
            if key in dates:
                dates["date"] = dates[key]
                break

    revisit_after = None
    if lower.get("revisit_after") not in (None, ""):
        revisit_after = to_iso(lower["revisit_after"])
        if revisit_after is None:
            warnings.append("revisit_after: not a date")
    revisit = to_bool(lower.get("revisit")) or any(
        t.casefold() == revisit_tag.casefold() for t in tags
    )

    links = _frontmatter_links(meta) + md.links(code_free)
    return Note(
        title=title.strip()[:500],
        body=body,
        fm_format=fmt,
        authors=_dedupe(authors),
        tags=_dedupe(tags),
        categories=_dedupe(categories),
        draft=to_bool(lower.get("draft")),
        revisit=revisit,
        revisit_after=revisit_after,
        dates=dates,
        links=tuple(_dedupe_links(links)),
        meta=meta,
        warnings=tuple(warnings),
        error=error,
    )


def _names(value: Any) -> list[str]:
    """Authors: a YAML string is one name (names can hold commas); lists are split per item."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, dict):
        name = value.get("name")
        return [scalar_text(name)] if name else []
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_names(item))
        return out
    return [scalar_text(value)]


def _frontmatter_links(meta: dict[str, Any]) -> list[Link]:
    """Wikilink values under any key; URLs and note paths under `links`."""
    out: list[Link] = []
    for key, value in meta.items():
        is_links = str(key).lower() == "links"
        if not is_links and not _may_hold_wikilink(value):
            continue
        for item in _link_candidates(value, 0):
            name = _wiki_name(item)
            if name is not None:
                target = md.wiki_target(name)
                if target:
                    out.append(Link("wiki", target, "", "", "frontmatter"))
            elif is_links and isinstance(item, str):
                link = md.classify(item, "", "frontmatter")
                if link is not None and link.kind == "internal":
                    link = Link("wiki", md.wiki_target(item), "", "", "frontmatter")
                if link is not None and link.target:
                    out.append(link)
    return out


def _may_hold_wikilink(value: Any) -> bool:
    """A cheap test that lets most values skip the search for `[[note]]` values: a string
    holding `[[`, or a list holding one or holding a list (an unquoted `[[note]]`)."""
    if isinstance(value, str):
        return "[[" in value
    if isinstance(value, list):
        for item in value:  # a loop, not any(): this runs for every frontmatter value
            if isinstance(item, list) or (isinstance(item, str) and "[[" in item):
                return True
    return False


def _wiki_name(value: Any) -> str | None:
    """`"[[note]]"`, or an unquoted `[[note]]`, which YAML reads as the list [['note']]."""
    if isinstance(value, str):
        m = _WIKI_VALUE_RE.match(value)
        return m.group(1) if m else None
    if (
        isinstance(value, list)
        and len(value) == 1
        and isinstance(value[0], list)
        and len(value[0]) == 1
        and isinstance(value[0][0], str)
    ):
        return value[0][0]
    return None


def _link_candidates(value: Any, depth: int) -> list[Any]:
    if isinstance(value, list) and depth < 4 and _wiki_name(value) is None:
        out: list[Any] = []
        for item in value:
            out.extend(_link_candidates(item, depth + 1))
        return out
    return [value]


def _dedupe_links(links: list[Link]) -> list[Link]:
    seen: set[tuple[str, str]] = set()
    out: list[Link] = []
    for link in links:
        key = (link.kind, link.target)
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out
