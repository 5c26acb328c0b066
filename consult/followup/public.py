"""The public follow-up pages, built for reading: the published strategies, a strategy's goals
with their progress and indicators (filtered by global goal, working group or municipality), a
goal with how its progress was computed and its indicators over time, and an action with what
in the consultation it answers ("you said → we decided → we did").

Who may read a strategy is decided by ``queries.strategy_by_slug`` / ``queries.may_read``;
this module only shapes what they let through. What it shows from the consultation follows the
consultation's own rules, asked of ``carried_out.public_source`` (shared with the yearly report
and the open data): a paragraph once its round has opened; a theme or a synthesis response only
as the round's published results show it (reviewed, its theme not retired).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import request
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .. import areas, carried_out, clock
from ..analysis.board import current_tags
from ..models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    Comment,
    Goal,
    Indicator,
    Strategy,
    Synthesis,
    Theme,
    WorkingGroup,
)
from . import agenda2030, chart, numbers, queries
from .numbers import number
from .progress import Progress, goal_progress, mean_progress

# --- Colours of the global goals -----------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours ("#rrggbb")."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (always ≥ 4.5:1)."""
    return (
        "#000000"
        if contrast(background, "#000000") >= contrast(background, "#ffffff")
        else "#ffffff"
    )


@dataclass(frozen=True)
class Badge:
    """A global goal as a numbered badge; ``codes`` are the goal or targets linked."""

    goal: agenda2030.GlobalGoal
    codes: tuple[str, ...]

    @property
    def targets(self) -> list[str]:
        return [code for code in self.codes if "." in code]


def badges(codes) -> list[Badge]:
    """The global goals ``codes`` (goals and targets) belong to, one badge per goal."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for code in codes:
        head = code.split(".", 1)[0]
        if head.isdigit() and agenda2030.goal(head) is not None:
            grouped[int(head)].append(code)
    return [
        Badge(agenda2030.goal(n), tuple(sorted(grouped[n], key=agenda2030.sort_key)))
        for n in sorted(grouped)
    ]


# --- Indicators ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """An indicator's latest change in one area (``numbers.Change``, named for the page)."""

    indicator: Indicator
    area: str
    change: numbers.Change

    @property
    def good(self) -> bool | None:
        return self.change.good

    @property
    def way(self) -> str:
        return self.change.way

    @property
    def text(self) -> str:
        return self.change.text

    @property
    def verdict(self) -> str:
        return self.change.verdict


def latest_change(indicator: Indicator, area: str) -> Change | None:
    """The change between the last two years with values for ``area``, if there are two."""
    found = numbers.latest_change(
        indicator.unit,
        indicator.direction,
        [(v.year, v.value) for v in indicator.values if v.area_code == area],
    )
    return Change(indicator, area, found) if found else None


def shown_areas(indicator: Indicator, area: str | None) -> list[str]:
    """The areas an indicator is shown for: Sweden and the county for comparison, and the
    chosen municipality; all its areas when it has values for none of those."""
    present = {v.area_code for v in indicator.values}
    wanted = [areas.COUNTRY, areas.HOME_COUNTY] + ([area] if area else [])
    shown = [code for code in dict.fromkeys(wanted) if code in present]
    return shown or sorted(present)


def headline_area(indicator: Indicator, area: str | None) -> str | None:
    """The area whose latest change a goal shows: the chosen one, else the county."""
    present = {v.area_code for v in indicator.values}
    for code in (area, areas.HOME_COUNTY, areas.COUNTRY):
        if code and code in present:
            return code
    return min(present) if present else None


@dataclass
class IndicatorView:
    indicator: Indicator
    areas: list[str]
    years: list[int]
    values: dict[tuple[int, str], float]
    targets: list
    changes: list[Change]
    chart: Markup

    def value(self, year: int, area: str) -> str:
        found = self.values.get((year, area))
        return number(found, 2) if found is not None else ""


def indicator_view(indicator: Indicator, goal: Goal, area: str | None, chart_id: str):
    """An indicator's chart, its numbers by year and area, its targets and latest changes."""
    shown = shown_areas(indicator, area)
    values = {(v.year, v.area_code): v.value for v in indicator.values if v.area_code in shown}
    years = sorted({year for year, _area in values})
    targets = [
        t
        for t in goal.targets
        if t.indicator_id == indicator.id and (t.area_code is None or t.area_code in shown)
    ]
    unit = indicator.unit.strip()
    series = [
        chart.Series(
            areas.name(code),
            tuple(
                (year, value) for (year, where), value in sorted(values.items()) if where == code
            ),
        )
        for code in shown
    ]
    lines = [
        chart.TargetLine(
            label=_target_label(t, unit),
            value=t.value,
            year=t.target_year,
            baseline_year=t.baseline_year,
            baseline_value=t.baseline_value,
        )
        for t in targets
    ]
    description = _(
        "Line chart of %(name)s by year, %(first)s–%(last)s, for %(areas)s.",
        name=indicator.name,
        first=years[0] if years else "",
        last=years[-1] if years else "",
        areas=", ".join(areas.name(code) for code in shown),
    )
    if lines:
        description += (
            " "
            + "; ".join(_("Target: %(target)s (dashed line)", target=line.label) for line in lines)
            + "."
        )
    description += " " + _("The numbers are in the table below the chart.")
    title = f"{indicator.name}, {unit}" if unit else indicator.name
    changes = [c for c in (latest_change(indicator, code) for code in shown) if c]
    return IndicatorView(
        indicator=indicator,
        areas=shown,
        years=years,
        values=values,
        targets=targets,
        changes=changes,
        chart=chart.line_chart(chart_id, title, description, series, lines, number=number),
    )


def _target_label(target, unit: str) -> str:
    amount = f"{number(target.value, 2)} {target.unit or unit}".strip()
    if target.label:
        return _(
            "%(label)s: %(amount)s by %(year)s",
            label=target.label,
            amount=amount,
            year=target.target_year,
        )
    return _("Target: %(amount)s by %(year)s", amount=amount, year=target.target_year)


# --- The list of strategies ----------------------------------------------------------------


@dataclass
class StrategyItem:
    strategy: Strategy
    goals: int
    progress: float | None


def published_strategies(session: Session, now: datetime) -> list[StrategyItem]:
    """The published strategies with their number of goals and overall progress."""
    strategies = session.scalars(
        select(Strategy)
        .where(Strategy.published_by(now))
        .order_by(Strategy.position, Strategy.starts_year, Strategy.id)
        .options(
            selectinload(Strategy.goals).selectinload(Goal.links).selectinload(ActionGoal.action)
        )
    ).all()
    return [
        StrategyItem(s, len(s.goals), mean_progress(goal_progress(g) for g in s.goals))
        for s in strategies
    ]


# --- A strategy's page ---------------------------------------------------------------------


@dataclass
class Filters:
    """What the strategy page is narrowed to; each None when not chosen (or not valid)."""

    global_goal: agenda2030.GlobalGoal | None = None
    group: WorkingGroup | None = None
    area: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.global_goal or self.group or self.area)

    @property
    def area_name(self) -> str:
        return areas.name(self.area) if self.area else ""


@dataclass
class GoalCard:
    goal: Goal
    progress: Progress
    badges: list[Badge]
    actions: list[Action]
    changes: list[Change]


@dataclass
class PriorityView:
    title: str
    description: str
    anchor: str
    goals: list[GoalCard]
    progress: float | None


@dataclass
class StrategyPage:
    strategy: Strategy
    filters: Filters
    priorities: list[PriorityView]
    progress: float | None
    groups: list[WorkingGroup]
    municipalities: list[tuple[str, str]]
    goal_choices: list[agenda2030.GlobalGoal] = field(default_factory=list)

    @property
    def shown_goals(self) -> int:
        return sum(len(p.goals) for p in self.priorities)


def read_filters(session: Session, strategy: Strategy, global_goal, group_id, area) -> Filters:
    """The filters asked for, each kept only when it names something that exists."""
    filters = Filters()
    if global_goal is not None:
        filters.global_goal = agenda2030.goal(global_goal)
    if group_id is not None:
        group = session.get(WorkingGroup, group_id)
        if group is not None and any(a.group_id == group.id for a in strategy.actions):
            filters.group = group
    if area and area in areas.MUNICIPALITIES:
        filters.area = area
    return filters


def _in_area(codes: list[str], area: str) -> bool:
    """Whether an action carried out in ``codes`` is carried out in municipality ``area``
    (there, or in its whole county)."""
    return area in codes or areas.county_of(area) in codes


def strategy_page(session: Session, strategy: Strategy, filters: Filters) -> StrategyPage:
    """The strategy's priorities and goals, narrowed by ``filters``."""
    goals = session.scalars(
        select(Goal)
        .where(Goal.strategy_id == strategy.id)
        .order_by(Goal.position, Goal.id)
        .options(
            selectinload(Goal.links).selectinload(ActionGoal.action),
            selectinload(Goal.indicators).selectinload(Indicator.values),
            selectinload(Goal.priority),
        )
    ).all()
    actions = {a.id: a for g in goals for a in (link.action for link in g.links)}
    goal_codes = queries.goal_sdgs(session, [g.id for g in goals])
    action_codes = queries.action_sdgs(session, list(actions))
    action_places = queries.action_areas(session, list(actions))

    def serves_global_goal(goal: Goal, number: int) -> bool:
        codes = list(goal_codes.get(goal.id, []))
        for link in goal.links:
            codes += action_codes.get(link.action_id, [])
        return any(agenda2030.goal_number(code) == number for code in codes)

    cards_by_priority: dict[int | None, list[GoalCard]] = defaultdict(list)
    all_progress = []
    progress_by_priority: dict[int | None, list[Progress]] = defaultdict(list)
    for goal in goals:
        progress = goal_progress(goal)
        all_progress.append(progress)
        progress_by_priority[goal.priority_id].append(progress)
        goal_actions = [p.action for p in progress.parts]
        if filters.global_goal and not serves_global_goal(goal, filters.global_goal.number):
            continue
        if filters.group:
            goal_actions = [a for a in goal_actions if a.group_id == filters.group.id]
            if not goal_actions:
                continue
        if filters.area:
            goal_actions = [
                a for a in goal_actions if _in_area(action_places.get(a.id, []), filters.area)
            ]
        changes = []
        for indicator in goal.indicators:
            where = headline_area(indicator, filters.area)
            change = latest_change(indicator, where) if where else None
            if change:
                changes.append(change)
        cards_by_priority[goal.priority_id].append(
            GoalCard(goal, progress, badges(goal_codes.get(goal.id, [])), goal_actions, changes)
        )

    priorities = []
    for priority in strategy.priorities:
        cards = cards_by_priority.get(priority.id, [])
        if cards:
            priorities.append(
                PriorityView(
                    priority.title,
                    priority.description,
                    f"inriktning-{priority.id}",
                    cards,
                    mean_progress(progress_by_priority[priority.id]),
                )
            )
    if cards_by_priority.get(None):
        cards = cards_by_priority[None]
        title = _("Other goals") if priorities else _("Goals")
        priorities.append(
            PriorityView(title, "", "mal", cards, mean_progress(progress_by_priority[None]))
        )
    group_ids = {a.group_id for a in strategy.actions if a.group_id is not None}
    groups = (
        list(
            session.scalars(
                select(WorkingGroup)
                .where(WorkingGroup.id.in_(group_ids))
                .order_by(WorkingGroup.position, WorkingGroup.name)
            )
        )
        if group_ids
        else []
    )
    return StrategyPage(
        strategy=strategy,
        filters=filters,
        priorities=priorities,
        progress=mean_progress(all_progress),
        groups=groups,
        municipalities=areas.municipalities_in(areas.HOME_COUNTY),
        goal_choices=list(agenda2030.goals()),
    )


# --- A goal's page -------------------------------------------------------------------------


@dataclass
class GoalPage:
    goal: Goal
    progress: Progress
    badges: list[Badge]
    indicators: list[IndicatorView]
    area: str | None
    municipalities: list[tuple[str, str]]


def goal_page(session: Session, goal: Goal, area: str | None) -> GoalPage:
    """A goal with its targets, how its progress was computed, and its indicators."""
    area = area if area in areas.MUNICIPALITIES else None
    codes = queries.goal_sdgs(session, [goal.id]).get(goal.id, [])
    return GoalPage(
        goal=goal,
        progress=goal_progress(goal),
        badges=badges(codes),
        indicators=[
            indicator_view(indicator, goal, area, f"indikator-{indicator.id}")
            for indicator in goal.indicators
        ],
        area=area,
        municipalities=areas.municipalities_in(areas.HOME_COUNTY),
    )


# --- An action's page ----------------------------------------------------------------------


@dataclass
class Said:
    """Something said in the consultation that an action answers."""

    kind: str  # "paragraph", "theme" or "synthesis"
    text: str
    url: str | None
    comments: int | None = None
    entry: Synthesis | None = None


@dataclass
class ActionPage:
    action: Action
    goals: list[tuple[Goal, int]]
    badges: list[Badge]
    areas: list[str]
    said: list[Said]
    decided: list[Said]
    today: date

    @property
    def milestones_done(self) -> int:
        return sum(1 for m in self.action.milestones if m.done_on is not None)

    def late(self, milestone) -> bool:
        """Whether a milestone not yet reached is past its date."""
        return milestone.done_on is None and milestone.due_on < self.today

    @property
    def overrun(self) -> bool:
        """Whether the action goes on (planned or ongoing) after its end date."""
        open_ = self.action.status in (ActionStatus.PLANNED, ActionStatus.ONGOING)
        return open_ and self.action.ends_on is not None and self.action.ends_on < self.today


def _round_url(found: carried_out.PublicSource) -> str:
    return request.script_root + found.path


def _excerpt(text: str, length: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + " …"


def action_page(session: Session, action: Action, now: datetime) -> ActionPage:
    """An action with its goals, global goals, places, milestones, and what it answers."""
    goals = sorted(
        ((link.goal, link.weight) for link in action.goal_links),
        key=lambda item: (item[0].position, item[0].id),
    )
    codes = queries.action_sdgs(session, [action.id]).get(action.id, [])
    places = queries.action_areas(session, [action.id]).get(action.id, [])
    said: list[Said] = []
    decided: list[Said] = []
    sources = session.scalars(
        select(ActionSource)
        .where(ActionSource.action_id == action.id)
        .order_by(ActionSource.id)
        .options(
            selectinload(ActionSource.synthesis),
            selectinload(ActionSource.theme),
            selectinload(ActionSource.paragraph),
        )
    ).all()
    shown = [found for found in (carried_out.public_source(s, now) for s in sources) if found]
    theme_sizes = _theme_sizes(session, [f for f in shown if f.kind == "theme"])
    for found in shown:
        if found.kind == "paragraph":
            said.append(
                Said(
                    "paragraph",
                    _(
                        "Paragraph %(n)s: %(text)s",
                        n=found.paragraph.number,
                        text=_excerpt(found.paragraph.text),
                    ),
                    _round_url(found),
                )
            )
        elif found.kind == "theme":
            said.append(
                Said(
                    "theme",
                    found.theme.name,
                    _round_url(found),
                    comments=theme_sizes.get(found.theme.id, 0),
                )
            )
        else:
            if found.theme is not None:
                about = found.theme.name
            else:
                about = _("Paragraph %(n)s", n=found.paragraph.number)
            decided.append(Said("synthesis", about, _round_url(found), entry=found.entry))
    return ActionPage(
        action=action,
        goals=goals,
        badges=badges(codes),
        areas=places,
        said=said,
        decided=decided,
        today=clock.to_local(now).date(),
    )


def _theme_sizes(session: Session, themes: list[carried_out.PublicSource]) -> dict[int, int]:
    """The number of comments tagged with each public theme, one query per round."""
    sizes: dict[int, int] = {}
    for round_id in {found.round.id for found in themes}:
        sizes.update(
            session.execute(
                current_tags(round_id)
                .with_only_columns(Theme.id, func.count(func.distinct(Comment.id)))
                .group_by(Theme.id)
            ).all()
        )
    return sizes
