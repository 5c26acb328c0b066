"""Groups of identical or near-identical texts, such as the template responses of a campaign.

How two texts are compared: each is normalised (``nlp.text.normalise``), lower-cased and cut
into words, punctuation dropped. Texts with the same words in the same order form a group
at once (an exact hash). Longer texts are then compared as *sets of words*:

    similarity = max(Jaccard, overlap coefficient if the smaller set has at least
                     MIN_LENGTH_RATIO of the larger one's words)

so a changed name, a few typos or another sign-off lower it a little (one word of the set
each), a sentence added to or removed from a letter hardly at all (the overlap
coefficient), while a short text is never the duplicate of a long one that quotes it. At
the default threshold 0.9 about one word in ten may differ beyond an added sentence.
Word sets were chosen by measurement against word 2- and 3-grams and character 3- to
7-grams: on the demo consultation's two campaigns only word sets kept every letter at
threshold 0.9 while grouping no other comment, and they are the cheapest to hash.

Candidate pairs come from MinHash signatures with LSH banding (texts that agree on all
ROWS values of one of BANDS bands share a bucket; see ``_candidates``), are filtered by the
similarity estimated from the signatures, and are then verified exactly on the word sets,
most promising first, skipping pairs already joined. Verified pairs and exact copies are
joined by connected components. Time and memory grow linearly with the number of texts.

Very short texts (fewer than MIN_WORDS words, such as "Bra!" or "Håller med.") join a group
only when exactly equal after normalisation: common short remarks differ by a word or two
without being copies of one another, and one word is a large share of a short text, so a
near-match between short texts says little. Texts with no letters, digits or symbols
(empty, whitespace, punctuation) are never grouped; emoji-only texts group when equal.
The result is deterministic: words are hashed with CRC-32, not Python's salted ``hash``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .text import normalise

MIN_WORDS = 10
MIN_LENGTH_RATIO = 0.6
ROWS, BANDS = 4, 24  # MinHash functions per band, and bands
SMALL_BUCKET = 64  # all pairs of a bucket up to this size are candidates
WINDOW = 3  # in a larger bucket, each text is paired with its WINDOW predecessors
ESTIMATE_MARGIN = 0.2  # pairs estimated this far below the threshold are still verified
BATCH = 10_000  # texts tokenised per batch
CHUNK = 2_000_000  # array elements per vectorised step (bounds temporary memory)

_WORD = re.compile(r"[^\W_]+")
_SEED = 20240611


def find_duplicates(texts: Sequence[str], threshold: float = 0.9) -> list[list[int]]:
    """Return groups of near-identical texts: sorted index lists, ordered by first index."""
    labels = duplicate_labels(texts, threshold)
    groups: dict[int, list[int]] = {}
    for index in np.flatnonzero(labels >= 0).tolist():
        groups.setdefault(int(labels[index]), []).append(index)
    return [groups[label] for label in sorted(groups)]


def duplicate_labels(texts: Sequence[str], threshold: float = 0.9) -> np.ndarray:
    """Return a group number per text (numbered in order of first member), -1 for unique texts."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got one str")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    n = len(texts)
    copy_of, long_ids, words, offsets = _exact_copies(texts)
    edges = [np.column_stack([np.arange(n), copy_of])[copy_of >= 0]]
    if len(long_ids) > 1:
        signatures = _signatures(words, offsets)
        left, right = _candidates(signatures, np.diff(offsets), threshold)
        left, right = _verify(words, offsets, signatures, left, right, threshold)
        edges.append(np.column_stack([long_ids[left], long_ids[right]]))
    return _components(n, np.concatenate(edges))


def similarity(a: str, b: str) -> float:
    """Return the word-set similarity that ``find_duplicates`` compares with its threshold."""
    words_a, words_b = set(_tokens(a)), set(_tokens(b))
    if not words_a or not words_b:
        return 0.0
    if words_a == words_b:
        return 1.0
    common = len(words_a & words_b)
    return float(
        _combine(np.array([common]), np.array([len(words_a)]), np.array([len(words_b)]))[0]
    )


def _tokens(text: str) -> list[str]:
    clean = normalise(text).lower()
    words = _WORD.findall(clean)
    if words:
        return words
    # No words: keep symbols such as emoji, so identical emoji-only texts still match.
    return [c for c in clean if unicodedata.category(c)[0] not in "PZC"]


def _exact_copies(texts: Sequence[str]):
    """Link exact copies to their first text; hash the word sets of the first long texts."""
    n = len(texts)
    copy_of = np.full(n, -1, dtype=np.int64)
    first_of: dict[bytes, int] = {}
    word_hash: dict[str, int] = {}
    long_ids: list[int] = []
    parts: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    for start in range(0, n, BATCH):
        flat: list[int] = []
        counts: list[int] = []
        for index in range(start, min(start + BATCH, n)):
            tokens = _tokens(texts[index])
            if not tokens:
                continue
            key = "\x1f".join(tokens).encode("utf-8", "surrogatepass")
            first = first_of.setdefault(hashlib.blake2b(key, digest_size=16).digest(), index)
            if first != index:
                copy_of[index] = first
            elif len(tokens) >= MIN_WORDS:
                unique = set(tokens)
                for word in unique.difference(word_hash):
                    word_hash[word] = zlib.crc32(word.encode("utf-8", "surrogatepass"))
                flat.extend(map(word_hash.__getitem__, unique))
                counts.append(len(unique))
                long_ids.append(index)
        words, counts = _dedupe(np.array(flat, dtype=np.uint32), np.array(counts, dtype=np.int64))
        parts.append(words)
        sizes.append(counts)
    sizes = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    words = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
    return copy_of, np.array(long_ids, dtype=np.int64), words, offsets


def _dedupe(words: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each text's hashes and drop repeats (two words with one CRC are rare but possible)."""
    owner = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    keys = _distinct((owner << np.uint64(32)) | words.astype(np.uint64))
    counts = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(counts))
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), counts


def _signatures(words: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Return MinHash signatures (texts × ROWS*BANDS), kept as their low 16 bits."""
    rng = np.random.default_rng(_SEED)
    perms = ROWS * BANDS
    mult = rng.integers(1, 2**63, size=perms, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    add = rng.integers(0, 2**63, size=perms, dtype=np.uint64)
    n = len(offsets) - 1
    out = np.empty((n, perms), dtype=np.uint16)
    step = max(1, CHUNK // perms)
    first = 0
    while first < n:
        last = int(np.searchsorted(offsets, offsets[first] + step, side="right")) - 1
        last = min(n, max(last, first + 1))
        values = words[offsets[first] : offsets[last]].astype(np.uint64)[:, None]
        hashed = (values * mult + add) >> np.uint64(32)
        starts = offsets[first:last] - offsets[first]
        out[first:last] = np.minimum.reduceat(hashed, starts, axis=0).astype(np.uint16)
        first = last
    return out


def _candidates(signatures: np.ndarray, sizes: np.ndarray, threshold: float):
    """Return distinct pairs (left < right) that share a bucket in some band and may be similar.

    All pairs of a bucket of at most SMALL_BUCKET texts are candidates. In a larger bucket
    (a big campaign) the texts are ordered by the next band's key, so texts that also
    share that band (the more similar ones) come next to each other, and each is paired
    with its WINDOW predecessors and the bucket's first text: a few pairs per text.
    Pairs whose similarity, estimated from the signatures, is far below the threshold
    are dropped at once.
    """
    n = len(signatures)
    mult = np.random.default_rng(_SEED + 1).integers(1, 2**63, size=ROWS, dtype=np.uint64)

    def band_key(band: int) -> np.ndarray:
        rows = signatures[:, band * ROWS : (band + 1) * ROWS].astype(np.uint64)
        return (rows * (mult * np.uint64(2) + np.uint64(1))).sum(axis=1)

    found = np.zeros(0, dtype=np.int64)
    key = band_key(0)
    for band in range(BANDS):
        following = band_key((band + 1) % BANDS)
        order = np.lexsort((following, key))
        for this, other in _bucket_pairs(key[order]):
            left = np.minimum(order[this], order[other])
            right = np.maximum(order[this], order[other])
            keep = _estimate(signatures, sizes, left, right) >= threshold - ESTIMATE_MARGIN
            found = _distinct(np.r_[found, left[keep] * n + right[keep]])
        key = following
    return found // n, found % n


def _bucket_pairs(keys: np.ndarray):
    """Yield (this, other) positions of pairs in runs of equal sorted keys, CHUNK pairs at most."""
    n = len(keys)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    bucket = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    rank = np.arange(n) - first[bucket]
    small = np.diff(np.r_[first, n])[bucket] <= SMALL_BUCKET
    reach = np.where(small, rank, np.minimum(rank, WINDOW))  # pair with this many before
    heads = np.flatnonzero(~small & (rank > WINDOW))  # and these with their bucket's first
    yield heads, first[bucket[heads]]
    total = np.cumsum(reach)
    cuts = np.r_[0, np.searchsorted(total, np.arange(CHUNK, total[-1], CHUNK)), n]
    for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
        this = np.repeat(np.arange(lo, hi), reach[lo:hi])
        back = np.arange(len(this)) - np.repeat(
            np.cumsum(reach[lo:hi]) - reach[lo:hi], reach[lo:hi]
        )
        yield this, this - back - 1


def _verify(words, offsets, signatures, left, right, threshold):
    """Return the candidate pairs whose exact similarity reaches the threshold.

    Pairs are checked in rounds of growing size, most similar (by estimate) first, and a
    pair already joined through verified pairs is skipped: in a big campaign most are.
    """
    order = np.argsort(-_estimate(signatures, np.diff(offsets), left, right), kind="stable")
    left, right = left[order], right[order]
    n = len(offsets) - 1
    group = np.arange(n)
    kept_left, kept_right = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    lo, size = 0, 10_000
    while lo < len(left):
        a, b = left[lo : lo + size], right[lo : lo + size]
        open_ = group[a] != group[b]
        a, b = a[open_], b[open_]
        keep = _similarity(words, offsets, a, b) >= threshold
        kept_left.append(a[keep])
        kept_right.append(b[keep])
        edges = np.column_stack([np.concatenate(kept_left), np.concatenate(kept_right)])
        group = connected_components(_graph(n, edges), directed=False)[1]
        lo, size = lo + size, size * 2
    return np.concatenate(kept_left), np.concatenate(kept_right)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Return the sorted distinct values (by sorting: faster than np.unique's hash path here)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _combine(common: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Return max(Jaccard, overlap coefficient when the sizes are close enough)."""
    small = np.minimum(size_a, size_b).astype(np.float64)
    large = np.maximum(size_a, size_b).astype(np.float64)
    jaccard = common / np.maximum(size_a + size_b - common, 1)
    overlap = np.where(small >= MIN_LENGTH_RATIO * large, common / np.maximum(small, 1), 0.0)
    return np.maximum(jaccard, overlap)


def _estimate(signatures, sizes, left, right) -> np.ndarray:
    """Return the similarity of each pair as estimated from the MinHash signatures."""
    out = np.empty(len(left))
    step = max(1, CHUNK // signatures.shape[1])
    for lo in range(0, len(left), step):
        a, b = left[lo : lo + step], right[lo : lo + step]
        jaccard = (signatures[a] == signatures[b]).mean(axis=1)
        common = jaccard * (sizes[a] + sizes[b]) / (1 + jaccard)
        out[lo : lo + step] = _combine(common, sizes[a], sizes[b])
    return out


def _gather(words: np.ndarray, offsets: np.ndarray, ids: np.ndarray) -> np.ndarray:
    starts, sizes = offsets[ids], offsets[ids + 1] - offsets[ids]
    shift = np.repeat(starts - np.cumsum(sizes) + sizes, sizes)
    return words[shift + np.arange(int(sizes.sum()))]


def _similarity(words, offsets, left, right) -> np.ndarray:
    """Return the exact similarity of each pair, counting shared hashes in batches."""
    sizes = np.diff(offsets)
    common = np.zeros(len(left), dtype=np.int64)
    cost = np.cumsum(sizes[left] + sizes[right])
    lo = 0
    while lo < len(left):
        hi = max(lo + 1, int(np.searchsorted(cost, (cost[lo - 1] if lo else 0) + CHUNK)))
        a, b = left[lo:hi], right[lo:hi]
        pair = np.arange(hi - lo, dtype=np.uint64)
        owners = np.concatenate([np.repeat(pair, sizes[a]), np.repeat(pair, sizes[b])])
        values = np.concatenate([_gather(words, offsets, a), _gather(words, offsets, b)])
        keys = np.sort((owners << np.uint64(32)) | values.astype(np.uint64))
        shared = keys[1:][keys[1:] == keys[:-1]] >> np.uint64(32)
        common[lo:hi] = np.bincount(shared.astype(np.int64), minlength=hi - lo)
        lo = hi
    return _combine(common, sizes[left], sizes[right])


def _graph(n: int, edges: np.ndarray) -> sp.coo_matrix:
    return sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))


def _components(n: int, edges: np.ndarray) -> np.ndarray:
    """Return connected-component labels, numbered by first member; -1 for singletons."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    component = connected_components(_graph(n, edges), directed=False)[1]
    grouped = np.bincount(component)[component] > 1
    _, first, inverse = np.unique(component[grouped], return_index=True, return_inverse=True)
    labels = np.full(n, -1, dtype=np.int64)
    labels[grouped] = np.argsort(np.argsort(first))[inverse]  # numbered by first member
    return labels
