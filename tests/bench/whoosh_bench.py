"""The Whoosh engine on a notebook: build, incremental update, fuzzy search latency.

    python -m tests.bench.whoosh_bench .bench/notebook-10000 [--runs 5] [--queries 5]

Figures, in one run:

* full build of the Whoosh index (`reindex --engine whoosh`, in process) against a naive
  Whoosh build of the same notes: one default writer, ``add_document`` per note, every text
  field with ``StemmingAnalyzer``;
* the incremental update after one edited note (in process: the lazy check and update the
  first Whoosh query after an import pays), median over several notes;
* end-to-end `search` latency (whole processes, median of --runs after a warm-up): plain
  FTS5 against `--fuzzy` (Whoosh) on note titles with one typo in their longest word.

The notebook is imported into .bench/whoosh-<folder>.db (kept and refreshed between runs);
the edit for the update figure is made in that index only, never in the notebook's files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from notes_kb.engines.text import words

BENCH_DIR = Path(__file__).resolve().parents[2] / ".bench"
NKB = str(Path(sys.executable).parent / "notes-kb")
ENV = {k: v for k, v in os.environ.items() if k not in ("NOTES_KB_DB", "NOTES_KB_NO_REFRESH")}
ENV["NO_COLOR"] = "1"


def import_notebook(folder: Path, db: Path) -> float:
    from notes_kb.importer import guarded_import
    from notes_kb.store.db import connect

    started = time.perf_counter()
    conn = connect(db)
    try:
        guarded_import(conn, db, [str(folder)])
    finally:
        conn.close()
    return time.perf_counter() - started


def open_db(db: Path):  # type: ignore[no-untyped-def]
    from notes_kb.store.db import connect
    from notes_kb.store.read import prepare

    return prepare(connect(db))


def full_build(db: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds (this process and its workers) of a full notes-kb build."""
    from notes_kb.engines.whoosh import WhooshEngine

    conn = open_db(db)
    wall, cpu = time.perf_counter(), _cpu()
    count = WhooshEngine(conn, db).reindex()
    return time.perf_counter() - wall, _cpu() - cpu, count


def naive_build(db: Path) -> tuple[float, float]:
    """The textbook Whoosh build: one default writer, StemmingAnalyzer on every text field."""
    from whoosh import index
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import ID, STORED, TEXT, Schema

    conn = open_db(db)
    rows = conn.execute("SELECT id, path, title, body, tags, authors FROM notes").fetchall()
    folder = Path(tempfile.mkdtemp(prefix="naive-whoosh-"))
    wall, cpu = time.perf_counter(), _cpu()
    try:
        schema = Schema(
            path=ID(unique=True, stored=True),
            nid=STORED(),
            title=TEXT(analyzer=StemmingAnalyzer()),
            body=TEXT(analyzer=StemmingAnalyzer()),
            tags=TEXT(analyzer=StemmingAnalyzer()),
            authors=TEXT(analyzer=StemmingAnalyzer()),
        )
        ix = index.create_in(str(folder), schema)
        writer = ix.writer()
        for nid, path, title, body, tags, authors in rows:
            writer.add_document(
                path=path,
                nid=nid,
                title=title or "",
                body=body or "",
                tags=tags or "",
                authors=authors or "",
            )
        writer.commit()
        return time.perf_counter() - wall, _cpu() - cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def incremental_updates(db: Path, edits: int) -> list[float]:
    """Edit one note in the index (as an import would) and time the Whoosh catch-up."""
    from notes_kb.engines.whoosh import WhooshEngine
    from notes_kb.store import write

    conn = open_db(db)
    WhooshEngine(conn, db).ensure()
    ids = [row[0] for row in conn.execute("SELECT id FROM notes ORDER BY id")]
    times = []
    for note_id in random.Random(5).sample(ids, edits):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE notes SET body = body || ' benchmarkedit', hash = hash || 'e' WHERE id = ?",
            (note_id,),
        )
        write.set_state(conn, "generation", str(time.time_ns()))
        conn.execute("COMMIT")
        engine = WhooshEngine(conn, db)
        started = time.perf_counter()
        engine.ensure()
        times.append(time.perf_counter() - started)
        assert engine.updated == 1 and not engine.rebuilt, (engine.updated, engine.rebuilt)
    return times


def typo(word: str, rnd: random.Random) -> str:
    i = rnd.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two letters


def title_queries(db: Path, count: int) -> list[tuple[str, str]]:
    """(title as words, the same with one typo in its longest word) for random notes."""
    conn = open_db(db)
    titles = [
        words(t)
        for (t,) in conn.execute("SELECT title FROM notes ORDER BY id")
        if t and max(map(len, words(t)), default=0) >= 5
    ]
    rnd = random.Random(11)
    out = []
    for title in rnd.sample(titles, min(count, len(titles))):
        longest = max(title, key=len)
        at = title.index(longest)
        out.append((" ".join(title), " ".join([*title[:at], typo(longest, rnd), *title[at + 1 :]])))
    return out


def cli_median(args: list[str], runs: int) -> float:
    subprocess.run(args, capture_output=True, env=ENV, check=True)  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, env=ENV, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _cpu() -> float:
    own = os.times()
    return own.user + own.system + own.children_user + own.children_system


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, help="A folder of notes, e.g. .bench/notebook-10000")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per CLI figure.")
    parser.add_argument("--queries", type=int, default=5, help="Title queries to time.")
    parser.add_argument("--edits", type=int, default=5, help="Edited notes to time.")
    parser.add_argument("--skip-naive", action="store_true", help="Skip the naive build.")
    args = parser.parse_args(argv)
    if not args.notebook.is_dir():
        parser.error(f"no such folder: {args.notebook}")
    BENCH_DIR.mkdir(exist_ok=True)
    db = BENCH_DIR / f"whoosh-{args.notebook.resolve().name}.db"
    imported = import_notebook(args.notebook, db)
    notes = open_db(db).execute("SELECT count(*) FROM notes").fetchone()[0]
    print(
        f"{notes:,} notes from {args.notebook} (import/refresh {imported:.1f} s), "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}",
        flush=True,
    )

    rows: list[tuple[str, str, str, str]] = []
    wall, cpu, _count = full_build(db)
    rows.append(("full build", f"{wall:.2f} s (cpu {cpu:.1f} s)", "", ""))
    if not args.skip_naive:
        naive_wall, naive_cpu = naive_build(db)
        rows[-1] = (
            "full build vs naive Whoosh",
            f"{wall:.2f} s (cpu {cpu:.1f} s)",
            f"{naive_wall:.2f} s (cpu {naive_cpu:.1f} s)",
            f"{naive_wall / wall:.2f}x faster",
        )
    updates = incremental_updates(db, args.edits)
    rows.append(
        (
            "update after one edited note",
            f"{statistics.median(updates) * 1000:.0f} ms (max {max(updates) * 1000:.0f})",
            "",
            "target < 1 s: " + ("PASS" if max(updates) < 1 else "MISS"),
        )
    )
    base = [NKB, "--db", str(db), "search", "--no-refresh", "--format", "paths", "--limit", "5"]
    for correct, typed in title_queries(db, args.queries):
        plain = cli_median([*base, correct], args.runs)
        fuzzy = cli_median([*base, "--fuzzy", typed], args.runs)
        found = subprocess.run(
            [*base, "--fuzzy", typed], capture_output=True, env=ENV, check=True, text=True
        ).stdout.splitlines()
        rank = next(
            (i for i, p in enumerate(found, 1) if words(_title(db, p)) == correct.split()), 0
        )
        rows.append(
            (
                f"search {typed!r}",
                f"--fuzzy {fuzzy * 1000:.0f} ms (rank {rank or '-'})",
                f"fts5 {correct!r} {plain * 1000:.0f} ms",
                f"{fuzzy / plain:.2f}x (target <= 3x: {'PASS' if fuzzy <= 3 * plain else 'MISS'})",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    header = ("figure", "notes-kb", "baseline", "ratio")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    (BENCH_DIR / "whoosh_bench.json").write_text(json.dumps({"notes": notes, "rows": rows}))


def _title(db: Path, path: str) -> str:
    row = open_db(db).execute("SELECT title FROM notes WHERE path = ?", (path,)).fetchone()
    return str(row[0]) if row else ""


if __name__ == "__main__":
    main()
