"""Behaviour that earlier versions got wrong: each test pins one fix."""

from datetime import timedelta

from sqlalchemy import select

from consult import create_app
from consult.auth import services as accounts
from consult.consultations import receipt
from consult.models import Agreement, Comment, CommentStatus, ModerationMode, Round

from . import factories
from .conftest import CsrfClient, make_config

HX = {"HX-Request": "true"}


def _thread_url(round_, key):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def test_unknown_email_costs_a_real_hash(app):
    with app.app_context():
        assert accounts._dummy_hash().startswith(app.config["PASSWORD_HASH_METHOD"])


def test_editing_in_pre_moderated_round_sends_the_comment_back_to_review(
    client, auth, session, now
):
    round_ = factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=1),
        closes_at=now.get() + timedelta(days=1),
        moderation=ModerationMode.PRE,
    )
    user = auth.login()
    comment = factories.make_comment(session, round_, user, paragraph=round_.document.paragraphs[0])
    prefix = f"edit-{comment.id}"
    client.post(
        f"/synpunkter/{comment.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Något helt annat"},
    )
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PENDING


def test_refused_agreement_and_reply_replace_the_whole_comment(
    client, auth, session, open_round, now
):
    other = factories.make_comment(
        session,
        open_round,
        factories.make_user(session),
        paragraph=open_round.document.paragraphs[0],
    )
    auth.login()
    now.set(open_round.closes_at)
    for response in (
        client.post(f"/synpunkter/{other.id}/instam", headers=HX),
        client.get(f"/synpunkter/{other.id}/svara", headers=HX),
        client.post(
            f"/synpunkter/{other.id}/svara",
            data={f"reply-{other.id}-body": "Sent svar", f"reply-{other.id}-submission_key": "k"},
            headers=HX,
        ),
    ):
        assert response.status_code == 409
        assert response.headers["HX-Retarget"] == f"#c-{other.id}"
        assert response.headers["HX-Reswap"] == "outerHTML"
        page = response.get_data(as_text=True)
        assert page.count(f'id="c-{other.id}"') == 1
    assert "Sent svar" in page  # the unsent reply is handed back


def test_api_refuses_non_ascii_digits(client, open_round):
    url = f"/api/v1/samrad/{open_round.consultation.slug}/omgang/1/synpunkter?page=²"
    assert client.get(url).status_code == 400


def test_agreement_count_is_the_number_of_agreements(client, auth, session, open_round):
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    comment.agreement_count = 7  # a stale count is corrected by the next toggle
    session.commit()
    auth.login()
    client.post(f"/synpunkter/{comment.id}/instam")
    session.expire_all()
    rows = session.scalars(select(Agreement).where(Agreement.comment_id == comment.id)).all()
    assert session.get(Comment, comment.id).agreement_count == len(rows) == 1


def test_open_round_is_shown_while_the_next_is_scheduled(client, session, open_round, now):
    later = Round(
        consultation=open_round.consultation,
        number=2,
        title="Remissomgång 2",
        opens_at=now.get() + timedelta(days=30),
        closes_at=now.get() + timedelta(days=60),
    )
    session.add(later)
    session.commit()
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert "Remissomgång 1" in page and "badge-open" in page


def test_overlong_reply_key_is_refused_not_a_crash(client, auth, session, open_round):
    parent = factories.make_comment(session, open_round, factories.make_user(session))
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Svar", f"reply-{parent.id}-submission_key": "x" * 65},
    )
    assert response.status_code == 422
    assert session.scalar(select(Comment).where(Comment.parent_id == parent.id)) is None


def test_reply_to_a_reply_of_a_withdrawn_comment_is_refused(client, auth, session, open_round):
    author = factories.make_user(session)
    parent = factories.make_comment(session, open_round, author, status=CommentStatus.WITHDRAWN)
    child = factories.make_comment(session, open_round, factories.make_user(session), parent=parent)
    auth.login()
    response = client.post(
        f"/synpunkter/{child.id}/svara",
        data={f"reply-{child.id}-body": "Svar", f"reply-{child.id}-submission_key": "k"},
    )
    assert response.status_code == 404


def test_late_post_without_js_shows_the_message_once(client, auth, open_round, now):
    auth.login()
    key = open_round.document.paragraphs[0].anchor
    now.set(open_round.closes_at)
    page = client.post(
        _thread_url(open_round, key),
        data={f"{key}-kind": "comment", f"{key}-body": "Sent", f"{key}-submission_key": "k"},
    ).get_data(as_text=True)
    assert "flash-error" not in page and page.count("notice-error") == 1


def test_editing_a_section_comment_offers_no_proposal(client, auth, session, open_round):
    user = auth.login()
    comment = factories.make_comment(
        session, open_round, user, section=open_round.document.sections[0]
    )
    page = client.get(f"/synpunkter/{comment.id}/redigera").get_data(as_text=True)
    assert 'value="proposal"' not in page


def test_thread_pages_long_threads(client, session, open_round, app):
    app.config["COMMENTS_PER_PAGE"] = 3
    author = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    for i in range(5):
        factories.make_comment(session, open_round, author, paragraph=paragraph, body=f"Nummer {i}")
    first = client.get(_thread_url(open_round, paragraph.anchor)).get_data(as_text=True)
    assert first.count('class="comment"') == 3 and "sida=2" in first
    assert "5 synpunkter" in first
    second = client.get(_thread_url(open_round, paragraph.anchor) + "?sida=2").get_data(
        as_text=True
    )
    assert second.count('class="comment"') == 5 and "sida=3" not in second


def test_fragments_vary_on_hx_request(client, open_round):
    response = client.get(_thread_url(open_round, "doc"))
    assert "HX-Request" in response.headers["Vary"]


def test_receipt_checksum_is_keyed_and_covers_the_text(session, open_round, app):
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    with app.app_context():
        before = receipt.fingerprint(comment)
        comment.body = "Ändrad i efterhand"
        assert receipt.fingerprint(comment) != before
        app.config["SECRET_KEY"] = "another"
        comment.body = "En synpunkt."
        assert receipt.fingerprint(comment) != before


def test_proxy_hops_make_rate_limits_per_client(database_url):
    app = create_app(
        make_config(
            database_url, RATELIMIT_ENABLED=True, PROXY_HOPS=1, LOGIN_RATE_LIMIT="1 per minute"
        )
    )
    app.test_client_class = CsrfClient
    client = app.test_client()

    def login(ip):
        return client.post(
            "/konto/logga-in",
            data={"email": "a@b.se", "password": "x"},
            headers={"X-Forwarded-For": ip},
        ).status_code

    assert [login("10.0.0.1"), login("10.0.0.1"), login("10.0.0.2")] == [422, 429, 422]
    app.extensions["db_engine"].dispose()


def test_secret_key_file_is_private(tmp_path, database_url, monkeypatch):
    from consult import _instance_secret

    key = _instance_secret(tmp_path)
    assert len(key) == 64 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert _instance_secret(tmp_path) == key


def test_demo_refuses_a_database_with_real_consultations(runner, open_round):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "real consultations" in result.output


def test_withdrawn_comment_with_replies_stays_as_placeholder(client, session, open_round):
    paragraph = open_round.document.paragraphs[0]
    parent = factories.make_comment(
        session,
        open_round,
        factories.make_user(session),
        paragraph=paragraph,
        body="Tillbakadragen text",
        status=CommentStatus.WITHDRAWN,
    )
    factories.make_comment(
        session,
        open_round,
        factories.make_user(session),
        parent=parent,
        paragraph=paragraph,
        body="Ett svar som ska synas",
    )
    page = client.get(_thread_url(open_round, paragraph.anchor)).get_data(as_text=True)
    assert "Ett svar som ska synas" in page
    assert "Tillbakadragen text" not in page and "drogs tillbaka" in page
    assert "0 synpunkter" in page
