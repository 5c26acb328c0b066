"""The actions (insatser) of a strategy: created and edited by staff, updated by the working
group responsible for them, with milestones and links to what was said in the consultation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consult import clock, errors
from consult.followup import actions, queries
from consult.models import (
    Action,
    ActionSource,
    ActionStatus,
    AuditEntry,
    Goal,
    GroupMembership,
    GroupRole,
    Milestone,
    Origin,
    Response,
    Role,
    Round,
    Strategy,
    StrategyKind,
    Synthesis,
    Theme,
    User,
    WorkingGroup,
    WorkStatus,
)

from . import factories


@dataclass
class World:
    round: Round
    other_round: Round
    strategy: Strategy
    framework: Strategy
    goals: list[Goal]
    foreign_goal: Goal
    group_a: WorkingGroup
    group_b: WorkingGroup
    foreign_group: WorkingGroup
    staff: User
    member_a: User
    member_b: User
    participant: User
    synthesis: Synthesis
    foreign_synthesis: Synthesis
    theme: Theme
    action_a: Action
    action_b: Action


def _group(session, consultation, name: str) -> WorkingGroup:
    group = WorkingGroup(consultation_id=consultation.id, slug=name.lower(), name=name)
    session.add(group)
    session.flush()
    return group


def _member(session, group, name: str) -> User:
    user = factories.make_user(session, name=name)
    session.add(
        GroupMembership(
            group_id=group.id, user_id=user.id, role=GroupRole.MEMBER, category=user.category
        )
    )
    session.commit()
    return user


def details(**changes) -> dict:
    values = {
        "code": "A-1",
        "title": "Snabbare tåg till kusten",
        "description": "Vi bygger dubbelspår.",
        "responsible": "Regional utveckling",
        "group_id": "",
        "starts_on": "2024-01-01",
        "ends_on": "2026-12-31",
        "status": "ongoing",
        "progress": "40",
        "goals": {},
        "global_goals": ["9", "11"],
        "areas": ["2480", "2482"],
    }
    values.update(changes)
    return values


def build_world(session, now) -> World:
    """A strategy of a consultation with two goals and two working groups, each responsible
    for one action; a framework with a goal of its own; another consultation with a group
    and a synthesis response."""
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(days=60), closes_at=now.get() - timedelta(days=30)
    )
    other = factories.make_round(
        session, opens_at=now.get() - timedelta(days=60), closes_at=now.get() - timedelta(days=30)
    )
    consultation = round_.consultation
    strategy = Strategy(
        slug="rus-test",
        title="Regional utvecklingsstrategi",
        consultation_id=consultation.id,
        starts_year=2020,
        ends_year=2030,
    )
    framework = Strategy(
        slug="eu-2020",
        title="Europa 2020",
        kind=StrategyKind.FRAMEWORK,
        starts_year=2010,
        ends_year=2020,
    )
    session.add_all([strategy, framework])
    session.flush()
    goals = [
        Goal(strategy_id=strategy.id, code="1.1", title="Ett tillgängligt län"),
        Goal(strategy_id=strategy.id, code="1.2", title="Fler i arbete"),
    ]
    foreign_goal = Goal(strategy_id=framework.id, code="EU1", title="75 % sysselsättning")
    session.add_all([*goals, foreign_goal])
    group_a = _group(session, consultation, "Infrastruktur")
    group_b = _group(session, consultation, "Kompetens")
    foreign_group = _group(session, other.consultation, "Annat")
    paragraph = round_.document.paragraphs[0]
    synthesis = Synthesis(
        round_id=round_.id,
        paragraph_id=paragraph.id,
        summary="Många vill ha snabbare tåg.",
        response=Response.ACCEPTED,
        status=WorkStatus.REVIEWED,
    )
    foreign_synthesis = Synthesis(
        round_id=other.id,
        paragraph_id=other.document.paragraphs[0].id,
        summary="Något annat.",
        response=Response.NOTED,
        status=WorkStatus.REVIEWED,
    )
    theme = Theme(round_id=round_.id, name="Järnväg", origin=Origin.STAFF)
    session.add_all([synthesis, foreign_synthesis, theme])
    session.commit()
    staff = factories.make_user(session, role=Role.STAFF, name="Stina Staff")
    member_a = _member(session, group_a, "Anna Infra")
    member_b = _member(session, group_b, "Bo Kompetens")
    participant = factories.make_user(session, name="Per Deltagare")
    action_a = actions.create_action(
        session,
        staff,
        strategy,
        details(group_id=str(group_a.id), goals={goals[0].id: "2"}),
        now=clock.now(),
    )
    action_b = actions.create_action(
        session,
        staff,
        strategy,
        details(code="B-1", title="Yrkesutbildning", group_id=str(group_b.id)),
        now=clock.now(),
    )
    return World(
        round_,
        other,
        strategy,
        framework,
        goals,
        foreign_goal,
        group_a,
        group_b,
        foreign_group,
        staff,
        member_a,
        member_b,
        participant,
        synthesis,
        foreign_synthesis,
        theme,
        action_a,
        action_b,
    )


@pytest.fixture
def world(session, now) -> World:
    return build_world(session, now)


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- creating --------------------------------------------------------------------------------


def test_staff_create_an_action_with_goals_global_goals_and_areas(session, world):
    action = actions.create_action(
        session,
        world.staff,
        world.strategy,
        details(
            code="A-2",
            group_id=str(world.group_a.id),
            goals={world.goals[0].id: "3", world.goals[1].id: ""},
            global_goals=["11", "9", "9"],
        ),
        now=clock.now(),
    )

    session.expire_all()
    action = session.get(Action, action.id)
    assert (action.code, action.status, action.progress) == ("A-2", ActionStatus.ONGOING, 40)
    assert (action.starts_on, action.ends_on) == (date(2024, 1, 1), date(2026, 12, 31))
    assert action.group_id == world.group_a.id
    assert actions.goal_weights(action) == {world.goals[0].id: 3, world.goals[1].id: 1}
    assert queries.action_sdgs(session, [action.id])[action.id] == ["9", "11"]
    assert queries.action_areas(session, [action.id])[action.id] == ["2480", "2482"]
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "action.create", AuditEntry.object_id == action.id
        )
    ).one()
    assert json.loads(entry.after)["goals"] == {
        str(world.goals[0].id): 3,
        str(world.goals[1].id): 1,
    }


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"progress": "101"}, "progress", "percent"),
        ({"progress": "-1"}, "progress", "percent"),
        ({"progress": "abc"}, "progress", "percent"),
        ({"progress": "12.5"}, "progress", "percent"),
        ({"starts_on": "2025-01-01", "ends_on": "2024-12-31"}, "ends_on", "ends_before_start"),
        ({"starts_on": "1 maj"}, "starts_on", "date"),
        ({"code": "A-1"}, "code", "code_taken"),
        ({"code": "  "}, "code", "required"),
        ({"title": ""}, "title", "required"),
        ({"status": "forgotten"}, "status", "choice"),
        ({"global_goals": ["18"]}, "global_goals", "unknown_global_goal"),
        ({"areas": ["9999"]}, "areas", "unknown_area"),
    ],
)
def test_bad_details_are_refused_and_nothing_is_written(session, world, changes, field, key):
    before = session.scalar(select(Action.id).order_by(Action.id.desc()).limit(1))

    with pytest.raises(errors.Invalid) as refusal:
        actions.create_action(
            session, world.staff, world.strategy, details(**changes), now=clock.now()
        )

    assert refusal.value.errors[field] == key
    session.rollback()
    assert session.scalar(select(Action.id).order_by(Action.id.desc()).limit(1)) == before


def test_goals_groups_and_weights_of_elsewhere_are_refused(session, world):
    cases = [
        ({"goals": {world.foreign_goal.id: "1"}}, "goals", "unknown_goal"),
        ({"goals": {world.goals[0].id: "0"}}, "goals", "weight"),
        ({"goals": {world.goals[0].id: "101"}}, "goals", "weight"),
        ({"group_id": str(world.foreign_group.id)}, "group_id", "unknown_group"),
        ({"group_id": "abc"}, "group_id", "unknown_group"),
    ]
    for changes, field, key in cases:
        with pytest.raises(errors.Invalid) as refusal:
            actions.create_action(
                session, world.staff, world.strategy, details(code="X", **changes)
            )
        assert refusal.value.errors == {field: key}, changes
    session.rollback()
    assert session.scalar(select(Action).where(Action.code == "X")) is None


def test_the_same_code_is_free_in_another_strategy(session, world):
    action = actions.create_action(session, world.staff, world.framework, details(code="A-1"))
    assert action.strategy_id == world.framework.id
    # A framework has no consultation, so no working group either.
    with pytest.raises(errors.Invalid) as refusal:
        actions.create_action(
            session,
            world.staff,
            world.framework,
            details(code="A-2", group_id=str(world.group_a.id)),
        )
    assert refusal.value.errors == {"group_id": "unknown_group"}


def test_only_staff_create_edit_and_delete(session, world):
    for user in (world.member_a, world.participant, None):
        with pytest.raises(errors.NotAllowed):
            actions.create_action(session, user, world.strategy, details(code="Z"))
        with pytest.raises(errors.NotAllowed):
            actions.update_action(session, user, world.action_a, details(title="Nytt"), version=1)
        with pytest.raises(errors.NotAllowed):
            actions.delete_action(session, user, world.action_a)
    session.expire_all()
    assert session.get(Action, world.action_a.id).title == "Snabbare tåg till kusten"


# -- editing ---------------------------------------------------------------------------------


def test_staff_edit_the_details_and_the_change_is_audited(session, world):
    action = world.action_a
    actions.update_action(
        session,
        world.staff,
        action,
        details(
            title="Dubbelspår till kusten",
            group_id=str(world.group_b.id),
            goals={world.goals[1].id: "5"},
            global_goals=["9"],
            areas=[],
        ),
        version=1,
    )

    session.expire_all()
    action = session.get(Action, action.id)
    assert action.title == "Dubbelspår till kusten"
    assert action.group_id == world.group_b.id
    assert action.version == 2
    assert actions.goal_weights(action) == {world.goals[1].id: 5}
    assert queries.action_sdgs(session, [action.id]).get(action.id) == ["9"]
    assert queries.action_areas(session, [action.id]).get(action.id) is None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "action.edit")).one()
    assert json.loads(entry.before)["title"] == "Snabbare tåg till kusten"
    assert json.loads(entry.after)["title"] == "Dubbelspår till kusten"
    assert "progress" not in json.loads(entry.after)


def test_a_stale_version_is_refused_with_a_conflict_and_overwrites_nothing(session, world):
    action = world.action_a
    actions.update_status(
        session, world.member_a, action, status="ongoing", progress="60", version=1
    )

    with pytest.raises(errors.Conflict) as conflict:
        actions.update_action(session, world.staff, action, details(title="Sent"), version=1)
    assert conflict.value.current.progress == 60
    with pytest.raises(errors.Conflict):
        actions.update_status(
            session, world.member_a, action, status="done", progress="100", version=1
        )

    session.rollback()
    session.expire_all()
    saved = session.get(Action, action.id)
    assert (saved.title, saved.progress, saved.version) == ("Snabbare tåg till kusten", 60, 2)
    actions.update_action(session, world.staff, saved, details(title="Sent"), version=2)
    assert session.get(Action, action.id).title == "Sent"


def test_a_save_that_loses_the_race_is_refused(session, world):
    """Read at version 1; someone else saves before our write: the write finds the row
    changed and is refused, with their version."""
    session.commit()
    action = session.get(Action, world.action_a.id)
    assert action.version == 1
    with session.get_bind().connect() as other:
        other.execute(
            Action.__table__.update().where(Action.id == action.id).values(version=7, progress=5)
        )
        other.commit()

    with pytest.raises(errors.Conflict) as conflict:
        actions.update_status(
            session, world.staff, action, status="done", progress="100", version=1
        )

    assert (conflict.value.current.version, conflict.value.current.progress) == (7, 5)
    session.expire_all()
    assert session.get(Action, action.id).status == ActionStatus.ONGOING


# -- the working group -----------------------------------------------------------------------


def test_a_member_updates_the_progress_of_their_groups_action(session, world):
    action = actions.update_status(
        session, world.member_a, world.action_a, status="done", progress="100%", version=1
    )

    assert (action.status, action.progress, action.updated_by_id) == (
        ActionStatus.DONE,
        100,
        world.member_a.id,
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "action.status")).one()
    assert (entry.actor_id, json.loads(entry.after)) == (
        world.member_a.id,
        {"status": "done", "progress": 100},
    )


def test_a_member_may_not_touch_another_groups_action_nor_the_title(session, world):
    with pytest.raises(errors.NotAllowed):
        actions.update_status(
            session, world.member_a, world.action_b, status="done", progress="100", version=1
        )
    with pytest.raises(errors.NotAllowed):
        actions.action_for(session, world.member_a, world.strategy.slug, world.action_b.id)
    with pytest.raises(errors.NotAllowed):
        actions.update_action(
            session, world.member_a, world.action_a, details(title="Mitt namn"), version=1
        )
    with pytest.raises(errors.NotAllowed):
        actions.add_milestone(
            session, world.member_b, world.action_a, {"due_on": "2025-01-01", "title": "X"}
        )
    session.expire_all()
    assert session.get(Action, world.action_b.id).status == ActionStatus.ONGOING
    assert session.get(Action, world.action_a.id).title == "Snabbare tåg till kusten"


def test_a_member_refused_progress_out_of_range(session, world):
    for progress in ("101", "-1", "abc", ""):
        with pytest.raises(errors.Invalid) as refusal:
            actions.update_status(
                session,
                world.member_a,
                world.action_a,
                status="ongoing",
                progress=progress,
                version=1,
            )
        assert "progress" in refusal.value.errors, progress
    session.expire_all()
    assert session.get(Action, world.action_a.id).progress == 40


def test_the_list_shows_a_member_their_groups_actions_only(session, world):
    staff_list = actions.action_list(session, world.staff, world.strategy.slug)
    assert [a.code for a in staff_list.actions] == ["A-1", "B-1"]
    mine = actions.action_list(session, world.member_a, world.strategy.slug)
    assert [a.code for a in mine.actions] == ["A-1"]
    assert not mine.may_create
    done = actions.action_list(session, world.staff, world.strategy.slug, status="done")
    assert done.actions == []
    by_group = actions.action_list(
        session, world.staff, world.strategy.slug, group_id=world.group_b.id
    )
    assert [a.code for a in by_group.actions] == ["B-1"]
    with pytest.raises(errors.NotAllowed):
        actions.action_list(session, world.participant, world.strategy.slug)
    assert [a.code for a in actions.group_actions(session, world.group_a.id)] == ["A-1"]


# -- deleting --------------------------------------------------------------------------------


def test_staff_delete_an_action_with_its_milestones_and_links(session, world):
    action = world.action_a
    actions.add_milestone(session, world.staff, action, {"due_on": "2025-06-01", "title": "Start"})
    actions.link_source(
        session, world.staff, action, kind="synthesis", target_id=world.synthesis.id
    )
    action_id = action.id

    actions.delete_action(session, world.staff, action)

    session.expire_all()
    assert session.get(Action, action_id) is None
    assert session.scalars(select(Milestone)).all() == []
    assert session.scalars(select(ActionSource)).all() == []
    assert queries.action_sdgs(session, [action_id]) == {}
    assert session.get(Synthesis, world.synthesis.id) is not None
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "action.delete")).one()
    assert json.loads(entry.before)["milestones"] == 1


# -- milestones ------------------------------------------------------------------------------


def test_milestones_are_added_edited_marked_done_and_deleted(session, world, now):
    action = world.action_a
    first = actions.add_milestone(
        session, world.member_a, action, {"due_on": "2025-06-01", "title": "Upphandling klar"}
    )
    actions.add_milestone(
        session, world.member_a, action, {"due_on": "2024-03-01", "title": "Förstudie"}
    )
    session.expire_all()
    assert [m.title for m in session.get(Action, action.id).milestones] == [
        "Förstudie",
        "Upphandling klar",
    ]

    actions.edit_milestone(
        session,
        world.member_a,
        action,
        first.id,
        {"due_on": "2025-09-01", "title": "Upphandling avslutad", "done_on": ""},
    )
    done = actions.mark_milestone(session, world.member_a, action, first.id, done=True)
    assert done.done_on == clock.to_local(now.get()).date()
    undone = actions.mark_milestone(session, world.member_a, action, first.id, done=False)
    assert undone.done_on is None
    with pytest.raises(errors.Invalid) as refusal:
        actions.add_milestone(session, world.member_a, action, {"due_on": "snart", "title": ""})
    assert refusal.value.errors == {"due_on": "date", "title": "required"}

    actions.delete_milestone(session, world.member_a, action, first.id)
    session.expire_all()
    assert [m.title for m in session.get(Action, action.id).milestones] == ["Förstudie"]
    assert audit_actions(session)[-5:] == [
        "milestone.create",
        "milestone.edit",
        "milestone.done",
        "milestone.done",
        "milestone.delete",
    ]


def test_a_milestone_of_another_action_is_not_found(session, world):
    other = actions.add_milestone(
        session, world.staff, world.action_b, {"due_on": "2025-01-01", "title": "B"}
    )
    with pytest.raises(errors.NotFound):
        actions.delete_milestone(session, world.staff, world.action_a, other.id)


# -- sources ---------------------------------------------------------------------------------


def test_an_action_links_a_response_a_theme_and_a_paragraph_of_its_consultation(session, world):
    action = world.action_a
    paragraph = world.round.document.paragraphs[1]
    actions.link_source(
        session, world.member_a, action, kind="synthesis", target_id=world.synthesis.id
    )
    actions.link_source(session, world.member_a, action, kind="theme", target_id=world.theme.id)
    actions.link_source(session, world.staff, action, kind="paragraph", target_id=paragraph.id)

    session.expire_all()
    sources = session.get(Action, action.id).sources
    assert {(s.synthesis_id, s.theme_id, s.paragraph_id) for s in sources} == {
        (world.synthesis.id, None, None),
        (None, world.theme.id, None),
        (None, None, paragraph.id),
    }
    with pytest.raises(errors.Invalid) as refusal:
        actions.link_source(
            session, world.staff, action, kind="synthesis", target_id=world.synthesis.id
        )
    assert refusal.value.errors == {"source": "source_linked"}

    theme_link = next(s for s in sources if s.theme_id)
    actions.unlink_source(session, world.member_a, action, theme_link.id)
    session.expire_all()
    assert len(session.get(Action, action.id).sources) == 2
    assert audit_actions(session).count("action.source_link") == 3
    assert audit_actions(session).count("action.source_unlink") == 1


def test_a_source_of_another_consultation_is_refused(session, world):
    action = world.action_a
    other_paragraph = world.other_round.document.paragraphs[0]
    for kind, target_id in [
        ("synthesis", world.foreign_synthesis.id),
        ("paragraph", other_paragraph.id),
        ("synthesis", 999_999),
        ("banana", world.synthesis.id),
    ]:
        with pytest.raises(errors.Invalid) as refusal:
            actions.link_source(session, world.staff, action, kind=kind, target_id=target_id)
        assert refusal.value.errors["source"] in {"source_elsewhere", "choice"}
    with pytest.raises(errors.NotAllowed):
        actions.link_source(
            session, world.member_b, action, kind="synthesis", target_id=world.synthesis.id
        )
    session.expire_all()
    assert session.get(Action, action.id).sources == []


def test_the_choices_list_the_rounds_responses_themes_and_paragraphs(session, world):
    rounds = actions.source_choices(session, world.member_a, world.action_a)
    assert [r.round.id for r in rounds] == [world.round.id]
    assert [s.id for s in rounds[0].syntheses] == [world.synthesis.id]
    assert [t.name for t in rounds[0].themes] == ["Järnväg"]
    assert len(rounds[0].paragraphs) == len(world.round.document.paragraphs)
