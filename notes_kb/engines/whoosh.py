"""The Whoosh engine: a second full-text index kept beside the SQLite file.

The only module that imports whoosh. The index (``<db>.whoosh/``) is derived data: it is
rebuilt from the notes table whenever it is missing, from another schema, or damaged, and
brought up to date lazily, by path and content hash, before the first use after an import.

Words are indexed unstemmed (one fast tokenizer, :func:`notes_kb.engines.text.words`), so the
lexicon is the notebook's real vocabulary: typo expansion and spelling suggestions read it
directly. Stemming happens at query time instead: a word matches every indexed word with the
same stem, the stems coming from SQLite's own FTS5 tokenizer, so both engines match the same
words.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from pickle import dumps as _dumps
from typing import Any

from whoosh import classify, columns, fields, index, scoring
from whoosh.analysis.filters import CharsetFilter, LowercaseFilter
from whoosh.analysis.tokenizers import RegexTokenizer
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.query.compound import And as QAnd
from whoosh.query.compound import Or as QOr
from whoosh.query.positional import Sequence as QSequence
from whoosh.query.qcore import Every, NullQuery
from whoosh.query.terms import Term
from whoosh.query.wrappers import Not as QNot
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint as _pack_uint

from notes_kb.engines import Progress, SearchRequest, SearchResult, plan
from notes_kb.engines import indexfiles as files
from notes_kb.engines.lexicon import TEXT_FIELDS, Buckets, Lexicon, add_to_buckets
from notes_kb.engines.text import STOPWORDS, words
from notes_kb.errors import IndexError_, NotesKbError
from notes_kb.query import And, Field, Node, Not, Or, Text, text_terms
from notes_kb.store import bulk
from notes_kb.store.querysql import compile_query, fts_quote
from notes_kb.store.read import notes_by_id

#: Bump when the schema or the tokenizer changes: older indexes are then rebuilt.
SCHEMA_VERSION = 2
BOOSTS = {"title": 10.0, "body": 1.0, "tags": 6.0, "authors": 3.0}  # as FTS5's bm25 weights
#: Weight of a fuzzy match by its number of edits from the typed word.
EDIT_WEIGHTS = (1.0, 0.4, 0.2)
#: Above this share of changed notes, a full rebuild is faster than an update.
REBUILD_SHARE = 0.5
#: Memory for postings before Whoosh spills sorted runs to disk (spilling halves the speed).
WRITER_MB = 1024
#: Notebooks from this size are indexed by several processes, one segment each.
PARALLEL_FROM = 2000
MAX_PROCS = 4
LOCK_WAIT_S = 5.0
#: Posting lists shorter than this live in the term table: most words are rare.
INLINE_POSTINGS = 16


def index_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".whoosh")


class _Words(fields.TEXT):
    """A TEXT field tokenized by notes_kb's own word splitter, without per-token objects."""

    def __init__(self) -> None:
        analyzer = RegexTokenizer(r"[^\W_]+") | LowercaseFilter() | CharsetFilter(accent_map)
        super().__init__(analyzer=analyzer, phrase=True)

    def index(self, value: Any, **kwargs: Any) -> Generator[tuple[bytes, int, float, bytes]]:
        # Positions are stored as Whoosh's Positions format does: count + pickled deltas.
        deltas: dict[str, list[int]] = {}
        last: dict[str, int] = {}
        for pos, word in enumerate(words(value)):
            found = deltas.get(word)
            if found is None:
                deltas[word] = [pos]
            else:
                found.append(pos - last[word])
            last[word] = pos
        for word, found in deltas.items():
            n = len(found)
            yield word.encode("utf-8"), n, float(n), _pack_uint(n) + _dumps(found, 2)


class _PostingsWriter(W3PostingsWriter):
    """Keeps short posting lists inside the term table (whoosh3 names the setter
    ``set_inlined`` but calls ``set_inline``, so its own inlining never runs)."""

    def finish_postings(self) -> Any:
        terminfo: Any = self._terminfo
        if not self.written() and len(self) < self._inlinelimit:  # type: ignore[no-untyped-call]
            terminfo.add_block(self)
            terminfo.set_inlined(self._ids, self._weights, self._values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()  # type: ignore[no-untyped-call]


class _Codec(W3Codec):
    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(  # type: ignore[no-untyped-call]
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def _writer(ix: Any, notes: int = 0, **kwargs: Any) -> Any:
    """A writer for `notes` new notes: one process, or several for a big build."""
    codec = _Codec(inlinelimit=INLINE_POSTINGS)  # type: ignore[no-untyped-call]
    procs = min(os.cpu_count() or 1, MAX_PROCS) if notes >= PARALLEL_FROM else 1
    if procs > 1:
        return ix.writer(
            codec=codec, limitmb=WRITER_MB // procs, procs=procs, multisegment=True, **kwargs
        )
    return ix.writer(codec=codec, limitmb=WRITER_MB, **kwargs)


def schema() -> Any:
    return fields.Schema(
        path=fields.ID(unique=True, stored=True),
        nid=fields.COLUMN(columns.NumericColumn("q")),  # type: ignore[no-untyped-call]
        sig=fields.STORED(),
        **{name: _Words() for name in TEXT_FIELDS},
    )


class WhooshEngine:
    name = "whoosh"

    def __init__(
        self, conn: sqlite3.Connection, db_path: Path, progress: Progress | None = None
    ) -> None:
        self.conn = conn
        self.dir = index_dir(db_path)
        self.progress = progress
        self._ix: Any = None
        self.rebuilt = False  # set when this run had to build the index from scratch
        self.updated = 0  # notes added, changed or removed by the last update

    # ---- keeping the index right -------------------------------------------------------

    def reindex(self) -> int:
        self._ix = self._build()
        return int(self._ix.doc_count())

    def ready(self, build_limit: int) -> bool:
        if self._ix is None:
            ix = self._open_checked()
            if ix is None and bulk.note_count(self.conn) > build_limit:
                return False
            self._ix = self._build() if ix is None else self._update(ix)
        return True

    def ensure(self) -> Any:
        """The index, built or brought up to date first if needed."""
        if self._ix is None:
            ix = self._open_checked()
            self._ix = self._build() if ix is None else self._update(ix)
        return self._ix

    def _guarded(self, action: Any) -> Any:
        """Run `action(index)`; a damaged index found on the way is rebuilt once."""
        try:
            return action(self.ensure())
        except (NotesKbError, sqlite3.Error, KeyboardInterrupt):
            raise
        except Exception:  # whoosh reports damaged files in many ways
            self._ix = None
        try:
            self._ix = self._build()
            return action(self._ix)
        except (NotesKbError, sqlite3.Error, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise IndexError_(f"the Whoosh index at {self.dir} cannot be used: {exc}") from exc

    def _open_checked(self) -> Any:
        """The index if it exists, has our schema and its files are whole; else None."""
        meta = files.read_meta(self.dir)
        if meta.get("schema") != SCHEMA_VERSION:
            return None
        try:
            ix: Any = index.open_dir(str(self.dir))
            return ix if files.files_intact(self.dir, meta, ix.latest_generation()) else None
        except Exception:  # whoosh reports damaged files in many ways
            return None

    def _build(self) -> Any:
        """Index every note into a fresh directory, then swap it into place."""
        generation = bulk.generation(self.conn)
        total = bulk.note_count(self.conn)
        files.clean_leftovers(self.dir)
        build = self.dir.with_name(f"{self.dir.name}.build-{os.getpid()}")
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        try:
            ix: Any = index.create_in(str(build), schema())
            writer = _writer(ix, total)
            try:
                self._add(writer, bulk.documents(self.conn), total)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            toc = ix.latest_generation()
            with ix.reader() as reader:
                files.save_words(build, toc, _all_words(reader))
            files.write_meta(build, SCHEMA_VERSION, generation, toc)
            old = self.dir.with_name(f"{self.dir.name}.old-{os.getpid()}")
            if self.dir.exists():
                os.replace(self.dir, old)
            os.replace(build, self.dir)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(build, ignore_errors=True)
        self.rebuilt = True
        self.updated = total
        return index.open_dir(str(self.dir))

    def _add(
        self,
        writer: Any,
        documents: Iterable[bulk.Document],
        total: int,
        seen: set[str] | None = None,
    ) -> None:
        """Add notes to the index; `seen` collects their words when given."""
        progress = self.progress
        for done, (nid, path, digest, title, body, tags, authors) in enumerate(documents, 1):
            if seen is not None:
                seen.update(words(f"{title} {body} {tags} {authors}"))
            writer.add_document(
                path=path,
                nid=nid,
                sig=f"{nid}:{digest}",
                title=title,
                body=body,
                tags=tags,
                authors=authors,
            )
            if progress and (done % 100 == 0 or done == total):
                progress(done, total)

    def _update(self, ix: Any) -> Any:
        """Bring the index in line with the notes table, by path and content hash."""
        generation = bulk.generation(self.conn)
        meta = files.read_meta(self.dir)
        if meta.get("generation") == generation and meta.get("toc") == ix.latest_generation():
            return ix
        current = bulk.signatures(self.conn)
        with ix.reader() as reader:
            indexed = {f["path"]: f.get("sig") for f in reader.all_stored_fields()}
        removed = [p for p in indexed if p not in current]
        changed = [p for p, (nid, digest) in current.items() if indexed.get(p) != f"{nid}:{digest}"]
        if len(changed) > max(100, REBUILD_SHARE * len(current)):
            return self._build()
        if removed or changed:
            try:
                writer = _writer(ix, timeout=LOCK_WAIT_S)
            except index.LockError:
                return ix  # another process is updating it: use it as it is
            before = ix.latest_generation()
            seen: set[str] = set()
            try:
                for path in removed + [p for p in changed if p in indexed]:
                    writer.delete_by_term("path", path)
                ids = [current[p][0] for p in changed]
                self._add(writer, bulk.documents(self.conn, ids), len(changed), seen)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            self.updated = len(removed) + len(changed)
            with contextlib.suppress(OSError):
                files.extend_words(self.dir, before, ix.latest_generation(), seen)
        files.write_meta(self.dir, SCHEMA_VERSION, generation, ix.latest_generation())
        return ix

    # ---- search ------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        return self._guarded(lambda ix: self._search(ix, request))  # type: ignore[no-any-return]

    def _search(self, ix: Any, req: SearchRequest) -> SearchResult:
        parts = plan.split(req.node)
        with ix.searcher(weighting=scoring.BM25F()) as searcher:
            docs = _Docs(searcher.reader())
            words_ = _Compiler(searcher.reader(), req.fuzzy)
            allowed: set[int] | None = None
            if parts.fields is not None:
                compiled = compile_query(parts.fields)
                allowed = bulk.ids_where(self.conn, compiled.where, compiled.params)
            for node in parts.mixed:
                ids = self._ids(node, searcher, docs, words_)
                allowed = ids if allowed is None else allowed & ids
            found = [q for q in map(words_.node, parts.text) if q is not None]
            if found:
                if all(isinstance(q, QNot) for q in found):
                    found.insert(0, _every())
                # Best first with a limit: Whoosh scores only what can reach the top.
                top = req.limit if req.sort == "relevance" and not req.reverse else None
                scores, total = self._scores(searcher, docs, QAnd(found), allowed, top, req.count)
                ranked = sorted(scores, key=lambda i: (-scores[i], i))
                return self._rows(req, ranked, scores, words_, total)
            else:
                ranked = sorted(allowed if allowed is not None else bulk.all_ids(self.conn))
                ranking = [q for q in map(words_.node, plan.ranking_terms(parts.mixed)) if q]
                if not ranking:
                    return self._rows(req, ranked, None, words_)
                scores, _total = self._scores(searcher, docs, QOr(ranking), set(ranked))
                ranked.sort(key=lambda i: -scores.get(i, 0.0))
        return self._rows(req, ranked, scores, words_)

    def _scores(
        self,
        searcher: Any,
        docs: _Docs,
        q: Any,
        allowed: set[int] | None,
        top: int | None = None,
        count: bool = False,
    ) -> tuple[dict[int, float], int]:
        """Scores of the (`top`) best notes matching `q`, and (when counting) how many
        match in all."""
        only = None if allowed is None else docs.docnums(allowed)
        limit = top if top is not None and top > 0 else None
        results = searcher.search(q, filter=only, limit=limit)
        scores = {docs.nid(hit.docnum): float(hit.score or 0.0) for hit in results}
        return scores, len(results) if limit is not None and count else len(scores)

    def _ids(self, node: Node, searcher: Any, docs: _Docs, words_: _Compiler) -> set[int]:
        """The notes matching a mixed subtree, as set operations over SQL and Whoosh."""
        if not plan.has_text(node):
            compiled = compile_query(node)
            return bulk.ids_where(self.conn, compiled.where, compiled.params)
        if isinstance(node, And):
            sets = [self._ids(c, searcher, docs, words_) for c in node.children]
            return set.intersection(*sets)
        if isinstance(node, Or):
            return set().union(*(self._ids(c, searcher, docs, words_) for c in node.children))
        if isinstance(node, Not):
            return bulk.all_ids(self.conn) - self._ids(node.child, searcher, docs, words_)
        q = words_.node(node)
        if q is None:
            return bulk.all_ids(self.conn)
        results = searcher.search(q, limit=None, scored=False)
        return {docs.nid(docnum) for docnum in results.docs()}

    def _rows(
        self,
        req: SearchRequest,
        ids: list[int],
        scores: dict[int, float] | None,
        words_: _Compiler,
        total: int | None = None,
    ) -> SearchResult:
        if scores is None or req.sort != "relevance":
            sort = "lastmod" if req.sort == "relevance" else req.sort
            ids = bulk.order_ids(self.conn, ids, sort, req.reverse)
        elif req.reverse:
            ids.reverse()
        total = (len(ids) if total is None else total) if req.count else None
        if req.limit is not None and req.limit >= 0:
            ids = ids[: req.limit]
        found = notes_by_id(self.conn, ids)
        rows = [found[i] for i in ids if i in found]
        if scores is not None:
            match = _snippet_match(req, words_.used)
            snips = bulk.snippets(self.conn, match, ids) if req.snippets and match else {}
            for row in rows:
                row["score"] = round(scores.get(row["id"], 0.0), 4)
                row["snippet"] = snips.get(row["id"], "")
        return SearchResult(rows, total)

    # ---- vocabulary: fuzzy words and spelling ----------------------------------------

    def expand(self, words_: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
        def expand(ix: Any, reader: Any) -> dict[str, list[tuple[str, int]]]:
            lexicon = self._lexicon(ix, reader)
            return {w: lexicon.expand(w) for w in words_}

        return self._guarded(lambda ix: _with_reader(ix, expand))  # type: ignore[no-any-return]

    def corrections(self, words_: Sequence[str]) -> dict[str, str]:
        def correct(ix: Any, reader: Any) -> dict[str, str]:
            lexicon = self._lexicon(ix, reader)
            fixes = {w: lexicon.correct(w) for w in words_}
            return {w: fix for w, fix in fixes.items() if fix is not None}

        return self._guarded(lambda ix: _with_reader(ix, correct))  # type: ignore[no-any-return]

    def _lexicon(self, ix: Any, reader: Any) -> Lexicon:
        return Lexicon(reader, lambda: self._buckets(ix, reader))

    def _buckets(self, ix: Any, reader: Any) -> Buckets:
        """The indexed words by length and first letter, from the file kept beside the
        index, or read from the index's term tables when that file is behind."""
        toc = ix.latest_generation()
        saved = files.load_words(self.dir, toc)
        if saved is not None:
            return saved
        buckets = _all_words(reader)
        with contextlib.suppress(OSError):
            files.save_words(self.dir, toc, buckets)
        return buckets

    # ---- related notes -----------------------------------------------------------------

    def related(self, note_id: int, limit: int = 10) -> list[dict[str, Any]]:
        return self._guarded(lambda ix: self._related(ix, note_id, limit))  # type: ignore[no-any-return]

    def _related(self, ix: Any, note_id: int, limit: int) -> list[dict[str, Any]]:
        docs_ = list(bulk.documents(self.conn, [note_id]))
        if not docs_ or limit <= 0:
            return []
        _nid, _path, _digest, title, body, tags, _authors = docs_[0]
        with ix.searcher(weighting=scoring.BM25F()) as searcher:
            reader = searcher.reader()
            docs = _Docs(reader)
            terms: dict[str, float] = {}
            for fieldname, text, count in (
                ("body", body, 12),
                ("title", title, 4),
                ("tags", tags, 4),
            ):
                vector = [
                    w for w in words(text) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()
                ]
                if not vector or not reader.field_length(fieldname):
                    continue
                expander = classify.Expander(reader, fieldname)
                expander.add((w, 1.0) for w in vector)
                for word, weight in expander.expanded_terms(count, normalize=True):
                    terms[word] = terms.get(word, 0.0) + weight * BOOSTS[fieldname]
            if not terms:
                return []
            q = QOr(
                [
                    Term(f, w, boost=weight * BOOSTS[f])
                    for w, weight in terms.items()
                    for f in ("title", "body", "tags")
                ]
            )
            mask = docs.docnums({note_id})
            results = searcher.search(q, mask=mask, limit=limit)
            hits = [(docs.nid(hit.docnum), float(hit.score or 0.0)) for hit in results]
        found = notes_by_id(self.conn, [nid for nid, _ in hits])
        rows = []
        for nid, score in hits:
            if nid in found and nid != note_id:
                found[nid]["score"] = round(score, 4)
                rows.append(found[nid])
        return rows


def _every() -> Any:
    return Every()  # type: ignore[no-untyped-call]


def _with_reader(ix: Any, action: Any) -> Any:
    with ix.reader() as reader:
        return action(ix, reader)


def _all_words(reader: Any) -> Buckets:
    """Every word of the index's term tables, by length and first letter."""
    everything = (raw.decode("utf-8") for f in TEXT_FIELDS for raw in reader.lexicon(f))
    return add_to_buckets({}, everything)


def _snippet_match(req: SearchRequest, used: Iterable[str]) -> str:
    """An FTS5 expression (words OR'ed) to mark the words that matched in snippets."""
    terms = list(dict.fromkeys([*text_terms(req.node), *used]))
    quoted = [q for t in terms if (q := fts_quote(Text(t, phrase=" " in t)))]
    return " OR ".join(quoted)


class _Docs:
    """Whoosh document numbers <-> note ids."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self._column = reader.column_reader("nid")
        self._docnums: dict[int, int] | None = None

    def nid(self, docnum: int) -> int:
        return int(self._column[docnum])

    def docnums(self, ids: set[int]) -> set[int]:
        if self._docnums is None:
            column = self._column
            self._docnums = {int(column[d]): d for d in self.reader.all_doc_ids()}
        lookup = self._docnums
        return {lookup[i] for i in ids if i in lookup}


class _Compiler:
    """Text parts of a query tree -> Whoosh queries over the indexed words."""

    def __init__(self, reader: Any, fuzzy: Any) -> None:
        self.lexicon = Lexicon(reader, dict)
        self.fuzzy = fuzzy
        self.used: list[str] = []  # fuzzy words that matched (for snippets)

    def node(self, node: Node) -> Any:
        if isinstance(node, Text):
            return self.text(node.value, phrase=node.phrase, prefix=node.prefix)
        if isinstance(node, Field):  # body:
            return self.text(node.value, phrase=" " in node.value, prefix=False, fields=("body",))
        children = [self.node(c) for c in node.children] if isinstance(node, And | Or) else []
        if isinstance(node, Not):
            inner = self.node(node.child)
            return QNot(inner if inner is not None else _every())
        kept = [c for c in children if c is not None]
        if not kept:
            return None
        return QAnd(kept) if isinstance(node, And) else QOr(kept)

    def text(
        self, value: str, *, phrase: bool, prefix: bool, fields: Sequence[str] = TEXT_FIELDS
    ) -> Any:
        tokens = words(value)
        if not tokens:
            return None
        fields = [f for f in fields if f in self.lexicon.fields]
        if len(tokens) == 1 and not phrase:
            if prefix:  # as FTS5: the prefix of the word's stem ("ins*" is "in*")
                return self._terms(dict.fromkeys(self.lexicon.prefixed(tokens[0]), 1.0), fields)
            return self._terms(self._weights(value, tokens[0]), fields)
        slots = [self._weights(None, t) for t in tokens]
        sequences = []
        for f in fields:
            parts: list[Any] = [self._terms(w, [f]) for w in slots]
            if prefix:
                parts[-1] = self._terms(dict.fromkeys(self.lexicon.prefixed(tokens[-1]), 1.0), [f])
            sequences.append(QSequence(parts, boost=BOOSTS[f]))
        return QOr(sequences)

    def _weights(self, typed: str | None, word: str) -> dict[str, float]:
        weights = dict.fromkeys(self.lexicon.variants(word), 1.0)
        for candidate, edits in self.fuzzy.get(typed, ()) if typed is not None else ():
            if edits:
                self.used.append(candidate)
                for variant in self.lexicon.variants(candidate):
                    weights.setdefault(variant, EDIT_WEIGHTS[min(edits, 2)])
        return weights

    def _terms(self, weights: dict[str, float], fields: Sequence[str]) -> Any:
        terms = [
            Term(f, w, boost=BOOSTS[f] * weight)
            for f in fields
            for w, weight in weights.items()
            if self.lexicon.reader.doc_frequency(f, w)
        ]
        return QOr(terms) if terms else NullQuery


def check_whoosh(db_path: Path, repair: bool) -> list[str]:
    """For `doctor`: what is wrong with the Whoosh index (repaired when `repair`).

    No index folder is healthy: it is built on the first Whoosh query.
    """
    directory = index_dir(db_path)
    if not directory.exists():
        return []
    conn = sqlite3.connect(db_path)
    try:
        engine = WhooshEngine(conn, db_path)
        ix = engine._open_checked()
        if ix is None:
            problems = ["the Whoosh index is damaged or from another version"]
            if repair:
                engine.reindex()
                problems[0] += ": rebuilt"
            return problems
        meta = files.read_meta(directory)
        if meta.get("generation") == bulk.generation(conn):
            return []
        problems = ["the Whoosh index is behind the notes"]
        if repair:
            engine._ix = engine._update(ix)
            problems[0] += ": updated"
        return problems
    finally:
        conn.close()
