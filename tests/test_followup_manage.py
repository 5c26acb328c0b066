"""Staff's management of strategies: the services (what they create, what they refuse, what
they write to the audit log) for strategies, priorities, goals, targets and indicators."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from consult.errors import Invalid, NotAllowed, NotFound, WrongState
from consult.followup import strategies
from consult.models import (
    Action,
    ActionGoal,
    AuditEntry,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Priority,
    Role,
    Strategy,
    StrategyKind,
    goal_sdg,
)

from . import factories

RUS = {
    "title": "Regional utvecklingsstrategi 2020–2030",
    "slug": "rus-2030",
    "summary": "Västerbottens strategi.",
    "kind": "strategy",
    "starts_year": "2020",
    "ends_year": "2030",
    "adopted_on": "2020-06-15",
    "position": "1",
}


@pytest.fixture
def staff(session):
    return factories.make_user(session, role=Role.STAFF, name="Stina Staff")


@pytest.fixture
def rus(session, staff):
    return strategies.create_strategy(session, staff, RUS)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- strategies ------------------------------------------------------------------------------


def test_staff_create_a_strategy_unpublished_and_audited(session, staff, rus):
    assert rus.slug == "rus-2030"
    assert rus.kind == StrategyKind.STRATEGY
    assert (rus.starts_year, rus.ends_year) == (2020, 2030)
    assert rus.adopted_on.isoformat() == "2020-06-15"
    assert rus.published_at is None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "strategy.create"))
    assert entry.actor_id == staff.id
    assert json.loads(entry.after)["slug"] == "rus-2030"


def test_a_strategy_is_adopted_from_one_consultation_only(session, staff, open_round):
    cid = open_round.consultation_id
    first = strategies.create_strategy(session, staff, RUS | {"consultation_id": str(cid)})
    assert first.consultation_id == cid
    with pytest.raises(Invalid) as refused:
        strategies.create_strategy(
            session, staff, RUS | {"slug": "annan", "consultation_id": str(cid)}
        )
    assert refused.value.errors == {"consultation_id": "consultation_taken"}
    # The choices offered leave out the consultation already used.
    assert cid not in [c.id for c in strategies.consultation_choices(session)]
    assert cid in [c.id for c in strategies.consultation_choices(session, first)]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"title": "  "}, {"title": "required"}),
        ({"slug": "RUS 2030"}, {"slug": "slug"}),
        ({"slug": "rus--2030"}, {"slug": "slug"}),
        ({"slug": "hantera"}, {"slug": "slug_reserved"}),
        ({"kind": "plan"}, {"kind": "choice"}),
        ({"starts_year": "tjugo"}, {"starts_year": "number"}),
        ({"starts_year": "1850"}, {"starts_year": "year"}),
        ({"ends_year": "2019"}, {"ends_year": "ends_before_start"}),
        ({"ends_year": ""}, {"ends_year": "required"}),
        ({"adopted_on": "15/6 2020"}, {"adopted_on": "date"}),
        ({"position": "-1"}, {"position": "position"}),
        ({"consultation_id": "999999"}, {"consultation_id": "choice"}),
    ],
)
def test_bad_strategy_input_is_refused_and_nothing_written(session, staff, change, errors):
    with pytest.raises(Invalid) as refused:
        strategies.create_strategy(session, staff, RUS | change)
    assert refused.value.errors == errors
    session.rollback()
    assert count(session, Strategy) == 0
    assert audit_actions(session) == []


def test_duplicate_slug_is_refused(session, staff, rus):
    with pytest.raises(Invalid) as refused:
        strategies.create_strategy(session, staff, RUS | {"title": "Europa 2020"})
    assert refused.value.errors == {"slug": "slug_taken"}
    # The strategy keeps its own address when edited.
    edited = strategies.edit_strategy(
        session, staff, rus.id, RUS | {"title": "RUS"}, version=rus.version
    )
    assert edited.title == "RUS" and edited.slug == "rus-2030"


def test_edit_records_only_what_changed(session, staff, rus):
    strategies.edit_strategy(
        session, staff, rus.id, RUS | {"ends_year": "2032"}, version=rus.version
    )
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "strategy.edit"))
    assert json.loads(entry.before) == {"ends_year": 2030}
    assert json.loads(entry.after) == {"ends_year": 2032}


def test_publish_and_unpublish(session, staff, rus, now):
    strategies.publish_strategy(session, staff, rus.id, True)
    assert rus.published_at == now.get()
    with pytest.raises(WrongState) as refused:
        strategies.publish_strategy(session, staff, rus.id, True)
    assert refused.value.key == "already_published"
    strategies.publish_strategy(session, staff, rus.id, False)
    assert rus.published_at is None
    assert audit_actions(session)[-2:] == ["strategy.publish", "strategy.unpublish"]


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_every_service_refuses_others_than_staff(session, staff, rus, role):
    actor = factories.make_user(session, role=role) if role else None
    priority = strategies.create_priority(session, staff, rus.id, {"title": "Inriktning"})
    goal = strategies.create_goal(session, staff, rus.id, {"title": "Mål"})
    target = strategies.create_target(
        session, staff, goal.id, {"value": "75", "target_year": "2030"}
    )
    indicator = strategies.create_indicator(session, staff, {"code": "N1", "name": "Syss."})
    calls = [
        lambda: strategies.strategies(session, actor),
        lambda: strategies.managed_strategy(session, actor, rus.slug),
        lambda: strategies.create_strategy(session, actor, RUS | {"slug": "ny"}),
        lambda: strategies.edit_strategy(session, actor, rus.id, RUS, version=rus.version),
        lambda: strategies.publish_strategy(session, actor, rus.id, True),
        lambda: strategies.create_priority(session, actor, rus.id, {"title": "X"}),
        lambda: strategies.edit_priority(
            session, actor, priority.id, {"title": "X"}, version=priority.version
        ),
        lambda: strategies.move_priority(session, actor, priority.id, "up"),
        lambda: strategies.delete_priority(session, actor, priority.id),
        lambda: strategies.create_goal(session, actor, rus.id, {"title": "X"}),
        lambda: strategies.edit_goal(session, actor, goal.id, {"title": "X"}, version=goal.version),
        lambda: strategies.delete_goal(session, actor, goal.id),
        lambda: strategies.create_target(session, actor, goal.id, {}),
        lambda: strategies.edit_target(session, actor, target.id, {}, version=target.version),
        lambda: strategies.delete_target(session, actor, target.id),
        lambda: strategies.create_indicator(session, actor, {}),
        lambda: strategies.edit_indicator(
            session, actor, indicator.id, {}, version=indicator.version
        ),
        lambda: strategies.delete_indicator(session, actor, indicator.id),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            call()
    assert rus.published_at is None and count(session, Goal) == 1


def test_a_working_group_member_may_not_manage_goals(session, staff, rus, open_round):
    from consult.groups import services as groups

    group = groups.create_group(
        session, staff, open_round.consultation_id, {"name": "Trafik", "position": 1}
    )
    member = factories.make_user(session, name="Maja Member")
    groups.add_member(session, staff, group.id, member.email, "chair")
    with pytest.raises(NotAllowed):
        strategies.create_goal(session, member, rus.id, {"title": "Mål"})
    with pytest.raises(NotAllowed):
        strategies.managed_strategy(session, member, rus.slug)


# -- priorities ------------------------------------------------------------------------------


def test_priorities_go_last_and_move(session, staff, rus):
    names = ["Innovation", "Attraktivitet", "Tillgänglighet"]
    made = [strategies.create_priority(session, staff, rus.id, {"title": n}) for n in names]
    assert [p.position for p in made] == [1, 2, 3]
    strategies.move_priority(session, staff, made[2].id, "up")
    session.expire_all()
    assert [p.title for p in rus.priorities] == ["Innovation", "Tillgänglighet", "Attraktivitet"]
    with pytest.raises(WrongState) as refused:
        strategies.move_priority(session, staff, made[0].id, "up")
    assert refused.value.key == "cannot_move"
    with pytest.raises(Invalid):
        strategies.move_priority(session, staff, made[0].id, "sideways")
    session.rollback()
    # Saved without an order, a priority keeps its place.
    strategies.edit_priority(
        session, staff, made[1].id, {"title": "Attraktiva livsmiljöer"}, version=made[1].version
    )
    assert made[1].position == 3 and made[1].title == "Attraktiva livsmiljöer"


def test_a_priority_with_goals_is_not_deleted(session, staff, rus):
    priority = strategies.create_priority(session, staff, rus.id, {"title": "Innovation"})
    goal = strategies.create_goal(
        session, staff, rus.id, {"title": "Mer forskning", "priority_id": str(priority.id)}
    )
    with pytest.raises(WrongState) as refused:
        strategies.delete_priority(session, staff, priority.id)
    assert refused.value.key == "priority_has_goals"
    session.rollback()
    strategies.edit_goal(
        session, staff, goal.id, {"title": "Mer forskning", "priority_id": ""}, version=goal.version
    )
    strategies.delete_priority(session, staff, priority.id)
    assert count(session, Priority) == 0
    assert "priority.delete" in audit_actions(session)


def test_a_goal_cannot_join_another_strategys_priority(session, staff, rus):
    other = strategies.create_strategy(session, staff, RUS | {"slug": "europa-2020"})
    foreign = strategies.create_priority(session, staff, other.id, {"title": "Smart tillväxt"})
    with pytest.raises(Invalid) as refused:
        strategies.create_goal(
            session, staff, rus.id, {"title": "Mål", "priority_id": str(foreign.id)}
        )
    assert refused.value.errors == {"priority_id": "choice"}


# -- goals -----------------------------------------------------------------------------------


def test_a_goal_links_global_goals_and_indicators(session, staff, rus):
    indicator = strategies.create_indicator(
        session, staff, {"code": "N00914", "name": "Förvärvsarbetande 20–64 år", "unit": "%"}
    )
    goal = strategies.create_goal(
        session,
        staff,
        rus.id,
        {
            "code": "1.1",
            "title": "Fler i arbete",
            "global_goals": ["8", "4", "8", ""],
            "indicator_ids": [str(indicator.id)],
        },
    )
    assert strategies.goal_global_goals(session, goal) == ["4", "8"]
    assert [i.code for i in goal.indicators] == ["N00914"]
    strategies.edit_goal(
        session,
        staff,
        goal.id,
        {"title": "Fler i arbete", "global_goals": ["10"]},
        version=goal.version,
    )
    assert strategies.goal_global_goals(session, goal) == ["10"]
    assert goal.indicators == []
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "goal.edit"))
    assert json.loads(entry.after) == {"code": "", "global_goals": "10", "indicators": ""}


def test_unknown_global_goal_or_indicator_is_refused(session, staff, rus):
    with pytest.raises(Invalid) as refused:
        strategies.create_goal(
            session, staff, rus.id, {"title": "Mål", "global_goals": ["8", "18"]}
        )
    assert refused.value.errors == {"global_goals": "unknown_global_goal"}
    session.rollback()
    with pytest.raises(Invalid) as refused:
        strategies.create_goal(session, staff, rus.id, {"title": "Mål", "indicator_ids": ["77"]})
    assert refused.value.errors == {"indicator_ids": "choice"}
    session.rollback()
    assert count(session, Goal) == 0
    assert session.scalar(select(func.count()).select_from(goal_sdg)) == 0


def test_a_goal_that_actions_serve_is_not_deleted(session, staff, rus):
    goal = strategies.create_goal(session, staff, rus.id, {"title": "Fler i arbete"})
    strategies.create_target(session, staff, goal.id, {"value": "80", "target_year": "2030"})
    action = Action(strategy_id=rus.id, code="A-1", title="Kompetenslyft")
    session.add(action)
    session.flush()
    session.add(ActionGoal(action_id=action.id, goal_id=goal.id, weight=1))
    session.commit()
    with pytest.raises(WrongState) as refused:
        strategies.delete_goal(session, staff, goal.id)
    assert refused.value.key == "goal_has_actions"
    assert refused.value.context == {"count": 1}
    session.rollback()
    session.delete(session.get(ActionGoal, (action.id, goal.id)))
    session.commit()
    strategies.delete_goal(session, staff, goal.id)
    assert count(session, Goal) == 0 and count(session, GoalTarget) == 0


# -- targets ---------------------------------------------------------------------------------


def test_a_target_with_baseline_indicator_and_area(session, staff, rus):
    indicator = strategies.create_indicator(
        session, staff, {"code": "N1", "name": "Sysselsättning"}
    )
    goal = strategies.create_goal(session, staff, rus.id, {"title": "Fler i arbete"})
    target = strategies.create_target(
        session,
        staff,
        goal.id,
        {
            "label": "EU",
            "value": "75",
            "unit": "%",
            "baseline_year": "2010",
            "baseline_value": "68,6",
            "target_year": "2020",
            "indicator_id": str(indicator.id),
            "area_code": "24",
        },
    )
    assert (target.value, target.baseline_value, target.area_code) == (75.0, 68.6, "24")
    assert target.indicator_id == indicator.id and target.position == 1
    strategies.edit_target(
        session, staff, target.id, {"value": "80", "target_year": "2020"}, version=target.version
    )
    assert target.value == 80 and target.indicator_id is None
    strategies.delete_target(session, staff, target.id)
    assert count(session, GoalTarget) == 0
    assert audit_actions(session)[-3:] == [
        "goal_target.create",
        "goal_target.edit",
        "goal_target.delete",
    ]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"value": ""}, {"value": "required"}),
        ({"value": "mycket"}, {"value": "number"}),
        ({"target_year": "2200"}, {"target_year": "year"}),
        ({"baseline_year": "2025"}, {"target_year": "target_before_baseline"}),
        ({"baseline_year": "", "baseline_value": "3"}, {"baseline_year": "baseline_year_needed"}),
        ({"area_code": "9999"}, {"area_code": "unknown_area"}),
        ({"area_code": "Umeå kommun"}, {"area_code": "unknown_area"}),
        ({"indicator_id": "12345"}, {"indicator_id": "choice"}),
    ],
)
def test_bad_target_input_is_refused(session, staff, rus, change, errors):
    goal = strategies.create_goal(session, staff, rus.id, {"title": "Mål"})
    values = {"value": "75", "target_year": "2020", "baseline_year": "2010"} | change
    with pytest.raises(Invalid) as refused:
        strategies.create_target(session, staff, goal.id, values)
    assert refused.value.errors == errors
    session.rollback()
    assert count(session, GoalTarget) == 0


# -- indicators ------------------------------------------------------------------------------


def test_indicator_codes_are_unique_and_without_spaces(session, staff):
    first = strategies.create_indicator(
        session, staff, {"code": "N00914", "name": "Förvärvsarbetande", "direction": "higher"}
    )
    with pytest.raises(Invalid) as refused:
        strategies.create_indicator(session, staff, {"code": "N00914", "name": "Annan"})
    assert refused.value.errors == {"code": "indicator_code_taken"}
    session.rollback()
    with pytest.raises(Invalid) as refused:
        strategies.create_indicator(
            session, staff, {"code": "N 1", "name": "", "direction": "sideways"}
        )
    assert refused.value.errors == {
        "code": "indicator_code",
        "name": "required",
        "direction": "choice",
    }
    session.rollback()
    edited = strategies.edit_indicator(
        session,
        staff,
        first.id,
        {"code": "N00914", "name": "Förvärvsarbetande 20–64 år"},
        version=first.version,
    )
    assert edited.name == "Förvärvsarbetande 20–64 år"
    assert count(session, Indicator) == 1


def test_an_indicator_with_values_or_targets_is_not_deleted(session, staff, rus):
    indicator = strategies.create_indicator(session, staff, {"code": "N1", "name": "Syss."})
    session.add(IndicatorValue(indicator_id=indicator.id, area_code="24", year=2022, value=80.1))
    session.commit()
    with pytest.raises(WrongState) as refused:
        strategies.delete_indicator(session, staff, indicator.id)
    assert refused.value.key == "indicator_has_values"
    session.rollback()
    session.query(IndicatorValue).delete()
    goal = strategies.create_goal(
        session, staff, rus.id, {"title": "Mål", "indicator_ids": [str(indicator.id)]}
    )
    target = strategies.create_target(
        session,
        staff,
        goal.id,
        {"value": "80", "target_year": "2030", "indicator_id": str(indicator.id)},
    )
    with pytest.raises(WrongState) as refused:
        strategies.delete_indicator(session, staff, indicator.id)
    assert refused.value.key == "indicator_has_targets"
    session.rollback()
    strategies.delete_target(session, staff, target.id)
    strategies.delete_indicator(session, staff, indicator.id)
    session.expire_all()
    assert count(session, Indicator) == 0
    assert session.get(Goal, goal.id).indicators == []


def test_managed_strategy_is_not_found_for_an_unknown_address(session, staff):
    with pytest.raises(NotFound):
        strategies.managed_strategy(session, staff, "finns-inte")


def test_the_goal_helpers_refuse_another_strategys_objects(session, staff, rus):
    other = strategies.create_strategy(session, staff, RUS | {"slug": "europa-2020"})
    goal = strategies.create_goal(session, staff, other.id, {"title": "Mål"})
    with pytest.raises(NotFound):
        strategies.goal_in(session, rus, goal.id)
    target = strategies.create_target(
        session, staff, goal.id, {"value": "1", "target_year": "2020"}
    )
    with pytest.raises(NotFound):
        strategies.target_in(session, SimpleNamespace(id=goal.id + 1), target.id)


def test_every_audit_entry_has_a_name_for_the_log(session, staff, rus):
    from consult.followup.labels import STRATEGY_AUDIT_ACTION_LABELS

    strategies.edit_strategy(session, staff, rus.id, RUS | {"title": "RUS"}, version=rus.version)
    strategies.publish_strategy(session, staff, rus.id, True)
    strategies.publish_strategy(session, staff, rus.id, False)
    first = strategies.create_priority(session, staff, rus.id, {"title": "A"})
    second = strategies.create_priority(session, staff, rus.id, {"title": "B"})
    strategies.edit_priority(session, staff, first.id, {"title": "AA"}, version=first.version)
    strategies.move_priority(session, staff, second.id, "up")
    strategies.delete_priority(session, staff, second.id)
    indicator = strategies.create_indicator(session, staff, {"code": "N1", "name": "X"})
    strategies.edit_indicator(
        session, staff, indicator.id, {"code": "N1", "name": "Y"}, version=indicator.version
    )
    goal = strategies.create_goal(session, staff, rus.id, {"title": "Mål"})
    strategies.edit_goal(session, staff, goal.id, {"title": "Mål 2"}, version=goal.version)
    target = strategies.create_target(
        session, staff, goal.id, {"value": "1", "target_year": "2030"}
    )
    strategies.edit_target(
        session, staff, target.id, {"value": "2", "target_year": "2030"}, version=target.version
    )
    strategies.delete_target(session, staff, target.id)
    strategies.delete_goal(session, staff, goal.id)
    strategies.delete_indicator(session, staff, indicator.id)
    recorded = set(audit_actions(session))
    assert recorded == set(STRATEGY_AUDIT_ACTION_LABELS)
