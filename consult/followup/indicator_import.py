"""Import and export of indicator values in the long format open-data portals use: one row per
indicator, area, year and value.

The columns are ``indikator`` (the indicator's code), ``område`` (a county or municipality
code, "24", "2480"; a leading zero is kept, "0180"), ``år`` and ``värde``. The same columns
are read under their English names (indicator, area, year, value) and under Kolada's (kpi,
municipality_id, period, value), so a download from Kolada's API can be imported as it is;
no other columns are accepted. A CSV file may be separated by commas or semicolons and use a
decimal comma; an .xlsx file is read from its first sheet.

Every row is checked before anything is written; with any problem nothing is. A value that
already exists for the same indicator, area and year is replaced (a corrected re-import).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import areas, audit
from .. import group_access as access
from ..models import GoalTarget, Indicator, IndicatorValue, goal_indicator
from . import fields, queries
from .transfer import (
    Column,
    FileRefused,
    Problem,
    Upload,
    area_code,
    check_headings,
    csv_bytes,
    first_table,
    in_order,
    stray_values,
)

SHEET = None
COLUMNS = (
    Column("indikator", True, _l("The indicator's code (as on the indicator's page).")),
    Column(
        "område",
        True,
        _l("The county or municipality code, e.g. 24 or 2480 (a leading zero is kept: 0180)."),
    ),
    Column("år", True, _l("The year, from 1900 to 2100.")),
    Column("värde", True, _l("The value: a number, with a decimal point or a decimal comma.")),
)

# The other headings accepted for the same columns (English, and Kolada's API).
ALIASES = {
    "indicator": "indikator",
    "kpi": "indikator",
    "area": "område",
    "municipality_id": "område",
    "year": "år",
    "period": "år",
    "value": "värde",
}
ALIAS_SETS = (
    ("indicator", "area", "year", "value"),
    ("kpi", "municipality_id", "period", "value"),
)


@dataclass
class ValueResult:
    """What an import of indicator values did."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0


def _indicator_codes(session: Session, codes: set[str]) -> dict[str, Indicator]:
    if not codes:
        return {}
    found = session.scalars(select(Indicator).where(Indicator.code.in_(sorted(codes))))
    return {indicator.code: indicator for indicator in found}


def import_values(session: Session, actor, slug: str, upload: Upload | None) -> ValueResult:
    """Import indicator values from a CSV or .xlsx file (see the module's description).

    Raises FileRefused listing every problem, row by row; then nothing is written.
    """
    access.require_followup_editor(actor)
    strategy = queries.strategy_by_slug(session, actor, slug)
    if upload is None:
        raise FileRefused([Problem("no_file")])
    table = first_table(upload)
    problems = check_headings(table, COLUMNS, ALIASES)
    if problems:
        raise FileRefused(problems)

    problems += stray_values(table)
    raw_codes = {
        str(cells.get("indikator")).strip()
        for _n, cells in table.rows
        if cells.get("indikator") not in (None, "")
    }
    indicators = _indicator_codes(session, raw_codes)
    checked: list[tuple[Indicator, str, int, float]] = []
    first_row: dict[tuple[str, str, int], int] = {}
    for number, cells in table.rows:

        def problem(column, key, value=None, number=number):
            problems.append(Problem(key, row=number, column=column, value=value))

        before = len(problems)
        code, error = fields.text(cells.get("indikator"), 60, required=True)
        indicator = None
        if error:
            problem("indikator", error)
        else:
            indicator = indicators.get(code)
            if indicator is None:
                problem("indikator", "unknown_indicator", code)
        area = area_code(cells.get("område"))
        if not area:
            problem("område", "required")
        elif not areas.known(area):
            problem("område", "unknown_area", area)
        year, error = fields.year(cells.get("år"), required=True)
        if error:
            problem("år", error)
        value, error = fields.number(cells.get("värde"), required=True)
        if error:
            problem("värde", error)
        if len(problems) > before:
            continue
        key = (code, area, year)
        if key in first_row:
            problem("indikator", "repeated_value", str(first_row[key]))
            continue
        first_row[key] = number
        checked.append((indicator, area, year, value))
    if not table.rows and not problems:
        problems.append(Problem("no_rows"))
    if problems:
        raise FileRefused(in_order(problems))

    result = ValueResult()
    ids = sorted({indicator.id for indicator, *_ in checked})
    existing = {
        (v.indicator_id, v.area_code, v.year): v
        for v in session.scalars(select(IndicatorValue).where(IndicatorValue.indicator_id.in_(ids)))
    }
    for indicator, area, year, value in checked:
        stored = existing.get((indicator.id, area, year))
        if stored is None:
            session.add(
                IndicatorValue(indicator_id=indicator.id, area_code=area, year=year, value=value)
            )
            result.new += 1
        elif stored.value != value:
            stored.value = value
            result.changed += 1
        else:
            result.unchanged += 1
    audit.record(
        session,
        actor,
        "followup.import_indicator_values",
        strategy,
        None,
        {
            "new": result.new,
            "changed": result.changed,
            "unchanged": result.unchanged,
            "indicators": sorted({indicator.code for indicator, *_ in checked}),
        },
    )
    session.commit()
    return result


def strategy_indicators(session: Session, strategy) -> list[Indicator]:
    """The indicators of the strategy's goals and of their targets, by code."""
    goal_ids = [goal.id for goal in strategy.goals]
    if not goal_ids:
        return []
    linked = select(goal_indicator.c.indicator_id).where(goal_indicator.c.goal_id.in_(goal_ids))
    targeted = select(GoalTarget.indicator_id).where(
        GoalTarget.goal_id.in_(goal_ids), GoalTarget.indicator_id.is_not(None)
    )
    return list(
        session.scalars(
            select(Indicator)
            .where(Indicator.id.in_(linked.union(targeted)))
            .order_by(Indicator.code)
        )
    )


def _number(value: float) -> int | float:
    """A whole value without ".0"; a number, never text, so a negative one is not quoted as
    if it were a formula."""
    return int(value) if float(value).is_integer() else float(value)


def export_values(session: Session, actor, slug: str):
    """The values of the strategy's indicators as CSV in the import's columns."""
    access.require_followup_editor(actor)
    strategy = queries.strategy_by_slug(session, actor, slug)
    indicators = strategy_indicators(session, strategy)
    rows = []
    if indicators:
        by_id = {indicator.id: indicator for indicator in indicators}
        values = session.scalars(
            select(IndicatorValue).where(IndicatorValue.indicator_id.in_(list(by_id)))
        )
        for v in sorted(values, key=lambda v: (by_id[v.indicator_id].code, v.area_code, v.year)):
            rows.append([by_id[v.indicator_id].code, v.area_code, v.year, _number(v.value)])
    return strategy, csv_bytes(COLUMNS, rows)
