"""Open data of the follow-up: a published strategy's goals, actions and indicators as JSON and
CSV with the documented schema, the formula guard, and who may read an unpublished one."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert

from consult.followup import opendata
from consult.models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    Direction,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Milestone,
    Priority,
    Role,
    Strategy,
    WorkingGroup,
    action_area,
    action_sdg,
    goal_sdg,
)
from tests import factories


def build_world(session, now, *, published=True) -> SimpleNamespace:
    """A strategy with a priority, two goals (one with a target on an indicator), three actions
    (one stopped, one answering a paragraph of the consultation) and indicator values."""
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(days=60), closes_at=now.get() - timedelta(days=30)
    )
    paragraph = round_.document.paragraphs[0]
    group = WorkingGroup(consultation=round_.consultation, slug="naringsliv", name="Näringsliv")
    strategy = Strategy(
        slug="rus",
        title="Regional utvecklingsstrategi 2020–2030",
        summary="Västerbottens väg.",
        starts_year=2020,
        ends_year=2030,
        adopted_on=date(2020, 6, 1),
        published_at=now.get() - timedelta(days=1) if published else None,
    )
    priority = Priority(strategy=strategy, title="Attraktiva livsmiljöer", position=1)
    employment = Indicator(
        code="N00914",
        name="Förvärvsarbetande 20–64 år",
        unit="%",
        source="SCB",
        direction=Direction.HIGHER,
    )
    emissions = Indicator(
        code="U00405", name="Utsläpp av växthusgaser", unit="ton/inv", direction=Direction.LOWER
    )
    goal_jobs = Goal(
        strategy=strategy,
        priority=priority,
        code="1.1",
        title="Fler i arbete",
        position=1,
        description="Sysselsättningen ska öka.",
        indicators=[employment],
    )
    goal_climate = Goal(
        strategy=strategy, priority=priority, code="1.2", title="Mindre utsläpp", position=2
    )
    target = GoalTarget(
        goal=goal_jobs,
        label="EU",
        value=75.0,
        unit="%",
        target_year=2030,
        baseline_year=2019,
        baseline_value=71.5,
        indicator=emissions,
        area_code="24",
    )
    a1 = Action(
        strategy=strategy,
        code="A-1",
        title='=HYPERLINK("http://x")',
        description="Mentorer",
        responsible="Region Västerbotten",
        group=group,
        starts_on=date(2024, 1, 1),
        ends_on=date(2026, 12, 31),
        status=ActionStatus.ONGOING,
        progress=40,
    )
    a2 = Action(
        strategy=strategy, code="A-2", title="Klimatkliv", status=ActionStatus.DONE, progress=100
    )
    a3 = Action(
        strategy=strategy, code="A-3", title="Nedlagd", status=ActionStatus.STOPPED, progress=10
    )
    session.add_all(
        [
            group,
            strategy,
            priority,
            employment,
            emissions,
            goal_jobs,
            goal_climate,
            target,
            a1,
            a2,
            a3,
        ]
    )
    session.flush()
    session.add_all(
        [
            ActionGoal(action=a1, goal=goal_jobs, weight=3),
            ActionGoal(action=a2, goal=goal_jobs, weight=1),
            ActionGoal(action=a3, goal=goal_jobs, weight=5),
            ActionGoal(action=a2, goal=goal_climate, weight=1),
            Milestone(action=a1, due_on=date(2024, 6, 1), title="Start", done_on=date(2024, 5, 30)),
            Milestone(action=a1, due_on=date(2025, 6, 1), title="Halvtid"),
            ActionSource(action=a1, paragraph_id=paragraph.id),
            IndicatorValue(indicator=employment, area_code="24", year=2022, value=80.1),
            IndicatorValue(indicator=employment, area_code="2480", year=2022, value=81.5),
            IndicatorValue(indicator=employment, area_code="24", year=2023, value=-0.5),
            IndicatorValue(indicator=emissions, area_code="24", year=2023, value=4.2),
        ]
    )
    session.execute(insert(goal_sdg), [{"goal_id": goal_jobs.id, "code": c} for c in ("8.5", "8")])
    session.execute(insert(action_sdg), [{"action_id": a1.id, "code": "8.6"}])
    session.execute(
        insert(action_area), [{"action_id": a1.id, "area_code": c} for c in ("2482", "2480")]
    )
    session.commit()
    return SimpleNamespace(
        strategy=strategy,
        goal_jobs=goal_jobs,
        goal_climate=goal_climate,
        a1=a1,
        a2=a2,
        round=round_,
        paragraph=paragraph,
    )


@pytest.fixture
def world(session, now):
    return build_world(session, now)


def get_json(client, name, slug="rus"):
    response = client.get(f"/uppfoljning/{slug}/data/{name}.json")
    assert response.status_code == 200, response.get_data(True)[:300]
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_goals_json(client, world):
    data = get_json(client, "goals")
    assert data["schema"] == "consult.followup/goals" and data["version"] == 1
    assert data["strategy"]["title"] == "Regional utvecklingsstrategi 2020–2030"
    assert data["strategy"]["adopted_on"] == "2020-06-01"
    assert data["strategy"]["url"].endswith("/uppfoljning/rus")
    jobs, climate = data["items"]
    assert jobs["code"] == "1.1" and jobs["priority"] == "Attraktiva livsmiljöer"
    # (3 × 40 + 1 × 100) / 4 = 55; the stopped action is not counted.
    assert jobs["progress"] == 55
    assert jobs["global_goals"] == ["8", "8.5"]
    assert jobs["indicators"] == ["N00914"]
    assert jobs["targets"] == [
        {
            "label": "EU",
            "value": 75.0,
            "unit": "%",
            "target_year": 2030,
            "baseline_year": 2019,
            "baseline_value": 71.5,
            "indicator": "U00405",
            "area_code": "24",
        }
    ]
    assert jobs["url"].endswith(f"/uppfoljning/rus/mal/{world.goal_jobs.id}")
    assert climate["progress"] == 100 and climate["targets"] == []


def test_actions_json(client, world):
    data = get_json(client, "actions")
    assert data["schema"] == "consult.followup/actions"
    a1, a2, a3 = data["items"]
    assert [a1["code"], a2["code"], a3["code"]] == ["A-1", "A-2", "A-3"]
    assert a1["group"] == "Näringsliv" and a1["responsible"] == "Region Västerbotten"
    assert a1["status"] == "ongoing" and a1["progress"] == 40
    assert a1["starts_on"] == "2024-01-01" and a1["ends_on"] == "2026-12-31"
    assert a1["areas"] == ["2480", "2482"] and a1["global_goals"] == ["8.6"]
    assert a1["goals"] == [{"goal_id": world.goal_jobs.id, "goal_code": "1.1", "weight": 3}]
    assert a1["milestones"] == [
        {"due_on": "2024-06-01", "title": "Start", "done_on": "2024-05-30"},
        {"due_on": "2025-06-01", "title": "Halvtid", "done_on": None},
    ]
    [source] = a1["sources"]
    assert source["kind"] == "paragraph" and source["id"] == world.paragraph.id
    assert source["url"].endswith(
        f"/samrad/{world.round.consultation.slug}/omgang/1/#{world.paragraph.anchor}"
    )
    assert a1["updated_at"].startswith("20")
    assert a2["group"] is None and a2["starts_on"] is None and len(a2["goals"]) == 2
    assert a3["status"] == "stopped"


def test_indicators_json_long_format(client, world):
    data = get_json(client, "indicators")
    assert [i["code"] for i in data["items"]] == ["N00914", "U00405"]
    employment = data["items"][0]
    assert employment["direction"] == "higher" and employment["unit"] == "%"
    assert employment["values"] == [
        {"area_code": "24", "area_name": "Västerbottens län", "year": 2022, "value": 80.1},
        {"area_code": "24", "area_name": "Västerbottens län", "year": 2023, "value": -0.5},
        {"area_code": "2480", "area_name": "Umeå", "year": 2022, "value": 81.5},
    ]


def read_csv(client, name):
    response = client.get(f"/uppfoljning/rus/data/{name}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="rus-{name}.csv"'
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # Excel reads å, ä, ö
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def as_cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


@pytest.mark.parametrize("name", ["goals", "actions"])
def test_csv_has_the_same_rows_as_the_json(client, world, name):
    data = get_json(client, name)
    header, *rows = read_csv(client, name)
    scalar = [f.name for f in opendata.FILES[name].fields if f.type != "objects"]
    assert header == scalar
    expected = [[as_cell(item[key]) for key in scalar] for item in data["items"]]
    # The formula-like title is the only cell that differs: it is quoted.
    assert [[c.removeprefix("'") for c in row] for row in rows] == expected
    assert len(rows) == len(data["items"])


def test_indicators_csv_one_row_per_value(client, world):
    header, *rows = read_csv(client, "indicators")
    assert header == [
        "code",
        "name",
        "unit",
        "source",
        "direction",
        "description",
        "area_code",
        "area_name",
        "year",
        "value",
    ]
    assert rows[0] == [
        "N00914",
        "Förvärvsarbetande 20–64 år",
        "%",
        "SCB",
        "higher",
        "",
        "24",
        "Västerbottens län",
        "2022",
        "80.1",
    ]
    assert len(rows) == 4
    # A negative number is a number, not a formula: left as it is.
    assert rows[1][-1] == "-0.5"


def test_formula_guard(client, world):
    _header, *rows = read_csv(client, "actions")
    assert rows[0][2] == '\'=HYPERLINK("http://x")'
    assert opendata._cell("+1") == "'+1" and opendata._cell("@x") == "'@x"
    assert opendata._cell("-x") == "'-x" and opendata._cell(-3) == -3
    assert opendata._cell(["8", "8.5"]) == "8;8.5" and opendata._cell(None) == ""


def test_json_file_name_and_unknown_names(client, world):
    response = client.get("/uppfoljning/rus/data/goals.json")
    assert 'filename="rus-goals.json"' in response.headers["Content-Disposition"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/uppfoljning/rus/data/users.json").status_code == 404
    assert client.get("/uppfoljning/rus/data/goals.xml").status_code == 404
    assert client.get("/uppfoljning/finns-inte/data/goals.json").status_code == 404


def test_unpublished_strategy_is_not_public(client, auth, session, now):
    build_world(session, now, published=False)
    for name in ("goals", "actions", "indicators"):
        assert client.get(f"/uppfoljning/rus/data/{name}.json").status_code == 404
        assert client.get(f"/uppfoljning/rus/data/{name}.csv").status_code == 404
    auth.login(role=Role.PARTICIPANT)
    assert client.get("/uppfoljning/rus/data/goals.json").status_code == 404
    client.post("/konto/logga-ut")
    auth.login(role=Role.STAFF)
    assert get_json(client, "goals")["strategy"]["published_at"] is None
    response = client.get("/uppfoljning/rus/data/actions.csv")
    assert response.status_code == 200
    # Not for shared caches, nor for other sites' scripts.
    assert "no-store" in response.headers["Cache-Control"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_documented_fields_equal_the_keys_in_the_data(client, world):
    for name, spec in opendata.FILES.items():
        data = get_json(client, name)
        assert list(data) == ["schema", "version", "strategy", "items"]
        assert list(data["strategy"]) == [f.name for f in opendata.STRATEGY_FIELDS]
        for item in data["items"]:
            assert list(item) == [f.name for f in spec.fields]
            for field in spec.fields:
                if field.parts:
                    for part in item[field.name]:
                        assert list(part) == [p.name for p in field.parts]
                elif item[field.name] is None:
                    assert field.optional, (name, field.name)


def test_documentation_page_lists_every_field(client, world):
    response = client.get("/uppfoljning/oppna-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Öppna data" in page
    for spec in opendata.FILES.values():
        assert f"consult.followup/{spec.name}" in page
        assert f"/uppfoljning/rus/data/{spec.name}.csv" in page
        for field in spec.fields:
            assert f"<code>{field.name}</code>" in page
            for part in field.parts:
                assert f"<code>{part.name}</code>" in page
    assert str(opendata.FILES["actions"].fields[0].meaning) not in ("", None)


def test_documentation_page_without_published_strategies(client, session, now):
    build_world(session, now, published=False)
    page = client.get("/uppfoljning/oppna-data").get_data(as_text=True)
    assert "/uppfoljning/rus/data" not in page


def add_theme_sources(session, world, now, *, reviewed: bool, results_published: bool):
    """Link action A-2 to a theme's synthesis response and to the theme itself."""
    from consult.models import Origin, Synthesis, Theme, WorkStatus

    theme = Theme(round_id=world.round.id, name="Fler jobb", origin=Origin.STAFF)
    session.add(theme)
    session.flush()
    entry = Synthesis(
        round_id=world.round.id,
        theme_id=theme.id,
        summary="Många vill ha fler jobb.",
        status=WorkStatus.REVIEWED if reviewed else WorkStatus.DRAFTED,
    )
    session.add(entry)
    session.flush()
    session.add_all(
        [
            ActionSource(action=world.a2, synthesis_id=entry.id),
            ActionSource(action=world.a2, theme_id=theme.id),
        ]
    )
    if results_published:
        world.round.results_published_at = now.get() - timedelta(days=2)
    session.commit()
    return theme, entry


def test_sources_public_once_the_reviewed_response_is_published(client, session, world, now):
    theme, entry = add_theme_sources(session, world, now, reviewed=True, results_published=True)
    a2 = get_json(client, "actions")["items"][1]
    assert [(s["kind"], s["id"]) for s in a2["sources"]] == [
        ("synthesis", entry.id),
        ("theme", theme.id),
    ]
    for source in a2["sources"]:
        assert source["url"].endswith(
            f"/samrad/{world.round.consultation.slug}/omgang/1/#public-theme-{theme.id}"
        )


@pytest.mark.parametrize("reviewed,published", [(False, True), (True, False)])
def test_sources_without_url_while_not_public(client, session, world, now, reviewed, published):
    add_theme_sources(session, world, now, reviewed=reviewed, results_published=published)
    a2 = get_json(client, "actions")["items"][1]
    assert [s["kind"] for s in a2["sources"]] == ["synthesis", "theme"]
    assert [s["url"] for s in a2["sources"]] == [None, None]


def test_paragraph_of_an_unopened_round_has_no_url(client, session, world):
    world.round.opens_at = None
    session.commit()
    [source] = get_json(client, "actions")["items"][0]["sources"]
    assert source["kind"] == "paragraph" and source["url"] is None


def test_a_strategy_scheduled_for_later_is_not_open_to_other_sites(client, auth, session, now):
    """A publication time still to come is not public: staff read the files, but they are
    kept out of shared caches and other sites' scripts; the public gets 404."""
    world = build_world(session, now, published=False)
    world.strategy.published_at = now.get() + timedelta(days=7)
    session.commit()
    assert client.get("/uppfoljning/rus/data/actions.json").status_code == 404
    auth.login(role=Role.STAFF)
    for url in ("/uppfoljning/rus/data/actions.csv", "/uppfoljning/rus/data/goals.json"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"]
        assert "Access-Control-Allow-Origin" not in response.headers


def add_many(session, world, start: int, count: int) -> None:
    """Add ``count`` actions, each with its own goal (with an indicator, a value and a
    target), a goal link, a milestone, a source, a global goal and an area."""
    for number in range(start, start + count):
        indicator = Indicator(code=f"X{number:04}", name=f"Mått {number}", unit="st")
        goal = Goal(
            strategy=world.strategy,
            code=f"9.{number}",
            title=f"Mål {number}",
            position=10 + number,
            indicators=[indicator],
        )
        action = Action(
            strategy=world.strategy,
            code=f"B-{number:03}",
            title=f"Insats {number}",
            group=world.a1.group,
            progress=number % 100,
        )
        session.add_all(
            [
                indicator,
                goal,
                action,
                GoalTarget(goal=goal, value=1.0, target_year=2030, indicator=indicator),
                IndicatorValue(indicator=indicator, area_code="24", year=2022, value=number),
                ActionGoal(action=action, goal=goal, weight=2),
                Milestone(action=action, due_on=date(2025, 1, 1), title=f"Steg {number}"),
                ActionSource(action=action, paragraph_id=world.paragraph.id),
            ]
        )
        session.flush()
        session.execute(insert(action_sdg), [{"action_id": action.id, "code": "9"}])
        session.execute(insert(action_area), [{"action_id": action.id, "area_code": "2480"}])
        session.execute(insert(goal_sdg), [{"goal_id": goal.id, "code": "9.5"}])
    session.commit()


def statements(app, client, url: str) -> int:
    """How many SQL statements answering ``url`` takes."""
    from sqlalchemy import event

    found = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(found)


def test_the_number_of_queries_does_not_grow_with_the_items(app, client, session, world):
    """Each file is built with a fixed number of queries, however many actions, goals and
    indicators the strategy has (no query per item)."""
    add_many(session, world, 0, 5)
    names = ("actions", "goals", "indicators")
    few = {n: statements(app, client, f"/uppfoljning/rus/data/{n}.json") for n in names}
    add_many(session, world, 5, 35)
    many = {n: statements(app, client, f"/uppfoljning/rus/data/{n}.json") for n in names}
    assert many == few
    assert len(get_json(client, "actions")["items"]) == 3 + 40
    item = next(i for i in get_json(client, "actions")["items"] if i["code"] == "B-039")
    assert item["global_goals"] == ["9"] and item["areas"] == ["2480"]
    assert [m["title"] for m in item["milestones"]] == ["Steg 39"]
    assert [(g["goal_code"], g["weight"]) for g in item["goals"]] == [("9.39", 2)]
    goal = next(g for g in get_json(client, "goals")["items"] if g["code"] == "9.39")
    assert goal["indicators"] == ["X0039"] and goal["progress"] == 39
    assert len(get_json(client, "indicators")["items"]) == 2 + 40
