"""Rich progress bars on stderr for long index work; nothing when stderr is not a terminal."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PROGRESS_FROM = 200


@contextmanager
def progress_bar(
    label: str, minimum: int = PROGRESS_FROM
) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr for long index updates, when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from notes_kb import render

    bar = Progress(
        # A style, not markup: the console prints text as it is (markup is off).
        TextColumn("{task.description}", style="progress.description", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=render.err_console(),
        transient=True,
    )
    task = bar.add_task(label, total=None)
    started = False

    def update(done: int, total: int) -> None:
        nonlocal started
        if total < max(minimum, 1):
            return
        if not started:
            bar.start()
            started = True
        # Once every note is read, what remains (indexes, full text, commit) has no count.
        described = label if done < total else f"{label}: finishing"
        bar.update(task, completed=done, total=total, description=described)

    try:
        yield update
    finally:
        if started:
            bar.stop()
