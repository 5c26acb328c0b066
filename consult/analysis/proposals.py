"""Themes staff make by hand, and the comments the tagger proposes for them.

A theme made by hand has a name and a description. On creation the tagger (see
``training``) scores every comment the analysis reads against all the round's current themes
and proposes the comments it tags with the new one: trained on staff's confirmed tags when
there are enough, otherwise zero-shot from the themes' names, descriptions and keywords.
In a large round the proposals are found in the background queue and appear on the
theme's page when they are ready. Proposals are not tags: they count nowhere until staff
accept one (it becomes staff's tag, confirmed) or reject it. Hand-made themes are never
retired or renamed by a re-run.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

import nlp

from .. import audit, clock
from ..errors import Invalid, NotFound
from ..models import Origin, Theme, ThemeAssignment, ThemeProposal, User
from ..permissions import require_staff
from . import background, training
from .corrections import added, checked_text, lock_themes, round_comment
from .naming import Names
from .selection import analysed_comments, comment_text
from .services import comment_count, get_round

log = logging.getLogger(__name__)
MAX_PROPOSALS = 500
# Scoring a round takes about 5 s per 40,000 comments: larger rounds are scored in the queue.
INLINE_MAX = 5000
# The zero-shot tagger learns its vocabulary from at most this many of the round's comments.
CORPUS_SAMPLE = 5000
SHOWN = 50


def create_theme(
    session: Session,
    user: User | None,
    round_id: int,
    *,
    name: str,
    description: str,
    now,
    dispatch=None,
) -> tuple[Theme, int | None]:
    """Make a theme by hand and store the tagger's proposals; return it and their number.

    In a round of more than INLINE_MAX comments, with ``dispatch`` given, the proposals are
    left to ``dispatch(theme_id)`` (the background queue) and the number is None.
    """
    get_round(session, user, round_id)
    name, description = checked_text(name, description)
    if Names(session, round_id).taken(name):
        # A repeated post (or a second colleague) must not make the theme twice.
        raise Invalid({"name": "taken"})
    theme = Theme(
        round_id=round_id,
        name=name,
        description=description,
        origin=Origin.STAFF,
        created_at=now,
    )
    session.add(theme)
    try:
        session.flush()
    except IntegrityError:
        # Made at the same moment by someone else (the database holds names unique).
        session.rollback()
        raise Invalid({"name": "taken"}) from None
    audit.record(
        session,
        user,
        "theme.create",
        theme,
        None,
        {"name": name, "description": description},
        now=now,
    )
    if dispatch is not None and comment_count(session, round_id) > INLINE_MAX:
        background.requested(session, user, theme, background.PROPOSALS, now)
        session.commit()
        dispatch(theme.id)
        return theme, None
    count = propose(session, theme, now)
    session.commit()
    return theme, count


def propose_in_background(session: Session, theme_id: int) -> bool:
    """Store the proposals for a theme made by hand, handed to the queue; log any failure and
    record it for the theme's page (see ``background``)."""
    try:
        theme = session.get(Theme, theme_id)
        if theme is None or theme.retired_at is not None:
            return False
        now = clock.now()
        count = propose(session, theme, now)
        background.finished(session, None, theme, background.PROPOSALS, now, proposed=count)
        session.commit()
    except Exception:  # noqa: BLE001 - the theme stays as made; its page says the search failed
        session.rollback()
        log.exception("Could not propose comments for theme %s", theme_id)
        background.failed(session, None, theme_id, background.PROPOSALS, clock.now(), "error")
        return False
    return True


def _tagger(session: Session, round_id: int, texts: list[str]) -> nlp.ThemeTagger:
    descriptions = {
        str(theme.id): training.describe(theme)
        for theme in training.current_themes(session, round_id)
    }
    examples, labels = training.examples(session, round_id)
    if training.enough(labels):
        return nlp.ThemeTagger.fit(examples, labels, descriptions=descriptions, seed=0)
    corpus = texts if len(texts) <= CORPUS_SAMPLE else random.Random(0).sample(texts, CORPUS_SAMPLE)
    return nlp.ThemeTagger.from_descriptions(descriptions, corpus=corpus, seed=0)


def propose(session: Session, theme: Theme, now: datetime) -> int:
    """Store the tagger's proposals for ``theme`` (best first, at most MAX_PROPOSALS)."""
    comments = list(session.scalars(analysed_comments(session, theme.round_id)))
    if not comments:
        return 0
    tagged = set(
        session.scalars(
            select(ThemeAssignment.comment_id).where(
                ThemeAssignment.theme_id == theme.id, ThemeAssignment.removed_at.is_(None)
            )
        )
    )
    # A comment is proposed for a theme once (the database holds it too).
    tagged |= set(
        session.scalars(select(ThemeProposal.comment_id).where(ThemeProposal.theme_id == theme.id))
    )
    texts = [comment_text(c) for c in comments]
    tagger = _tagger(session, theme.round_id, texts)
    label = str(theme.id)
    chosen = [
        i
        for i, labels in enumerate(tagger.predict(texts, top_fallback=False))
        if label in labels and comments[i].id not in tagged
    ]
    scores = tagger.scores([texts[i] for i in chosen])
    found = sorted((-score[label], comments[i].id) for i, score in zip(chosen, scores, strict=True))
    session.add_all(
        ThemeProposal(theme_id=theme.id, comment_id=comment_id, score=-score, created_at=now)
        for score, comment_id in found[:MAX_PROPOSALS]
    )
    return min(len(found), MAX_PROPOSALS)


def pending(session: Session, theme_id: int, limit: int = SHOWN) -> tuple[list[ThemeProposal], int]:
    """Return a theme's undecided proposals, best first (at most ``limit``), and their number."""
    where = (ThemeProposal.theme_id == theme_id, ThemeProposal.decided_at.is_(None))
    total = session.scalar(select(func.count(ThemeProposal.id)).where(*where))
    shown = session.scalars(
        select(ThemeProposal)
        .where(*where)
        .options(selectinload(ThemeProposal.comment))  # the page shows each one's text
        .order_by(ThemeProposal.score.desc(), ThemeProposal.id)
        .limit(limit)
    ).all()
    return list(shown), total or 0


def _pending_proposal(session: Session, round_id: int, proposal_id: int) -> ThemeProposal:
    proposal = session.get(ThemeProposal, proposal_id)
    if proposal is None or proposal.decided_at is not None:
        raise NotFound()
    lock_themes(session, round_id, proposal.theme_id)
    round_comment(session, round_id, proposal.comment_id)
    return proposal


def decide(
    session: Session,
    user: User | None,
    round_id: int,
    proposal_id: int,
    *,
    accept: bool,
    now: datetime,
) -> ThemeProposal:
    """Accept a proposal (the comment gets staff's tag of the theme) or reject it."""
    require_staff(user)
    proposal = _pending_proposal(session, round_id, proposal_id)
    proposal.decided_at, proposal.decided_by_id, proposal.accepted = now, user.id, accept
    if accept:
        added(session, user, proposal.comment, proposal.theme, now)
    else:
        audit.record(
            session,
            user,
            "theme_proposal.reject",
            proposal.comment,
            None,
            {"theme_id": proposal.theme_id},
            now=now,
        )
    session.commit()
    return proposal
