"""Edits that never damage a note.

Pure functions on the note's exact decoded text (BOM kept as U+FEFF, CRLF kept) plus one
atomic file write::

    add_tag(text, tag) -> str
    remove_tag(text, tag) -> str          # case-insensitive
    rename_tag(text, old, new) -> str     # case-insensitive on old
    set_key(text, key, value) -> str      # scalar string/date; value None removes the key
    atomic_write(path, new_text, expected_original) -> None

Only the frontmatter lines of the edited key change; the body, other keys, their order,
comments, quoting, dates, indentation, line endings and the BOM stay byte-identical. Every
edit parses the frontmatter before and after (yaml.safe_load / tomllib / json) and raises
EditRefused (one-line reason) unless the result parses, the body is unchanged, every other
key is unchanged and the edited key has exactly the intended value. Anything not understood
line by line (anchors, aliases, nested values, multi-line scalars, duplicate keys, explicit
``~``) is refused rather than guessed.

Tag key, as the indexer reads it: ``tags``, ``tag``, ``keywords`` matched case-insensitively
(spelling kept); the first with a non-null value, else the first present, else a new ``tags``.
Only frontmatter tags are edited. Tags compare ignoring case and a leading ``#``: adding a
present tag and removing an absent one return the text unchanged; removing removes every
match; renaming onto a tag the note already has drops the old one instead of duplicating.

List style is followed: YAML block lists (any indent), flow lists (separator and quoting of
existing items copied), tag strings (``a, b`` or ``a b``: same separator), TOML arrays and
JSON arrays (single line: copied separator; one item per line: new line with the same indent
and trailing-comma style). New tags are plain YAML scalars only when that is unambiguous in
every YAML version, else double-quoted (or single-quoted when the list uses single quotes).

Add/remove identity rule -- ``remove_tag(add_tag(t, x), x) == t`` for every accepted t:

* a key is created only in a multi-line form, placed last among top-level keys: YAML
  ``tags:`` + ``- x`` at column 0; TOML ``tags = [`` / ``  "x",`` / ``]`` (before the first
  table); JSON a multi-line array member in the object's indent. A note without frontmatter
  gets ``---`` / ``tags:`` / ``- x`` / ``---`` prepended.
* removing the last tag from a list in that form deletes the key: a YAML block list whose
  only item is at column 0 right under a bare ``key:`` line, or a TOML/JSON array spanning
  several lines. If that leaves a YAML block with nothing between two exact ``---`` fences,
  the block goes too (unless the body would then itself read as frontmatter).
* every other emptied list stays: one-line lists keep their brackets and inner spacing
  (``[x]`` -> ``[]``, ``[ x ]`` -> ``[ ]``); a block list with indented items (or whose key
  line has a comment or trailing space) leaves ``key:`` (null); a quoted tag string becomes
  ``""``, a plain one ``key:``.
* adding to a null ``key:`` keeps that line and puts the item under it indented by two
  spaces, so removing it brings back ``key:``.
* add_tag checks the rule on its own result and refuses if removing would not give back the
  identical text (e.g. an already empty ``---``/``---`` block or an empty multi-line array).

set_key keeps the existing quoting; a new or plain value is written unquoted when it reads
back as that string or as that date (``revisit_after: 2026-12-01``), else double-quoted.
A key set_key created is removed again by ``set_key(..., None)`` (same identity rule).
"""

from __future__ import annotations

from notes_kb.edit._atomic import atomic_write
from notes_kb.edit._ops import TAG_KEYS, add_tag, remove_tag, rename_tag, set_key

__all__ = ["TAG_KEYS", "add_tag", "atomic_write", "remove_tag", "rename_tag", "set_key"]
