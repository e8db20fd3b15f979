"""YAML frontmatter -> JSON-safe data, safely and quickly. Pure (no I/O).

PyYAML's C parser builds the node tree; plain data (strings, numbers, booleans, nulls,
dates, lists and mappings) is then turned into JSON-safe values in one walk, which is
several times cheaper than PyYAML's generic constructor followed by a conversion pass.
Anything else (merge keys, sets, binary, unknown or unsafe tags, non-scalar keys) goes
through the safe constructor exactly as before, so results and errors never differ.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from notes_kb.values import MAX_NODES, TooLarge, jsonable, scalar_text

MAX_DEPTH = 64

_PREFIX = "tag:yaml.org,2002:"
_STR = _PREFIX + "str"
_MAP = _PREFIX + "map"
_SEQ = _PREFIX + "seq"
_TIMESTAMP = _PREFIX + "timestamp"


class _Unusual(Exception):
    """The document needs PyYAML's full safe constructor."""


_loader_class: Any = None


def load(text: str) -> Any:
    """The document as JSON-safe data (see values.jsonable); PyYAML errors or TooLarge."""
    try:
        simple = _simple(text)
    except Exception:  # the parser gives the answer, or the error, instead
        simple = None
    if simple is not None:
        return simple
    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _Walker(loader).value(node, 0)
        except _Unusual:
            return jsonable(loader.construct_document(node), max_nodes=MAX_NODES)
    finally:
        loader.dispose()


def load_generic(text: str) -> Any:
    """The same document through PyYAML's safe constructor then values.jsonable (the
    reference the fast walk must always agree with)."""
    loader = _loader()(text)
    try:
        return jsonable(loader.get_single_data(), max_nodes=MAX_NODES)
    finally:
        loader.dispose()


class _Walker:
    def __init__(self, loader: Any) -> None:
        import yaml

        self.loader = loader
        self.budget = MAX_NODES
        self.scalar_node = yaml.ScalarNode
        self.sequence_node = yaml.SequenceNode
        self.mapping_node = yaml.MappingNode
        self.scalars: dict[str, Callable[[Any], Any]] = {
            _PREFIX + "null": loader.construct_yaml_null,
            _PREFIX + "bool": loader.construct_yaml_bool,
            _PREFIX + "int": loader.construct_yaml_int,
            _PREFIX + "float": loader.construct_yaml_float,
            _PREFIX + "timestamp": loader.yaml_constructors[_PREFIX + "timestamp"].__get__(loader),
        }

    def value(self, node: Any, depth: int) -> Any:
        """One value, counted against the budget the way values.jsonable counts it."""
        self.budget -= 1
        if self.budget < 0:
            raise TooLarge(f"frontmatter has more than {MAX_NODES} values (alias expansion?)")
        if depth > MAX_DEPTH:
            raise TooLarge(f"frontmatter is nested deeper than {MAX_DEPTH} levels")
        kind = type(node)
        tag = node.tag
        if kind is self.scalar_node:
            if tag == _STR:
                return node.value
            return _json_scalar(self.scalar(node))
        if kind is self.sequence_node and tag == _SEQ:
            return [self.value(item, depth + 1) for item in node.value]
        if kind is self.mapping_node and tag == _MAP:
            return self.mapping(node, depth)
        raise _Unusual

    def scalar(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        construct = self.scalars.get(tag)
        if construct is None:
            raise _Unusual
        return construct(node)

    def check_replaced(self, values: list[Any], depth: int) -> None:
        """A repeated key's earlier values are constructed too (and can fail) though only the
        last is kept: walk them outside the budget, leaving anything big to the constructor."""
        budget = self.budget
        try:
            for value in values:
                self.value(value, depth + 1)
        except TooLarge:
            raise _Unusual from None
        finally:
            self.budget = budget

    def mapping(self, node: Any, depth: int) -> dict[str, Any]:
        raw: dict[Any, Any] = {}
        plain_keys = True
        replaced = []
        for key_node, value_node in node.value:
            if type(key_node) is not self.scalar_node:
                raise _Unusual  # a list or mapping as a key: the constructor's error
            if key_node.tag != _STR:
                plain_keys = False
            key = self.scalar(key_node)
            if key in raw:
                replaced.append(raw[key])
            raw[key] = value_node
        if replaced:
            self.check_replaced(replaced, depth)
        if plain_keys:
            return {key.strip(): self.value(value, depth + 1) for key, value in raw.items()}
        # Keys such as 1, true or a date become text, as values.jsonable writes them.
        return {
            scalar_text(key) if key is not None else "": self.value(value, depth + 1)
            for key, value in raw.items()
        }


# -- the common case without the parser ------------------------------------------------------
#
# Most frontmatter is a few `key: value` lines, with lists as `[a, b]` or `- item` lines.
# PyYAML's C parser spends 60 us on such a document, mostly making Python objects for its
# events and nodes. `_simple` reads exactly that shape and returns None for anything else
# (then the parser decides, errors included). Plain scalars are typed by PyYAML's own
# resolver and constructors, so `yes`, `0x1F`, `1_000`, `1:30`, `.inf` or dates come out
# as the parser would make them; tests check both agree on generated and real documents.

_KEY_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*?))? *")
_SEQ_LINE = re.compile(r"( *)- +(.*?) *")
# Anything but newlines and printable characters sends a document to the parser: tabs,
# CRs, the byte-order mark, characters YAML forbids and those it reads as line breaks
# (U+0085, U+2028, U+2029).
_AWKWARD = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# Inside `[...]` plain scalars end at more characters, and parsers differ on some of them.
_FLOW_AWKWARD = frozenset(",[]{}:?#'\"")
_tools: Any = None


def _simple(text: str) -> dict[str, Any] | None:
    if _AWKWARD.search(text):
        return None
    resolve, construct = _scalar_tools()
    out: dict[str, Any] = {}
    nodes = 1
    pending: str | None = None  # a key whose value may be the `- item` lines that follow
    items: list[Any] = []
    indent = -1
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if not stripped or stripped[0] == "#":
            continue
        if pending is not None:
            m = _SEQ_LINE.fullmatch(line)
            if m and (indent < 0 or len(m.group(1)) == indent):
                indent = len(m.group(1))
                item = _scalar(m.group(2), False, resolve, construct)
                if item is _NOT_SIMPLE:
                    return None
                items.append(item)
                continue
            out[pending] = items if items else construct(resolve(""), "")
            nodes += 1 + len(items)
            pending = None
        m = _KEY_LINE.fullmatch(line)
        if m is None:
            return None
        key, raw = m.group(1), m.group(2)
        if len(key) > _MAX_SIMPLE_KEY or resolve(key) != _STR:
            return None  # `on:`, `null:`, `yes:`... are not text keys
        if not raw:
            pending, items, indent = key, [], -1
            out[key] = None  # a repeated key keeps its first place and takes its last value
            continue
        value = _value(raw, resolve, construct)
        if value is _NOT_SIMPLE:
            return None
        out[key] = value
        nodes += 1 + (len(value) if isinstance(value, list) else 0)
    if pending is not None:
        out[pending] = items if items else construct(resolve(""), "")
        nodes += 1 + len(items)
    if not out or nodes > MAX_NODES:
        return None
    return out


_NOT_SIMPLE: Any = object()
_MAX_SIMPLE_KEY = 1024  # YAML parsers give up on an implicit key longer than this


def _value(raw: str, resolve: Callable[[str], str], construct: Callable[[str, str], Any]) -> Any:
    if raw[0] == "[" and raw[-1] == "]":
        # Only spaces are blanks to YAML (tabs never get here): not NBSP, U+3000...
        inner = raw[1:-1].strip(" ")
        if not inner:
            return []
        items = [_scalar(part.strip(" "), True, resolve, construct) for part in inner.split(",")]
        return _NOT_SIMPLE if any(item is _NOT_SIMPLE for item in items) else items
    return _scalar(raw, False, resolve, construct)


def _scalar(
    raw: str, flow: bool, resolve: Callable[[str], str], construct: Callable[[str, str], Any]
) -> Any:
    if not raw:
        return _NOT_SIMPLE
    first = raw[0]
    if first in "\"'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != first or first in inner or "\\" in inner:
            return _NOT_SIMPLE
        if flow and _FLOW_AWKWARD.intersection(inner):
            return _NOT_SIMPLE
        return inner
    if first in _INDICATORS and not (first == "-" and len(raw) > 1 and raw[1].isalnum()):
        return _NOT_SIMPLE
    if ": " in raw or " #" in raw or raw[-1] == ":" or (flow and _FLOW_AWKWARD.intersection(raw)):
        return _NOT_SIMPLE
    tag = resolve(raw)
    if tag == _STR:
        return raw
    return construct(tag, raw)


def _scalar_tools() -> tuple[Callable[[str], str], Callable[[str, str], Any]]:
    """The parser's resolver and scalar constructors, for plain scalars given as text."""
    global _tools
    if _tools is None:
        import yaml

        loader = _loader()("")
        walker = _Walker(loader)
        node = yaml.ScalarNode

        # The resolver only ever looks at values starting with one of these (digits, signs,
        # dots, ~, =, <, and the first letters of true/false/yes/no/on/off/null).
        starts = frozenset(ch for ch in loader.yaml_implicit_resolvers if ch)
        if None in loader.yaml_implicit_resolvers:  # resolvers for every value: ask each time
            starts = frozenset(chr(i) for i in range(0x110000))
        known: dict[str, str] = {}

        def resolve(value: str) -> str:
            if value and value[0] not in starts:
                return _STR
            tag = known.get(value)
            if tag is None:
                tag = str(loader.resolve(node, value, (True, False)))
                if len(known) < 4096:
                    known[value] = tag
            return tag

        def construct(tag: str, value: str) -> Any:
            if tag == _TIMESTAMP and len(value) == 10:
                # YYYY-MM-DD: a real date's isoformat is the text itself, and an impossible
                # one stays text (see _make_loader).
                return value
            constructor = walker.scalars.get(tag)
            if constructor is None:
                raise _Unusual
            return _json_scalar(constructor(node(tag, value)))

        _tools = (resolve, construct)
    return _tools  # type: ignore[no-any-return]


def _json_scalar(value: Any) -> Any:
    """A constructed scalar as values.jsonable writes it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _loader() -> Any:
    global _loader_class
    if _loader_class is None:
        _loader_class = _make_loader()
    return _loader_class


def _make_loader() -> Any:
    """PyYAML's safe loader (the C one when available), lenient where notes need it.

    An impossible date (`2022-02-30`) stays a string instead of failing the whole
    frontmatter, a lone `=` is a string, and local tags (`!foo x`) give plain data.
    Python object tags still fail: nothing but plain data is ever constructed.
    """
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc]
        pass

    def timestamp(loader: Any, node: Any) -> Any:
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    def plain(loader: Any, node: Any) -> Any:
        return loader.construct_scalar(node)

    def local_tag(loader: Any, _suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_scalar(node)

    Loader.add_constructor(_PREFIX + "timestamp", timestamp)
    Loader.add_constructor(_PREFIX + "value", plain)
    Loader.add_multi_constructor("!", local_tag)
    return Loader
