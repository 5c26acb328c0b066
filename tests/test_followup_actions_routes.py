"""The action pages: who may open and post each one (a route × role matrix over every
``followup.action_*`` rule), and what staff and a working group see and do there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult import clock
from consult.followup import actions
from consult.followup.labels import MESSAGES
from consult.models import Action, ActionSource, ActionStatus, Milestone

from .routes import endpoint_ids
from .test_followup_actions import build_world


@pytest.fixture
def world(session, now):
    w = build_world(session, now)
    w.milestone = actions.add_milestone(
        session, w.staff, w.action_a, {"due_on": "2025-06-01", "title": "Upphandling"}
    )
    w.source = actions.link_source(session, w.staff, w.action_a, kind="theme", target_id=w.theme.id)
    return w


def details_form(w, **changes) -> dict:
    data = {
        "version": "1",
        "code": "A-1",
        "title": "Snabbare tåg till kusten",
        "description": "",
        "responsible": "",
        "group_id": str(w.group_a.id),
        "starts_on": "2024-01-01",
        "ends_on": "2026-12-31",
        "status": "ongoing",
        "progress": "45",
        "goals": [str(w.goals[0].id)],
        f"weight-{w.goals[0].id}": "2",
        "global_goals": ["9"],
        "areas": ["2480"],
    }
    data.update(changes)
    return data


# (method, endpoint, url, form data, whether a member of the action's group may use it)
def action_routes(w):
    base = f"/uppfoljning/{w.strategy.slug}/hantera/insatser"
    a = f"{base}/{w.action_a.id}"
    m = f"{a}/milstolpar/{w.milestone.id}"
    milestone = {"ms-due_on": "2025-09-01", "ms-title": "Bygget börjar"}
    return [
        ("get", "action_list", base, None, True),
        ("get", "action_new", f"{base}/ny", None, False),
        ("post", "action_new", f"{base}/ny", details_form(w, code="A-9"), False),
        ("get", "action_edit", a, None, True),
        ("post", "action_edit", a, details_form(w, title="Nytt namn"), False),
        (
            "post",
            "action_status",
            f"{a}/status",
            {"version": "1", "status": "done", "progress": "100"},
            True,
        ),
        ("post", "action_milestone_add", f"{a}/milstolpar", milestone, True),
        ("get", "action_milestone_edit", m, None, True),
        ("post", "action_milestone_edit", m, milestone, True),
        ("post", "action_milestone_done", f"{m}/klar", {"klar": "1"}, True),
        ("post", "action_milestone_delete", f"{m}/ta-bort", {}, True),
        ("get", "action_sources", f"{a}/kallor", None, True),
        (
            "post",
            "action_source_link",
            f"{a}/kallor",
            {"kind": "synthesis", "target": str(w.synthesis.id)},
            True,
        ),
        ("post", "action_source_unlink", f"{a}/kallor/{w.source.id}/ta-bort", {}, True),
        ("get", "action_delete", f"{a}/ta-bort", None, False),
        ("post", "action_delete", f"{a}/ta-bort", {}, False),
    ]


PLACEHOLDER = SimpleNamespace(
    strategy=SimpleNamespace(slug="<slug>"),
    action_a=SimpleNamespace(id="<a>"),
    milestone=SimpleNamespace(id="<m>"),
    source=SimpleNamespace(id="<s>"),
    synthesis=SimpleNamespace(id="<syn>"),
    group_a=SimpleNamespace(id="<g>"),
    goals=[SimpleNamespace(id="<goal>")],
)
ROUTES = action_routes(PLACEHOLDER)
OK = {"get": 200, "post": 302}
ROLES = ["anonymous", "participant", "member_b", "member_a", "staff"]


def expected(role: str, route) -> int:
    method, endpoint, _url, _data, members = route
    if role == "anonymous":
        return 302
    if role == "staff":
        return OK[method]
    if role == "member_a":
        return OK[method] if members else 403
    if role == "member_b" and endpoint == "action_list":
        return 200  # their own group's actions (none of the other group's: tested below)
    return 403


def test_the_matrix_covers_every_action_rule(app):
    rules = {
        (method.lower(), rule.endpoint.removeprefix("followup."))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("followup.action_")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(method, endpoint) for method, endpoint, *_ in ROUTES}
    assert rules == listed


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("index", range(len(ROUTES)), ids=endpoint_ids([r[::2] for r in ROUTES]))
def test_action_routes_by_role(client, auth, session, world, role, index):
    if role != "anonymous":
        auth.login(getattr(world, role))
    route = action_routes(world)[index]
    method, _endpoint, url, data, _members = route
    response = client.get(url) if method == "get" else client.post(url, data=data)
    assert response.status_code == expected(role, route), response.get_data(True)[:800]
    if role == "anonymous":
        assert "/konto/logga-in" in response.headers["Location"]
    if response.status_code == 403 and method == "post":
        session.expire_all()
        action = session.get(Action, world.action_a.id)
        assert action is not None and action.title == "Snabbare tåg till kusten"
        assert (action.status, action.progress) == (ActionStatus.ONGOING, 40)


# -- what staff and the groups see and do ----------------------------------------------------


def test_staff_create_an_action_on_the_form_and_find_it_in_the_list(client, auth, session, world):
    auth.login(world.staff)
    base = f"/uppfoljning/{world.strategy.slug}/hantera/insatser"
    page = client.get(f"{base}/ny").get_data(as_text=True)
    assert 'name="code"' in page and world.goals[1].title in page and "Umeå" in page

    response = client.post(f"{base}/ny", data=details_form(world, code="C-7", title="Laddstolpar"))

    assert response.status_code == 302
    created = session.scalar(select(Action).where(Action.code == "C-7"))
    assert response.headers["Location"].endswith(f"{base}/{created.id}")
    assert actions.goal_weights(created) == {world.goals[0].id: 2}
    listed = client.get(base).get_data(as_text=True)
    assert "C-7 Laddstolpar" in listed and '<span class="progress-text">45 %</span>' in listed
    filtered = client.get(f"{base}?status=done").get_data(as_text=True)
    assert "Laddstolpar" not in filtered


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"progress": "101"}, "progress", "percent"),
        ({"progress": "-1"}, "progress", "percent"),
        ({"progress": "abc"}, "progress", "percent"),
        ({"starts_on": "2026-01-01", "ends_on": "2025-01-01"}, "ends_on", "ends_before_start"),
        ({"code": "B-1"}, "code", "code_taken"),
    ],
)
def test_a_refused_form_shows_the_error_beside_the_field(
    client, auth, session, world, changes, field, key
):
    auth.login(world.staff)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/insatser/ny"

    response = client.post(url, data=details_form(world, **({"code": "N-1"} | changes)))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="{field}-error">{MESSAGES[key]}</p>' in page
    assert f'aria-describedby="{field}-hint {field}-error"' in page or (
        f'aria-describedby="{field}-error"' in page
    )
    assert session.scalar(select(Action).where(Action.code == "N-1")) is None


def test_a_member_updates_their_action_but_sees_no_details_form(client, auth, session, world):
    auth.login(world.member_a)
    base = f"/uppfoljning/{world.strategy.slug}/hantera/insatser"
    listed = client.get(base).get_data(as_text=True)
    assert "A-1 Snabbare tåg" in listed and "Yrkesutbildning" not in listed
    page = client.get(f"{base}/{world.action_a.id}").get_data(as_text=True)
    assert 'name="code"' not in page and 'name="progress"' in page
    assert "Ta bort insatsen" not in page

    response = client.post(
        f"{base}/{world.action_a.id}/status",
        data={"version": "1", "status": "ongoing", "progress": "101"},
    )
    assert response.status_code == 422
    assert str(MESSAGES["percent"]) in response.get_data(as_text=True)

    response = client.post(
        f"{base}/{world.action_a.id}/status",
        data={"version": "1", "status": "done", "progress": "100"},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Action, world.action_a.id).progress == 100
    # Someone else's list: the other group's member sees only their own action.
    auth.login(world.member_b)
    assert "Snabbare tåg" not in client.get(base).get_data(as_text=True)


def test_a_stale_form_is_refused_with_the_saved_version_beside_it(client, auth, session, world):
    auth.login(world.staff)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/insatser/{world.action_a.id}"
    actions.update_status(
        session, world.member_a, world.action_a, status="ongoing", progress="70", version=1
    )

    response = client.post(url, data=details_form(world, title="Mitt namn", version="1"))

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Någon annan sparade insatsen" in page
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    assert "Mitt namn" in page  # the editor's words are kept in the form
    session.expire_all()
    assert session.get(Action, world.action_a.id).title == "Snabbare tåg till kusten"


def test_a_member_links_a_response_chosen_from_the_consultation(client, auth, session, world):
    auth.login(world.member_a)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/insatser/{world.action_a.id}/kallor"
    page = client.get(url).get_data(as_text=True)
    paragraph = world.round.document.paragraphs[0]
    assert "Godtas" in page
    assert "Många vill ha snabbare tåg." in page
    assert f"Stycke {paragraph.number}" in page
    assert "Något annat." not in page  # another consultation's response

    response = client.post(url, data={"kind": "synthesis", "target": str(world.synthesis.id)})
    assert response.status_code == 302
    edit = client.get(url.removesuffix("/kallor")).get_data(as_text=True)
    assert "Många vill ha snabbare tåg." in edit

    refused = client.post(
        url, data={"kind": "synthesis", "target": str(world.foreign_synthesis.id)}
    )
    assert refused.status_code == 422
    assert str(MESSAGES["source_elsewhere"]).replace("'", "&#39;") in refused.get_data(True)
    links = session.scalars(
        select(ActionSource).where(ActionSource.action_id == world.action_a.id)
    ).all()
    assert {s.synthesis_id for s in links} == {None, world.synthesis.id}


def test_milestones_on_the_page(client, auth, session, world):
    auth.login(world.member_a)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/insatser/{world.action_a.id}"
    refused = client.post(f"{url}/milstolpar", data={"ms-due_on": "i maj", "ms-title": "X"})
    assert refused.status_code == 422
    assert f'id="ms-due_on-error">{MESSAGES["date"]}' in refused.get_data(as_text=True)

    added = client.post(
        f"{url}/milstolpar", data={"ms-due_on": "2026-05-01", "ms-title": "Invigning"}
    )
    assert added.status_code == 302, added.get_data(as_text=True)
    done = client.post(f"{url}/milstolpar/{world.milestone.id}/klar", data={"klar": "1"})
    assert done.status_code == 302

    page = client.get(url).get_data(as_text=True)
    assert "Invigning" in page
    session.expire_all()
    done = session.get(Milestone, world.milestone.id).done_on
    assert done == clock.to_local(clock.now()).date()
    assert done.isoformat() in page


def test_staff_delete_an_action_after_confirming(client, auth, session, world):
    auth.login(world.staff)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/insatser/{world.action_a.id}/ta-bort"
    confirm = client.get(url).get_data(as_text=True)
    assert "Ta bort insatsen A-1?" in confirm and "1 milstolpe tas bort med den." in confirm
    assert session.get(Action, world.action_a.id) is not None

    response = client.post(url)

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Action, world.action_a.id) is None
    assert client.get(url).status_code == 404


def test_the_group_workspace_lists_the_groups_actions(client, auth, world):
    auth.login(world.member_a)
    page = client.get(f"/arbetsgrupper/{world.group_a.id}/arbetsyta").get_data(as_text=True)
    assert "Gruppens insatser" in page
    assert f"/hantera/insatser/{world.action_a.id}" in page
    assert "Yrkesutbildning" not in page


def test_a_published_strategys_action_page_links_to_its_public_page(client, auth, session, world):
    auth.login(world.staff)
    url = f"/uppfoljning/{world.strategy.slug}/hantera/insatser/{world.action_a.id}"
    public = f"/uppfoljning/{world.strategy.slug}/insatser/{world.action_a.id}"
    assert f'href="{public}"' not in client.get(url).get_data(as_text=True)
    world.strategy.published_at = clock.now()
    session.commit()
    assert f'href="{public}"' in client.get(url).get_data(as_text=True)
