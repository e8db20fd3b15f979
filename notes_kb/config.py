"""The optional configuration file and where each effective setting came from.

`config.toml` lives in the user config folder (`paths.config_dir()`), or wherever
`--config FILE` or $NOTES_KB_CONFIG points. Every key is optional::

    index = "~/notes/.index.db"     # default index path
    sources = ["~/notes", "~/work/notes"]
    exclude = ["archive", "*.tmp.md"]
    revisit_tag = "revisit"
    date_fields = ["published"]
    editor = "hx"
    format = "table"

Precedence, strongest first: command-line option, environment, file, built-in default.
For the index: `--db`, then $NOTES_KB_DB, then the file, then the data folder. For the
editor, the notes-kb specific settings beat the general ones: $NOTES_KB_EDITOR, then the
file, then $VISUAL, then $EDITOR, then `vi`. Relative paths in the file are relative to
the file's folder.

`load()` is cached for the process; the cache is keyed on the options, the environment
variables read here and the file's stat, so it follows changes made by tests.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notes_kb import paths

if TYPE_CHECKING:
    import tomllib
from notes_kb.errors import NotesKbError

FILE_NAME = "config.toml"
KEYS = ("index", "sources", "exclude", "revisit_tag", "date_fields", "editor", "format")
FORMATS = ("table", "json", "jsonl", "csv", "paths")
DEFAULT_EDITOR = "vi"
_ENV_READ = (
    "NOTES_KB_CONFIG",
    "NOTES_KB_CONFIG_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "HOME",
    "NOTES_KB_DB",
    "NOTES_KB_EDITOR",
    "VISUAL",
    "EDITOR",
)
_TOML_LINE_RE = re.compile(r"\(at line (\d+), column (\d+)\)")


class ConfigError(NotesKbError):
    """The configuration file cannot be used"""


@dataclass(frozen=True)
class Origin:
    """Where a value came from: kind is default, file, env or option; detail names it."""

    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} ({self.detail})" if self.detail else self.kind


@dataclass(frozen=True)
class Config:
    """The effective settings. `file` is the config file that was read, if any."""

    index: Path
    sources: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    revisit_tag: str = "revisit"
    date_fields: tuple[str, ...] = ()
    editor: str = DEFAULT_EDITOR
    format: str = "table"
    file: Path | None = None
    origins: tuple[tuple[str, Origin], ...] = field(default=(), compare=False)

    def source_of(self, key: str) -> str:
        """ "default", "file", "env" or "option"."""
        return self.origin_of(key).kind

    def origin_of(self, key: str) -> Origin:
        if key not in KEYS:
            raise KeyError(key)
        return dict(self.origins).get(key, Origin("default"))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in KEYS:
            value = getattr(self, key)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


@dataclass(frozen=True)
class _Options:
    config_file: Path | None = None
    db: Path | None = None


_options = _Options()
_cache: tuple[tuple[Any, ...], Config] | None = None


def set_options(*, config_file: Path | None = None, db: Path | None = None) -> None:
    """Record the global command-line options (`--config FILE`, `--db PATH`)."""
    global _options
    _options = _Options(
        Path(config_file).expanduser() if config_file else None,
        Path(db).expanduser() if db else None,
    )


def reset() -> None:
    """Forget the options and the cached configuration."""
    global _cache
    set_options()
    _cache = None


def config_file() -> tuple[Path, Origin, bool]:
    """(the file to read, where its name came from, whether it must exist)."""
    if _options.config_file is not None:
        return _options.config_file, Origin("option", "--config"), True
    env = os.environ.get("NOTES_KB_CONFIG")
    if env:
        return Path(env).expanduser(), Origin("env", "NOTES_KB_CONFIG"), True
    return paths.config_dir() / FILE_NAME, Origin("default"), False


def load() -> Config:
    """The effective configuration (cached while its inputs are unchanged)."""
    global _cache
    path, _origin, required = config_file()
    try:
        st = path.stat()
        stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        stamp = None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    key = (_options, tuple(os.environ.get(name) for name in _ENV_READ), str(path), stamp)
    if _cache is not None and _cache[0] == key:
        return _cache[1]
    if stamp is None and required:
        raise ConfigError(f"{path}: no such config file")
    values = read_file(path) if stamp is not None else {}
    config = build(values, path if stamp is not None else None)
    _cache = (key, config)
    return config


def read_file(path: Path) -> dict[str, Any]:
    """Parse and check one config file; errors name the file (and the line for bad TOML)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    try:
        import tomllib  # only when there is a file: keeps start-up lean

        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_message(path, exc, text)) from exc
    return check(values, path)


def _toml_message(path: Path, exc: tomllib.TOMLDecodeError, text: str) -> str:
    message = str(exc)
    m = _TOML_LINE_RE.search(message)
    reason = _TOML_LINE_RE.sub("", message).replace("(at end of document)", "").strip()
    if m:
        return f"{path}: line {m.group(1)}, column {m.group(2)}: invalid TOML: {reason}"
    last = max(1, len(text.splitlines()))
    return f"{path}: line {last} (end of file): invalid TOML: {reason}"


def check(values: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Reject unknown keys and values of the wrong type."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown key {key!r} (known keys: {', '.join(KEYS)})")
        if key in ("sources", "exclude", "date_fields"):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{path}: {key} must be a list of non-empty strings")
            out[key] = tuple(value)
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: {key} must be a non-empty string")
        if key == "format" and value not in FORMATS:
            raise ConfigError(f"{path}: format must be one of: {', '.join(FORMATS)}")
        out[key] = value.strip() if key != "editor" else value
    return out


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def build(values: Mapping[str, Any], path: Path | None) -> Config:
    """Combine defaults, a checked file mapping, the environment and the options."""
    origins: dict[str, Origin] = {}
    base = path.parent if path is not None else Path.cwd()
    from_file = Origin("file", str(path)) if path is not None else Origin("default")
    kwargs: dict[str, Any] = {}

    for key in ("revisit_tag", "format", "date_fields", "exclude"):
        if key in values:
            kwargs[key] = values[key]
            origins[key] = from_file
    if "sources" in values:
        kwargs["sources"] = tuple(str(_resolve(v, base)) for v in values["sources"])
        origins["sources"] = from_file

    env_db = os.environ.get("NOTES_KB_DB")
    if _options.db is not None:
        index, origins["index"] = _options.db, Origin("option", "--db")
    elif env_db:
        index, origins["index"] = Path(env_db).expanduser(), Origin("env", "NOTES_KB_DB")
    elif "index" in values:
        index, origins["index"] = _resolve(values["index"], base), from_file
    else:
        index = paths.data_dir() / "index.db"

    editor, editor_origin = _editor(values, from_file)
    if editor_origin.kind != "default":
        origins["editor"] = editor_origin
    return Config(
        index=index,
        editor=editor,
        file=path,
        origins=tuple((k, origins[k]) for k in KEYS if k in origins),
        **kwargs,
    )


def _editor(values: Mapping[str, Any], from_file: Origin) -> tuple[str, Origin]:
    specific = os.environ.get("NOTES_KB_EDITOR", "").strip()
    if specific:
        return specific, Origin("env", "NOTES_KB_EDITOR")
    if "editor" in values:
        return str(values["editor"]), from_file
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return value, Origin("env", name)
    return DEFAULT_EDITOR, Origin("default")
