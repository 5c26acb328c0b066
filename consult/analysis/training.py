"""Staff's corrections train the tagger that steers the engine's tags.

What exactly happens:

* **Examples.** Every live, *confirmed* tag on a current theme of the round is an example:
  tags staff made by hand or moved (they are confirmed when made) and engine tags staff
  confirmed. Tags that only moved with a whole theme (merge, split) are not examples unless
  they were confirmed before, so one click on a theme does not outweigh reviewed comments.
  A comment's examples are the set of its confirmed themes (the tagger is multi-label). The
  newest ``MAX_EXAMPLES`` comments are used.
* **Training.** With at least ``MIN_EXAMPLES`` example comments over at least ``MIN_THEMES``
  themes, ``nlp.ThemeTagger.fit`` learns one calibrated classifier per theme, with each
  theme's name, description and keywords as a prior. Fewer examples: no tagger, the engine's
  clusters decide alone.
* **Re-running the analysis** (``jobs.run``) trains the tagger before saving. For each comment
  staff have *not* reviewed, the engine's theme is kept if the tagger predicts it, if the
  tagger predicts none of the current themes (no fallback to its top label), or if staff
  have no examples of the engine's theme (the tagger cannot judge it); otherwise the comment
  goes to the predicted theme with the highest score, provided that score is at least
  ``STEER_MIN`` and ``STEER_MARGIN`` above the engine's theme's score. A comment the engine
  left without a theme goes to the best theme the tagger predicts, on the same condition.
  So unreviewed comments like the ones staff moved follow them, and comments like the ones
  staff confirmed stay.
  The tagger is saved with the analysis (``Analysis.tagger_file``).
* **After a split** staff's parts replace the theme (see ``split``). When a re-run finds
  the split theme's cluster again (it matches the comments the theme had, see
  ``saving.save``), it does not come back: each of its comments staff have not reviewed goes
  to the part it is most like (``distribute``: a tagger fitted on the parts' comments picks
  the part with the highest score). The parts' own comments stay where staff's split put
  them.
* **Placing a new comment** (``placement.place``) does the same with that saved tagger on the
  theme the engine's model assigns: corrections made since the last run count from the
  next run on.
* **A theme made by hand** gets its proposals from ``proposals``: the tagger trained on the
  examples (or, with too few, a zero-shot tagger from the themes' descriptions) scores every
  comment, and those it tags with the new theme are proposed, with their scores.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

import nlp

from ..models import Comment, CommentStatus, Origin, Theme, ThemeAssignment
from .selection import comment_text

log = logging.getLogger(__name__)
MIN_EXAMPLES = 6
MIN_THEMES = 2
MAX_EXAMPLES = 3000
# The tagger overrules the engine only when sure: its theme scores at least STEER_MIN and at
# least STEER_MARGIN more than the engine's theme.
STEER_MIN = 0.5
STEER_MARGIN = 0.2


def describe(theme: Theme) -> str:
    """Return what the tagger reads about a theme: its name, description and keywords. An
    engine theme's name and description are phrases and a sentence of its own comments
    (``nlp.naming``): as a prior they would weigh those few comments' wording against staff's
    examples, so an engine theme is described by its keywords alone."""
    keywords = " ".join(json.loads(theme.keywords or "[]"))
    if theme.origin == Origin.MODEL:
        return keywords
    return "\n".join(part for part in (theme.name, theme.description, keywords) if part)


def current_themes(session: Session, round_id: int, order_by=Theme.id) -> list[Theme]:
    """Return the round's current themes (not retired), by id unless told otherwise."""
    return list(
        session.scalars(
            select(Theme)
            .where(Theme.round_id == round_id, Theme.retired_at.is_(None))
            .order_by(order_by)
        )
    )


def examples(session: Session, round_id: int) -> tuple[list[str], list[set[str]]]:
    """Return the texts of the comments staff reviewed and each one's set of theme ids."""
    rows = session.execute(
        select(Comment, ThemeAssignment.theme_id)
        .join(ThemeAssignment, ThemeAssignment.comment_id == Comment.id)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(
            Theme.round_id == round_id,
            Theme.retired_at.is_(None),
            ThemeAssignment.removed_at.is_(None),
            ThemeAssignment.confirmed_at.is_not(None),
            Comment.status == CommentStatus.PUBLISHED,
        )
        .order_by(ThemeAssignment.confirmed_at.desc(), ThemeAssignment.id.desc())
    )
    labels: dict[int, set[str]] = {}
    texts: dict[int, str] = {}
    for comment, theme_id in rows:
        if comment.id not in labels and len(labels) >= MAX_EXAMPLES:
            continue
        labels.setdefault(comment.id, set()).add(str(theme_id))
        texts[comment.id] = comment_text(comment)
    ids = sorted(labels)
    return [texts[i] for i in ids], [labels[i] for i in ids]


def enough(labels: Sequence[set[str]]) -> bool:
    """Return True if the examples are enough to train on."""
    return len(labels) >= MIN_EXAMPLES and len(set().union(*labels)) >= MIN_THEMES


def train(session: Session, round_id: int) -> nlp.ThemeTagger | None:
    """Return a tagger trained on staff's confirmed tags in the round, or None if too few."""
    texts, labels = examples(session, round_id)
    if not enough(labels):
        return None
    used = set().union(*labels)
    descriptions = {
        str(theme.id): describe(theme)
        for theme in current_themes(session, round_id)
        if str(theme.id) in used
    }
    return nlp.ThemeTagger.fit(texts, labels, descriptions=descriptions, seed=0)


def train_quietly(session: Session, round_id: int) -> nlp.ThemeTagger | None:
    """Call ``train``; log any failure and return None (the engine then decides alone)."""
    try:
        return train(session, round_id)
    except Exception:  # noqa: BLE001 - steering is an improvement, never a reason to fail
        log.exception("Could not train the tagger on staff's tags of round %s", round_id)
        return None


def steer(
    tagger: nlp.ThemeTagger,
    texts: Sequence[str],
    engine: Sequence[int | None],
    allowed: set[int],
) -> list[int | None]:
    """Return each text's theme: the engine's, unless the tagger predicts others (see above)."""
    if not texts:
        return []
    predicted = tagger.predict(list(texts), top_fallback=False)
    known = {int(label) for label in tagger.labels}
    chosen: list[int | None] = list(engine)
    doubtful: dict[int, set[int]] = {}  # position -> candidates, scored below in one batch
    for position, (theme_id, labels) in enumerate(zip(engine, predicted, strict=True)):
        candidates = {int(label) for label in labels} & allowed
        # Keep the engine's theme if the tagger agrees, has nothing to say, or knows nothing
        # of that theme (no examples: no ground to overrule it).
        if candidates and theme_id not in candidates and (theme_id is None or theme_id in known):
            doubtful[position] = candidates
    if doubtful:
        scores = tagger.scores([texts[i] for i in doubtful])
        for (position, candidates), score in zip(doubtful.items(), scores, strict=True):
            best = max(candidates, key=lambda c: (score[str(c)], -c))
            engine_score = score.get(str(engine[position]), 0.0)
            if score[str(best)] >= STEER_MIN and score[str(best)] - engine_score >= STEER_MARGIN:
                chosen[position] = best
    return chosen


def split_parts(session: Session, theme_id: int) -> list[Theme]:
    """Return the current themes theme ``theme_id`` was split into, by id."""
    return list(
        session.scalars(
            select(Theme)
            .where(Theme.split_from_id == theme_id, Theme.retired_at.is_(None))
            .order_by(Theme.id)
        )
    )


def distribute(session: Session, theme_id: int, texts: Sequence[str]) -> list[int | None]:
    """Return, for each text, the current part of split theme ``theme_id`` it is most like
    (None for every text when no part is current)."""
    parts = split_parts(session, theme_id)
    if not texts or not parts:
        return [None] * len(texts)
    if len(parts) == 1:
        return [parts[0].id] * len(texts)
    rows = session.execute(
        select(Comment, ThemeAssignment.theme_id)
        .join(ThemeAssignment, ThemeAssignment.comment_id == Comment.id)
        .where(
            ThemeAssignment.theme_id.in_([part.id for part in parts]),
            ThemeAssignment.removed_at.is_(None),
        )
        .order_by(ThemeAssignment.id)
    ).all()
    labelled = {str(theme_id) for _, theme_id in rows}
    if len(labelled) < 2:
        only = int(next(iter(labelled))) if labelled else parts[0].id
        return [only] * len(texts)
    tagger = nlp.ThemeTagger.fit(
        [comment_text(comment) for comment, _ in rows],
        [{str(theme_id)} for _, theme_id in rows],
        seed=0,
    )
    return [
        int(max(score, key=lambda label: (score[label], -int(label))))
        for score in tagger.scores(list(texts))
    ]


def share_out(
    session: Session,
    split_clusters: dict[int, int],
    assignments: Sequence[int],
    comments: Sequence[Comment],
    reviewed: set[int],
    chosen: list[int | None],
) -> None:
    """Give each comment of a cluster that is a split theme found again (``split_clusters``:
    cluster position -> split theme id) the part it is most like, in ``chosen`` (one theme
    id per comment, by position), unless staff reviewed it (its id is in ``reviewed``)."""
    for position, theme_id in split_clusters.items():
        members = [
            i
            for i, cluster in enumerate(assignments)
            if cluster == position and comments[i].id not in reviewed
        ]
        parts = distribute(session, theme_id, [comment_text(comments[i]) for i in members])
        for i, part_id in zip(members, parts, strict=True):
            chosen[i] = part_id
