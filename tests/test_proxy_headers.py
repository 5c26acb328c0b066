"""X-Forwarded-* headers change the client's address, scheme and host only through the
configured number of proxies (``PROXY_HOPS``): a client cannot pick its own rate-limit key."""

from __future__ import annotations

import pytest
from flask import request

from consult import create_app
from consult.extensions import limiter

from .conftest import CsrfClient, make_config

NGINX_PEER = "10.0.0.5"  # the proxy's own address, as the app server sees it
REAL_CLIENT = "203.0.113.9"
GARBAGE = ["", "not-an-ip", "," * 500, "2001:db8::1", "   ", "1.2.3.4 5.6.7.8", "[::1]:80", "é, ü"]


def make_app(database_url, hops: int, limit: str = "10 per minute"):
    app = create_app(
        make_config(
            database_url,
            RATELIMIT_ENABLED=True,
            PROXY_HOPS=hops,
            LOGIN_RATE_LIMIT=limit,
            SERVER_NAME=None,
        )
    )
    app.test_client_class = CsrfClient

    @app.get("/_probe")
    def probe():
        return {
            "key": limiter._key_func(),
            "addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
        }

    with app.app_context():
        limiter.reset()
    return app


@pytest.fixture
def apps(database_url):
    made = []

    def make(hops: int, **kwargs):
        app = make_app(database_url, hops, **kwargs)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            limiter.reset()
        app.extensions["db_engine"].dispose()


def through_nginx(forged: str | None, real: str = REAL_CLIENT) -> dict:
    """What nginx's ``$proxy_add_x_forwarded_for`` sends on: the client's value, then the
    address nginx saw; the request comes from nginx's own address."""
    value = real if forged is None else f"{forged}, {real}"
    return {"headers": {"X-Forwarded-For": value}, "environ_base": {"REMOTE_ADDR": NGINX_PEER}}


def login(client, **kwargs) -> int:
    data = {"email": "a@b.se", "password": "x"}
    return client.post("/konto/logga-in", data=data, **kwargs).status_code


def test_without_proxies_forwarded_headers_are_ignored(apps):
    client = apps(0).test_client()
    headers = {
        "X-Forwarded-For": "1.2.3.4",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
    }
    seen = client.get("/_probe", headers=headers, base_url="http://consult.example").json
    assert seen == {
        "key": "127.0.0.1",
        "addr": "127.0.0.1",
        "scheme": "http",
        "host": "consult.example",
    }


def test_without_proxies_the_eleventh_login_is_refused_whatever_it_forwards(apps):
    client = apps(0).test_client()
    codes = [login(client, headers={"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(11)]
    assert codes == [422] * 10 + [429]


def test_behind_one_proxy_a_forged_forwarded_for_does_not_escape_the_login_limit(apps):
    client = apps(1).test_client()
    codes = [login(client, **through_nginx(f"198.51.100.{n}")) for n in range(11)]
    assert codes == [422] * 10 + [429]
    # Another real client behind the same proxy has a limit of its own.
    assert login(client, **through_nginx("198.51.100.1", real="203.0.113.10")) == 422


def test_behind_one_proxy_the_nearest_hop_is_the_client(apps):
    client = apps(1).test_client()
    seen = client.get("/_probe", **through_nginx("1.2.3.4, 5.6.7.8")).json
    assert (seen["key"], seen["addr"]) == (REAL_CLIENT, REAL_CLIENT)
    # IPv6 clients are keyed by their address too.
    seen = client.get("/_probe", **through_nginx("1.2.3.4", real="2001:db8::7")).json
    assert seen["key"] == "2001:db8::7"


@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_forwarded_for_neither_crashes_nor_changes_the_key(apps, garbage):
    client = apps(1).test_client()
    # Through nginx: the real address is still the last value.
    assert client.get("/_probe", **through_nginx(garbage)).json["key"] == REAL_CLIENT
    # Sent straight to the app (past the proxy): a value that is no address is not a key.
    seen = client.get(
        "/_probe",
        headers={"X-Forwarded-For": garbage},
        environ_base={"REMOTE_ADDR": NGINX_PEER},
    )
    assert seen.status_code == 200
    assert seen.json["key"] in {NGINX_PEER, "2001:db8::1"}


def test_made_up_forwarded_values_straight_to_the_app_share_one_limit(apps):
    client = apps(1, limit="3 per minute").test_client()
    peer = {"REMOTE_ADDR": NGINX_PEER}
    codes = [
        login(client, headers={"X-Forwarded-For": value}, environ_base=peer)
        for value in ["not-an-ip", "", "  ", "nonsense,", "x y"]
    ]
    assert codes == [422, 422, 422, 429, 429]


def test_behind_one_proxy_only_its_proto_and_host_count(apps):
    client = apps(1).test_client()
    headers = {
        "X-Forwarded-For": REAL_CLIENT,
        "X-Forwarded-Proto": "http, https",
        "X-Forwarded-Host": "evil.example, consult.example",
    }
    seen = client.get("/_probe", headers=headers, environ_base={"REMOTE_ADDR": NGINX_PEER}).json
    assert (seen["scheme"], seen["host"]) == ("https", "consult.example")


def test_more_hops_than_sent_values_keeps_the_peer(apps):
    client = apps(2).test_client()
    seen = client.get("/_probe", **through_nginx(None)).json
    assert seen["key"] == NGINX_PEER
