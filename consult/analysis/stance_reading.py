"""The engine's stance readings for an analysis, kept only where the engine is confident.

Where enough authors chose a stance for their comment (agree, partly, disagree), a
``nlp.StanceModel`` learns from those choices, in the round's own words, and reads every
comment with a calibrated probability; a reading below ``nlp.stance.CONFIDENT`` is stored as
``UNCLEAR``. Otherwise the lexicon reads the comments, and only its clear readings (see
``nlp.stance.stance_with_confidence``) are kept. Pages show nothing for ``UNCLEAR``.

When the comments' e5 vectors are stored (the optional semantic view), the model uses them
beside the words: on SuperLim argumentation dev that raised its macro-F1 from 0.60 to 0.66
(``python -m nlp.evaluate --only stance``). Without them it reads the words alone. The
vectors are stored when comments are written, so this costs the analysis job no embedding.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import numpy as np

import nlp
from nlp.stance import CONFIDENT

from ..models import Comment, Stance

UNCLEAR = "unclear"
# "Partly agree" is read as wanting a change: such comments mostly ask for one.
AUTHOR_LABELS = {Stance.AGREE: "support", Stance.PARTLY: "change", Stance.DISAGREE: "oppose"}
MIN_LABELLED = 30  # authors' choices at least, before a model is trusted over the lexicon
MIN_PER_LABEL = 5  # a label with fewer examples is left out of the model
MAX_TRAINING = 5_000  # a sample of this many keeps a large round's job fast


def readings(
    comments: Sequence[Comment], texts: Sequence[str], vectors: np.ndarray | None = None
) -> list[str]:
    """Return each comment's stance reading, or ``UNCLEAR`` where the engine is not sure.

    ``vectors`` (one row per comment, or None) are the comments' stored e5 vectors."""
    labelled = [
        (i, AUTHOR_LABELS[c.stance]) for i, c in enumerate(comments) if c.stance in AUTHOR_LABELS
    ]
    counts = Counter(label for _, label in labelled)
    kept = [(i, label) for i, label in labelled if counts[label] >= MIN_PER_LABEL]
    if len(kept) < MIN_LABELLED or len({label for _, label in kept}) < 2:
        return lexicon_readings(texts)
    if len(kept) > MAX_TRAINING:
        kept = random.Random(0).sample(kept, MAX_TRAINING)
    rows = [i for i, _ in kept]
    model = nlp.StanceModel.fit(
        [texts[i] for i in rows],
        [label for _, label in kept],
        vectors=None if vectors is None else vectors[rows],
    )
    read = model.read(list(texts), vectors)
    return [label if p >= CONFIDENT else UNCLEAR for label, p in read]


def lexicon_readings(texts: Sequence[str]) -> list[str]:
    """Return the lexicon's stance of each text where its cues are clear, else ``UNCLEAR``."""
    return [label if sure else UNCLEAR for label, sure in nlp.stance_with_confidence(texts)]
