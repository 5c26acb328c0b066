"""Blocked users and verified-only rounds: refused in the commenting services and explained."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.consultations import comments
from consult.consultations.services import Target
from consult.models import (
    Agreement,
    Category,
    ClaimStatus,
    Comment,
    Commenters,
    CommentStatus,
    Role,
)
from consult.people import services

from . import factories

HX = {"HX-Request": "true"}


def _block(session, now, user):
    staff = factories.make_user(session, role=Role.STAFF)
    services.block_user(
        session,
        actor=staff,
        user_id=user.id,
        reason="Upprepade personangrepp",
        hide_comments=False,
        now=now.get(),
    )


def _create(session, now, user, round_, **kwargs):
    return comments.create_comment(
        session,
        author=user,
        round_id=round_.id,
        target=Target("doc"),
        kind="comment",
        body=kwargs.get("body", "Min synpunkt"),
        submission_key=kwargs.get("key", "k-new"),
        now=now.get(),
        max_chars=5000,
    )


def _count(session):
    return session.scalar(select(func.count()).select_from(Comment))


@pytest.fixture
def verified_round(session, now):
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(days=1), closes_at=now.get() + timedelta(days=9)
    )
    round_.commenters = Commenters.VERIFIED
    session.commit()
    return round_


def _verified(session, user, status=ClaimStatus.VERIFIED):
    user.organisation_claim = status
    session.commit()
    return user


# The services


def test_a_blocked_user_cannot_comment_reply_edit_or_agree(session, now, open_round):
    user = factories.make_user(session)
    own = factories.make_comment(session, open_round, user, body="Före spärren")
    other = factories.make_comment(session, open_round, factories.make_user(session))
    _block(session, now, user)
    before = _count(session)
    with pytest.raises(comments.WriteRefused) as refused:
        _create(session, now, user, open_round)
    assert refused.value.reason == "blocked"
    session.rollback()
    with pytest.raises(comments.WriteRefused):
        comments.create_reply(
            session,
            author=user,
            parent_id=other.id,
            body="Svar",
            submission_key="r",
            now=now.get(),
            max_chars=5000,
        )
    session.rollback()
    with pytest.raises(comments.WriteRefused):
        comments.edit_comment(
            session,
            user=user,
            comment_id=own.id,
            kind="comment",
            body="Ändrad",
            stance=None,
            proposed_text=None,
            now=now.get(),
            max_chars=5000,
        )
    session.rollback()
    with pytest.raises(comments.WriteRefused):
        comments.toggle_agreement(session, user=user, comment_id=other.id, now=now.get())
    session.rollback()
    assert _count(session) == before
    assert session.get(Comment, own.id).body == "Före spärren"
    assert session.scalar(select(func.count()).select_from(Agreement)) == 0


def test_a_blocked_user_can_still_withdraw_their_own_comment(session, now, open_round):
    user = factories.make_user(session)
    own = factories.make_comment(session, open_round, user)
    _block(session, now, user)
    comments.withdraw_comment(session, user=user, comment_id=own.id, now=now.get())
    assert session.get(Comment, own.id).status == CommentStatus.WITHDRAWN


def test_the_block_is_read_in_the_writing_transaction(session, now, open_round, app):
    # The author object was loaded before the block: the service reads the block anyway.
    user = factories.make_user(session)
    with app.extensions["db_sessionmaker"]() as other:
        staff = factories.make_user(other, role=Role.STAFF)
        services.block_user(
            other, actor=staff, user_id=user.id, reason="x", hide_comments=False, now=now.get()
        )
    assert user.blocked_at is None
    with pytest.raises(comments.WriteRefused):
        _create(session, now, user, open_round)


def test_after_unblocking_they_can_write_again(session, now, open_round):
    user = factories.make_user(session)
    _block(session, now, user)
    staff = factories.make_user(session, role=Role.STAFF)
    services.unblock_user(session, actor=staff, user_id=user.id, now=now.get())
    assert _create(session, now, user, open_round).status == CommentStatus.PUBLISHED


@pytest.mark.parametrize("claim", [ClaimStatus.CLAIMED, ClaimStatus.REJECTED])
def test_a_verified_only_round_refuses_unverified_people(session, now, verified_round, claim):
    user = _verified(session, factories.make_user(session), claim)
    with pytest.raises(comments.WriteRefused) as refused:
        _create(session, now, user, verified_round)
    assert refused.value.reason == "unverified"
    session.rollback()
    assert _count(session) == 0


def test_a_verified_only_round_refuses_people_without_an_organisation(session, now, verified_round):
    person = factories.make_user(session, category=Category.INDIVIDUAL)
    with pytest.raises(comments.WriteRefused):
        _create(session, now, person, verified_round)


def test_a_verified_only_round_accepts_verified_people(session, now, verified_round):
    user = _verified(session, factories.make_user(session))
    assert _create(session, now, user, verified_round).status == CommentStatus.PUBLISHED


def test_unverified_people_cannot_reply_or_agree_in_a_verified_only_round(
    session, now, verified_round
):
    author = _verified(session, factories.make_user(session))
    comment = factories.make_comment(session, verified_round, author)
    user = factories.make_user(session)
    with pytest.raises(comments.WriteRefused):
        comments.create_reply(
            session,
            author=user,
            parent_id=comment.id,
            body="Svar",
            submission_key="r",
            now=now.get(),
            max_chars=5000,
        )
    session.rollback()
    with pytest.raises(comments.WriteRefused):
        comments.toggle_agreement(session, user=user, comment_id=comment.id, now=now.get())


def test_registered_rounds_do_not_ask_for_verification(session, now, open_round):
    user = factories.make_user(session)
    assert not user.is_verified
    assert _create(session, now, user, open_round).status == CommentStatus.PUBLISHED


# What people see


def _thread_url(round_, key="doc"):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def _round_url(round_):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/"


def test_a_blocked_user_sees_why_instead_of_the_form(client, auth, session, now, open_round):
    user = auth.login()
    other = factories.make_comment(session, open_round, factories.make_user(session))
    _block(session, now, user)
    page = client.get(_round_url(open_round)).get_data(as_text=True)
    assert "write-refusal" in page and "Upprepade personangrepp" in page
    # The paragraph toggles still open the threads, without inviting a comment.
    assert "toggle-action" not in page
    thread = client.get(_thread_url(open_round)).get_data(as_text=True)
    assert "write-refusal" in thread
    assert 'name="doc-body"' not in thread
    # No agree or reply buttons on other people's comments either.
    assert f"/synpunkter/{other.id}/instam" not in thread
    assert f"/synpunkter/{other.id}/svara" not in thread


def test_a_blocked_users_post_is_refused_with_a_message_and_the_text_kept(
    client, auth, session, now, open_round
):
    user = auth.login()
    _block(session, now, user)
    data = {"doc-kind": "comment", "doc-body": "Mitt långa inlägg", "doc-submission_key": "s1"}
    response = client.post(_thread_url(open_round), data=data)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Mitt långa inlägg" in page and "notice-error" in page
    response = client.post(
        _thread_url(open_round), data=data | {"doc-submission_key": "s2"}, headers=HX
    )
    assert response.status_code == 409
    assert "Mitt långa inlägg" in response.get_data(as_text=True)
    assert _count(session) == 0


def test_a_blocked_users_agree_and_edit_answer_with_the_reason(
    client, auth, session, now, open_round
):
    user = auth.login()
    own = factories.make_comment(session, open_round, user)
    other = factories.make_comment(session, open_round, factories.make_user(session))
    _block(session, now, user)
    response = client.post(f"/synpunkter/{other.id}/instam", headers=HX)
    assert response.status_code == 409
    notice = response.get_data(as_text=True)
    assert "is blocked from writing" in notice or "är spärrat för att skriva" in notice
    response = client.get(f"/synpunkter/{own.id}/redigera")
    assert response.status_code == 302
    response = client.get(f"/synpunkter/{other.id}/svara")
    assert response.status_code == 302
    assert session.scalar(select(func.count()).select_from(Agreement)) == 0


@pytest.mark.parametrize(
    ("claim", "says"),
    [(ClaimStatus.CLAIMED, "not yet checked"), (ClaimStatus.REJECTED, "could not verify")],
)
def test_unverified_people_are_told_what_to_do_in_a_verified_only_round(
    client, auth, session, verified_round, claim, says
):
    user = auth.login()
    _verified(session, user, claim)
    verified_round.consultation.contact_email = "samrad@region.se"
    session.commit()
    page = client.get(_thread_url(verified_round)).get_data(as_text=True)
    assert "write-refusal" in page and 'name="doc-body"' not in page
    assert user.organisation.name in page and "mailto:samrad@region.se" in page
    assert (
        says in page
        or {"not yet checked": "inte kontrollerat", "could not verify": "kunde inte"}[says] in page
    )


def test_verified_people_get_the_form_in_a_verified_only_round(
    client, auth, session, verified_round
):
    user = auth.login()
    _verified(session, user)
    page = client.get(_thread_url(verified_round)).get_data(as_text=True)
    assert 'name="doc-body"' in page and "write-refusal" not in page


# The verified mark


def test_comments_of_verified_people_are_marked_and_others_are_not(
    client, session, now, open_round
):
    verified = _verified(session, factories.make_user(session, name="Vera Verifierad"))
    rejected = _verified(
        session, factories.make_user(session, name="Rolf Avvisad"), ClaimStatus.REJECTED
    )
    claimed = factories.make_user(session, name="Clara Väntar")
    for user in (verified, rejected, claimed):
        factories.make_comment(session, open_round, user, body=f"Synpunkt av {user.display_name}")
    page = client.get(_thread_url(open_round)).get_data(as_text=True)
    marks = [
        chunk.split("</article>")[0].count('class="category verified"')
        for chunk in page.split('<article id="c-')[1:]
    ]
    names = [
        chunk.split("<strong>")[1].split("</strong>")[0]
        for chunk in page.split('<article id="c-')[1:]
    ]
    assert dict(zip(names, marks, strict=True)) == {
        "Vera Verifierad": 1,
        "Rolf Avvisad": 0,
        "Clara Väntar": 0,
    }


def test_the_mark_is_not_shown_for_an_organisation_the_author_has_left(
    client, session, now, open_round
):
    user = _verified(session, factories.make_user(session))
    factories.make_comment(session, open_round, user)
    user.organisation = factories.make_organisation(session, "Ny arbetsgivare")
    session.commit()
    page = client.get(_thread_url(open_round)).get_data(as_text=True)
    assert 'class="category verified"' not in page
