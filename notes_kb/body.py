"""Pure scanning of a markdown body: code masking, headings, inline #tags and links.

Speed matters here (every note goes through it on import), so most patterns begin with a
literal character (`#`, `[`, `<`, a backtick) that the regex engine can skip to, and
line-start conditions are checked on the few candidates instead of at every position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote

from notes_kb.model import Link

_BACKTICK_FENCE_RE = re.compile(r"```+")
_TILDE_FENCE_RE = re.compile(r"~~~+")
_TICKS_RE = re.compile(r"``*")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
# Raw HTML elements whose content is code or styling, not prose.
_HTML_CODE_OPEN_RE = re.compile(r"<((?i:pre|script|style))\b")
_HTML_CODE_CLOSE = {tag: re.compile(rf"</{tag}\s*>", re.I) for tag in ("pre", "script", "style")}
# An indented code block: lines indented four spaces (or a tab) after a blank line.
_INDENTED_RE = re.compile(r"\n[ \t]*\n((?:(?: {4}|\t)[^\n]*(?:\n|\Z)|[ \t]*(?:\n|\Z))+)")
_LIST_ITEM_RE = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
# A `# ` heading line; the leading newline is supplied by the caller for the first line.
_H1_RE = re.compile(r"\n[ \t]{0,3}#[ \t]+([^\n]+)")
# A tag: `#` at the start of the text or after whitespace, then a word holding a letter.
_TAG_RE = re.compile(r"#(?<!\S#)([^\W\d_][\w\-/]*|[\d_][\w\-/]*[^\W\d_][\w\-/]*)")
# Lines whose `#words` are not tags: ATX headings and link reference definitions.
_NO_TAG_LINE_RE = re.compile(r"[ \t]{0,3}(?:#{1,6}(?:[ \t]|$)|\[[^\]\n]+\]:)", re.M)
_HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
# The link text and the wikilink parts are possessive (`*+`, `++`): they can end only where
# their class stops, so backtracking into them could never find a match, only cost time.
_MD_LINK_RE = re.compile(
    r"\[((?:[^\[\]\n]++|\[[^\[\]\n]*+\])*+)\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REF_DEF_RE = re.compile(r"\[([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)")
_AUTOLINK_RE = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.\-]{1,31}:[^\s<>]+)>")
_WIKI_RE = re.compile(r"\[\[([^\[\]\n|]++)(?:\|([^\[\]\n]*+))?\]\](?!\()")
# http://, https:// or www. not preceded by a word character (case-insensitive).
_BARE_URL_RE = re.compile(
    r"[hHwW](?<!\w.)(?:(?<=[hH])[tT][tT][pP][sS]?://|(?<=[wW])[wW][wW]\.)[^\s<>\"'`\]\[]+"
)
_WWW_RE = re.compile(r"[wW][wW][wW]\.")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
_DRIVE_RE = re.compile(r"^[a-zA-Z]:[\\/]")
_HOST_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^:/?#]*)")
_WIKI_TARGET_RE = re.compile(r"[#^]")


def _blank(m: re.Match[str]) -> str:
    text = m.group(0)
    newlines = text.count("\n")
    return " " + "\n" * newlines if newlines else " "


def _blank_text(text: str) -> str:
    newlines = text.count("\n")
    return " " + "\n" * newlines if newlines else " "


def mask(text: str, pattern: re.Pattern[str]) -> str:
    """Replace every match with a space, keeping its line breaks (so line anchors still work)."""
    return pattern.sub(_blank, text)


def _mask_spans(text: str) -> str:
    """Blank out code spans: a backtick run up to the next run of the same length."""
    runs = [(m.start(), m.end()) for m in _TICKS_RE.finditer(text)]
    if len(runs) < 2:
        return text
    # For each run length, the indexes of the runs of that length, in order.
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    cursor = dict.fromkeys(by_length, 0)
    parts: list[str] = []
    pos = 0
    i = 0
    while i < len(runs):
        start, end = runs[i]
        length = end - start
        same = by_length[length]
        k = cursor[length]
        while k < len(same) and same[k] <= i:
            k += 1
        cursor[length] = k
        if k == len(same):
            i += 1  # no closing run: the backticks are literal
            continue
        close = same[k]
        parts.append(text[pos:start])
        parts.append(_blank_text(text[start : runs[close][1]]))
        pos = runs[close][1]
        i = close + 1
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _mask_fences(text: str) -> str:
    """Blank out fenced code blocks (an unclosed fence runs to the end of the text)."""
    parts: list[str] = []
    pos = 0
    # The next opening fence of each kind at or after `pos` (None: there is none).
    upcoming = {
        char: _next_fence(text, 0, pattern)
        for char, pattern in (("`", _BACKTICK_FENCE_RE), ("~", _TILDE_FENCE_RE))
        if char in text
    }
    while True:
        for char, pattern in (("`", _BACKTICK_FENCE_RE), ("~", _TILDE_FENCE_RE)):
            found = upcoming.get(char)
            if found is not None and found[0] < pos:
                upcoming[char] = _next_fence(text, pos, pattern)
        candidates = [found for found in upcoming.values() if found is not None]
        if not candidates:
            break
        start, fence, info_end = min(candidates)
        end = _fence_close(text, info_end, fence)
        parts.append(text[pos:start])
        parts.append(_blank_text(text[start:end]))
        pos = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def _next_fence(text: str, pos: int, pattern: re.Pattern[str]) -> tuple[int, str, int] | None:
    """(line start, fence, end of the opening line) of the next opening fence from `pos`."""
    search = pos
    while m := pattern.search(text, search):
        search = m.end()
        if not _at_line_start(text, m.start()):
            continue
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        if m.group(0)[0] == "`" and "`" in text[m.end() : line_end]:
            continue  # a backtick fence's info string has no backticks: this is a code span
        line_start = text.rfind("\n", 0, m.start()) + 1
        return line_start, m.group(0), line_end
    return None


def _fence_close(text: str, pos: int, fence: str) -> int:
    """The end of the line that closes `fence` (same character, at least as long), or the end."""
    char = fence[0]
    while True:
        found = text.find(fence, pos)
        if found < 0:
            return len(text)
        run_end = found + len(fence)
        while run_end < len(text) and text[run_end] == char:
            run_end += 1
        line_end = text.find("\n", run_end)
        line_end = len(text) if line_end < 0 else line_end
        if _at_line_start(text, found) and not text[run_end:line_end].strip(" \t"):
            return line_end
        pos = run_end


def _mask_indented(text: str) -> str:
    """Blank out indented code blocks (not the indented paragraphs of list items)."""
    work = "\n\n" + text
    parts: list[str] = []
    pos = 0
    for m in _INDENTED_RE.finditer(work):
        line_start = work.rfind("\n", 0, m.start()) + 1
        previous = work[line_start : m.start()]
        if previous.strip() and (previous[0] in " \t" or _LIST_ITEM_RE.match(previous)):
            continue  # a continuation of a list item or of an indented block
        parts.append(work[pos : m.start(1)])
        parts.append(_blank_text(m.group(1)))
        pos = m.end(1)
    if not parts:
        return text
    parts.append(work[pos:])
    return "".join(parts)[2:]


def strip_code(body: str) -> str:
    """The body with fenced and indented code, code spans, HTML comments and <pre> blanked out."""
    if "`" in body or "~~~" in body:
        body = _mask_fences(body)
        if "`" in body:
            body = _mask_spans(body)
    if "    " in body or "\t" in body:
        body = _mask_indented(body)
    if "<!--" in body:
        body = mask(body, _COMMENT_RE)
    if "<" in body:
        body = _mask_html_code(body)
    return body


def _mask_html_code(text: str) -> str:
    """Blank out <pre>, <script> and <style> elements (unclosed: to the end of the text)."""
    parts: list[str] = []
    pos = 0
    while m := _HTML_CODE_OPEN_RE.search(text, pos):
        close = _HTML_CODE_CLOSE[m.group(1).lower()].search(text, m.end())
        end = close.end() if close else len(text)
        parts.append(text[pos : m.start()])
        parts.append(_blank_text(text[m.start() : end]))
        pos = end
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def first_heading(code_free: str) -> str | None:
    """The text of the first level-1 ATX heading (`# Title`), without a closing `#` run."""
    if "#" not in code_free:
        return None
    for m in _H1_RE.finditer("\n" + code_free):
        text = m.group(1).rstrip()
        bare = text.rstrip("#")
        if bare != text and (not bare or bare[-1] in " \t"):
            text = bare.rstrip()  # `# Title ##`: the closing sequence is not part of it
        if text:
            return text
    return None


def inline_tags(code_free: str) -> list[str]:
    """`#tags` in prose: not headings, hex colours, numbers or URL fragments."""
    if "#" not in code_free:
        return []
    out: list[str] = []
    line_start = 0
    line_ok: bool | None = None
    searched = 0
    for m in _TAG_RE.finditer(code_free):
        pos = m.start()
        newline = code_free.rfind("\n", searched, pos)
        searched = pos
        if newline >= 0:
            line_start, line_ok = newline + 1, None
        if line_ok is None:
            line_ok = _NO_TAG_LINE_RE.match(code_free, line_start) is None
        if not line_ok:
            continue
        tag = m.group(1).rstrip("/-")
        if tag and not (_HEX_RE.match(tag) and _looks_like_colour(tag)):
            out.append(tag)
    return out


def _looks_like_colour(hex_word: str) -> bool:
    """`#ff0000`, `#EBEBEB`, `#fff` are colours; `#cafe` or `#add` may well be tags."""
    return (
        len(hex_word) in (6, 8)
        or any(c.isdigit() for c in hex_word)
        or len(set(hex_word.lower())) == 1
    )


def domain_of(url: str) -> str:
    """The lower-case host of a URL (the mail domain for mailto:), or ""."""
    if not url.startswith(("https://", "http://")):  # most URLs skip these checks
        if url[:7].lower() == "mailto:":
            return url[7:].split("?", 1)[0].rpartition("@")[2].strip().lower()
        if "://" not in url:
            if _SCHEME_RE.match(url):
                return ""  # tel:, news:, urn: ... have no host
            url = "http://" + url
    m = _HOST_RE.match(url)
    if not m:
        return ""
    return m.group(1).strip("[]").rstrip(".").lower()


def classify(target: str, text: str = "", origin: str = "body") -> Link | None:
    """A link from a markdown destination: an external URL or a path to another note."""
    target = target.strip()
    if target.startswith(("https://", "http://")):  # most links: what the steps below make
        return Link("url", target, domain_of(target), text, origin)
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1].strip()
    if not target or target.startswith("#"):
        return None
    if target[:4].lower() == "www.":
        target = "http://" + target
    if _SCHEME_RE.match(target) and not _DRIVE_RE.match(target):
        scheme = target.split(":", 1)[0].lower()
        if scheme in ("javascript", "data", "vbscript"):
            return None
        return Link("url", target, domain_of(target), text, origin)
    path = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if not path:
        return None
    return Link("internal", path, "", text, origin)


def wiki_target(raw: str) -> str:
    """`note#heading` or `note^block` -> `note`."""
    if "#" not in raw and "^" not in raw:
        return raw.strip()
    return _WIKI_TARGET_RE.split(raw, maxsplit=1)[0].strip()


def _at_line_start(text: str, pos: int) -> bool:
    """True when only up to three spaces or tabs stand between the line start and `pos`."""
    newline = text.rfind("\n", max(0, pos - 4), pos)
    if newline < 0 and pos > 3:
        return False
    return not text[newline + 1 : pos].strip(" \t")


def links(code_free: str) -> list[Link]:
    """Every link in a body whose code was already masked."""
    found: list[Link] = []
    text = code_free

    def md_link(m: re.Match[str]) -> str:
        start = m.start()
        if not (start and m.string[start - 1] == "!"):  # images are not links
            link = classify(m.group(2), m.group(1).strip())
            if link:
                found.append(link)
        return _blank(m)

    def ref_def(m: re.Match[str]) -> str:
        if m.group(1).startswith("^") or not _at_line_start(m.string, m.start()):
            return m.group(0)  # footnote definitions are text (their URLs are found as bare)
        link = classify(m.group(2), m.group(1))
        if link:
            found.append(link)
        return _blank(m)

    def autolink(m: re.Match[str]) -> str:
        link = classify(m.group(1))
        if link:
            found.append(link)
        return _blank(m)

    def wikilink(m: re.Match[str]) -> str:
        target = wiki_target(m.group(1))
        if target:
            found.append(Link("wiki", target, "", (m.group(2) or "").strip()))
        return _blank(m)

    if "](" in text:
        text = _MD_LINK_RE.sub(md_link, text)
    if "]:" in text:
        text = _REF_DEF_RE.sub(ref_def, text)
    if "<" in text:
        text = _AUTOLINK_RE.sub(autolink, text)
    if "[[" in text:
        text = _WIKI_RE.sub(wikilink, text)
    for m in bare_urls(text):
        url = _trim_url(m.group(0))
        if url[:4].lower() == "www.":
            url = "http://" + url
        # Always http(s)://: the one kind of link `classify` would make of it.
        found.append(Link("url", url, domain_of(url)))
    return found


def bare_urls(text: str) -> Iterator[re.Match[str]]:
    """What _BARE_URL_RE.finditer(text) gives, found faster.

    A bare URL can only start 4 or 5 characters before a `://` or at a `www.` (in any
    case), so the pattern is tried at those places alone, in order, instead of at every h
    and w of the text.
    """
    starts: set[int] = set()
    at = text.find("://")
    while at != -1:
        starts.update((at - 5, at - 4))
        at = text.find("://", at + 3)
    lower = text.lower()
    if len(lower) == len(text):  # each character stayed one character: same positions
        at = lower.find("www.")
        while at != -1:
            starts.add(at)
            at = lower.find("www.", at + 4)
    else:
        starts.update(m.start() for m in _WWW_RE.finditer(text))
    end = 0
    for start in sorted(starts):
        if start < end or start < 0:
            continue
        m = _BARE_URL_RE.match(text, start)
        if m:
            end = m.end()
            yield m


def _trim_url(url: str) -> str:
    url = url.rstrip(".,;:!?*_~")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?*_~")
    return url
