"""Theme names and sizes as a person meets them, measured per labelled set.

* **Largest share**: the share of all texts in the largest theme, beside the share of the
  largest gold class (and the share left not themed, -1); flagged when the two differ by more
  than ``LARGEST_WITHIN`` (10 percentage points).
* **As written**: of the words of the theme names (``Theme.label``), and separately of the
  keyword lists (``Theme.keywords``), the fraction that occur as written — same surface form,
  whole word, case-insensitive — in at least one of the theme's own texts. Every shown word is
  counted once per theme, all themes alike. A lemmatiser artefact ("vägare", "företa") fails.
* **Distinctiveness**: for a theme t with member texts M and all other texts O (the other
  themes' and the not-themed ones) and a name word w (stop words left out),
  ``lift(w, t) = min(LIFT_CAP, (a / |M|) / (max(b, ½) / |O|))`` where a and b are the numbers of
  texts of M and of O that contain w as written: how many times more often the word occurs in
  the theme's texts than outside it. The cap (10) stands for "as distinctive as a name needs
  to be" and keeps a word found nowhere outside (b = 0, floored at half a text) from
  swamping the mean; a word not in the theme's texts as written scores 0. A theme's score is
  the mean lift of its name words; the set's is the mean of the themes' scores weighted by |M|
  (themes without a content word in the name, or with no text outside them, are left out).
  1.0 = the name's words are as common outside the theme as inside; 10 = all far more common
  inside.
* **Genre names**: the fraction of theme names containing any of the consultation genre words
  (``nlp.genre.GENRE_WORDS``).

The metric functions are pure; ``name_scores`` gathers them for one model and
``names_rows`` / ``names_targets`` put them in the report.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..genre import GENRE_WORDS
from .report import Row, Target

LARGEST_WITHIN = 0.10
OFFENDERS = 5  # failing words listed per set
LIFT_CAP = 10.0  # see ``lift``
_WORD = re.compile(r"[^\W_]+")


class Named(Protocol):
    """What the metrics read of a theme (``nlp.discovery.Theme`` has it)."""

    label: str
    keywords: list[str]


def words(text: str) -> list[str]:
    """Return the lower-cased words (runs of letters and digits) of ``text``, in order."""
    return [w.lower() for w in _WORD.findall(text)]


def largest_share(assignments: Sequence[int], gold: Sequence[str]) -> tuple[float, float, float]:
    """Return (largest theme's share, not-themed share, largest gold class's share) of all texts."""
    n = len(assignments)
    if n == 0:
        return 0.0, 0.0, 0.0
    themed = Counter(a for a in assignments if a >= 0)
    largest = max(themed.values(), default=0) / n
    not_themed = (n - sum(themed.values())) / n
    gold_largest = max(Counter(gold).values()) / len(gold) if len(gold) else 0.0
    return largest, not_themed, gold_largest


def _members(assignments: Sequence[int], k: int) -> list[list[int]]:
    members: list[list[int]] = [[] for _ in range(k)]
    for i, a in enumerate(assignments):
        if 0 <= a < k:
            members[a].append(i)
    return members


def as_written(
    texts: Sequence[str], assignments: Sequence[int], themes: Sequence[Named]
) -> tuple[float, float, list[str]]:
    """Return the fractions of name words and of keyword words that occur as written in
    their theme's texts (NaN when there are none), and the failing words, names' first."""
    vocab = [set(words(t)) for t in texts]
    members = _members(assignments, len(themes))
    found = {"label": [0, 0], "keywords": [0, 0]}
    failing: dict[str, list[str]] = {"label": [], "keywords": []}
    for theme, ids in zip(themes, members, strict=True):
        seen = set().union(*(vocab[i] for i in ids))
        shown = {"label": words(theme.label), "keywords": words(" ".join(theme.keywords))}
        for kind, ws in shown.items():
            for w in dict.fromkeys(ws):
                found[kind][1] += 1
                if w in seen:
                    found[kind][0] += 1
                else:
                    failing[kind].append(w)
    label, keywords = (hit / total if total else math.nan for hit, total in found.values())
    return label, keywords, list(dict.fromkeys(failing["label"] + failing["keywords"]))


def lift(word: str, inside: Sequence[set[str]], outside: Sequence[set[str]]) -> float:
    """Return how many times more often ``word`` occurs in ``inside`` texts than ``outside``
    (shares of the texts containing it; at most ``LIFT_CAP``; see the module docstring)."""
    a = sum(word in t for t in inside)
    b = sum(word in t for t in outside)
    return min(LIFT_CAP, (a / len(inside)) / (max(b, 0.5) / len(outside)))


def distinctiveness(
    texts: Sequence[str],
    assignments: Sequence[int],
    themes: Sequence[Named],
    ignore: Iterable[str] = (),
) -> float:
    """Return the size-weighted mean over themes of the mean ``lift`` of their name words
    (words in ``ignore`` left out); NaN when no theme can be scored."""
    ignore = set(ignore)
    vocab = [set(words(t)) for t in texts]
    total, weight = 0.0, 0
    for t, (theme, ids) in enumerate(zip(themes, _members(assignments, len(themes)), strict=True)):
        name = [w for w in dict.fromkeys(words(theme.label)) if w not in ignore]
        outside = [v for v, a in zip(vocab, assignments, strict=True) if a != t]
        if not name or not ids or not outside:
            continue
        inside = [vocab[i] for i in ids]
        total += len(ids) * sum(lift(w, inside, outside) for w in name) / len(name)
        weight += len(ids)
    return total / weight if weight else math.nan


def genre_share(themes: Sequence[Named], genre: Iterable[str]) -> float:
    """Return the fraction of theme names containing any of the ``genre`` words (NaN: none)."""
    genre = {w.lower() for w in genre}
    if not themes:
        return math.nan
    return sum(bool(genre & set(words(t.label))) for t in themes) / len(themes)


def genre_words() -> tuple[tuple[str, ...], str]:
    """Return the genre words (``nlp.genre.GENRE_WORDS``) and where they come from."""
    return tuple(sorted(GENRE_WORDS)), "nlp.genre.GENRE_WORDS"


def _stop_words() -> frozenset[str]:
    try:
        from ..text import stop_words

        return stop_words("sv") | stop_words("en")
    except (ImportError, OSError, KeyError):
        return frozenset()


@dataclass
class NameScores:
    """The name and size figures of one model (or their mean over seeds)."""

    largest: float
    not_themed: float
    gold_largest: float
    label_as_written: float
    keywords_as_written: float
    failing: list[str]
    distinctiveness: float
    genre_share: float
    themes: int


def name_scores(texts: Sequence[str], gold: Sequence[str], model) -> NameScores:
    """Return the figures of ``model`` (a ``ThemeModel``) on ``texts`` with gold labels."""
    largest, not_themed, gold_largest = largest_share(model.assignments, gold)
    label, keywords, failing = as_written(texts, model.assignments, model.themes)
    return NameScores(
        largest,
        not_themed,
        gold_largest,
        label,
        keywords,
        failing,
        distinctiveness(texts, model.assignments, model.themes, _stop_words()),
        genre_share(model.themes, genre_words()[0]),
        len(model.themes),
    )


def mean_scores(scores: Sequence[NameScores]) -> NameScores:
    """Return the mean of ``scores`` over seeds (failing words: all of them, in order)."""

    def mean(field: str) -> float:
        values = [getattr(s, field) for s in scores if not math.isnan(getattr(s, field))]
        return sum(values) / len(values) if values else math.nan

    return NameScores(
        mean("largest"),
        mean("not_themed"),
        mean("gold_largest"),
        mean("label_as_written"),
        mean("keywords_as_written"),
        list(dict.fromkeys(w for s in scores for w in s.failing)),
        mean("distinctiveness"),
        mean("genre_share"),
        round(mean("themes")),
    )


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def _differs(s: NameScores) -> bool:
    return abs(s.largest - s.gold_largest) > LARGEST_WITHIN


def _by_kind(results) -> list[tuple[str, int, str, NameScores]]:
    """(set, n, "true k"/"auto k", mean scores) for every result that carries names."""
    out = []
    for r in results:
        for kind in dict.fromkeys(kind for kind, _ in r.names):
            out.append((r.name, r.n, kind, mean_scores([s for k, s in r.names if k == kind])))
    return out


def names_rows(results) -> list[Row]:
    """Return the table rows of the names figures of the discovery ``results``: the largest
    share for the true and the automatic k, the names' figures for the automatic k (what the
    board shows)."""
    rows = []
    source = genre_words()[1]
    for name, n, kind, s in _by_kind(results):
        gap = (s.largest - s.gold_largest) * 100
        flag = "; FLAG: >10 pt from gold" if _differs(s) else ""
        cells = [
            (
                f"largest theme share, {kind}",
                f"{_pct(s.gold_largest)} gold",
                _pct(s.largest),
                f"{gap:+.1f} pt",
                f"not themed {_pct(s.not_themed)}; {s.themes} themes{flag}",
            )
        ]
        if kind == "auto k":
            failing = ", ".join(s.failing[:OFFENDERS]) or "none"
            distinct = "n/a" if math.isnan(s.distinctiveness) else f"{s.distinctiveness:.2f}×"
            cells += [
                (
                    "name words as written, auto k",
                    "100% target",
                    _pct(s.label_as_written),
                    "",
                    f"keywords {_pct(s.keywords_as_written)}; failing: {failing}",
                ),
                (
                    "name distinctiveness, auto k",
                    "1.0 = none",
                    distinct,
                    "",
                    "in- / out-of-theme share of texts with a name word, capped at 10, "
                    "mean over words and themes (size-weighted)",
                ),
                ("names with a genre word, auto k", "0% target", _pct(s.genre_share), "", source),
            ]
        rows += [Row("names", name, str(n), *c) for c in cells]
    return rows


def names_targets(results) -> list[Target]:
    """Return the names targets of issue 12 (item 7), measured on the automatic k."""
    targets = []
    for name, _, kind, s in _by_kind(results):
        if kind != "auto k":
            continue
        targets.append(
            Target(
                f"largest theme share within 10 pt of gold on {name}, auto k",
                f"{_pct(s.largest)} vs gold {_pct(s.gold_largest)}",
                not _differs(s),
            )
        )
        targets.append(
            Target(
                f"name words 100% as written on {name}, auto k",
                f"{_pct(s.label_as_written)} (keywords {_pct(s.keywords_as_written)})",
                None if math.isnan(s.label_as_written) else s.label_as_written == 1.0,
            )
        )
    return targets
