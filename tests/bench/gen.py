"""A deterministic synthetic notebook: N markdown notes with YAML, TOML or JSON frontmatter.

Each note has ~300 words drawn Zipf-style from a few hundred words (plain English, programming
and machine-learning terms) plus a long tail of rare terms, so words of very different document
frequencies exist to search for. Frontmatter mixes formats (~70% YAML, 15% TOML, 15% JSON),
tags (nested ones, a few % `revisit`), string and list authors, drafts, lastmod dates and links;
bodies carry headings, lists, code, URLs from ~50 domains and [[wikilinks]] to other notes.
Notes are spread over one folder per ~200 notes.

The same (N, seed) always gives the same files. A notebook is written to .bench/notebook-N/ and
reused while its stamp file (.bench/notebook-N.stamp) names the current generator version.

    python -m tests.bench.gen 10000
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

VERSION = 2
SEED = 20240229
NOTES_PER_FOLDER = 200
BENCH_DIR = Path(__file__).resolve().parents[2] / ".bench"

_FUNCTION = """the of and to a in is that it for on with as this was by are be at from or an but
not we can which have has more when one all if so they will than also only each into what how
there some about their then these other its our would like just out very most where both after"""

_GENERAL = """note idea time way work first new good use using used make case example point problem
result simple small large fast slow better different important question answer reason step
change version value number list set order part system approach method paper book chapter
section read reading write writing summary detail understand learn think keep start end later
today week project team design build test tests bug fix issue release user users people practice
theory memory performance cost tradeoff choice option default rule pattern structure interface
level state input output error file files folder path line text word words search index query
data table row column key field record schema format tool tools library framework language code
function class module package script command terminal editor shell server client request
response cache disk thread process worker queue lock stream event log config setup install run
runtime benchmark latency throughput measure profile hotspot bottleneck"""

_TECH = """model training gradient descent loss optimizer neural network layer layers embedding
embeddings attention transformer token tokenizer vocabulary encoder decoder softmax logits
dropout regularization overfitting validation dataset batch epoch inference parameter
parameters weights bias variance tensor matrix vector vectors dimension kernel convolution
pooling recurrent lstm backpropagation autodiff derivative jacobian hessian convex stochastic
momentum adam sgd bayesian posterior prior likelihood sampling distribution gaussian entropy
divergence classifier regression clustering kmeans pca features feature label labels accuracy
precision recall metric evaluation finetuning pretraining checkpoint gpu cuda quantization
distillation retrieval ranking bm25 reranker corpus python julia rust golang haskell javascript
typescript sql sqlite postgres duckdb compiler interpreter parser lexer ast type types generic
closure iterator generator async await coroutine concurrency parallelism mutex allocation
garbage pointer reference borrow lifetime trait macro recursion algorithm complexity hashmap
tree graph heap sorting binary git commit branch merge rebase docker kubernetes linux vim emacs
regex unicode json yaml toml markdown http api rest grpc"""

_RARE = """zygote enzyme hyperloglog wavelet quaternion monad functor cuckoo skiplist raft paxos
crdt lamport fenwick trie simhash minhash levenshtein dijkstra bellman hilbert fourier laplace
chebyshev sinkhorn wasserstein gumbel dirichlet metropolis hamiltonian langevin kalman viterbi
baum welch ridgelet curvelet spline bezier voronoi delaunay simplex karmarkar lagrangian
bregman mahalanobis hellinger kolmogorov smirnov bonferroni benjamini wilcoxon mannwhitney
kruskal tukey bootstrap jackknife copula cholesky householder givens lanczos arnoldi krylov
nystrom fastfood hadamard walsh haar daubechies morlet ricker mexican sobol halton faure
niederreiter
xorshift mersenne splitmix pcg philox threefry chacha salsa poly1305 blake siphash murmur
fnv xxhash cityhash farmhash highway"""

_TAG_BASE = """ml ai nlp cv rl math stats python julia rust go haskell js ts sql sqlite postgres
duckdb databases search ir tools cli editor vim emacs git linux docker k8s cloud aws gcp infra
devops testing perf profiling compilers parsing types fp oop concurrency async networking http
api web frontend backend design architecture reading books papers til howto reference cheatsheet
ideas journal meeting project work personal learning teaching writing blog talk video podcast
course research experiment benchmark review bug incident postmortem security crypto privacy
hardware gpu embedded data etl analytics visualization notebook jupyter statistics probability
optimization linear-algebra calculus deep-learning llm embeddings transformers agents"""

_NESTED = """ml/optimization ml/nlp ml/cv ml/rl ml/theory ml/training ml/eval ml/data
lang/python lang/julia lang/rust lang/go lang/haskell lang/sql db/sqlite db/postgres db/duckdb
db/indexing search/bm25 search/fts search/vectors tools/git tools/shell tools/editor
infra/docker infra/k8s infra/ci papers/2019 papers/2020 papers/2021 papers/2022 papers/2023
papers/2024 books/fiction books/technical books/history work/planning work/retro work/oncall
project/notes-kb project/website project/thesis math/linear-algebra math/probability
math/calculus stats/bayes stats/testing perf/cpu perf/memory perf/io security/auth security/tls
writing/drafts writing/ideas reading/queue reading/done"""

_AUTHORS = """Ada Lovelace|Alan Turing|Grace Hopper|Donald Knuth|Edsger Dijkstra|Barbara Liskov|
Leslie Lamport|John McCarthy|Claude Shannon|Geoffrey Hinton|Yann LeCun|Yoshua Bengio|Andrej
Karpathy|Fei-Fei Li|Judea Pearl|Richard Sutton|Andrew Ng|Ilya Sutskever|Diederik P. Kingma|
Jimmy Ba|Ashish Vaswani|Noam Shazeer|Guido van Rossum|Jeff Bezanson|Stefan Karpinski|Viral Shah|
Alan Edelman|Graydon Hoare|Rob Pike|Ken Thompson|Dennis Ritchie|Brian Kernighan|Bjarne
Stroustrup|Simon Peyton Jones|Philip Wadler|Richard Hipp|Martin Kleppmann|Julia Evans|Dan Luu|
Hillel Wayne|Bob Nystrom|Chris Lattner|Anders Hejlsberg|Linus Torvalds|Junio Hamano|Jeff Dean|
Sanjay Ghemawat|Werner Vogels|Kelsey Hightower|Charity Majors|Brendan Gregg|Mitchell Hashimoto|
Armin Ronacher|Simon Willison|Hynek Schlawack|Raymond Hettinger|Łukasz Langa|Cory Doctorow|
Me|Reading group"""

_DOMAINS = """arxiv.org github.com en.wikipedia.org docs.python.org stackoverflow.com
news.ycombinator.com lobste.rs blog.acolyer.org distill.pub openreview.net paperswithcode.com
huggingface.co pytorch.org jax.readthedocs.io julialang.org docs.julialang.org doc.rust-lang.org
go.dev sqlite.org www.postgresql.org duckdb.org martinfowler.com jvns.ca danluu.com
www.hillelwayne.com craftinginterpreters.com simonwillison.net lwn.net www.youtube.com
medium.com dev.to research.google ai.meta.com openai.com www.deepmind.com karpathy.github.io
colah.github.io jalammar.github.io lilianweng.github.io ruder.io www.fast.ai
developer.mozilla.org kubernetes.io docs.docker.com git-scm.com www.gnu.org man7.org
brendangregg.com queue.acm.org dl.acm.org www.usenix.org"""


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = _words(_FUNCTION)
CONTENT_WORDS = list(dict.fromkeys(_words(_GENERAL) + _words(_TECH)))
RARE_WORDS = list(dict.fromkeys(_words(_RARE)))
TAGS = list(dict.fromkeys(_words(_TAG_BASE) + _words(_NESTED)))
AUTHORS = [a.replace("\n", " ").strip() for a in _AUTHORS.split("|")]
DOMAINS = _words(_DOMAINS)


def _zipf(count: int, exponent: float = 1.0) -> list[float]:
    """Cumulative Zipf weights for ranks 1..count."""
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, count + 1)))


def _mix(*parts: tuple[float, list[float]]) -> list[float]:
    """One cumulative distribution from (share, cumulative weights) parts, in order."""
    out: list[float] = []
    base = 0.0
    for share, cum in parts:
        out += [base + share * c / cum[-1] for c in cum]
        base = out[-1]
    return out


def _ranked_content() -> list[str]:
    """The content words in a fixed shuffle: their Zipf ranks."""
    content = list(CONTENT_WORDS)
    random.Random(SEED).shuffle(content)
    return content


FUNCTION_SHARE = 0.45  # of running text, as in English prose
CONTENT = _ranked_content()
WORDS = FUNCTION_WORDS + CONTENT
WORDS_CUM = _mix(
    (FUNCTION_SHARE, _zipf(len(FUNCTION_WORDS), 1.0)), (1 - FUNCTION_SHARE, _zipf(len(CONTENT)))
)
RARE_CUM = _zipf(len(RARE_WORDS), 1.0)
TAG_CUM = _zipf(len(TAGS), 0.9)
AUTHOR_CUM = _zipf(len(AUTHORS), 0.8)
DOMAIN_CUM = _zipf(len(DOMAINS), 0.9)
TITLE_WORDS = [w for w in CONTENT_WORDS if len(w) > 3]


def title_of(index: int) -> str:
    rng = random.Random(SEED * 1_000_003 + index)
    words = rng.sample(TITLE_WORDS, rng.randint(2, 5))
    return " ".join(words).capitalize()


def stem_of(index: int, title: str) -> str:
    slug = "-".join(title.lower().split()[:4])
    return f"{slug}-{index:06d}"


def folder_of(index: int, n: int) -> str:
    folders = max(1, round(n / NOTES_PER_FOLDER))
    k = index % folders
    area = TAGS[k % 12].replace("/", "-")
    return f"{area}/{CONTENT_WORDS[k % len(CONTENT_WORDS)]}-{k:04d}"


# -- one note ---------------------------------------------------------------------------------


class _Note:
    def __init__(self, index: int, n: int, titles: list[str]) -> None:
        self.index = index
        self.n = n
        self.titles = titles
        self.rng = random.Random(SEED * 7_919 + index * 104_729 + n)

    def words(self, k: int) -> list[str]:
        rng = self.rng
        out = rng.choices(WORDS, cum_weights=WORDS_CUM, k=k)
        if rng.random() < 0.35:
            rare = rng.choices(RARE_WORDS, cum_weights=RARE_CUM, k=1)[0]
            out[rng.randrange(k)] = rare
        return out

    def sentence(self, words: list[str]) -> str:
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, pool: list[str]) -> str:
        rng = self.rng
        sentences = []
        while pool and len(sentences) < rng.randint(2, 5):
            size = rng.randint(7, 18)
            chunk, pool[:] = pool[:size], pool[size:]
            sentences.append(self.sentence(chunk))
        return " ".join(sentences)

    def url(self) -> str:
        rng = self.rng
        domain = rng.choices(DOMAINS, cum_weights=DOMAIN_CUM, k=1)[0]
        parts = rng.sample(CONTENT_WORDS, rng.randint(1, 3))
        return f"https://{domain}/{'/'.join(parts)}"

    def wikilink(self) -> str:
        rng = self.rng
        target = rng.randrange(self.n)
        title = self.titles[target]
        roll = rng.random()
        if roll < 0.6:
            return f"[[{stem_of(target, title)}]]"
        if roll < 0.85:
            return f"[[{stem_of(target, title)}|{title.lower()}]]"
        return f"[[{title}]]"

    def decorate(self, paragraph: str) -> str:
        """Sprinkle links, inline code and inline #tags into a paragraph."""
        rng = self.rng
        words = paragraph.split(" ")
        if len(words) < 4:
            return paragraph
        roll = rng.random()
        spot = rng.randrange(1, len(words) - 1)
        if roll < 0.25:
            words.insert(spot, f"[{words[spot]}]({self.url()})")
            del words[spot + 1]
        elif roll < 0.40:
            words.insert(spot, f"(see {self.url()})")
        elif roll < 0.65:
            words.insert(spot, self.wikilink())
        elif roll < 0.75:
            words[spot] = f"`{words[spot]}()`"
        elif roll < 0.82:
            tag = rng.choices(TAGS, cum_weights=TAG_CUM, k=1)[0]
            words.insert(spot, f"#{tag}")
        return " ".join(words)

    def body(self, title: str, heading: bool) -> str:
        rng = self.rng
        pool = self.words(rng.randint(250, 350))
        parts: list[str] = []
        if heading:
            parts.append(f"# {title}")
        while pool:
            roll = rng.random()
            if roll < 0.15 and len(parts) > 1:
                parts.append("## " + " ".join(pool[:3]).capitalize())
                del pool[:3]
            elif roll < 0.28:
                items = []
                for _ in range(rng.randint(2, 5)):
                    size = rng.randint(3, 9)
                    items.append("- " + " ".join(pool[:size]))
                    del pool[:size]
                    if rng.random() < 0.3:
                        items[-1] += " " + self.wikilink()
                parts.append("\n".join(items))
            elif roll < 0.36 and len(pool) >= 9:
                lang = rng.choice(("python", "julia", "rust", "sql", "bash"))
                lines = [f"{pool[i]} = {pool[i + 1]}({pool[i + 2]})" for i in range(0, 9, 3)]
                del pool[:9]
                parts.append(f"```{lang}\n" + "\n".join(lines) + "\n```")
            else:
                parts.append(self.decorate(self.paragraph(pool)))
        if rng.random() < 0.4:
            refs = [f"- {self.url()}" for _ in range(rng.randint(1, 3))]
            parts.append("## Links\n\n" + "\n".join(refs))
        return "\n\n".join(p for p in parts if p) + "\n"

    def meta(self, title: str) -> dict[str, Any]:
        rng = self.rng
        meta: dict[str, Any] = {}
        if rng.random() < 0.9:
            meta["title"] = title
        roll = rng.random()
        if roll < 0.5:
            meta["author"] = rng.choices(AUTHORS, cum_weights=AUTHOR_CUM, k=1)[0]
        elif roll < 0.9:
            chosen = rng.choices(AUTHORS, cum_weights=AUTHOR_CUM, k=rng.randint(1, 3))
            meta["authors"] = list(dict.fromkeys(chosen))
        tags = list(dict.fromkeys(rng.choices(TAGS, cum_weights=TAG_CUM, k=rng.randint(0, 6))))
        if rng.random() < 0.03:
            tags.append("revisit")
        if tags:
            meta["tags"] = tags
        if rng.random() < 0.3:
            meta["categories"] = rng.choice(("ml", "tools", "reading", "work", "ideas", "dev"))
        roll = rng.random()
        if roll < 0.1:
            meta["draft"] = True
        elif roll < 0.6:
            meta["draft"] = False
        year = rng.randint(2018, 2025)
        day = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if rng.random() < 0.92:
            if rng.random() < 0.25:
                meta["lastmod"] = (
                    f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+02:00"
                )
            else:
                meta["lastmod"] = day
        if rng.random() < 0.2:
            meta["links"] = [self.url() for _ in range(rng.randint(1, 3))]
        if "revisit" in tags and rng.random() < 0.5:
            meta["revisit_after"] = f"{year + 1}-{rng.randint(1, 12):02d}-01"
        return meta

    def render(self) -> tuple[str, str]:
        """(relative path, text) of this note."""
        rng = self.rng
        title = self.titles[self.index]
        meta = self.meta(title)
        roll = rng.random()
        fmt = "yaml" if roll < 0.70 else "toml" if roll < 0.85 else "json"
        if fmt == "yaml":
            front = "---\n" + _yaml(meta) + "---\n"
        elif fmt == "toml":
            front = "+++\n" + _toml(meta) + "+++\n"
        else:
            front = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
        body = self.body(title, heading="title" not in meta or rng.random() < 0.3)
        rel = f"{folder_of(self.index, self.n)}/{stem_of(self.index, title)}.md"
        return rel, front + "\n" + body


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if any(c in text for c in ":#[]{},&*!|>'\"%@`") or text != text.strip():
        return json.dumps(text, ensure_ascii=False)
    return text


def _yaml(meta: dict[str, Any]) -> str:
    lines = []
    for key, value in meta.items():
        if isinstance(value, list):
            if key == "tags" and len(value) <= 4 and len(value) % 2:
                lines.append(f"{key}: [{', '.join(_yaml_scalar(v) for v in value)}]")
            else:
                lines.append(f"{key}:")
                lines += [f"  - {_yaml_scalar(v)}" for v in value]
        else:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def _toml(meta: dict[str, Any]) -> str:
    lines = []
    for key, value in meta.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, list):
            lines.append(f"{key} = [{', '.join(json.dumps(v, ensure_ascii=False) for v in value)}]")
        elif key in ("lastmod", "revisit_after"):
            lines.append(f"{key} = {value}")  # a native TOML date or datetime
        else:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


# -- the notebook -----------------------------------------------------------------------------

_TITLES: list[str] = []
_TOKEN_RE = re.compile(r"[a-z]+")


def _write_range(args: tuple[Path, int, int, int]) -> Counter[str]:
    """Write notes [start, stop); return document frequencies of their body words."""
    root, n, start, stop = args
    df: Counter[str] = Counter()
    made: set[str] = set()
    for index in range(start, stop):
        rel, text = _Note(index, n, _TITLES).render()
        folder = rel.rpartition("/")[0]
        if folder not in made:
            (root / folder).mkdir(parents=True, exist_ok=True)
            made.add(folder)
        with open(root / rel, "w", encoding="utf-8") as fh:
            fh.write(text)
        df.update(set(_TOKEN_RE.findall(text.lower())))
    return df


def notebook_path(n: int) -> Path:
    return BENCH_DIR / f"notebook-{n}"


def _stamp_path(n: int) -> Path:
    return BENCH_DIR / f"notebook-{n}.stamp"


def read_stamp(n: int) -> dict[str, Any] | None:
    try:
        stamp = json.loads(_stamp_path(n).read_text())
    except (OSError, ValueError):
        return None
    ok = stamp.get("version") == VERSION and stamp.get("notes") == n and stamp.get("seed") == SEED
    return stamp if ok and notebook_path(n).is_dir() else None


def generate(n: int, *, force: bool = False, quiet: bool = False) -> tuple[Path, dict[str, Any]]:
    """The notebook of n notes and its stamp, written unless a current one is already there."""
    global _TITLES
    root = notebook_path(n)
    stamp = None if force else read_stamp(n)
    if stamp is not None:
        return root, stamp
    started = time.perf_counter()
    if not quiet:
        print(f"generating {n} notes in {root} ...", file=sys.stderr, flush=True)
    _stamp_path(n).unlink(missing_ok=True)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    _TITLES = [title_of(i) for i in range(n)]
    step = 2000
    jobs = [(root, n, start, min(start + step, n)) for start in range(0, n, step)]
    df: Counter[str] = Counter()
    if len(jobs) > 1 and (os.cpu_count() or 1) > 1 and hasattr(os, "fork"):
        with multiprocessing.get_context("fork").Pool() as pool:
            for part in pool.imap_unordered(_write_range, jobs):
                df.update(part)
    else:
        for job in jobs:
            df.update(_write_range(job))
    stamp = {
        "version": VERSION,
        "seed": SEED,
        "notes": n,
        "seconds": round(time.perf_counter() - started, 2),
        "bytes": sum(f.stat().st_size for f in root.rglob("*.md")),
        "doc_freq": {w: c for w, c in df.most_common() if len(w) >= 4},
    }
    tmp = _stamp_path(n).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=1))
    tmp.replace(_stamp_path(n))
    if not quiet:
        print(f"  {n} notes written in {stamp['seconds']} s", file=sys.stderr, flush=True)
    return root, stamp


def probe_words(stamp: dict[str, Any], fractions: tuple[float, ...]) -> list[tuple[str, int]]:
    """For each target fraction of notes, the word whose document frequency is closest to it."""
    n = stamp["notes"]
    df: dict[str, int] = stamp["doc_freq"]
    words = [w for w in CONTENT + RARE_WORDS if w in df and w.isalpha() and len(w) >= 4]
    candidates = [w for w in words if not _is_substring_word(w)]
    out: list[tuple[str, int]] = []
    for fraction in fractions:
        target = max(1.0, fraction * n)
        word = min(candidates, key=lambda w: (abs(df[w] - target) / target, w))
        candidates.remove(word)
        out.append((word, df[word]))
    return out


def _is_substring_word(word: str) -> bool:
    """Words that occur inside other vocabulary words (`rg -i` would match those too)."""
    return any(
        word != other and word in other for other in CONTENT + FUNCTION_WORDS + RARE_WORDS + TAGS
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic notebook under .bench/.")
    parser.add_argument("notes", type=int, nargs="+", help="Number of notes (one notebook each).")
    parser.add_argument(
        "--force", action="store_true", help="Rewrite even if a current one exists."
    )
    args = parser.parse_args(argv)
    for n in args.notes:
        root, stamp = generate(n, force=args.force)
        print(f"{root}  ({stamp['notes']} notes, {stamp['bytes'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
