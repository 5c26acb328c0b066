"""The application shell: health, headers, CSRF, errors, language."""

import pytest
from sqlalchemy import text

from consult import create_app

from .conftest import make_config


def test_healthz_says_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive"}


def test_healthz_answers_without_its_database_and_readyz_says_why(tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3"))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "unreachable"


def test_sqlite_runs_with_wal_and_foreign_keys(app, session):
    if session.bind.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize("path", ["/", "/konto/logga-in", "/no-such-page", "/healthz"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_lax_and_secure_by_default(database_url, monkeypatch):
    monkeypatch.delenv("CONSULT_SECURE_COOKIES", raising=False)
    config = make_config(database_url, WTF_CSRF_ENABLED=False)
    del config["SESSION_COOKIE_SECURE"]
    app = create_app(config)
    client = app.test_client()
    client.post("/sprak", data={"lang": "en"})
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.secure and cookie.http_only
    assert cookie.same_site == "Lax"
    app.extensions["db_engine"].dispose()


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/sprak", data={"lang": "en"}, csrf=False)
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True).lower() or "ladda om" in (
        response.get_data(as_text=True).lower()
    )


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_interface_is_swedish_by_default_and_english_can_be_chosen(client):
    assert "Samråd" in client.get("/").get_data(as_text=True)
    response = client.post("/sprak", data={"lang": "en", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Consultations" in page


def test_language_choice_is_stored_on_the_account(client, auth, session):
    user = auth.login()
    client.post("/sprak", data={"lang": "en"})
    session.refresh(user)
    assert user.locale == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_language_switch_does_not_redirect_off_site(client, target):
    response = client.post("/sprak", data={"lang": "sv", "next": target})
    assert response.headers["Location"] == "/"


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def test_secret_key_file_is_private(tmp_path, database_url, monkeypatch):
    from consult import _instance_secret

    key = _instance_secret(tmp_path)
    assert len(key) == 64 and (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert _instance_secret(tmp_path) == key
