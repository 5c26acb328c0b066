"""Groups of identical or near-identical texts, such as the template responses of a campaign.

How two texts are compared: each is normalised (``nlp.text.normalise``), lower-cased and cut
into words, punctuation dropped. Texts whose words are identical form a group at once (an
exact hash). Longer texts are then compared as *sets of words*: their similarity is

    max(Jaccard, overlap coefficient if the shorter set is at least MIN_LENGTH_RATIO of the longer)

so a changed name, a few typos or another sign-off lower it a little (one word of the set
each), and a sentence added to or removed from a template barely at all (the overlap
coefficient), while a short text is never a duplicate of a long one that merely quotes it.
Word sets were chosen by measurement over word 2- and 3-grams and character 3- to 7-grams:
on the demo consultation's two campaigns they kept every variant at threshold 0.9 and
grouped no other comment, and they are the cheapest to hash.

Candidate pairs come from MinHash signatures and LSH banding (texts that agree on all rows
of a band share a bucket; each member of a bucket is paired with the bucket's first member
and with its predecessor), are filtered by the similarity estimated from the signatures,
and the survivors are verified exactly on the word sets. Verified pairs and exact copies
are joined by connected components. Work and memory grow linearly with the corpus.

Very short texts (fewer than MIN_WORDS words, such as "Bra!" or "Håller med.") join a group
only when exactly equal after normalisation: common short remarks differ by a word or two
without being copies of one another, and one word is a large share of a short text.
Texts without any letters, digits or symbols (empty, whitespace, punctuation only) are
never grouped.
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
ROWS, BANDS = 5, 24  # MinHash functions per band, and bands
ESTIMATE_MARGIN = 0.2  # pairs estimated this far below the threshold are still verified
BATCH = 10_000  # texts tokenised per batch
CHUNK = 2_000_000  # array elements per vectorised step (bounds temporary memory)

_WORD = re.compile(r"[^\W_]+")
_SEED = 20240611


def find_duplicates(texts: Sequence[str], threshold: float = 0.9) -> list[list[int]]:
    """Return groups (sorted lists of ≥2 indices, ordered by first index) of near-identical texts."""
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
        sizes = np.diff(offsets)
        signatures = _signatures(words, offsets)
        left, right = _candidates(signatures)
        left, right = _filter_by_estimate(signatures, sizes, left, right, threshold)
        keep = _similarity(words, offsets, left, right) >= threshold
        edges.append(np.column_stack([long_ids[left[keep]], long_ids[right[keep]]]))
    return _components(n, np.concatenate(edges))


def similarity(a: str, b: str) -> float:
    """Return the similarity ``find_duplicates`` compares with its threshold (1.0 for copies)."""
    words_a, words_b = set(_tokens(a)), set(_tokens(b))
    if not words_a or not words_b:
        return 0.0
    if words_a == words_b:
        return 1.0
    common = len(words_a & words_b)
    return float(_combine(np.array([common]), np.array([len(words_a)]), np.array([len(words_b)]))[0])


def _tokens(text: str) -> list[str]:
    clean = normalise(text).lower()
    words = _WORD.findall(clean)
    if words:
        return words
    # No words: keep symbols such as emoji, so identical emoji-only texts still match.
    return [c for c in clean if unicodedata.category(c)[0] not in "PZC"]


def _exact_copies(texts: Sequence[str]):
    """Find exact copies; hash the word sets of the first of each long text."""
    n = len(texts)
    copy_of = np.full(n, -1, dtype=np.int64)
    first_of: dict[bytes, int] = {}
    word_hash: dict[str, int] = {}
    long_ids: list[int] = []
    parts: list[np.ndarray] = []
    sizes: list[int] = []
    for start in range(0, n, BATCH):
        flat: list[int] = []
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
                for word in unique:
                    value = word_hash.get(word)
                    if value is None:
                        value = word_hash[word] = zlib.crc32(word.encode("utf-8", "surrogatepass"))
                    flat.append(value)
                long_ids.append(index)
                sizes.append(len(unique))
        if flat:
            parts.append(np.array(flat, dtype=np.uint32))
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    words = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
    return copy_of, np.array(long_ids, dtype=np.int64), *_dedupe(words, offsets)


def _dedupe(words: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each text's hashes and drop repeats (two words with one CRC are rare but possible)."""
    owner = np.repeat(np.arange(len(offsets) - 1, dtype=np.uint64), np.diff(offsets))
    keys = np.unique((owner << np.uint64(32)) | words.astype(np.uint64))
    counts = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=len(offsets) - 1)
    offsets = np.zeros(len(offsets), dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), offsets


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


def _candidates(signatures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return distinct pairs (left < right) of texts that share a bucket in some band.

    Within a band's bucket the texts are ordered by the next band's key, so neighbours
    that also share that band (the more similar ones) come next to each other; each
    text is paired with its predecessor and with the bucket's first text.
    """
    n = len(signatures)
    rng = np.random.default_rng(_SEED + 1)
    mult = rng.integers(1, 2**63, size=ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    keys = [(signatures[:, b * ROWS : (b + 1) * ROWS].astype(np.uint64) * mult).sum(axis=1)
            for b in range(BANDS)]
    position = np.arange(n)
    codes = []
    for band in range(BANDS):
        key = keys[band]
        order = np.lexsort((keys[(band + 1) % BANDS], key))
        ordered = key[order]
        member = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
        if len(member) == 0:
            continue
        starts = np.where(np.r_[True, ordered[1:] != ordered[:-1]], position, 0)
        head = order[np.maximum.accumulate(starts)[member]]
        for other in (head, order[member - 1]):
            a, b = np.minimum(other, order[member]), np.maximum(other, order[member])
            codes.append(a * n + b)
    if not codes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes = np.unique(np.concatenate(codes))
    return codes // n, codes % n


def _combine(common: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Return max(Jaccard, overlap coefficient when the sizes are close enough)."""
    small = np.minimum(size_a, size_b).astype(np.float64)
    large = np.maximum(size_a, size_b).astype(np.float64)
    jaccard = common / np.maximum(size_a + size_b - common, 1)
    overlap = np.where(small >= MIN_LENGTH_RATIO * large, common / np.maximum(small, 1), 0.0)
    return np.maximum(jaccard, overlap)


def _filter_by_estimate(signatures, sizes, left, right, threshold):
    """Keep the pairs whose similarity, estimated from the signatures, may reach the threshold."""
    keep = np.zeros(len(left), dtype=bool)
    step = max(1, CHUNK // signatures.shape[1])
    for lo in range(0, len(left), step):
        a, b = left[lo : lo + step], right[lo : lo + step]
        jaccard = (signatures[a] == signatures[b]).mean(axis=1)
        common = jaccard * (sizes[a] + sizes[b]) / (1 + jaccard)
        keep[lo : lo + step] = _combine(common, sizes[a], sizes[b]) >= threshold - ESTIMATE_MARGIN
    return left[keep], right[keep]


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


def _components(n: int, edges: np.ndarray) -> np.ndarray:
    """Return connected-component labels, numbered by first member; -1 for singletons."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    grouped = np.bincount(component)[component] > 1
    _, first, inverse = np.unique(component[grouped], return_index=True, return_inverse=True)
    labels = np.full(n, -1, dtype=np.int64)
    labels[grouped] = np.argsort(np.argsort(first))[inverse]  # numbered by first member
    return labels
