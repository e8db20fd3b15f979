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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from notes_kb import render

    bar = Progress(
        "[progress.description]{task.description}",
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
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if started:
            bar.stop()
