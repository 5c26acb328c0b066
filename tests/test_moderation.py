"""Moderation services: decisions on comments, their audit entries and the author's notices."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.errors import Invalid, NotAllowed, WrongState
from consult.models import (
    AuditEntry,
    CommentStatus,
    ModerationMode,
    Notification,
    OutboxEmail,
    Report,
    ReportStatus,
    Role,
)
from consult.moderation import decisions, reasons, reports
from consult.moderation import queue as moderation_queue

from . import factories


@pytest.fixture
def staff(session):
    return factories.make_user(session, role=Role.STAFF, name="Sara Handläggare")


def _pending(session, round_, **kwargs):
    author = kwargs.pop("author", None) or factories.make_user(session)
    return factories.make_comment(session, round_, author, status=CommentStatus.PENDING, **kwargs)


def _reported(session, round_, reporters=1, reason="offensive"):
    comment = factories.make_comment(session, round_, factories.make_user(session))
    for _ in range(reporters):
        reports.report(
            session,
            reporter=factories.make_user(session),
            comment_id=comment.id,
            reason=reason,
            now=round_.opens_at + timedelta(days=1),
        )
    return comment


def _entries(session, action=None):
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def _notifications(session, user):
    return list(
        session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


# Pre-moderation


def test_approve_publishes_audits_and_tells_the_author(session, now, pre_round, staff):
    comment = _pending(session, pre_round)

    decisions.approve(session, staff, comment.id, now=now.get())

    session.refresh(comment)
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.moderated_by_id == staff.id and comment.moderated_at == now.get()
    (entry,) = _entries(session)
    assert entry.action == "comment.approve" and entry.actor_id == staff.id
    assert json.loads(entry.before) == {"status": "pending"}
    assert json.loads(entry.after) == {"status": "published"}
    (notice,) = _notifications(session, comment.author)
    assert notice.kind == "comment.approved"
    assert notice.url.endswith("/mina-synpunkter")
    assert session.scalar(select(func.count()).select_from(OutboxEmail)) == 1


def test_approving_a_reply_tells_the_author_of_the_comment_it_answers(
    session, now, pre_round, staff
):
    parent = factories.make_comment(session, pre_round, factories.make_user(session))
    reply = _pending(session, pre_round, parent=parent)

    decisions.approve(session, staff, reply.id, now=now.get())

    (notice,) = _notifications(session, parent.author)
    assert notice.kind == "comment.replied"


def test_reject_keeps_the_comment_with_the_reason_and_tells_the_author(
    session, now, pre_round, staff
):
    comment = _pending(session, pre_round, body="Köp billiga klockor!")

    decisions.reject(session, staff, comment.id, reason="spam", note="", now=now.get())

    session.refresh(comment)
    assert comment.status == CommentStatus.REJECTED
    assert comment.body == "Köp billiga klockor!"
    assert comment.moderation_reason == "spam" and comment.moderation_note is None
    (entry,) = _entries(session)
    assert entry.action == "comment.reject"
    assert entry.reason == reasons.label_for("spam", None, "sv")
    assert json.loads(entry.after)["moderation_reason"] == "spam"
    (notice,) = _notifications(session, comment.author)
    assert notice.kind == "comment.rejected"
    assert json.loads(notice.params)["reason"] == reasons.label_for("spam", None, "sv")


@pytest.mark.parametrize(
    ("reason", "note", "errors"),
    [
        ("", "", {"reason": "required"}),
        ("rude", "", {"reason": "choice"}),
        ("other", "  ", {"note": "required_other"}),
        ("off_topic", "x" * 1001, {"note": "too_long"}),
    ],
)
def test_reject_needs_a_reason_from_the_list(session, now, pre_round, staff, reason, note, errors):
    comment = _pending(session, pre_round)

    with pytest.raises(Invalid) as refused:
        decisions.reject(session, staff, comment.id, reason=reason, note=note, now=now.get())

    assert refused.value.errors == errors
    session.rollback()
    session.refresh(comment)
    assert comment.status == CommentStatus.PENDING
    assert _entries(session) == []


def test_other_reason_with_an_explanation_is_accepted(session, now, pre_round, staff):
    comment = _pending(session, pre_round)
    decisions.reject(
        session, staff, comment.id, reason="other", note="Skrivet på fel plats", now=now.get()
    )
    session.refresh(comment)
    assert comment.moderation_note == "Skrivet på fel plats"
    expected = reasons.label_for("other", "Skrivet på fel plats", "sv")
    assert _entries(session)[0].reason == expected
    assert expected.endswith(": Skrivet på fel plats")


def test_a_decided_comment_cannot_be_decided_again(session, now, pre_round, staff):
    comment = _pending(session, pre_round)
    decisions.approve(session, staff, comment.id, now=now.get())

    with pytest.raises(WrongState):
        decisions.reject(session, staff, comment.id, reason="spam", now=now.get())
    session.rollback()

    assert len(_entries(session)) == 1
    assert len(_notifications(session, comment.author)) == 1


def test_queue_lists_pending_comments_oldest_first_per_round(session, now, pre_round, staff):
    other_round = factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=3),
        closes_at=now.get() + timedelta(days=3),
        moderation=ModerationMode.PRE,
    )
    newer = _pending(session, pre_round, created_at=now.get() - timedelta(hours=1))
    older = _pending(session, pre_round, created_at=now.get() - timedelta(days=2))
    elsewhere = _pending(session, other_round, created_at=now.get() - timedelta(days=1))
    factories.make_comment(session, pre_round, factories.make_user(session))  # published

    everything = moderation_queue.queue(session, staff)
    in_round = moderation_queue.queue(session, staff, round_id=pre_round.id)

    assert [i.comment.id for i in everything] == [older.id, elsewhere.id, newer.id]
    assert [i.comment.id for i in in_round] == [older.id, newer.id]
    assert all(i.state == "pending" for i in everything)
    assert moderation_queue.queue_counts(session, staff)["pending"] == 3


# Post-moderation: staff decisions


def test_queue_orders_by_open_reports_then_age(session, now, open_round, staff):
    one = _reported(session, open_round, reporters=1)
    two = _reported(session, open_round, reporters=2)
    three = _reported(session, open_round, reporters=3)  # hidden at the threshold

    items = moderation_queue.queue(session, staff)

    assert [i.comment.id for i in items] == [three.id, two.id, one.id]
    assert [i.state for i in items] == ["hidden", "reported", "reported"]
    assert items[0].reasons == [("offensive", 3)]
    assert [i.comment.id for i in moderation_queue.queue(session, staff, state="hidden")] == [
        three.id
    ]
    assert moderation_queue.queue_counts(session, staff) == {
        "pending": 0,
        "reported": 2,
        "hidden": 1,
        "all": 3,
    }


def test_hide_upholds_the_open_reports(session, now, open_round, staff):
    comment = _reported(session, open_round, reporters=2)

    decisions.hide(session, staff, comment.id, reason="offensive", note="Grovt", now=now.get())

    session.refresh(comment)
    assert comment.status == CommentStatus.HIDDEN
    assert comment.open_report_count == 0
    statuses = session.scalars(select(Report.status).where(Report.comment_id == comment.id))
    assert set(statuses) == {ReportStatus.UPHELD}
    (entry,) = _entries(session, "comment.hide")
    assert json.loads(entry.before) == {
        "status": "published",
        "open_report_count": 2,
        "moderation_reason": None,
        "moderation_note": None,
    }
    assert json.loads(entry.after)["status"] == "hidden"
    assert [n.kind for n in _notifications(session, comment.author)] == ["comment.hidden"]
    assert moderation_queue.queue(session, staff) == []


def test_unhide_publishes_again_and_dismisses_the_reports(session, now, open_round, staff):
    comment = _reported(session, open_round, reporters=3)
    assert comment.status == CommentStatus.HIDDEN

    decisions.unhide(session, staff, comment.id, now=now.get())

    session.refresh(comment)
    assert comment.status == CommentStatus.PUBLISHED
    assert comment.open_report_count == 0 and comment.moderation_reason is None
    statuses = session.scalars(select(Report.status).where(Report.comment_id == comment.id))
    assert set(statuses) == {ReportStatus.DISMISSED}
    entry = _entries(session, "comment.unhide")[0]
    assert json.loads(entry.before)["status"] == "hidden"
    assert json.loads(entry.after) == {
        "status": "published",
        "open_report_count": 0,
        "moderation_reason": None,
    }
    kinds = [n.kind for n in _notifications(session, comment.author)]
    assert kinds == ["comment.hidden", "comment.unhidden"]


def test_dismiss_leaves_the_comment_visible(session, now, open_round, staff):
    comment = _reported(session, open_round, reporters=2)

    decisions.dismiss_reports(session, staff, comment.id, now=now.get())

    session.refresh(comment)
    assert comment.status == CommentStatus.PUBLISHED and comment.open_report_count == 0
    (entry,) = _entries(session, "report.dismiss")
    assert json.loads(entry.before) == {"open_report_count": 2}
    assert _notifications(session, comment.author) == []
    with pytest.raises(WrongState):
        decisions.dismiss_reports(session, staff, comment.id, now=now.get())


def test_keep_hidden_replaces_the_automatic_reason(session, now, open_round, staff):
    comment = _reported(session, open_round, reporters=3)
    assert comment.moderation_reason == "reports"

    decisions.hide(session, staff, comment.id, reason="personal_data", now=now.get())

    session.refresh(comment)
    assert comment.status == CommentStatus.HIDDEN
    assert comment.moderation_reason == "personal_data"
    assert comment.moderated_by_id == staff.id
    assert moderation_queue.queue(session, staff) == []


def test_hiding_a_hidden_comment_without_reports_is_refused(session, now, open_round, staff):
    comment = factories.make_comment(
        session, open_round, factories.make_user(session), status=CommentStatus.HIDDEN
    )
    with pytest.raises(WrongState):
        decisions.hide(session, staff, comment.id, reason="spam", now=now.get())


# Bulk


def test_bulk_applies_to_every_selected_comment(session, now, pre_round, staff):
    comments = [_pending(session, pre_round) for _ in range(3)]

    count = decisions.bulk(
        session, staff, action="approve", comment_ids=[c.id for c in comments], now=now.get()
    )

    assert count == 3
    for comment in comments:
        session.refresh(comment)
        assert comment.status == CommentStatus.PUBLISHED
    assert len(_entries(session, "comment.approve")) == 3


def test_bulk_is_all_or_nothing(session, now, pre_round, staff):
    pending = _pending(session, pre_round)
    published = factories.make_comment(session, pre_round, factories.make_user(session))

    with pytest.raises(decisions.BulkRefused) as refused:
        decisions.bulk(
            session,
            staff,
            action="reject",
            comment_ids=[pending.id, published.id],
            reason="spam",
            now=now.get(),
        )

    assert refused.value.comment_id == published.id
    assert refused.value.key == "not_pending"
    session.refresh(pending)
    assert pending.status == CommentStatus.PENDING
    assert _entries(session) == []
    assert session.scalar(select(func.count()).select_from(Notification)) == 0


@pytest.mark.parametrize(
    ("action", "ids", "reason", "errors"),
    [
        ("delete", [1], None, {"action": "choice"}),
        ("approve", [], None, {"ids": "none_selected"}),
        ("hide", [1], "", {"reason": "required"}),
    ],
)
def test_bulk_refuses_bad_input(session, now, staff, action, ids, reason, errors):
    with pytest.raises(Invalid) as refused:
        decisions.bulk(session, staff, action=action, comment_ids=ids, reason=reason, now=now.get())
    assert refused.value.errors == errors


# Authorisation


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_every_staff_service_refuses_others(session, now, pre_round, role):
    actor = factories.make_user(session, role=role) if role else None
    comment = _pending(session, pre_round)
    calls = [
        lambda: moderation_queue.queue(session, actor),
        lambda: moderation_queue.queue_counts(session, actor),
        lambda: moderation_queue.queue_size(session, actor),
        lambda: moderation_queue.queue_rounds(session, actor),
        lambda: moderation_queue.get_item(session, actor, comment.id),
        lambda: decisions.approve(session, actor, comment.id, now=now.get()),
        lambda: decisions.reject(session, actor, comment.id, reason="spam", now=now.get()),
        lambda: decisions.hide(session, actor, comment.id, reason="spam", now=now.get()),
        lambda: decisions.unhide(session, actor, comment.id, now=now.get()),
        lambda: decisions.dismiss_reports(session, actor, comment.id, now=now.get()),
        lambda: decisions.bulk(
            session, actor, action="approve", comment_ids=[comment.id], now=now.get()
        ),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            call()
    session.refresh(comment)
    assert comment.status == CommentStatus.PENDING
    assert _entries(session) == []


def test_administrators_moderate_too(session, now, pre_round):
    admin = factories.make_user(session, role=Role.ADMIN)
    comment = _pending(session, pre_round)
    decisions.approve(session, admin, comment.id, now=now.get())
    assert session.get(type(comment), comment.id).status == CommentStatus.PUBLISHED
