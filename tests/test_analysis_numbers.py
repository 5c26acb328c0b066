"""No number in an analysis or synthesis URL, query string or form gives a server error.

``"²".isdigit()`` is true but ``int("²")`` fails; ``"٣"`` is an Arabic-Indic three; a number
with twenty digits fits no id column. Every route of the two areas that takes a number is
asked with each of them, as a signed-in member of staff, and must answer with a refusal or
a page, never 500.
"""

from __future__ import annotations

import re

import pytest

from consult.models import Origin, Role, Synthesis, Theme, ThemeAssignment, ThemeProposal

from . import factories

ODD_NUMBERS = ["²", "٣", "99999999999999999999", "-1", "0", "1.5", " 7", ""]
# The form fields and query arguments the analysis and synthesis routes read as numbers.
NUMBER_FIELDS = [
    "version",
    "theme",
    "from_theme",
    "to_theme",
    "others",
    "comments",
    "parts",
    "back",
]
NUMBER_ARGS = ["sida", "kapitel", "stycke", "organisation"]


@pytest.fixture
def world(session, open_round, now):
    """A round with a theme (tagged on a comment, with a proposal and a synthesis entry)."""
    staff = factories.make_user(session, role=Role.STAFF)
    author = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    comment = factories.make_comment(session, open_round, author, paragraph=paragraph)
    other = factories.make_comment(session, open_round, author, body="En till.")
    theme = Theme(round_id=open_round.id, name="Trafik", origin=Origin.STAFF)
    second = Theme(round_id=open_round.id, name="Skola", origin=Origin.STAFF)
    session.add_all([theme, second])
    session.flush()
    session.add(ThemeAssignment(comment_id=comment.id, theme_id=theme.id, source=Origin.STAFF))
    proposal = ThemeProposal(theme_id=theme.id, comment_id=other.id, score=0.9)
    session.add(proposal)
    session.add(Synthesis(round_id=open_round.id, theme_id=theme.id, summary="Kort.", version=None))
    session.commit()
    return {
        "staff": staff,
        "round_id": open_round.id,
        "theme_id": theme.id,
        "theme_key": theme.id,
        "comment_id": comment.id,
        "proposal_id": proposal.id,
        "paragraph_id": paragraph.id,
    }


def numbered_rules(app):
    """The analysis and synthesis URL rules with a number in them, and their methods."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("analysis", "synthesis") and rule.arguments
    ]


def url_with(rule, values: dict, odd_name: str, odd: str) -> str:
    """The rule's URL with ``values``, its part ``odd_name`` written as ``odd``."""
    url = rule.rule
    for name in rule.arguments:
        text = odd if name == odd_name else str(values[name])
        url = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", text, url)
    return url


def test_every_numbered_route_is_checked(app):
    endpoints = {rule.endpoint for rule in numbered_rules(app)}
    # The test below asks all of these: a new route with a number joins it automatically.
    assert {
        "analysis.round_page",
        "analysis.theme",
        "analysis.move_tag",
        "analysis.bulk_tags",
        "analysis.accept_proposal",
        "synthesis.theme",
        "synthesis.paragraph",
        "synthesis.export_csv",
        "synthesis.report_docx",
    } <= endpoints


def test_odd_numbers_in_urls_are_refused_not_a_server_error(app, client, auth, world):
    auth.login(world["staff"])
    asked = 0
    for rule in numbered_rules(app):
        for name in rule.arguments:
            for odd in ODD_NUMBERS:
                url = url_with(rule, world, name, odd)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.post(url, data={"version": "1"})
                    response.close()  # downloads hold a file open until closed
                    asked += 1
                    assert response.status_code < 500, (rule.endpoint, method, url)
    assert asked > 300


def test_a_superscript_theme_number_is_not_found(client, auth, world):
    auth.login(world["staff"])
    assert client.get(f"/analys/omgang/{world['round_id']}/tema/²").status_code == 404
    assert client.get(f"/analys/omgang/{world['round_id']}/tema/-1").status_code == 404
    huge = "/analys/omgang/99999999999999999999/"
    assert client.get(huge).status_code == 404


@pytest.mark.parametrize("odd", ODD_NUMBERS)
def test_odd_numbers_in_forms_and_query_strings_are_no_server_error(app, client, auth, world, odd):
    auth.login(world["staff"])
    values = {**world, "theme_key": world["theme_id"]}
    for rule in numbered_rules(app):
        url = url_with(rule, values, "", "")
        if "POST" in rule.methods:
            data = {name: odd for name in NUMBER_FIELDS}
            data["action"] = "move"
            response = client.post(url, data=data)
            response.close()
            assert response.status_code < 500, (rule.endpoint, "POST", odd)
        if "GET" in rule.methods:
            response = client.get(url, query_string={name: odd for name in NUMBER_ARGS})
            response.close()
            assert response.status_code < 500, (rule.endpoint, "GET", odd)
