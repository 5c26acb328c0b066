"""Finding follow-up objects for a reader: a strategy by its address, its goals and actions,
and what each links to. Unpublished strategies are visible to staff only (and to members of a
group responsible for one of its actions, who update them before publication).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from .. import group_access as access
from ..errors import NotFound
from ..models import Action, Goal, Strategy, action_area, action_sdg, goal_sdg
from . import agenda2030


def is_public(strategy: Strategy) -> bool:
    """Whether the strategy's publication time has come."""
    return strategy.published_at is not None and strategy.published_at <= clock.now()


def may_read(session: Session, actor, strategy: Strategy) -> bool:
    """Published strategies are public; others only for those who work on them."""
    if is_public(strategy) or access.is_staff(actor):
        return True
    groups = access.updatable_group_ids(session, actor) or set()
    return any(action.group_id in groups for action in strategy.actions)


def strategy_at(session: Session, slug: str) -> Strategy:
    """The strategy at this address, published or not (NotFound if there is none); the
    caller checks who may see it."""
    strategy = session.scalar(select(Strategy).where(Strategy.slug == slug))
    if strategy is None:
        raise NotFound()
    return strategy


def strategy_by_slug(session: Session, actor, slug: str) -> Strategy:
    """The strategy at this address, if the actor may read it; NotFound otherwise."""
    strategy = strategy_at(session, slug)
    if not may_read(session, actor, strategy):
        raise NotFound()
    return strategy


def goal_in(session: Session, strategy: Strategy, goal_id: int) -> Goal:
    """One of the strategy's goals; NotFound for another strategy's."""
    goal = session.get(Goal, goal_id)
    if goal is None or goal.strategy_id != strategy.id:
        raise NotFound()
    return goal


def action_in(session: Session, strategy: Strategy, action_id: int) -> Action:
    """One of the strategy's actions; NotFound for another strategy's."""
    action = session.get(Action, action_id)
    if action is None or action.strategy_id != strategy.id:
        raise NotFound()
    return action


def goal_sdgs(session: Session, goal_ids) -> dict[int, list[str]]:
    """The global goal and target codes each goal links to, in the agenda's order."""
    return _codes(session, goal_sdg.c.goal_id, goal_sdg.c.code, goal_ids)


def action_sdgs(session: Session, action_ids) -> dict[int, list[str]]:
    """The global goal and target codes each action links to, in the agenda's order."""
    return _codes(session, action_sdg.c.action_id, action_sdg.c.code, action_ids)


def action_areas(session: Session, action_ids) -> dict[int, list[str]]:
    """The area codes (county, municipalities) each action is carried out in."""
    found: dict[int, list[str]] = defaultdict(list)
    ids = list(action_ids)
    if ids:
        rows = session.execute(
            select(action_area.c.action_id, action_area.c.area_code)
            .where(action_area.c.action_id.in_(ids))
            .order_by(action_area.c.area_code)
        )
        for owner, code in rows:
            found[owner].append(code)
    return found


def _codes(session: Session, owner_column, code_column, ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    ids = list(ids)
    if ids:
        for owner, code in session.execute(
            select(owner_column, code_column).where(owner_column.in_(ids))
        ):
            found[owner].append(code)
    return {owner: sorted(codes, key=agenda2030.sort_key) for owner, codes in found.items()}
