"""Words as the search engines see them, and edit distances. Pure code: no I/O, no Whoosh.

The tokenizer mirrors SQLite FTS5's ``unicode61 remove_diacritics 2`` closely enough that
both engines agree on what a word is: runs of letters and digits (``_`` separates words),
lower-cased, with combining accents removed (``naïve`` -> ``naive``).
"""

from __future__ import annotations

import re
import unicodedata

_WORD_RE = re.compile(r"[^\W_]+")
_MARKS_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")

#: Common English words that say nothing about what a note is about (for `related`).
_STOPWORDS = """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its
    itself just let like may me might more most must my no nor not now of off on once only
    or other our ours out over own same she should so some such than that the their theirs
    them then there these they this those through to too under until up upon us use used
    using very was we were what when where which while who whom why will with would you
    your yours"""
STOPWORDS = frozenset(_STOPWORDS.split())


def fold(text: str) -> str:
    """Lower case without accents; ASCII text takes the fast path."""
    if text.isascii():
        return text.lower()
    return _MARKS_RE.sub("", unicodedata.normalize("NFD", text)).lower()


def words(text: str) -> list[str]:
    """The words of `text`, in order, as indexed."""
    return _WORD_RE.findall(fold(text))


def max_edits(word: str) -> int:
    """How many typos a fuzzy search forgives in `word`: 0 up to 3 characters, 1 up to 7,
    2 from 8."""
    size = len(word)
    if size <= 3:
        return 0
    return 1 if size <= 7 else 2


def distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: a swap of neighbours is one
    edit), or `limit` + 1 when it is larger than `limit`."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    # The common start and end cost nothing: compare only what lies between.
    start = 0
    end_a, end_b = len(a), len(b)
    while start < end_a and start < end_b and a[start] == b[start]:
        start += 1
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    if not a or not b:
        size = len(a) or len(b)
        return size if size <= limit else limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            value = previous[j - 1] + (ca != cb)
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if (
                i > 1
                and j > 1
                and ca == b[j - 2]
                and a[i - 2] == cb
                and previous2[j - 2] + 1 < value
            ):
                value = previous2[j - 2] + 1
            current[j] = value
            if value < best:
                best = value
        if best > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)
