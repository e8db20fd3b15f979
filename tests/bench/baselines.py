"""What notes-kb is measured against, each run as its own process by run.py.

    python -m tests.bench.baselines naive DIR DB   # python-frontmatter + sqlite-utils + FTS
    python -c "$WALK_SCRIPT" DIR                   # os.walk + os.stat of every note

`naive` is the pipeline one would write in an afternoon: one process, python-frontmatter.load
on each file, sqlite_utils insert_all, then enable_fts on title and body. TOML frontmatter is
read with tomllib (python-frontmatter only reads it when the third-party `toml` is installed),
so the baseline parses every note the way notes-kb does.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Iterator
from typing import Any

NOTE_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")

# Run as `python -c WALK_SCRIPT DIR`: nothing imported beyond os and sys.
WALK_SCRIPT = """
import os, sys
n = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".")]
    for name in files:
        if name.endswith(".md") and not name.startswith("."):
            os.stat(os.path.join(folder, name))
            n += 1
print(n)
"""


def note_files(top: str) -> Iterator[str]:
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.lower().endswith(NOTE_SUFFIXES) and not name.startswith("."):
                yield os.path.join(folder, name)


def _toml_handler() -> Any:
    from frontmatter.default_handlers import BaseHandler

    class TomllibHandler(BaseHandler):  # type: ignore[misc]
        FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
        START_DELIMITER = END_DELIMITER = "+++"

        def load(self, fm: str, **kwargs: Any) -> Any:
            return tomllib.loads(fm)

        def export(self, metadata: dict[str, Any], **kwargs: Any) -> str:
            raise NotImplementedError

    return TomllibHandler()


def naive(top: str, db_path: str) -> int:
    import frontmatter
    import sqlite_utils

    if not any(type(h).__name__ == "TomllibHandler" for h in frontmatter.handlers):
        frontmatter.handlers.append(_toml_handler())

    def rows() -> Iterator[dict[str, Any]]:
        for path in note_files(top):
            try:
                post = frontmatter.load(path)
            except Exception as exc:  # a broken note is skipped, as a quick script would
                print(f"{path}: {exc}", file=sys.stderr)
                continue
            meta = post.metadata
            yield {
                "path": path,
                "title": str(meta.get("title") or os.path.splitext(os.path.basename(path))[0]),
                "tags": json.dumps(meta.get("tags") or [], default=str),
                "body": post.content,
                "meta": json.dumps(meta, default=str),
            }

    db = sqlite_utils.Database(db_path)
    db["notes"].insert_all(rows(), pk="path", replace=True, batch_size=500)
    db["notes"].enable_fts(["title", "body"], create_triggers=True)
    return int(db["notes"].count)


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[0] == "naive":
        print(naive(argv[1], argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
