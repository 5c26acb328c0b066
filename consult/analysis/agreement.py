"""How well the model's tags agree with staff's, on the comments staff have reviewed.

A comment counts as reviewed when, among the round's current themes, staff confirmed one of
its tags (moving or adding a tag confirms it) or removed one of the model's tags; tags that
a merge or split moved are not a review of the comment unless they were confirmed before.
For each, the model's tags are the model-made ones (including those staff later removed) and
staff's are the live tags after their corrections. Agreement is the micro-averaged F1 over
those comments, with a percentile bootstrap interval from resampling comments (fixed seed,
so the page is stable).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import literal_column, or_, select
from sqlalchemy.orm import Session

from ..models import Comment, CommentStatus, Origin, Theme, ThemeAssignment

MIN_REVIEWED = 10
RESAMPLES = 1000
SEED = 20261129

Pair = tuple[frozenset[int], frozenset[int]]


@dataclass(frozen=True)
class Agreement:
    """Micro-F1 of the model against staff, its 95 % interval, and the number of comments."""

    n: int
    f1: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def minimum(self) -> int:
        """The fewest reviewed comments for which a figure is shown."""
        return MIN_REVIEWED

    @property
    def enough(self) -> bool:
        """True when enough comments have been reviewed to show a figure."""
        return self.f1 is not None and self.n >= MIN_REVIEWED


def _counts(pairs: list[tuple[set, set]]) -> np.ndarray:
    """Return per comment (true positives, false positives, false negatives)."""
    return np.array(
        [(len(m & s), len(m - s), len(s - m)) for m, s in pairs], dtype=np.int64
    ).reshape(-1, 3)


def _f1(tp, fp, fn):
    denominator = 2 * tp + fp + fn
    # No tags on either side anywhere: nothing to disagree about.
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 1.0)


def micro_f1(pairs: list[tuple[set, set]]) -> float | None:
    """Return the micro-averaged F1 of (model tags, staff tags) pairs; None for no pairs."""
    if not pairs:
        return None
    tp, fp, fn = _counts(pairs).sum(axis=0)
    return float(_f1(tp, fp, fn))


def agreement(
    pairs: list[tuple[set, set]], *, resamples: int = RESAMPLES, seed: int = SEED
) -> Agreement:
    """Return the micro-F1 of ``pairs`` with a 95 % bootstrap interval over comments."""
    n = len(pairs)
    if n == 0:
        return Agreement(n=0)
    counts = _counts(pairs)
    tp, fp, fn = counts.sum(axis=0)
    point = float(_f1(tp, fp, fn))
    rng = np.random.default_rng(seed)
    samples = counts[rng.integers(0, n, size=(resamples, n))].sum(axis=1)
    scores = _f1(samples[:, 0], samples[:, 1], samples[:, 2])
    low, high = np.percentile(scores, [2.5, 97.5])
    return Agreement(n=n, f1=point, low=min(float(low), point), high=max(float(high), point))


def staff_touched():
    """Return a condition: staff confirmed, made or removed the tag.

    Written exactly as the partial index ``ix_theme_assignment_staff`` is (with the literal
    'staff'), so that SQLite and PostgreSQL find the few such tags from the index instead of
    reading every tag of the round.
    """
    return or_(
        ThemeAssignment.confirmed_at.is_not(None),
        ThemeAssignment.source == literal_column("'staff'"),
        ThemeAssignment.removed_by_id.is_not(None),
    )


def _on_current_themes(query, round_id: int):
    """Restrict a query on tags to the round's current themes and published comments."""
    return (
        query.join(Theme, Theme.id == ThemeAssignment.theme_id)
        .join(Comment, Comment.id == ThemeAssignment.comment_id)
        .where(
            Theme.round_id == round_id,
            Theme.retired_at.is_(None),
            Comment.status == CommentStatus.PUBLISHED,
        )
    )


def reviewed_pairs(session: Session, round_id: int) -> list[Pair]:
    """Return (model tags, staff's final tags) of each reviewed comment of the round.

    Only the comments with a tag staff touched are read (found through the partial index),
    then all their tags: a few rows even when the round has 40,000 comments.
    """
    touched = _on_current_themes(select(ThemeAssignment.comment_id), round_id).where(
        staff_touched()
    )
    rows = session.execute(
        _on_current_themes(
            select(
                ThemeAssignment.comment_id,
                ThemeAssignment.theme_id,
                ThemeAssignment.source,
                ThemeAssignment.confirmed_at,
                ThemeAssignment.removed_at,
                ThemeAssignment.removed_by_id,
            ),
            round_id,
        ).where(
            ThemeAssignment.comment_id.in_(touched),
            or_(ThemeAssignment.removed_at.is_(None), ThemeAssignment.removed_by_id.isnot(None)),
        )
    )
    model: dict[int, set[int]] = defaultdict(set)
    staff: dict[int, set[int]] = defaultdict(set)
    reviewed: set[int] = set()
    for comment_id, theme_id, source, confirmed_at, removed_at, removed_by_id in rows:
        live = removed_at is None
        if source == Origin.MODEL:
            model[comment_id].add(theme_id)
        if live:
            staff[comment_id].add(theme_id)
        # A staff tag is a review only when confirmed (moving or adding one confirms it): a
        # merge or split moves tags as staff's without anyone judging each comment.
        if (live and confirmed_at is not None) or (not live and removed_by_id is not None):
            reviewed.add(comment_id)
    return [(frozenset(model[c]), frozenset(staff[c])) for c in sorted(reviewed)]


def for_round(session: Session, round_id: int) -> Agreement:
    """Return the agreement of the model with staff on the round's reviewed comments."""
    return agreement(reviewed_pairs(session, round_id))
