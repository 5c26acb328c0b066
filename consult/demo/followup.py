"""The follow-up of the demo strategy: the adopted RUS 2020–2030 with its three priorities
(inriktningar) and one goal per chapter of the demo draft, Europa 2020 as the finished framework
before it with the EU's and Sweden's targets side by side, the actions (insatser) of the
follow-up year 2025 with their milestones and the paragraphs of the draft they answer, the
indicators for the county, Sweden and a few municipalities, and the yearly reports (2024
published, 2025 a draft).

The texts and figures live in ``data/followup.json``; every indicator value there is an
illustrative demo figure, and each indicator says so in its source. :func:`load` is called by
the demo's own ``load`` inside its transaction, and again when the demo is already there (so a
demo loaded before the follow-up existed gets it); it adds nothing a second time. On such an
older demo a working group or paragraph the data names may be missing: the action is then
loaded without that group or source.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from itertools import count

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .. import areas, clock
from ..followup import agenda2030
from ..followup.report import content as report_content
from ..models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    Direction,
    Document,
    FollowupReport,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Milestone,
    Paragraph,
    Priority,
    ReportGoalNote,
    Round,
    Strategy,
    StrategyKind,
    User,
    WorkingGroup,
    action_area,
    action_sdg,
    goal_sdg,
)
from . import _read_json

STRATEGY_SLUG = "rus-2020-2030"
FRAMEWORK_SLUG = "europa-2020"
# Every demo indicator's source: the figures are made up, in the shape Kolada publishes.
DEMO_SOURCE = "Demo: illustrativa värden i Kolada-format"


def load(session: Session, round_: Round, document: Document, admin: User) -> bool:
    """Add the demo follow-up for the consultation of ``round_``; False if already there."""
    if session.scalar(select(Strategy.id).where(Strategy.slug == STRATEGY_SLUG)) is not None:
        return False
    data = _read_json("followup.json")
    session.flush()
    indicators = _indicators(session, data["indicators"])
    strategies, goals = {}, {}
    for position, entry in enumerate(data["strategies"]):
        consultation = round_.consultation if entry["consultation"] else None
        strategy, its_goals = _strategy(session, entry, position, consultation, indicators)
        strategies[entry["slug"]] = strategy
        goals[entry["slug"]] = its_goals
    plan = data["actions"]
    _actions(
        session,
        strategies[plan["strategy"]],
        goals[plan["strategy"]],
        plan,
        _groups(session, round_.consultation_id),
        _paragraphs(session, document),
        admin,
    )
    for entry in data["reports"]:
        _report(session, strategies[entry["strategy"]], goals[entry["strategy"]], entry, admin)
    session.flush()
    return True


def _local(value: str) -> datetime:
    """A Stockholm wall-clock time written "YYYY-MM-DDTHH:MM", as an aware UTC datetime."""
    return clock.to_utc(datetime.fromisoformat(value))


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _area(code: str) -> str:
    if not areas.known(code):
        raise ValueError(f"followup.json: unknown area code {code!r}")
    return code


def _global_goals(codes: list[str]) -> list[str]:
    """The codes, each naming one of the 17 goals or a target of one ("11", "11.2")."""
    for code in codes:
        head, _, tail = code.partition(".")
        if not head.isdigit() or agenda2030.goal(head) is None or (tail and not tail.isalnum()):
            raise ValueError(f"followup.json: not a global goal or target {code!r}")
    return sorted(set(codes), key=agenda2030.sort_key)


def _indicators(session: Session, entries: list[dict]) -> dict[str, Indicator]:
    """The demo indicators with their values (an indicator already there by its code, say
    imported by staff, is kept and only given the values it lacks)."""
    found = {}
    for entry in entries:
        indicator = session.scalar(select(Indicator).where(Indicator.code == entry["code"]))
        if indicator is None:
            indicator = Indicator(
                code=entry["code"],
                name=entry["name"],
                unit=entry["unit"],
                source=DEMO_SOURCE,
                direction=Direction(entry["direction"]),
                description=entry["description"],
            )
            session.add(indicator)
            session.flush()
        have = {
            (area, year)
            for area, year in session.execute(
                select(IndicatorValue.area_code, IndicatorValue.year).where(
                    IndicatorValue.indicator_id == indicator.id
                )
            )
        }
        for code, values in entry["values"].items():
            for year, value in zip(count(entry["first_year"]), values, strict=False):
                if (_area(code), year) not in have:
                    session.add(
                        IndicatorValue(
                            indicator=indicator, area_code=code, year=year, value=float(value)
                        )
                    )
        found[entry["code"]] = indicator
    return found


def _strategy(session, entry, position, consultation, indicators):
    """One strategy with its priorities, goals, targets and links; returns it and its goals
    by their key in the data."""
    strategy = Strategy(
        slug=entry["slug"],
        title=entry["title"],
        summary=entry["summary"],
        kind=StrategyKind(entry["kind"]),
        consultation=consultation,
        starts_year=entry["starts_year"],
        ends_year=entry["ends_year"],
        adopted_on=_day(entry["adopted_on"]),
        published_at=_local(entry["published_at"]),
        position=position,
        created_at=_local(entry["published_at"]),
    )
    session.add(strategy)
    priorities = {}
    for n, item in enumerate(entry["priorities"]):
        priorities[item["key"]] = Priority(
            strategy=strategy, position=n, title=item["title"], description=item["description"]
        )
    session.add_all(priorities.values())
    goals = {}
    for n, item in enumerate(entry["goals"]):
        goal = Goal(
            strategy=strategy,
            priority=priorities[item["priority"]],
            position=n,
            code=item["code"],
            title=item["title"],
            description=item["description"],
            indicators=[indicators[code] for code in item["indicators"]],
        )
        for m, target in enumerate(item["targets"]):
            goal.targets.append(
                GoalTarget(
                    position=m,
                    label=target["label"],
                    value=float(target["value"]),
                    unit=target["unit"],
                    target_year=target["target_year"],
                    baseline_year=target.get("baseline_year"),
                    baseline_value=target.get("baseline_value"),
                    indicator=indicators[target["indicator"]] if "indicator" in target else None,
                    area_code=_area(target["area"]) if "area" in target else None,
                )
            )
        session.add(goal)
        goals[item["key"]] = goal
    session.flush()
    rows = [
        {"goal_id": goals[item["key"]].id, "code": code}
        for item in entry["goals"]
        for code in _global_goals(item["global_goals"])
    ]
    if rows:
        session.execute(insert(goal_sdg), rows)
    return strategy, goals


def _groups(session: Session, consultation_id: int) -> dict[str, WorkingGroup]:
    groups = session.scalars(
        select(WorkingGroup).where(WorkingGroup.consultation_id == consultation_id)
    )
    return {group.slug: group for group in groups}


def _paragraphs(session: Session, document: Document) -> dict[tuple[str, int], Paragraph]:
    """The draft's paragraphs by (section, order in that section from 1), the section named by
    its heading, or "Chapter / Subsection" for a subsection."""
    sections = {s.id: s for s in document.sections}

    def path(section) -> str:
        if section.parent_id is None:
            return section.heading
        return f"{path(sections[section.parent_id])} / {section.heading}"

    found: dict[tuple[str, int], Paragraph] = {}
    counts: dict[int, int] = {}
    paragraphs = session.scalars(
        select(Paragraph).where(Paragraph.document_id == document.id).order_by(Paragraph.position)
    )
    for paragraph in paragraphs:
        if paragraph.section_id is None:
            continue
        counts[paragraph.section_id] = counts.get(paragraph.section_id, 0) + 1
        found[(path(sections[paragraph.section_id]), counts[paragraph.section_id])] = paragraph
    return found


def _actions(session, strategy, goals, plan, groups, paragraphs, admin) -> None:
    updated = _local(plan["updated_at"])
    made = []
    for item in plan["items"]:
        action = Action(
            strategy=strategy,
            code=item["code"],
            title=item["title"],
            description=item["description"],
            responsible=item["responsible"],
            group=groups.get(item["group"]) if item.get("group") else None,
            starts_on=_day(item["starts_on"]),
            ends_on=_day(item["ends_on"]),
            status=ActionStatus(item["status"]),
            progress=item["progress"],
            updated_by=admin,
            updated_at=updated,
            created_at=_local(f"{item['starts_on']}T08:00"),
        )
        action.goal_links = [
            ActionGoal(goal=goals[key], weight=weight) for key, weight in item["goals"].items()
        ]
        action.milestones = [
            Milestone(
                due_on=_day(step["due_on"]),
                title=step["title"],
                description=step.get("description", ""),
                done_on=_day(step.get("done_on")),
            )
            for step in item["milestones"]
        ]
        action.sources = [
            ActionSource(paragraph=paragraphs[key])
            for key in ((source["section"], source["paragraph"]) for source in item["sources"])
            if key in paragraphs
        ]
        session.add(action)
        made.append((action, item))
    session.flush()
    sdgs = [
        {"action_id": action.id, "code": code}
        for action, item in made
        for code in _global_goals(item["global_goals"])
    ]
    places = [
        {"action_id": action.id, "area_code": _area(code)}
        for action, item in made
        for code in sorted(set(item["areas"]))
    ]
    session.execute(insert(action_sdg), sdgs)
    session.execute(insert(action_area), places)


def _report(session, strategy, goals, entry, admin) -> None:
    """A yearly report with its foreword and per-goal notes. A published one stores the
    content the report builder gives for its year, as publishing through the page does."""
    published = _local(entry["published_at"]) if entry.get("published_at") else None
    written = published or _local(f"{entry['year'] + 1}-01-20T10:00")
    report = FollowupReport(
        strategy=strategy,
        year=entry["year"],
        foreword=entry["foreword"],
        published_at=published,
        snapshot=None,
        updated_by=admin,
        updated_at=written,
        created_at=written,
    )
    report.goal_notes = [
        ReportGoalNote(goal=goals[key], text=text) for key, text in entry.get("notes", {}).items()
    ]
    session.add(report)
    if published is not None:
        session.flush()
        # Built now, not at the (earlier) publication time, so the sources of the demo round,
        # which opened recently, count as public as they do on the action pages.
        built = report_content(session, strategy, report.year, now=clock.now())
        report.snapshot = json.dumps(built, ensure_ascii=False)
