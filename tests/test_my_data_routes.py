"""The 'my data' pages and downloads: who may reach each route, the files, their headers."""

from __future__ import annotations

import io
import json
import re
import zipfile
from types import SimpleNamespace

import flask_babel
import pytest
from sqlalchemy import func, select

from consult import create_app
from consult.extensions import limiter
from consult.models import AuditEntry, Role

from . import factories
from .conftest import CsrfClient, make_config
from .routes import endpoint_ids


@pytest.fixture
def person(session, open_round):
    """A participant with one comment."""
    user = factories.make_user(session, name="Petra Person", email="petra@example.se")
    factories.make_comment(session, open_round, user, body="Petras synpunkt.")
    return user


def _routes(user):
    u = user.id
    return [
        ("get", "/konto/mina-uppgifter", {}),
        ("get", "/konto/mina-uppgifter/json", {}),
        ("get", "/konto/mina-uppgifter/zip", {}),
        ("get", f"/admin/anvandare/{u}/uppgifter", {}),
        ("post", f"/admin/anvandare/{u}/uppgifter", {"export-reason": "Dnr 7", "format": "json"}),
    ]


ROUTES = range(5)
ROUTE_IDS = endpoint_ids(_routes(SimpleNamespace(id="<u>")))
OWN = {0, 1, 2}  # about the signed-in person themself
STAFF = {3, 4}  # about someone else, for staff


def _call(client, routes, index):
    method, url, data = routes[index]
    if method == "get":
        return client.get(url)
    return client.post(url, data=data)


def _audits(session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.export")
    )


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, session, person, index):
    response = _call(client, _routes(person), index)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")
    assert _audits(session) == 0


@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_participants_get_their_own_data_only(client, auth, session, person, index):
    other = auth.login(name="Olle Annan")
    response = _call(client, _routes(person), index)
    if index in OWN:
        assert response.status_code == 200
        if index == 2:
            archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
            name = next(n for n in archive.namelist() if n.endswith(".json"))
            text = archive.read(name).decode("utf-8")
        else:
            text = response.get_data(as_text=True)
        assert "petra@example.se" not in text and "Petras synpunkt" not in text
        if index in (1, 2):
            assert json.loads(text)["account"]["id"] == other.id
    else:
        assert response.status_code == 403
    assert _audits(session) == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
@pytest.mark.parametrize("index", ROUTES, ids=ROUTE_IDS)
def test_staff_and_admins_reach_every_route(client, auth, session, person, index, role):
    auth.login(role=role)
    response = _call(client, _routes(person), index)
    assert response.status_code == 200
    assert _audits(session) == (1 if index == 4 else 0)


def test_the_json_download(client, auth, session, person):
    auth.login(person)
    response = client.get("/konto/mina-uppgifter/json")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mina-uppgifter-2027-03-01.json"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data())
    assert data["account"]["email"] == "petra@example.se"
    assert [c["body"] for c in data["comments"]] == ["Petras synpunkt."]
    assert data["comments"][0]["url"].startswith("http")


def test_the_zip_holds_a_readable_self_contained_page_and_the_json(client, auth, person):
    auth.login(person)
    response = client.get("/konto/mina-uppgifter/zip")
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mina-uppgifter-2027-03-01.zip"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert sorted(archive.namelist()) == [
        "mina-uppgifter-2027-03-01.html",
        "mina-uppgifter-2027-03-01.json",
    ]
    page = archive.read("mina-uppgifter-2027-03-01.html").decode("utf-8")
    assert '<html lang="sv">' in page
    assert "<h1>Mina uppgifter</h1>" in page
    assert "Petras synpunkt." in page and "petra@example.se" in page
    # Nothing is loaded from elsewhere: no scripts, style sheets, images or frames.
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=", page)
    data = json.loads(archive.read("mina-uppgifter-2027-03-01.json"))
    assert data["account"]["email"] == "petra@example.se"


def test_in_english_the_files_and_the_page_are_english(client, auth, session, person):
    person.locale = "en"
    session.commit()
    auth.login(person)
    # The tests share one app context, where Flask-Babel keeps the locale it chose first.
    flask_babel.refresh()
    response = client.get("/konto/mina-uppgifter/zip")
    assert 'filename="my-data-2027-03-01.zip"' in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    page = archive.read("my-data-2027-03-01.html").decode("utf-8")
    assert '<html lang="en">' in page and "<h1>My data</h1>" in page


def test_the_page_explains_the_download(client, auth, person):
    auth.login(person)
    response = client.get("/konto/mina-uppgifter")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "<h1>Mina uppgifter</h1>" in page
    assert (
        'href="/konto/mina-uppgifter/zip"' in page and 'href="/konto/mina-uppgifter/json"' in page
    )
    assert "<code>comments</code>" in page


def test_staff_download_in_the_persons_language_with_the_reason_logged(
    client, auth, session, person
):
    staff = auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{person.id}/uppgifter",
        data={"export-reason": "Dnr RS 2027/12", "format": "zip"},
    )
    assert response.status_code == 200
    assert (
        f'filename="mina-uppgifter-{person.id}-2027-03-01.zip"'
        in (response.headers["Content-Disposition"])
    )
    assert response.headers["Cache-Control"] == "no-store"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.export")).one()
    assert (entry.actor_id, entry.object_id, entry.reason) == (
        staff.id,
        person.id,
        "Dnr RS 2027/12",
    )
    # The user page lists the download in its history.
    page = client.get(f"/admin/anvandare/{person.id}").get_data(as_text=True)
    assert "Uppgifter hämtade på begäran" in page


def test_staff_download_without_a_reference_is_refused_with_a_message(
    client, auth, session, person
):
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{person.id}/uppgifter", data={"export-reason": " ", "format": "zip"}
    )
    assert response.status_code == 422
    assert "Ange en anledning." in response.get_data(as_text=True)
    assert _audits(session) == 0
    bad = client.post(
        f"/admin/anvandare/{person.id}/uppgifter", data={"export-reason": "Dnr 1", "format": "exe"}
    )
    assert bad.status_code == 422
    assert _audits(session) == 0


def test_staff_download_of_a_missing_user_is_404(client, auth):
    auth.login(role=Role.STAFF)
    assert (
        client.post("/admin/anvandare/999999/uppgifter", data={"export-reason": "x"}).status_code
        == 404
    )


def test_a_staff_post_without_a_csrf_token_is_refused(client, auth, session, person):
    auth.login(role=Role.STAFF)
    response = client.post(
        f"/admin/anvandare/{person.id}/uppgifter", data={"export-reason": "x"}, csrf=False
    )
    assert response.status_code == 400
    assert _audits(session) == 0


def test_downloads_are_rate_limited_per_account(database_url, session, person):
    app = create_app(
        make_config(database_url, RATELIMIT_ENABLED=True, MY_DATA_RATE_LIMIT="2 per hour")
    )
    app.test_client_class = CsrfClient
    client = app.test_client()
    with app.app_context():
        limiter.reset()
    client.post("/konto/logga-in", data={"email": person.email, "password": factories.PASSWORD})
    codes = [client.get(f"/konto/mina-uppgifter/{f}").status_code for f in ("json", "zip", "json")]
    assert codes == [200, 200, 429]
    refused = client.get("/konto/mina-uppgifter/zip")
    assert refused.status_code == 429
    assert "Inget hämtades" in refused.get_data(as_text=True)
    with app.app_context():
        limiter.reset()
    app.extensions["db_engine"].dispose()
