"""The public follow-up pages: the published strategies, a strategy's goals (filtered by global
goal, working group or municipality), a goal with its indicators, and an action with what in
the consultation it answers. Reading is open for published strategies; ``queries`` decides."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import format_date
from flask_babel import gettext as _

from .. import areas, clock
from .. import group_access as access
from ..db import get_session
from ..web import int_arg, viewer
from . import bp, public, queries
from .labels import DIRECTION_LABELS, KIND_LABELS, STATUS_LABELS


@bp.app_template_filter("followup_number")
def followup_number(value, decimals: int = 1) -> str:
    """A number with the reader's decimal comma ("12,5"); "–" for none."""
    return public.number(value, decimals)


@bp.app_template_filter("followup_date")
def followup_date(value) -> str:
    """A date as "3 mars 2027" in the reader's language."""
    return format_date(value, _("d MMMM y"))


@bp.app_template_filter("followup_area_name")
@bp.app_template_global()
def followup_area_name(code: str) -> str:
    """An area's name ("Umeå", "Västerbottens län") from its code."""
    return areas.name(code)


@bp.app_template_global()
def followup_status_label(status) -> str:
    """An action's status in the reader's language ("Pågår")."""
    return str(STATUS_LABELS[status])


def _labels() -> dict:
    return {
        "status_labels": STATUS_LABELS,
        "direction_labels": DIRECTION_LABELS,
        "kind_labels": KIND_LABELS,
    }


@bp.get("/uppfoljning", endpoint="public_index")
def public_index():
    """The published strategies, with their period, goals and overall progress."""
    items = public.published_strategies(get_session(), clock.now())
    return render_template("followup/public/index.html", items=items, **_labels())


@bp.get("/uppfoljning/<slug>", endpoint="public_strategy")
def public_strategy(slug: str):
    """A strategy's priorities and goals, with progress, indicators and global goals."""
    session = get_session()
    strategy = queries.strategy_by_slug(session, viewer(), slug)
    filters = public.read_filters(
        session,
        strategy,
        int_arg("globalt_mal", minimum=1, maximum=17),
        int_arg("grupp", minimum=1),
        (request.args.get("kommun") or "").strip(),
    )
    page = public.strategy_page(session, strategy, filters)
    return render_template("followup/public/strategy.html", page=page, **_labels())


@bp.get("/uppfoljning/<slug>/mal/<int:goal_id>", endpoint="public_goal")
def public_goal(slug: str, goal_id: int):
    """A goal: its targets, how its progress was computed, its indicators over time."""
    session = get_session()
    strategy = queries.strategy_by_slug(session, viewer(), slug)
    goal = queries.goal_in(session, strategy, goal_id)
    page = public.goal_page(session, goal, (request.args.get("kommun") or "").strip())
    return render_template("followup/public/goal.html", strategy=strategy, page=page, **_labels())


@bp.get("/uppfoljning/<slug>/insatser/<int:action_id>", endpoint="public_action")
def public_action(slug: str, action_id: int):
    """An action: its timeline, goals, and what in the consultation it answers."""
    session = get_session()
    strategy = queries.strategy_by_slug(session, viewer(), slug)
    action = queries.action_in(session, strategy, action_id)
    page = public.action_page(session, action, clock.now())
    return render_template(
        "followup/public/action.html",
        strategy=strategy,
        page=page,
        may_update=access.may_update_action(session, viewer(), action),
        **_labels(),
    )
