"""Errors raised by notes-kb. Each class docstring is its user-facing meaning."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    PARTIAL = 3


class NotesKbError(Exception):
    """notes-kb could not complete the request"""

    exit_code: ExitStatus = ExitStatus.ERROR


class NoteParseError(NotesKbError):
    """A note's frontmatter could not be parsed"""


class NoteReadError(NotesKbError):
    """A note could not be read"""


class QueryError(NotesKbError):
    """The query could not be parsed"""

    exit_code = ExitStatus.USAGE

    def __init__(self, message: str, token: str = "", position: int = -1) -> None:
        super().__init__(message)
        self.token = token
        self.position = position


class NoteNotFound(NotesKbError):
    """No note matches that name"""


class AmbiguousNote(NotesKbError):
    """More than one note matches that name"""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class IndexError_(NotesKbError):
    """The index cannot be used"""


class SchemaTooNew(IndexError_):
    """The index was written by a newer notes-kb"""


class ImportLocked(NotesKbError):
    """Another import is running"""


class ImportIncomplete(NotesKbError):
    """An import's rows did not all reach the index, so none were kept"""


class WorkerDied(NotesKbError):
    """A process parsing notes for an import stopped unexpectedly"""


class EditRefused(NotesKbError):
    """A note was not changed because the edit could not be made safely"""
