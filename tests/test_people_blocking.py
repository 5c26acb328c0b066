"""Blocking and unblocking users: who may, what happens to their comments, the audit log."""

import json

import pytest
from sqlalchemy import func, select

from consult.errors import Invalid, NotAllowed, NotFound, WrongState
from consult.models import AuditEntry, Comment, CommentStatus, Role, User
from consult.people import services

from . import factories


@pytest.fixture
def writer(session, open_round):
    """A participant with two published comments, one pending and one withdrawn."""
    user = factories.make_user(session)
    for status in (
        CommentStatus.PUBLISHED,
        CommentStatus.PUBLISHED,
        CommentStatus.PENDING,
        CommentStatus.WITHDRAWN,
    ):
        factories.make_comment(session, open_round, user, status=status)
    return user


def _statuses(session, user):
    session.expire_all()
    rows = session.scalars(select(Comment.status).where(Comment.author_id == user.id))
    return sorted(str(status) for status in rows)


def _entries(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_staff_block_a_user_and_hide_their_published_comments(session, now, writer):
    staff = factories.make_user(session, role=Role.STAFF)
    services.block_user(
        session,
        actor=staff,
        user_id=writer.id,
        reason="  Spam  i flera trådar ",
        hide_comments=True,
        now=now.get(),
    )
    session.expire_all()
    user = session.get(User, writer.id)
    assert user.is_blocked and user.blocked_at == now.get()
    assert user.blocked_reason == "Spam i flera trådar"
    assert _statuses(session, writer) == ["hidden", "hidden", "pending", "withdrawn"]
    hidden = session.scalars(select(Comment).where(Comment.status == CommentStatus.HIDDEN)).all()
    assert {c.moderation_reason for c in hidden} == {"blocked"}
    assert {c.moderated_by_id for c in hidden} == {staff.id}
    assert {c.moderated_at for c in hidden} == {now.get()}
    (entry,) = _entries(session, "user.block")
    assert entry.actor_id == staff.id and entry.object_id == writer.id
    assert entry.reason == "Spam i flera trådar"
    assert json.loads(entry.after)["hidden_comments"] == 2
    assert json.loads(entry.before) == {"blocked_at": None, "blocked_reason": None}


def test_blocking_without_hiding_leaves_the_comments_shown(session, now, writer):
    admin = factories.make_user(session, role=Role.ADMIN)
    services.block_user(
        session, actor=admin, user_id=writer.id, reason="Hot", hide_comments=False, now=now.get()
    )
    assert _statuses(session, writer) == ["pending", "published", "published", "withdrawn"]
    assert json.loads(_entries(session, "user.block")[0].after)["hidden_comments"] == 0


def test_unblocking_lets_them_write_but_does_not_unhide(session, now, writer):
    staff = factories.make_user(session, role=Role.STAFF)
    services.block_user(
        session, actor=staff, user_id=writer.id, reason="Spam", hide_comments=True, now=now.get()
    )
    services.unblock_user(session, actor=staff, user_id=writer.id, now=now.get())
    session.expire_all()
    assert not session.get(User, writer.id).is_blocked
    assert session.get(User, writer.id).blocked_reason is None
    assert _statuses(session, writer) == ["hidden", "hidden", "pending", "withdrawn"]
    (entry,) = _entries(session, "user.unblock")
    assert json.loads(entry.after) == {"blocked_at": None, "blocked_reason": None}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(session, now, writer, reason):
    staff = factories.make_user(session, role=Role.STAFF)
    with pytest.raises(Invalid) as refused:
        services.block_user(
            session,
            actor=staff,
            user_id=writer.id,
            reason=reason,
            hide_comments=True,
            now=now.get(),
        )
    assert refused.value.errors == {"reason": "required"}
    session.rollback()
    assert not session.get(User, writer.id).is_blocked
    assert _statuses(session, writer) == ["pending", "published", "published", "withdrawn"]
    assert _entries(session, "user.block") == []


def test_an_overlong_reason_is_refused(session, now, writer):
    staff = factories.make_user(session, role=Role.STAFF)
    with pytest.raises(Invalid) as refused:
        services.block_user(
            session,
            actor=staff,
            user_id=writer.id,
            reason="x" * 1001,
            hide_comments=False,
            now=now.get(),
        )
    assert refused.value.errors == {"reason": "too_long"}


def test_participants_cannot_block_or_unblock(session, now, writer):
    other = factories.make_user(session)
    with pytest.raises(NotAllowed):
        services.block_user(
            session, actor=other, user_id=writer.id, reason="x", hide_comments=True, now=now.get()
        )
    with pytest.raises(NotAllowed):
        services.unblock_user(session, actor=other, user_id=writer.id, now=now.get())
    with pytest.raises(NotAllowed):
        services.block_user(
            session, actor=None, user_id=writer.id, reason="x", hide_comments=True, now=now.get()
        )


def test_staff_cannot_block_an_admin(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    admin = factories.make_user(session, role=Role.ADMIN)
    with pytest.raises(NotAllowed) as refused:
        services.block_user(
            session, actor=staff, user_id=admin.id, reason="x", hide_comments=False, now=now.get()
        )
    assert refused.value.key == "admin"
    session.rollback()
    assert not session.get(User, admin.id).is_blocked


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_a_role_is_taken_away_before_a_block(session, now, role):
    """A blocked moderator could still moderate: the role must go first."""
    admin = factories.make_user(session, role=Role.ADMIN)
    colleague = factories.make_user(session, role=role)
    with pytest.raises(WrongState) as refused:
        services.block_user(
            session,
            actor=admin,
            user_id=colleague.id,
            reason="Konto kapat",
            hide_comments=False,
            now=now.get(),
        )
    assert refused.value.key == "has_role"
    session.rollback()
    assert not session.get(User, colleague.id).is_blocked

    services.set_role(session, actor=admin, user_id=colleague.id, role="participant", now=now.get())
    services.block_user(
        session,
        actor=admin,
        user_id=colleague.id,
        reason="Konto kapat",
        hide_comments=False,
        now=now.get(),
    )
    assert session.get(User, colleague.id).is_blocked
    with pytest.raises(WrongState) as refused:
        services.set_role(session, actor=admin, user_id=colleague.id, role="staff", now=now.get())
    assert refused.value.key == "blocked"
    session.rollback()
    assert session.get(User, colleague.id).role == Role.PARTICIPANT


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_nobody_blocks_themselves(session, now, role):
    actor = factories.make_user(session, role=role)
    with pytest.raises(WrongState) as refused:
        services.block_user(
            session, actor=actor, user_id=actor.id, reason="x", hide_comments=False, now=now.get()
        )
    assert refused.value.key == "self"


def test_blocking_twice_or_unblocking_an_unblocked_user_is_refused(session, now, writer):
    staff = factories.make_user(session, role=Role.STAFF)
    with pytest.raises(WrongState) as refused:
        services.unblock_user(session, actor=staff, user_id=writer.id, now=now.get())
    assert refused.value.key == "not_blocked"
    session.rollback()
    services.block_user(
        session, actor=staff, user_id=writer.id, reason="x", hide_comments=False, now=now.get()
    )
    with pytest.raises(WrongState) as refused:
        services.block_user(
            session, actor=staff, user_id=writer.id, reason="y", hide_comments=True, now=now.get()
        )
    assert refused.value.key == "already_blocked"
    session.rollback()
    assert _statuses(session, writer) == ["pending", "published", "published", "withdrawn"]
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_an_unknown_user_is_not_found(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    with pytest.raises(NotFound):
        services.block_user(
            session, actor=staff, user_id=9999, reason="x", hide_comments=False, now=now.get()
        )
    with pytest.raises(NotFound):
        services.unblock_user(session, actor=staff, user_id=9999, now=now.get())
