"""Round states and the open/closed boundary, checked at the moment of the write."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from consult import clock, db, round_locks
from consult.admin import round_actions
from consult.consultations import comments
from consult.consultations.services import RoundState, Target, round_state
from consult.models import Comment, Round, User

from . import factories

OPENS = datetime(2027, 1, 10, 7, 0, tzinfo=UTC)
CLOSES = datetime(2027, 3, 15, 22, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "at", "state"),
    [
        ({"opens_at": None, "closes_at": None}, OPENS, RoundState.DRAFT),
        ({}, OPENS - timedelta(seconds=1), RoundState.SCHEDULED),
        ({}, OPENS, RoundState.OPEN),
        ({}, CLOSES - timedelta(seconds=1), RoundState.OPEN),
        ({}, CLOSES, RoundState.CLOSED),
        ({"closed_at": OPENS + timedelta(days=1)}, OPENS + timedelta(days=2), RoundState.CLOSED),
        (
            {"results_published_at": CLOSES + timedelta(days=30)},
            CLOSES + timedelta(days=31),
            RoundState.PUBLISHED,
        ),
    ],
)
def test_round_state_follows_dates_and_actions(changes, at, state):
    round_ = Round(**{"opens_at": OPENS, "closes_at": CLOSES, **changes})
    assert round_state(round_, at) == state


def _comment_at(session, round_, author, when):
    paragraph = round_.document.paragraphs[0]
    return comments.create_comment(
        session,
        author=author,
        round_id=round_.id,
        target=Target(paragraph.anchor, paragraph=paragraph),
        kind="comment",
        body="Sent men i tid.",
        submission_key=when.isoformat(),
        now=when,
        max_chars=5000,
    )


def test_comment_one_second_before_closing_is_accepted(session):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    author = factories.make_user(session)
    comment = _comment_at(session, round_, author, CLOSES - timedelta(seconds=1))
    assert comment.id is not None


def test_comment_at_closing_time_is_refused_and_nothing_is_saved(session):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    author = factories.make_user(session)
    with pytest.raises(comments.RoundClosed):
        _comment_at(session, round_, author, CLOSES)
    session.rollback()
    assert session.query(Comment).count() == 0


def test_comment_before_opening_is_refused(session):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    with pytest.raises(comments.RoundClosed):
        _comment_at(session, round_, factories.make_user(session), OPENS - timedelta(seconds=1))


def test_http_boundary_at_closes_at(client, auth, session, now):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    auth.login()
    paragraph = round_.document.paragraphs[0]
    url = f"/samrad/{round_.consultation.slug}/omgang/1/synpunkter/{paragraph.anchor}"
    key = paragraph.anchor

    now.set(CLOSES - timedelta(seconds=1))
    ok = client.post(
        url, data={f"{key}-kind": "comment", f"{key}-body": "I tid", f"{key}-submission_key": "a"}
    )
    assert ok.status_code == 302

    now.set(CLOSES)
    late = client.post(
        url,
        data={f"{key}-kind": "comment", f"{key}-body": "För sent", f"{key}-submission_key": "b"},
    )
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "För sent" in page  # the text is handed back, not lost
    assert f'id="form-{key}"' not in page  # and the form is gone
    assert session.query(Comment).count() == 1


def test_late_post_answers_with_the_message_and_the_text_not_the_thread(client, auth, session, now):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    paragraph = round_.document.paragraphs[0]
    factories.make_comment(session, round_, factories.make_user(session), paragraph=paragraph)
    auth.login()
    key = paragraph.anchor
    url = f"/samrad/{round_.consultation.slug}/omgang/1/synpunkter/{key}"
    fields = {f"{key}-kind": "comment", f"{key}-body": "För sent", f"{key}-submission_key": "b"}
    now.set(CLOSES)

    page = client.post(url, data=fields)
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert "Remissomgången är stängd" in text and "För sent" in text
    assert f'href="{url}"' in text  # the comments are a link away
    assert 'class="comments"' not in text  # a rush of late posts renders no thread

    fragment = client.post(url, data=fields, headers={"HX-Request": "true"})
    assert fragment.status_code == 409
    # It takes the form's place; the thread shown around the form stays as it was.
    assert fragment.headers["HX-Retarget"] == f"#form-{key}"
    assert fragment.headers["HX-Reswap"] == "outerHTML"
    text = fragment.get_data(as_text=True)
    assert 'role="alert"' in text and "För sent" in text and "<html" not in text
    assert session.query(Comment).count() == 1


def _post_after_a_change(app, round_id: int, author_id: int, read_open: bool, change, body: str):
    """Post as a ``writes_briefly`` view does: read the round (open if ``read_open``), then
    write in a ``writing`` block, after an administrator's ``change`` to the round between
    the two. Return the new comment's id."""
    with app.test_request_context("/"):
        request_session = db.get_session()
        read = request_session.get(Round, round_id)
        assert round_state(read, clock.now()) == (
            RoundState.OPEN if read_open else RoundState.CLOSED
        )  # the page's read
        paragraph = read.document.paragraphs[0]
        with Session(app.extensions["db_engine"]) as admin_session:
            change(admin_session.get(Round, round_id))
            admin_session.commit()
        with db.writing(request_session):
            return comments.create_comment(
                request_session,
                author=request_session.get(User, author_id),
                round_id=round_id,
                target=Target(paragraph.anchor, paragraph=paragraph),
                kind="comment",
                body=body,
                submission_key="k",
                now=clock.now(),
                max_chars=5000,
            ).id


def test_a_round_closed_after_the_post_read_it_is_read_again_under_the_lock(app, session, now):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    author = factories.make_user(session)
    now.set(OPENS + timedelta(days=2))

    def close(round_):
        round_.closed_at = OPENS + timedelta(days=1)

    with pytest.raises(comments.RoundClosed):
        _post_after_a_change(app, round_.id, author.id, True, close, "Skickad när den stängdes")
    session.expire_all()
    assert session.query(Comment).count() == 0


def test_a_form_sent_again_after_closing_finds_the_comment_it_saved_in_time(session):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    author = factories.make_user(session)
    paragraph = round_.document.paragraphs[0]
    sent = {
        "author": author,
        "round_id": round_.id,
        "target": Target(paragraph.anchor, paragraph=paragraph),
        "kind": "comment",
        "body": "Sent men i tid.",
        "submission_key": "same-form",
        "max_chars": 5000,
    }
    saved = comments.create_comment(session, **sent, now=CLOSES - timedelta(seconds=1))
    # The answer was lost and the browser sends the form again, after the deadline.
    again = comments.create_comment(session, **sent, now=CLOSES + timedelta(seconds=1))
    assert again.id == saved.id
    assert session.query(Comment).count() == 1


def test_a_deadline_moved_after_the_post_read_the_round_takes_the_comment_in(app, session, now):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    author = factories.make_user(session)
    now.set(CLOSES + timedelta(minutes=5))

    def extend(round_):
        round_.closes_at = CLOSES + timedelta(days=7)

    body = "Skickad **efter** den gamla tidsgränsen"
    comment_id = _post_after_a_change(app, round_.id, author.id, False, extend, body)
    saved = session.get(Comment, comment_id)
    assert "<strong>efter</strong>" in saved.body_html  # its text was checked and rendered


def test_admin_close_before_deadline_stops_comments(client, auth, session, now):
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    round_.closed_at = OPENS + timedelta(days=1)
    session.commit()
    now.set(OPENS + timedelta(days=2))
    auth.login()
    paragraph = round_.document.paragraphs[0]
    key = paragraph.anchor
    response = client.post(
        f"/samrad/{round_.consultation.slug}/omgang/1/synpunkter/{key}",
        data={f"{key}-kind": "comment", f"{key}-body": "Hej", f"{key}-submission_key": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert session.query(Comment).count() == 0


def test_draft_rounds_are_not_public(client, session):
    round_ = factories.make_round(session, opens_at=None, closes_at=None)
    assert client.get(f"/samrad/{round_.consultation.slug}/").status_code == 404
    assert round_.consultation.title not in client.get("/").get_data(as_text=True)


def _waiting_for_a_round_lock(engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND classid = :key"
                ),
                {"key": round_locks.ROUND_LOCKS},
            )
        )


def test_postgresql_closing_waits_for_writes_in_flight_and_later_writes_see_it(app, session, admin):
    if session.bind.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite runs one writer at a time")
    round_ = factories.make_round(session, opens_at=OPENS, closes_at=CLOSES)
    author = factories.make_user(session)
    during = OPENS + timedelta(days=2)
    engine = app.extensions["db_engine"]
    closed = threading.Event()

    def close() -> None:
        with Session(engine) as closer:
            round_actions.close_now(closer, closer.get(User, admin.id), round_.id, now=during)
        closed.set()

    with Session(engine) as writer:
        # A write in flight: it found the round open and has not committed yet.
        round_locks.for_writing(writer, round_.id)
        closing = threading.Thread(target=close)
        closing.start()
        for _ in range(200):  # the close is queued behind the write (checked, not timed)
            if _waiting_for_a_round_lock(engine):
                break
            threading.Event().wait(0.05)
        assert _waiting_for_a_round_lock(engine) and not closed.is_set()
        writer.commit()
    closing.join(30)
    assert closed.is_set()
    session.expire_all()
    with pytest.raises(comments.RoundClosed):
        _comment_at(session, round_, author, during + timedelta(minutes=1))
