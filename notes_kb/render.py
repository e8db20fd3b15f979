"""The only place that formats output: Rich tables and json/jsonl/csv/paths writers.

Text from notes is data: it is never parsed as Rich markup, and control characters
(ESC, BEL, CR, C1 codes...) are shown as visible symbols in every mode except JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

FORMATS = ("table", "json", "jsonl", "csv", "paths")

_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _dumps(value: Any, **kwargs: Any) -> str:
    """json.dumps that also escapes DEL, C1 controls and bidi overrides (valid, exact JSON)."""
    text = json.dumps(value, **kwargs)
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


SNIPPET_OPEN = "\x02"
SNIPPET_CLOSE = "\x03"

_CONTROL = {c: 0x2400 + c for c in range(32)}
_CONTROL[0x7F] = 0x2421
_CONTROL.update({c: 0xFFFD for c in range(0x80, 0xA0)})
_KEEP_LINES = dict(_CONTROL)
del _KEEP_LINES[ord("\n")]
_KEEP_LINES[ord("\t")] = ord(" ")
# Bidirectional overrides can make text display as something else.
for _cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)):
    _CONTROL[_cp] = 0xFFFD
    _KEEP_LINES[_cp] = 0xFFFD


def safe(text: Any, *, multiline: bool = False) -> str:
    """Neutralise control characters: one line unless `multiline`."""
    value = "" if text is None else str(text)
    return value.translate(_KEEP_LINES if multiline else _CONTROL)


def safe_line(text: Any) -> str:
    """One-line cell text: newlines and tabs become spaces, other controls visible."""
    value = "" if text is None else str(text)
    return safe(value.replace("\r\n", " ").replace("\n", " ").replace("\t", " "))


_console: Console | None = None
_err_console: Console | None = None
_no_color = False


def set_no_color(flag: bool) -> None:
    global _no_color, _console, _err_console
    _no_color = flag
    _console = _err_console = None


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def console() -> Console:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(no_color=_no_color or None, highlight=False, emoji=False, markup=False)
    return _console


def err_console() -> Console:
    global _err_console
    if _err_console is None:
        from rich.console import Console

        _err_console = Console(
            stderr=True, no_color=_no_color or None, highlight=False, emoji=False, markup=False
        )
    return _err_console


def error(message: str) -> None:
    """One line on stderr: `notes-kb: message`."""
    err_console().print(
        _styled("notes-kb: ", "bold red") + _plain(safe_line(message)), soft_wrap=True
    )


def warn(message: str) -> None:
    err_console().print(
        _styled("notes-kb: ", "yellow") + _plain(safe_line(message)), soft_wrap=True
    )


def info(message: str) -> None:
    err_console().print(_plain(safe_line(message)), style="dim", soft_wrap=True)


def _plain(text: str) -> Text:
    from rich.text import Text

    return Text(text)


def _styled(text: str, style: str) -> Text:
    from rich.text import Text

    return Text(text, style=style)


def write(text: str) -> None:
    sys.stdout.write(text)


# -- notes -----------------------------------------------------------------------------------

NOTE_FIELDS = (
    "path",
    "title",
    "authors",
    "tags",
    "categories",
    "draft",
    "revisit",
    "revisit_after",
    "lastmod",
    "date",
    "links",
)


def public(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in NOTE_FIELDS}
    for extra in ("score", "snippet", "suggestion", "age_days"):
        if extra in row:
            value = row[extra]
            if extra == "snippet" and isinstance(value, str):
                value = value.replace(SNIPPET_OPEN, "").replace(SNIPPET_CLOSE, "")
            out[extra] = value
    return out


def emit_notes(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    null: bool = False,
    summary: str | None = None,
    columns: Sequence[str] = ("title", "tags", "lastmod", "path"),
) -> None:
    if fmt == "json":
        write(_dumps([public(r) for r in rows], ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        write("".join(_dumps(public(r), ensure_ascii=False) + "\n" for r in rows))
    elif fmt == "paths":
        end = "\0" if null else "\n"
        write("".join((r["path"] if null else safe_line(r["path"])) + end for r in rows))
    elif fmt == "csv":
        _csv(rows)
    else:
        _table(rows, summary, columns)


def _csv(rows: Sequence[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    fields = list(NOTE_FIELDS)
    extra = [k for k in ("score", "snippet") if rows and k in rows[0]]
    writer.writerow(fields + extra)
    for row in rows:
        pub = public(row)
        writer.writerow([_csv_cell(pub.get(k)) for k in fields + extra])
    write(buf.getvalue())


def _csv_cell(value: Any) -> str:
    if isinstance(value, list):
        return safe_line("; ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_line(value)


def snippet_text(snippet: str) -> Text:
    """A search snippet with the matched words highlighted; note text never becomes markup."""
    from rich.text import Text

    text = Text()
    hot = False
    for part in _split_markers(snippet):
        if part == SNIPPET_OPEN:
            hot = True
        elif part == SNIPPET_CLOSE:
            hot = False
        else:
            text.append(safe_line(part), style="bold yellow" if hot else "")
    return text


def _split_markers(snippet: str) -> Iterable[str]:
    buf = ""
    for ch in snippet:
        if ch in (SNIPPET_OPEN, SNIPPET_CLOSE):
            if buf:
                yield buf
            buf = ""
            yield ch
        else:
            buf += ch
    if buf:
        yield buf


def short_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def _table(rows: Sequence[dict[str, Any]], summary: str | None, columns: Sequence[str]) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    hits = bool(rows) and "snippet" in rows[0]
    if hits:
        # Search hits: title, path and snippet stacked in one wide column.
        columns = ["note", *(c for c in columns if c not in ("title", "path"))]
    table = Table(show_header=True, header_style="bold", expand=True, show_lines=hits)
    for col in columns:
        if col == "note":
            table.add_column("note", ratio=5, overflow="fold")
        elif col == "title":
            table.add_column("title", style="bold", ratio=3, overflow="fold")
        elif col == "path":
            table.add_column("path", style="cyan", ratio=2, overflow="fold")
        elif col == "lastmod":
            table.add_column("lastmod", no_wrap=True, width=10)
        elif col == "tags":
            table.add_column("tags", style="green", ratio=2, overflow="fold")
        else:
            table.add_column(col, overflow="fold")
    for row in rows:
        cells: list[Text] = []
        for col in columns:
            if col in ("title", "note"):
                title = Text(safe_line(row.get("title")), style="bold" if col == "note" else "")
                if row.get("draft"):
                    title.append(" (draft)", style="dim")
                if col == "note":
                    title.append("\n" + safe_line(short_path(row["path"])), style="cyan")
                    if row.get("snippet"):
                        title.append("\n")
                        title.append_text(snippet_text(row["snippet"]))
                cells.append(title)
            elif col == "path":
                cells.append(Text(safe_line(short_path(row["path"]))))
            elif col == "lastmod":
                cells.append(Text(safe_line((row.get("lastmod") or "")[:10])))
            elif col == "tags":
                cells.append(Text(safe_line(" ".join(row.get("tags") or []))))
            else:
                value = row.get(col)
                cells.append(Text(safe_line("" if value is None else value)))
        table.add_row(*cells)
    if rows:
        out.print(table)
    if summary:
        out.print(Text(summary, style="dim"))


def emit_counts(
    rows: Sequence[tuple[str, int]], fmt: str, key: str, *, title: str | None = None
) -> None:
    if fmt == "json":
        write(_dumps([{key: k, "count": n} for k, n in rows], ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        write("".join(_dumps({key: k, "count": n}, ensure_ascii=False) + "\n" for k, n in rows))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([key, "count"])
        writer.writerows((safe_line(k), n) for k, n in rows)
        write(buf.getvalue())
    elif fmt == "paths":
        write("".join(safe_line(k) + "\n" for k, _n in rows))
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=True, header_style="bold", title=title)
        table.add_column(key, style="green", overflow="fold")
        table.add_column("count", justify="right")
        for k, n in rows:
            table.add_row(Text(safe_line(k)), Text(str(n)))
        console().print(table)


def emit_json(value: Any) -> None:
    write(_dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def emit_records(rows: Sequence[dict[str, Any]], fmt: str) -> None:
    """Plain records (not notes) as json or jsonl."""
    if fmt == "jsonl":
        write("".join(_dumps(r, ensure_ascii=False) + "\n" for r in rows))
    else:
        write(_dumps(list(rows), ensure_ascii=False, indent=2) + "\n")


def emit_pairs(rows: Sequence[tuple[str, str]], fmt: str, header: tuple[str, str]) -> None:
    """Two-column listings (link, target) as table, csv or plain lines."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows((safe_line(a), safe_line(b)) for a, b in rows)
        write(buf.getvalue())
    elif fmt == "paths":
        write("".join(safe_line(b) + "\n" for _a, b in rows))
    else:
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=True, header_style="bold")
        table.add_column(header[0], style="dim", no_wrap=True)
        table.add_column(header[1], style="cyan", overflow="fold")
        for a, b in rows:
            table.add_row(Text(safe_line(a)), Text(safe_line(b)))
        console().print(table)


def emit_tree(rows: Sequence[tuple[str, int]]) -> None:
    """Nested tags as a Rich tree, children sorted as the rows are."""
    from rich.text import Text
    from rich.tree import Tree

    root = Tree(Text("tags", style="bold"))
    nodes: dict[str, Tree] = {}
    for name, n in sorted(rows, key=lambda r: r[0].count("/")):
        parent_key = name.rpartition("/")[0].casefold()
        parent = nodes.get(parent_key, root)
        label = Text(safe_line(name.rpartition("/")[2]), style="green")
        label.append(f" {n}", style="dim")
        nodes[name.casefold()] = parent.add(label)
    console().print(root)


def emit_history(rows: Sequence[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold")
    for col in ("at", "action", "detail", "title"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(Text(safe_line(r[c])) for c in ("at", "action", "detail", "title")))
    console().print(table)


# -- ecosystem: config, stats, export ---------------------------------------------------------


def emit_config(rows: Sequence[tuple[str, Any, str]], file_line: str) -> None:
    """`config`: key, effective value and where it came from, under a line naming the file."""
    from rich.table import Table
    from rich.text import Text

    console().print(Text(safe_line(file_line), style="dim"))
    table = Table(show_header=True, header_style="bold")
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("from", style="dim", overflow="fold")
    for key, value, origin in rows:
        if isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value) if value else "(none)"
        else:
            shown = str(value)
        table.add_row(Text(key), Text(safe_line(shown)), Text(safe_line(origin)))
    console().print(table)


_EIGHTHS = " ▏▎▍▌▋▊▉█"
_RISE = " ▁▂▃▄▅▆▇█"


def _hbar(n: int, top: int, width: int) -> str:
    """A horizontal bar of `width` cells at full scale, in eighths of a cell."""
    eighths = round(n * width * 8 / top) if top else 0
    if n and not eighths:
        eighths = 1
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _bar_chart(title: str, rows: Sequence[tuple[str, int]]) -> None:
    from rich.text import Text

    out = console()
    out.print(Text(title, style="bold"))
    if not rows:
        out.print(Text("  (none)", style="dim"))
        return
    names = [safe_line(k) for k, _n in rows]
    label_w = min(max(len(n) for n in names), 28)
    count_w = max(len(str(n)) for _k, n in rows)
    bar_w = max(10, min(50, out.width - label_w - count_w - 6))
    top = max(n for _k, n in rows)
    for name, (_k, n) in zip(names, rows, strict=True):
        label = name if len(name) <= label_w else name[: label_w - 1] + "…"
        line = Text("  " + label.ljust(label_w) + " ")
        line.append(_hbar(n, top, bar_w), style="green")
        line.append(f" {n}", style="dim")
        out.print(line, no_wrap=True, overflow="crop")


def _buckets(months: Sequence[tuple[str, int]], width: int) -> list[tuple[str, int]]:
    """Months, or quarters, or years: whichever fits in `width` columns."""
    if len(months) <= width:
        return list(months)
    quarters: dict[str, int] = {}
    for m, n in months:
        key = f"{m[:4]}-Q{(int(m[5:7]) - 1) // 3 + 1}"
        quarters[key] = quarters.get(key, 0) + n
    if len(quarters) <= width:
        return list(quarters.items())
    years: dict[str, int] = {}
    for m, n in months:
        years[m[:4]] = years.get(m[:4], 0) + n
    return list(years.items())[-width:]


def _histogram(title: str, months: Sequence[tuple[str, int]], height: int = 8) -> None:
    """Vertical bars in eighths of a cell, one column per month (wider when few)."""
    from rich.text import Text

    out = console()
    out.print(Text(title, style="bold"))
    if not months:
        out.print(Text("  (no dated notes)", style="dim"))
        return
    axis_w = len(str(sum(n for _m, n in months)))
    room = max(12, out.width - axis_w - 4)
    buckets = _buckets(months, room)
    cell = max(1, min(3, room // len(buckets)))
    bar = cell - 1 if cell > 1 else 1  # a gap between bars when there is room
    top = max(n for _m, n in buckets) or 1
    levels = [round(n * height * 8 / top) for _m, n in buckets]
    levels = [max(1, lv) if n else 0 for lv, (_m, n) in zip(levels, buckets, strict=True)]
    for row in range(height, 0, -1):
        label = str(top) if row == height else ""
        line = Text(f"{label:>{axis_w}} │", style="dim")
        cells = ""
        for lv in levels:
            filled = lv - (row - 1) * 8
            char = "█" if filled >= 8 else (_RISE[filled] if filled > 0 else " ")
            cells += (char * bar).ljust(cell)
        line.append(cells.rstrip(), style="cyan")
        out.print(line, no_wrap=True, overflow="crop")
    width = len(buckets) * cell
    out.print(Text(f"{'0':>{axis_w}} └" + "─" * width, style="dim"), no_wrap=True)
    labels = [" "] * width
    free = 0
    for i, (key, _n) in enumerate(buckets):
        year, at = key[:4], i * cell
        if at >= free and (i == 0 or buckets[i - 1][0][:4] != year) and at + 4 <= width:
            labels[at : at + 4] = list(year)
            free = at + 5
    span = f"{buckets[0][0]} … {buckets[-1][0]}"
    out.print(Text(" " * (axis_w + 2) + "".join(labels).rstrip(), style="dim"), no_wrap=True)
    out.print(Text(" " * (axis_w + 2) + span, style="dim"), no_wrap=True, overflow="crop")


def emit_stats(data: dict[str, Any]) -> None:
    """`stats` for a terminal: totals, top tags and authors as bars, notes per month."""
    from rich.text import Text

    out = console()
    rv = data["revisit"]
    line = Text()
    for label, value in (("notes", data["notes"]), ("drafts", data["drafts"])):
        line.append(f"{label} ", style="dim")
        line.append(f"{value}   ", style="bold")
    line.append("revisit queue ", style="dim")
    line.append(str(rv["due"]), style="bold")
    line.append(f" due, {rv['snoozed']} snoozed", style="dim")
    out.print(line)
    out.print()
    _bar_chart("top tags", [(r["tag"], r["count"]) for r in data["top_tags"]])
    out.print()
    _bar_chart("top authors", [(r["author"], r["count"]) for r in data["top_authors"]])
    out.print()
    title = "notes per month (by lastmod, else date)"
    if data["undated"]:
        title += f"; {data['undated']} undated"
    _histogram(title, [(r["month"], r["count"]) for r in data["notes_per_month"]])


def emit_export(rows: Sequence[dict[str, Any]], fmt: str, fields: Sequence[str]) -> None:
    """`export`: every field of each note as json, jsonl or csv (lists and objects as JSON).

    CSV is data and is written as it is, except on a terminal, where control characters
    are made visible as everywhere else. JSON escapes them itself.
    """
    tty = stdout_is_terminal()
    if fmt == "json":
        write(_dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        write("".join(_dumps(r, ensure_ascii=False) + "\n" for r in rows))
    else:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            cells = [_export_cell(row.get(k)) for k in fields]
            writer.writerow([safe(c, multiline=True) for c in cells] if tty else cells)
        write(buf.getvalue())


def _export_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return _dumps(value, ensure_ascii=False)
    return str(value)
