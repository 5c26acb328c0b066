"""Staff's corrections train the tagger: unreviewed comments and new ones follow them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from consult.analysis import placement, training
from consult.consultations import comments as commenting
from consult.consultations.services import Target
from consult.models import Analysis, ThemeAssignment

from . import factories
from .analysis_helpers import (
    FIBRE_LEFT,
    FIBRE_TAUGHT,
    NOT_FIBRE,
    broadband,
    live,
    rerun,
    teach_fibre,
)


def test_a_rerun_moves_unreviewed_comments_the_way_staff_moved_similar_ones(session, analysed, now):
    comments = broadband(analysed)
    fibre, broadband_theme = teach_fibre(session, analysed, now)
    left = [comments[i].id for i in FIBRE_LEFT]
    assert all(tags == {broadband_theme} for tags in live(session, left).values())

    rerun(session, analysed, now)

    assert all(tags == {fibre.id} for tags in live(session, left).values())
    # Staff's own decisions stay as they were.
    assert all(
        tags == {broadband_theme}
        for tags in live(session, [comments[i].id for i in NOT_FIBRE]).values()
    )
    job = session.scalars(select(Analysis).order_by(Analysis.id.desc())).first()
    assert job.tagger_file is not None


def test_without_enough_corrections_the_engine_decides_alone(session, analysed, now):
    comments = broadband(analysed)
    before = live(session, [c.id for c in comments])

    rerun(session, analysed, now)

    assert live(session, [c.id for c in comments]) == before
    job = session.scalars(select(Analysis).order_by(Analysis.id.desc())).first()
    assert job.tagger_file is None


def test_a_new_comment_is_placed_where_staff_put_comments_like_it(session, analysed, now, placed):
    fibre, broadband_theme = teach_fibre(session, analysed, now)
    rerun(session, analysed, now)
    placement._cache.clear()

    comment = commenting.create_comment(
        session,
        author=factories.make_user(session),
        round_id=analysed.round.id,
        target=Target(key="document"),
        kind="comment",
        body="Fiber till byn dröjer, vi behöver fiber och bredband nu.",
        submission_key=uuid.uuid4().hex,
        now=now.get(),
        max_chars=5000,
    )
    placed()

    tag = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == comment.id)
    ).one()
    assert (tag.theme_id, tag.after_analysis) == (fibre.id, True)


def test_examples_are_the_confirmed_tags_only(session, analysed, now):
    teach_fibre(session, analysed, now)

    texts, labels = training.examples(session, analysed.round.id)

    assert len(texts) == len(FIBRE_TAUGHT) + len(NOT_FIBRE)
    assert training.enough(labels)
