"""Keep the index current while notes change: file events -> debounce -> incremental import.

Events only say which source changed; the importer's stat walk then finds what changed
(created, modified, moved, deleted), so a burst of events costs one import.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from notes_kb.model import ImportReport
from notes_kb.scan import is_note

DEBOUNCE = 0.2  # seconds of quiet before importing
MAX_DELAY = 0.8  # import at the latest this long after the first pending event
_IGNORED_EVENTS = ("opened", "closed_no_write")


def distinct_roots(paths: Iterable[str]) -> list[str]:
    """Absolute, de-duplicated, and without roots that lie inside another root."""
    roots = sorted({os.path.abspath(p) for p in paths})
    out: list[str] = []
    for root in roots:
        if not any(root.startswith(kept.rstrip(os.sep) + os.sep) for kept in out):
            out.append(root)
    return out


@dataclass
class Summary:
    roots: list[str]
    imports: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    moved: int = 0
    failed: int = 0
    seconds: float = 0.0

    def add(self, report: ImportReport) -> None:
        self.imports += 1
        self.added += report.added
        self.updated += report.updated
        self.removed += report.removed
        self.moved += report.moved
        self.failed += len(report.failed)

    def __str__(self) -> str:
        folders = f"{len(self.roots)} folder{'' if len(self.roots) == 1 else 's'}"
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.removed} removed"]
        if self.moved:
            parts.append(f"{self.moved} moved")
        if self.failed:
            parts.append(f"{self.failed} failed")
        runs = f"{self.imports} import{'' if self.imports == 1 else 's'}"
        return f"watched {folders} for {_duration(self.seconds)}: {runs}, {', '.join(parts)}"


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{seconds:.1f}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


class Relevance:
    """Which paths under the roots can change the index (notes and folders, not hidden)."""

    def __init__(self, roots: Sequence[str], exclude: Sequence[str] = ()) -> None:
        self.roots = list(roots)
        self.exclude = tuple(exclude)
        self.dirs = [r for r in self.roots if os.path.isdir(r)]

    def root_for(self, path: str) -> str | None:
        best: str | None = None
        for root in self.roots:
            inside = path == root or path.startswith(root.rstrip(os.sep) + os.sep)
            if inside and (best is None or len(root) > len(best)):
                best = root
        return best

    def check(self, path: str, is_directory: bool, event_type: str) -> str | None:
        """The root to re-import for an event on `path`, or None."""
        root = self.root_for(path)
        if root is None:
            return None
        if path == root:
            return root if root not in self.dirs or event_type != "modified" else None
        if is_directory and event_type not in ("created", "deleted", "moved"):
            return None
        if not is_directory and not is_note(os.path.basename(path)):
            return None
        current = root
        for part in Path(os.path.relpath(path, root)).parts:
            current = os.path.join(current, part)
            if part.startswith("."):
                return None
            if self.exclude and any(fnmatch(part, p) or fnmatch(current, p) for p in self.exclude):
                return None
        return root


def _observer(roots: Sequence[str], handler: Any, warn: Callable[[str], None]) -> Any:
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    for kind in (Observer, PollingObserver):
        observer = kind()
        try:
            for root in roots:
                if os.path.isdir(root):
                    observer.schedule(handler, root, recursive=True)
                else:
                    observer.schedule(handler, os.path.dirname(root), recursive=False)
            observer.start()
            return observer
        except OSError as exc:  # e.g. the inotify watch limit
            if kind is PollingObserver:
                raise
            warn(f"file events unavailable ({exc.strerror or exc}); polling instead")
    raise AssertionError("unreachable")


def _handler(relevance: Relevance, pending: queue.SimpleQueue[str]) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in _IGNORED_EVENTS:
                return
            for raw in (event.src_path, getattr(event, "dest_path", "")):
                path = os.fsdecode(raw) if raw else ""
                if path:
                    root = relevance.check(path, event.is_directory, event.event_type)
                    if root is not None:
                        pending.put(root)

    return Handler()


@dataclass
class Watcher:
    """Watch `roots` until `stop` is set, importing each changed root after a quiet spell."""

    conn: sqlite3.Connection
    db_path: Path
    roots: list[str]
    exclude: Sequence[str] = ()
    revisit_tag: str = "revisit"
    debounce: float = DEBOUNCE
    max_delay: float = MAX_DELAY
    on_import: Callable[[list[str], ImportReport], None] | None = None
    warn: Callable[[str], None] = lambda _message: None
    stop: threading.Event = field(default_factory=threading.Event)

    def sync(self, roots: Sequence[str]) -> ImportReport:
        from notes_kb.importer import guarded_import

        return guarded_import(
            self.conn,
            self.db_path,
            list(roots),
            exclude=self.exclude,
            revisit_tag=self.revisit_tag,
        )

    def run(self, on_ready: Callable[[ImportReport], None] | None = None) -> Summary:
        """Start watching, bring the index up to date, call `on_ready`, then loop."""
        started = time.monotonic()
        summary = Summary(self.roots)
        pending: queue.SimpleQueue[str] = queue.SimpleQueue()
        observer = _observer(
            self.roots, _handler(Relevance(self.roots, self.exclude), pending), self.warn
        )
        try:
            # Events from here on are queued, so nothing is missed between this import and
            # the loop; a change it already saw only costs one more stat walk.
            initial = self.sync(self.roots)
            if on_ready:
                on_ready(initial)
            dirty: set[str] = set()
            first = last = 0.0
            while not self.stop.is_set():
                now = time.monotonic()
                if dirty and now >= min(last + self.debounce, first + self.max_delay):
                    while not pending.empty():
                        dirty.add(pending.get_nowait())
                    roots, dirty = sorted(dirty), set()
                    report = self.sync(roots)
                    summary.add(report)
                    if self.on_import:
                        self.on_import(roots, report)
                    continue
                wait = min(last + self.debounce, first + self.max_delay) - now if dirty else 0.25
                try:
                    root = pending.get(timeout=max(wait, 0.001))
                except queue.Empty:
                    continue
                now = time.monotonic()
                if not dirty:
                    first = now
                dirty.add(root)
                last = now
        finally:
            observer.stop()
            observer.join(timeout=5)
            summary.seconds = time.monotonic() - started
        return summary
