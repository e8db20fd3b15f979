"""The interactive revisit review: one note at a time, single-key actions."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sqlite3
import subprocess
import sys
from collections import Counter
from typing import Any

from notes_kb import render

KEYS = "[d]one  [s]nooze  [k]eep  [o]pen  [n]ext  [p]rev  [q]uit"
PREVIEW_LINES = 18


def read_key() -> str:
    """One key press, without echo, from the terminal."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)  # keep keys typed ahead (TCSAFLUSH drops them)
        ch = os.read(fd, 1).decode("utf-8", errors="replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    return ch


def read_line(prompt: str) -> str:
    render.console().print(render.safe_line(prompt), end="")
    sys.stdout.flush()
    try:
        return sys.stdin.readline().strip()
    except KeyboardInterrupt:
        return ""


def open_editor(path: str) -> None:
    from notes_kb import config

    editor = config.load().editor
    try:
        subprocess.run([*shlex.split(editor), path], check=False)
    except OSError as exc:
        render.error(f"cannot start editor {editor!r}: {exc.strerror or exc}")


def run_review(conn: sqlite3.Connection) -> None:
    from notes_kb.cli.cmd_revisit import log_action, mark_done, mark_snoozed, queue_rows
    from notes_kb.revisit import IntervalError, describe_days, parse_interval, snooze_days
    from notes_kb.store import history, read
    from notes_kb.update import reindex

    today = dt.date.today()
    queue = queue_rows(conn, include_snoozed=False, today=today)
    if not queue:
        render.console().print("Nothing to revisit today.")
        return
    outcome: dict[str, str] = {}
    i = 0
    message = ""
    while 0 <= i < len(queue):
        row = queue[i]
        detail = read.note_detail(conn, row["id"])
        _screen(detail, i, len(queue), row.get("age_days"), outcome.get(row["path"]), message)
        message = ""
        key = read_key().lower()
        if key == "q" or key == "\x04":
            break
        if key == "d":
            result = mark_done(conn, row["path"], row["title"])
            if result.refused:
                message = f"not changed: {result.refused[0][1]}"
                continue
            outcome[row["path"]] = "done"
            i += 1
        elif key == "s":
            default = snooze_days(history.snooze_count(conn, row["path"]))
            typed = read_line(
                f"snooze for [Enter = {describe_days(default)}, or e.g. 10d, 2w, 1m]: "
            )
            try:
                days = parse_interval(typed) if typed else default
            except IntervalError as exc:
                message = str(exc)
                continue
            result, until = mark_snoozed(conn, row["path"], row["title"], days, today)
            if result.refused:
                message = f"not changed: {result.refused[0][1]}"
                continue
            outcome[row["path"]] = f"snoozed until {until}"
            i += 1
        elif key == "k":
            log_action(conn, row["path"], row["title"], "keep")
            outcome[row["path"]] = "kept"
            i += 1
        elif key == "o":
            open_editor(row["path"])
            reindex(conn, [row["path"]])
        elif key in ("n", " ", "j"):
            i = min(i + 1, len(queue))
        elif key in ("p", "b"):
            i = max(i - 1, 0)
        else:
            message = f"keys: {KEYS}"
    _summary(outcome, len(queue))


def _screen(
    detail: dict[str, Any], index: int, total: int, age: int | None, state: str | None, msg: str
) -> None:
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    out = render.console()
    out.clear()
    head = Text(f"Revisit {index + 1}/{total}", style="bold magenta")
    if age is not None:
        head.append(f"   {age} days since last change", style="dim")
    if state:
        head.append(f"   [{state}]", style="green")
    out.print(head)
    meta = Table.grid(padding=(0, 2))
    meta.add_column(style="bold")
    meta.add_column()
    for label, value in (
        ("path", detail["path"]),
        ("authors", ", ".join(detail["authors"])),
        ("tags", " ".join(detail["tags"])),
        ("lastmod", detail["lastmod"] or detail["date"] or ""),
    ):
        if value:
            meta.add_row(label, Text(render.safe_line(value)))
    out.print(Panel(meta, title=Text(render.safe_line(detail["title"]), style="bold")))
    body_lines = detail["body"].strip("\n").splitlines()
    preview = "\n".join(body_lines[:PREVIEW_LINES])
    out.print(Markdown(render.safe(preview, multiline=True), hyperlinks=False))
    if len(body_lines) > PREVIEW_LINES:
        out.print(Text(f"… {len(body_lines) - PREVIEW_LINES} more lines", style="dim"))
    links = [o["target"] for o in detail["outgoing"]][:8]
    if links:
        out.print(Text("links: ", style="bold") + Text(render.safe_line("  ".join(links))))
    if msg:
        out.print(Text(render.safe_line(msg), style="yellow"))
    out.print(Text(KEYS, style="bold cyan"))
    sys.stdout.flush()


def _summary(outcome: dict[str, str], total: int) -> None:
    counts = Counter(v.split(" ")[0] for v in outcome.values())
    parts = [f"{counts.get(k, 0)} {k}" for k in ("done", "snoozed", "kept")]
    skipped = total - sum(counts.values())
    render.console().print(f"Review finished: {', '.join(parts)}, {skipped} not reviewed.")
