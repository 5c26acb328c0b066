"""The follow-up's shared core: input checks, weighted progress, who may edit and read."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from consult import group_access
from consult.errors import NotAllowed, NotFound
from consult.followup import agenda2030, fields, queries
from consult.followup.progress import goal_progress, mean_progress
from consult.models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    Goal,
    Role,
    Strategy,
)
from tests import factories
from tests.events_seed import make_group, person


def _strategy(session, consultation=None, published=True, slug="rus"):
    strategy = Strategy(
        slug=slug,
        title="RUS 2020–2030",
        starts_year=2020,
        ends_year=2030,
        consultation_id=consultation.id if consultation else None,
        published_at=datetime(2025, 1, 1, tzinfo=UTC) if published else None,
    )
    session.add(strategy)
    session.commit()
    return strategy


def _action(session, strategy, code, progress, status=ActionStatus.ONGOING, group=None):
    action = Action(
        strategy_id=strategy.id,
        code=code,
        title=f"Insats {code}",
        progress=progress,
        status=status,
        group_id=group.id if group else None,
    )
    session.add(action)
    session.commit()
    return action


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12,5", 12.5), ("1 234,5", 1234.5), ("-3", -3.0), ("0.25", 0.25), (7, 7.0)],
)
def test_numbers_are_read_as_swedes_write_them(raw, expected):
    assert fields.number(raw) == (expected, None)


@pytest.mark.parametrize(
    "raw", ["abc", "1,2,3", "12 %", "nan", "inf", True, "<5", "~5", "x2020", "1\t2", "9" * 400]
)
def test_what_is_not_a_number_is_refused(raw):
    assert fields.number(raw) == (None, "number")


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("100", 100), ("55 %", 55), (40, 40)])
def test_percentages_from_0_to_100_are_taken(raw, expected):
    assert fields.percent(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["101", "-1", "12,5", "abc"])
def test_percentages_outside_0_to_100_or_not_whole_are_refused(raw):
    assert fields.percent(raw) == (None, "percent")


def test_dates_years_and_periods_are_checked():
    assert fields.day("2025-03-01") == (date(2025, 3, 1), None)
    assert fields.day("2025-03-01 00:00:00") == (date(2025, 3, 1), None)
    assert fields.day(datetime(2025, 3, 1, 12, 0)) == (date(2025, 3, 1), None)
    assert fields.day("1/3/2025") == (None, "date")
    assert fields.year("2030") == (2030, None)
    assert fields.year("30") == (None, "year")
    assert fields.period(date(2025, 2, 1), date(2025, 1, 1)) == "ends_before_start"
    assert fields.period(date(2025, 1, 1), None) is None


def test_text_refuses_control_characters_and_overlong_text():
    assert fields.text("  Bredband  ") == ("Bredband", None)
    assert fields.text("a\x00b") == (None, "unreadable")
    assert fields.text("x" * 301) == (None, "too_long")
    assert fields.text(" ", required=True) == (None, "required")


def test_global_goal_codes_are_known_ordered_and_unique():
    assert fields.global_goals(["9", "11", "9", " "]) == (["9", "11"], None)
    assert fields.global_goals(["18"]) == (None, "unknown_global_goal")
    assert [g.number for g in agenda2030.goals()] == list(range(1, 18))
    assert agenda2030.goal_number("11.2") == 11


def test_a_goals_progress_is_weighted_and_leaves_stopped_actions_out(session):
    strategy = _strategy(session)
    goal = Goal(strategy_id=strategy.id, title="Fler i arbete")
    session.add(goal)
    session.commit()
    for code, progress, weight, status in [
        ("A-1", 100, 3, ActionStatus.DONE),
        ("A-2", 20, 1, ActionStatus.ONGOING),
        ("A-3", 10, 5, ActionStatus.STOPPED),
    ]:
        action = _action(session, strategy, code, progress, status)
        session.add(ActionGoal(action_id=action.id, goal_id=goal.id, weight=weight))
    session.commit()
    session.refresh(goal)

    result = goal_progress(goal)

    assert result.value == pytest.approx((3 * 100 + 1 * 20) / 4)
    assert result.percent == 80
    assert result.counted_weight == 4
    assert [(p.action.code, p.counted) for p in result.parts] == [
        ("A-1", True),
        ("A-2", True),
        ("A-3", False),
    ]
    assert mean_progress([result, goal_progress(Goal(title="Tomt"))]) == pytest.approx(80)


def test_a_goal_without_counted_actions_has_no_progress(session):
    strategy = _strategy(session)
    goal = Goal(strategy_id=strategy.id, title="Inget ännu")
    session.add(goal)
    session.commit()
    assert goal_progress(goal).value is None
    assert goal_progress(goal).percent is None


def test_the_database_refuses_progress_outside_0_to_100(session):
    strategy = _strategy(session)
    session.add(Action(strategy_id=strategy.id, code="X", title="X", progress=101))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_a_source_names_exactly_one_thing(session, open_round):
    strategy = _strategy(session, open_round.consultation)
    action = _action(session, strategy, "A-1", 0)
    session.add(ActionSource(action_id=action.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    paragraph = open_round.document.paragraphs[0]
    session.add(ActionSource(action_id=action.id, paragraph_id=paragraph.id))
    session.commit()
    assert action.sources[0].paragraph.id == paragraph.id


def test_staff_edit_everything_and_members_update_their_groups_actions(session, open_round):
    consultation = open_round.consultation
    strategy = _strategy(session, consultation)
    ours, theirs = make_group(session, consultation, "Trafik"), make_group(session, consultation)
    member = person(session, ours)
    staff = factories.make_user(session, role=Role.STAFF)
    participant = factories.make_user(session)
    our_action = _action(session, strategy, "A-1", 10, group=ours)
    their_action = _action(session, strategy, "A-2", 10, group=theirs)

    assert group_access.may_edit_followup(staff)
    assert not group_access.may_edit_followup(member)
    assert group_access.may_update_action(session, member, our_action)
    assert not group_access.may_update_action(session, member, their_action)
    assert not group_access.may_update_action(session, participant, our_action)
    assert group_access.may_update_action(session, staff, their_action)
    with pytest.raises(NotAllowed):
        group_access.require_action_updater(session, member, their_action)
    with pytest.raises(NotAllowed):
        group_access.require_followup_editor(member)
    assert group_access.updatable_group_ids(session, member) == {ours.id}
    assert group_access.updatable_group_ids(session, staff) is None


def test_an_unpublished_strategy_is_read_only_by_those_who_work_on_it(session, open_round):
    consultation = open_round.consultation
    strategy = _strategy(session, consultation, published=False)
    group = make_group(session, consultation)
    member = person(session, group)
    outsider = factories.make_user(session)
    staff = factories.make_user(session, role=Role.STAFF)

    with pytest.raises(NotFound):
        queries.strategy_by_slug(session, None, "rus")
    assert queries.strategy_by_slug(session, staff, "rus") is strategy
    with pytest.raises(NotFound):
        queries.strategy_by_slug(session, member, "rus")
    _action(session, strategy, "A-1", 0, group=group)
    session.refresh(strategy)
    assert queries.strategy_by_slug(session, member, "rus") is strategy
    with pytest.raises(NotFound):
        queries.strategy_by_slug(session, outsider, "rus")


def test_goals_and_actions_of_another_strategy_are_not_found(session):
    one, other = _strategy(session), _strategy(session, slug="europa-2020")
    goal = Goal(strategy_id=other.id, title="75 % i arbete")
    session.add(goal)
    session.commit()
    action = _action(session, other, "E-1", 0)
    with pytest.raises(NotFound):
        queries.goal_in(session, one, goal.id)
    with pytest.raises(NotFound):
        queries.action_in(session, one, action.id)
    assert queries.goal_in(session, other, goal.id) is goal


def test_the_consultation_page_leads_to_the_follow_up_once_the_strategy_is_public(
    client, session, open_round
):
    consultation = open_round.consultation
    strategy = _strategy(session, consultation, published=False)
    page = f"/samrad/{consultation.slug}/"
    assert "/uppfoljning/rus" not in client.get(page).get_data(as_text=True)

    strategy.published_at = datetime(2025, 1, 1, tzinfo=UTC)
    session.commit()

    html = client.get(page).get_data(as_text=True)
    assert 'href="/uppfoljning/rus"' in html
    assert "RUS 2020–2030" in html
    assert 'href="/uppfoljning"' in html  # the footer's way in for everyone
