"""Staff's management of what a strategy aims at: the strategy itself, its priorities
(inriktningar), its goals with their quantified targets and links to the global goals, and the
indicators that measure them.

Only staff and administrators edit these (``group_access.require_followup_editor``, asked first
by every service). Values arrive as the form or the caller wrote them and are checked with
``fields`` (the same checks an import uses); a refusal is ``Invalid({field: key})`` with keys of
``labels.MESSAGES`` and nothing is written. Every change is audited in the transaction that
makes it. An edit names the version its form was loaded at (``version``) and is refused with
``Conflict`` if someone saved the same thing since, so nobody silently overwrites another.
Deleting what others lean on (a goal that actions serve, an indicator with values or
targets) is refused with ``WrongState`` rather than silently taking the rest with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from .. import areas, audit, clock
from .. import group_access as access
from ..errors import Conflict, Invalid, NotFound, WrongState
from ..models import (
    ActionGoal,
    Consultation,
    Direction,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Priority,
    ReportGoalNote,
    Strategy,
    StrategyKind,
    goal_indicator,
    goal_sdg,
)
from . import agenda2030, fields, queries

SLUG_LENGTH = 80
# Addresses under /uppfoljning/ that are pages of the site, not strategies.
RESERVED_SLUGS = frozenset({"hantera", "oppna-data", "ny"})
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_POSITION = 10_000
MAX_CODE = 20
MAX_INDICATOR_CODE = 60
MAX_UNIT = 40

STRATEGY_FIELDS = (
    "title",
    "slug",
    "summary",
    "kind",
    "consultation_id",
    "starts_year",
    "ends_year",
    "adopted_on",
    "position",
)
PRIORITY_FIELDS = ("title", "description", "position")
GOAL_FIELDS = ("priority_id", "code", "title", "description", "position")
TARGET_FIELDS = (
    "label",
    "value",
    "unit",
    "baseline_year",
    "baseline_value",
    "target_year",
    "indicator_id",
    "area_code",
    "position",
)
INDICATOR_FIELDS = ("code", "name", "unit", "source", "direction", "description")


# -- reading ---------------------------------------------------------------------------------


def strategies(session: Session, actor) -> list[Strategy]:
    """Every strategy, published or not, in their order (staff's list)."""
    access.require_followup_editor(actor)
    return list(
        session.scalars(select(Strategy).order_by(Strategy.position, Strategy.starts_year.desc()))
    )


def managed_strategy(session: Session, actor, slug: str) -> Strategy:
    """The strategy at this address, for its management pages (staff)."""
    access.require_followup_editor(actor)
    return queries.strategy_at(session, slug)


def priority_in(session: Session, strategy: Strategy, priority_id: int) -> Priority:
    """One of the strategy's priorities; NotFound for another strategy's."""
    priority = session.get(Priority, priority_id)
    if priority is None or priority.strategy_id != strategy.id:
        raise NotFound()
    return priority


def goal_in(session: Session, strategy: Strategy, goal_id: int) -> Goal:
    """One of the strategy's goals; NotFound for another strategy's."""
    goal = session.get(Goal, goal_id)
    if goal is None or goal.strategy_id != strategy.id:
        raise NotFound()
    return goal


def target_in(session: Session, goal: Goal, target_id: int) -> GoalTarget:
    """One of the goal's targets; NotFound for another goal's."""
    target = session.get(GoalTarget, target_id)
    if target is None or target.goal_id != goal.id:
        raise NotFound()
    return target


def indicator_or_404(session: Session, indicator_id: int) -> Indicator:
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound()
    return indicator


def all_indicators(session: Session) -> list[Indicator]:
    """Every indicator, by name (they are shared by all strategies)."""
    return list(session.scalars(select(Indicator).order_by(Indicator.name, Indicator.id)))


def consultation_choices(session: Session, strategy: Strategy | None = None) -> list[Consultation]:
    """The consultations a strategy may be adopted from: those no other strategy is."""
    taken = select(Strategy.consultation_id).where(
        Strategy.consultation_id.is_not(None), Strategy.id != (strategy.id if strategy else 0)
    )
    return list(
        session.scalars(
            select(Consultation)
            .where(Consultation.id.not_in(taken))
            .order_by(Consultation.title, Consultation.id)
        )
    )


def goal_global_goals(session: Session, goal: Goal) -> list[str]:
    """The global goal and target codes the goal links to, in the agenda's order."""
    codes = session.scalars(select(goal_sdg.c.code).where(goal_sdg.c.goal_id == goal.id))
    return sorted(codes, key=agenda2030.sort_key)


@dataclass
class IndicatorUse:
    """How much leans on an indicator: its values, the targets drawn on it, linked goals."""

    values: int
    targets: int
    goals: int


def indicator_use(session: Session, indicator_id: int) -> IndicatorUse:
    def count(query) -> int:
        return session.scalar(query) or 0

    return IndicatorUse(
        values=count(
            select(func.count())
            .select_from(IndicatorValue)
            .where(IndicatorValue.indicator_id == indicator_id)
        ),
        targets=count(
            select(func.count())
            .select_from(GoalTarget)
            .where(GoalTarget.indicator_id == indicator_id)
        ),
        goals=count(
            select(func.count())
            .select_from(goal_indicator)
            .where(goal_indicator.c.indicator_id == indicator_id)
        ),
    )


def goal_action_count(session: Session, goal_id: int) -> int:
    """How many actions serve the goal."""
    return (
        session.scalar(
            select(func.count()).select_from(ActionGoal).where(ActionGoal.goal_id == goal_id)
        )
        or 0
    )


# -- checking input --------------------------------------------------------------------------


def _take(errors: dict, name: str, result):
    value, key = result
    if key and name not in errors:
        errors[name] = key
    return value


def _position(raw, errors: dict, name: str = "position") -> int:
    value, key = fields.number(raw)
    if key or (value is not None and (value != int(value) or not 0 <= value <= MAX_POSITION)):
        errors.setdefault(name, "position")
        return 0
    return int(value) if value is not None else 0


def _id(raw) -> int | None:
    """A posted id ("12", 12) or None for nothing; -1 for something that is not an id."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else -1


def _require_version(obj, version: int | None) -> None:
    """Refuse a save whose form was loaded at another version than the one saved now."""
    if version is None or obj.version != version:
        raise Conflict(obj)


@contextmanager
def _edit(session: Session, obj, field: str | None = None, key: str | None = None) -> Iterator:
    """Make an edit of ``obj`` and commit it. A write that lost a race with another save (the
    row's version moved on since it was read, found at any flush) is ``Conflict`` carrying the
    version saved now; a unique index refusing is ``Invalid({field: key})``. Nothing is written
    either way."""
    try:
        yield
        session.flush()
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(session.get(type(obj), obj.id)) from None
    except IntegrityError:
        session.rollback()
        if field is None:
            raise
        raise Invalid({field: key}) from None


def _commit_or_taken(session: Session, field: str, key: str) -> None:
    """Commit; a unique index refusing (a concurrent request did the same) is ``Invalid``."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Invalid({field: key}) from None


def _clean_strategy(session: Session, values: dict, strategy: Strategy | None) -> dict:
    errors: dict[str, str] = {}
    title = _take(errors, "title", fields.text(values.get("title"), required=True))
    slug = _take(errors, "slug", fields.text(values.get("slug"), SLUG_LENGTH, required=True))
    if slug and "slug" not in errors:
        if not _SLUG.match(slug):
            errors["slug"] = "slug"
        elif slug in RESERVED_SLUGS:
            errors["slug"] = "slug_reserved"
        else:
            other = session.scalar(
                select(Strategy.id).where(
                    Strategy.slug == slug, Strategy.id != (strategy.id if strategy else 0)
                )
            )
            if other is not None:
                errors["slug"] = "slug_taken"
    summary = _take(errors, "summary", fields.text(values.get("summary"), fields.MAX_TEXT))
    kind = None
    try:
        kind = StrategyKind(str(values.get("kind") or StrategyKind.STRATEGY.value).strip())
    except ValueError:
        errors["kind"] = "choice"
    consultation_id = _id(values.get("consultation_id"))
    if consultation_id is not None:
        if consultation_id < 0 or session.get(Consultation, consultation_id) is None:
            errors["consultation_id"] = "choice"
        else:
            other = session.scalar(
                select(Strategy.id).where(
                    Strategy.consultation_id == consultation_id,
                    Strategy.id != (strategy.id if strategy else 0),
                )
            )
            if other is not None:
                errors["consultation_id"] = "consultation_taken"
    starts_year = _take(
        errors, "starts_year", fields.year(values.get("starts_year"), required=True)
    )
    ends_year = _take(errors, "ends_year", fields.year(values.get("ends_year"), required=True))
    if starts_year is not None and ends_year is not None and ends_year < starts_year:
        errors["ends_year"] = "ends_before_start"
    adopted_on = _take(errors, "adopted_on", fields.day(values.get("adopted_on")))
    position = _position(values.get("position"), errors)
    if errors:
        raise Invalid(errors)
    return {
        "title": title,
        "slug": slug,
        "summary": summary,
        "kind": kind,
        "consultation_id": consultation_id,
        "starts_year": starts_year,
        "ends_year": ends_year,
        "adopted_on": adopted_on,
        "position": position,
    }


def _clean_priority(values: dict) -> dict:
    errors: dict[str, str] = {}
    title = _take(errors, "title", fields.text(values.get("title"), required=True))
    description = _take(
        errors, "description", fields.text(values.get("description"), fields.MAX_TEXT)
    )
    position = _position(values.get("position"), errors)
    if errors:
        raise Invalid(errors)
    return {"title": title, "description": description, "position": position}


def _clean_goal(session: Session, strategy: Strategy, values: dict) -> dict:
    errors: dict[str, str] = {}
    priority_id = _id(values.get("priority_id"))
    if priority_id is not None:
        priority = session.get(Priority, priority_id) if priority_id > 0 else None
        if priority is None or priority.strategy_id != strategy.id:
            errors["priority_id"] = "choice"
    code = _take(errors, "code", fields.text(values.get("code"), MAX_CODE))
    title = _take(errors, "title", fields.text(values.get("title"), required=True))
    description = _take(
        errors, "description", fields.text(values.get("description"), fields.MAX_TEXT)
    )
    position = _position(values.get("position"), errors)
    global_goals = _take(
        errors, "global_goals", fields.global_goals(values.get("global_goals") or [])
    )
    indicator_ids: list[int] = []
    for raw in values.get("indicator_ids") or []:
        indicator_id = _id(raw)
        if indicator_id is None:
            continue
        if indicator_id < 0 or session.get(Indicator, indicator_id) is None:
            errors.setdefault("indicator_ids", "choice")
        elif indicator_id not in indicator_ids:
            indicator_ids.append(indicator_id)
    if errors:
        raise Invalid(errors)
    return {
        "priority_id": priority_id,
        "code": code,
        "title": title,
        "description": description,
        "position": position,
        "global_goals": global_goals or [],
        "indicator_ids": indicator_ids,
    }


def _clean_target(session: Session, values: dict) -> dict:
    errors: dict[str, str] = {}
    label = _take(errors, "label", fields.text(values.get("label"), fields.MAX_SHORT))
    value = _take(errors, "value", fields.number(values.get("value"), required=True))
    unit = _take(errors, "unit", fields.text(values.get("unit"), MAX_UNIT))
    baseline_year = _take(errors, "baseline_year", fields.year(values.get("baseline_year")))
    baseline_value = _take(errors, "baseline_value", fields.number(values.get("baseline_value")))
    target_year = _take(
        errors, "target_year", fields.year(values.get("target_year"), required=True)
    )
    if (
        baseline_year is not None
        and target_year is not None
        and target_year < baseline_year
        and "target_year" not in errors
    ):
        errors["target_year"] = "target_before_baseline"
    if baseline_value is not None and baseline_year is None and "baseline_year" not in errors:
        errors["baseline_year"] = "baseline_year_needed"
    indicator_id = _id(values.get("indicator_id"))
    if indicator_id is not None and (
        indicator_id < 0 or session.get(Indicator, indicator_id) is None
    ):
        errors["indicator_id"] = "choice"
    area_code = _take(errors, "area_code", fields.text(values.get("area_code"), 4)) or None
    if area_code is not None and not areas.known(area_code):
        errors["area_code"] = "unknown_area"
    if "area_code" in errors and errors["area_code"] == "too_long":
        errors["area_code"] = "unknown_area"
    position = _position(values.get("position"), errors)
    if errors:
        raise Invalid(errors)
    return {
        "label": label,
        "value": value,
        "unit": unit,
        "baseline_year": baseline_year,
        "baseline_value": baseline_value,
        "target_year": target_year,
        "indicator_id": indicator_id,
        "area_code": area_code,
        "position": position,
    }


def _clean_indicator(session: Session, values: dict, indicator: Indicator | None) -> dict:
    errors: dict[str, str] = {}
    code = _take(errors, "code", fields.text(values.get("code"), MAX_INDICATOR_CODE, required=True))
    if code and "code" not in errors:
        if any(c.isspace() for c in code):
            errors["code"] = "indicator_code"
        else:
            other = session.scalar(
                select(Indicator.id).where(
                    Indicator.code == code, Indicator.id != (indicator.id if indicator else 0)
                )
            )
            if other is not None:
                errors["code"] = "indicator_code_taken"
    name = _take(errors, "name", fields.text(values.get("name"), required=True))
    unit = _take(errors, "unit", fields.text(values.get("unit"), MAX_UNIT))
    source = _take(errors, "source", fields.text(values.get("source")))
    direction = None
    try:
        direction = Direction(str(values.get("direction") or Direction.HIGHER.value).strip())
    except ValueError:
        errors["direction"] = "choice"
    description = _take(
        errors, "description", fields.text(values.get("description"), fields.MAX_TEXT)
    )
    if errors:
        raise Invalid(errors)
    return {
        "code": code,
        "name": name,
        "unit": unit,
        "source": source,
        "direction": direction,
        "description": description,
    }


def _apply(obj, cleaned: dict, names) -> tuple[dict, dict]:
    """Set ``names`` of ``cleaned`` on ``obj``; return what changed (before, after)."""
    before = _audit_values(audit.snapshot(obj, names))
    for name in names:
        setattr(obj, name, cleaned[name])
    return audit.changed(before, _audit_values(audit.snapshot(obj, names)))


def _audit_values(cleaned: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in cleaned.items()}


# -- strategies ------------------------------------------------------------------------------


def create_strategy(session: Session, actor, values: dict) -> Strategy:
    """Create an unpublished strategy (or framework) from ``values``."""
    access.require_followup_editor(actor)
    cleaned = _clean_strategy(session, values, None)
    now = clock.now()
    strategy = Strategy(created_at=now, **cleaned)
    session.add(strategy)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Invalid({"slug": "slug_taken"}) from None
    audit.record(session, actor, "strategy.create", strategy, None, _audit_values(cleaned), now=now)
    _commit_or_taken(session, "slug", "slug_taken")
    return strategy


def edit_strategy(
    session: Session, actor, strategy_id: int, values: dict, *, version: int | None
) -> Strategy:
    """Change a strategy's details, if it is still at ``version``."""
    access.require_followup_editor(actor)
    strategy = session.get(Strategy, strategy_id)
    if strategy is None:
        raise NotFound()
    cleaned = _clean_strategy(session, values, strategy)
    _require_version(strategy, version)
    with _edit(session, strategy, "slug", "slug_taken"):
        old, new = _apply(strategy, cleaned, STRATEGY_FIELDS)
        if new:
            audit.record(session, actor, "strategy.edit", strategy, old, new)
    return strategy


def publish_strategy(session: Session, actor, strategy_id: int, publish: bool = True) -> Strategy:
    """Show the strategy on the public follow-up pages from now (or hide it again)."""
    access.require_followup_editor(actor)
    strategy = session.get(Strategy, strategy_id)
    if strategy is None:
        raise NotFound()
    if publish == (strategy.published_at is not None):
        raise WrongState("already_published" if publish else "not_published")
    before = {"published_at": strategy.published_at}
    strategy.published_at = clock.now() if publish else None
    audit.record(
        session,
        actor,
        "strategy.publish" if publish else "strategy.unpublish",
        strategy,
        before,
        {"published_at": strategy.published_at},
    )
    session.commit()
    return strategy


# -- priorities ------------------------------------------------------------------------------


def _strategy(session: Session, strategy_id: int) -> Strategy:
    strategy = session.get(Strategy, strategy_id)
    if strategy is None:
        raise NotFound()
    return strategy


def _priority(session: Session, priority_id: int) -> Priority:
    priority = session.get(Priority, priority_id)
    if priority is None:
        raise NotFound()
    return priority


def _next_position(session: Session, column, among) -> int:
    """The position after the last of the rows ``among`` selects (1 for the first)."""
    last = session.scalar(select(func.max(column)).where(among)) or 0
    return min(MAX_POSITION, last + 1)


def create_priority(session: Session, actor, strategy_id: int, values: dict) -> Priority:
    """Add a priority (inriktning) to the strategy; without a position it goes last."""
    access.require_followup_editor(actor)
    strategy = _strategy(session, strategy_id)
    cleaned = _clean_priority(values)
    if not str(values.get("position") or "").strip():
        cleaned["position"] = _next_position(
            session, Priority.position, Priority.strategy_id == strategy.id
        )
    priority = Priority(strategy_id=strategy.id, **cleaned)
    session.add(priority)
    session.flush()
    audit.record(session, actor, "priority.create", priority, None, cleaned)
    session.commit()
    return priority


def edit_priority(
    session: Session, actor, priority_id: int, values: dict, *, version: int | None
) -> Priority:
    """Change a priority's title, description and position, if it is still at ``version``."""
    access.require_followup_editor(actor)
    priority = _priority(session, priority_id)
    cleaned = _clean_priority(values)
    if not str(values.get("position") or "").strip():
        cleaned["position"] = priority.position
    _require_version(priority, version)
    with _edit(session, priority):
        old, new = _apply(priority, cleaned, PRIORITY_FIELDS)
        if new:
            audit.record(session, actor, "priority.edit", priority, old, new)
    return priority


def move_priority(session: Session, actor, priority_id: int, direction: str) -> Priority:
    """Move a priority one place up or down among its strategy's (positions 1, 2, 3 …)."""
    access.require_followup_editor(actor)
    if direction not in ("up", "down"):
        raise Invalid({"direction": "choice"})
    priority = _priority(session, priority_id)
    order = sorted(
        session.scalars(select(Priority).where(Priority.strategy_id == priority.strategy_id)),
        key=lambda p: (p.position, p.id),
    )
    index = order.index(priority)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        raise WrongState("cannot_move")
    order[index], order[other] = order[other], order[index]
    before = {p.id: p.position for p in order}
    for number, item in enumerate(order, start=1):
        item.position = number
    audit.record(
        session,
        actor,
        "priority.move",
        priority,
        {"position": before[priority.id]},
        {"position": priority.position},
    )
    session.commit()
    return priority


def delete_priority(session: Session, actor, priority_id: int) -> None:
    """Delete a priority without goals; one with goals is refused (move or delete them)."""
    access.require_followup_editor(actor)
    priority = _priority(session, priority_id)
    goals = session.scalar(
        select(func.count()).select_from(Goal).where(Goal.priority_id == priority.id)
    )
    if goals:
        raise WrongState("priority_has_goals", count=goals)
    audit.record(
        session, actor, "priority.delete", priority, audit.snapshot(priority, PRIORITY_FIELDS), None
    )
    session.delete(priority)
    session.commit()


# -- goals -----------------------------------------------------------------------------------


def _goal(session: Session, goal_id: int) -> Goal:
    goal = session.get(Goal, goal_id)
    if goal is None:
        raise NotFound()
    return goal


def _set_links(session: Session, goal: Goal, cleaned: dict) -> tuple[dict, dict]:
    """Replace the goal's global goal codes and indicators; return what changed."""
    before = {
        "global_goals": ", ".join(goal_global_goals(session, goal)),
        "indicators": ", ".join(sorted(i.code for i in goal.indicators)),
    }
    session.execute(delete(goal_sdg).where(goal_sdg.c.goal_id == goal.id))
    if cleaned["global_goals"]:
        session.execute(
            insert(goal_sdg), [{"goal_id": goal.id, "code": c} for c in cleaned["global_goals"]]
        )
    goal.indicators = [session.get(Indicator, i) for i in cleaned["indicator_ids"]]
    after = {
        "global_goals": ", ".join(cleaned["global_goals"]),
        "indicators": ", ".join(sorted(i.code for i in goal.indicators)),
    }
    return audit.changed(before, after)


def create_goal(session: Session, actor, strategy_id: int, values: dict) -> Goal:
    """Add a goal to the strategy (under one of its priorities, or directly under it), with
    its global goals and targets (``global_goals``) and indicators (``indicator_ids``)."""
    access.require_followup_editor(actor)
    strategy = _strategy(session, strategy_id)
    cleaned = _clean_goal(session, strategy, values)
    goal = Goal(strategy_id=strategy.id, **{name: cleaned[name] for name in GOAL_FIELDS})
    session.add(goal)
    session.flush()
    _old, links = _set_links(session, goal, cleaned)
    audit.record(
        session,
        actor,
        "goal.create",
        goal,
        None,
        {**{name: cleaned[name] for name in GOAL_FIELDS}, **links},
    )
    session.commit()
    return goal


def edit_goal(session: Session, actor, goal_id: int, values: dict, *, version: int | None) -> Goal:
    """Change a goal, its global goals and its indicators, if it is still at ``version``."""
    access.require_followup_editor(actor)
    goal = _goal(session, goal_id)
    cleaned = _clean_goal(session, goal.strategy, values)
    _require_version(goal, version)
    with _edit(session, goal):
        old, new = _apply(goal, cleaned, GOAL_FIELDS)
        old_links, new_links = _set_links(session, goal, cleaned)
        if new_links and not new:
            # Changed links alone do not update the goal's row: mark it, so that its version
            # moves on and an edit loaded before this one is refused.
            flag_modified(goal, "title")
        if new or new_links:
            audit.record(session, actor, "goal.edit", goal, old | old_links, new | new_links)
    return goal


def delete_goal(session: Session, actor, goal_id: int) -> None:
    """Delete a goal with its targets and links; refused while actions serve it."""
    access.require_followup_editor(actor)
    goal = _goal(session, goal_id)
    actions = goal_action_count(session, goal.id)
    if actions:
        raise WrongState("goal_has_actions", count=actions)
    audit.record(session, actor, "goal.delete", goal, audit.snapshot(goal, GOAL_FIELDS), None)
    session.execute(delete(GoalTarget).where(GoalTarget.goal_id == goal.id))
    goal.indicators = []
    session.execute(delete(goal_sdg).where(goal_sdg.c.goal_id == goal.id))
    session.execute(delete(ReportGoalNote).where(ReportGoalNote.goal_id == goal.id))
    session.delete(goal)
    session.commit()


# -- targets ---------------------------------------------------------------------------------


def _target(session: Session, target_id: int) -> GoalTarget:
    target = session.get(GoalTarget, target_id)
    if target is None:
        raise NotFound()
    return target


def create_target(session: Session, actor, goal_id: int, values: dict) -> GoalTarget:
    """Add a quantified target to a goal."""
    access.require_followup_editor(actor)
    goal = _goal(session, goal_id)
    cleaned = _clean_target(session, values)
    if not str(values.get("position") or "").strip():
        cleaned["position"] = _next_position(
            session, GoalTarget.position, GoalTarget.goal_id == goal.id
        )
    target = GoalTarget(goal_id=goal.id, **cleaned)
    session.add(target)
    session.flush()
    audit.record(session, actor, "goal_target.create", target, None, cleaned)
    session.commit()
    return target


def edit_target(
    session: Session, actor, target_id: int, values: dict, *, version: int | None
) -> GoalTarget:
    """Change a goal's target, if it is still at ``version``."""
    access.require_followup_editor(actor)
    target = _target(session, target_id)
    cleaned = _clean_target(session, values)
    if not str(values.get("position") or "").strip():
        cleaned["position"] = target.position
    _require_version(target, version)
    with _edit(session, target):
        old, new = _apply(target, cleaned, TARGET_FIELDS)
        if new:
            audit.record(session, actor, "goal_target.edit", target, old, new)
    return target


def delete_target(session: Session, actor, target_id: int) -> None:
    """Delete a goal's target."""
    access.require_followup_editor(actor)
    target = _target(session, target_id)
    audit.record(
        session, actor, "goal_target.delete", target, audit.snapshot(target, TARGET_FIELDS), None
    )
    session.delete(target)
    session.commit()


# -- indicators ------------------------------------------------------------------------------


def create_indicator(session: Session, actor, values: dict) -> Indicator:
    """Add an indicator (shared by all strategies; its code names it in import files)."""
    access.require_followup_editor(actor)
    cleaned = _clean_indicator(session, values, None)
    indicator = Indicator(created_at=clock.now(), **cleaned)
    session.add(indicator)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Invalid({"code": "indicator_code_taken"}) from None
    audit.record(session, actor, "indicator.create", indicator, None, _audit_values(cleaned))
    _commit_or_taken(session, "code", "indicator_code_taken")
    return indicator


def edit_indicator(
    session: Session, actor, indicator_id: int, values: dict, *, version: int | None
) -> Indicator:
    """Change an indicator's code, name, unit, source, direction and description, if it is
    still at ``version``."""
    access.require_followup_editor(actor)
    indicator = indicator_or_404(session, indicator_id)
    cleaned = _clean_indicator(session, values, indicator)
    _require_version(indicator, version)
    with _edit(session, indicator, "code", "indicator_code_taken"):
        old, new = _apply(indicator, cleaned, INDICATOR_FIELDS)
        if new:
            audit.record(session, actor, "indicator.edit", indicator, old, new)
    return indicator


def delete_indicator(session: Session, actor, indicator_id: int) -> None:
    """Delete an indicator no value or target uses (its links to goals go with it)."""
    access.require_followup_editor(actor)
    indicator = indicator_or_404(session, indicator_id)
    use = indicator_use(session, indicator.id)
    if use.values:
        raise WrongState("indicator_has_values", count=use.values)
    if use.targets:
        raise WrongState("indicator_has_targets", count=use.targets)
    audit.record(
        session,
        actor,
        "indicator.delete",
        indicator,
        _audit_values(audit.snapshot(indicator, INDICATOR_FIELDS)),
        None,
    )
    session.execute(delete(goal_indicator).where(goal_indicator.c.indicator_id == indicator.id))
    session.delete(indicator)
    session.commit()
