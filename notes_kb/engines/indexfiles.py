"""The files notes-kb keeps inside the Whoosh index folder, beside Whoosh's own.

* ``notes-kb.json``: the schema version, the importer generation the index matches, the
  Whoosh table-of-contents generation, and the size of each index file at that generation
  (a file of another size means a damaged index);
* ``words.json``: every indexed word by length and first letter (:mod:`.lexicon`), tagged
  with the table-of-contents generation it describes.

Both are written to a temporary name and renamed, so readers never see half a file.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from notes_kb.engines.lexicon import Buckets, add_to_buckets

META_FILE = "notes-kb.json"
WORDS_FILE = "words.json"


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def read_meta(directory: Path) -> dict[str, Any]:
    return _read_json(directory / META_FILE)


def write_meta(directory: Path, schema: int, generation: str, toc: int) -> None:
    files = {
        entry.name: entry.stat().st_size
        for entry in os.scandir(directory)
        if entry.is_file()
        and "LOCK" not in entry.name
        and entry.name not in (META_FILE, WORDS_FILE)
        and not entry.name.endswith(".tmp")
    }
    meta = {"schema": schema, "generation": generation, "toc": toc, "files": files}
    _write_json(directory / META_FILE, meta)


def files_intact(directory: Path, meta: dict[str, Any], toc: int) -> bool:
    """False when a file recorded for this table-of-contents generation is gone or has
    another size (when the generation moved on, another process wrote: nothing to check)."""
    if meta.get("toc") != toc:
        return True
    try:
        return all(
            os.path.getsize(directory / name) == size
            for name, size in dict(meta.get("files", {})).items()
        )
    except (OSError, TypeError, ValueError):
        return False


def load_words(directory: Path, toc: int) -> Buckets | None:
    saved = _read_json(directory / WORDS_FILE)
    buckets = saved.get("buckets")
    if saved.get("toc") != toc or not isinstance(buckets, dict):
        return None
    return buckets


def save_words(directory: Path, toc: int, buckets: Buckets) -> None:
    _write_json(directory / WORDS_FILE, {"toc": toc, "buckets": buckets})


def extend_words(directory: Path, before: int, after: int, new_words: Iterable[str]) -> None:
    """Carry the word list over to a new generation with the words just indexed (words of
    removed notes stay listed: lookups skip words no note has). A list that was already
    behind is left alone, to be rebuilt from the index when next needed."""
    buckets = load_words(directory, before)
    if buckets is not None:
        save_words(directory, after, add_to_buckets(buckets, new_words))


def clean_leftovers(index_dir: Path) -> None:
    """Remove the build folders of processes that were killed mid-build."""
    for stale in index_dir.parent.glob(glob.escape(index_dir.name) + ".*-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if stale.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
