"""Open data of a published strategy: its goals, its actions and its indicators with their
values, as JSON and as CSV, with a stable documented schema.

Every file is described ONCE, by the field lists in ``FILES`` (and ``STRATEGY_FIELDS`` for the
strategy each JSON file names). The data is built from those lists and the public page
/uppfoljning/oppna-data documents them from the same lists, so the documentation and the data
cannot drift apart.

A JSON file is ``{"schema": "consult.followup/<name>", "version": 1, "strategy": {...},
"items": [...]}``. A change that removes or renames a field raises ``VERSION``; new fields may
be added within a version.

A CSV file has one row per item with the item's plain fields; a list of codes is joined by
";" into one cell; lists of objects (targets, milestones, ...) are in the JSON only. The
indicators' CSV is the long format open-data portals use: one row per value (indicator, area,
year, value). It is UTF-8 with a byte-order mark so Excel reads å, ä and ö, and text a
spreadsheet would run as a formula is quoted as in the comment exports
(``consult.synthesis.exports.neutralise``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import areas, carried_out, clock
from ..errors import NotFound
from ..models import (
    Action,
    ActionGoal,
    ActionSource,
    Goal,
    GoalTarget,
    Indicator,
    Paragraph,
    Strategy,
    Synthesis,
)
from ..synthesis.exports import neutralise
from . import progress as progress_module
from . import queries

VERSION = 1
SCHEMA_PREFIX = "consult.followup/"
LIST_SEPARATOR = ";"

# The types a field can have, as the documentation names them.
TYPES = {
    "text": _l("text"),
    "integer": _l("whole number"),
    "number": _l("decimal number"),
    "date": _l("date (YYYY-MM-DD)"),
    "datetime": _l("date and time (ISO 8601, UTC)"),
    "codes": _l("list of texts"),
    "objects": _l("list of objects"),
}


@dataclass(frozen=True)
class Field:
    """One field of an item: its key, type, meaning, whether it may be empty (null), how its
    value is read from the object, and for a list of objects the fields of each object."""

    name: str
    type: str
    meaning: object
    value: Callable
    optional: bool = False
    parts: tuple[Field, ...] = ()

    @property
    def type_label(self) -> str:
        return str(TYPES[self.type])

    @property
    def in_csv(self) -> bool:
        return self.type != "objects"


@dataclass(frozen=True)
class DataFile:
    """One open-data file: its name in the URL, title, meaning and fields. ``csv_rows`` names
    a list-of-objects field whose elements are the CSV's rows (the parent's plain fields
    repeated on each), for the long format."""

    name: str
    title: object
    meaning: object
    fields: tuple[Field, ...]
    csv_rows: str | None = None

    @property
    def schema(self) -> str:
        return SCHEMA_PREFIX + self.name

    def csv_fields(self) -> list[Field]:
        """The CSV's columns, in order."""
        columns = [f for f in self.fields if f.in_csv]
        if self.csv_rows:
            columns += [p for p in self._field(self.csv_rows).parts if p.in_csv]
        return columns

    def _field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _absolute(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _path(path: str) -> str:
    """The absolute URL of a follow-up page, by the project's fixed URL scheme
    (/uppfoljning/<slug>, /uppfoljning/<slug>/mal/<id>, /uppfoljning/<slug>/insatser/<id>)."""
    return request.url_root.rstrip("/") + "/uppfoljning" + path


# --- The context an item's values are read from -----------------------------------------


@dataclass
class _Context:
    session: Session
    strategy: Strategy
    goal_sdgs: dict[int, list[str]]
    action_sdgs: dict[int, list[str]]
    action_areas: dict[int, list[str]]
    source_urls: dict[int, str | None]


# --- The field lists ----------------------------------------------------------------------

STRATEGY_FIELDS = (
    Field("slug", "text", _l("The strategy's address in URLs."), lambda s, c: s.slug),
    Field("title", "text", _l("The strategy's name."), lambda s, c: s.title),
    Field("summary", "text", _l("A short description of the strategy."), lambda s, c: s.summary),
    Field(
        "kind",
        "text",
        _l('"strategy" for the region\'s own strategy, "framework" for an outside framework.'),
        lambda s, c: s.kind.value,
    ),
    Field("starts_year", "integer", _l("The strategy's first year."), lambda s, c: s.starts_year),
    Field("ends_year", "integer", _l("The strategy's last year."), lambda s, c: s.ends_year),
    Field(
        "adopted_on",
        "date",
        _l("When the strategy was adopted."),
        lambda s, c: _iso(s.adopted_on),
        optional=True,
    ),
    Field(
        "published_at",
        "datetime",
        _l("When the follow-up was published."),
        lambda s, c: _iso(s.published_at),
        optional=True,
    ),
    Field(
        "url",
        "text",
        _l("The strategy's public follow-up page."),
        lambda s, c: _path(f"/{s.slug}"),
    ),
)

TARGET_FIELDS = (
    Field(
        "label",
        "text",
        _l('Whose target it is where there are several (e.g. "EU").'),
        lambda t, c: t.label,
    ),
    Field("value", "number", _l("The target value."), lambda t, c: t.value),
    Field("unit", "text", _l("The unit of the value (e.g. %)."), lambda t, c: t.unit),
    Field(
        "target_year",
        "integer",
        _l("The year the value is to be reached."),
        lambda t, c: t.target_year,
    ),
    Field(
        "baseline_year",
        "integer",
        _l("The year of the baseline."),
        lambda t, c: t.baseline_year,
        optional=True,
    ),
    Field(
        "baseline_value",
        "number",
        _l("The value in the baseline year."),
        lambda t, c: t.baseline_value,
        optional=True,
    ),
    Field(
        "indicator",
        "text",
        _l("The code of the indicator that measures the target."),
        lambda t, c: t.indicator.code if t.indicator else None,
        optional=True,
    ),
    Field(
        "area_code",
        "text",
        _l("The area the target is for (county or municipality code)."),
        lambda t, c: t.area_code,
        optional=True,
    ),
)

GOAL_FIELDS = (
    Field("id", "integer", _l("The goal's number in this data (stable)."), lambda g, c: g.id),
    Field(
        "priority",
        "text",
        _l("The priority (inriktning) the goal is under."),
        lambda g, c: g.priority.title if g.priority else None,
        optional=True,
    ),
    Field("code", "text", _l("The goal's own reference (e.g. 1.2)."), lambda g, c: g.code),
    Field("title", "text", _l("The goal."), lambda g, c: g.title),
    Field("description", "text", _l("What the goal means."), lambda g, c: g.description),
    Field(
        "progress",
        "integer",
        _l("The weighted progress of the goal's actions in percent; empty when none counts."),
        lambda g, c: progress_module.goal_progress(g).percent,
        optional=True,
    ),
    Field(
        "global_goals",
        "codes",
        _l('The global goals and targets of Agenda 2030 the goal serves ("11", "11.2").'),
        lambda g, c: c.goal_sdgs.get(g.id, []),
    ),
    Field(
        "indicators",
        "codes",
        _l("The codes of the indicators that follow the goal."),
        lambda g, c: [i.code for i in g.indicators],
    ),
    Field(
        "url",
        "text",
        _l("The goal's public page."),
        lambda g, c: _path(f"/{c.strategy.slug}/mal/{g.id}"),
    ),
    Field(
        "targets",
        "objects",
        _l("The goal's quantified targets."),
        lambda g, c: [_item(TARGET_FIELDS, t, c) for t in g.targets],
        parts=TARGET_FIELDS,
    ),
)

ACTION_GOAL_FIELDS = (
    Field("goal_id", "integer", _l("The id of a goal in goals.json."), lambda a, c: a.goal_id),
    Field("goal_code", "text", _l("The goal's own reference."), lambda a, c: a.goal.code),
    Field(
        "weight",
        "integer",
        _l("The action's weight in the goal's progress."),
        lambda a, c: a.weight,
    ),
)

MILESTONE_FIELDS = (
    Field("due_on", "date", _l("When the step is due."), lambda m, c: _iso(m.due_on)),
    Field("title", "text", _l("The step."), lambda m, c: m.title),
    Field(
        "done_on",
        "date",
        _l("When the step was reached; empty if not yet."),
        lambda m, c: _iso(m.done_on),
        optional=True,
    ),
)

SOURCE_FIELDS = (
    Field(
        "kind",
        "text",
        _l(
            '"synthesis" (a response in the synthesis), "theme" (a theme of the comments) or '
            '"paragraph" (a paragraph of the draft).'
        ),
        lambda s, c: _source_kind(s),
    ),
    Field(
        "id",
        "integer",
        _l("The id of the synthesis response, theme or paragraph."),
        lambda s, c: s.synthesis_id or s.theme_id or s.paragraph_id,
    ),
    Field(
        "url",
        "text",
        _l("Where the public can read it; empty while it is not public."),
        lambda s, c: c.source_urls.get(s.id),
        optional=True,
    ),
)

ACTION_FIELDS = (
    Field("id", "integer", _l("The action's number in this data (stable)."), lambda a, c: a.id),
    Field("code", "text", _l("The action's own reference (e.g. A-12)."), lambda a, c: a.code),
    Field("title", "text", _l("The action."), lambda a, c: a.title),
    Field("description", "text", _l("What is done."), lambda a, c: a.description),
    Field("responsible", "text", _l("The unit responsible."), lambda a, c: a.responsible),
    Field(
        "group",
        "text",
        _l("The working group responsible."),
        lambda a, c: a.group.name if a.group else None,
        optional=True,
    ),
    Field(
        "starts_on",
        "date",
        _l("When the action starts."),
        lambda a, c: _iso(a.starts_on),
        optional=True,
    ),
    Field(
        "ends_on", "date", _l("When the action ends."), lambda a, c: _iso(a.ends_on), optional=True
    ),
    Field(
        "status",
        "text",
        _l('"planned", "ongoing", "done" or "stopped".'),
        lambda a, c: a.status.value,
    ),
    Field(
        "progress",
        "integer",
        _l("How far the action has come, in percent (0–100)."),
        lambda a, c: a.progress,
    ),
    Field(
        "global_goals",
        "codes",
        _l("The global goals and targets the action serves."),
        lambda a, c: c.action_sdgs.get(a.id, []),
    ),
    Field(
        "areas",
        "codes",
        _l("Where the action is carried out: county and municipality codes (SCB)."),
        lambda a, c: c.action_areas.get(a.id, []),
    ),
    Field(
        "updated_at",
        "datetime",
        _l("When the action was last changed."),
        lambda a, c: _iso(a.updated_at),
    ),
    Field(
        "url",
        "text",
        _l("The action's public page."),
        lambda a, c: _path(f"/{c.strategy.slug}/insatser/{a.id}"),
    ),
    Field(
        "goals",
        "objects",
        _l("The goals the action serves, with its weight in each."),
        lambda a, c: [_item(ACTION_GOAL_FIELDS, link, c) for link in _goal_links(a)],
        parts=ACTION_GOAL_FIELDS,
    ),
    Field(
        "milestones",
        "objects",
        _l("The action's dated steps."),
        lambda a, c: [_item(MILESTONE_FIELDS, m, c) for m in a.milestones],
        parts=MILESTONE_FIELDS,
    ),
    Field(
        "sources",
        "objects",
        _l("What in the consultation the action answers."),
        lambda a, c: [_item(SOURCE_FIELDS, s, c) for s in _sources(a)],
        parts=SOURCE_FIELDS,
    ),
)

VALUE_FIELDS = (
    Field(
        "area_code",
        "text",
        _l("The county or municipality code (SCB); 00 is Sweden."),
        lambda v, c: v.area_code,
    ),
    Field("area_name", "text", _l("The area's name."), lambda v, c: areas.name(v.area_code)),
    Field("year", "integer", _l("The year measured."), lambda v, c: v.year),
    Field("value", "number", _l("The measured value."), lambda v, c: v.value),
)

INDICATOR_FIELDS = (
    Field("code", "text", _l("The indicator's code (e.g. Kolada's N00914)."), lambda i, c: i.code),
    Field("name", "text", _l("What is measured."), lambda i, c: i.name),
    Field("unit", "text", _l("The unit of the values."), lambda i, c: i.unit),
    Field("source", "text", _l("Where the values come from."), lambda i, c: i.source),
    Field(
        "direction",
        "text",
        _l('"higher" or "lower": which way is better.'),
        lambda i, c: i.direction.value,
    ),
    Field("description", "text", _l("How the indicator is defined."), lambda i, c: i.description),
    Field(
        "values",
        "objects",
        _l("The values per area and year."),
        lambda i, c: [_item(VALUE_FIELDS, v, c) for v in _values(i)],
        parts=VALUE_FIELDS,
    ),
)

FILES: dict[str, DataFile] = {
    f.name: f
    for f in (
        DataFile(
            "goals",
            _l("Goals of the strategy"),
            _l("The strategy's goals with their targets, progress and links."),
            GOAL_FIELDS,
        ),
        DataFile(
            "actions",
            _l("Actions of the strategy"),
            _l("The actions carried out under the strategy."),
            ACTION_FIELDS,
        ),
        DataFile(
            "indicators",
            _l("Indicators of the strategy"),
            _l(
                "The indicators that follow the strategy's goals, with their values per area "
                "and year. The CSV has one row per value (the long format)."
            ),
            INDICATOR_FIELDS,
            csv_rows="values",
        ),
    )
}

FORMATS = ("json", "csv")


# --- Reading the values -------------------------------------------------------------------


def _item(fields, obj, context) -> dict:
    return {f.name: f.value(obj, context) for f in fields}


def _source_kind(source: ActionSource) -> str:
    if source.synthesis_id:
        return "synthesis"
    return "theme" if source.theme_id else "paragraph"


def _sources(action: Action) -> list[ActionSource]:
    order = {"synthesis": 0, "theme": 1, "paragraph": 2}
    return sorted(action.sources, key=lambda s: (order[_source_kind(s)], s.id))


def _goal_links(action: Action):
    return sorted(action.goal_links, key=lambda link: (link.goal.position, link.goal_id))


def _values(indicator: Indicator):
    return sorted(indicator.values, key=lambda v: (v.area_code, v.year))


def _strategy_indicators(session: Session, goals: list[Goal]) -> list[Indicator]:
    """The indicators of the goals and of their targets, by code, with their values."""
    ids: set[int] = set()
    for goal in goals:
        ids.update(indicator.id for indicator in goal.indicators)
        ids.update(t.indicator_id for t in goal.targets if t.indicator_id is not None)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Indicator)
            .where(Indicator.id.in_(sorted(ids)))
            .options(selectinload(Indicator.values))
            .order_by(Indicator.code)
        )
    )


def _source_url(session: Session, source: ActionSource) -> str | None:
    """The public address of what an action answers, or None while it is not public
    (``carried_out.public_source``: the rule of the round page and its published synthesis)."""
    found = carried_out.public_source(source, clock.now())
    return request.url_root.rstrip("/") + found.path if found else None


def _source_urls(session: Session, actions: list[Action]) -> dict[int, str | None]:
    return {s.id: _source_url(session, s) for a in actions for s in a.sources}


def _goals(session: Session, strategy: Strategy) -> list[Goal]:
    """The strategy's goals with everything their items read, loaded in a few queries."""
    return list(
        session.scalars(
            select(Goal)
            .where(Goal.strategy_id == strategy.id)
            .options(
                joinedload(Goal.priority),
                selectinload(Goal.indicators),
                selectinload(Goal.targets).joinedload(GoalTarget.indicator),
                selectinload(Goal.links).joinedload(ActionGoal.action),
            )
        )
    )


def _actions(session: Session, strategy: Strategy) -> list[Action]:
    """The strategy's actions with everything their items read, loaded in a few queries."""
    return list(
        session.scalars(
            select(Action)
            .where(Action.strategy_id == strategy.id)
            .options(
                joinedload(Action.group),
                selectinload(Action.goal_links).joinedload(ActionGoal.goal),
                selectinload(Action.milestones),
                selectinload(Action.sources).options(
                    joinedload(ActionSource.synthesis).joinedload(Synthesis.paragraph),
                    joinedload(ActionSource.theme),
                    joinedload(ActionSource.paragraph).joinedload(Paragraph.document),
                ),
            )
        )
    )


def _context(session: Session, strategy: Strategy, name: str, objects: list) -> _Context:
    goal_ids = [g.id for g in objects] if name == "goals" else []
    action_ids = [a.id for a in objects] if name == "actions" else []
    return _Context(
        session=session,
        strategy=strategy,
        goal_sdgs=queries.goal_sdgs(session, goal_ids),
        action_sdgs=queries.action_sdgs(session, action_ids),
        action_areas=queries.action_areas(session, action_ids),
        source_urls=_source_urls(session, objects) if name == "actions" else {},
    )


def _objects(session: Session, strategy: Strategy, name: str) -> list:
    if name == "goals":
        return sorted(
            _goals(session, strategy),
            key=lambda g: (
                g.priority.position if g.priority else -1,
                g.priority_id or 0,
                g.position,
                g.id,
            ),
        )
    if name == "actions":
        return sorted(_actions(session, strategy), key=lambda a: (a.code, a.id))
    return _strategy_indicators(session, _goals(session, strategy))


# --- The files ----------------------------------------------------------------------------


def data_file(name: str) -> DataFile:
    """The file called ``name``; NotFound for any other name."""
    found = FILES.get(name)
    if found is None:
        raise NotFound()
    return found


def build(session: Session, actor, slug: str, name: str) -> dict:
    """The data of file ``name`` for the strategy at ``slug``, as the JSON file holds it.

    NotFound for an unknown file or a strategy the actor may not read (unpublished ones are
    for those who work on them).
    """
    return load(session, actor, slug, name)[1]


def load(session: Session, actor, slug: str, name: str) -> tuple[Strategy, dict]:
    """The strategy at ``slug`` and the data of its file ``name`` (see ``build``)."""
    spec = data_file(name)
    strategy = queries.strategy_by_slug(session, actor, slug)
    objects = _objects(session, strategy, name)
    context = _context(session, strategy, name, objects)
    return strategy, {
        "schema": spec.schema,
        "version": VERSION,
        "strategy": _item(STRATEGY_FIELDS, strategy, context),
        "items": [_item(spec.fields, obj, context) for obj in objects],
    }


def to_json(data: dict) -> str:
    """The JSON file's text (UTF-8, å ä ö as they are)."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    return neutralise(value)


def csv_rows(name: str, data: dict) -> list[list]:
    """The CSV's header and rows for file ``name`` built by ``build`` (cells not yet made
    safe for spreadsheets)."""
    spec = data_file(name)
    columns = spec.csv_fields()
    own = [f.name for f in spec.fields if f.in_csv]
    rows = [[f.name for f in columns]]
    for item in data["items"]:
        base = [item[key] for key in own]
        if spec.csv_rows:
            for part in item[spec.csv_rows]:
                rows.append(base + [part[f.name] for f in columns[len(own) :]])
        else:
            rows.append(base)
    return rows


def to_csv(name: str, data: dict) -> str:
    """The CSV file's text: a byte-order mark, a header row, and formula-safe cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv_rows(name, data):
        writer.writerow([_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def filename(slug: str, name: str, extension: str) -> str:
    """The download's file name ("rus-2020-2030-mal.csv" style, ASCII)."""
    return f"{slug}-{name}.{extension}"


def published_strategies(session: Session) -> list[Strategy]:
    """The strategies whose follow-up is public, for the documentation page's links."""
    return list(
        session.scalars(
            select(Strategy)
            .where(Strategy.published_by(clock.now()))
            .order_by(Strategy.position, Strategy.id)
        )
    )


def documented() -> dict[str, list[str]]:
    """The documented keys of each file's items (and of ``strategy``), for checks."""
    found = {name: [f.name for f in spec.fields] for name, spec in FILES.items()}
    found["strategy"] = [f.name for f in STRATEGY_FIELDS]
    return found
