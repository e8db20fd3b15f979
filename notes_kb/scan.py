"""Folders -> note files with their stat data. Skips hidden folders and symlink loops."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import NamedTuple

NOTE_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")


class FileStat(NamedTuple):
    """A note file (a tuple: the stat walk before every query makes one per note)."""

    path: str  # absolute, as found (symlinks to files are followed, not resolved)
    mtime_ns: int
    size: int
    inode: int


# A FileStat made from a tuple without NamedTuple's Python-level __new__ (one per note).
_new = tuple.__new__


@dataclass
class ScanProblem:
    path: str
    error: str


def is_note(name: str) -> bool:
    return name.lower().endswith(NOTE_SUFFIXES) and not name.startswith(".")


def scan(
    roots: Iterable[str],
    *,
    exclude: Iterable[str] = (),
    problems: list[ScanProblem] | None = None,
    stat: bool = True,
) -> Iterator[FileStat]:
    """Yield every note file under the roots (a root may also be a single file).

    `stat=False`: the files under a folder come with 0 for mtime, size and inode, for a
    caller that needs only their paths (one system call less per note: 0.5 s per 100k)."""
    patterns = tuple(exclude)
    seen_dirs: set[tuple[int, int]] = set()
    for root in roots:
        root = os.path.abspath(root)
        try:
            st = os.stat(root)
        except OSError as exc:
            if problems is not None:
                problems.append(ScanProblem(root, exc.strerror or str(exc)))
            continue
        if not os.path.isdir(root):
            yield FileStat(root, st.st_mtime_ns, st.st_size, st.st_ino)
            continue
        yield from _walk(root, patterns, seen_dirs, problems, stat)


def _walk(
    top: str,
    patterns: tuple[str, ...],
    seen: set[tuple[int, int]],
    problems: list[ScanProblem] | None,
    stat: bool,
) -> Iterator[FileStat]:
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue  # a symlink loop, or a folder reached twice
        seen.add(key)
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if problems is not None:
                problems.append(ScanProblem(folder, exc.strerror or str(exc)))
            continue
        subdirs: list[str] = []
        notes: list[FileStat] = []
        for entry in entries:
            name = entry.name
            if name[0] == ".":
                continue
            if patterns and any(fnmatch(name, p) or fnmatch(entry.path, p) for p in patterns):
                continue
            try:
                if entry.is_dir():
                    subdirs.append(entry.path)
                elif name.lower().endswith(NOTE_SUFFIXES) and entry.is_file():
                    if stat:
                        est = entry.stat()
                        fields = (entry.path, est.st_mtime_ns, est.st_size, est.st_ino)
                    else:
                        fields = (entry.path, 0, 0, 0)
                    notes.append(_new(FileStat, fields))
            except OSError as exc:
                if problems is not None:
                    problems.append(ScanProblem(entry.path, exc.strerror or str(exc)))
        yield from notes
        stack.extend(sorted(subdirs, reverse=True))
