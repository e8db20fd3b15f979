"""`make bench`: notes-kb end to end against simple baselines, on synthetic notebooks.

    python -m tests.bench.run            # 10k and 100k notes
    python -m tests.bench.run --quick    # 2k notes only

Every figure is a whole process, as a user runs it: cold import and its peak memory against
a naive python-frontmatter + sqlite-utils script; a re-import with nothing changed against a
bare os.walk + os.stat; a re-import after one note changed; `search WORD --format paths` with
and without the pre-query refresh against `rg -il WORD`; `--help` against `python -c pass`.
Timings are medians of several runs taken in turns after one warm-up run of each command, so
the page cache is warm for all. Peak memory is the summed RSS of the import's process tree
(workers included), sampled every 50 ms. A cold import still running after --import-timeout
seconds is killed and the rest of that notebook skipped; --reuse-index keeps an existing
.bench/bench-N.db instead of importing again. Results go to stdout, .bench/results.json and
.bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.bench import gen
from tests.bench.baselines import WALK_SCRIPT

BIN = Path(sys.executable).parent
PYTHON = sys.executable
NKB = str(BIN / "notes-kb")
PROBE_FRACTIONS = (0.5, 0.05, 0.005, 0.0005)  # share of notes holding each searched word
TIMEOUT = 3600.0
MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# -- running and measuring processes ------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # PYTHONDONTWRITEBYTECODE would recompile notes_kb on every start, which no user sees.
    for key in ("NOTES_KB_NO_REFRESH", "NOTES_KB_DB", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    env["NO_COLOR"] = "1"
    return env


ENV = _env()


def rg_binary() -> str:
    for candidate in (BIN / "rg", shutil.which("rg")):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    raise SystemExit("ripgrep (`rg`) not found: `.venv/bin/pip install ripgrep` or apt install it")


@dataclass
class Proc:
    seconds: float
    stdout: str
    peak_rss: int  # bytes: the process tree's summed RSS, sampled (shared pages count per process)
    max_rss: int  # bytes: ru_maxrss of the largest single process
    timed_out: bool = False


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
            except OSError:
                pass
    return out


def _memory(pid: int) -> int:
    """Resident set size of one process in bytes (statm: cheap enough to sample often)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def measured(cmd: Sequence[str], *, timeout: float = TIMEOUT) -> Proc:
    """Run once, timing it and sampling its process tree's memory every 50 ms.

    A run past `timeout` seconds is killed (with its workers) and comes back `timed_out`.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=ENV, start_new_session=True)
        peak = 0
        timed_out = False
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, timed_out
            while not done.wait(0.05):
                peak = max(peak, sum(_memory(p) for p in _tree(proc.pid)))
                if not timed_out and time.perf_counter() - started > timeout:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0 and not timed_out:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr[-2000:]}")
    max_rss = usage.ru_maxrss * 1024
    return Proc(seconds, stdout, max(peak, max_rss), max_rss, timed_out)


def timed(cmd: Sequence[str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=ENV, timeout=TIMEOUT, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # rg exits 1 when nothing matched
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]!r}")
    return seconds, proc.stdout.decode(errors="replace")


def medians(
    commands: dict[str, Sequence[str]], runs: int, before: Callable[[], None] | None = None
) -> dict[str, tuple[float, str]]:
    """Median wall time of each command over `runs` turns, after one untimed warm-up each."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for name, cmd in commands.items():
        if before:
            before()
        outputs[name] = timed(cmd)[1]
    for _ in range(runs):
        for name, cmd in commands.items():
            if before:
                before()
            seconds, outputs[name] = timed(cmd)
            times[name].append(seconds)
    for name, values in times.items():
        log(f"    {name}: median {statistics.median(values):.3f} s, min {min(values):.3f} s")
    return {name: (statistics.median(times[name]), outputs[name]) for name in commands}


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


# -- results ------------------------------------------------------------------------------------


@dataclass
class Row:
    notes: int
    figure: str
    value: float
    unit: str  # "s" or "B"
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    ratio: float | None = None
    ok: bool | None = None  # None: no target, shown for context
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def result(self) -> str:
        return "" if self.ok is None else "PASS" if self.ok else "MISS"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "B":
        return f"{value / MB:,.0f} MB"
    return f"{value:.2f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def _cells(row: Row) -> list[str]:
    baseline = f"{_fmt(row.baseline_value, row.unit)} {row.baseline}".strip()
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
    return [
        f"{row.notes:,}" if row.notes else "-",
        row.figure,
        _fmt(row.value, row.unit),
        baseline,
        ratio,
        row.target,
        row.result,
    ]


HEADER = ["notes", "figure", "notes-kb", "baseline", "ratio", "target", "result"]


def text_table(rows: Sequence[Row]) -> str:
    cells = [HEADER] + [_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in _cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def environment() -> dict[str, Any]:
    def version(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=False).stdout
        except OSError:
            return ""
        return out.splitlines()[0] if out else ""

    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "notes_kb": version([PYTHON, "-c", "import notes_kb; print(notes_kb.__version__)"]),
        "ripgrep": version([rg_binary(), "--version"]),
    }


# -- the benchmark --------------------------------------------------------------------------------


@dataclass
class Targets:
    import_ratio: float = 1.0  # cold import / naive
    reimport_ratio: float = 5.0  # no-change re-import / walk+stat
    search_refresh: float = 2.3  # search / rg
    search_no_refresh: float = 1.6
    cold_seconds: float | None = None
    cold_bytes: float | None = None


def targets_for(n: int) -> Targets:
    if n >= 100_000:
        return Targets(
            search_refresh=1.0, search_no_refresh=0.2, cold_seconds=30.0, cold_bytes=1024 * MB
        )
    return Targets()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def compare(
    rows: list[Row],
    n: int,
    figure: str,
    value: float,
    baseline: str,
    base: float,
    limit: float | None,
    **extra: Any,
) -> None:
    """A row judged by value / base against `limit` (a ratio below 1 reads as "N x faster")."""
    ratio = value / base if base else None
    target = ""
    if limit is not None:
        target = f"<= {limit:g}x" if limit >= 1 else f">= {1 / limit:g}x faster"
    ok = None if limit is None or ratio is None else ratio <= limit
    rows.append(Row(n, figure, value, "s", baseline, base, target, ratio, ok, extra))


def _notes_in(db: Path) -> int | None:
    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM notes").fetchone()[0])


def cold_import(n: int, notebook: str, db: Path, rows: list[Row], timeout: float) -> bool:
    """Cold import against the naive baseline; False when it was killed for taking too long."""
    t = targets_for(n)
    naive_db = gen.BENCH_DIR / f"naive-{n}.db"
    log(f"[{n}] cold import: naive baseline")
    _remove_db(naive_db)
    naive = measured([PYTHON, "-m", "tests.bench.baselines", "naive", notebook, str(naive_db)])
    log(f"[{n}] cold import: notes-kb")
    _remove_db(db)
    importing = [NKB, "--db", str(db), "import", notebook, "--format", "json"]
    cold = measured(importing, timeout=timeout)
    figure = "cold import" + (" (killed: timed out)" if cold.timed_out else "")
    compare(rows, n, figure, cold.seconds, "naive", naive.seconds, t.import_ratio)
    if t.cold_seconds:
        ok = cold.seconds < t.cold_seconds and not cold.timed_out
        label = figure.replace("cold import", "cold import: wall time")
        rows.append(Row(n, label, cold.seconds, "s", target=f"< {t.cold_seconds:g} s", ok=ok))
    memory_target = f"< {t.cold_bytes / MB / 1024:g} GB" if t.cold_bytes else ""
    rows.append(
        Row(n, "cold import: peak memory", cold.peak_rss, "B", "naive", naive.peak_rss,
            memory_target, cold.peak_rss / naive.peak_rss,
            cold.peak_rss < t.cold_bytes if t.cold_bytes and not cold.timed_out else None,
            {"largest_process_bytes": cold.max_rss, "naive_largest_process": naive.max_rss})
    )  # fmt: skip
    if cold.timed_out:
        log(f"[{n}] the import was killed after {timeout:g} s; skipping the rest")
        return False
    report = json.loads(cold.stdout)
    if report["added"] != n or report["failed"]:
        raise RuntimeError(f"import added {report['added']} of {n}; failed: {report['failed'][:3]}")
    return True


def bench_notebook(
    n: int, runs: int, rows: list[Row], *, reuse_index: bool, import_timeout: float
) -> None:
    root, stamp = gen.generate(n)
    t = targets_for(n)
    rg = rg_binary()
    db = gen.BENCH_DIR / f"bench-{n}.db"
    notebook = str(root)
    log(f"[{n}] warming the page cache")
    timed([rg, "-c", "zzzzqqqq", notebook])
    timed([PYTHON, "-c", WALK_SCRIPT, notebook])

    importing = [NKB, "--db", str(db), "import", notebook, "--format", "json"]
    if reuse_index and _notes_in(db) == n:
        log(f"[{n}] reusing {db}: no cold import")
    elif not cold_import(n, notebook, db, rows, import_timeout):
        return

    log(f"[{n}] re-import, nothing changed")
    walk = [PYTHON, "-c", WALK_SCRIPT, notebook]
    got = medians({"reimport": importing, "walk": walk}, runs)
    (again, again_out), (walk_s, walk_out) = got["reimport"], got["walk"]
    if json.loads(again_out)["unchanged"] != n or int(walk_out) != n:
        raise RuntimeError(f"re-import or walk did not see {n} unchanged notes")
    compare(rows, n, "re-import, no change", again, "walk+stat", walk_s, t.reimport_ratio)

    log(f"[{n}] re-import, one note changed")
    changed = sorted(root.rglob("*.md"))[n // 2]
    original = changed.read_bytes()
    edits = iter(range(10**6))

    def edit() -> None:
        with open(changed, "ab") as fh:
            fh.write(f"\nAn edit for the benchmark, number {next(edits)}.\n".encode())

    try:
        one, one_out = medians({"reimport": importing}, runs, before=edit)["reimport"]
    finally:
        changed.write_bytes(original)
        timed(importing)
    if json.loads(one_out)["updated"] != 1:
        raise RuntimeError(f"one-note re-import did not update exactly one note: {one_out}")
    compare(rows, n, "re-import, one note changed", one, "walk+stat", walk_s, None)

    for word, freq in gen.probe_words(stamp, PROBE_FRACTIONS):
        log(f"[{n}] search {word!r} (in ~{freq} notes)")
        search = [NKB, "--db", str(db), "search", word, "--format", "paths"]
        commands = {
            "refresh": search,
            "no-refresh": [*search, "--no-refresh"],
            "rg": [rg, "-il", word, notebook],
        }
        got = medians(commands, runs)
        rg_s, rg_out = got["rg"]
        hits = {"notes_kb": _lines(got["refresh"][1]), "rg": _lines(rg_out)}
        count = hits["notes_kb"]
        label = f"search {word!r} ({count:,} hit{'' if count == 1 else 's'})"
        for mode, limit in (("refresh", t.search_refresh), ("no-refresh", t.search_no_refresh)):
            compare(
                rows, n, f"{label}, {mode}", got[mode][0], "rg -il", rg_s, limit,
                word=word, hits=hits,
            )  # fmt: skip


def bench_startup(runs: int, rows: list[Row]) -> None:
    log("startup: notes-kb --help")
    got = medians({"help": [NKB, "--help"], "python": [PYTHON, "-c", "pass"]}, runs)
    help_s, python_s = got["help"][0], got["python"][0]
    ok = help_s - python_s <= 0.150
    rows.append(
        Row(0, "notes-kb --help", help_s, "s", "python -c pass", python_s,
            "<= python + 150 ms", help_s / python_s, ok)
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark notes-kb end to end.")
    parser.add_argument("--quick", action="store_true", help="2k notes only (no 10k or 100k).")
    parser.add_argument("--sizes", help="Comma-separated note counts, e.g. 10000,100000.")
    parser.add_argument("--runs", type=int, default=7, help="Timed runs per command (median).")
    parser.add_argument(
        "--import-timeout", type=float, default=600.0, help="Kill a cold import after N seconds."
    )
    parser.add_argument(
        "--reuse-index",
        action="store_true",
        help="Skip the cold import when .bench/bench-N.db already holds the N notes.",
    )
    args = parser.parse_args(argv)
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    else:
        sizes = [2_000] if args.quick else [10_000, 100_000]
    env = environment()
    if env["load_average"] and env["load_average"] > 0.5:
        log(f"note: load average is {env['load_average']:.2f}; timings may be noisy")
    rows: list[Row] = []
    started = time.perf_counter()
    bench_startup(args.runs, rows)
    for n in sizes:
        bench_notebook(
            n, args.runs, rows, reuse_index=args.reuse_index, import_timeout=args.import_timeout
        )
    env["seconds"] = round(time.perf_counter() - started, 1)
    env["load_average_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    table = text_table(rows)
    print(table)
    misses = sum(1 for r in rows if r.ok is False)
    checked = sum(1 for r in rows if r.ok is not None)
    print(f"\n{checked - misses} of {checked} targets met ({env['seconds']} s)")
    out = gen.BENCH_DIR
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(
        json.dumps({"environment": env, "results": [asdict(r) for r in rows]}, indent=2) + "\n"
    )
    about = (
        f"{env['cpus']} CPUs ({env['cpu']}), Python {env['python']}, SQLite {env['sqlite']}, "
        f"{env['ripgrep']}; medians of {args.runs} runs; load average "
        f"{env['load_average']:.1f} before, {env['load_average_after']:.1f} after."
    )
    (out / "results.md").write_text(markdown_table(rows) + "\n\n" + about + "\n")
    log(f"wrote {out / 'results.json'} and {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
