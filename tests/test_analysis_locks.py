"""A tag action waits for a theme operation on the same theme and then sees its outcome."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from consult import clock, errors
from consult.analysis import corrections
from consult.models import Theme, ThemeAssignment, User

from .analysis_helpers import theme_of


def test_a_move_onto_a_theme_being_retired_waits_and_is_refused(app, session, analysed):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the row lock matters on PostgreSQL")
    round_id, comment = analysed.round.id, analysed.comments[0]
    source = theme_of(session, comment)
    target_id = session.scalars(
        select(Theme.id).where(
            Theme.round_id == round_id, Theme.id != source.id, Theme.retired_at.is_(None)
        )
    ).first()
    staff_id, comment_id, source_id = analysed.staff.id, comment.id, source.id
    make_session = app.extensions["db_sessionmaker"]

    retiring = make_session()
    corrections.lock_themes(retiring, round_id, target_id)  # held until commit
    outcome = []

    def move():
        with make_session() as other:
            try:
                corrections.move_tag(
                    other,
                    other.get(User, staff_id),
                    round_id,
                    comment_id,
                    from_theme_id=source_id,
                    to_theme_id=target_id,
                    now=clock.now(),
                )
                outcome.append("moved")
            except errors.NotFound:
                outcome.append("refused")

    mover = threading.Thread(target=move)
    mover.start()
    mover.join(timeout=1)
    assert mover.is_alive()  # waiting for the theme
    retiring.get(Theme, target_id).retired_at = clock.now()
    retiring.commit()
    retiring.close()
    mover.join(timeout=30)

    assert outcome == ["refused"]
    session.expire_all()
    live = session.scalars(
        select(ThemeAssignment.theme_id).where(
            ThemeAssignment.comment_id == comment_id, ThemeAssignment.removed_at.is_(None)
        )
    ).all()
    assert target_id not in live
