"""Mina synpunkter and the receipt."""

from consult.consultations import receipt
from consult.models import CommentKind, CommentStatus

from . import factories


def test_my_comments_lists_own_comments_with_status(client, auth, session, open_round):
    user = auth.login()
    other = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    factories.make_comment(session, open_round, user, paragraph=paragraph, body="Min publicerade")
    factories.make_comment(
        session, open_round, user, body="Min tillbakadragna", status=CommentStatus.WITHDRAWN
    )
    factories.make_comment(session, open_round, other, paragraph=paragraph, body="Någon annans")
    page = client.get("/mina-synpunkter").get_data(as_text=True)
    assert "Min publicerade" in page and "Min tillbakadragna" in page
    assert "Någon annans" not in page
    assert "Tillbakadragen" in page


def test_my_comments_say_why_a_moderator_rejected_one(client, auth, session, open_round):
    user = auth.login()
    comment = factories.make_comment(
        session, open_round, user, body="Ring mig på 070-1234567", status=CommentStatus.REJECTED
    )
    comment.moderation_reason = "personal_data"
    comment.moderation_note = "Telefonnummer"
    session.commit()
    page = client.get("/mina-synpunkter").get_data(as_text=True)
    assert "Telefonnummer" in page
    assert "personal_data" not in page  # the reason is named, not shown as its code


def test_receipt_is_a_text_download_of_what_was_submitted(client, auth, session, open_round):
    user = auth.login()
    paragraph = open_round.document.paragraphs[0]
    factories.make_comment(
        session,
        open_round,
        user,
        paragraph=paragraph,
        body="Kvitterad text",
        kind=CommentKind.QUESTION,
        stance=None,
    )
    response = client.get("/mina-synpunkter/kvitto.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert "Kvitterad text" in text
    assert open_round.consultation.title in text
    assert f"Stycke {paragraph.number}" in text
    assert "Fråga" in text
    assert "2027-02-22 13:00" in text  # written when the round opened, in Stockholm time
    assert user.email not in text


def test_a_held_comment_waits_for_the_address_in_receipt_and_list(
    client, auth, session, open_round
):
    user = auth.login(confirmed=False)
    factories.make_comment(
        session, open_round, user, body="Hållen text", status=CommentStatus.PENDING
    )
    text = client.get("/mina-synpunkter/kvitto.txt").get_data(as_text=True)
    assert "Status: Väntar på bekräftad e-postadress" in text
    assert "Väntar på granskning" not in text
    page = client.get("/mina-synpunkter").get_data(as_text=True)
    assert "Väntar på bekräftad e-postadress" in page


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def test_receipt_checksum_is_keyed_and_covers_the_text(session, open_round, app):
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    with app.app_context():
        before = receipt.fingerprint(comment)
        comment.body = "Ändrad i efterhand"
        assert receipt.fingerprint(comment) != before
        app.config["SECRET_KEY"] = "another"
        comment.body = "En synpunkt."
        assert receipt.fingerprint(comment) != before
