"""scan -> read/parse -> store, in one transaction. Returns an ImportReport."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import fcntl
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notes_kb.errors import ImportIncomplete, ImportLocked, NotesKbError, WorkerDied
from notes_kb.model import Failure, ImportReport
from notes_kb.records import ReadTask, read_task
from notes_kb.scan import FileStat, ScanProblem, scan
from notes_kb.store import db, shard, write

if TYPE_CHECKING:
    from concurrent.futures import Future

PARALLEL_THRESHOLD = 300
BATCH = 500
SHARD_CHUNK = 64  # notes a worker parses and writes to its shard per transaction
READ_CHUNK = 64  # notes a worker parses per batch when it sends the records back
# SQLite page cache for a large import (KiB): the rows and indexes being built stay in memory.
IMPORT_CACHE_KIB = 64 * 1024

Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class Plan:
    roots: list[str]
    to_read: list[tuple[FileStat, str, str | None]] = field(default_factory=list)
    unchanged: int = 0
    missing: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # path -> (id, hash)
    problems: list[ScanProblem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.to_read and not self.missing


def _in_scope(path: str, root: str, root_is_dir: bool) -> bool:
    return path.startswith(root.rstrip(os.sep) + os.sep) if root_is_dir else path == root


def plan(
    conn: sqlite3.Connection,
    roots: Sequence[str],
    *,
    full: bool = False,
    exclude: Iterable[str] = (),
) -> Plan:
    """Compare the folders with the index by stat only: what must be read, what went away."""
    result = Plan([])
    for root in roots:
        absolute = os.path.abspath(root)
        if _encodable(absolute):
            result.roots.append(absolute)
        else:
            result.problems.append(ScanProblem(display_path(absolute), _NOT_UTF8))
    abs_roots = result.roots
    known: dict[str, tuple[int, int, int, str | None]] = {}
    for root in abs_roots:
        if os.path.isdir(root):
            prefix = root.rstrip(os.sep) + os.sep
            # A range on path reads only the covering index idx_notes_stat, never the bodies.
            upper = prefix[:-1] + chr(ord(os.sep) + 1)
            rows = conn.execute(
                "SELECT path, id, mtime_ns, size, hash FROM notes WHERE path >= ? AND path < ?",
                (prefix, upper),
            )
        else:
            rows = conn.execute(
                "SELECT path, id, mtime_ns, size, hash FROM notes WHERE path = ?", (root,)
            )
        for path, note_id, mtime_ns, size, digest in rows:
            known[path] = (note_id, mtime_ns, size, digest)
    seen: set[str] = set()
    for root in abs_roots:
        # Stat data is compared with the index's: with nothing indexed under the roots,
        # every file is read (and its stat taken then), so the walk need not stat them.
        found = scan([root], exclude=exclude, problems=result.problems, stat=bool(known))
        to_read = result.to_read
        for fs in found:
            path = fs.path
            if path in seen:
                continue
            seen.add(path)
            if not (path.isascii() or _encodable(path)):
                result.problems.append(ScanProblem(display_path(path), _NOT_UTF8))
                continue
            old = known.get(path) if known else None
            if old is None:
                to_read.append((fs, root, None))
            elif full:
                to_read.append((fs, root, ""))  # known, but re-parse whatever its hash
            elif old[1] == fs.mtime_ns and old[2] == fs.size:
                result.unchanged += 1
            else:
                to_read.append((fs, root, old[3]))
    for path, (note_id, _m, _s, digest) in known.items():
        if path not in seen:
            result.missing[path] = (note_id, digest)
    return result


_NOT_UTF8 = "file name is not valid UTF-8; rename it to index it"


def _encodable(path: str) -> bool:
    """SQLite stores text as UTF-8: names holding undecodable bytes cannot be keys."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_path(path: str) -> str:
    """A path that can always be printed: undecodable bytes shown as \\xNN."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


@contextmanager
def import_lock(
    db_path: Path, *, wait: bool = True, on_wait: Callable[[], None] | None = None
) -> Iterator[bool]:
    """An exclusive lock beside the index, so two imports never interleave.

    With `wait`, blocks until the other import finishes, calling `on_wait` first (to tell
    the user why nothing happens); without it, yields False at once when the lock is taken.
    """
    # Beside the file SQLite opens: an index reached through a symbolic link has one lock.
    db_path = Path(os.path.realpath(db_path))
    lock_path = db_path.with_name(db_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(fd)


def run_import(
    conn: sqlite3.Connection,
    roots: Sequence[str],
    *,
    full: bool = False,
    exclude: Iterable[str] = (),
    progress: Progress | None = None,
    revisit_tag: str = "revisit",
    workers: int | None = None,
    precomputed: Plan | None = None,
) -> ImportReport:
    """Bring the index in line with the folders. Callers hold `import_lock`."""
    started = time.perf_counter()
    shard.clear_leftovers(_db_file(conn))
    work = precomputed or plan(conn, roots, full=full, exclude=exclude)
    report = ImportReport(unchanged=work.unchanged)
    report.failed.extend(Failure(display_path(p.path), p.error) for p in work.problems)
    total = len(work.to_read)
    if progress:
        progress(0, total)
    count = workers if workers is not None else (os.cpu_count() or 1)
    db_file = _db_file(conn)
    own: sqlite3.Connection | None = None
    try:
        if total >= PARALLEL_THRESHOLD and count >= 2 and db_file and _empty(conn):
            if _rebuildable(conn):  # nothing an import cannot rebuild: no WAL's second copy
                db.leave_wal(conn)
            # A bulk load through shards copies a full-text index in (shard.merge_text): on
            # a connection of its own, which nothing has used the full-text table on, closed
            # after. Other connections, this caller's included, see the copy when it commits.
            own = db.connect(Path(db_file), create=False)
        target = own or conn
        if total >= PARALLEL_THRESHOLD:
            target.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        _transaction(target, work, full, revisit_tag, count, report, progress, own=own is not None)
    finally:
        try:
            if own is not None:
                own.close()
        finally:
            # (also after an import killed in rollback mode: see db.leave_wal)
            if db_file and not db.in_wal(conn):
                db.back_to_wal(conn)
    report.seconds = time.perf_counter() - started
    return report


def _empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM notes").fetchone() is None


def _rebuildable(conn: sqlite3.Connection) -> bool:
    """No notes and no review history (which no import can bring back)."""
    return _empty(conn) and conn.execute("SELECT 1 FROM history").fetchone() is None


def _transaction(
    conn: sqlite3.Connection,
    work: Plan,
    full: bool,
    revisit_tag: str,
    workers: int,
    report: ImportReport,
    progress: Progress | None,
    *,
    own: bool,
) -> None:
    """The whole import as one transaction: a crash or kill leaves the index as it was.

    `own`: `conn` is the import's own connection (see run_import), which a bulk load through
    shards needs."""
    # Loading many notes into an empty index: building the full-text and other indexes
    # once is far cheaper than updating them row by row.
    bulk = len(work.to_read) >= PARALLEL_THRESHOLD and _empty(conn)
    # Not waiting for the disk is for an index holding nothing an import cannot rebuild.
    relaxed = bulk and _rebuildable(conn)
    scratch: shard.Scratch | None = None
    try:
        if relaxed:
            write.set_synchronous(conn, durable=False)
        conn.execute("BEGIN IMMEDIATE")
        if relaxed and not _rebuildable(conn):  # notes or history arrived since: be durable
            conn.execute("ROLLBACK")
            write.set_synchronous(conn, durable=True)
            relaxed = False
            conn.execute("BEGIN IMMEDIATE")
        bulk = bulk and _empty(conn)  # decided under the write lock
        if bulk:
            through_shards = own and workers >= 2
            dropped = write.begin_bulk(conn, rebuild_text=not through_shards)
            if through_shards:
                scratch = shard.Scratch(_db_file(conn))
                _load_through_shards(
                    conn,
                    work,
                    revisit_tag,
                    workers,
                    scratch.path,
                    report,
                    progress,
                    dropped,
                    meanwhile=lambda: _record(conn, work, report),
                )
            else:
                _load_note_by_note(conn, work, revisit_tag, workers, report, progress)
                write.end_bulk(conn, dropped, rebuild_text=True)
                _record(conn, work, report)
        else:
            _load_note_by_note(conn, work, revisit_tag, workers, report, progress)
            if report.changed or full:
                write.resolve_links(conn)
            _record(conn, work, report)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        try:
            if relaxed and not conn.in_transaction:  # (SQLite refuses it inside one)
                write.set_synchronous(conn, durable=True)
        finally:
            if scratch is not None:
                try:
                    shard.detach(conn)
                finally:
                    scratch.remove()


def _record(conn: sqlite3.Connection, work: Plan, report: ImportReport) -> None:
    """What the index keeps of the import itself: its sources (with their note counts), when
    it ran and, when notes changed, a new generation."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for root in work.roots:
        write.record_source(conn, root, now)
    write.set_state(conn, "last_import", now)
    if report.changed:
        write.set_state(conn, "generation", str(time.time_ns()))


def _load_note_by_note(
    conn: sqlite3.Connection,
    work: Plan,
    revisit_tag: str,
    workers: int,
    report: ImportReport,
    progress: Progress | None,
) -> None:
    """Read and write each note in turn (parsed by `workers` processes when there are many):
    new, changed, moved, unchanged-but-touched and deleted notes."""
    missing_by_hash: dict[str, tuple[str, int]] = {}
    for path, (note_id, digest) in work.missing.items():
        if digest:
            missing_by_hash.setdefault(digest, (path, note_id))
    moved_from: set[str] = set()
    batch: list[dict[str, Any]] = []
    touched: list[tuple[int, int, int, int]] = []
    ids = write.ids_by_path(conn, [fs.path for fs, _r, known in work.to_read if known is not None])
    total = len(work.to_read)
    with contextlib.closing(_read_all(work.to_read, revisit_tag, workers)) as results:
        for done, (path, kind, payload) in enumerate(results, start=1):
            if kind == "failed":
                report.failed.append(Failure(path, payload))
            elif kind == "same":
                digest, stat = payload
                touched.append((stat[0], stat[1], stat[2], ids[path]))
                report.unchanged += 1
            else:
                record = payload
                if record.get("error"):
                    report.failed.append(Failure(path, record["error"]))
                old = missing_by_hash.pop(record["hash"], None) if path not in ids else None
                if old is not None:
                    write.move_note(conn, old[1], record)
                    moved_from.add(old[0])
                    report.moved += 1
                else:
                    batch.append(record)
                    if path in ids:
                        report.updated += 1
                    else:
                        report.added += 1
                if len(batch) >= BATCH:
                    write.write_notes(conn, batch)
                    batch = []
            if progress and (done % 50 == 0 or done == total):
                progress(done, total)
    write.write_notes(conn, batch)
    write.touch(conn, touched)
    gone = [note_id for path, (note_id, _d) in work.missing.items() if path not in moved_from]
    write.delete_notes(conn, gone)
    report.removed = len(gone)


def _load_through_shards(
    conn: sqlite3.Connection,
    work: Plan,
    revisit_tag: str,
    workers: int,
    scratch: str,
    report: ImportReport,
    progress: Progress | None,
    dropped: Sequence[tuple[str, str]],
    *,
    meanwhile: Callable[[], None],
) -> None:
    """Into an empty index: workers parse the notes and write the rows to shards of their
    own in `scratch`; then, while a helper process builds the full-text index from the
    shards, this one merges their rows into the index, builds the other indexes and runs
    `meanwhile` (see store.shard); `dropped` are the indexes `write.begin_bulk` dropped."""
    first_id = write.next_id(conn)
    tasks = list(enumerate(_read_tasks(work.to_read, revisit_tag), start=first_id))
    chunks = [tasks[i : i + SHARD_CHUNK] for i in range(0, len(tasks), SHARD_CHUNK)]
    workers = min(workers, shard.capacity(conn))
    shards = [os.path.join(scratch, f"shard-{n:04d}.db") for n in range(workers)]
    for path in shards:
        shard.create(path)
    total = len(tasks)
    done = 0
    skipped: list[int] = []  # positions of notes that could not be read: no row, no id
    with contextlib.closing(_parallel(_read_chunk, chunks, workers, shards=shards)) as results:
        for chunk, chunk_results in zip(chunks, results, strict=True):
            for (pos, _task), (path, kind, detail) in zip(chunk, chunk_results, strict=True):
                if kind == "failed":
                    report.failed.append(Failure(path, detail))
                    skipped.append(pos)
                    continue
                if kind != "record":
                    raise ImportIncomplete(
                        f"{path}: a worker gave an unexpected result ({kind}); "
                        "the index was not changed"
                    )
                report.added += 1
                if detail:  # indexed, with a frontmatter error noted
                    report.failed.append(Failure(path, detail))
            done += len(chunk_results)
            if progress:
                progress(done, total)
    built = os.path.join(scratch, "text.db")
    declaration = shard.text_declaration(conn)
    with _aside(shard.build_text, shards, skipped, built, declaration) as text_built:
        shard.merge(
            conn,
            shards,
            skipped,
            index_notes=lambda: write.restore_indexes(conn, dropped, notes=True),
        )
        merged = conn.execute("SELECT count(*) FROM notes").fetchone()[0]
        if merged != report.added:
            raise ImportIncomplete(
                f"{report.added} notes were read but {merged} reached the index from the "
                f"scratch files in {scratch}; the index was not changed"
            )
        write.end_bulk(conn, dropped, rebuild_text=False)
        meanwhile()  # the full text usually takes longer
        text_built()
    shard.merge_text(conn, built)


def _db_file(conn: sqlite3.Connection) -> str:
    """The index's file name ('' for an in-memory index)."""
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return str(file or "")
    return ""


def _read_all(
    to_read: list[tuple[FileStat, str, str | None]], revisit_tag: str, workers: int
) -> Generator[tuple[str, str, Any], None, None]:
    tasks = _read_tasks(to_read, revisit_tag)
    if len(tasks) < PARALLEL_THRESHOLD or workers < 2:
        for task in tasks:
            yield read_task(task)
        return
    yield from _parallel(read_task, tasks, workers, chunksize=READ_CHUNK)


def _read_tasks(
    to_read: list[tuple[FileStat, str, str | None]], revisit_tag: str
) -> list[ReadTask]:
    from notes_kb import config

    date_fields = config.load().date_fields  # once, not per note
    return [(fs.path, root, known, revisit_tag, date_fields) for fs, root, known in to_read]


def _parallel(
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    workers: int,
    *,
    chunksize: int = 1,
    shards: Sequence[str] = (),
) -> Generator[Any, None, None]:
    """fn over items in worker processes, results in order; with `shards` (one per worker),
    each worker writes its rows to its own.

    A worker that dies (the out-of-memory killer, a signal) ends the import with WorkerDied
    instead of leaving it waiting for results that will never come.
    """
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    window = _IN_FLIGHT_PER_WORKER * workers
    ctx = _context()
    counter = ctx.Value("i", 0)
    pool = ProcessPoolExecutor(
        workers,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(os.getpid(), list(shards), counter),
    )
    batches = iter([items[i : i + chunksize] for i in range(0, len(items), chunksize)])
    call = functools.partial(_apply, fn)
    pending: collections.deque[Future[list[Any]]] = collections.deque()
    try:
        # Ctrl-C is held back while the workers start (on the first submission): one
        # arriving between a fork and the worker's own set-up would print a traceback from
        # the child. The parent receives it as soon as they exist.
        _hold_sigint(True)
        try:
            pending.extend(pool.submit(call, batch) for batch in islice(batches, window))
        finally:
            _hold_sigint(False)
        # A few batches in flight per worker, not all of them: results wait in memory only
        # until this process takes them, however many notes there are.
        while pending:
            results = pending.popleft().result()
            pending.extend(pool.submit(call, batch) for batch in islice(batches, 1))
            yield from results
    except BrokenProcessPool as exc:
        raise WorkerDied(
            "a worker process parsing notes stopped unexpectedly (out of memory?); "
            "the index was not changed"
        ) from exc
    finally:
        # Cancels the batches not yet handed to a worker and waits for the others: the
        # caller then rolls back and removes the scratch folder with no worker writing in it.
        pool.shutdown(wait=True, cancel_futures=True)


_IN_FLIGHT_PER_WORKER = 4


def _apply(fn: Callable[[Any], Any], batch: Sequence[Any]) -> list[Any]:
    """In a worker: fn over one batch of items."""
    return [fn(item) for item in batch]


@contextmanager
def _aside(fn: Callable[..., None], *args: Any) -> Iterator[Callable[[], None]]:
    """fn(*args) in a helper process while this one goes on. Gives `wait`, which returns
    once fn has returned and raises if it failed or the helper died; leaving the block
    ends the helper, finished or not (Ctrl-C, an error here)."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    helper = ctx.Process(target=_run_aside, args=(os.getpid(), send, fn, args), daemon=True)

    def wait() -> None:
        try:
            problem = receive.recv()
        except EOFError:
            raise WorkerDied(
                "a helper process building the full-text index stopped unexpectedly (out "
                "of memory?); the index was not changed"
            ) from None
        helper.join()
        if problem is not None:
            raise ImportIncomplete(
                f"cannot build the full-text index: {problem}; the index was not changed"
            )

    try:
        _hold_sigint(True)  # see _parallel; a Ctrl-C held meanwhile arrives in this try
        try:
            helper.start()
        finally:
            _hold_sigint(False)
        send.close()  # the helper's end: the pipe reports its death as end of file
        yield wait
    finally:
        if helper.pid is not None:  # started
            if helper.is_alive():
                helper.kill()  # its work is scratch: nothing to finish
            helper.join()
        send.close()
        receive.close()


def _run_aside(parent: int, send: Any, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
    """In the helper process: fn(*args), then None or what stopped it, to the parent."""
    _quiet_child(parent)
    try:
        fn(*args)
    except BaseException as exc:  # the parent reports it, in one line
        send.send(str(exc) or type(exc).__name__)
    else:
        send.send(None)
    finally:
        send.close()


def _context() -> Any:
    """Child processes by fork where there is one (no re-import of everything per child)."""
    import multiprocessing

    return multiprocessing.get_context("fork" if hasattr(os, "fork") else None)


def _hold_sigint(hold: bool) -> None:
    import signal

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK if hold else signal.SIG_UNBLOCK, {signal.SIGINT})


_shard_writer: shard.Writer | None = None  # a worker's own shard, when it writes one
_shard_problem = ""  # why the worker could not open it


def _quiet_child(parent: int) -> None:
    """In a worker or helper process: it leaves quietly when the import process dies (kill
    -9): no orphans, no noise. Ctrl-C is for the import process alone: it rolls back and
    ends its children."""
    import signal
    import sys
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked child keeps the parent's handlers: `watch` turns SIGTERM into a request to
    # stop, which a child would never act on.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _hold_sigint(False)  # held back by the parent while it forked

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="nkb-parent-watch").start()
    sys.stderr = _WhileParentLives(sys.stderr, parent)


def _worker_init(parent: int, shards: list[str], counter: Any) -> None:
    """A parsing worker's set-up: quiet (see _quiet_child), with its own shard if any."""
    global _shard_writer, _shard_problem
    _quiet_child(parent)
    if shards:
        # Nothing raised here: an initializer's error is printed as a traceback and the pool
        # declared broken. _read_chunk reports it instead.
        with counter.get_lock():
            number = counter.value
            counter.value += 1
        try:
            _shard_writer = shard.Writer(shards[number])
        except (IndexError, OSError, sqlite3.Error) as exc:
            _shard_problem = f"cannot open a scratch file for the import: {exc}"


ChunkResult = tuple[str, str, str | None]


def _read_chunk(chunk: list[tuple[int, ReadTask]]) -> list[ChunkResult]:
    """In a worker: parse a chunk of notes into its shard, committed before returning.

    Returns (path, "record", frontmatter error or None) or (path, "failed", reason) each.
    """
    if _shard_writer is None:
        raise NotesKbError(_shard_problem or "no scratch file for the import")
    results: list[ChunkResult] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    for pos, task in chunk:
        path, kind, payload = read_task(task)
        if kind == "record":
            rows.append((pos, payload))
            results.append((path, kind, payload["error"]))
        else:
            results.append((path, kind, payload))
    try:
        _shard_writer.write(rows)
    except sqlite3.Error as exc:  # a full disk, say: one line for the user, not a traceback
        raise NotesKbError(f"cannot write the import's scratch file: {exc}") from None
    return results


class _WhileParentLives:
    """A worker's stderr that goes silent once its parent is gone (no broken-pipe tracebacks)."""

    def __init__(self, stream: Any, parent: int) -> None:
        self._stream = stream
        self._parent = parent

    def write(self, text: str) -> int:
        # A dying parent closes its pipes a moment before its children are re-parented, so
        # a worker that fails to send a result gives the kernel that moment before checking.
        if os.getppid() == self._parent:
            time.sleep(0.1)
        if os.getppid() != self._parent:
            return len(text)
        return int(self._stream.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def sources(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT path FROM sources ORDER BY path")]


def refresh(
    conn: sqlite3.Connection, db_path: Path, *, revisit_tag: str = "revisit"
) -> ImportReport | None:
    """Before a query: re-import the known sources if a stat walk shows changes.

    Returns None when nothing changed or another import holds the lock (the current
    index is then used as it is).
    """
    roots = [r for r in sources(conn) if os.path.exists(r)]
    if not roots:
        return None
    from notes_kb.store.bulk import generation

    before = generation(conn)
    work = plan(conn, roots)
    if work.empty:
        return None
    with import_lock(db_path, wait=False) as locked:
        if not locked:
            return None
        # The stat walk stays valid unless another import changed the index meanwhile.
        reuse = work if generation(conn) == before else None
        try:
            return run_import(conn, roots, revisit_tag=revisit_tag, precomputed=reuse)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None  # another writer (an edit, say) holds the index: use it as it is
            raise


def guarded_import(
    conn: sqlite3.Connection,
    db_path: Path,
    roots: Sequence[str],
    *,
    wait: bool = True,
    on_wait: Callable[[], None] | None = None,
    **kwargs: Any,
) -> ImportReport:
    """`run_import` under the import lock; ImportLocked at once when not waiting for it."""
    with import_lock(db_path, wait=wait, on_wait=on_wait) as locked:
        if not locked:
            raise ImportLocked(f"another import is running on {db_path}")
        return run_import(conn, roots, **kwargs)
