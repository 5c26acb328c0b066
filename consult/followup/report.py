"""The yearly results report of a strategy ("Resultat Västerbotten 2023"): per priority and goal
the actions with their status and progress, the milestones of the year, the indicators up to the
year and the targets, staff's comment on each goal; what the work contributes to each global
goal; and what came from the consultation.

``content`` builds the report as plain JSON-ready data (codes and values, not translated
labels: a page or a Word file names them in the reader's language). A draft is built anew each
time it is shown; publishing stores the content as the report's ``snapshot``, and a published
report is always shown from it, so later changes to actions, indicators and goals leave a
published year as it was read.

Progress figures are the actions' progress when the report is built (actions keep no history
of their progress): a draft shows today's, a published report the figures of the day it was
published.

Editing rules (decided here): a published report is not edited. Staff who must correct one
unpublish it (it leaves the public pages, its snapshot is dropped and it becomes a draft built
from today's data again), edit it, and publish it anew, which stores a new snapshot. Each step
is audit-logged. Every change names the report's version (optimistic locking): a form loaded
before someone else saved is refused with Conflict and nothing is overwritten.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import areas, audit, carried_out, clock
from .. import group_access as access
from ..errors import Conflict, Invalid, NotFound, WrongState
from ..models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    FollowupReport,
    Goal,
    Indicator,
    IndicatorValue,
    Paragraph,
    ReportGoalNote,
    Response,
    Strategy,
    Synthesis,
)
from ..synthesis.labels import RESPONSE_LABELS
from . import agenda2030, fields, labels, numbers, queries
from .progress import goal_progress, mean_progress
from .strategies import managed_strategy

# The layout of ``content``; a stored snapshot says which layout it was written in.
SCHEMA = 1


# --- The content -----------------------------------------------------------------------------


def content(session: Session, strategy: Strategy, year: int, *, now: datetime | None = None):
    """The report of ``strategy`` for ``year`` as JSON-serialisable data.

    The foreword and the per-goal notes come from the strategy's report for the year, if one
    exists. ``now`` decides which parts of the consultation are public yet (default: now).
    """
    now = now or clock.now()
    report = report_for(session, strategy, year)
    notes = {note.goal_id: note.text for note in report.goal_notes} if report else {}
    goals = list(
        session.scalars(
            select(Goal)
            .where(Goal.strategy_id == strategy.id)
            .order_by(Goal.position, Goal.id)
            .options(
                selectinload(Goal.links)
                .selectinload(ActionGoal.action)
                .options(selectinload(Action.milestones), selectinload(Action.group)),
                selectinload(Goal.targets),
                selectinload(Goal.indicators),
            )
        )
    )
    values = _indicator_values(session, {i.id for goal in goals for i in goal.indicators}, year)

    by_priority: dict[int | None, list[dict]] = defaultdict(list)
    progress_of: dict[int | None, list] = defaultdict(list)
    for goal in goals:
        progress = goal_progress(goal)
        progress_of[goal.priority_id].append(progress)
        by_priority[goal.priority_id].append(
            {
                "id": goal.id,
                "code": goal.code,
                "title": goal.title,
                "description": goal.description,
                "progress": _progress(progress),
                "actions": [_action(part, year) for part in progress.parts],
                "targets": [_target(target) for target in goal.targets],
                "indicators": [_indicator(i, values.get(i.id, [])) for i in goal.indicators],
                "note": notes.get(goal.id, ""),
            }
        )

    priorities = [
        {
            "id": priority.id,
            "title": priority.title,
            "description": priority.description,
            "progress": _round(mean_progress(progress_of[priority.id])),
            "goals": by_priority[priority.id],
        }
        for priority in strategy.priorities
    ]
    if by_priority.get(None):
        # Goals directly under the strategy: shown after the priorities, without a title.
        priorities.append(
            {
                "id": None,
                "title": "",
                "description": "",
                "progress": _round(mean_progress(progress_of[None])),
                "goals": by_priority[None],
            }
        )

    return {
        "schema": SCHEMA,
        "year": year,
        "built_at": now.isoformat(),
        "strategy": {
            "slug": strategy.slug,
            "title": strategy.title,
            "summary": strategy.summary,
            "kind": strategy.kind.value,
            "starts_year": strategy.starts_year,
            "ends_year": strategy.ends_year,
        },
        "foreword": report.foreword if report else "",
        "priorities": priorities,
        "global_goals": _global_goals(session, strategy, goals),
        "consultation": _from_consultation(session, strategy, now),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _progress(progress) -> dict:
    return {
        "value": _round(progress.value),
        "percent": progress.percent,
        "counted_weight": progress.counted_weight,
        "actions": len(progress.parts),
        "counted_actions": sum(1 for part in progress.parts if part.counted),
    }


def _in_year(day: date | None, year: int) -> bool:
    return day is not None and day.year == year


def _action(part, year: int) -> dict:
    action = part.action
    return {
        "id": action.id,
        "code": action.code,
        "title": action.title,
        "responsible": action.responsible,
        "group": action.group.name if action.group else "",
        "status": action.status.value,
        "progress": action.progress,
        "weight": part.weight,
        "counted": part.counted,
        "starts_on": _day(action.starts_on),
        "ends_on": _day(action.ends_on),
        # The milestones due or reached in the report's year, by date.
        "milestones": [
            {
                "title": milestone.title,
                "description": milestone.description,
                "due_on": _day(milestone.due_on),
                "done_on": _day(milestone.done_on),
            }
            for milestone in action.milestones
            if _in_year(milestone.due_on, year) or _in_year(milestone.done_on, year)
        ],
    }


def _target(target) -> dict:
    return {
        "label": target.label,
        "value": target.value,
        "unit": target.unit,
        "target_year": target.target_year,
        "baseline_year": target.baseline_year,
        "baseline_value": target.baseline_value,
        "indicator_id": target.indicator_id,
        "area": target.area_code,
    }


def _indicator_values(session: Session, ids: set[int], year: int) -> dict[int, list]:
    found: dict[int, list] = defaultdict(list)
    if ids:
        rows = session.execute(
            select(
                IndicatorValue.indicator_id,
                IndicatorValue.area_code,
                IndicatorValue.year,
                IndicatorValue.value,
            )
            .where(IndicatorValue.indicator_id.in_(ids), IndicatorValue.year <= year)
            .order_by(IndicatorValue.indicator_id, IndicatorValue.year, IndicatorValue.area_code)
        )
        for indicator_id, area, value_year, value in rows:
            found[indicator_id].append((area, value_year, value))
    return found


def area_order(code: str) -> tuple:
    """The home county first, then other counties and Sweden, then municipalities by name."""
    return (code != areas.HOME_COUNTY, len(code) != 2, areas.name(code), code)


def _indicator(indicator: Indicator, rows: list) -> dict:
    by_area: dict[str, list] = defaultdict(list)
    for area, year, value in rows:
        by_area[area].append((year, value))
    order = sorted(by_area, key=area_order)
    latest = []
    for area in order:
        series = by_area[area]
        last_year, last = series[-1]
        entry = {"area": area, "year": last_year, "value": last}
        change = numbers.latest_change(indicator.unit, indicator.direction, series)
        if change is not None:
            entry |= {
                "previous_year": change.since,
                "previous_value": series[-2][1],
                "change": round(change.delta, 6),
                "better": change.good,
            }
        latest.append(entry)
    return {
        "id": indicator.id,
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "source": indicator.source,
        "direction": indicator.direction.value,
        "areas": order,
        "values": [
            {"year": year, "area": area, "value": value}
            for area in order
            for year, value in by_area[area]
        ],
        "latest": latest,
    }


def _global_goals(session: Session, strategy: Strategy, goals: list[Goal]) -> list[dict]:
    actions = list(strategy.actions)
    goal_codes = queries.goal_sdgs(session, [goal.id for goal in goals])
    action_codes = queries.action_sdgs(session, [action.id for action in actions])
    touched: dict[int, dict] = {}

    def entry(number: int) -> dict:
        return touched.setdefault(number, {"number": number, "goals": [], "actions": []})

    linked = (("goals", goals, goal_codes), ("actions", actions, action_codes))
    for kind, owners, codes_of in linked:
        for owner in owners:
            per_number: dict[int, list[str]] = defaultdict(list)
            for code in codes_of.get(owner.id, []):
                per_number[agenda2030.goal_number(code)].append(code)
            for number, codes in per_number.items():
                entry(number)[kind].append(
                    {"id": owner.id, "code": owner.code, "title": owner.title, "codes": codes}
                )
    result = []
    for number in sorted(touched):
        item = touched[number]
        item["goal_count"] = len(item["goals"])
        item["action_count"] = len(item["actions"])
        result.append(item)
    return result


def _from_consultation(session: Session, strategy: Strategy, now: datetime) -> list[dict]:
    """For each action linked to the consultation: the responses, themes and paragraphs it
    answers, as far as the public may see them (``carried_out.public_source``, the rule of the
    round page and its published synthesis)."""
    sources = session.scalars(
        select(ActionSource)
        .join(Action, Action.id == ActionSource.action_id)
        .where(Action.strategy_id == strategy.id)
        .order_by(Action.code, Action.id, ActionSource.id)
        .options(
            selectinload(ActionSource.action),
            selectinload(ActionSource.synthesis).options(
                selectinload(Synthesis.theme), selectinload(Synthesis.paragraph)
            ),
            selectinload(ActionSource.theme),
            selectinload(ActionSource.paragraph).selectinload(Paragraph.document),
        )
    )
    by_action: dict[int, dict] = {}
    for source in sources:
        item = _source(source, now)
        if item is None:
            continue
        action = source.action
        entry = by_action.setdefault(
            action.id,
            {
                "id": action.id,
                "code": action.code,
                "title": action.title,
                "status": action.status.value,
                "progress": action.progress,
                "sources": [],
            },
        )
        entry["sources"].append(item)
    return list(by_action.values())


def _source(source: ActionSource, now: datetime) -> dict | None:
    found = carried_out.public_source(source, now)
    if found is None:
        return None
    common = {"consultation": found.round.consultation.title, "path": found.path}
    if found.kind == "synthesis":
        entry = found.entry
        if found.theme is not None:
            about = {"about": "theme", "name": found.theme.name}
        else:
            about = {
                "about": "paragraph",
                "number": found.paragraph.number,
                "text": found.paragraph.text,
            }
        return {
            "kind": "response",
            **about,
            "summary": entry.summary,
            "response": entry.response.value if entry.response else None,
            "motivation": entry.motivation,
            **common,
        }
    if found.kind == "theme":
        # Only the name: the public results page never shows a theme's description.
        return {"kind": "theme", "name": found.theme.name, **common}
    return {
        "kind": "paragraph",
        "number": found.paragraph.number,
        "text": found.paragraph.text,
        **common,
    }


# --- Reading ---------------------------------------------------------------------------------


def report_for(session: Session, strategy: Strategy, year: int) -> FollowupReport | None:
    """The strategy's report for ``year``, draft or published, if one was created."""
    return session.scalar(
        select(FollowupReport)
        .where(FollowupReport.strategy_id == strategy.id, FollowupReport.year == year)
        .options(selectinload(FollowupReport.goal_notes))
    )


def shown_content(session: Session, report: FollowupReport) -> dict:
    """What the report shows: its snapshot once published, else today's data."""
    if report.published_at is not None and report.snapshot:
        return json.loads(report.snapshot)
    # Through JSON, so that a draft reads exactly as its published snapshot will.
    return json.loads(json.dumps(content(session, report.strategy, report.year)))


def reports(session: Session, strategy: Strategy, *, published_only: bool) -> list:
    """The strategy's reports, newest year first."""
    query = select(FollowupReport).where(FollowupReport.strategy_id == strategy.id)
    if published_only:
        query = query.where(FollowupReport.published_at.is_not(None))
    return list(session.scalars(query.order_by(FollowupReport.year.desc())))


def public_reports(session: Session, actor, slug: str) -> tuple[Strategy, list]:
    """The strategy at ``slug`` and its published reports, for anyone who may read it."""
    strategy = queries.strategy_by_slug(session, actor, slug)
    return strategy, reports(session, strategy, published_only=True)


def public_report(session: Session, actor, slug: str, year: int):
    """A published report (strategy, report, content from its snapshot); NotFound for a
    draft, a year without a report, or a strategy the actor may not read."""
    strategy = queries.strategy_by_slug(session, actor, slug)
    report = report_for(session, strategy, year)
    if report is None or report.published_at is None or not report.snapshot:
        raise NotFound()
    return strategy, report, json.loads(report.snapshot)


def managed_report(session: Session, actor, slug: str, year: int) -> FollowupReport:
    """The strategy's report for ``year`` for staff (draft or published)."""
    strategy = managed_strategy(session, actor, slug)
    report = report_for(session, strategy, year)
    if report is None:
        raise NotFound()
    return report


def staff_reports(session: Session, actor, slug: str) -> tuple[Strategy, list]:
    """The strategy and all its reports, drafts included, for staff."""
    strategy = managed_strategy(session, actor, slug)
    return strategy, reports(session, strategy, published_only=False)


def preview(session: Session, actor, slug: str, year: int) -> tuple[FollowupReport, dict]:
    """The report as it reads now (a draft from today's data; a published one from its
    snapshot), for staff."""
    report = managed_report(session, actor, slug, year)
    return report, shown_content(session, report)


# --- Changing --------------------------------------------------------------------------------

FIELDS = ["year", "foreword", "published_at"]


def create_report(session: Session, actor, slug: str, raw_year, *, now: datetime):
    """Create the strategy's report for a year of its period; Invalid for another year or a
    year that has a report already."""
    strategy = managed_strategy(session, actor, slug)
    year, error = fields.year(raw_year, required=True)
    if error:
        raise Invalid({"year": error})
    if not strategy.starts_year <= year <= strategy.ends_year:
        raise Invalid({"year": "year_outside_period"})
    if report_for(session, strategy, year) is not None:
        raise Invalid({"year": "report_exists"})
    report = FollowupReport(
        strategy=strategy, year=year, updated_by_id=actor.id, updated_at=now, created_at=now
    )
    session.add(report)
    try:
        session.flush()
    except IntegrityError:
        # Created by someone else between our look and our write.
        session.rollback()
        raise Invalid({"year": "report_exists"}) from None
    audit.record(
        session, actor, "followup_report.create", report, None, audit.snapshot(report, FIELDS),
        now=now,
    )  # fmt: skip
    session.commit()
    return report


def _current(session: Session, actor, report_id: int) -> FollowupReport:
    access.require_followup_editor(actor)
    report = session.get(FollowupReport, report_id)
    if report is None:
        raise NotFound()
    return report


def _check_version(report: FollowupReport, version: int) -> None:
    if report.version != version:
        raise Conflict(report)


def save_report(
    session: Session,
    actor,
    report_id: int,
    *,
    foreword: str,
    notes: dict[int, str],
    version: int,
    now: datetime,
) -> FollowupReport:
    """Save the foreword and the notes per goal (``{goal id: text}``; an empty text removes
    the note). Refused: a published report (WrongState "published"), a stale version
    (Conflict), a text that cannot be kept (Invalid, by field: "foreword", "note-<goal id>")."""
    report = _current(session, actor, report_id)
    if report.published_at is not None:
        raise WrongState("published")
    goal_ids = {goal.id for goal in report.strategy.goals}
    errors: dict[str, str] = {}
    cleaned_foreword, error = fields.text(foreword, fields.MAX_TEXT)
    if error:
        errors["foreword"] = error
    cleaned: dict[int, str] = {}
    for goal_id, text in notes.items():
        if goal_id not in goal_ids:
            raise NotFound()
        value, error = fields.text(text, fields.MAX_TEXT)
        if error:
            errors[f"note-{goal_id}"] = error
        else:
            cleaned[goal_id] = value
    if errors:
        raise Invalid(errors)
    _check_version(report, version)

    existing = {note.goal_id: note for note in report.goal_notes}
    before = {"foreword": report.foreword} | {
        f"note-{goal_id}": note.text for goal_id, note in existing.items()
    }
    report.foreword = cleaned_foreword
    for goal_id, text in cleaned.items():
        note = existing.get(goal_id)
        if not text:
            if note is not None:
                report.goal_notes.remove(note)
        elif note is None:
            report.goal_notes.append(ReportGoalNote(goal_id=goal_id, text=text))
        else:
            note.text = text
    after = {"foreword": report.foreword} | {
        f"note-{note.goal_id}": note.text for note in report.goal_notes
    }
    old, new = audit.changed(before, after)
    gone = {key: before[key] for key in before if key not in after}
    if not (old or new or gone):
        return report
    report.updated_by_id, report.updated_at = actor.id, now
    return _commit(session, actor, report, "followup_report.edit", old | gone, new, now)


def publish(session: Session, actor, report_id: int, *, version: int, now: datetime):
    """Publish the report: store its content as the snapshot the public reads from now on."""
    report = _current(session, actor, report_id)
    if report.published_at is not None:
        raise WrongState("published")
    _check_version(report, version)
    report.snapshot = json.dumps(
        content(session, report.strategy, report.year, now=now), ensure_ascii=False
    )
    report.published_at = now
    report.updated_by_id, report.updated_at = actor.id, now
    return _commit(
        session, actor, report, "followup_report.publish", {"published_at": None},
        {"published_at": now, "snapshot_chars": len(report.snapshot)}, now,
    )  # fmt: skip


def unpublish(session: Session, actor, report_id: int, *, version: int, now: datetime):
    """Take the report off the public pages and make it a draft again (its snapshot is
    dropped; publishing again stores a new one)."""
    report = _current(session, actor, report_id)
    if report.published_at is None:
        raise WrongState("draft")
    _check_version(report, version)
    before = {"published_at": report.published_at}
    report.published_at = None
    report.snapshot = None
    report.updated_by_id, report.updated_at = actor.id, now
    return _commit(
        session, actor, report, "followup_report.unpublish", before, {"published_at": None}, now
    )


def _commit(session, actor, report, action, before, after, now) -> FollowupReport:
    try:
        session.flush()
        audit.record(session, actor, action, report, before, after, now=now)
        session.commit()
    except StaleDataError:
        # Saved by someone else between our read and our write.
        session.rollback()
        raise Conflict(session.get(FollowupReport, report.id)) from None
    return report


# --- Words for the reader (the page and the Word file alike) ---------------------------------


def status_label(value: str) -> str:
    """An action status in the reader's language ("ongoing" → "Pågår")."""
    return str(labels.STATUS_LABELS[ActionStatus(value)])


def response_label(value: str | None) -> str:
    """A synthesis response in the reader's language; "" for none."""
    return str(RESPONSE_LABELS[Response(value)]) if value else ""


def global_goal_name(number: int) -> str:
    """The global goal's short name in the reader's language."""
    found = agenda2030.goal(number)
    return found.name if found else str(number)


def global_code_name(code: str) -> str:
    """ "11.2 Name" for a target, "11 Name" for a goal."""
    found = agenda2030.get(code)
    return f"{code} {found.name}".strip() if found else code


def area_name(code: str | None) -> str:
    """The area's name ("Umeå"), "" for none."""
    return areas.name(code) if code else ""


def number(value, unit: str = "", decimals: int = 2) -> str:
    """A figure as the reader writes it ("12,5 %" in Swedish), with its unit if given."""
    return numbers.number(value, decimals, unit)


def change_text(latest: dict, indicator: dict) -> str:
    """The latest change of an area's series as the public pages say it, e.g.
    "+1,2 procentenheter sedan 2021 – en förändring till det bättre"."""
    if "change" not in latest:
        return _("Only one year measured")
    change = numbers.latest_change(
        indicator["unit"],
        indicator["direction"],
        [(latest["previous_year"], latest["previous_value"]), (latest["year"], latest["value"])],
    )
    return f"{change.text} – {change.verdict}"
