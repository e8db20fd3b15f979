"""Pure scanning of a markdown body: code masking, headings, inline #tags and links."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from notes_kb.model import Link

_FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[`~]*[ \t]*$|\Z)", re.M | re.S)
_SPAN_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_HEADING_RE = re.compile(r"^[ \t]{0,3}#[ \t]+(.+?)[ \t#]*$", re.M)
_ATX_LINE_RE = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)[^\n]*$", re.M)
_TAG_RE = re.compile(r"(?:(?<=\s)|^)#([^\W\d_][\w\-/]*|[\d_][\w\-/]*[^\W\d_][\w\-/]*)", re.M)
_HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_MD_LINK_RE = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REF_DEF_RE = re.compile(r"^[ \t]{0,3}\[([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)", re.M)
_AUTOLINK_RE = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.\-]{1,31}:[^\s<>]+)>")
_WIKI_RE = re.compile(r"(!?)\[\[([^\[\]\n|]+?)(?:\|([^\[\]\n]*))?\]\](?!\()")
_BARE_URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`\]\[]+", re.I)
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")


def _blank(m: re.Match[str]) -> str:
    text = m.group(0)
    newlines = text.count("\n")
    return " " + "\n" * newlines if newlines else " "


def mask(text: str, pattern: re.Pattern[str]) -> str:
    """Replace every match with a space, keeping its line breaks (so line anchors still work)."""
    return pattern.sub(_blank, text)


def strip_code(body: str) -> str:
    """The body with fenced blocks, code spans and HTML comments blanked out."""
    if "`" in body or "~~~" in body:
        body = mask(body, _FENCE_RE)
        if "`" in body:
            body = mask(body, _SPAN_RE)
    if "<!--" in body:
        body = mask(body, _COMMENT_RE)
    return body


def first_heading(code_free: str) -> str | None:
    m = _HEADING_RE.search(code_free)
    if not m:
        return None
    return m.group(1).strip() or None


def inline_tags(code_free: str) -> list[str]:
    """`#tags` in prose: not headings, hex colours, numbers or URL fragments."""
    if "#" not in code_free:
        return []
    text = mask(code_free, _ATX_LINE_RE)
    out: list[str] = []
    for m in _TAG_RE.finditer(text):
        tag = m.group(1).rstrip("/-")
        if not tag or _HEX_RE.match(tag) and any(c.isdigit() for c in tag):
            continue
        out.append(tag)
    return out


def domain_of(url: str) -> str:
    try:
        parts = urlsplit(url if "://" in url or url.startswith("mailto:") else "//" + url)
    except ValueError:
        return ""
    if parts.scheme == "mailto":
        return parts.path.rpartition("@")[2].lower()
    return (parts.hostname or "").lower()


def classify(target: str, text: str = "", origin: str = "body") -> Link | None:
    """A link from a markdown destination: an external URL or a path to another note."""
    target = target.strip()
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1].strip()
    if not target or target.startswith("#"):
        return None
    if target.lower().startswith("www."):
        target = "http://" + target
    if _SCHEME_RE.match(target) and not re.match(r"^[a-zA-Z]:[\\/]", target):
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
    return re.split(r"[#^]", raw, maxsplit=1)[0].strip()


def links(code_free: str) -> list[Link]:
    """Every link in a body whose code was already masked."""
    found: list[Link] = []
    text = code_free

    def md_link(m: re.Match[str]) -> str:
        if not m.group(1):
            link = classify(m.group(3), m.group(2).strip())
            if link:
                found.append(link)
        else:
            # Images are not links, but their alt text may hold links.
            pass
        return _blank(m)

    if "](" in text:
        text = _MD_LINK_RE.sub(md_link, text)
    if "]:" in text:
        for m in _REF_DEF_RE.finditer(text):
            if m.group(1).startswith("^"):
                continue  # footnote definitions are text, not links
            link = classify(m.group(2), m.group(1))
            if link:
                found.append(link)
        text = mask(text, _REF_DEF_RE)
    if "<" in text:
        for m in _AUTOLINK_RE.finditer(text):
            link = classify(m.group(1))
            if link:
                found.append(link)
        text = mask(text, _AUTOLINK_RE)
    if "[[" in text:
        for m in _WIKI_RE.finditer(text):
            target = wiki_target(m.group(2))
            if target:
                found.append(Link("wiki", target, "", (m.group(3) or "").strip()))
        text = mask(text, _WIKI_RE)
    if "http" in text or "www." in text or "HTTP" in text:
        for m in _BARE_URL_RE.finditer(text):
            url = _trim_url(m.group(0))
            link = classify(url)
            if link:
                found.append(link)
    return found


def _trim_url(url: str) -> str:
    url = url.rstrip(".,;:!?*_~")
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(".,;:!?*_~")
    return url
