"""The notebook's words as the Whoosh index holds them: stems, typo neighbours, corrections.

Works on a Whoosh reader handed in (``doc_frequency``, ``expand_prefix``, ``field_length``)
and on a word list grouped by length and first letter (:data:`Buckets`), which the Whoosh
engine keeps beside its index: looking for typo neighbours in a few small buckets is far
faster than walking the index's term tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from notes_kb.engines.text import distance, max_edits, words
from notes_kb.store import bulk

TEXT_FIELDS = ("title", "body", "tags", "authors")
#: At most this many neighbours stand in for one typed word.
MAX_EXPANSIONS = 8

#: "<length>:<first letter>" -> the words of that length and first letter, space-separated.
Buckets = dict[str, str]


def bucket_key(word: str) -> str:
    return f"{len(word)}:{word[:1]}"


def add_to_buckets(buckets: Buckets, new_words: Iterable[str]) -> Buckets:
    grouped: dict[str, set[str]] = {}
    for word in new_words:
        grouped.setdefault(bucket_key(word), set()).add(word)
    out = dict(buckets)
    for key, group in grouped.items():
        if key in out:
            group |= set(out[key].split(" "))
        out[key] = " ".join(sorted(group))
    return out


@lru_cache(maxsize=1)
def stemmer() -> bulk.Stemmer:
    """Stems as the FTS5 index makes them, so both engines match the same words."""
    return bulk.Stemmer()


class Lexicon:
    def __init__(self, reader: Any, buckets: Callable[[], Buckets]) -> None:
        self.reader = reader
        self.fields = [f for f in TEXT_FIELDS if reader.field_length(f)]
        self._buckets = buckets
        self._variants: dict[str, set[str]] = {}
        self._frequency: dict[str, int] = {}

    def frequency(self, word: str) -> int:
        """In how many notes' fields `word` occurs (exactly, as indexed)."""
        known = self._frequency.get(word)
        if known is None:
            known = sum(self.reader.doc_frequency(f, word) for f in self.fields)
            self._frequency[word] = known
        return known

    def variants(self, word: str) -> set[str]:
        """The indexed words with the stem of `word` (and `word` itself)."""
        known = self._variants.get(word)
        if known is None:
            root = stemmer().stem(word)
            known = self._with_stem(root, lambda s: s == root)
            if self.frequency(word):
                known.add(word)
            self._variants[word] = known
        return known

    def prefixed(self, word: str) -> set[str]:
        """The indexed words whose stem starts with the stem of `word` (FTS5's ``word*``)."""
        root = stemmer().stem(word).split(" ")[0]
        if len(root) <= 2:  # too many candidates to stem: words and stems start alike
            return self._starting(root)
        return self._with_stem(root, lambda s: s.startswith(root))

    def _starting(self, prefix: str) -> set[str]:
        return {
            raw.decode("utf-8")
            for fieldname in self.fields
            for raw in self.reader.expand_prefix(fieldname, prefix)
        }

    def _with_stem(self, root: str, keep: Callable[[str], bool]) -> set[str]:
        # A word starts with its stem but for the stem's last letter (happy -> happi,
        # moving -> move), so the candidates are the words sharing the stem's start.
        prefix = root[:-1] if len(root) >= 4 else root[:2]
        if len(prefix) < 2:
            return {root} if self.frequency(root) else set()
        candidates = self._starting(prefix)
        stems = stemmer().stems(candidates)
        return {c for c in candidates if keep(stems[c])}

    def neighbours(self, word: str, edits: int) -> dict[str, int]:
        """Indexed words within `edits` typos of `word`, same first letter -> their edits."""
        buckets = self._buckets()
        out: dict[str, int] = {}
        for size in range(max(1, len(word) - edits), len(word) + edits + 1):
            for candidate in buckets.get(f"{size}:{word[:1]}", "").split():
                if candidate != word:
                    d = distance(word, candidate, edits)
                    if d <= edits and self.frequency(candidate):
                        out[candidate] = d
        return out

    def expand(self, typed: str) -> list[tuple[str, int]]:
        """`typed` and its nearest neighbours for a fuzzy search; [] when it takes no typos.

        A word the notebook has keeps only neighbours more frequent than itself (a typo is
        rarer than the word meant), so correct common words do not drag in look-alikes.
        """
        tokens = words(typed)
        if len(tokens) != 1 or max_edits(tokens[0]) == 0:
            return []
        word = tokens[0]
        near = self.neighbours(word, max_edits(word))
        own = self.frequency(word)
        ranked = sorted(
            (w for w in near if self.frequency(w) > own),
            key=lambda w: (near[w], -self.frequency(w), w),
        )
        return [(word, 0), *((w, near[w]) for w in ranked[:MAX_EXPANSIONS])]

    def correct(self, typed: str) -> str | None:
        """The likeliest intended word for a word the notebook does not have."""
        tokens = words(typed)
        if len(tokens) != 1 or len(tokens[0]) < 3 or tokens[0].isdigit():
            return None
        word = tokens[0]
        if self.variants(word):
            return None
        near = self.neighbours(word, max(1, max_edits(word)))
        if not near:
            return None
        return min(near, key=lambda w: (near[w], -self.frequency(w), abs(len(w) - len(word)), w))
