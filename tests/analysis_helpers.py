"""What the analysis tests share besides the seeded round: reading themes and tags, showing
pages in English, re-running the analysis, and teaching the tagger about fibre."""

from __future__ import annotations

from datetime import timedelta

import flask_babel
from sqlalchemy import select

from consult import clock
from consult.analysis import corrections, jobs, services, themes
from consult.models import Origin, Theme, ThemeAssignment

from .analysis_seed import BROADBAND

BASE = "/analys/omgang/{round}/tema/{theme}"


def current_themes(session, round_id) -> list[Theme]:
    return list(
        session.scalars(
            select(Theme)
            .where(Theme.round_id == round_id, Theme.retired_at.is_(None))
            .order_by(Theme.id)
        )
    )


def live(session, comment_ids) -> dict[int, set[int]]:
    """Return {comment id: the themes it is tagged with now}."""
    found = {c: set() for c in comment_ids}
    for comment_id, theme_id in session.execute(
        select(ThemeAssignment.comment_id, ThemeAssignment.theme_id).where(
            ThemeAssignment.comment_id.in_(list(comment_ids)),
            ThemeAssignment.removed_at.is_(None),
        )
    ):
        found[comment_id].add(theme_id)
    return found


def english(session, user) -> None:
    """Show ``user`` the pages in English (the Swedish catalogue is merged later)."""
    user.locale = "en"
    session.commit()
    # The tests share one app context, where Flask-Babel keeps the locale it chose first.
    flask_babel.refresh()


def members(session, theme_id) -> set[int]:
    return {tag.comment_id for tag in themes.live_tags(session, theme_id)}


def rerun(session, seeded, now) -> None:
    now.set(now.get() + timedelta(hours=1))
    job = services.start(
        session, seeded.staff, seeded.round.id, now=clock.now(), stale_after=timedelta(hours=1)
    )
    jobs.run(session, job.id)
    session.expire_all()


def biggest_two(session, round_id) -> tuple[Theme, Theme]:
    found = sorted(current_themes(session, round_id), key=lambda t: -len(members(session, t.id)))
    return found[0], found[1]


def theme_of(session, comment) -> Theme:
    return session.scalars(
        select(Theme)
        .join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
        .where(ThemeAssignment.comment_id == comment.id, ThemeAssignment.removed_at.is_(None))
    ).one()


# Of the broadband comments, those about fibre and those not (9 is about both: left out).
FIBRE_TAUGHT = [2, 5, 6]
FIBRE_LEFT = [1]
NOT_FIBRE = [0, 3, 4, 7, 8]


def broadband(seeded) -> list:
    start = seeded.comments.index(next(c for c in seeded.comments if c.body == BROADBAND[0]))
    return seeded.comments[start : start + len(BROADBAND)]


def teach_fibre(session, seeded, now) -> tuple[Theme, int]:
    """Staff make a fibre theme, move three fibre comments to it, confirm the rest's theme."""
    comments = broadband(seeded)
    theme_id = session.scalars(
        select(ThemeAssignment.theme_id).where(
            ThemeAssignment.comment_id == comments[0].id, ThemeAssignment.removed_at.is_(None)
        )
    ).one()
    fibre = Theme(round_id=seeded.round.id, name="Fiber till byarna", origin=Origin.STAFF)
    session.add(fibre)
    session.commit()
    for i in FIBRE_TAUGHT:
        corrections.move_tag(
            session,
            seeded.staff,
            seeded.round.id,
            comments[i].id,
            from_theme_id=theme_id,
            to_theme_id=fibre.id,
            now=now.get(),
        )
    for i in NOT_FIBRE:
        corrections.confirm_tag(
            session, seeded.staff, seeded.round.id, comments[i].id, theme_id, now=now.get()
        )
    return fibre, theme_id
