"""Every public follow-up route: open to anonymous visitors for a published strategy, not found
for an unpublished one (staff may look); the list of rules is checked against the app's, so a
new public route cannot go untested. Also the chart's drawing and the global goals' colours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from consult.followup import agenda2030, chart, numbers, public
from consult.models import Role
from tests.routes import endpoint_ids
from tests.test_followup_public import build_world

ROUTES = [
    # (endpoint, URL pattern, needs an unpublished twin)
    ("followup.public_index", "/uppfoljning"),
    ("followup.public_strategy", "/uppfoljning/<slug>"),
    ("followup.public_goal", "/uppfoljning/<slug>/mal/<goal>"),
    ("followup.public_action", "/uppfoljning/<slug>/insatser/<action>"),
]


def url(pattern: str, world, *, published: bool) -> str:
    slug = world.strategy.slug if published else world.hidden.slug
    goal = world.goals["jobs" if published else "secret"].id
    action = world.actions["a1" if published else "secret"].id
    return (
        pattern.replace("<slug>", slug)
        .replace("<goal>", str(goal))
        .replace("<action>", str(action))
    )


@pytest.fixture
def world(session, now):
    return build_world(session, now.get())


def test_every_public_followup_rule_is_in_the_matrix(app):
    rules = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("followup.public_")
    }
    assert rules == {endpoint for endpoint, _ in ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("followup.public_"):
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule


@pytest.mark.parametrize(
    "index", range(len(ROUTES)), ids=endpoint_ids([("get", p) for _, p in ROUTES])
)
def test_anonymous_visitors_read_a_published_strategy(client, world, index):
    _, pattern = ROUTES[index]
    response = client.get(url(pattern, world, published=True))
    assert response.status_code == 200
    assert "<h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "index", range(1, len(ROUTES)), ids=endpoint_ids([("get", p) for _, p in ROUTES[1:]])
)
@pytest.mark.parametrize("role", ["anonymous", "participant", "staff"])
def test_an_unpublished_strategy_is_for_staff_only(client, auth, world, index, role):
    if role == "participant":
        auth.login()
    elif role == "staff":
        auth.login(role=Role.STAFF)
    _, pattern = ROUTES[index]
    response = client.get(url(pattern, world, published=False))
    assert response.status_code == (200 if role == "staff" else 404)
    if role != "staff":
        assert "Hemlig" not in response.get_data(as_text=True)


def test_the_list_leaves_out_the_unpublished_strategy_even_for_staff(client, auth, world):
    auth.login(role=Role.STAFF)
    html = client.get("/uppfoljning").get_data(as_text=True)
    assert "Regional utvecklingsstrategi" in html
    assert "Ett utkast till plan" not in html


# --- The chart ------------------------------------------------------------------------------


def test_the_chart_draws_each_area_the_target_and_the_baseline():
    svg = chart.line_chart(
        "c1",
        "Sysselsättning, %",
        "Linjediagram.",
        [
            chart.Series("Västerbottens län", ((2019, 78.0), (2020, 77.1), (2021, 78.3))),
            chart.Series("Umeå", ((2021, 80.1),)),
        ],
        [chart.TargetLine("Mål: 80 %", 80, 2030, baseline_year=2019, baseline_value=78)],
    )
    assert svg.startswith('<svg class="indicator-chart" id="c1" role="img"')
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Sysselsättning, %</title>' in svg
    # A line for the county, a lone point for Umeå, each named in the legend.
    assert svg.count('<path class="chart-line"') == 1
    assert ">Västerbottens län</text>" in svg and ">Umeå</text>" in svg
    # The target: dashed, labelled, in the plot and the legend; the baseline ringed.
    assert svg.count('class="chart-target"') == 2
    assert svg.count(">Mål: 80 %</text>") == 2
    assert 'class="chart-baseline"' in svg
    # The x axis runs to the target year.
    assert ">2030</text>" in svg
    assert "<script" not in svg and "style=" not in svg


def test_the_chart_escapes_names():
    svg = chart.line_chart("c2", "<b>x</b>", "a & b", [chart.Series("<i>", ((2020, 1.0),))])
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a &amp; b" in svg and "<i>" not in svg


def test_a_chart_without_values_is_an_empty_named_image():
    svg = chart.line_chart("c3", "Tomt", "Inga värden.", [])
    assert 'role="img"' in svg and "<path" not in svg and svg.endswith("</svg>")


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0, 100, [0, 25, 50, 75, 100]), (77.1, 80, [77, 78, 79, 80]),
     (5, 5, [4.5, 4.75, 5, 5.25, 5.5]),
     # The highest value above the last round step still gets a tick above it.
     (0, 83, [0, 25, 50, 75, 100]), (78, 83, [78, 80, 82, 84]), (2.5, 6.5, [2, 3, 4, 5, 6, 7])],
)  # fmt: skip
def test_ticks_are_round_numbers_covering_the_values(low, high, expected):
    ticks = chart.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    assert ticks == expected


# --- Numbers and colours -------------------------------------------------------------------


def test_numbers_use_the_swedish_decimal_comma(app):
    with app.test_request_context("/"):
        assert numbers.number(1234.5) == "1\xa0234,5"
        assert numbers.number(12.0) == "12"
        assert numbers.number(-3.25, 2) == "−3,25"
        assert numbers.number(-0.01) == "0"
        assert numbers.number(80.1, unit="%") == "80,1 %"
        assert numbers.percent(45.4) == "45 %"
        assert numbers.signed(1.2) == "+1,2"
        assert numbers.signed(-0.44) == "−0,4"
        assert numbers.signed(0.01) == "0"
        assert numbers.number(None) == "–"


def test_a_change_of_a_percentage_is_in_percentage_points(app):
    points = [(2021, 78.5), (2023, 80.1), (2022, 79.0)]
    with app.test_request_context("/"):
        change = numbers.latest_change("%", "higher", points)
        assert (change.since, change.year) == (2022, 2023)
        assert change.text == "+1,1 procentenheter sedan 2022"
        assert change.good is True
        assert numbers.latest_change("personer", "lower", points).good is False
        tiny = numbers.latest_change("%", "higher", [(2022, 5.0), (2023, 5.01)])
        assert tiny.good is None and tiny.verdict == "oförändrat"
        assert numbers.latest_change("%", "higher", points[:1]) is None


CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "app.css"


def test_every_global_goal_badge_reads_at_4_5_to_1():
    css = CSS.read_text(encoding="utf-8")
    for goal in agenda2030.goals():
        rule = re.search(
            rf"\.sdg-{goal.number} \{{ background: (#[0-9A-Fa-f]{{6}});"
            rf" color: (#[0-9a-f]{{6}}); \}}",
            css,
        )
        assert rule, f"no badge colours for goal {goal.number}"
        background, text = rule.groups()
        assert background.lower() == goal.colour.lower()
        assert public.contrast(background, text) >= 4.5, goal.number
