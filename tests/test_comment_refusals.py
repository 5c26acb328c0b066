"""A refused comment, reply or edit keeps its text; success and refusal look different."""

from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from consult.models import Comment

from . import factories
from .conftest import CSRF_INPUT

HX = {"HX-Request": "true"}


@pytest.fixture
def paragraph(open_round):
    return open_round.document.paragraphs[0]


def _thread_url(round_, key):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def _comment_fields(key, body, token=None):
    fields = {f"{key}-kind": "comment", f"{key}-body": body, f"{key}-submission_key": "s1"}
    if token is not None:
        fields["csrf_token"] = token
    return fields


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Comment.id)))


def _textarea(page: str, name: str) -> str:
    """The text of the form field ``name`` as the browser will show it."""
    pattern = rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>\r?\n?([^<]*)</textarea>'
    found = re.search(pattern, page)
    assert found, f"no textarea {name}"
    return found.group(1)


def _other_sessions_token(app) -> str:
    """A token as another (since ended) session was given it: signed, but not this session's."""
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
    return serializer.dumps("a-session-that-has-ended")


# --- The comment form ----------------------------------------------------------------------


def test_comment_without_csrf_token_comes_back_in_the_form_with_a_fresh_token(
    client, auth, session, open_round, paragraph
):
    auth.login()
    url = _thread_url(open_round, paragraph.anchor)
    sent = _comment_fields(paragraph.anchor, "Min långa synpunkt om vägarna.")
    response = client.post(url, data=sent, csrf=False)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "sidan hade gått ut" in page and "notice-error" in page
    assert _textarea(page, f"{paragraph.anchor}-body") == "Min långa synpunkt om vägarna."
    assert _count(session) == 0
    # The form on the answer carries a working token: sending it again saves the comment.
    token = CSRF_INPUT.search(page).group(1)
    again = client.post(url, data={**sent, "csrf_token": token}, csrf=False)
    assert again.status_code == 302
    assert _count(session) == 1


def test_comment_with_a_stale_csrf_token_is_given_back(
    app, client, auth, session, open_round, paragraph
):
    auth.login()
    stale = _other_sessions_token(app)
    response = client.post(
        _thread_url(open_round, paragraph.anchor),
        data=_comment_fields(paragraph.anchor, "Skickad från en gammal flik.", stale),
        csrf=False,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _textarea(page, f"{paragraph.anchor}-body") == "Skickad från en gammal flik."
    assert _count(session) == 0


def test_comment_from_an_expired_session_is_given_back_with_a_way_to_log_in(
    app, session, open_round, paragraph
):
    # The tab was opened in a session that has since ended: no cookie, an old token.
    stale = _other_sessions_token(app)
    logged_out = app.test_client()
    response = logged_out.post(
        _thread_url(open_round, paragraph.anchor),
        data=_comment_fields(paragraph.anchor, "Text skriven innan sessionen gick ut.", stale),
        csrf=False,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "inte längre är inloggad" in page
    assert "Text skriven innan sessionen gick ut.</textarea>" in page
    assert "/konto/logga-in" in page
    assert _count(session) == 0


def test_htmx_comment_without_token_answers_with_the_thread_to_swap(
    client, auth, session, open_round, paragraph
):
    auth.login()
    response = client.post(
        _thread_url(open_round, paragraph.anchor),
        data=_comment_fields(paragraph.anchor, "Via htmx."),
        headers=HX,
        csrf=False,
    )
    # htmx swaps 409 answers (see base.html); the fragment holds the text and a fresh token.
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith(f'<div id="thread-{paragraph.anchor}"')
    assert _textarea(page, f"{paragraph.anchor}-body") == "Via htmx."
    assert re.search(rf'name="{paragraph.anchor}-csrf_token" type="hidden" value="[^"]+"', page)


def test_comment_body_that_is_not_utf8_is_given_back_readably(
    client, auth, session, open_round, paragraph
):
    auth.login()
    key = paragraph.anchor
    token = client.csrf_token()
    body = f"csrf_token={token}&{key}-kind=comment&{key}-body=".encode() + b"Hej \xff v\xe4gen"
    response = client.post(
        _thread_url(open_round, key),
        data=body,
        content_type="application/x-www-form-urlencoded",
        csrf=False,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "inte kunde läsas" in page
    assert _textarea(page, f"{key}-body") == "Hej \ufffd v\ufffdgen"
    assert _count(session) == 0


def test_htmx_comment_body_that_is_not_utf8_is_given_back_though_its_header_token_is_valid(
    client, auth, session, open_round, paragraph
):
    auth.login()
    key = paragraph.anchor
    token = client.csrf_token()
    body = f"{key}-kind=comment&{key}-body=".encode() + b"Hej \xff v\xe4gen"
    response = client.post(
        _thread_url(open_round, key),
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers={**HX, "X-CSRFToken": token},
        csrf=False,
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "inte kunde läsas" in page
    assert _textarea(page, f"{key}-body") == "Hej \ufffd v\ufffdgen"
    assert _count(session) == 0


def test_other_forms_without_token_still_get_the_error_page(client, auth):
    auth.login()
    response = client.post("/sprak", data={"lang": "en"}, csrf=False)
    assert response.status_code == 400
    assert "Felkod 400" in response.get_data(as_text=True)


# --- Replies and edits -------------------------------------------------------------------------


def test_reply_without_csrf_token_comes_back_in_the_reply_form(
    client, auth, session, open_round, paragraph
):
    parent = factories.make_comment(
        session, open_round, factories.make_user(session), paragraph=paragraph
    )
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Mitt svar", f"reply-{parent.id}-submission_key": "r"},
        csrf=False,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _textarea(page, f"reply-{parent.id}-body") == "Mitt svar"
    assert "sidan hade gått ut" in page and CSRF_INPUT.search(page)
    assert _count(session) == 1


def test_htmx_reply_without_token_replaces_only_the_reply_form(
    client, auth, session, open_round, paragraph
):
    parent = factories.make_comment(
        session, open_round, factories.make_user(session), paragraph=paragraph
    )
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Mitt svar", f"reply-{parent.id}-submission_key": "r"},
        headers=HX,
        csrf=False,
    )
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == f"#reply-form-{parent.id}"
    assert _textarea(response.get_data(as_text=True), f"reply-{parent.id}-body") == "Mitt svar"


def test_edit_without_csrf_token_comes_back_in_the_edit_form(
    client, auth, session, open_round, paragraph
):
    user = auth.login()
    own = factories.make_comment(session, open_round, user, paragraph=paragraph, body="Före")
    prefix = f"edit-{own.id}"
    response = client.post(
        f"/synpunkter/{own.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Efter, ändrad"},
        csrf=False,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _textarea(page, f"{prefix}-body") == "Efter, ändrad"
    session.expire_all()
    assert session.get(Comment, own.id).body == "Före"


def test_edit_after_logging_out_gives_the_text_back_read_only(app, session, open_round, paragraph):
    author = factories.make_user(session)
    own = factories.make_comment(session, open_round, author, paragraph=paragraph)
    prefix = f"edit-{own.id}"
    response = app.test_client().post(
        f"/synpunkter/{own.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Ändring från utloggad flik"},
        csrf=False,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "inte längre är inloggad" in page
    assert "Ändring från utloggad flik</textarea>" in page


# --- Success is not shown as an error ------------------------------------------------------


def test_htmx_reply_success_is_a_status_not_an_error(client, auth, session, open_round, paragraph):
    parent = factories.make_comment(
        session, open_round, factories.make_user(session), paragraph=paragraph
    )
    auth.login()
    response = client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Tack", f"reply-{parent.id}-submission_key": "r"},
        headers=HX,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'class="notice notice-success" role="status"[^>]*>Tack! Din synpunkt', page)
    assert "notice-error" not in page


def test_htmx_edit_success_is_a_status_not_an_error(client, auth, session, open_round, paragraph):
    user = auth.login()
    own = factories.make_comment(session, open_round, user, paragraph=paragraph)
    prefix = f"edit-{own.id}"
    response = client.post(
        f"/synpunkter/{own.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Ny lydelse"},
        headers=HX,
    )
    page = response.get_data(as_text=True)
    assert re.search(r'class="notice notice-success" role="status"[^>]*>Dina ändringar', page)
    assert "notice-error" not in page


def test_no_js_edit_success_is_flashed_as_success(client, auth, session, open_round, paragraph):
    user = auth.login()
    own = factories.make_comment(session, open_round, user, paragraph=paragraph)
    prefix = f"edit-{own.id}"
    response = client.post(
        f"/synpunkter/{own.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-body": "Ny lydelse"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert re.search(r'class="flash flash-success"[^>]*>Dina ändringar är sparade', page)
    assert "flash-error" not in page


def test_refusal_is_an_alert(client, auth, session, open_round, paragraph, now):
    auth.login()
    now.set(open_round.closes_at)
    response = client.post(
        _thread_url(open_round, paragraph.anchor),
        data=_comment_fields(paragraph.anchor, "För sent"),
        headers=HX,
    )
    assert response.status_code == 409
    assert 'class="notice notice-error" role="alert"' in response.get_data(as_text=True)
