"""Replacing a note on disk in one step, only if nobody changed it meanwhile."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from notes_kb.errors import EditRefused


def atomic_write(path: Path, new_text: str, expected_original: bytes) -> None:
    """Write new_text (UTF-8, line endings and BOM as given) over path.

    Refuses when the file's bytes are no longer expected_original. The new content goes to a
    temporary file in the same folder (flushed and fsynced, with the original permission bits)
    that then replaces the note with os.replace; the folder is fsynced afterwards. The
    temporary file never outlives an error; OS errors become EditRefused (the note is then
    unchanged). A symlink is followed: its target is replaced.
    """
    target = Path(os.path.realpath(path))
    try:
        data = new_text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EditRefused(f"the new text cannot be written as UTF-8: {exc.reason}") from None
    try:
        current = target.read_bytes()
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError as exc:
        raise EditRefused(f"cannot read the note again: {exc.strerror or exc}") from None
    if current != expected_original:
        raise EditRefused("changed on disk since it was read")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise EditRefused(f"cannot write next to the note: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise EditRefused(f"cannot write the note: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)
