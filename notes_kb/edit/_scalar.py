"""Checking tag/value strings and writing them as YAML, TOML or JSON scalars."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import yaml

from notes_kb.edit._doc import one_line
from notes_kb.errors import EditRefused

_BAD_CATEGORIES = {"Cc", "Zl", "Zp", "Cs", "Co", "Cn"}
# Conservative plain-scalar shape: starts with a letter or "_", then word characters, "-", ".",
# "/", "+" or single inner spaces. Anything else is quoted.
_PLAIN_RE = re.compile(r"[^\W\d][\w\-./+]*(?: [\w\-./+]+)*")
# Words some YAML parser (1.1 or 1.2) reads as something other than a string.
_SPECIAL_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def check_text(value: str, what: str) -> str:
    """Refuse empty values, surrounding whitespace, control characters and line breaks."""
    if not value or value != value.strip():
        raise EditRefused(f"{what} {value!r} is empty or has surrounding whitespace")
    for ch in value:
        if unicodedata.category(ch) in _BAD_CATEGORIES or ch == "\ufeff":
            raise EditRefused(f"{what} {value!r} contains a control or line-break character")
    return value


def yaml_load(text: str) -> Any:
    """yaml.safe_load; any failure becomes EditRefused."""
    try:
        return yaml.safe_load(text)
    except Exception as exc:  # PyYAML raises several unrelated types
        raise EditRefused(f"YAML does not parse: {one_line(exc)}") from None


def _yaml_plain_ok(value: str, flow: bool) -> bool:
    if not _PLAIN_RE.fullmatch(value) or value.lower() in _SPECIAL_WORDS:
        return False
    probe = f"[{value}]" if flow else f"- {value}"
    try:
        return bool(yaml.safe_load(probe) == [value])
    except yaml.YAMLError:
        return False


def yaml_double(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def yaml_single(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def render_yaml(value: str, quote: str, flow: bool) -> str:
    """Write value as a YAML scalar: plain when quote == "" and that is safe, else quoted."""
    if quote == "'":
        return yaml_single(value)
    if quote == "" and _yaml_plain_ok(value, flow):
        return value
    return yaml_double(value)


def toml_basic(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_toml(value: str, quote: str) -> str:
    if quote == "'" and "'" not in value:
        return "'" + value + "'"
    return toml_basic(value)


def render_json(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def common_quote(quotes: list[str]) -> str:
    """The quote character every existing item uses, or "" when they differ / none exist."""
    if quotes and all(q == quotes[0] for q in quotes):
        return quotes[0]
    return ""
