"""The site sets only the cookies its privacy notice lists, and sets them as configured.

The walk below goes through the main paths of every kind of visitor and collects the name of
every cookie any response sets. A new cookie fails the test until it is documented in
``consult.site.cookies`` (and so on the privacy page).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from consult import create_app
from consult.models import Comment, Role
from consult.site import cookies

from . import factories
from .conftest import CsrfClient, make_config


def _set_cookies(response) -> list[tuple[str, str, dict]]:
    """(name, value, attributes) of each Set-Cookie header of ``response``."""
    found = []
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            flags = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
            found.append((name, morsel.value, {"flags": flags, "samesite": morsel["samesite"]}))
    return found


class Recorder:
    """Calls the test client and keeps every cookie the responses set."""

    def __init__(self, client):
        self.client = client
        self.seen: list[tuple[str, str, dict]] = []

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        assert response.status_code < 500, url
        self.seen += _set_cookies(response)
        return response

    def post(self, url, **kwargs):
        response = self.client.post(url, **kwargs)
        assert response.status_code < 500, url
        self.seen += _set_cookies(response)
        return response


def _walk(client, session, round_) -> list[tuple[str, str, dict]]:
    """Visit the main paths as a visitor, a participant, staff and an administrator."""
    walk = Recorder(client)
    slug = round_.consultation.slug
    paragraph = round_.document.paragraphs[0]
    thread = f"/samrad/{slug}/omgang/1/synpunkter/{paragraph.anchor}"
    published = factories.make_comment(session, round_, factories.make_user(session))

    for url in ("/", f"/samrad/{slug}/", f"/samrad/{slug}/omgang/1/", thread):
        walk.get(url)
    walk.get(thread, headers={"HX-Request": "true"})
    walk.get("/personuppgifter")
    walk.get("/tillganglighet")
    walk.get(f"/api/v1/samrad/{slug}/omgang/1/synpunkter")
    walk.post("/sprak", data={"lang": "en", "next": "/"})
    walk.post("/sprak", data={"lang": "sv", "next": "/"})
    walk.get("/konto/registrera")
    walk.post(
        "/konto/registrera",
        data={
            "email": "ny@example.se",
            "display_name": "Ny Person",
            "password": factories.PASSWORD,
            "password_confirm": factories.PASSWORD,
            "category": "privatperson",
        },
    )
    walk.post(
        thread,
        data={
            f"{paragraph.anchor}-kind": "comment",
            f"{paragraph.anchor}-body": "En synpunkt om trafiken.",
            f"{paragraph.anchor}-submission_key": "cookie-walk",
        },
    )
    walk.get(f"/synpunkter/{published.id}/svara")
    walk.post(
        f"/synpunkter/{published.id}/svara",
        data={
            f"reply-{published.id}-body": "Ett svar.",
            f"reply-{published.id}-submission_key": "r",
        },
    )
    walk.get("/mina-synpunkter")
    walk.get("/notiser")
    walk.post("/konto/logga-ut")

    for role in (Role.STAFF, Role.ADMIN):
        user = factories.make_user(session, role=role)
        walk.get("/konto/logga-in")
        response = walk.post(
            "/konto/logga-in",
            data={"email": user.email, "password": factories.PASSWORD, "remember": "y"},
        )
        assert response.status_code == 302
        for url in ("/moderering/", "/analys/", "/admin/anvandare/", "/", thread):
            assert walk.get(url).status_code == 200, url
        if role == Role.ADMIN:
            for url in ("/admin/", "/admin/logg", "/admin/gallring", "/admin/personuppgifter"):
                walk.get(url)
        walk.post("/konto/logga-ut")
    walk.get("/")
    return walk.seen


def test_every_cookie_the_site_sets_is_documented(app, client, session, open_round):
    with app.test_request_context():
        documented = cookies.names()
    seen = {name for name, _value, _attributes in _walk(client, session, open_round)}
    assert seen == documented
    # The walk did what it meant to: an account was made, it commented and replied.
    bodies = set(
        session.scalars(select(Comment.body).where(Comment.author.has(email="ny@example.se")))
    )
    assert bodies == {"En synpunkt om trafiken.", "Ett svar."}


@pytest.fixture
def secure_app(database_url, now):
    """The app as configured for production: cookies only over HTTPS."""
    from .conftest import empty_tables

    app = create_app(
        make_config(database_url, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    )
    app.test_client_class = CsrfClient
    yield app
    engine = app.extensions["db_engine"]
    empty_tables(engine)
    engine.dispose()


def test_cookies_are_secure_http_only_and_same_site_as_configured(secure_app, open_round):
    from consult.db import get_session

    client = secure_app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    with secure_app.app_context():
        session = get_session()
        round_ = session.merge(open_round)
        seen = _walk(client, session, round_)
        config = secure_app.config
    setting = [(name, attributes) for name, value, attributes in seen if value]
    assert {name for name, _attributes in setting} == {"session", "remember_token"}
    for name, attributes in setting:
        prefix = "SESSION" if name == config["SESSION_COOKIE_NAME"] else "REMEMBER"
        assert ("secure" in attributes["flags"]) is config[f"{prefix}_COOKIE_SECURE"], name
        assert ("httponly" in attributes["flags"]) is config[f"{prefix}_COOKIE_HTTPONLY"], name
        assert attributes["samesite"] == config[f"{prefix}_COOKIE_SAMESITE"], name
