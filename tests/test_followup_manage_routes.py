"""Staff's strategy pages: who may open and post to each (route × role), what a page shows
after a post, the refusals shown beside their fields, and the CSRF check."""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from consult.followup import strategies
from consult.groups import services as groups
from consult.models import (
    Action,
    ActionGoal,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Priority,
    Role,
    Strategy,
)

from . import factories
from .routes import endpoint_ids

RUS = {
    "title": "RUS 2020–2030",
    "slug": "rus-2030",
    "kind": "strategy",
    "starts_year": "2020",
    "ends_year": "2030",
    "position": "0",
}


@pytest.fixture
def world(session, admin, open_round):
    staff = factories.make_user(session, role=Role.STAFF, name="Stina Staff")
    strategy = strategies.create_strategy(session, staff, RUS)
    priority = strategies.create_priority(session, staff, strategy.id, {"title": "Innovation"})
    second = strategies.create_priority(session, staff, strategy.id, {"title": "Tillgänglighet"})
    goal = strategies.create_goal(
        session,
        staff,
        strategy.id,
        {"code": "1.1", "title": "Mer forskning", "priority_id": str(priority.id)},
    )
    target = strategies.create_target(
        session, staff, goal.id, {"value": "3", "unit": "%", "target_year": "2020"}
    )
    indicator = strategies.create_indicator(session, staff, {"code": "N1", "name": "FoU"})
    group = groups.create_group(
        session, staff, open_round.consultation_id, {"name": "Trafik", "position": 1}
    )
    member = factories.make_user(session, name="Maja Member")
    groups.add_member(session, staff, group.id, member.email, "chair")
    return SimpleNamespace(
        staff=staff,
        admin=admin,
        participant=factories.make_user(session, name="Pia Participant"),
        member=member,
        strategy=strategy,
        priority=priority,
        second=second,
        goal=goal,
        target=target,
        indicator=indicator,
    )


def manage_routes(w):
    s = w.strategy.slug
    p, g, t, i = w.priority.id, w.goal.id, w.target.id, w.indicator.id
    base = f"/uppfoljning/{s}/hantera"
    target = {"value": "4", "target_year": "2030"}
    version = {
        name: {"version": str(getattr(w, name).version)}
        for name in ("strategy", "priority", "goal", "target", "indicator")
    }
    return [
        ("get", "/uppfoljning/hantera", None),
        ("get", "/uppfoljning/hantera/ny", None),
        ("post", "/uppfoljning/hantera/ny", RUS | {"slug": "europa-2020", "title": "Europa"}),
        ("get", base, None),
        ("post", base, RUS | {"slug": s, "title": "RUS"} | version["strategy"]),
        ("post", f"{base}/publicera", {}),
        ("post", f"{base}/avpublicera", {}),
        ("post", f"{base}/inriktningar", {"title": "Attraktivitet"}),
        ("get", f"{base}/inriktningar/{p}", None),
        (
            "post",
            f"{base}/inriktningar/{p}",
            {"title": "Innovation", "position": "1"} | version["priority"],
        ),
        ("post", f"{base}/inriktningar/{p}/flytta", {"direction": "down"}),
        ("post", f"{base}/inriktningar/{w.second.id}/ta-bort", {}),
        ("get", f"{base}/mal/ny", None),
        ("post", f"{base}/mal/ny", {"title": "Nytt mål", "position": "0"}),
        ("get", f"{base}/mal/{g}", None),
        (
            "post",
            f"{base}/mal/{g}",
            {"title": "Mer forskning", "global_goals": ["9"]} | version["goal"],
        ),
        ("post", f"{base}/mal/{g}/ta-bort", {}),
        ("get", f"{base}/mal/{g}/malvarden/ny", None),
        ("post", f"{base}/mal/{g}/malvarden/ny", target),
        ("get", f"{base}/mal/{g}/malvarden/{t}", None),
        ("post", f"{base}/mal/{g}/malvarden/{t}", target | version["target"]),
        ("post", f"{base}/mal/{g}/malvarden/{t}/ta-bort", {}),
        ("get", f"{base}/indikatorer", None),
        ("post", f"{base}/indikatorer", {"code": "N2", "name": "Syss.", "direction": "higher"}),
        ("get", f"{base}/indikatorer/{i}", None),
        (
            "post",
            f"{base}/indikatorer/{i}",
            {"code": "N1", "name": "FoU", "direction": "higher"} | version["indicator"],
        ),
        ("post", f"{base}/indikatorer/{i}/ta-bort", {}),
    ]


PLACEHOLDER = SimpleNamespace(
    strategy=SimpleNamespace(slug="<slug>", version=1),
    priority=SimpleNamespace(id="<p>", version=1),
    second=SimpleNamespace(id="<p>", version=1),
    goal=SimpleNamespace(id="<g>", version=1),
    target=SimpleNamespace(id="<t>", version=1),
    indicator=SimpleNamespace(id="<i>", version=1),
)
ROUTES = manage_routes(PLACEHOLDER)
OK = {"get": 200, "post": 302}


@pytest.mark.parametrize("role", ["anonymous", "participant", "member", "staff", "admin"])
@pytest.mark.parametrize("index", range(len(ROUTES)), ids=endpoint_ids(ROUTES))
def test_manage_routes_by_role(client, auth, session, world, role, index):
    if role != "anonymous":
        auth.login(getattr(world, role))
    method, url, data = manage_routes(world)[index]
    response = client.get(url) if method == "get" else client.post(url, data=data)
    page = response.get_data(as_text=True)
    if role == "anonymous":
        assert response.status_code == 302
        assert "/konto/logga-in" in response.headers["Location"]
    elif role in ("participant", "member"):
        assert response.status_code == 403, page[:500]
    else:
        assert response.status_code == OK[method], page[:500]


def test_the_matrix_covers_every_manage_route(app, world):
    rules = {
        (method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("followup.manage_")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {
        (method, url.replace(world.strategy.slug, "<slug>"))
        for method, url, _data in manage_routes(PLACEHOLDER)
    }
    assert len(rules) == len(listed) == len(ROUTES)


def test_nothing_changes_for_those_refused(client, auth, session, world):
    auth.login(world.member)
    base = f"/uppfoljning/{world.strategy.slug}/hantera"
    assert client.post(f"{base}/publicera").status_code == 403
    assert client.post(f"{base}/mal/{world.goal.id}/ta-bort").status_code == 403
    session.expire_all()
    assert session.get(Strategy, world.strategy.id).published_at is None
    assert session.get(Goal, world.goal.id) is not None


def test_post_without_csrf_token_is_refused(client, auth, session, world):
    auth.login(world.staff)
    data = RUS | {"slug": "europa-2020", "title": "Europa"}
    response = client.post("/uppfoljning/hantera/ny", data=data, csrf=False)
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Strategy)) == 1


def test_staff_find_the_follow_up_in_the_header(client, auth, world):
    auth.login(world.staff)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/uppfoljning/hantera"' in page
    client.post("/konto/logga-ut")
    auth.login(world.participant)
    assert 'href="/uppfoljning/hantera"' not in client.get("/").get_data(as_text=True)


def test_the_list_shows_unpublished_strategies_and_a_new_one(client, auth, world):
    auth.login(world.staff)
    page = client.get("/uppfoljning/hantera").get_data(as_text=True)
    assert "RUS 2020–2030" in page and "Inte publicerad" in page
    assert 'href="/uppfoljning/hantera/ny"' in page and "Ny strategi" in page


def test_staff_create_a_strategy_and_land_on_its_overview(client, auth, session, world):
    auth.login(world.staff)
    data = RUS | {"slug": "europa-2020", "title": "Europa 2020", "kind": "framework"}
    response = client.post("/uppfoljning/hantera/ny", data=data)
    assert response.headers["Location"].endswith("/uppfoljning/europa-2020/hantera")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Europa 2020" in page and "Strategin Europa 2020 skapades." in page
    assert "Ramverk" in page


def test_bad_input_is_shown_beside_its_fields(client, auth, session, world):
    auth.login(world.staff)
    data = RUS | {"slug": "rus-2030", "ends_year": "2019", "title": "Annan"}
    response = client.post("/uppfoljning/hantera/ny", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="slug-error"' in page and "En annan strategi har redan den här adressen." in page
    assert 'id="ends_year-error"' in page and 'aria-describedby="ends_year-error"' in page
    # What was typed stays in the form.
    assert 'value="Annan"' in page
    assert session.scalar(select(func.count()).select_from(Strategy)) == 1


def test_the_overview_shows_priorities_goals_and_targets(client, auth, session, world):
    auth.login(world.staff)
    strategies.edit_goal(
        session,
        world.staff,
        world.goal.id,
        {
            "code": "1.1",
            "title": "Mer forskning",
            "priority_id": str(world.priority.id),
            "global_goals": ["9"],
        },
        version=world.goal.version,
    )
    page = client.get(f"/uppfoljning/{world.strategy.slug}/hantera").get_data(as_text=True)
    assert page.index("Innovation") < page.index("1.1 Mer forskning") < page.index("Tillgänglighet")
    assert "3 % senast 2020" in page
    assert "Mål 9" in page
    assert "Publicera" in page and "Indikatorer" in page


def test_publish_from_the_overview(client, auth, session, world, now):
    auth.login(world.staff)
    base = f"/uppfoljning/{world.strategy.slug}/hantera"
    client.post(f"{base}/publicera")
    page = client.get(base).get_data(as_text=True)
    assert "Publicerad" in page and "Avpublicera" in page
    session.expire_all()
    assert session.get(Strategy, world.strategy.id).published_at == now.get()


def test_a_goal_with_global_goals_chosen_in_the_picker(client, auth, session, world):
    auth.login(world.staff)
    base = f"/uppfoljning/{world.strategy.slug}/hantera"
    form = client.get(f"{base}/mal/ny?inriktning={world.second.id}").get_data(as_text=True)
    assert form.count('<details class="earlier-versions"') == 17
    assert f'<option selected value="{world.second.id}">' in form
    response = client.post(
        f"{base}/mal/ny",
        data={
            "priority_id": str(world.second.id),
            "title": "Snabbare resor",
            "global_goals": ["11", "9"],
            "indicator_ids": [str(world.indicator.id)],
        },
    )
    goal = session.scalar(select(Goal).where(Goal.title == "Snabbare resor"))
    assert response.headers["Location"].endswith(f"{base}/mal/{goal.id}")
    assert strategies.goal_global_goals(session, goal) == ["9", "11"]
    page = client.get(f"{base}/mal/{goal.id}").get_data(as_text=True)
    # The chosen goals' disclosures are open, their boxes ticked.
    assert page.count('<details class="earlier-versions" open>') == 2
    assert 'id="sdg-11" value="11" checked' in page
    assert f'id="indicator-{world.indicator.id}" value="{world.indicator.id}" checked' in page


def test_an_unknown_global_goal_is_refused_beside_the_picker(client, auth, session, world):
    auth.login(world.staff)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/mal/{world.goal.id}"
    response = client.post(url, data={"title": "Mer forskning", "global_goals": ["42"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="global_goals-error"' in page
    assert "Välj globala mål och delmål i listan." in page


def test_a_target_is_added_and_refusals_are_shown(client, auth, session, world):
    auth.login(world.staff)
    base = f"/uppfoljning/{world.strategy.slug}/hantera/mal/{world.goal.id}/malvarden"
    bad = {"value": "tre", "target_year": "2030", "area_code": "1234"}
    response = client.post(f"{base}/ny", data=bad)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="value-error"' in page and 'id="area_code-error"' in page
    good = {"label": "EU", "value": "3,5", "unit": "%", "target_year": "2030", "area_code": "2480"}
    response = client.post(f"{base}/ny", data=good)
    assert response.headers["Location"].endswith(f"/mal/{world.goal.id}#targets")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "EU: 3,5 % senast 2030" in page and "Umeå" in page
    assert session.scalar(select(func.count()).select_from(GoalTarget)) == 2


def test_refused_deletions_say_why(client, auth, session, world):
    auth.login(world.staff)
    base = f"/uppfoljning/{world.strategy.slug}/hantera"
    action = Action(strategy_id=world.strategy.id, code="A-1", title="Forskningslyft")
    session.add(action)
    session.flush()
    session.add(ActionGoal(action_id=action.id, goal_id=world.goal.id))
    session.add(
        IndicatorValue(indicator_id=world.indicator.id, area_code="24", year=2022, value=1.2)
    )
    session.commit()
    response = client.post(f"{base}/mal/{world.goal.id}/ta-bort", follow_redirects=True)
    assert "Insatser bidrar till det här målet." in response.get_data(as_text=True)
    response = client.post(
        f"{base}/indikatorer/{world.indicator.id}/ta-bort", follow_redirects=True
    )
    assert "Indikatorn har uppmätta värden." in response.get_data(as_text=True)
    response = client.post(
        f"{base}/inriktningar/{world.priority.id}/ta-bort", follow_redirects=True
    )
    assert "Inriktningen har mål." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Goal, world.goal.id) is not None
    assert session.get(Indicator, world.indicator.id) is not None
    assert session.get(Priority, world.priority.id) is not None


def test_another_strategys_goal_is_not_found(client, auth, session, world):
    other = strategies.create_strategy(session, world.staff, RUS | {"slug": "europa-2020"})
    auth.login(world.staff)
    assert client.get(f"/uppfoljning/{other.slug}/hantera/mal/{world.goal.id}").status_code == 404
    assert client.get("/uppfoljning/finns-inte/hantera").status_code == 404


@pytest.mark.parametrize("number", ["²", "٣", "99999999999999999999", "2147483648", "0"])
def test_no_strange_number_gives_a_server_error(app, client, auth, world, number):
    auth.login(world.staff)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("followup.manage_") or "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:\w+>", quote(number), rule.rule.replace("<slug>", "rus-2030"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.get(url) if method == "GET" else client.post(url)
            assert response.status_code == 404, (method, url, response.status_code)
    base = "/uppfoljning/rus-2030/hantera/mal"
    assert client.get(f"{base}/ny", query_string={"inriktning": number}).status_code == 200
    response = client.post(
        f"{base}/ny", data={"title": "Mål", "priority_id": number, "indicator_ids": [number]}
    )
    assert response.status_code == 422
    assert 'id="priority_id-error"' in response.get_data(as_text=True)
