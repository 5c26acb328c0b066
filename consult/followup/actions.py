"""The actions (insatser) of a strategy: created, edited and deleted by staff; updated by the
working group responsible for them (status, progress, milestones and what they answer in the
consultation).

Every function takes the acting user and asks ``consult.group_access`` first: staff and
administrators may do everything (``require_followup_editor``); a current member of the
action's group may update it (``require_action_updater``) but neither change its code, title,
group or goals nor delete it. Input is checked with ``consult.followup.fields``; a refusal
raises ``Invalid`` with keys of ``labels.MESSAGES`` before anything is written. A save of the
action names the version its form was loaded at and is refused with ``Conflict`` if someone
saved the action since. Every change is audited in the transaction that makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import areas, audit, clock
from .. import group_access as access
from ..errors import Conflict, Invalid, NotAllowed, NotFound
from ..models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    Document,
    Goal,
    Milestone,
    Paragraph,
    Round,
    Strategy,
    Synthesis,
    Theme,
    WorkingGroup,
    action_area,
    action_sdg,
)
from ..web import parse_int
from . import fields, queries

MAX_CODE = 40
DETAIL_FIELDS = (
    "code",
    "title",
    "description",
    "responsible",
    "group_id",
    "starts_on",
    "ends_on",
    "status",
    "progress",
)
STATUS_FIELDS = ("status", "progress")
MILESTONE_FIELDS = ("due_on", "title", "description", "done_on")


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


# -- reading ---------------------------------------------------------------------------------


def consultation_groups(session: Session, strategy: Strategy) -> list[WorkingGroup]:
    """The working groups of the strategy's consultation (none for a framework)."""
    if strategy.consultation_id is None:
        return []
    return list(
        session.scalars(
            select(WorkingGroup)
            .where(WorkingGroup.consultation_id == strategy.consultation_id)
            .order_by(WorkingGroup.closed_at.is_not(None), WorkingGroup.position, WorkingGroup.id)
        )
    )


def _own_groups(session: Session, actor, strategy: Strategy) -> set[int] | None:
    """The groups of the strategy whose actions the actor may update (None: all, staff);
    NotAllowed for someone who is in none of them."""
    if access.is_staff(actor):
        return None
    if strategy.consultation_id is None:
        raise NotAllowed()
    mine = {
        m.group_id for m in access.current_memberships(session, actor, strategy.consultation_id)
    }
    if not mine:
        raise NotAllowed()
    return mine


@dataclass
class ActionList:
    strategy: Strategy
    actions: list[Action]
    groups: list[WorkingGroup]
    # None for staff (every action); else the groups whose actions the reader sees.
    own_groups: set[int] | None
    status: ActionStatus | None = None
    group_id: int | None = None

    @property
    def may_create(self) -> bool:
        return self.own_groups is None


def action_list(
    session: Session,
    actor,
    slug: str,
    *,
    status: str | None = None,
    group_id: int | None = None,
) -> ActionList:
    """The strategy's actions, filtered by status and group: every action for staff, the
    actions of their own groups for a member of one of the consultation's groups."""
    if not access.is_staff(actor) and not access.current_memberships(session, actor):
        raise NotAllowed()
    strategy = queries.strategy_at(session, slug)
    own = _own_groups(session, actor, strategy)
    query = select(Action).where(Action.strategy_id == strategy.id)
    if own is not None:
        query = query.where(Action.group_id.in_(own))
    chosen_status, _error = fields.status(status) if status else (None, None)
    if chosen_status is not None:
        query = query.where(Action.status == chosen_status)
    if group_id is not None:
        query = query.where(Action.group_id == group_id)
    actions = list(session.scalars(query.order_by(Action.code, Action.id)))
    groups = consultation_groups(session, strategy)
    if own is not None:
        groups = [g for g in groups if g.id in own]
    return ActionList(strategy, actions, groups, own, chosen_status, group_id)


def new_action_strategy(session: Session, actor, slug: str) -> Strategy:
    """The strategy, for the page that creates an action (staff)."""
    access.require_followup_editor(actor)
    return queries.strategy_at(session, slug)


def action_for(session: Session, actor, slug: str, action_id: int) -> Action:
    """One of the strategy's actions, for staff or a current member of its group."""
    if not access.is_staff(actor) and not access.current_memberships(session, actor):
        raise NotAllowed()
    strategy = queries.strategy_at(session, slug)
    action = queries.action_in(session, strategy, action_id)
    access.require_action_updater(session, actor, action)
    return action


def group_actions(session: Session, group_id: int) -> list[Action]:
    """The actions a working group is responsible for, by strategy and code (for its
    workspace; the workspace itself checks who may see it)."""
    return list(
        session.scalars(
            select(Action)
            .join(Strategy, Strategy.id == Action.strategy_id)
            .where(Action.group_id == group_id)
            .order_by(Strategy.position, Strategy.id, Action.code, Action.id)
        )
    )


def goal_weights(action: Action) -> dict[int, int]:
    """The goals the action serves, with its weight in each."""
    return {link.goal_id: link.weight for link in action.goal_links}


# -- checking input --------------------------------------------------------------------------


@dataclass
class Details:
    """An action's details as checked from a form (or an import row)."""

    values: dict
    goals: dict[int, int] = field(default_factory=dict)
    global_goals: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)


def _check(errors: dict, name: str, result):
    value, error = result
    if error and name not in errors:
        errors[name] = error
    return value


def _group_id(session: Session, strategy: Strategy, raw, errors: dict) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    group_id = raw if isinstance(raw, int) else parse_int(str(raw))
    allowed = {g.id for g in consultation_groups(session, strategy)}
    if group_id is None or group_id not in allowed:
        errors["group_id"] = "unknown_group"
        return None
    return group_id


def _goals(session: Session, strategy: Strategy, raw: dict, errors: dict) -> dict[int, int]:
    found: dict[int, int] = {}
    own = set(session.scalars(select(Goal.id).where(Goal.strategy_id == strategy.id)))
    for goal_id, raw_weight in raw.items():
        goal_id = goal_id if isinstance(goal_id, int) else parse_int(str(goal_id))
        if goal_id is None or goal_id not in own:
            errors.setdefault("goals", "unknown_goal")
            continue
        weight = _check(errors, "goals", fields.weight(raw_weight))
        if weight is not None:
            found[goal_id] = weight
    return found


def _areas(raw, errors: dict) -> list[str]:
    found: list[str] = []
    for code in raw or []:
        code = str(code).strip()
        if not code:
            continue
        if not areas.known(code):
            errors.setdefault("areas", "unknown_area")
        elif code not in found:
            found.append(code)
    return sorted(found)


def check_details(
    session: Session, strategy: Strategy, raw: dict, *, action: Action | None = None
) -> Details:
    """Check an action's details; raise Invalid with every field's first problem.

    ``raw`` holds code, title, description, responsible, group_id, starts_on, ends_on, status,
    progress (form strings or typed values), goals ({goal id: weight}), global_goals and areas
    (lists of codes).
    """
    errors: dict[str, str] = {}
    values = {
        "code": _check(errors, "code", fields.text(raw.get("code"), MAX_CODE, required=True)),
        "title": _check(errors, "title", fields.text(raw.get("title"), required=True)),
        "description": _check(
            errors, "description", fields.text(raw.get("description"), fields.MAX_TEXT)
        ),
        "responsible": _check(
            errors, "responsible", fields.text(raw.get("responsible"), fields.MAX_SHORT)
        ),
        "group_id": _group_id(session, strategy, raw.get("group_id"), errors),
        "starts_on": _check(errors, "starts_on", fields.day(raw.get("starts_on"))),
        "ends_on": _check(errors, "ends_on", fields.day(raw.get("ends_on"))),
        "status": _check(errors, "status", fields.status(raw.get("status") or "planned")),
        "progress": _check(errors, "progress", fields.percent(raw.get("progress", "0"))),
    }
    period = fields.period(values["starts_on"], values["ends_on"])
    if period and "ends_on" not in errors:
        errors["ends_on"] = period
    if values["code"] and "code" not in errors:
        taken = session.scalar(
            select(Action.id).where(
                Action.strategy_id == strategy.id,
                Action.code == values["code"],
                *([Action.id != action.id] if action is not None and action.id else []),
            )
        )
        if taken is not None:
            errors["code"] = "code_taken"
    goals = _goals(session, strategy, raw.get("goals") or {}, errors)
    global_goals = _check(
        errors, "global_goals", fields.global_goals(raw.get("global_goals") or [])
    )
    area_codes = _areas(raw.get("areas"), errors)
    if errors:
        raise Invalid(errors)
    return Details(values, goals, global_goals or [], area_codes)


def _status_values(raw_status, raw_progress) -> dict:
    errors: dict[str, str] = {}
    values = {
        "status": _check(errors, "status", fields.status(raw_status)),
        "progress": _check(errors, "progress", fields.percent(raw_progress)),
    }
    if errors:
        raise Invalid(errors)
    return values


# -- the links of an action (global goals, areas, goals) -------------------------------------


def _links(session: Session, action: Action) -> dict:
    return {
        "goals": {str(k): v for k, v in sorted(goal_weights(action).items())},
        "global_goals": queries.action_sdgs(session, [action.id]).get(action.id, []),
        "areas": queries.action_areas(session, [action.id]).get(action.id, []),
    }


def _set_links(session: Session, action: Action, details: Details) -> None:
    current = goal_weights(action)
    for link in list(action.goal_links):
        if link.goal_id not in details.goals:
            action.goal_links.remove(link)
        elif link.weight != details.goals[link.goal_id]:
            link.weight = details.goals[link.goal_id]
    for goal_id, weight in details.goals.items():
        if goal_id not in current:
            action.goal_links.append(ActionGoal(goal_id=goal_id, weight=weight))
    session.execute(delete(action_sdg).where(action_sdg.c.action_id == action.id))
    if details.global_goals:
        session.execute(
            insert(action_sdg), [{"action_id": action.id, "code": c} for c in details.global_goals]
        )
    session.execute(delete(action_area).where(action_area.c.action_id == action.id))
    if details.areas:
        session.execute(
            insert(action_area), [{"action_id": action.id, "area_code": c} for c in details.areas]
        )


def _save(session: Session, action: Action) -> None:
    """Commit; a save that lost a race is refused with Conflict, a code taken meanwhile
    with Invalid (nothing written either way)."""
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        raise Conflict(session.get(Action, action.id)) from None
    except IntegrityError:
        session.rollback()
        raise Invalid({"code": "code_taken"}) from None


def _require_version(action: Action, version: int | None) -> None:
    if version is None or action.version != version:
        raise Conflict(action)


# -- changing an action ----------------------------------------------------------------------


def create_action(
    session: Session, actor, strategy: Strategy, raw: dict, *, now: datetime | None = None
) -> Action:
    """Create an action of the strategy (staff) with its goals, global goals and areas."""
    access.require_followup_editor(actor)
    now = now or clock.now()
    details = check_details(session, strategy, raw)
    action = Action(
        strategy_id=strategy.id,
        **details.values,
        updated_by_id=actor.id,
        updated_at=now,
        created_at=now,
    )
    session.add(action)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Invalid({"code": "code_taken"}) from None
    _set_links(session, action, details)
    session.flush()
    after = _jsonable(audit.snapshot(action, DETAIL_FIELDS)) | _links(session, action)
    audit.record(session, actor, "action.create", action, None, after, now=now)
    _save(session, action)
    return action


def update_action(
    session: Session,
    actor,
    action: Action,
    raw: dict,
    *,
    version: int | None,
    now: datetime | None = None,
) -> Action:
    """Save all of an action's details (staff), if it is still at ``version``."""
    access.require_followup_editor(actor)
    now = now or clock.now()
    details = check_details(session, action.strategy, raw, action=action)
    _require_version(action, version)
    before = _jsonable(audit.snapshot(action, DETAIL_FIELDS)) | _links(session, action)
    try:
        for name, value in details.values.items():
            setattr(action, name, value)
        _set_links(session, action, details)
        session.flush()
        session.expire(action, ["goal_links"])
        after = _jsonable(audit.snapshot(action, DETAIL_FIELDS)) | _links(session, action)
        if before == after:
            session.rollback()
            return action
        action.updated_by_id, action.updated_at = actor.id, now
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(session.get(Action, action.id)) from None
    except IntegrityError:
        session.rollback()
        raise Invalid({"code": "code_taken"}) from None
    old, new = audit.changed(before, after)
    audit.record(session, actor, "action.edit", action, old, new, now=now)
    _save(session, action)
    return action


def update_status(
    session: Session,
    actor,
    action: Action,
    *,
    status,
    progress,
    version: int | None,
    now: datetime | None = None,
) -> Action:
    """Save an action's status and progress (staff, or a member of its group)."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    values = _status_values(status, progress)
    _require_version(action, version)
    before = _jsonable(audit.snapshot(action, STATUS_FIELDS))
    action.status, action.progress = values["status"], values["progress"]
    after = _jsonable(audit.snapshot(action, STATUS_FIELDS))
    if before == after:
        return action
    action.updated_by_id, action.updated_at = actor.id, now
    old, new = audit.changed(before, after)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(session.get(Action, action.id)) from None
    audit.record(session, actor, "action.status", action, old, new, now=now)
    _save(session, action)
    return action


def delete_action(session: Session, actor, action: Action, *, now: datetime | None = None) -> None:
    """Delete an action with its milestones and links (staff)."""
    access.require_followup_editor(actor)
    now = now or clock.now()
    before = _jsonable(audit.snapshot(action, DETAIL_FIELDS)) | _links(session, action)
    before["milestones"] = len(action.milestones)
    before["sources"] = len(action.sources)
    audit.record(session, actor, "action.delete", action, before, None, now=now)
    session.execute(delete(action_sdg).where(action_sdg.c.action_id == action.id))
    session.execute(delete(action_area).where(action_area.c.action_id == action.id))
    session.delete(action)
    session.commit()


# -- milestones ------------------------------------------------------------------------------


def _milestone_values(raw: dict) -> dict:
    errors: dict[str, str] = {}
    values = {
        "due_on": _check(errors, "due_on", fields.day(raw.get("due_on"), required=True)),
        "title": _check(errors, "title", fields.text(raw.get("title"), required=True)),
        "description": _check(
            errors, "description", fields.text(raw.get("description"), fields.MAX_TEXT)
        ),
        "done_on": _check(errors, "done_on", fields.day(raw.get("done_on"))),
    }
    if errors:
        raise Invalid(errors)
    return values


def milestone_of(session: Session, action: Action, milestone_id: int) -> Milestone:
    """One of the action's milestones; NotFound for another action's."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or milestone.action_id != action.id:
        raise NotFound()
    return milestone


def add_milestone(
    session: Session, actor, action: Action, raw: dict, *, now: datetime | None = None
) -> Milestone:
    """Add a dated milestone to the action (staff, or a member of its group)."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    values = _milestone_values(raw)
    milestone = Milestone(action_id=action.id, **values)
    session.add(milestone)
    session.flush()
    audit.record(
        session,
        actor,
        "milestone.create",
        milestone,
        None,
        _jsonable(values) | {"action_id": action.id},
        now=now,
    )
    session.commit()
    session.expire(action, ["milestones"])
    return milestone


def edit_milestone(
    session: Session,
    actor,
    action: Action,
    milestone_id: int,
    raw: dict,
    *,
    now: datetime | None = None,
) -> Milestone:
    """Change a milestone's date, title, description or done date."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    milestone = milestone_of(session, action, milestone_id)
    values = _milestone_values(raw)
    before = _jsonable(audit.snapshot(milestone, MILESTONE_FIELDS))
    for name, value in values.items():
        setattr(milestone, name, value)
    after = _jsonable(audit.snapshot(milestone, MILESTONE_FIELDS))
    if before != after:
        old, new = audit.changed(before, after)
        audit.record(session, actor, "milestone.edit", milestone, old, new, now=now)
        session.commit()
    return milestone


def mark_milestone(
    session: Session,
    actor,
    action: Action,
    milestone_id: int,
    *,
    done: bool,
    now: datetime | None = None,
) -> Milestone:
    """Mark a milestone as reached today (Swedish date), or as not reached."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    milestone = milestone_of(session, action, milestone_id)
    before = _jsonable(audit.snapshot(milestone, ("done_on",)))
    if done and milestone.done_on is None:
        milestone.done_on = clock.to_local(now).date()
    elif not done:
        milestone.done_on = None
    after = _jsonable(audit.snapshot(milestone, ("done_on",)))
    if before != after:
        audit.record(session, actor, "milestone.done", milestone, before, after, now=now)
        session.commit()
    return milestone


def delete_milestone(
    session: Session, actor, action: Action, milestone_id: int, *, now: datetime | None = None
) -> None:
    """Delete one of the action's milestones."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    milestone = milestone_of(session, action, milestone_id)
    before = _jsonable(audit.snapshot(milestone, MILESTONE_FIELDS)) | {"action_id": action.id}
    audit.record(session, actor, "milestone.delete", milestone, before, None, now=now)
    session.delete(milestone)
    session.commit()
    session.expire(action, ["milestones"])


# -- sources: what in the consultation the action answers -----------------------------------


def _round_ids(session: Session, strategy: Strategy) -> set[int]:
    if strategy.consultation_id is None:
        return set()
    return set(
        session.scalars(select(Round.id).where(Round.consultation_id == strategy.consultation_id))
    )


def round_numbers(session: Session, strategy: Strategy) -> dict[int, int]:
    """The number of each round of the strategy's consultation, by id."""
    if strategy.consultation_id is None:
        return {}
    return dict(
        session.execute(
            select(Round.id, Round.number).where(Round.consultation_id == strategy.consultation_id)
        ).all()
    )


def _source_target(session: Session, strategy: Strategy, kind: str, target_id: int | None):
    """The synthesis, theme or paragraph to link, if it belongs to one of the rounds of the
    strategy's consultation; Invalid otherwise."""
    rounds = _round_ids(session, strategy)
    if target_id is None or kind not in {"synthesis", "theme", "paragraph"}:
        raise Invalid({"source": "choice"})
    if kind == "synthesis":
        found = session.get(Synthesis, target_id)
        round_id = found.round_id if found is not None else None
    elif kind == "theme":
        found = session.get(Theme, target_id)
        round_id = found.round_id if found is not None else None
    else:
        found = session.get(Paragraph, target_id)
        round_id = (
            session.scalar(select(Document.round_id).where(Document.id == found.document_id))
            if found is not None
            else None
        )
    if found is None or round_id not in rounds:
        raise Invalid({"source": "source_elsewhere"})
    return found


def link_source(
    session: Session,
    actor,
    action: Action,
    *,
    kind: str,
    target_id: int | None,
    now: datetime | None = None,
) -> ActionSource:
    """Link the action to a synthesis response, a theme or a paragraph of its strategy's
    consultation ("you said → we decided → we did")."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    target = _source_target(session, action.strategy, kind, target_id)
    column = getattr(ActionSource, f"{kind}_id")
    if session.scalar(
        select(ActionSource.id).where(ActionSource.action_id == action.id, column == target.id)
    ):
        raise Invalid({"source": "source_linked"})
    source = ActionSource(action_id=action.id, **{f"{kind}_id": target.id})
    session.add(source)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Invalid({"source": "source_linked"}) from None
    audit.record(
        session,
        actor,
        "action.source_link",
        action,
        None,
        {f"{kind}_id": target.id},
        now=now,
    )
    session.commit()
    session.expire(action, ["sources"])
    return source


def unlink_source(
    session: Session, actor, action: Action, source_id: int, *, now: datetime | None = None
) -> None:
    """Remove one of the action's links to the consultation."""
    access.require_action_updater(session, actor, action)
    now = now or clock.now()
    source = session.get(ActionSource, source_id)
    if source is None or source.action_id != action.id:
        raise NotFound()
    before = {
        name: getattr(source, name)
        for name in ("synthesis_id", "theme_id", "paragraph_id")
        if getattr(source, name) is not None
    }
    audit.record(session, actor, "action.source_unlink", action, before, None, now=now)
    session.delete(source)
    session.commit()
    session.expire(action, ["sources"])


@dataclass
class RoundSources:
    """What of one round an action may be linked to."""

    round: Round
    syntheses: list[Synthesis]
    themes: list[Theme]
    paragraphs: list[Paragraph]


def source_choices(session: Session, actor, action: Action) -> list[RoundSources]:
    """The rounds of the strategy's consultation, newest first, each with its synthesis
    entries (those with a response or a summary), current themes and draft paragraphs."""
    access.require_action_updater(session, actor, action)
    strategy = action.strategy
    if strategy.consultation_id is None:
        return []
    rounds = session.scalars(
        select(Round)
        .where(Round.consultation_id == strategy.consultation_id)
        .order_by(Round.number.desc())
    )
    found = []
    for round_ in rounds:
        syntheses = [
            s
            for s in session.scalars(select(Synthesis).where(Synthesis.round_id == round_.id))
            if s.response is not None or s.summary
        ]
        syntheses.sort(
            key=lambda s: (
                s.theme_id is None,
                s.theme.name if s.theme else "",
                s.paragraph.position if s.paragraph else 0,
            )
        )
        themes = list(
            session.scalars(
                select(Theme)
                .where(Theme.round_id == round_.id, Theme.retired_at.is_(None))
                .order_by(Theme.name)
            )
        )
        paragraphs = list(round_.document.paragraphs) if round_.document else []
        found.append(RoundSources(round_, syntheses, themes, paragraphs))
    return found
