"""The staff's and the working groups' pages of a strategy's actions (insatser): the list, a
new action, an action's page (details, status and progress, milestones, what it answers in
the consultation) and its deletion.

Anonymous visitors are sent to the login page; the services decide who may do what (staff
everything; a current member of the action's group its status, progress, milestones and
sources). Every form posts and redirects; a refused form comes back with its errors (422),
a save over someone else's with the saved version beside it (409).
"""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import areas, clock
from .. import group_access as access
from ..db import get_session
from ..errors import Conflict, Invalid, NotFound
from ..models import ActionStatus
from ..synthesis.labels import RESPONSE_LABELS
from ..web import call, form_page, int_arg, parse_int, show_refusal
from . import actions, agenda2030, bp, queries
from .action_forms import (
    ActionForm,
    ConfirmForm,
    MilestoneForm,
    SourceForm,
    StatusForm,
    message,
)
from .labels import MESSAGES, STATUS_LABELS

BASE = "/uppfoljning/<slug>/hantera/insatser"
ACTION = BASE + "/<int:action_id>"


@bp.before_request
def _signed_in_for_actions():
    # Every action page is for staff or a working group: the services decide, but an
    # anonymous visitor is sent to log in first.
    endpoint = request.endpoint or ""
    if endpoint.startswith("followup.action_") and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


@bp.app_template_global("followup_group_actions")
def followup_group_actions(group_id: int):
    """The actions a working group is responsible for, each with its status's name (the
    group's workspace lists them)."""
    return [(a, STATUS_LABELS[a.status]) for a in actions.group_actions(get_session(), group_id)]


def _texts() -> dict:
    return {
        "status_labels": STATUS_LABELS,
        "response_labels": RESPONSE_LABELS,
        "area_name": areas.name,
        "global_goal": agenda2030.get,
        "has_targets": any(goal.targets for goal in agenda2030.goals()),
    }


def _version(form) -> int | None:
    return parse_int(form.version.data)


def _edit_url(action) -> str:
    return url_for("followup.action_edit", slug=action.strategy.slug, action_id=action.id)


# -- the list --------------------------------------------------------------------------------


@bp.get(BASE, endpoint="action_list")
def action_list(slug: str):
    """The strategy's actions with status, progress and group; filter by status and group."""
    found = call(
        actions.action_list,
        slug,
        status=request.args.get("status") or None,
        group_id=int_arg("grupp"),
    )
    return render_template(
        "followup/actions/list.html",
        found=found,
        strategy=found.strategy,
        statuses=list(ActionStatus),
        **_texts(),
    )


# -- a new action ----------------------------------------------------------------------------


def _choose_groups(form, strategy) -> None:
    form.group_id.choices = [("", _("No working group"))] + [
        (str(g.id), g.name) for g in actions.consultation_groups(get_session(), strategy)
    ]


def _choose_goals(form, strategy) -> None:
    form.goals.choices = [
        (str(goal.id), f"{goal.code} {goal.title}".strip()) for goal in strategy.goals
    ]


def _details_form(strategy, action=None, formdata=None):
    if action is None or formdata is not None:
        form = ActionForm(formdata=formdata) if formdata is not None else ActionForm()
    else:
        codes = _sdgs(action)
        form = ActionForm(
            formdata=None,
            data={
                "version": str(action.version),
                "code": action.code,
                "title": action.title,
                "description": action.description,
                "responsible": action.responsible,
                "group_id": str(action.group_id or ""),
                "starts_on": action.starts_on.isoformat() if action.starts_on else "",
                "ends_on": action.ends_on.isoformat() if action.ends_on else "",
                "status": action.status.value,
                "progress": str(action.progress),
                "goals": [str(g) for g in actions.goal_weights(action)],
                "global_goals": [c for c in codes if "." not in c],
                "targets": ", ".join(c for c in codes if "." in c),
                "areas": queries.action_areas(get_session(), [action.id]).get(action.id, []),
            },
        )
    _choose_groups(form, strategy)
    _choose_goals(form, strategy)
    return form


def _sdgs(action) -> list[str]:
    return queries.action_sdgs(get_session(), [action.id]).get(action.id, [])


def _show_details_refusal(form, error: Invalid) -> None:
    errors = dict(error.errors)
    if "global_goals" in errors and (form.targets.data or "").strip():
        errors["targets"] = errors.pop("global_goals")
    show_refusal(form, Invalid(errors), message)


def _weights(form, action=None) -> dict[str, str]:
    """The weight each goal's input shows: as posted, else as saved."""
    if request.method == "POST" and form.is_submitted() and "code" in request.form:
        return {k.removeprefix("weight-"): v for k, v in request.form.items() if "weight-" in k}
    if action is not None:
        return {str(k): str(v) for k, v in actions.goal_weights(action).items()}
    return {}


@bp.route(BASE + "/ny", methods=["GET", "POST"], endpoint="action_new")
def action_new(slug: str):
    """Staff: a new action of the strategy."""
    strategy = call(actions.new_action_strategy, slug)
    form = _details_form(strategy)
    if request.method == "POST" and form.validate_on_submit():
        try:
            action = call(actions.create_action, strategy, form.values(request.form))
        except Invalid as error:
            get_session().rollback()
            strategy = call(actions.new_action_strategy, slug)
            _show_details_refusal(form, error)
        else:
            flash(_("The action %(code)s was created.", code=action.code), "success")
            return redirect(_edit_url(action))
    return form_page(
        "followup/actions/new.html",
        form,
        strategy=strategy,
        weights=_weights(form),
        **_texts(),
    )


# -- an action's page ------------------------------------------------------------------------


def _edit_page(
    action,
    *,
    details=None,
    status_form=None,
    milestone_form=None,
    conflict=None,
    status=None,
):
    strategy = action.strategy
    staff = access.is_staff(current_user)
    if staff:
        details = details or _details_form(strategy, action)
    status_form = status_form or StatusForm(
        formdata=None,
        data={
            "version": str(action.version),
            "status": action.status.value,
            "progress": str(action.progress),
        },
    )
    milestone_form = milestone_form or MilestoneForm(formdata=None)
    forms = [f for f in (details, status_form, milestone_form) if f is not None]
    with_errors = [f for f in forms if f.errors]
    response = form_page(
        "followup/actions/edit.html",
        with_errors[0] if with_errors else forms[0],
        action=action,
        strategy=strategy,
        staff=staff,
        details=details,
        status_form=status_form,
        milestone_form=milestone_form,
        confirm=ConfirmForm(),
        conflict=conflict,
        weights=_weights(details, action) if details is not None else {},
        goals_served=[(link.goal, link.weight) for link in action.goal_links],
        sdgs=_sdgs(action),
        action_areas=queries.action_areas(get_session(), [action.id]).get(action.id, []),
        round_numbers=actions.round_numbers(get_session(), strategy),
        **_texts(),
    )
    if status is not None:
        response.status_code = status
    return response


def _action(slug: str, action_id: int):
    return call(actions.action_for, slug, action_id)


def _conflict(slug: str, action_id: int, error: Conflict):
    """After a refused save: the action as saved now (NotFound if it was deleted)."""
    get_session().rollback()
    if error.current is None:
        raise NotFound()
    return _action(slug, action_id)


@bp.route(ACTION, methods=["GET", "POST"], endpoint="action_edit")
def action_edit(slug: str, action_id: int):
    """An action's page; POST saves its details (staff)."""
    action = _action(slug, action_id)
    if request.method == "GET":
        return _edit_page(action)
    access.require_followup_editor(current_user)
    form = _details_form(action.strategy, action, formdata=request.form)
    if not form.validate_on_submit():
        return _edit_page(action, details=form)
    try:
        call(
            actions.update_action,
            action,
            form.values(request.form),
            version=_version(form),
            now=clock.now(),
        )
    except Invalid as error:
        get_session().rollback()
        action = _action(slug, action_id)
        _show_details_refusal(form, error)
        return _edit_page(action, details=form)
    except Conflict as error:
        action = _conflict(slug, action_id, error)
        form.version.data = str(action.version)
        return _edit_page(action, details=form, conflict=action, status=409)
    flash(_("The action is saved."), "success")
    return redirect(_edit_url(action))


@bp.post(ACTION + "/status", endpoint="action_status")
def action_status(slug: str, action_id: int):
    """Save the action's status and progress (staff, or a member of its group)."""
    action = _action(slug, action_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _edit_page(action, status_form=form)
    try:
        call(
            actions.update_status,
            action,
            status=form.status.data,
            progress=form.progress.data,
            version=_version(form),
            now=clock.now(),
        )
    except Invalid as error:
        get_session().rollback()
        show_refusal(form, error, message)
        return _edit_page(_action(slug, action_id), status_form=form)
    except Conflict as error:
        action = _conflict(slug, action_id, error)
        form.version.data = str(action.version)
        return _edit_page(action, status_form=form, conflict=action, status=409)
    flash(_("The status and progress are saved."), "success")
    return redirect(_edit_url(action) + "#status")


# -- milestones ------------------------------------------------------------------------------


@bp.post(ACTION + "/milstolpar", endpoint="action_milestone_add")
def action_milestone_add(slug: str, action_id: int):
    """Add a milestone to the action."""
    action = _action(slug, action_id)
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            call(actions.add_milestone, action, form.values(), now=clock.now())
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        else:
            flash(_("The milestone was added."), "success")
            return redirect(_edit_url(action) + "#milestones")
    return _edit_page(_action(slug, action_id), milestone_form=form)


@bp.route(
    ACTION + "/milstolpar/<int:milestone_id>",
    methods=["GET", "POST"],
    endpoint="action_milestone_edit",
)
def action_milestone_edit(slug: str, action_id: int, milestone_id: int):
    """Edit one of the action's milestones."""
    action = _action(slug, action_id)
    milestone = actions.milestone_of(get_session(), action, milestone_id)
    if request.method == "GET":
        form = MilestoneForm(
            formdata=None,
            data={
                "due_on": milestone.due_on.isoformat(),
                "title": milestone.title,
                "description": milestone.description,
                "done_on": milestone.done_on.isoformat() if milestone.done_on else "",
            },
        )
    else:
        form = MilestoneForm()
        if form.validate_on_submit():
            try:
                call(actions.edit_milestone, action, milestone_id, form.values(), now=clock.now())
            except Invalid as error:
                get_session().rollback()
                show_refusal(form, error, message)
                action = _action(slug, action_id)
                milestone = actions.milestone_of(get_session(), action, milestone_id)
            else:
                flash(_("The milestone is saved."), "success")
                return redirect(_edit_url(action) + "#milestones")
    return form_page(
        "followup/actions/milestone.html",
        form,
        action=action,
        strategy=action.strategy,
        milestone=milestone,
    )


@bp.post(ACTION + "/milstolpar/<int:milestone_id>/klar", endpoint="action_milestone_done")
def action_milestone_done(slug: str, action_id: int, milestone_id: int):
    """Mark a milestone as reached today (``klar=0``: as not reached)."""
    action = _action(slug, action_id)
    done = request.form.get("klar", "1") != "0"
    if not ConfirmForm().validate_on_submit():
        return redirect(_edit_url(action) + "#milestones")
    call(actions.mark_milestone, action, milestone_id, done=done, now=clock.now())
    flash(
        _("The milestone is marked as reached.")
        if done
        else _("The milestone is marked as not reached."),
        "success",
    )
    return redirect(_edit_url(action) + "#milestones")


@bp.post(ACTION + "/milstolpar/<int:milestone_id>/ta-bort", endpoint="action_milestone_delete")
def action_milestone_delete(slug: str, action_id: int, milestone_id: int):
    """Delete one of the action's milestones."""
    action = _action(slug, action_id)
    call(actions.delete_milestone, action, milestone_id, now=clock.now())
    flash(_("The milestone was deleted."), "success")
    return redirect(_edit_url(action) + "#milestones")


# -- sources ---------------------------------------------------------------------------------


def _sources_page(action, *, error_kind=None, error=None, status=None):
    rounds = call(actions.source_choices, action)
    response = make_response(
        render_template(
            "followup/actions/sources.html",
            action=action,
            strategy=action.strategy,
            rounds=rounds,
            form=SourceForm(formdata=None),
            error_kind=error_kind,
            error=error,
            **_texts(),
        ),
        status or 200,
    )
    return response


@bp.get(ACTION + "/kallor", endpoint="action_sources")
def action_sources(slug: str, action_id: int):
    """Choose a synthesis response, a theme or a paragraph of the consultation to link."""
    return _sources_page(_action(slug, action_id))


@bp.post(ACTION + "/kallor", endpoint="action_source_link")
def action_source_link(slug: str, action_id: int):
    """Link the action to what it answers in the consultation."""
    action = _action(slug, action_id)
    form = SourceForm()
    kind = form.kind.data or ""
    if not form.validate_on_submit():
        return _sources_page(action, error_kind=kind, error=MESSAGES["choice"], status=422)
    try:
        call(
            actions.link_source,
            action,
            kind=kind,
            target_id=parse_int(request.form.get("target")),
            now=clock.now(),
        )
    except Invalid as refusal:
        get_session().rollback()
        text = message("source", refusal.errors.get("source", "choice"))
        return _sources_page(_action(slug, action_id), error_kind=kind, error=text, status=422)
    flash(_("The link to the consultation was added."), "success")
    return redirect(_edit_url(action) + "#sources")


@bp.post(ACTION + "/kallor/<int:source_id>/ta-bort", endpoint="action_source_unlink")
def action_source_unlink(slug: str, action_id: int, source_id: int):
    """Remove one of the action's links to the consultation."""
    action = _action(slug, action_id)
    call(actions.unlink_source, action, source_id, now=clock.now())
    flash(_("The link to the consultation was removed."), "success")
    return redirect(_edit_url(action) + "#sources")


# -- deleting --------------------------------------------------------------------------------


@bp.route(ACTION + "/ta-bort", methods=["GET", "POST"], endpoint="action_delete")
def action_delete(slug: str, action_id: int):
    """Staff: delete the action, after a confirmation page."""
    action = _action(slug, action_id)
    access.require_followup_editor(current_user)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        code = action.code
        call(actions.delete_action, action, now=clock.now())
        flash(_("The action %(code)s was deleted.", code=code), "success")
        return redirect(url_for("followup.action_list", slug=slug))
    return render_template(
        "followup/actions/delete.html", action=action, strategy=action.strategy, form=form
    )
