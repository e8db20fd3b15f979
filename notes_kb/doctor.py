"""Check the index and repair what can be repaired. Returns a DoctorReport.

Checks, in order: the SQLite file (PRAGMA integrity_check; REINDEX when only indexes are
out of step), the full-text index (rebuilt when it disagrees with the notes), orphaned child
rows, notes whose file is gone, the search-engine hook, and notes whose frontmatter has
problems (listed, not changed: the fix is in the note).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notes_kb.store import health

# Statuses: ok and info need nothing; repaired was fixed; problem was found and left as it is
# (because repairs were not asked for); failed cannot be repaired here.
OK, INFO, REPAIRED, SKIPPED = "ok", "info", "repaired", "skipped"
PROBLEM, FAILED = "problem", "failed"
BAD = (PROBLEM, FAILED)


@dataclass
class Check:
    name: str
    status: str
    summary: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "status": self.status,
            "summary": self.summary,
            "details": self.details,
        }


@dataclass
class DoctorReport:
    index: str
    repair: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Nothing is left wrong with the index (notes' own problems do not count)."""
        return not any(c.status in BAD for c in self.checks)

    @property
    def repaired(self) -> list[Check]:
        return [c for c in self.checks if c.status == REPAIRED]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "healthy": self.healthy,
            "repaired": [c.name for c in self.repaired],
            "checks": [c.as_dict() for c in self.checks],
        }

    def verdict(self) -> str:
        if any(c.status == FAILED for c in self.checks):
            return "the index cannot be repaired: delete it and run `notes-kb import FOLDER` again"
        if not self.healthy:
            return "problems found; run `notes-kb doctor` without --check to repair them"
        if self.repaired:
            return f"healthy after repairs ({', '.join(c.name for c in self.repaired)})"
        return "healthy"

    def __str__(self) -> str:
        lines = [f"index: {self.index}"]
        for check in self.checks:
            lines.append(f"{check.status:<9} {check.name:<16} {check.summary}")
            shown = check.details[:DETAIL_LINES]
            lines += [f"{'':<9} {'':<16} {d}" for d in shown]
            if len(check.details) > len(shown):
                more = len(check.details) - len(shown)
                lines.append(f"{'':<9} {'':<16} … and {more} more (--format json lists all)")
        lines.append(self.verdict())
        return "\n".join(lines)


DETAIL_LINES = 20
EngineCheck = Callable[[Path, bool], list[str] | None]


def run_doctor(
    conn: sqlite3.Connection,
    db_path: Path,
    *,
    repair: bool = True,
    engine_check: EngineCheck | None = None,
) -> DoctorReport:
    """Run every check; with `repair`, fix what is found inside one transaction per step.

    Callers hold `importer.import_lock` so no import writes while the doctor repairs.
    """
    report = DoctorReport(str(db_path), repair)
    file_check = _integrity(conn, repair)
    report.checks.append(file_check)
    if file_check.status == FAILED:
        return report  # the other checks would read a damaged file
    steps: list[Callable[[sqlite3.Connection, bool], Check]] = [_fts, _orphans, _vanished]
    for step in steps:
        report.checks.append(_guarded(step, conn, repair))
    report.checks.append(_engine(engine_check or find_engine_check(), db_path, repair))
    report.checks.append(_guarded(_note_problems, conn, repair))
    # Repairs of the SQLite side change what the engines derive from it; the Whoosh repair
    # itself does not (marking it would make the fresh Whoosh index look stale again).
    if repair and any(c.name != "whoosh index" for c in report.repaired):
        _in_transaction(conn, lambda: health.mark_changed(conn, _now()))
    return report


def _guarded(
    step: Callable[[sqlite3.Connection, bool], Check], conn: sqlite3.Connection, repair: bool
) -> Check:
    name = step.__name__.strip("_").replace("_", " ")
    try:
        return step(conn, repair)
    except sqlite3.DatabaseError as exc:
        return Check(name, FAILED, f"could not be checked: {exc}")


def _in_transaction(conn: sqlite3.Connection, action: Callable[[], None]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        action()
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _integrity(conn: sqlite3.Connection, repair: bool) -> Check:
    name = "database file"
    try:
        problems = health.integrity(conn)
    except sqlite3.DatabaseError as exc:
        return Check(name, FAILED, f"the index file is damaged ({exc})")
    if not problems:
        return Check(name, OK, "PRAGMA integrity_check: ok")
    summary = f"{len(problems)} problems reported by PRAGMA integrity_check"
    if not health.only_index_problems(problems):
        return Check(name, FAILED, summary, problems)
    if not repair:
        return Check(name, PROBLEM, summary + " (REINDEX repairs them)", problems)
    try:
        _in_transaction(conn, lambda: health.reindex(conn))
        left = health.integrity(conn)
    except sqlite3.DatabaseError as exc:
        return Check(name, FAILED, f"{summary}; REINDEX failed: {exc}", problems)
    if left:
        return Check(name, FAILED, f"{summary}; still damaged after REINDEX", left)
    return Check(name, REPAIRED, f"{summary}; rebuilt the indexes", problems)


def _fts(conn: sqlite3.Connection, repair: bool) -> Check:
    name = "full-text index"
    problems = health.fts_problems(conn)
    if not problems:
        return Check(name, OK, "consistent with the notes")
    summary = "; ".join(problems)
    if not repair:
        return Check(name, PROBLEM, summary)
    _in_transaction(conn, lambda: health.rebuild_fts(conn))
    left = health.fts_problems(conn)
    if left:
        return Check(name, FAILED, f"{summary}; still wrong after a rebuild: {'; '.join(left)}")
    return Check(name, REPAIRED, f"{summary}; rebuilt")


def _orphans(conn: sqlite3.Connection, repair: bool) -> Check:
    name = "orphaned rows"
    found = health.orphans(conn)
    if not found:
        return Check(name, OK, "every tag, author, category and link belongs to a note")
    details = [f"{table}: {n}" for table, n in found.items()]
    summary = f"{sum(found.values())} rows refer to notes that no longer exist"
    if not repair:
        return Check(name, PROBLEM, summary, details)
    _in_transaction(conn, lambda: health.remove_orphans(conn))
    left = health.orphans(conn)
    if left:
        return Check(name, FAILED, f"{summary}; some remain after the repair", details)
    return Check(name, REPAIRED, f"{summary}; removed", details)


def _vanished(conn: sqlite3.Connection, repair: bool) -> Check:
    name = "vanished files"
    gone: list[tuple[int, str]] = []
    kept: dict[str, int] = {}
    for note_id, path, source in health.note_files(conn):
        if os.path.isfile(path):
            continue
        if source and not os.path.exists(source):
            kept[source] = kept.get(source, 0) + 1  # an unmounted drive, say: keep its notes
            continue
        gone.append((note_id, path))
    details = [f"{path}: file not found" for _i, path in gone]
    details += [
        f"{src}: source folder not found; its {n} notes were kept" for src, n in kept.items()
    ]
    if not gone:
        if kept:
            return Check(name, INFO, f"{len(kept)} source folders are missing", details)
        return Check(name, OK, "every note's file exists")
    summary = f"{len(gone)} notes whose file is gone"
    if not repair:
        return Check(name, PROBLEM, summary, details)
    _in_transaction(conn, lambda: health.remove_notes(conn, [i for i, _p in gone]))
    return Check(name, REPAIRED, f"{summary}; removed from the index", details)


def _note_problems(conn: sqlite3.Connection, repair: bool) -> Check:
    name = "note problems"
    problems = health.note_problems(conn)
    if not problems:
        return Check(name, OK, "no frontmatter problems")
    paths = {p for p, _r in problems}
    return Check(
        name,
        INFO,
        f"{len(paths)} notes have frontmatter problems (indexed; fix them in the notes)",
        [f"{path}: {reason}" for path, reason in problems],
    )


# -- search engines --------------------------------------------------------------------------

ENGINE_CHECK_NAMES = ("check_whoosh", "check_index", "doctor")


def find_engine_check() -> EngineCheck | None:
    """The Whoosh engine's own check, when it provides one.

    The hook: `notes_kb.engines.whoosh.check_whoosh(db_path, repair) -> list[str] | None`,
    returning what it found wrong (and repaired when `repair`); an empty list or None
    means healthy.
    """
    try:
        from notes_kb.engines import whoosh  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return None
    for attr in ENGINE_CHECK_NAMES:
        func = getattr(whoosh, attr, None)
        if callable(func):
            return func  # type: ignore[no-any-return]
    return None


def _engine(check: EngineCheck | None, db_path: Path, repair: bool) -> Check:
    name = "whoosh index"
    if check is None:
        return Check(name, SKIPPED, "no Whoosh check available")
    try:
        found = check(db_path, repair)
    except Exception as exc:
        return Check(name, FAILED, f"the check failed: {type(exc).__name__}: {exc}")
    if not found:
        return Check(name, OK, "consistent with the notes")
    if repair:
        return Check(name, REPAIRED, f"{len(found)} problems; repaired", list(found))
    return Check(name, PROBLEM, f"{len(found)} problems", list(found))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
