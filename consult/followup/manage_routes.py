"""Staff's pages for a strategy: the list of strategies, a new one, and per strategy its
details, publication, priorities, goals with their targets and global goals, and the
indicators. Every form posts and redirects; the services in ``strategies`` decide who may do
what and which values they accept.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms import SelectChoice

from .. import areas
from ..db import get_session
from ..errors import Conflict, Invalid, NotFound, WrongState
from ..security import staff_only
from ..web import call, form_page, parse_int, show_refusal
from . import agenda2030, bp, strategies
from .labels import DIRECTION_LABELS, KIND_LABELS, message, state_message
from .manage_forms import (
    ConfirmForm,
    GoalForm,
    IndicatorForm,
    PriorityForm,
    StrategyForm,
    TargetForm,
)

MANAGE_ENDPOINTS = frozenset(
    f"followup.{name}"
    for name in (
        "manage_list",
        "manage_new",
        "manage_strategy",
        "manage_publish",
        "manage_unpublish",
        "manage_priority_new",
        "manage_priority",
        "manage_priority_move",
        "manage_priority_delete",
        "manage_goal_new",
        "manage_goal",
        "manage_goal_delete",
        "manage_target_new",
        "manage_target",
        "manage_target_delete",
        "manage_indicators",
        "manage_indicator",
        "manage_indicator_delete",
    )
)

# Anonymous visitors log in first, others than staff are refused; the services check again.
staff_only(bp, only_endpoints=MANAGE_ENDPOINTS)

BASE = "/uppfoljning/<slug>/hantera"


def _strategy(slug: str):
    return call(strategies.managed_strategy, slug)


def _overview(strategy, anchor: str = ""):
    return redirect(url_for("followup.manage_strategy", slug=strategy.slug) + anchor)


def _refused(error: Invalid, form) -> None:
    get_session().rollback()
    show_refusal(form, error, message)


def _version(form) -> int | None:
    return parse_int(form.version.data)


def _conflict(error: Conflict, form):
    """After a save refused because someone else saved first: the saved object (NotFound if
    it was deleted meanwhile). The form keeps what the person wrote and now names the saved
    version, so saving again replaces it knowingly."""
    get_session().rollback()
    if error.current is None:
        raise NotFound()
    form.version.data = str(error.current.version)
    return error.current


def _conflicted(response):
    response.status_code = 409
    return response


def _state(error: WrongState) -> None:
    get_session().rollback()
    flash(state_message(error.key), "error")


def _consultation_choices(form: StrategyForm, strategy=None) -> None:
    choices = strategies.consultation_choices(get_session(), strategy)
    form.consultation_id.choices = [
        SelectChoice("", _("None (a framework or a strategy of its own)"))
    ] + [SelectChoice(str(c.id), c.title) for c in choices]


def _strategy_data(strategy) -> dict:
    return {
        "title": strategy.title,
        "slug": strategy.slug,
        "summary": strategy.summary,
        "kind": strategy.kind.value,
        "consultation_id": str(strategy.consultation_id or ""),
        "starts_year": str(strategy.starts_year),
        "ends_year": str(strategy.ends_year),
        "adopted_on": strategy.adopted_on.isoformat() if strategy.adopted_on else "",
        "position": str(strategy.position),
        "version": str(strategy.version),
    }


def _number_text(value) -> str:
    """A number as staff wrote it: "75", "2,5" in Swedish (a decimal point in English)."""
    if value is None:
        return ""
    value = float(value)
    text = str(int(value)) if value.is_integer() else f"{value:.12g}"
    return text.replace(".", ",") if str(get_locale() or "sv").startswith("sv") else text


# -- strategies ------------------------------------------------------------------------------


@bp.get("/uppfoljning/hantera", endpoint="manage_list")
def manage_list():
    """Staff: every strategy, published or not."""
    rows = call(strategies.strategies)
    return form_page(
        "followup/manage/list.html", ConfirmForm(), strategies=rows, kind_labels=KIND_LABELS
    )


@bp.route("/uppfoljning/hantera/ny", methods=["GET", "POST"], endpoint="manage_new")
def manage_new():
    """Staff: a new strategy (unpublished until staff publish it)."""
    call(strategies.strategies)
    form = StrategyForm()
    _consultation_choices(form)
    if form.validate_on_submit():
        try:
            strategy = call(strategies.create_strategy, form.values())
        except Invalid as error:
            _refused(error, form)
        else:
            flash(_("The strategy %(title)s was created.", title=strategy.title), "success")
            return _overview(strategy)
    return form_page("followup/manage/new.html", form)


def _overview_page(strategy, *, details=None, priority_form=None, conflict=None):
    session = get_session()
    details = details or StrategyForm(formdata=None, data=_strategy_data(strategy))
    _consultation_choices(details, strategy)
    priority_form = priority_form or PriorityForm(formdata=None)
    goals = strategy.goals
    loose = [g for g in goals if g.priority_id is None]
    sdgs = {g.id: strategies.goal_global_goals(session, g) for g in goals}
    shown = details if details.errors or not priority_form.errors else priority_form
    return form_page(
        "followup/manage/strategy.html",
        shown,
        strategy=strategy,
        details=details,
        priority_form=priority_form,
        confirm=ConfirmForm(),
        loose_goals=loose,
        sdgs=sdgs,
        agenda=agenda2030,
        area_name=areas.name,
        kind_labels=KIND_LABELS,
        num=_number_text,
        action_counts={g.id: strategies.goal_action_count(session, g.id) for g in goals},
        conflict=conflict,
    )


@bp.route(BASE, methods=["GET", "POST"], endpoint="manage_strategy")
def manage_strategy(slug: str):
    """Staff: a strategy's overview; POST saves its details."""
    strategy = _strategy(slug)
    if request.method == "GET":
        return _overview_page(strategy)
    form = StrategyForm()
    if form.validate_on_submit():
        try:
            call(strategies.edit_strategy, strategy.id, form.values(), version=_version(form))
        except Invalid as error:
            _refused(error, form)
        except Conflict as error:
            saved = _conflict(error, form)
            return _conflicted(_overview_page(saved, details=form, conflict=saved))
        else:
            flash(_("Saved."), "success")
            return _overview(strategy)
    return _overview_page(_strategy(slug), details=form)


@bp.post(BASE + "/publicera", endpoint="manage_publish")
def manage_publish(slug: str):
    """Staff: show the strategy on the public follow-up pages."""
    strategy = _strategy(slug)
    if ConfirmForm().validate_on_submit():
        try:
            call(strategies.publish_strategy, strategy.id, True)
        except WrongState as error:
            _state(error)
        else:
            flash(_("The strategy is published."), "success")
    return _overview(strategy)


@bp.post(BASE + "/avpublicera", endpoint="manage_unpublish")
def manage_unpublish(slug: str):
    """Staff: hide the strategy from the public again."""
    strategy = _strategy(slug)
    if ConfirmForm().validate_on_submit():
        try:
            call(strategies.publish_strategy, strategy.id, False)
        except WrongState as error:
            _state(error)
        else:
            flash(_("The strategy is no longer published."), "success")
    return _overview(strategy)


# -- priorities ------------------------------------------------------------------------------


@bp.post(BASE + "/inriktningar", endpoint="manage_priority_new")
def manage_priority_new(slug: str):
    """Staff: add a priority (form on the overview)."""
    strategy = _strategy(slug)
    form = PriorityForm()
    if form.validate_on_submit():
        try:
            priority = call(strategies.create_priority, strategy.id, form.values())
        except Invalid as error:
            _refused(error, form)
        else:
            flash(_("The priority %(title)s was added.", title=priority.title), "success")
            return _overview(strategy, f"#priority-{priority.id}")
    return _overview_page(_strategy(slug), priority_form=form)


@bp.route(
    BASE + "/inriktningar/<int:priority_id>", methods=["GET", "POST"], endpoint="manage_priority"
)
def manage_priority(slug: str, priority_id: int):
    """Staff: edit a priority."""
    strategy = _strategy(slug)
    priority = strategies.priority_in(get_session(), strategy, priority_id)
    if request.method == "GET":
        form = PriorityForm(
            formdata=None,
            data={
                "title": priority.title,
                "description": priority.description,
                "position": str(priority.position),
                "version": str(priority.version),
            },
        )
    else:
        form = PriorityForm()
        if form.validate_on_submit():
            try:
                call(strategies.edit_priority, priority.id, form.values(), version=_version(form))
            except Invalid as error:
                _refused(error, form)
                strategy = _strategy(slug)
                priority = strategies.priority_in(get_session(), strategy, priority_id)
            except Conflict as error:
                priority = _conflict(error, form)
                strategy = _strategy(slug)
                return _conflicted(
                    form_page(
                        "followup/manage/priority.html",
                        form,
                        strategy=strategy,
                        priority=priority,
                        confirm=ConfirmForm(),
                        conflict=priority,
                    )
                )
            else:
                flash(_("Saved."), "success")
                return _overview(strategy, f"#priority-{priority.id}")
    return form_page(
        "followup/manage/priority.html",
        form,
        strategy=strategy,
        priority=priority,
        confirm=ConfirmForm(),
    )


@bp.post(BASE + "/inriktningar/<int:priority_id>/flytta", endpoint="manage_priority_move")
def manage_priority_move(slug: str, priority_id: int):
    """Staff: move a priority one place up or down."""
    strategy = _strategy(slug)
    priority = strategies.priority_in(get_session(), strategy, priority_id)
    if ConfirmForm().validate_on_submit():
        direction = request.form.get("direction", "")
        try:
            call(strategies.move_priority, priority.id, direction)
        except WrongState as error:
            _state(error)
        except Invalid:
            get_session().rollback()
            flash(message("direction", "choice"), "error")
    return _overview(strategy, f"#priority-{priority_id}")


@bp.post(BASE + "/inriktningar/<int:priority_id>/ta-bort", endpoint="manage_priority_delete")
def manage_priority_delete(slug: str, priority_id: int):
    """Staff: delete a priority without goals."""
    strategy = _strategy(slug)
    priority = strategies.priority_in(get_session(), strategy, priority_id)
    if ConfirmForm().validate_on_submit():
        title = priority.title
        try:
            call(strategies.delete_priority, priority.id)
        except WrongState as error:
            _state(error)
            return _overview(strategy, f"#priority-{priority_id}")
        flash(_("The priority %(title)s was deleted.", title=title), "success")
    return _overview(strategy, "#priorities")


# -- goals -----------------------------------------------------------------------------------


def _goal_choices(form: GoalForm, strategy) -> None:
    form.priority_id.choices = [
        SelectChoice("", _("No priority (directly under the strategy)"))
    ] + [SelectChoice(str(p.id), p.title) for p in strategy.priorities]
    form.global_goals.choices = [
        (code.code, code.code) for goal in agenda2030.goals() for code in (goal, *goal.targets)
    ]
    form.indicator_ids.choices = [
        SelectChoice(str(i.id), f"{i.name} ({i.code})")
        for i in strategies.all_indicators(get_session())
    ]


def _goal_page(strategy, form, goal=None, conflict=None):
    session = get_session()
    _goal_choices(form, strategy)
    chosen = set(form.global_goals.data or [])
    return form_page(
        "followup/manage/goal.html",
        form,
        strategy=strategy,
        goal=goal,
        agenda=agenda2030,
        chosen_codes=chosen,
        chosen_indicators=set(form.indicator_ids.data or []),
        indicators=strategies.all_indicators(session),
        confirm=ConfirmForm(),
        area_name=areas.name,
        num=_number_text,
        action_count=strategies.goal_action_count(session, goal.id) if goal else 0,
        conflict=conflict,
    )


@bp.route(BASE + "/mal/ny", methods=["GET", "POST"], endpoint="manage_goal_new")
def manage_goal_new(slug: str):
    """Staff: a new goal of the strategy (``?inriktning=<id>`` chooses its priority)."""
    strategy = _strategy(slug)
    if request.method == "GET":
        form = GoalForm(
            formdata=None, data={"priority_id": request.args.get("inriktning", ""), "position": "0"}
        )
        return _goal_page(strategy, form)
    form = GoalForm()
    _goal_choices(form, strategy)
    if form.validate_on_submit():
        try:
            goal = call(strategies.create_goal, strategy.id, form.values())
        except Invalid as error:
            _refused(error, form)
            strategy = _strategy(slug)
        else:
            flash(_("The goal %(title)s was added.", title=goal.title), "success")
            return redirect(url_for("followup.manage_goal", slug=strategy.slug, goal_id=goal.id))
    return _goal_page(strategy, form)


@bp.route(BASE + "/mal/<int:goal_id>", methods=["GET", "POST"], endpoint="manage_goal")
def manage_goal(slug: str, goal_id: int):
    """Staff: a goal with its targets; POST saves the goal, its global goals and indicators."""
    strategy = _strategy(slug)
    goal = strategies.goal_in(get_session(), strategy, goal_id)
    if request.method == "GET":
        form = GoalForm(
            formdata=None,
            data={
                "priority_id": str(goal.priority_id or ""),
                "code": goal.code,
                "title": goal.title,
                "description": goal.description,
                "position": str(goal.position),
                "global_goals": strategies.goal_global_goals(get_session(), goal),
                "indicator_ids": [str(i.id) for i in goal.indicators],
                "version": str(goal.version),
            },
        )
        return _goal_page(strategy, form, goal)
    form = GoalForm()
    _goal_choices(form, strategy)
    if form.validate_on_submit():
        try:
            call(strategies.edit_goal, goal.id, form.values(), version=_version(form))
        except Invalid as error:
            _refused(error, form)
            strategy = _strategy(slug)
            goal = strategies.goal_in(get_session(), strategy, goal_id)
        except Conflict as error:
            goal = _conflict(error, form)
            return _conflicted(_goal_page(_strategy(slug), form, goal, conflict=goal))
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("followup.manage_goal", slug=strategy.slug, goal_id=goal.id))
    return _goal_page(strategy, form, goal)


@bp.post(BASE + "/mal/<int:goal_id>/ta-bort", endpoint="manage_goal_delete")
def manage_goal_delete(slug: str, goal_id: int):
    """Staff: delete a goal no action serves (its targets go with it)."""
    strategy = _strategy(slug)
    goal = strategies.goal_in(get_session(), strategy, goal_id)
    if ConfirmForm().validate_on_submit():
        title = goal.title
        try:
            call(strategies.delete_goal, goal.id)
        except WrongState as error:
            _state(error)
            return redirect(url_for("followup.manage_goal", slug=strategy.slug, goal_id=goal_id))
        flash(_("The goal %(title)s was deleted.", title=title), "success")
    return _overview(strategy, "#priorities")


# -- targets ---------------------------------------------------------------------------------


def _target_page(strategy, goal, form, target=None, conflict=None):
    form.indicator_id.choices = [SelectChoice("", _("No indicator"))] + [
        SelectChoice(str(i.id), f"{i.name} ({i.code})")
        for i in strategies.all_indicators(get_session())
    ]
    return form_page(
        "followup/manage/target.html",
        form,
        strategy=strategy,
        goal=goal,
        target=target,
        confirm=ConfirmForm(),
        conflict=conflict,
        num=_number_text,
    )


def _goal_url(strategy, goal_id: int, anchor: str = "#targets") -> str:
    return url_for("followup.manage_goal", slug=strategy.slug, goal_id=goal_id) + anchor


@bp.route(
    BASE + "/mal/<int:goal_id>/malvarden/ny", methods=["GET", "POST"], endpoint="manage_target_new"
)
def manage_target_new(slug: str, goal_id: int):
    """Staff: a new quantified target of a goal."""
    strategy = _strategy(slug)
    goal = strategies.goal_in(get_session(), strategy, goal_id)
    form = TargetForm() if request.method == "POST" else TargetForm(formdata=None)
    if form.validate_on_submit():
        try:
            call(strategies.create_target, goal.id, form.values())
        except Invalid as error:
            _refused(error, form)
            strategy = _strategy(slug)
            goal = strategies.goal_in(get_session(), strategy, goal_id)
        else:
            flash(_("The target was added."), "success")
            return redirect(_goal_url(strategy, goal_id))
    return _target_page(strategy, goal, form)


@bp.route(
    BASE + "/mal/<int:goal_id>/malvarden/<int:target_id>",
    methods=["GET", "POST"],
    endpoint="manage_target",
)
def manage_target(slug: str, goal_id: int, target_id: int):
    """Staff: edit a goal's target."""
    strategy = _strategy(slug)
    goal = strategies.goal_in(get_session(), strategy, goal_id)
    target = strategies.target_in(get_session(), goal, target_id)
    if request.method == "GET":
        form = TargetForm(
            formdata=None,
            data={
                "label": target.label,
                "value": _number_text(target.value),
                "unit": target.unit,
                "baseline_year": _number_text(target.baseline_year),
                "baseline_value": _number_text(target.baseline_value),
                "target_year": _number_text(target.target_year),
                "indicator_id": str(target.indicator_id or ""),
                "area_code": target.area_code or "",
                "position": str(target.position),
                "version": str(target.version),
            },
        )
        return _target_page(strategy, goal, form, target)
    form = TargetForm()
    if form.validate_on_submit():
        try:
            call(strategies.edit_target, target.id, form.values(), version=_version(form))
        except Invalid as error:
            _refused(error, form)
            strategy = _strategy(slug)
            goal = strategies.goal_in(get_session(), strategy, goal_id)
            target = strategies.target_in(get_session(), goal, target_id)
        except Conflict as error:
            target = _conflict(error, form)
            strategy = _strategy(slug)
            goal = strategies.goal_in(get_session(), strategy, goal_id)
            return _conflicted(_target_page(strategy, goal, form, target, conflict=target))
        else:
            flash(_("Saved."), "success")
            return redirect(_goal_url(strategy, goal_id))
    return _target_page(strategy, goal, form, target)


@bp.post(
    BASE + "/mal/<int:goal_id>/malvarden/<int:target_id>/ta-bort",
    endpoint="manage_target_delete",
)
def manage_target_delete(slug: str, goal_id: int, target_id: int):
    """Staff: delete a goal's target."""
    strategy = _strategy(slug)
    goal = strategies.goal_in(get_session(), strategy, goal_id)
    target = strategies.target_in(get_session(), goal, target_id)
    if ConfirmForm().validate_on_submit():
        call(strategies.delete_target, target.id)
        flash(_("The target was deleted."), "success")
    return redirect(_goal_url(strategy, goal_id))


# -- indicators ------------------------------------------------------------------------------


def _indicators_page(strategy, form):
    session = get_session()
    rows = strategies.all_indicators(session)
    return form_page(
        "followup/manage/indicators.html",
        form,
        strategy=strategy,
        indicators=rows,
        use={i.id: strategies.indicator_use(session, i.id) for i in rows},
        direction_labels=DIRECTION_LABELS,
    )


@bp.route(BASE + "/indikatorer", methods=["GET", "POST"], endpoint="manage_indicators")
def manage_indicators(slug: str):
    """Staff: every indicator (shared by all strategies); POST adds one."""
    strategy = _strategy(slug)
    form = IndicatorForm() if request.method == "POST" else IndicatorForm(formdata=None)
    if form.validate_on_submit():
        try:
            indicator = call(strategies.create_indicator, form.values())
        except Invalid as error:
            _refused(error, form)
            strategy = _strategy(slug)
        else:
            flash(_("The indicator %(name)s was added.", name=indicator.name), "success")
            return redirect(
                url_for("followup.manage_indicators", slug=strategy.slug)
                + f"#indicator-{indicator.id}"
            )
    return _indicators_page(strategy, form)


@bp.route(
    BASE + "/indikatorer/<int:indicator_id>", methods=["GET", "POST"], endpoint="manage_indicator"
)
def manage_indicator(slug: str, indicator_id: int):
    """Staff: edit an indicator."""
    strategy = _strategy(slug)
    indicator = strategies.indicator_or_404(get_session(), indicator_id)
    if request.method == "GET":
        form = IndicatorForm(
            formdata=None,
            data={
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "source": indicator.source,
                "direction": indicator.direction.value,
                "description": indicator.description,
                "version": str(indicator.version),
            },
        )
    conflict = None
    if request.method == "POST":
        form = IndicatorForm()
        if form.validate_on_submit():
            try:
                call(strategies.edit_indicator, indicator.id, form.values(), version=_version(form))
            except Invalid as error:
                _refused(error, form)
                strategy = _strategy(slug)
                indicator = strategies.indicator_or_404(get_session(), indicator_id)
            except Conflict as error:
                conflict = indicator = _conflict(error, form)
                strategy = _strategy(slug)
            else:
                flash(_("Saved."), "success")
                return redirect(
                    url_for("followup.manage_indicators", slug=strategy.slug)
                    + f"#indicator-{indicator.id}"
                )
    response = form_page(
        "followup/manage/indicator.html",
        form,
        strategy=strategy,
        indicator=indicator,
        use=strategies.indicator_use(get_session(), indicator.id),
        confirm=ConfirmForm(),
        conflict=conflict,
    )
    return _conflicted(response) if conflict is not None else response


@bp.post(BASE + "/indikatorer/<int:indicator_id>/ta-bort", endpoint="manage_indicator_delete")
def manage_indicator_delete(slug: str, indicator_id: int):
    """Staff: delete an indicator without values or targets."""
    strategy = _strategy(slug)
    indicator = strategies.indicator_or_404(get_session(), indicator_id)
    if ConfirmForm().validate_on_submit():
        name = indicator.name
        try:
            call(strategies.delete_indicator, indicator.id)
        except WrongState as error:
            _state(error)
            return redirect(
                url_for("followup.manage_indicator", slug=strategy.slug, indicator_id=indicator_id)
            )
        flash(_("The indicator %(name)s was deleted.", name=name), "success")
    return redirect(url_for("followup.manage_indicators", slug=strategy.slug))
