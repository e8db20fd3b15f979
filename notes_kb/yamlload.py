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
from collections.abc import Callable
from typing import Any

from notes_kb.values import TooLarge, jsonable, scalar_text

MAX_NODES = 20000
MAX_DEPTH = 64

_PREFIX = "tag:yaml.org,2002:"
_STR = _PREFIX + "str"
_MAP = _PREFIX + "map"
_SEQ = _PREFIX + "seq"


class _Unusual(Exception):
    """The document needs PyYAML's full safe constructor."""


_loader_class: Any = None


def load(text: str) -> Any:
    """The document as JSON-safe data (see values.jsonable); PyYAML errors or TooLarge."""
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

    def mapping(self, node: Any, depth: int) -> dict[str, Any]:
        raw: dict[Any, Any] = {}
        plain_keys = True
        for key_node, value_node in node.value:
            if type(key_node) is not self.scalar_node:
                raise _Unusual  # a list or mapping as a key: the constructor's error
            if key_node.tag != _STR:
                plain_keys = False
            raw[self.scalar(key_node)] = value_node
        if plain_keys:
            return {key.strip(): self.value(value, depth + 1) for key, value in raw.items()}
        # Keys such as 1, true or a date become text, as values.jsonable writes them.
        return {
            scalar_text(key) if key is not None else "": self.value(value, depth + 1)
            for key, value in raw.items()
        }


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
