"""The people pages: who may reach each route, htmx row actions and their no-JavaScript path."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from consult.models import AuditEntry, ClaimStatus, CommentStatus, Organisation, Role, User

from . import factories
from .routes import endpoint_ids

HX = {"HX-Request": "true"}


@pytest.fixture
def target(session):
    """A participant from an organisation, and a second organisation to merge with."""
    user = factories.make_user(session, name="Tova Mål")
    other = factories.make_organisation(session, "Annan organisation")
    return user, other


def _routes(user, other):
    u, o = user.id, user.organisation_id
    return [
        ("get", "/admin/anvandare/", {}),
        ("get", f"/admin/anvandare/{u}", {}),
        ("get", "/admin/anvandare/ansprak", {}),
        ("get", "/admin/organisationer/", {}),
        ("get", f"/admin/organisationer/{o}", {}),
        ("post", f"/admin/anvandare/{u}/roll", {f"u{u}-role-role": "staff"}),
        ("post", f"/admin/anvandare/{u}/sparra", {f"u{u}-block-reason": "Spam"}),
        ("post", f"/admin/anvandare/{u}/hav-sparr", {}),
        ("post", f"/admin/anvandare/{u}/verifiera", {}),
        ("post", f"/admin/anvandare/{u}/avvisa", {f"u{u}-reject-reason": "Nej"}),
        ("post", f"/admin/organisationer/{o}/sla-ihop", {"target": other.id, "confirm": "y"}),
        ("get", "/admin/anvandare/ansprak/antal", {}),
        ("post", f"/admin/anvandare/{u}/avsluta", {f"u{u}-erase-reason": "Bad om det per e-post"}),
    ]


ROUTES = range(13)
ROUTE_IDS = endpoint_ids(
    _routes(SimpleNamespace(id="<u>", organisation_id="<o>"), SimpleNamespace(id="<other>"))
)
# Routes that change roles or merge organisations: administrators only.
ADMIN_ONLY = {5, 10}


def _call(client, routes, index, headers=None):
    method, url, data = routes[index]
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data=data, headers=headers)


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, target, index):
    response = _call(client, _routes(*target), index)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_anonymous_htmx_requests_get_a_login_redirect_header(client, target, index):
    response = _call(client, _routes(*target), index, HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/konto/logga-in")


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_participants_are_refused_and_nothing_changes(client, auth, session, target, index):
    auth.login()
    assert _call(client, _routes(*target), index).status_code == 403
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_staff_reach_everything_but_roles_and_merging(client, auth, session, target, index):
    auth.login(role=Role.STAFF)
    response = _call(client, _routes(*target), index)
    if index in ADMIN_ONLY:
        assert response.status_code == 403
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    else:
        # Unblocking someone who is not blocked is refused with a message, not an error page.
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_admins_reach_everything(client, auth, target, index):
    auth.login(role=Role.ADMIN)
    assert _call(client, _routes(*target), index).status_code in (200, 302)


def test_a_post_without_a_csrf_token_is_refused(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{user.id}/sparra", data={f"u{user.id}-block-reason": "x"}, csrf=False
    )
    assert response.status_code == 400
    assert not session.get(User, user.id).is_blocked


# The user list


def test_staff_search_the_user_list(client, auth, session, target):
    auth.login(role=Role.STAFF, name="Stina Staff")
    factories.make_user(session, name="Olle Annan")
    page = client.get("/admin/anvandare/?q=tova").get_data(as_text=True)
    assert "Tova Mål" in page and "Olle Annan" not in page
    assert "1 användare" in page or "1 user" in page
    # Staff see roles but get no role form.
    assert "/roll" not in page


def test_a_user_page_shows_role_claim_block_state_and_comment_counts(
    client, auth, session, target, open_round
):
    user, _ = target
    factories.make_comment(session, open_round, user)
    factories.make_comment(session, open_round, user, status=CommentStatus.HIDDEN)
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/anvandare/{user.id}").get_data(as_text=True)
    assert user.email in page and user.organisation.name in page
    assert "Published: 1" in page or "Publicerad: 1" in page
    assert "/roll" in page and "/sparra" in page and "/verifiera" in page


# Row actions with htmx


def test_block_with_htmx_swaps_the_row(client, auth, session, target, open_round):
    user, _ = target
    comment = factories.make_comment(session, open_round, user)
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{user.id}/sparra",
        data={
            f"u{user.id}-block-reason": "Hot mot andra",
            f"u{user.id}-block-hide_comments": "y",
            "next": "/admin/anvandare/",
        },
        headers=HX,
    )
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert row.lstrip().startswith(f'<tr id="user-{user.id}"')
    assert "Hot mot andra" in row and "/hav-sparr" in row
    session.expire_all()
    assert session.get(User, user.id).is_blocked
    assert session.get(type(comment), comment.id).status == CommentStatus.HIDDEN


def test_block_without_a_reason_answers_the_row_with_the_error(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{user.id}/sparra",
        data={f"u{user.id}-block-reason": " ", f"u{user.id}-block-hide_comments": "y"},
        headers=HX,
    )
    assert response.status_code == 422
    row = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in row and " open" in row
    # The choice to hide comments is kept for the second try.
    assert "checked" in row
    assert not session.get(User, user.id).is_blocked


def test_block_without_javascript_redirects_back_with_a_message(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{user.id}/sparra",
        data={f"u{user.id}-block-reason": "Spam", "next": "/admin/anvandare/?q=tova"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/anvandare/?q=tova"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tova Mål" in page and ("är spärrad" in page or "is blocked" in page)


def test_block_without_javascript_and_without_a_reason_shows_the_form_again(
    client, auth, session, target
):
    user, _ = target
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{user.id}/sparra",
        data={f"u{user.id}-block-reason": "", f"u{user.id}-block-hide_comments": "y"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "checked" in page


def test_staff_get_no_block_form_for_an_admin_and_a_forged_post_is_refused(client, auth, session):
    admin = factories.make_user(session, role=Role.ADMIN, name="Ada Admin")
    auth.login(role=Role.STAFF)
    page = client.get(f"/admin/anvandare/{admin.id}").get_data(as_text=True)
    assert "/sparra" not in page
    response = client.post(
        f"/admin/anvandare/{admin.id}/sparra", data={f"u{admin.id}-block-reason": "x"}, headers=HX
    )
    assert response.status_code == 403
    assert not session.get(User, admin.id).is_blocked


def test_unblock_with_htmx(client, auth, session, target):
    user, _ = target
    staff = auth.login(role=Role.STAFF)
    from consult.people import services

    services.block_user(
        session, actor=staff, user_id=user.id, reason="x", hide_comments=False, now=staff.created_at
    )
    response = client.post(f"/admin/anvandare/{user.id}/hav-sparr", headers=HX)
    assert response.status_code == 200 and "/sparra" in response.get_data(as_text=True)
    session.expire_all()
    assert not session.get(User, user.id).is_blocked


def test_role_change_with_htmx_and_the_last_admin_refusal(client, auth, session, target):
    user, _ = target
    admin = auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/anvandare/{user.id}/roll", data={f"u{user.id}-role-role": "admin"}, headers=HX
    )
    assert response.status_code == 200
    session.expire_all()
    assert session.get(User, user.id).role == Role.ADMIN
    client.post(f"/admin/anvandare/{user.id}/roll", data={f"u{user.id}-role-role": "participant"})
    response = client.post(
        f"/admin/anvandare/{admin.id}/roll", data={f"u{admin.id}-role-role": "staff"}, headers=HX
    )
    assert response.status_code == 409
    assert "notice-error" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, admin.id).role == Role.ADMIN


def test_the_last_admin_refusal_without_javascript(client, auth, session):
    admin = auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/anvandare/{admin.id}/roll",
        data={f"u{admin.id}-role-role": "participant"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "flash-error" in page
    assert session.get(User, admin.id).role == Role.ADMIN


# Claims


def test_the_claim_queue_verifies_with_htmx(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    page = client.get("/admin/anvandare/ansprak").get_data(as_text=True)
    assert "Tova Mål" in page
    response = client.post(f"/admin/anvandare/{user.id}/verifiera", headers=HX)
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith(f'<tr id="claim-{user.id}"')
    session.expire_all()
    assert session.get(User, user.id).organisation_claim == ClaimStatus.VERIFIED
    assert "Tova Mål" not in client.get("/admin/anvandare/ansprak").get_data(as_text=True)


def test_rejecting_a_claim_without_a_reason_keeps_it_waiting(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    response = client.post(f"/admin/anvandare/{user.id}/avvisa", headers=HX)
    assert response.status_code == 422
    assert session.get(User, user.id).organisation_claim == ClaimStatus.CLAIMED
    response = client.post(
        f"/admin/anvandare/{user.id}/avvisa",
        data={
            f"u{user.id}-reject-reason": "Okänd hos kommunen",
            "next": "/admin/anvandare/ansprak",
        },
    )
    assert response.headers["Location"] == "/admin/anvandare/ansprak"
    session.expire_all()
    assert session.get(User, user.id).organisation_claim == ClaimStatus.REJECTED


# Organisations


def test_admins_merge_from_the_organisation_page(client, auth, session, target):
    user, other = target
    source_id = user.organisation_id
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/organisationer/{source_id}").get_data(as_text=True)
    assert "Annan organisation" in page and "sla-ihop" in page
    response = client.post(f"/admin/organisationer/{source_id}/sla-ihop", data={"target": other.id})
    assert response.status_code == 422
    assert session.get(Organisation, source_id).merged_into_id is None
    response = client.post(
        f"/admin/organisationer/{source_id}/sla-ihop",
        data={"target": other.id, "confirm": "y", "reason": "Dubblett"},
    )
    assert response.headers["Location"] == f"/admin/organisationer/{other.id}"
    session.expire_all()
    assert session.get(User, user.id).organisation_id == other.id
    listing = client.get("/admin/organisationer/?q=annan").get_data(as_text=True)
    assert "Annan organisation" in listing


def test_staff_see_organisations_without_the_merge_form(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    page = client.get(f"/admin/organisationer/{user.organisation_id}").get_data(as_text=True)
    assert user.display_name in page and "sla-ihop" not in page


def test_a_claim_decided_in_place_tells_the_page_and_the_count_follows(
    client, auth, session, target
):
    user, _ = target
    factories.make_user(session, name="Ulla Väntar")
    auth.login(role=Role.STAFF)  # a third person whose claim waits
    page = client.get("/admin/anvandare/ansprak").get_data(as_text=True)
    counter = re.search(r'<p id="claims-count"[^>]*>', page).group(0)
    assert 'hx-get="/admin/anvandare/ansprak/antal"' in counter
    assert 'hx-trigger="claims-changed from:body"' in counter
    assert "3 väntar på kontroll" in client.get("/admin/anvandare/ansprak/antal").get_data(
        as_text=True
    )
    response = client.post(f"/admin/anvandare/{user.id}/verifiera", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "claims-changed"
    count = client.get("/admin/anvandare/ansprak/antal").get_data(as_text=True)
    assert "2 väntar på kontroll" in count


def test_a_block_in_place_is_no_claim_event(client, auth, session, target):
    user, _ = target
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{user.id}/sparra", data={f"u{user.id}-block-reason": "Spam"}, headers=HX
    )
    assert response.status_code == 200
    assert "HX-Trigger" not in response.headers
