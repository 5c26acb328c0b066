"""``python -m nlp.evaluate``: the engine beside the baseline on real, labelled data.

Reads the sets in ``../shared/data`` (or ``$CONSULT_NLP_DATA``; see ``nlp.datasets``) and
prints one table, then whether each target of the engine is met:

* discovery: V-measure, ARI and AMI of the baseline of ``SOURCES.md`` (char_wb TF-IDF → LSA
  100 → L2 → KMeans with the true k, mean of the seeds) and of ``discover_themes`` with the
  true k and with its own choice of k (texts it leaves out, -1, count as one more cluster);
* names: the engine's largest theme beside the largest gold class, and its theme names —
  words as written in the theme's texts, distinctiveness, genre words (see ``names``);
* tagging from examples: sample- and macro-F1 with bootstrap 95% intervals, ``ThemeTagger``
  beside a one-vs-rest logistic regression on the same char n-grams;
* tagging from descriptions: ArgKP key points as the descriptions, beside random assignment;
* stance: macro-F1 of the lexicon ``stance`` and of ``StanceModel`` (plain, with topics, and
  with e5 vectors when the semantic view is on) beside a logistic regression on char
  n-grams, on argumentation dev with no dev sentence nor a near-copy of one in train;
* duplicates: pairwise precision and recall of ``find_duplicates`` on real sentences with
  injected campaigns, beside exact matching after lower-casing and whitespace normalisation.

Every random choice has a fixed seed, so two runs print the same table.

One module per job: ``report`` (the table and the targets), ``metrics``, ``baseline``,
``engine`` (the engine's modules that may be missing), one module per section (``discovery``
with ``names``, ``tagging``, ``descriptions``, ``stance``, ``duplicates``) and ``cli``.
"""

from .baseline import baseline_vectoriser
from .cli import SECTIONS, main
from .metrics import confusion, f1_with_intervals, macro_f1, pairwise_scores, sample_f1

__all__ = [
    "SECTIONS",
    "baseline_vectoriser",
    "confusion",
    "f1_with_intervals",
    "macro_f1",
    "main",
    "pairwise_scores",
    "sample_f1",
]
