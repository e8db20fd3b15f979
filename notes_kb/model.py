"""Plain data: notes, links, hits and reports. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Link(NamedTuple):
    """A link found in a note (a named tuple: notes hold many, and it is made fast).

    kind: "url" (http/mailto/... in body or frontmatter), "wiki" ([[target]]),
    "internal" (relative markdown link to another file).
    """

    kind: str
    target: str
    domain: str = ""
    text: str = ""
    origin: str = "body"  # "body" or "frontmatter"


@dataclass(frozen=True)
class Note:
    """A parsed note. `meta` holds every frontmatter key, JSON-safe."""

    title: str
    body: str
    fm_format: str = "none"  # yaml | toml | json | none
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    draft: bool = False
    revisit: bool = False
    revisit_after: str | None = None
    dates: dict[str, str] = field(default_factory=dict)  # lastmod/date/updated/created -> ISO
    links: tuple[Link, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    error: str | None = (
        None  # set when the frontmatter could not be read; the body is still indexed
    )

    @property
    def lastmod(self) -> str | None:
        return self.dates.get("lastmod") or self.dates.get("updated") or self.dates.get("date")


@dataclass(frozen=True)
class Failure:
    path: str
    error: str


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    moved: int = 0
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.moved)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "failed": [{"path": f.path, "error": f.error} for f in self.failed],
            "seconds": round(self.seconds, 3),
        }

    def __str__(self) -> str:
        parts = [
            f"{self.added} added",
            f"{self.updated} updated",
            f"{self.removed} removed",
            f"{self.unchanged} unchanged",
        ]
        if self.moved:
            parts.append(f"{self.moved} moved")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts) + f" in {self.seconds:.2f}s"
