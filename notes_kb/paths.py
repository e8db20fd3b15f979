"""The one environment seam: where the index and the configuration live."""

from __future__ import annotations

import os
from pathlib import Path

APP = "notes-kb"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / APP


def config_dir() -> Path:
    explicit = os.environ.get("NOTES_KB_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / APP


def index_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--db PATH`, else NOTES_KB_DB, else `index` in config.toml, else the data directory."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("NOTES_KB_DB")
    if env:
        return Path(env).expanduser()
    from notes_kb import config

    return config.load().index
