"""Rendering one note for `show`: a metadata header, the markdown, links and backlinks."""

from __future__ import annotations

from typing import Any

from notes_kb.render import console, safe, safe_line, short_path

SHOW_MAX_CHARS = 200_000


def show(detail: dict[str, Any]) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    out = console()
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold")
    meta.add_column()

    def row(label: str, value: Any) -> None:
        if value in (None, "", []):
            return
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        meta.add_row(label, Text(safe_line(value)))

    row("path", short_path(detail["path"]))
    row("authors", detail["authors"])
    row("tags", detail["tags"])
    row("categories", detail["categories"])
    row("lastmod", detail["lastmod"])
    row("date", detail["date"])
    if detail["draft"]:
        row("draft", "yes")
    if detail["revisit"]:
        row(
            "revisit",
            "yes"
            + (f", snoozed until {detail['revisit_after']}" if detail["revisit_after"] else ""),
        )
    if detail.get("error"):
        row("problem", detail["error"])
    out.print(Panel(meta, title=Text(safe_line(detail["title"]), style="bold"), title_align="left"))
    # The body is rendered as markdown, never as Rich markup; controls are neutralised.
    body = detail["body"]
    if len(body) > SHOW_MAX_CHARS:
        # Rich's markdown renderer is slow on huge notes: show the start and say so.
        out.print(Markdown(safe(body[:SHOW_MAX_CHARS], multiline=True), hyperlinks=False))
        more = len(body) - SHOW_MAX_CHARS
        out.print(Text(f"… {more:,} more characters (use --raw for the whole file)", style="dim"))
    else:
        out.print(Markdown(safe(body, multiline=True), hyperlinks=False))
    if detail["outgoing"]:
        out.print(Text("links", style="bold underline"))
        for link in detail["outgoing"]:
            line = Text("  → ")
            line.append(safe_line(link["target"]), style="cyan")
            if link["kind"] != "url":
                line.append(
                    f"  ({safe_line(link['note'])})" if link["note"] else "  (missing)",
                    style="dim" if link["note"] else "red",
                )
            out.print(line)
    if detail["backlinks"]:
        out.print(Text("backlinks", style="bold underline"))
        for back in detail["backlinks"]:
            line = Text("  ← ")
            line.append(safe_line(back["title"]), style="bold")
            line.append(f"  {safe_line(short_path(back['path']))}", style="dim")
            out.print(line)
