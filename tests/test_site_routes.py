"""Who may reach the site pages: everyone reads them, only administrators edit them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.models import AuditEntry, RetentionSetting, Role, SitePage

from .routes import endpoint_ids
from .test_site_pages import ACCESSIBILITY_FORM, PRIVACY_FORM

HX = {"HX-Request": "true"}
RETENTION_FORM = {
    "unconfirmed_account_days": "20",
    "outbox_email_days": "20",
    "read_notification_days": "20",
    "event_needs_days": "20",
}
ADMIN_ROUTES = [
    ("get", "/admin/personuppgifter", {}),
    ("post", "/admin/personuppgifter", PRIVACY_FORM),
    ("get", "/admin/tillganglighet", {}),
    ("post", "/admin/tillganglighet", ACCESSIBILITY_FORM),
    ("get", "/admin/gallring", {}),
    ("post", "/admin/gallring", RETENTION_FORM),
]
ADMIN_IDS = endpoint_ids(ADMIN_ROUTES)
PUBLIC_ROUTES = ["/personuppgifter", "/tillganglighet"]
ROLES = [None, Role.PARTICIPANT, Role.STAFF, Role.ADMIN]
ROLE_IDS = ["anonymous", "participant", "staff", "admin"]


def _call(client, index, headers=None):
    method, url, data = ADMIN_ROUTES[index]
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data=data, headers=headers)


def _nothing_changed(session) -> bool:
    return all(
        session.scalar(select(func.count()).select_from(model)) == 0
        for model in (SitePage, RetentionSetting, AuditEntry)
    )


@pytest.mark.parametrize("index", range(len(ADMIN_ROUTES)), ids=ADMIN_IDS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, session, index):
    response = _call(client, index)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")
    assert _nothing_changed(session)


@pytest.mark.parametrize("index", range(len(ADMIN_ROUTES)), ids=ADMIN_IDS)
def test_anonymous_htmx_requests_get_a_login_redirect_header(client, index):
    response = _call(client, index, HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/konto/logga-in")


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF], ids=["participant", "staff"])
@pytest.mark.parametrize("index", range(len(ADMIN_ROUTES)), ids=ADMIN_IDS)
def test_participants_and_staff_are_refused_and_nothing_changes(client, auth, session, index, role):
    auth.login(role=role)
    assert _call(client, index).status_code == 403
    assert _nothing_changed(session)


@pytest.mark.parametrize("index", range(len(ADMIN_ROUTES)), ids=ADMIN_IDS)
def test_administrators_reach_every_route(client, auth, session, index):
    auth.login(role=Role.ADMIN)
    response = _call(client, index)
    assert response.status_code == (200 if ADMIN_ROUTES[index][0] == "get" else 302)
    if ADMIN_ROUTES[index][0] == "post":
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


@pytest.mark.parametrize("role", ROLES, ids=ROLE_IDS)
@pytest.mark.parametrize("url", PUBLIC_ROUTES)
def test_everyone_reads_the_public_pages(client, auth, role, url):
    if role is not None:
        auth.login(role=role)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_a_post_without_the_csrf_token_is_refused(client, auth, session):
    auth.login(role=Role.ADMIN)
    response = client.post("/admin/personuppgifter", data=PRIVACY_FORM, csrf=False)
    assert response.status_code == 400
    assert _nothing_changed(session)
