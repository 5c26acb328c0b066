"""Numbers in the addresses and query strings of the administration, people and moderation
pages: nothing a visitor types there gives a server error.

``"²".isdigit()`` is true but ``int("²")`` fails; ``\\d`` matches Arabic-Indic digits such as
"٣"; a number past 32 bits fails on PostgreSQL's integer columns.
"""

import re
from urllib.parse import quote

import pytest

from consult.models import Role

BLUEPRINTS = ("admin.", "people.", "moderation.")
BAD_NUMBERS = ["²", "٣", "99999999999999999999", "2147483648", "-1", "0"]
QUERY_URLS = [
    "/admin/logg?sida={n}&av={n}",
    "/admin/anvandare/?sida={n}",
    "/admin/organisationer/?sida={n}",
    "/moderering/?omgang={n}",
]


def _number_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(BLUEPRINTS) and "<int:" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                rules.append((method, rule.rule))
    return sorted(rules)


def _with(rule: str, number: str) -> str:
    url = re.sub(r"<int:\w+>", quote(number), rule)
    return url.replace("<verb>", "godkann")


def test_the_number_routes_are_all_found(app):
    # The admin, people and moderation blueprints take ids in these many rules.
    assert len(_number_rules(app)) >= 25


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_no_number_in_an_address_gives_a_server_error(app, client, auth, number):
    auth.login(role=Role.ADMIN)
    for method, rule in _number_rules(app):
        url = _with(rule, number)
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code < 500, (method, url, response.status_code)
        assert response.status_code in (302, 400, 404, 405, 422), (method, url)


@pytest.mark.parametrize("number", BAD_NUMBERS)
@pytest.mark.parametrize("template", QUERY_URLS)
def test_no_number_in_a_query_string_gives_a_server_error(client, auth, template, number):
    auth.login(role=Role.ADMIN)
    response = client.get(template.format(n=quote(number)))
    assert response.status_code == 200
