"""Tagging comments with themes, from staff-labelled examples or from descriptions alone.

Two ways to build a ``ThemeTagger``:

* ``ThemeTagger.fit(texts, labels)``: one binary logistic regression per label (one-vs-rest)
  on the joined char n-gram and lemma TF-IDF of ``nlp.features``. Each label's decision values
  are calibrated into probabilities (Platt's sigmoid) fitted on out-of-fold predictions, and each
  label gets its own decision threshold, the one that maximises F1 on those out-of-fold scores.
  A label with too few positives (or negatives) for cross-validation still gets a model, scored
  by the regression's own sigmoid and a threshold of 0.5.
* ``ThemeTagger.from_descriptions({label: description})``: zero-shot. Each text is scored by its
  cosine similarity to each label's name and description in the same feature space; the
  similarities are turned into 0..1 scores by a softmax over labels. These scores rank labels
  but are NOT calibrated probabilities until staff have labelled examples.

Staff labelling more: ``tagger.fit_more(texts, labels)`` refits on every example seen so far,
with the descriptions (if any) as one extra example per label, and returns a calibrated tagger.

Texts with nothing to go on (empty, emoji only) get no labels from ``predict``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from . import persist
from .features import TextVectoriser
from .text import normalise

KIND = "theme-tagger"
VERSION = 1

C = 10.0                 # inverse regularisation of each label's regression (measured, see fit)
CLASS_WEIGHT = "balanced"
FOLDS = 5                # cross-validation folds for the out-of-fold predictions
MIN_CV = 3               # a label needs this many positives and negatives for cross-validation
DESCRIPTION_WEIGHT = 2.0  # sample weight of a description used as an example
TEMPERATURE = 0.05       # softmax temperature over cosine similarities (zero-shot scores)
CLOSE = 0.85             # zero-shot: also predict labels within this share of the top similarity
NEAR_IDENTICAL = 0.8     # to_label_next: skip texts this similar to one already picked


def _label_sets(labels: Sequence) -> list[frozenset[str]]:
    out = []
    for item in labels:
        if isinstance(item, str):
            item = (item,)
        if not isinstance(item, Iterable):
            raise ValueError(f"each label entry must be a set of strings, got {item!r}")
        names = frozenset(item)
        if not all(isinstance(name, str) and name.strip() for name in names):
            raise ValueError(f"labels must be non-empty strings, got {sorted(map(repr, names))}")
        out.append(names)
    return out


def _description_docs(descriptions: Mapping[str, str]) -> tuple[list[str], list[str]]:
    if not isinstance(descriptions, Mapping) or not descriptions:
        raise ValueError("descriptions must be a non-empty mapping of label to description")
    names, docs = [], []
    for name, text in descriptions.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"label names must be non-empty strings, got {name!r}")
        if text is not None and not isinstance(text, str):
            raise ValueError(f"the description of {name!r} must be a string")
        names.append(name)
        docs.append(f"{name}. {text or ''}")
    return names, docs


def _platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit Platt's sigmoid p = 1 / (1 + exp(-(a*d + b))) with his smoothed targets."""
    n_pos = float(y.sum())
    n_neg = len(y) - n_pos
    target = np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(params):
        z = params[0] * decision + params[1]
        p = expit(z)
        value = -(target * log_expit(z) + (1 - target) * log_expit(-z)).sum()
        grad_z = p - target
        return value, np.array([(grad_z * decision).sum(), grad_z.sum()])

    result = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(result.x[0]), float(result.x[1])


def _best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """Return the score threshold that maximises F1 of ``scores >= threshold``."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], y[order].astype(float)
    tp = np.cumsum(hits)
    predicted = np.arange(1, len(ranked) + 1)
    f1 = 2 * tp / (predicted + hits.sum())
    # Only cut where the score changes, so that tied scores fall on the same side.
    last_of_tie = np.append(ranked[1:] < ranked[:-1], True)
    f1[~last_of_tie] = -1
    best = int(np.argmax(f1))
    if best + 1 < len(ranked):
        return float((ranked[best] + ranked[best + 1]) / 2)
    return float(ranked[best])


def _regression(X, y, weights, seed: int) -> tuple[np.ndarray, float]:
    model = LogisticRegression(C=C, class_weight=CLASS_WEIGHT, solver="liblinear", max_iter=2000, random_state=seed)
    model.fit(X, y, sample_weight=weights)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def _fit_label(X, y, weights, seed: int) -> tuple[np.ndarray, float, float, float, float]:
    """Return coef, intercept, Platt a and b, and threshold for one label."""
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        # Every example agrees: a constant score (a = 0), decided by the sigmoid's b.
        constant = 8.0 if n_pos else -8.0
        return np.zeros(X.shape[1], np.float32), 0.0, 0.0, constant, 0.5
    coef, intercept = _regression(X, y, weights, seed)
    if min(n_pos, n_neg) < MIN_CV:
        return coef, intercept, 1.0, 0.0, 0.5
    folds = StratifiedKFold(min(FOLDS, n_pos, n_neg), shuffle=True, random_state=seed)
    decision = np.zeros(len(y))
    for train, test in folds.split(np.zeros(len(y)), y):
        w, b = _regression(X[train], y[train], weights[train], seed)
        decision[test] = X[test] @ w + b
    a, b = _platt(decision, y)
    return coef, intercept, a, b, _best_threshold(expit(a * decision + b), y)


def _texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a list of strings, not one string")
    return list(texts)


class ThemeTagger:
    """Multi-label theme tagger: calibrated scores per label, predictions, what to label next."""

    def __init__(self, labels: list[str], vectoriser: TextVectoriser, weights: np.ndarray,
                 intercepts: np.ndarray, platt: np.ndarray, thresholds: np.ndarray, *,
                 zero_shot: bool, descriptions: dict[str, str] | None = None,
                 examples: tuple[list[str], list[list[str]]] | None = None,
                 top_fallback: bool = True, seed: int = 0):
        self.labels = labels
        self.vectoriser = vectoriser
        self.weights = weights              # (labels, features): coefficients or descriptions
        self.intercepts = intercepts        # (labels,)
        self.platt = platt                  # (labels, 2): a, b of each label's sigmoid
        self.thresholds = thresholds        # (labels,): in score space
        self.zero_shot = zero_shot
        self.descriptions = descriptions
        self.examples = examples or ([], [])
        self.top_fallback = top_fallback
        self.seed = seed

    # -- building -------------------------------------------------------------------------

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[Iterable[str]],
            descriptions: Mapping[str, str] | None = None, *, top_fallback: bool = True,
            seed: int = 0) -> ThemeTagger:
        """Learn a calibrated tagger from labelled texts (descriptions count as extra examples)."""
        texts = _texts(texts)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label sets")
        sets = _label_sets(labels)
        names = sorted(set().union(*sets)) if sets else []
        weights = [1.0] * len(texts)
        all_texts, all_sets = list(texts), list(sets)
        if descriptions is not None:
            desc_names, docs = _description_docs(descriptions)
            names = desc_names + [n for n in names if n not in descriptions]
            all_texts += docs
            all_sets += [frozenset([n]) for n in desc_names]
            weights += [DESCRIPTION_WEIGHT] * len(docs)
        if not names:
            raise ValueError("no labels to learn: give at least one text with a label")
        vectoriser = _fit_vectoriser(all_texts, seed)
        X = vectoriser.transform(all_texts)
        sample_weight = np.asarray(weights)
        rows = [_fit_label(X, np.array([n in s for s in all_sets]), sample_weight, seed)
                for n in names]
        return cls(
            names, vectoriser,
            np.vstack([r[0] for r in rows]),
            np.array([r[1] for r in rows]),
            np.array([[r[2], r[3]] for r in rows]),
            np.array([r[4] for r in rows]),
            zero_shot=False,
            descriptions=dict(descriptions) if descriptions is not None else None,
            examples=([normalise(t) for t in texts], [sorted(s) for s in sets]),
            top_fallback=top_fallback, seed=seed,
        )

    @classmethod
    def from_descriptions(cls, descriptions: Mapping[str, str], corpus: Sequence[str] = (), *,
                          seed: int = 0) -> ThemeTagger:
        """Build a zero-shot tagger from {label: description}; ``corpus`` only informs IDF.

        The vectoriser is fitted on the descriptions plus ``corpus`` (e.g. the consultation's
        comments), never on the texts being scored, so a text's scores do not depend on which
        other texts are scored with it. Scores rank labels; they are not calibrated.
        """
        names, docs = _description_docs(descriptions)
        vectoriser = _fit_vectoriser(docs + _texts(corpus), seed)
        vectors = vectoriser.transform(docs).toarray().astype(np.float32)
        n = len(names)
        return cls(names, vectoriser, vectors, np.zeros(n), np.tile([1.0, 0.0], (n, 1)),
                   np.zeros(n), zero_shot=True, descriptions=dict(descriptions), seed=seed)

    def fit_more(self, texts: Sequence[str], labels: Sequence[Iterable[str]]) -> ThemeTagger:
        """Return a tagger refitted on all examples so far plus these (and the descriptions)."""
        texts = _texts(texts)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label sets")
        old_texts, old_labels = self.examples
        return ThemeTagger.fit(old_texts + texts, old_labels + list(labels),
                               descriptions=self.descriptions, top_fallback=self.top_fallback,
                               seed=self.seed)

    # -- using ----------------------------------------------------------------------------

    def _matrix(self, texts: Sequence[str]) -> tuple[np.ndarray, sp.csr_matrix]:
        """Return the (texts, labels) score matrix and the texts' feature rows."""
        X = self.vectoriser.transform(texts)
        raw = np.asarray(X @ self.weights.T, dtype=np.float64)
        if self.zero_shot:
            shifted = raw / TEMPERATURE
            shifted -= shifted.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            return exp / exp.sum(axis=1, keepdims=True), X
        z = (raw + self.intercepts) * self.platt[:, 0] + self.platt[:, 1]
        return expit(z), X

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return one {label: score in 0..1} per text (calibrated when fitted on examples)."""
        texts = _texts(texts)
        if not texts:
            return []
        matrix, _ = self._matrix(texts)
        return [dict(zip(self.labels, map(float, row), strict=True)) for row in matrix]

    def predict(self, texts: Sequence[str], top_fallback: bool | None = None) -> list[set[str]]:
        """Return the labels of each text; with ``top_fallback``, never none for a real text.

        From examples: every label whose score reaches its threshold, or, when none does and
        ``top_fallback`` is on (the tagger's default unless given), the top-scoring label.
        Zero-shot: the top label plus any whose similarity is within ``CLOSE`` of it.
        """
        texts = _texts(texts)
        if not texts:
            return []
        fallback = self.top_fallback if top_fallback is None else top_fallback
        matrix, X = self._matrix(texts)
        blank = np.diff(X.indptr) == 0
        out = []
        if self.zero_shot:
            sims = np.asarray(X @ self.weights.T)
            for row, empty in zip(sims, blank, strict=True):
                top = row.max()
                chosen = np.flatnonzero(row >= CLOSE * top) if top > 0 and not empty else []
                out.append({self.labels[i] for i in chosen})
            return out
        for row, empty in zip(matrix, blank, strict=True):
            if empty:
                out.append(set())
                continue
            chosen = {self.labels[i] for i in np.flatnonzero(row >= self.thresholds)}
            if not chosen and fallback:
                chosen = {self.labels[int(np.argmax(row))]}
            out.append(chosen)
        return out

    def to_label_next(self, texts: Sequence[str], k: int) -> list[int]:
        """Return up to ``k`` distinct indices of texts whose labels would teach the most.

        Most uncertain first (the smallest distance, in log-odds, between a score and its
        threshold; zero-shot: the smallest gap between the two top labels), skipping texts
        near-identical to one already picked; texts with nothing to go on come last.
        """
        texts = _texts(texts)
        if not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"k must be a non-negative integer, got {k!r}")
        if not texts or k == 0:
            return []
        matrix, X = self._matrix(texts)
        if self.zero_shot:
            top2 = -np.sort(-matrix, axis=1)[:, :2]
            margin = top2[:, 0] - (top2[:, 1] if top2.shape[1] > 1 else 0.0)
        else:
            eps = 1e-6
            logit = np.log((matrix + eps) / (1 - matrix + eps))
            cut = np.log((self.thresholds + eps) / (1 - self.thresholds + eps))
            margin = np.abs(logit - cut).min(axis=1)
        margin = np.where(np.diff(X.indptr) == 0, np.inf, margin)
        order = np.lexsort((np.arange(len(texts)), margin))
        picked: list[int] = []
        skipped: list[int] = []
        for i in order:
            if len(picked) == k:
                break
            if picked and (X[picked] @ X[i].T).max() >= NEAR_IDENTICAL:
                skipped.append(int(i))
                continue
            picked.append(int(i))
        return picked + skipped[: k - len(picked)]

    # -- saving ---------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the tagger to ``path`` in the safe model format of ``nlp.persist``."""
        arrays = {f"vec_{name}": value for name, value in self.vectoriser.to_state().items()}
        arrays.update(weights=self.weights, intercepts=self.intercepts, platt=self.platt,
                      thresholds=self.thresholds)
        meta = {
            "labels": self.labels, "zero_shot": self.zero_shot,
            "descriptions": self.descriptions, "top_fallback": self.top_fallback,
            "seed": self.seed,
            "examples": {"texts": self.examples[0], "labels": self.examples[1]},
        }
        persist.save(path, KIND, VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | Path) -> ThemeTagger:
        """Read a tagger written by ``save``."""
        arrays, meta = persist.load(path, KIND, VERSION)
        state = {name[4:]: value for name, value in arrays.items() if name.startswith("vec_")}
        examples = meta.get("examples") or {"texts": [], "labels": []}
        return cls(
            list(meta["labels"]), TextVectoriser.from_state(state), arrays["weights"],
            arrays["intercepts"], arrays["platt"], arrays["thresholds"],
            zero_shot=bool(meta["zero_shot"]), descriptions=meta.get("descriptions"),
            examples=(list(examples["texts"]), [list(x) for x in examples["labels"]]),
            top_fallback=bool(meta.get("top_fallback", True)), seed=int(meta.get("seed", 0)),
        )


def _fit_vectoriser(texts: list[str], seed: int) -> TextVectoriser:
    try:
        return TextVectoriser().fit(texts, seed)
    except ValueError as error:  # sklearn: "empty vocabulary" when no text has any letters
        raise ValueError(f"no usable text to learn from: {error}") from error
