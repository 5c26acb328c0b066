"""Two staff members editing the same part of a strategy: the save loaded at an older version
is refused (``Conflict``, a 409 page showing what is saved now) and nothing is overwritten."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from consult.errors import Conflict
from consult.followup import strategies
from consult.models import AuditEntry, Goal, GoalTarget, Indicator, Priority, Role, Strategy

from . import factories

RUS = {
    "title": "RUS 2020–2030",
    "slug": "rus-2030",
    "kind": "strategy",
    "starts_year": "2020",
    "ends_year": "2030",
    "position": "0",
}


@pytest.fixture
def staff(session):
    return factories.make_user(session, role=Role.STAFF, name="Stina Staff")


@pytest.fixture
def other(session):
    return factories.make_user(session, role=Role.STAFF, name="Otto Other")


@pytest.fixture
def rus(session, staff):
    return strategies.create_strategy(session, staff, RUS)


@pytest.fixture
def goal(session, staff, rus):
    return strategies.create_goal(session, staff, rus.id, {"code": "1.1", "title": "Mer forskning"})


def edits(session, actor, kind: str) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == f"{kind}.edit")
    )


# -- the services ----------------------------------------------------------------------------


def test_a_stale_strategy_edit_is_refused_and_overwrites_nothing(session, staff, other, rus):
    loaded = rus.version
    strategies.edit_strategy(session, other, rus.id, RUS | {"title": "Otto's"}, version=loaded)
    assert rus.version == loaded + 1
    with pytest.raises(Conflict) as refused:
        strategies.edit_strategy(session, staff, rus.id, RUS | {"title": "Stina's"}, version=loaded)
    session.rollback()
    assert refused.value.current.title == "Otto's"
    assert session.get(Strategy, rus.id).title == "Otto's"
    assert edits(session, staff, "strategy") == 1


def test_a_stale_goal_edit_is_refused_and_overwrites_nothing(session, staff, other, goal):
    loaded = goal.version
    # Changing only the goal's global goals is a save too: the version moves on.
    strategies.edit_goal(
        session,
        other,
        goal.id,
        {"code": "1.1", "title": "Mer forskning", "global_goals": ["9"]},
        version=loaded,
    )
    assert goal.version == loaded + 1
    with pytest.raises(Conflict):
        strategies.edit_goal(
            session, staff, goal.id, {"title": "Stinas mål", "global_goals": []}, version=loaded
        )
    session.rollback()
    saved = session.get(Goal, goal.id)
    assert saved.title == "Mer forskning"
    assert strategies.goal_global_goals(session, saved) == ["9"]
    assert edits(session, staff, "goal") == 1


def test_a_save_without_a_version_is_refused(session, staff, rus, goal):
    with pytest.raises(Conflict):
        strategies.edit_strategy(session, staff, rus.id, RUS | {"title": "X"}, version=None)
    with pytest.raises(Conflict):
        strategies.edit_goal(session, staff, goal.id, {"title": "X"}, version=None)
    session.rollback()
    assert session.get(Strategy, rus.id).title == "RUS 2020–2030"
    assert session.get(Goal, goal.id).title == "Mer forskning"


def test_stale_priority_target_and_indicator_edits_are_refused(session, staff, other, rus, goal):
    priority = strategies.create_priority(session, staff, rus.id, {"title": "Innovation"})
    target = strategies.create_target(
        session, staff, goal.id, {"value": "3", "target_year": "2030"}
    )
    indicator = strategies.create_indicator(session, staff, {"code": "N1", "name": "FoU"})
    cases = [
        (strategies.edit_priority, priority, {"title": "A"}, {"title": "B"}),
        (
            strategies.edit_target,
            target,
            {"value": "4", "target_year": "2030"},
            {"value": "5", "target_year": "2030"},
        ),
        (
            strategies.edit_indicator,
            indicator,
            {"code": "N1", "name": "A"},
            {"code": "N1", "name": "B"},
        ),
    ]
    for edit, obj, first, second in cases:
        loaded = obj.version
        edit(session, other, obj.id, first, version=loaded)
        with pytest.raises(Conflict):
            edit(session, staff, obj.id, second, version=loaded)
        session.rollback()
    assert session.get(Priority, priority.id).title == "A"
    assert session.get(GoalTarget, target.id).value == 4
    assert session.get(Indicator, indicator.id).name == "A"


def test_a_save_that_loses_the_race_at_the_database_is_refused(session, staff, goal):
    """Someone else's save lands between reading the goal and writing it: the row's version
    no longer matches, and the write is refused rather than overwriting theirs."""
    loaded = goal.version
    session.connection().execute(
        text("UPDATE strategy_goal SET title = 'Deras', version = version + 1 WHERE id = :id"),
        {"id": goal.id},
    )
    session.commit()  # theirs is saved; this session still holds the goal as it read it
    assert goal.version == loaded
    with pytest.raises(Conflict) as refused:
        strategies.edit_goal(session, staff, goal.id, {"title": "Mitt"}, version=loaded)
    assert refused.value.current.title == "Deras"
    assert refused.value.current.version == loaded + 1
    assert session.get(Goal, goal.id).title == "Deras"


# -- the pages -------------------------------------------------------------------------------


def test_the_goal_page_refuses_a_stale_save_with_409_and_shows_the_saved_version(
    client, auth, session, staff, other, rus, goal
):
    auth.login(staff)
    url = f"/uppfoljning/{rus.slug}/hantera/mal/{goal.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'name="version" value="{goal.version}"' in page
    loaded = goal.version
    strategies.edit_goal(session, other, goal.id, {"title": "Ottos mål"}, version=loaded)
    response = client.post(url, data={"title": "Stinas mål", "version": str(loaded)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Någon annan sparade målet medan du redigerade det." in page
    assert "Ottos mål" in page  # what is saved now
    assert 'value="Stinas mål"' in page  # what Stina wrote is still in the form
    session.expire_all()
    saved = session.get(Goal, goal.id)
    assert saved.title == "Ottos mål" and saved.version > loaded
    # The form now names the saved version: saving again replaces it knowingly.
    assert f'name="version" value="{saved.version}"' in page
    response = client.post(url, data={"title": "Stinas mål", "version": str(saved.version)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Goal, goal.id).title == "Stinas mål"


def test_the_strategy_overview_refuses_a_stale_save_with_409(
    client, auth, session, staff, other, rus
):
    auth.login(staff)
    url = f"/uppfoljning/{rus.slug}/hantera"
    loaded = rus.version
    strategies.edit_strategy(session, other, rus.id, RUS | {"title": "Ottos RUS"}, version=loaded)
    response = client.post(url, data=RUS | {"title": "Stinas RUS", "version": str(loaded)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Någon annan sparade strategin medan du redigerade den." in page
    assert 'value="Stinas RUS"' in page
    session.expire_all()
    assert session.get(Strategy, rus.id).title == "Ottos RUS"
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "strategy.edit").order_by(AuditEntry.id)
    ).all()
    assert [json.loads(e.after)["title"] for e in entry] == ["Ottos RUS"]


def test_an_unpublished_strategy_says_who_sees_it(client, auth, staff, rus):
    auth.login(staff)
    page = client.get(f"/uppfoljning/{rus.slug}/hantera").get_data(as_text=True)
    assert (
        "Bara handläggare och de arbetsgrupper som ansvarar för strategins insatser ser den här "
        "strategin." in page
    )
    assert "Bara handläggare ser den här strategin." not in page
