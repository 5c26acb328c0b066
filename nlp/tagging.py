"""Tagging comments with themes, from staff-labelled examples or from descriptions alone.

Two ways to build a ``ThemeTagger``:

* ``ThemeTagger.fit(texts, labels)``: one binary logistic regression per label (one-vs-rest)
  on the joined char n-gram and lemma TF-IDF of ``nlp.features``, solved by liblinear's dual
  solver (fast when, as here, there are fewer texts than features). Each label is
  cross-fitted: one regression per fold (5 folds up to 1,000 examples, 2 above), their
  average is the final model and their out-of-fold decision values calibrate it, so no
  model is fitted twice on the same texts. Calibration is Platt's sigmoid on those
  out-of-fold values, and each label gets its own decision threshold, the one that
  maximises F1 on them. A label with too few positives (or negatives) for cross-validation
  still gets a model, scored by the regression's own sigmoid with a threshold of 0.5.
  More than ``MAX_ROWS`` examples: the tagger learns from a random sample of that many
  (seeded), which keeps fitting 40,000 examples well under a minute.
* Mutually exclusive labels, learnt from the examples: when (almost) every example carries
  exactly one label and no descriptions are given, the labels are treated as classes. The
  per-label regressions share their folds, C is chosen among ``C_GRID`` by the out-of-fold
  macro-F1 of the top label (on the training examples only), scores are a softmax over the
  decision values with a temperature fitted on the out-of-fold values (calibrated as class
  probabilities, summing to 1), and ``predict`` gives the top label.
* ``ThemeTagger.from_descriptions({label: description})``: zero-shot. Each text is scored by its
  cosine similarity to each label's name and description in the same feature space, turned
  into 0..1 scores by a softmax over the labels. These scores rank labels; they are NOT
  calibrated probabilities until staff have labelled examples.

Staff labelling more: ``tagger.fit_more(texts, labels)`` (or ``fit(..., descriptions=...)``)
keeps the descriptions as a prior: each description is one more example of its label, and a
label's score blends, in log-odds, the zero-shot score (weight ``1 - e``) with the learnt
score (weight ``e = n / (n + EVIDENCE)``, n = the label's labelled examples). With few
examples the description decides; with many, the examples do and the score is calibrated.

``predict`` gives the labels whose scores reach their thresholds; when none does, the top
label (``top_fallback``, on by default, off per tagger or per call). Texts with nothing to go
on (empty, or only characters the vectoriser has never seen, such as emoji) get no labels.

Choices, measured on SIB-200 sv/en and SuperLim argumentation (train → dev): C = 10 with
balanced class weights for multi-label examples (C from 3 to 30 is within noise; unweighted
is no better); Platt rather than isotonic calibration (lower log-loss on all three sets, even
with ~600 positives a label); the description prior (EVIDENCE = 10) removes most of the drop
in accuracy from zero-shot to a tagger fitted on a handful of examples. Cross-fitting with
averaged fold models scores as the earlier refit on all examples did (ThemeFinder, SIB-200)
at a fraction of the time.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_expit, logit, logsumexp, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from . import persist
from .features import FIT_SAMPLE, TextVectoriser, char_text
from .text import normalise

KIND = "theme-tagger"
VERSION = 2  # 2: mutually exclusive labels (softmax scores); version 1 files load as before

C = 10.0  # inverse regularisation of each label's regression (measured)
C_GRID = (1.0, 10.0)  # mutually exclusive labels: C chosen by cross-validation on the examples
CLASS_WEIGHT = "balanced"
FOLDS = 5  # cross-fitting folds for the out-of-fold predictions ...
MANY_FOLDS_UP_TO = 1_000  # ... up to this many examples; more examples:
FEW_FOLDS = 2
MAX_ROWS = 8_000  # more examples than this: learn from a random sample of this many
SINGLE_SHARE = 0.95  # labels are mutually exclusive when this share of examples has one
MIN_CV = 3  # a label needs this many positives and negatives for cross-validation
DESCRIPTION_WEIGHT = 2.0  # sample weight of a description used as an example
EVIDENCE = 10.0  # labelled examples at which a label's examples and description weigh equal
TEMPERATURE = 0.05  # softmax temperature over cosine similarities (zero-shot scores)
CLOSE = 0.8  # zero-shot: also predict labels within this share of the top similarity
NEAR_IDENTICAL = 0.8  # to_label_next: skip texts this similar to one already picked
_EPS = 1e-6
PREDICT_BATCH = 10_000  # texts scored at once (bounds the memory their feature rows take)


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


def _texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a list of strings, not one string")
    return list(texts)


def _batches(texts: list[str]) -> Iterator[list[str]]:
    """Yield ``texts`` in slices of PREDICT_BATCH: a batch's feature rows are held at once."""
    for start in range(0, len(texts), PREDICT_BATCH):
        yield texts[start : start + PREDICT_BATCH]


def _vectorised(texts: list[str], seed: int) -> tuple[TextVectoriser, sp.csr_matrix]:
    """Fit a vectoriser on ``texts`` and return it with their rows.

    The vectoriser is rebuilt from its saved state, so that a loaded copy scores the same;
    the rows are those of the fit itself (identical to ``transform``'s, counted once) unless
    the corpus is larger than the fit's sample.
    """
    try:
        fitted = TextVectoriser()
        if len(texts) <= FIT_SAMPLE:
            rows = fitted.fit_transform_clean(char_text(texts))
        else:
            rows = None
            fitted.fit(texts, seed)
    except ValueError as error:  # sklearn's "empty vocabulary": no text has any letters
        raise ValueError(f"no usable text to learn from: {error}") from error
    vectoriser = TextVectoriser.from_state(fitted.to_state())
    return vectoriser, rows if rows is not None else vectoriser.transform(texts)


def _fit_vectoriser(texts: list[str], seed: int) -> TextVectoriser:
    """Fit a vectoriser, rebuilt from its saved state so that a loaded copy scores the same."""
    return _vectorised(texts, seed)[0]


def _platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit Platt's sigmoid p = 1 / (1 + exp(-(a*d + b))), with his smoothed targets.

    Newton's method with step halving (Lin, Lin and Weng's version of Platt's algorithm).
    """
    n_pos = float(y.sum())
    n_neg = len(y) - n_pos
    target = np.where(y, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    features = np.column_stack([decision, np.ones(len(decision))])

    def loss(params: np.ndarray) -> float:
        z = features @ params
        return float(-(target * log_expit(z) + (1 - target) * log_expit(-z)).sum())

    params = np.array([1.0, 0.0])
    value = loss(params)
    for _ in range(100):
        p = expit(features @ params)
        gradient = features.T @ (p - target)
        hessian = (features.T * (p * (1 - p))) @ features + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        descent = float(gradient @ step)  # > 0: the Hessian is positive definite
        size = 1.0
        while size > 1e-10 and loss(params - size * step) > value - 1e-4 * size * descent:
            size /= 2
        if size <= 1e-10:
            break
        params = params - size * step
        new_value = loss(params)
        if value - new_value < 1e-10 * max(1.0, abs(value)):
            value = new_value
            break
        value = new_value
    return float(params[0]), float(params[1])


def _temperature(decision: np.ndarray, y: np.ndarray) -> float:
    """Return the scale ``a`` of the softmax over ``a * decision`` that best predicts the
    class index ``y`` of each row (multinomial log-loss; temperature scaling)."""

    def loss(a: float) -> float:
        z = a * decision
        return float((logsumexp(z, axis=1) - z[np.arange(len(y)), y]).sum())

    return float(minimize_scalar(loss, bounds=(1e-3, 100.0), method="bounded").x)


def _best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """Return the score threshold that maximises F1 of ``scores >= threshold``."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], y[order].astype(float)
    f1 = 2 * np.cumsum(hits) / (np.arange(1, len(ranked) + 1) + hits.sum())
    f1[np.append(ranked[1:] == ranked[:-1], False)] = -1  # cut only between different scores
    best = int(np.argmax(f1))
    if best + 1 < len(ranked):
        return float((ranked[best] + ranked[best + 1]) / 2)
    return float(ranked[best])


def _regression(X, y, weights, seed: int, c: float = C) -> tuple[np.ndarray, float]:
    """Fit one label's L2 logistic regression (liblinear's dual solver: fast when, as here,
    there are fewer texts than features) and return its coefficients and intercept."""
    if y.all() or not y.any():  # one class only (a fold without the label): a constant
        return np.zeros(X.shape[1], np.float32), 8.0 if y.any() else -8.0
    model = LogisticRegression(
        C=c,
        class_weight=CLASS_WEIGHT,
        solver="liblinear",
        dual=True,
        max_iter=1000,
        random_state=seed,
    )
    model.fit(X, y, sample_weight=weights)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def _folds(strata: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return cross-fitting folds stratified by ``strata`` (fewer folds on larger sets)."""
    n = len(strata)
    count = min(FOLDS if n <= MANY_FOLDS_UP_TO else FEW_FOLDS, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class with fewer members than folds: fine here
        split = StratifiedKFold(count, shuffle=True, random_state=seed)
        return list(split.split(np.zeros(n), strata))


def _cross_fit(X, y, weights, folds, seed: int, c: float = C):
    """Fit one label on each fold's training part; return the averaged coefficients and
    intercept (the final model) and the out-of-fold decision values."""
    decision = np.zeros(len(y))
    coef, intercept = np.zeros(X.shape[1], np.float64), 0.0
    for train, test in folds:
        w, b = _regression(X[train], y[train], weights[train], seed, c)
        decision[test] = X[test] @ w + b
        coef += w
        intercept += b
    return (coef / len(folds)).astype(np.float32), intercept / len(folds), decision


def _fit_label(X, y, weights, seed: int):
    """Return coef, intercept, Platt (a, b), and out-of-fold log-odds (None: no CV)."""
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        # Every example agrees: a constant score (a = 0), decided by the sigmoid's b.
        return np.zeros(X.shape[1], np.float32), 0.0, (0.0, 8.0 if n_pos else -8.0), None
    if min(n_pos, n_neg) < MIN_CV:
        coef, intercept = _regression(X, y, weights, seed)
        return coef, intercept, (1.0, 0.0), None
    coef, intercept, decision = _cross_fit(X, y, weights, _folds(y, seed), seed)
    a, b = _platt(decision, y)
    return coef, intercept, (a, b), a * decision + b


def _learning_rows(n: int, seed: int) -> list[int]:
    """Indices of the examples a tagger learns from: all, or a random ``MAX_ROWS`` of them."""
    if n <= MAX_ROWS:
        return list(range(n))
    return sorted(np.random.default_rng(seed).choice(n, MAX_ROWS, replace=False).tolist())


def _single_label(sets: list[frozenset[str]], names: list[str]) -> bool:
    """Whether the examples treat the labels as mutually exclusive: two labels or more, and
    (almost) every example carries exactly one."""
    if len(names) < 2 or not sets:
        return False
    return float(np.mean([len(s) == 1 for s in sets])) >= SINGLE_SHARE


def _fit_single(X, sets, names, seed: int):
    """Fit mutually exclusive labels: one regression per label, cross-fitted on shared folds;
    C chosen among ``C_GRID`` by the out-of-fold macro-F1 of the top label; scores are a
    softmax over the decision values, its temperature fitted on the out-of-fold values."""
    Y = np.array([[name in s for name in names] for s in sets])
    primary = np.array([names.index(min(s)) if s else -1 for s in sets])
    folds = _folds(primary, seed)
    weights = np.ones(len(sets))
    best = None
    for c in C_GRID:
        fitted = [_cross_fit(X, Y[:, j], weights, folds, seed, c) for j in range(len(names))]
        decision = np.column_stack([d for _, _, d in fitted])
        top = decision == decision.max(axis=1, keepdims=True)
        score = _macro_f1(Y, top)
        if best is None or score > best[0] + 1e-9:
            best = (score, fitted, decision)
    _, fitted, decision = best
    coef = np.vstack([w for w, _, _ in fitted])
    intercept = np.array([b for _, b, _ in fitted])
    labelled = primary >= 0
    scale = _temperature(decision[labelled], primary[labelled])
    return coef, intercept, scale


def _macro_f1(Y: np.ndarray, chosen: np.ndarray) -> float:
    """Macro-F1 of a boolean choice matrix against the boolean truth ``Y`` (texts × labels)."""
    tp = (Y & chosen).sum(axis=0)
    wrong = (Y ^ chosen).sum(axis=0)
    return float(np.mean(2 * tp / np.maximum(2 * tp + wrong, 1)))


def _fit_multi(X, sets: list[frozenset[str]], names: list[str], n_docs: int, seed: int):
    """Fit labels that may overlap: one calibrated regression per label, with the last
    ``n_docs`` rows of ``X`` (the first ``n_docs`` labels' descriptions) as a prior.

    Return coef, intercept, Platt (a, b) and threshold per label, the description vectors
    and each label's evidence weight (see the module's docstring).
    """
    all_sets = sets + [frozenset([n]) for n in names[:n_docs]]
    sample_weight = np.array([1.0] * len(sets) + [DESCRIPTION_WEIGHT] * n_docs)
    prior = np.zeros((len(names), X.shape[1]), np.float32)
    if n_docs:
        prior[:n_docs] = X[len(sets) :].toarray()
    counts = np.array([sum(n in s for s in sets) for n in names], dtype=float)
    has = prior.any(axis=1)
    evidence = np.where(has, counts / (counts + EVIDENCE), 1.0)
    described = _described_logodds(X, np.ascontiguousarray(prior[has].T), has)
    coef, intercept = np.zeros_like(prior), np.zeros(len(names))
    platt, thresholds = np.tile([1.0, 0.0], (len(names), 1)), np.full(len(names), 0.5)
    for j, name in enumerate(names):
        y = np.array([name in s for s in all_sets])
        coef[j], intercept[j], platt[j], learnt = _fit_label(X, y, sample_weight, seed)
        if learnt is not None:
            blended = evidence[j] * learnt + (1 - evidence[j]) * described[:, j]
            thresholds[j] = _best_threshold(expit(blended), y)
    return coef, intercept, platt, thresholds, prior, evidence


def _described_logodds(X: sp.csr_matrix, prior_t: np.ndarray, described: np.ndarray) -> np.ndarray:
    """Zero-shot log-odds: a softmax over the described labels' cosine similarities.

    ``prior_t`` holds the described labels' vectors as columns; ``described`` their rows.
    """
    out = np.zeros((X.shape[0], len(described)))
    if described.any():
        z = np.asarray(X @ prior_t, dtype=np.float64) / TEMPERATURE
        share = np.exp(z - z.max(axis=1, keepdims=True))
        share /= share.sum(axis=1, keepdims=True)
        out[:, described] = logit(np.clip(share, _EPS, 1 - _EPS))
    return out


class ThemeTagger:
    """Multi-label theme tagger: 0..1 scores per label, predictions, what to label next."""

    def __init__(
        self,
        labels: list[str],
        vectoriser: TextVectoriser,
        *,
        coef: np.ndarray,
        intercept: np.ndarray,
        platt: np.ndarray,
        thresholds: np.ndarray,
        prior: np.ndarray,
        evidence: np.ndarray,
        zero_shot: bool,
        descriptions: dict[str, str] | None = None,
        examples: tuple[list[str], list[list[str]]] | None = None,
        top_fallback: bool = True,
        seed: int = 0,
        exclusive_scale: float | None = None,
    ):
        self.labels = labels
        self.vectoriser = vectoriser
        self.coef = coef  # (labels, features) of the learnt regressions
        self.intercept = intercept  # (labels,)
        self.platt = platt  # (labels, 2): a, b of each label's sigmoid
        self.thresholds = thresholds  # (labels,): in score space
        self.prior = prior  # (labels, features): description vectors, 0 if none
        self.evidence = evidence  # (labels,): weight of the learnt score, 0..1
        # Column-major copies for fast sparse products, and which labels have a description.
        self._coef_t = np.ascontiguousarray(coef.T)
        self._described = prior.any(axis=1)
        self._prior_t = np.ascontiguousarray(prior[self._described].T)
        self.zero_shot = zero_shot
        self.descriptions = descriptions
        self.examples = examples or ([], [])
        self.top_fallback = top_fallback
        self.seed = seed
        # Mutually exclusive labels: scores are softmax(scale * decision); one label a text.
        self.exclusive_scale = exclusive_scale

    # -- building -------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[Iterable[str]],
        descriptions: Mapping[str, str] | None = None,
        *,
        top_fallback: bool = True,
        seed: int = 0,
    ) -> ThemeTagger:
        """Learn a calibrated tagger from labelled texts, with descriptions as a prior if given."""
        texts = _texts(texts)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label sets")
        all_labelled = _label_sets(labels)
        names = sorted(set().union(*all_labelled))
        desc_names, docs = _description_docs(descriptions) if descriptions is not None else ([], [])
        names = desc_names + [n for n in names if n not in desc_names]
        if not names:
            raise ValueError("no labels to learn: give at least one text with a label")
        rows = _learning_rows(len(texts), seed)
        sets = [all_labelled[i] for i in rows]
        all_texts = [texts[i] for i in rows] + docs
        vectoriser, X = _vectorised(all_texts, seed)
        exclusive_scale = None
        if not docs and _single_label(sets, names):
            coef, intercept, exclusive_scale = _fit_single(X, sets, names, seed)
            n = len(names)
            prior, evidence = np.zeros_like(coef), np.ones(n)
            platt, thresholds = np.tile([1.0, 0.0], (n, 1)), np.full(n, 0.5)
        else:
            coef, intercept, platt, thresholds, prior, evidence = _fit_multi(
                X, sets, names, len(docs), seed
            )
        sets = all_labelled
        return cls(
            names,
            vectoriser,
            coef=coef,
            intercept=intercept,
            platt=platt,
            thresholds=thresholds,
            prior=prior,
            evidence=evidence,
            zero_shot=False,
            descriptions=dict(descriptions) if descriptions is not None else None,
            examples=([normalise(t) for t in texts], [sorted(s) for s in sets]),
            top_fallback=top_fallback,
            seed=seed,
            exclusive_scale=exclusive_scale,
        )

    @classmethod
    def from_descriptions(
        cls, descriptions: Mapping[str, str], corpus: Sequence[str] = (), *, seed: int = 0
    ) -> ThemeTagger:
        """Build a zero-shot tagger from {label: description}; ``corpus`` only informs IDF.

        The vectoriser is fitted on the descriptions plus ``corpus`` (e.g. all comments of the
        consultation), never on the texts being scored, so a text's scores do not depend on
        which other texts are scored with it. Scores rank labels; they are not calibrated.
        """
        names, docs = _description_docs(descriptions)
        vectoriser = _fit_vectoriser(docs + _texts(corpus), seed)
        prior = vectoriser.transform(docs).toarray().astype(np.float32)
        n = len(names)
        return cls(
            names,
            vectoriser,
            coef=np.zeros_like(prior),
            intercept=np.zeros(n),
            platt=np.tile([1.0, 0.0], (n, 1)),
            thresholds=np.full(n, 0.5),
            prior=prior,
            evidence=np.zeros(n),
            zero_shot=True,
            descriptions=dict(descriptions),
            seed=seed,
        )

    def fit_more(self, texts: Sequence[str], labels: Sequence[Iterable[str]]) -> ThemeTagger:
        """Return a tagger refitted on all examples so far plus these (descriptions kept)."""
        texts = _texts(texts)
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} label sets")
        old_texts, old_labels = self.examples
        return ThemeTagger.fit(
            old_texts + texts,
            old_labels + list(labels),
            descriptions=self.descriptions,
            top_fallback=self.top_fallback,
            seed=self.seed,
        )

    # -- using ----------------------------------------------------------------------------

    def _matrix(self, texts: Sequence[str]) -> tuple[np.ndarray, sp.csr_matrix]:
        """Return the (texts, labels) score matrix and the texts' feature rows."""
        X = self.vectoriser.transform(texts)
        learnt = np.asarray(X @ self._coef_t, dtype=np.float64) + self.intercept
        if self.exclusive_scale is not None:
            return softmax(self.exclusive_scale * learnt, axis=1), X
        learnt = learnt * self.platt[:, 0] + self.platt[:, 1]
        if self.evidence.min() < 1:
            learnt = self.evidence * learnt + (1 - self.evidence) * _described_logodds(
                X, self._prior_t, self._described
            )
        return expit(learnt), X

    def scores(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return one {label: score in 0..1} per text (calibrated when fitted on examples)."""
        return [
            dict(zip(self.labels, map(float, row), strict=True))
            for batch in _batches(_texts(texts))
            for row in self._matrix(batch)[0]
        ]

    def predict(self, texts: Sequence[str], top_fallback: bool | None = None) -> list[set[str]]:
        """Return the labels of each text (none for a text with nothing to go on).

        From examples: every label whose score reaches its threshold, or, when none does and
        ``top_fallback`` is on (the tagger's default unless given), the top-scoring label.
        Zero-shot: the top label plus any whose similarity is within ``CLOSE`` of it.
        """
        fallback = self.top_fallback if top_fallback is None else top_fallback
        return [
            labels
            for batch in _batches(_texts(texts))
            for labels in self._predict_batch(batch, fallback)
        ]

    def _predict_batch(self, texts: list[str], fallback: bool) -> list[set[str]]:
        matrix, X = self._matrix(texts)
        blank = np.diff(X.indptr) == 0
        if self.exclusive_scale is not None:
            chosen = matrix == matrix.max(axis=1, keepdims=True)
        elif self.zero_shot:
            sims = np.zeros(matrix.shape)
            sims[:, self._described] = X @ self._prior_t
            top = sims.max(axis=1, keepdims=True)
            chosen = (sims >= CLOSE * top) & (top > 0)
        else:
            chosen = matrix >= self.thresholds
            none = ~chosen.any(axis=1)
            if fallback:
                chosen[none, matrix[none].argmax(axis=1)] = True
        chosen[blank] = False
        return [{self.labels[j] for j in np.flatnonzero(row)} for row in chosen]

    def to_label_next(self, texts: Sequence[str], k: int) -> list[int]:
        """Return up to ``k`` distinct indices of texts whose labels would teach the most.

        Most uncertain first (the smallest distance, in log-odds, between a score and its
        threshold; zero-shot: the smallest gap between the two top scores), skipping texts
        near-identical to one already picked; texts with nothing to go on come last.
        Deterministic: ties go to the earlier text.
        """
        texts = _texts(texts)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"k must be a non-negative integer, got {k!r}")
        if not texts or k == 0:
            return []
        matrix, X = self._matrix(texts)
        if self.zero_shot or self.exclusive_scale is not None:
            top2 = -np.sort(-matrix, axis=1)[:, :2]
            margin = top2[:, 0] - (top2[:, 1] if top2.shape[1] > 1 else 0.0)
        else:
            clipped = np.clip(matrix, _EPS, 1 - _EPS)
            cut = logit(np.clip(self.thresholds, _EPS, 1 - _EPS))
            margin = np.abs(logit(clipped) - cut).min(axis=1)
        margin = np.where(np.diff(X.indptr) == 0, np.inf, margin)
        picked: list[int] = []
        skipped: list[int] = []
        for i in np.lexsort((np.arange(len(texts)), margin)):
            if len(picked) == k:
                break
            if picked and (X[picked] @ X[i].T).max() >= NEAR_IDENTICAL:
                skipped.append(int(i))
            else:
                picked.append(int(i))
        return picked + skipped[: k - len(picked)]

    # -- saving ---------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the tagger (with its labelled examples, for ``fit_more``) to ``path`` safely."""
        arrays = {f"vec_{name}": value for name, value in self.vectoriser.to_state().items()}
        arrays.update(
            coef=self.coef,
            intercept=self.intercept,
            platt=self.platt,
            thresholds=self.thresholds,
            prior=self.prior,
            evidence=self.evidence,
        )
        meta = {
            "labels": self.labels,
            "zero_shot": self.zero_shot,
            "descriptions": self.descriptions,
            "top_fallback": self.top_fallback,
            "seed": self.seed,
            "exclusive_scale": self.exclusive_scale,
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
            list(meta["labels"]),
            TextVectoriser.from_state(state),
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            platt=arrays["platt"],
            thresholds=arrays["thresholds"],
            prior=arrays["prior"],
            evidence=arrays["evidence"],
            zero_shot=bool(meta["zero_shot"]),
            descriptions=meta.get("descriptions"),
            examples=(list(examples["texts"]), [list(x) for x in examples["labels"]]),
            top_fallback=bool(meta.get("top_fallback", True)),
            seed=int(meta.get("seed", 0)),
            exclusive_scale=meta.get("exclusive_scale"),
        )
