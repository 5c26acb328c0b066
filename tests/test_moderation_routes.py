"""Moderation pages: who may reach them, row actions with and without htmx, bulk, reporting."""

import re

import pytest
from sqlalchemy import func, select

from consult import create_app
from consult.extensions import limiter
from consult.models import AuditEntry, CommentStatus, Report, Role
from consult.moderation import decisions, reports
from consult.moderation import queue as moderation_queue

from . import factories
from .conftest import CsrfClient, make_config

HX = {"HX-Request": "true"}


@pytest.fixture
def pending(session, pre_round):
    paragraph = pre_round.document.paragraphs[0]
    return factories.make_comment(
        session,
        pre_round,
        factories.make_user(session, name="Petra Väntar"),
        paragraph=paragraph,
        body="Vänta på granskning.",
        status=CommentStatus.PENDING,
    )


@pytest.fixture
def published(session, open_round):
    paragraph = open_round.document.paragraphs[0]
    return factories.make_comment(
        session,
        open_round,
        factories.make_user(session, name="Olle Författare"),
        paragraph=paragraph,
        body="En skarp synpunkt.",
    )


def _staff_routes(comment_id: int) -> list[tuple[str, str]]:
    base = f"/moderering/synpunkter/{comment_id}"
    return [
        ("get", "/moderering/"),
        ("post", f"{base}/godkann"),
        ("post", f"{base}/avvisa"),
        ("post", f"{base}/dolj"),
        ("post", f"{base}/visa"),
        ("post", f"{base}/avfarda"),
        ("post", f"{base}/blockera"),
        ("post", "/moderering/urval"),
        ("get", "/moderering/antal"),
    ]


STAFF_ROUTES = 9


def test_route_list_covers_every_moderation_route(app):
    rules = {
        (method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("moderation.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert rules == {
        ("get", "/moderering/"),
        ("get", "/moderering/antal"),
        # One rule for the five verbs of _staff_routes.
        ("post", "/moderering/synpunkter/<int:comment_id>/<verb>"),
        ("post", "/moderering/synpunkter/<int:comment_id>/blockera"),
        ("post", "/moderering/urval"),
        ("get", "/synpunkter/<int:comment_id>/anmal"),
        ("post", "/synpunkter/<int:comment_id>/anmal"),
    }


@pytest.mark.parametrize("index", range(STAFF_ROUTES))
def test_anonymous_visitors_are_sent_to_the_login_page(client, pending, index):
    method, url = _staff_routes(pending.id)[index]
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")


@pytest.mark.parametrize("index", range(STAFF_ROUTES))
def test_anonymous_htmx_requests_get_a_login_redirect_header(client, pending, index):
    method, url = _staff_routes(pending.id)[index]
    response = getattr(client, method)(url, headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/konto/logga-in")


@pytest.mark.parametrize("index", range(STAFF_ROUTES))
def test_participants_are_refused(client, auth, session, pending, index):
    auth.login(role=Role.PARTICIPANT)
    method, url = _staff_routes(pending.id)[index]
    response = getattr(client, method)(url, data={f"avvisa-{pending.id}-reason": "spam"})
    assert response.status_code == 403
    session.refresh(pending)
    assert pending.status == CommentStatus.PENDING
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
@pytest.mark.parametrize("index", range(STAFF_ROUTES))
def test_staff_and_administrators_reach_every_route(client, auth, pending, role, index):
    auth.login(role=role)
    method, url = _staff_routes(pending.id)[index]
    if method == "get":
        assert client.get(url).status_code == 200
    else:
        # Empty forms: done, refused as incomplete or in the wrong state, never forbidden.
        assert client.post(url).status_code in (200, 302, 409, 422)


def test_report_page_needs_a_login(client, published):
    for method in ("get", "post"):
        response = getattr(client, method)(f"/synpunkter/{published.id}/anmal")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/konto/logga-in")


def test_post_without_csrf_token_is_refused(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    response = client.post(f"/moderering/synpunkter/{pending.id}/godkann", csrf=False)
    assert response.status_code == 400
    session.refresh(pending)
    assert pending.status == CommentStatus.PENDING


# The queue


def test_staff_see_the_queue_size_in_the_menu(client, auth, pending):
    auth.login(role=Role.STAFF)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/moderering/"' in page
    assert re.search(r'id="moderation-count"[^>]*>\(1<', page)


def test_participants_have_no_moderation_link(client, auth, pending):
    auth.login(role=Role.PARTICIPANT)
    assert "/moderering/" not in client.get("/").get_data(as_text=True)


def test_queue_shows_the_comment_with_its_paragraph(client, auth, pending):
    auth.login(role=Role.STAFF)
    page = client.get("/moderering/").get_data(as_text=True)
    assert f'id="q-{pending.id}"' in page
    assert "Vänta på granskning." in page
    assert pending.paragraph.text[:40] in page
    assert "Petra Väntar" in page
    assert f'action="/moderering/synpunkter/{pending.id}/godkann"' in page


def test_queue_filters_by_round_and_state(client, auth, pending, published, session, now):
    reports.report(
        session,
        reporter=factories.make_user(session),
        comment_id=published.id,
        reason="spam",
        now=now.get(),
    )
    auth.login(role=Role.STAFF)

    reported = client.get("/moderering/?status=reported").get_data(as_text=True)
    in_pre_round = client.get(f"/moderering/?omgang={pending.round_id}").get_data(as_text=True)

    assert f'id="q-{published.id}"' in reported and f'id="q-{pending.id}"' not in reported
    assert f'id="q-{pending.id}"' in in_pre_round and f'id="q-{published.id}"' not in in_pre_round


def test_approve_by_htmx_swaps_the_row(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    response = client.post(f"/moderering/synpunkter/{pending.id}/godkann", headers=HX)
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert row.lstrip().startswith(f'<li id="q-{pending.id}"')
    assert 'role="status"' in row
    assert "/godkann" not in row  # decided: no more actions
    session.refresh(pending)
    assert pending.status == CommentStatus.PUBLISHED


def test_approve_without_javascript_redirects_back_with_a_message(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/moderering/synpunkter/{pending.id}/godkann",
        data={"next": f"/moderering/?omgang={pending.round_id}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/moderering/?omgang={pending.round_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "flash-success" in page


def test_reject_without_a_reason_keeps_the_explanation(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    prefix = f"avvisa-{pending.id}"
    data = {f"{prefix}-reason": "other", f"{prefix}-note": ""}

    response = client.post(f"/moderering/synpunkter/{pending.id}/avvisa", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{prefix}-note-error"' in page
    assert '<option value="other" selected>' in page

    data = {f"{prefix}-reason": "", f"{prefix}-note": "Mitt utkast till motivering"}
    row = client.post(f"/moderering/synpunkter/{pending.id}/avvisa", data=data, headers=HX)
    assert row.status_code == 422
    assert 'value="Mitt utkast till motivering"' in row.get_data(as_text=True)
    assert f'id="{prefix}-reason-error"' in row.get_data(as_text=True)
    session.refresh(pending)
    assert pending.status == CommentStatus.PENDING


def test_reject_with_a_reason_is_shown_to_the_author(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    prefix = f"avvisa-{pending.id}"
    client.post(
        f"/moderering/synpunkter/{pending.id}/avvisa",
        data={f"{prefix}-reason": "other", f"{prefix}-note": "Hör till ett annat avsnitt"},
    )
    client.post("/konto/logga-ut")

    auth.login(pending.author)
    thread = client.get(
        f"/samrad/{pending.round.consultation.slug}/omgang/1/synpunkter/{pending.paragraph.anchor}"
    ).get_data(as_text=True)

    assert "Vänta på granskning." in thread
    assert "tag status-rejected" in thread
    assert "Hör till ett annat avsnitt" in thread


def test_others_never_see_a_rejected_comment(client, auth, session, pending, now):
    staff = factories.make_user(session, role=Role.STAFF)
    decisions.reject(session, staff, pending.id, reason="spam", now=now.get())
    auth.login(role=Role.PARTICIPANT)
    thread = client.get(
        f"/samrad/{pending.round.consultation.slug}/omgang/1/synpunkter/{pending.paragraph.anchor}"
    ).get_data(as_text=True)
    assert "Vänta på granskning." not in thread


def test_an_action_in_the_wrong_state_answers_with_the_row(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    client.post(f"/moderering/synpunkter/{pending.id}/godkann")

    response = client.post(f"/moderering/synpunkter/{pending.id}/godkann", headers=HX)

    assert response.status_code == 409
    assert 'role="alert"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


def test_unknown_verbs_are_not_found(client, auth, pending):
    auth.login(role=Role.STAFF)
    assert client.post(f"/moderering/synpunkter/{pending.id}/radera").status_code == 404


# Bulk


def test_bulk_approve_says_how_many(client, auth, session, pending, pre_round):
    other = factories.make_comment(
        session, pre_round, factories.make_user(session), status=CommentStatus.PENDING
    )
    auth.login(role=Role.STAFF)

    response = client.post(
        "/moderering/urval",
        data={"action": "approve", "ids": [str(pending.id), str(other.id)]},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert re.search(r"flash-success\">[^<]*2", response.get_data(as_text=True))
    for comment in (pending, other):
        session.refresh(comment)
        assert comment.status == CommentStatus.PUBLISHED


def test_refused_bulk_changes_nothing_and_keeps_the_selection(
    client, auth, session, pending, published
):
    auth.login(role=Role.STAFF)

    response = client.post(
        "/moderering/urval",
        data={"action": "approve", "ids": [str(pending.id), str(published.id)]},
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"#{published.id}" in page
    assert re.search(
        rf'value="{pending.id}" form="bulk-form" id="select-{pending.id}"\s+checked', page
    )
    session.refresh(pending)
    assert pending.status == CommentStatus.PENDING


def test_bulk_without_a_selection_says_so(client, auth, pending):
    auth.login(role=Role.STAFF)
    response = client.post("/moderering/urval", data={"action": "approve"})
    assert response.status_code == 422
    assert "flash-error" in response.get_data(as_text=True)


# Reporting


def _thread(client, comment):
    round_ = comment.round
    url = f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/"
    return client.get(url + comment.paragraph.anchor).get_data(as_text=True)


def test_others_see_a_report_control_the_author_and_visitors_do_not(client, auth, published):
    assert f'id="report-{published.id}"' not in _thread(client, published)
    auth.login(published.author)
    assert f'id="report-{published.id}"' not in _thread(client, published)
    client.post("/konto/logga-ut")
    auth.login(role=Role.PARTICIPANT)
    assert f'id="report-{published.id}"' in _thread(client, published)


def test_no_report_control_in_pre_moderated_rounds(client, auth, session, pre_round):
    approved = factories.make_comment(
        session, pre_round, factories.make_user(session), paragraph=pre_round.document.paragraphs[0]
    )
    auth.login(role=Role.PARTICIPANT)
    assert f'id="report-{approved.id}"' not in _thread(client, approved)
    assert client.get(f"/synpunkter/{approved.id}/anmal").status_code == 404


def test_report_by_htmx_confirms_and_counts(client, auth, session, published):
    auth.login(role=Role.PARTICIPANT)
    prefix = f"report-{published.id}"

    response = client.post(
        f"/synpunkter/{published.id}/anmal",
        data={f"{prefix}-reason": "offensive", f"{prefix}-note": "Personangrepp"},
        headers=HX,
    )

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert f'id="report-{published.id}"' in fragment and 'role="status"' in fragment
    session.refresh(published)
    assert published.open_report_count == 1
    assert "report-done" in _thread(client, published)


def test_report_without_javascript_redirects_to_the_thread(client, auth, session, published):
    auth.login(role=Role.PARTICIPANT)
    prefix = f"report-{published.id}"
    response = client.post(f"/synpunkter/{published.id}/anmal", data={f"{prefix}-reason": "spam"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/synpunkter/{published.paragraph.anchor}#c-{published.id}"
    )
    again = client.post(f"/synpunkter/{published.id}/anmal", data={f"{prefix}-reason": "spam"})
    assert again.status_code == 302
    assert session.scalar(select(func.count()).select_from(Report)) == 1


def test_report_without_a_reason_shows_the_form_again(client, auth, session, published):
    auth.login(role=Role.PARTICIPANT)
    prefix = f"report-{published.id}"
    response = client.post(
        f"/synpunkter/{published.id}/anmal",
        data={f"{prefix}-reason": "", f"{prefix}-note": "Något är fel"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{prefix}-reason-error"' in page and "Något är fel" in page
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_third_report_hides_the_comment_from_everyone_else(client, auth, session, published):
    for _ in range(3):
        auth.login(role=Role.PARTICIPANT)
        client.post(
            f"/synpunkter/{published.id}/anmal",
            data={f"report-{published.id}-reason": "offensive"},
        )
        client.post("/konto/logga-ut")
    assert "En skarp synpunkt." not in _thread(client, published)

    auth.login(role=Role.STAFF)
    page = client.get("/moderering/?status=hidden").get_data(as_text=True)
    assert f'id="q-{published.id}"' in page
    assert f"/synpunkter/{published.id}/visa" in page


def test_blocked_users_cannot_report(client, auth, session, published, now):
    user = auth.login(role=Role.PARTICIPANT)
    user.blocked_at = now.get()
    session.commit()
    assert f'id="report-{published.id}"' not in _thread(client, published)
    response = client.post(
        f"/synpunkter/{published.id}/anmal", data={f"report-{published.id}-reason": "spam"}
    )
    assert response.status_code == 403


def test_reports_are_rate_limited(database_url, session, published):
    app = create_app(
        make_config(database_url, RATELIMIT_ENABLED=True, REPORT_RATE_LIMIT="2 per hour")
    )
    app.test_client_class = CsrfClient
    client = app.test_client()
    with app.app_context():
        limiter.reset()
    reporter = factories.make_user(session)
    client.post("/konto/logga-in", data={"email": reporter.email, "password": factories.PASSWORD})
    codes = [
        client.post(f"/synpunkter/{published.id}/anmal", data={}).status_code for _ in range(3)
    ]
    assert codes == [422, 422, 429]
    with app.app_context():
        limiter.reset()
    app.extensions["db_engine"].dispose()


# Blocking the author


def _report_once(session, comment, now):
    reports.report(
        session,
        reporter=factories.make_user(session),
        comment_id=comment.id,
        reason="offensive",
        now=now.get(),
    )


def test_block_the_author_by_htmx(client, auth, session, published, now):
    _report_once(session, published, now)
    auth.login(role=Role.STAFF)
    prefix = f"block-{published.id}"

    response = client.post(
        f"/moderering/synpunkter/{published.id}/blockera",
        data={f"{prefix}-reason": "Upprepade personangrepp", f"{prefix}-hide_comments": "y"},
        headers=HX,
    )

    assert response.status_code == 200
    assert 'role="status"' in response.get_data(as_text=True)
    session.refresh(published.author)
    assert published.author.is_blocked
    session.refresh(published)
    assert published.status == CommentStatus.HIDDEN
    actions = session.scalars(select(AuditEntry.action))
    assert "user.block" in set(actions)


def test_block_without_a_reason_keeps_the_form_open(client, auth, session, published, now):
    _report_once(session, published, now)
    auth.login(role=Role.STAFF)
    prefix = f"block-{published.id}"
    response = client.post(
        f"/moderering/synpunkter/{published.id}/blockera",
        data={f"{prefix}-reason": " ", f"{prefix}-hide_comments": "y"},
        headers=HX,
    )
    assert response.status_code == 422
    row = response.get_data(as_text=True)
    assert f'id="{prefix}-reason-error"' in row and '<details class="block-author" open>' in row
    session.refresh(published.author)
    assert not published.author.is_blocked


def test_staff_cannot_block_an_administrator(client, auth, session, open_round):
    admin = factories.make_user(session, role=Role.ADMIN)
    comment = factories.make_comment(session, open_round, admin)
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/moderering/synpunkter/{comment.id}/blockera",
        data={f"block-{comment.id}-reason": "Test"},
        headers=HX,
    )
    assert response.status_code == 409
    assert 'role="alert"' in response.get_data(as_text=True)
    session.refresh(admin)
    assert not admin.is_blocked


def test_the_queue_says_when_it_shows_only_the_first_comments(
    client, auth, session, pre_round, monkeypatch
):
    monkeypatch.setattr(moderation_queue, "QUEUE_LIMIT", 2)
    for _ in range(3):
        factories.make_comment(
            session, pre_round, factories.make_user(session), status=CommentStatus.PENDING
        )
    auth.login(role=Role.STAFF)
    page = client.get("/moderering/").get_data(as_text=True)
    assert page.count('class="queue-item') == 2
    assert re.search(r'id="queue-total"[^>]*>\s*3 ', page)


def test_the_report_page_works_without_javascript(client, auth, published):
    auth.login(role=Role.PARTICIPANT)
    response = client.get(f"/synpunkter/{published.id}/anmal")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "En skarp synpunkt." in page
    assert f'name="report-{published.id}-reason"' in page
    assert f'action="/synpunkter/{published.id}/anmal"' in page


def test_a_decision_in_place_tells_the_page_and_the_menu_count_follows(
    client, auth, session, pending, pre_round
):
    factories.make_comment(
        session, pre_round, factories.make_user(session), status=CommentStatus.PENDING
    )
    auth.login(role=Role.STAFF)
    page = client.get("/moderering/").get_data(as_text=True)
    # The menu count and the queue's status line listen for the event and fetch again.
    counter = re.search(r'<span id="moderation-count"[^>]*>', page).group(0)
    assert 'hx-get="/moderering/antal"' in counter
    assert 'hx-trigger="moderation-changed from:body"' in counter
    assert re.search(r'id="queue-total"[^>]*hx-trigger="moderation-changed from:body"', page)
    before = client.get("/moderering/antal").get_data(as_text=True)
    assert re.search(r'id="moderation-count"[^>]*>\(2<', before)

    response = client.post(f"/moderering/synpunkter/{pending.id}/godkann", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "moderation-changed"
    after = client.get("/moderering/antal").get_data(as_text=True)
    assert re.search(r'id="moderation-count"[^>]*>\(1<', after)


def test_a_refused_decision_in_place_sends_no_event(client, auth, session, published):
    auth.login(role=Role.STAFF)
    response = client.post(f"/moderering/synpunkter/{published.id}/godkann", headers=HX)
    assert response.status_code == 409
    assert "HX-Trigger" not in response.headers


def test_blocking_an_author_in_place_tells_the_page(client, auth, session, pending):
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/moderering/synpunkter/{pending.id}/blockera",
        data={f"block-{pending.id}-reason": "Spam", f"block-{pending.id}-hide_comments": "y"},
        headers=HX,
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "moderation-changed"


def test_an_unconfirmed_person_cannot_report_and_is_offered_the_link(
    client, auth, session, published
):
    auth.login(role=Role.PARTICIPANT, confirmed=False)
    url = f"/synpunkter/{published.id}/anmal"
    data = {f"report-{published.id}-reason": "spam"}
    refused = client.post(url, data=data, headers=HX)
    assert refused.status_code == 409
    fragment = refused.get_data(as_text=True)
    assert "Bekräfta din e-postadress innan du instämmer i eller anmäler" in fragment
    assert "/konto/skicka-lanken-igen" in fragment
    page = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    flash_at = page.index('class="flash flash-error">Bekräfta din e-postadress innan')
    assert "/konto/skicka-lanken-igen" in page[flash_at : flash_at + 600]
    session.refresh(published)
    assert published.open_report_count == 0


def test_staff_cannot_approve_a_comment_held_for_an_unconfirmed_author(
    client, auth, session, pre_round
):
    author = factories.make_user(session, confirmed=False)
    held = factories.make_comment(session, pre_round, author, status=CommentStatus.PENDING)
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/moderering/synpunkter/{held.id}/godkann",
        data={"next": "/moderering/"},
        follow_redirects=True,
    )
    assert "Författaren har inte bekräftat sin e-postadress" in response.get_data(as_text=True)
    session.refresh(held)
    assert held.status == CommentStatus.PENDING
