"""No number in a URL or query string of the participant pages answers with a server error.

``"²".isdigit()`` is true but ``int("²")`` fails; ``"٣"`` is a digit to Python's ``\\d``; huge
numbers overflow the database's integer columns.
"""

from __future__ import annotations

import re

import pytest

from . import factories

PACKAGES = ("consultations.", "auth.", "api.", "notifications.")
BAD_NUMBERS = ["²", "٣", "99999999999999999999", "2147483648", "-1", "0", "1e3", " 7"]


def _number_routes(app) -> list[tuple[str, str]]:
    """(endpoint, rule) of every route of these packages with a number in its path."""
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(PACKAGES) and "<int:" in rule.rule
    )


def test_the_packages_have_number_routes_to_check(app):
    endpoints = {endpoint for endpoint, _ in _number_routes(app)}
    assert {"consultations.round_page", "consultations.edit", "api.round_comments"} <= endpoints
    assert "notifications.mark_read" in endpoints


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_no_number_route_answers_500_to_a_strange_number(
    app, client, auth, session, open_round, number
):
    auth.login()
    slug = open_round.consultation.slug
    anchor = open_round.document.paragraphs[0].anchor
    for endpoint, rule in _number_routes(app):
        path = rule.replace("<slug>", slug).replace("<target>", anchor)
        path = re.sub(r"<int:\w+>", number, path)
        for method in sorted(app.url_map._rules_by_endpoint[endpoint][0].methods - {"HEAD"}):
            if method == "OPTIONS":
                continue
            response = client.open(path, method=method)
            assert response.status_code < 500, (endpoint, method, path)
            assert response.status_code in (302, 400, 404, 405), (endpoint, method, path)


@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_page_numbers_in_query_strings_never_answer_500(client, auth, session, open_round, number):
    user = auth.login()
    paragraph = open_round.document.paragraphs[0]
    factories.make_comment(session, open_round, user, paragraph=paragraph)
    slug = open_round.consultation.slug
    thread = f"/samrad/{slug}/omgang/1/synpunkter/{paragraph.anchor}"
    assert client.get(thread, query_string={"sida": number}).status_code == 200
    assert client.get("/notiser", query_string={"sida": number}).status_code == 200
    api = f"/api/v1/samrad/{slug}/omgang/1/synpunkter"
    for name in ("page", "per_page"):
        response = client.get(api, query_string={name: number})
        assert response.status_code in (200, 400), (name, number)
