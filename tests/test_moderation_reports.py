"""Reporting a comment: who may, once each, and the threshold that hides it pending review."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import db
from consult.errors import Invalid, NotAllowed, WrongState
from consult.models import (
    AuditEntry,
    Comment,
    CommentStatus,
    ModerationMode,
    Notification,
    Report,
    ReportStatus,
    Role,
)
from consult.moderation import decisions, reports

from . import factories


@pytest.fixture
def comment(session, open_round):
    return factories.make_comment(
        session, open_round, factories.make_user(session, name="Olle Författare")
    )


def _report(session, comment, now, reporter=None, reason="offensive", note=""):
    return reports.report(
        session,
        reporter=reporter or factories.make_user(session),
        comment_id=comment.id,
        reason=reason,
        note=note,
        now=now.get(),
    )


def test_a_report_is_stored_and_counted(session, now, comment):
    _report(session, comment, now, reason="spam", note="Länk till en webbshop")

    session.refresh(comment)
    assert comment.open_report_count == 1
    assert comment.status == CommentStatus.PUBLISHED
    report = session.scalar(select(Report))
    assert (report.reason, report.note, report.status) == (
        "spam",
        "Länk till en webbshop",
        ReportStatus.OPEN,
    )


def test_the_same_person_reports_once(session, now, comment):
    reporter = factories.make_user(session)
    _report(session, comment, now, reporter=reporter)

    with pytest.raises(WrongState) as refused:
        _report(session, comment, now, reporter=reporter)

    assert refused.value.key == "already_reported"
    session.rollback()
    session.refresh(comment)
    assert comment.open_report_count == 1


def test_the_threshold_of_distinct_reports_hides_the_comment(session, now, comment):
    _report(session, comment, now)
    _report(session, comment, now)
    session.refresh(comment)
    assert comment.status == CommentStatus.PUBLISHED

    _report(session, comment, now)

    session.refresh(comment)
    assert comment.status == CommentStatus.HIDDEN
    assert comment.moderation_reason == "reports"
    assert comment.moderated_by_id is None
    assert comment.open_report_count == 3
    (entry,) = session.scalars(select(AuditEntry))
    assert entry.action == "comment.hide" and entry.actor_id is None
    assert json.loads(entry.after)["status"] == "hidden"
    (notice,) = session.scalars(select(Notification))
    assert notice.user_id == comment.author_id and notice.kind == "comment.hidden"


def test_the_threshold_is_set_per_round(session, now, comment):
    comment.round.report_threshold = 1
    session.commit()
    _report(session, comment, now)
    session.refresh(comment)
    assert comment.status == CommentStatus.HIDDEN


def test_dismissed_reports_do_not_count_towards_the_threshold(session, now, comment):
    staff = factories.make_user(session, role=Role.STAFF)
    _report(session, comment, now)
    _report(session, comment, now)
    decisions.dismiss_reports(session, staff, comment.id, now=now.get())

    _report(session, comment, now)

    session.refresh(comment)
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.open_report_count == 1


def test_the_author_cannot_report_their_own_comment(session, now, comment):
    with pytest.raises(NotAllowed):
        _report(session, comment, now, reporter=comment.author)


def test_a_blocked_user_cannot_report(session, now, comment):
    blocked = factories.make_user(session)
    blocked.blocked_at = now.get()
    session.commit()
    assert not reports.can_report(comment, blocked)
    with pytest.raises(NotAllowed):
        _report(session, comment, now, reporter=blocked)
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_unconfirmed_accounts_cannot_report_so_throw_away_accounts_cannot_hide(
    session, now, comment
):
    for _ in range(comment.round.report_threshold):
        with pytest.raises(WrongState):
            _report(session, comment, now, reporter=factories.make_user(session, confirmed=False))
        session.rollback()
    session.refresh(comment)
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.open_report_count == 0


def test_only_published_comments_of_post_moderated_rounds_can_be_reported(session, now):
    pre = factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=1),
        closes_at=now.get() + timedelta(days=1),
        moderation=ModerationMode.PRE,
    )
    approved = factories.make_comment(session, pre, factories.make_user(session))
    with pytest.raises(WrongState) as refused:
        _report(session, approved, now)
    assert refused.value.key == "not_reportable"
    session.rollback()

    post = factories.make_round(
        session, opens_at=now.get() - timedelta(days=1), closes_at=now.get() + timedelta(days=1)
    )
    withdrawn = factories.make_comment(
        session, post, factories.make_user(session), status=CommentStatus.WITHDRAWN
    )
    with pytest.raises(WrongState) as refused:
        _report(session, withdrawn, now)
    assert refused.value.key == "not_published"


def test_a_report_needs_a_reason(session, now, comment):
    with pytest.raises(Invalid) as refused:
        _report(session, comment, now, reason="")
    assert refused.value.errors == {"reason": "required"}
    with pytest.raises(Invalid) as refused:
        _report(session, comment, now, reason="other", note="")
    assert refused.value.errors == {"note": "required_other"}


def test_concurrent_reports_keep_the_count_exact(app, session, now, comment):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time; the row lock matters on PostgreSQL")
    comment.round.report_threshold = 100
    session.commit()
    reporters = [factories.make_user(session).id for _ in range(8)]
    start = threading.Barrier(len(reporters))
    failures = []

    def report(user_id):
        with app.app_context():
            s = db.get_session()
            from consult.models import User

            user = s.get(User, user_id)
            start.wait()
            try:
                reports.report(
                    s, reporter=user, comment_id=comment.id, reason="spam", now=now.get()
                )
            except Exception as error:  # noqa: BLE001 - collected and reported below
                failures.append(error)

    threads = [threading.Thread(target=report, args=(u,)) for u in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    session.expire_all()
    assert session.get(Comment, comment.id).open_report_count == len(reporters)


def test_lowering_the_threshold_hides_comments_already_reported_that_often(
    session, now, comment, open_round
):
    from consult.admin import rounds

    _report(session, comment, now)
    _report(session, comment, now)
    untouched = factories.make_comment(session, open_round, factories.make_user(session))
    _report(session, untouched, now)
    admin = factories.make_user(session, role=Role.ADMIN)

    rounds.edit_round(
        session,
        admin,
        open_round.id,
        title=open_round.title,
        opens_at=open_round.opens_at,
        closes_at=open_round.closes_at,
        moderation=open_round.moderation.value,
        commenters=open_round.commenters.value,
        now=now.get(),
        report_threshold=2,
    )

    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.HIDDEN
    assert session.get(Comment, comment.id).moderation_reason == "reports"
    assert session.get(Comment, untouched.id).status == CommentStatus.PUBLISHED
    notices = session.scalars(
        select(Notification).where(Notification.user_id == comment.author_id)
    ).all()
    assert [n.kind for n in notices] == ["comment.hidden"]
