"""Registering, logging in and out."""

import re

import pytest
from sqlalchemy import select

from consult import create_app
from consult.auth import services as accounts
from consult.extensions import limiter
from consult.models import Category, Organisation, OutboxEmail, User

from . import factories, local_redis
from .conftest import CsrfClient, make_config


def _register(client, **overrides):
    data = {
        "email": "anna@umea.example",
        "display_name": "Anna Lind",
        "password": "ett långt lösenord",
        "password_confirm": "ett långt lösenord",
        "category": "kommun",
        "organisation_id": "",
        "new_organisation": "",
    }
    data.update(overrides)
    return client.post("/konto/registrera", data=data)


def test_register_with_existing_organisation_logs_in(client, session):
    organisation = factories.make_organisation(session, "Umeå kommun")
    response = _register(client, organisation_id=str(organisation.id))
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "anna@umea.example"))
    assert user.organisation_id == organisation.id and user.category == Category.MUNICIPALITY
    assert user.password_hash.startswith("scrypt:") and "ett långt" not in user.password_hash
    assert "Anna Lind" in client.get("/").get_data(as_text=True)


def test_register_with_new_organisation_reuses_same_name(client, session):
    factories.make_organisation(session, "Skellefteå kommun")
    response = _register(client, new_organisation="  skellefteå   KOMMUN ")
    assert response.status_code == 302
    assert len(session.scalars(select(Organisation)).all()) == 1


def test_registration_joins_the_organisation_a_duplicate_was_merged_into(client, session):
    kept = factories.make_organisation(session, "Region Västerbotten")
    duplicate = factories.make_organisation(session, "Region Vasterbotten")
    duplicate.merged_into_id = kept.id
    session.commit()
    form = client.get("/konto/registrera").get_data(as_text=True)
    assert "Region Västerbotten" in form and "Region Vasterbotten" not in form

    _register(client, new_organisation="region vasterbotten")
    user = session.scalar(select(User).where(User.email == "anna@umea.example"))
    assert user.organisation_id == kept.id


def test_private_individual_needs_no_organisation(client, session):
    response = _register(client, category="privatperson")
    assert response.status_code == 302
    assert session.scalar(select(User)).organisation_id is None


def test_organisation_required_unless_private_individual(client, session):
    response = _register(client, category="naringsliv")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="organisation_id-error"' in page
    assert session.scalar(select(User)) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "inte-en-adress"}, "email"),
        ({"password": "kort", "password_confirm": "kort"}, "password"),
        ({"password_confirm": "något annat helt"}, "password_confirm"),
        ({"category": "kung"}, "category"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_invalid_registration_shows_error_next_to_field(client, session, overrides, field):
    response = _register(client, **{"category": "privatperson", **overrides})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert 'aria-invalid="true"' in page
    assert session.scalar(select(User)) is None


def test_a_taken_address_is_answered_as_a_new_account_and_its_owner_is_told(app, client, session):
    owner = factories.make_user(session, email="anna@umea.example")
    taken = _register(client, category="privatperson", email="ANNA@umea.example")
    fresh = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    new = _register(fresh, category="privatperson", email="bo@umea.example")
    assert taken.status_code == new.status_code == 302
    assert taken.headers["Location"] == new.headers["Location"]
    shown = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert "Välkommen, Anna Lind!" in shown
    assert "Vi har skickat en länk till anna@umea.example" in shown
    assert "redan" not in shown
    # Nobody is logged in to the existing account, and no second account is made.
    assert client.get("/konto").status_code == 302
    assert len(session.scalars(select(User)).all()) == 2
    session.expire_all()
    mails = session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == owner.email))
    [mail] = mails.all()
    assert "Någon försökte registrera sig med din e-postadress" == mail.subject
    assert "/konto/glomt-losenord" in mail.body


def test_login_and_logout(client, session):
    user = factories.make_user(session)
    response = client.post(
        "/konto/logga-in", data={"email": user.email.upper(), "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert user.display_name in client.get("/").get_data(as_text=True)
    response = client.post("/konto/logga-ut")
    assert response.status_code == 302
    assert user.display_name not in client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which_part(client, session):
    user = factories.make_user(session)
    wrong = client.post("/konto/logga-in", data={"email": user.email, "password": "fel"})
    unknown = client.post("/konto/logga-in", data={"email": "ingen@x.se", "password": "fel"})
    assert wrong.status_code == unknown.status_code == 422

    def error(response):
        return re.search(r'id="password-error">([^<]+)<', response.get_data(as_text=True)).group(1)

    assert error(wrong) == error(unknown)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/mina-synpunkter", "/mina-synpunkter"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_login_redirects_only_to_local_next(client, session, next_url, expected):
    user = factories.make_user(session)
    response = client.post(
        "/konto/logga-in?next=" + next_url,
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_login_required_pages_send_anonymous_users_to_login(client):
    response = client.get("/mina-synpunkter")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in?next=/mina-synpunkter")


def test_htmx_request_without_login_gets_hx_redirect(client):
    response = client.post("/synpunkter/1/instam", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/konto/logga-in")


REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("storage", ["memory://", REDIS_URL], ids=["memory", "redis"])
def test_login_is_rate_limited(database_url, storage):
    if storage.startswith("redis"):
        local_redis.connect_or_skip(storage)
    app = create_app(
        make_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=storage,
            LOGIN_RATE_LIMIT="3 per minute",
        )
    )
    app.test_client_class = CsrfClient
    client = app.test_client()
    with app.app_context():
        limiter.reset()
    codes = [
        client.post("/konto/logga-in", data={"email": "a@b.se", "password": "x"}).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]
    with app.app_context():
        limiter.reset()
    app.extensions["db_engine"].dispose()


def test_registration_is_rate_limited(database_url):
    app = create_app(
        make_config(database_url, RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="2 per hour")
    )
    app.test_client_class = CsrfClient
    client = app.test_client()
    answers = [_register(client, email="x") for _ in range(3)]
    assert [a.status_code for a in answers] == [422, 422, 429]
    # The refusal says when to try again (within the hour); other answers carry no counts.
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 3600
    assert "X-RateLimit-Remaining" not in answers[0].headers
    app.extensions["db_engine"].dispose()


def test_create_user_command_makes_an_admin(runner, session):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "admin@region.se",
            "--name",
            "Admin",
            "--role",
            "admin",
            "--organisation",
            "Region Västerbotten",
        ],
        input="ett långt lösenord\nett långt lösenord\n",
    )
    assert result.exit_code == 0, result.output
    admin = session.scalar(select(User).where(User.email == "admin@region.se"))
    assert admin.is_admin and admin.organisation.name == "Region Västerbotten"


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def test_unknown_email_costs_a_real_hash(app):
    with app.app_context():
        assert accounts._dummy_hash().startswith(app.config["PASSWORD_HASH_METHOD"])


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
