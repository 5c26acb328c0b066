"""Pages for users and organisations: search, a user's page, claims, roles, blocking, merging.

Staff and administrators get here (the blueprint sends anonymous visitors to the login page
and refuses participants); each service checks the acting user again, so a staff member who
posts an administrator's form is refused there too. A row action sent by htmx answers with
its row; without JavaScript the form posts and redirects back with a message.
"""

from __future__ import annotations

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from .. import clock, web
from ..db import get_session
from ..errors import Invalid, WrongState
from ..extensions import htmx
from ..models import NameShown, User
from ..permissions import require_admin
from ..security import safe_next, staff_only, vary_on_htmx
from ..web import call, page_arg, show_refusal
from . import bp, directory, erasure, labels, organisations, public_names, services
from .forms import (
    CLAIM_LABELS,
    ROLE_LABELS,
    BlockForm,
    EraseForm,
    MergeForm,
    ReasonForm,
    RoleForm,
    error_message,
    refusal_message,
)
from .rules import write_refusal

staff_only(bp)


vary_on_htmx(bp)

@bp.app_template_global()
def writing_refused(round_) -> str | None:
    """Why the current user may not write in ``round_`` ("blocked", "unverified"), or None."""
    return write_refusal(web.viewer(), round_)


@bp.app_template_global()
def sees_full_names() -> bool:
    """True when the current user is staff: they always see who wrote what."""
    user = web.viewer()
    return user is not None and user.is_staff


@bp.app_template_global()
def comment_byline(comment) -> public_names.Byline:
    """The public byline of ``comment`` (see people.public_names)."""
    return public_names.comment_byline(comment)


@bp.app_template_global()
def author_name(comment) -> str:
    """How the current user names the author of ``comment`` in a sentence."""
    return public_names.comment_name_for(web.viewer(), comment)


@bp.app_template_global()
def public_preview(user, shown=None) -> str:
    """How ``user`` appears publicly now (or with the choice ``shown``)."""
    return public_names.preview(user, NameShown(shown or user.name_shown))


@bp.app_template_global()
def staff_name(user) -> str:
    """The full name staff see ("Closed account" once the account was erased)."""
    return public_names.staff_name(user)


@bp.app_template_global()
def role_label(role) -> str:
    """Return the translated name of a role."""
    return str(ROLE_LABELS.get(role, role))


@bp.app_template_global()
def claim_label(claim) -> str:
    """Return the translated name of an organisation claim's state."""
    return str(CLAIM_LABELS.get(claim, claim))


# The event a claim decision sends (HX-Trigger) so that the counters of waiting claims refresh.
CLAIMS_CHANGED_EVENT = "claims-changed"


# Users


@bp.get("/anvandare/")
def users():
    """Search users by name, e-mail or organisation; filter by role, block and claim."""
    filters = directory.Filters(
        query=request.args.get("q", ""),
        role=request.args.get("roll", ""),
        blocked=request.args.get("sparrad", ""),
        claim=request.args.get("ansprak", ""),
    )
    found = call(directory.search_users, filters, page=page_arg())
    return render_template(
        "people/users.html",
        found=found,
        filters=found.filters,
        args=found.filters.as_args(),
        make_forms=_forms,
        claims_waiting=call(directory.claim_queue, limit=0)[1],
    )


def _user_page(user: User, failed=None, status: int = 200):
    return make_response(
        render_template(
            "people/user.html",
            user=user,
            counts=call(services.comment_count, user),
            history=call(services.history, user),
            changes=services.history_changes,
            action_labels=labels.ACTION_LABELS,
            forms=_forms(user, failed),
        ),
        status,
    )


def _forms(user: User, failed=None) -> dict:
    forms = {
        "role": RoleForm(prefix=f"u{user.id}-role", formdata=None, data={"role": user.role.value}),
        "block": BlockForm(prefix=f"u{user.id}-block", formdata=None),
        "reject": ReasonForm(prefix=f"u{user.id}-reject", formdata=None),
        "erase": EraseForm(prefix=f"u{user.id}-erase", formdata=None),
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return forms


@bp.get("/anvandare/<int:user_id>")
def user(user_id: int):
    """Show a user: role, organisation claim, block state, comment counts and history."""
    return _user_page(call(services.get_user, user_id))


def _row(template: str, user: User, *, forms=None, notice=None, error=None, status=200):
    return make_response(
        render_template(
            template,
            user=user,
            forms=forms or _forms(user),
            notice=notice,
            error=error,
            back=safe_next(request.form.get("next"), url_for("people.users")),
        ),
        status,
    )


def _user_action(user_id: int, name: str, form_class, action, notice, row: str):
    """Run one action on a user from its form; answer with the row (htmx) or a redirect."""
    user_ = call(services.get_user, user_id)
    form = form_class(prefix=f"u{user_.id}-{name}")
    session = get_session()
    back = safe_next(request.form.get("next"), url_for("people.user", user_id=user_.id))
    template = f"people/_{row}_row.html"
    try:
        action(session, user_, form)
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message)
        forms = _forms(user_, (name, form))
        if htmx:
            return _row(template, user_, forms=forms, status=422)
        return _user_page(user_, failed=(name, form), status=422)
    except WrongState as error:
        session.rollback()
        session.refresh(user_)
        if htmx:
            return _row(template, user_, error=refusal_message(error.key), status=409)
        flash(refusal_message(error.key), "error")
        return redirect(back)
    if htmx:
        response = _row(template, user_, notice=notice(user_))
        if row == "claim":
            response.headers["HX-Trigger"] = CLAIMS_CHANGED_EVENT
        return response
    flash(notice(user_), "success")
    return redirect(back)


@bp.post("/anvandare/<int:user_id>/roll")
def change_role(user_id: int):
    """Give a user the participant, staff or administrator role (administrators only)."""
    return _user_action(
        user_id,
        "role",
        RoleForm,
        lambda session, user_, form: services.set_role(
            session,
            actor=current_user,
            user_id=user_.id,
            role=form.role.data or "",
            reason=form.reason.data,
            now=clock.now(),
        ),
        lambda u: _("%(name)s is now: %(role)s.", name=u.display_name, role=role_label(u.role)),
        "user",
    )


@bp.post("/anvandare/<int:user_id>/sparra")
def block(user_id: int):
    """Block a user from writing, with a reason; optionally hide their published comments."""
    return _user_action(
        user_id,
        "block",
        BlockForm,
        lambda session, user_, form: services.block_user(
            session,
            actor=current_user,
            user_id=user_.id,
            reason=form.reason.data,
            hide_comments=bool(form.hide_comments.data),
            now=clock.now(),
        ),
        lambda u: _("%(name)s is blocked.", name=u.display_name),
        "user",
    )


@bp.post("/anvandare/<int:user_id>/hav-sparr")
def unblock(user_id: int):
    """Let a blocked user write again (hidden comments stay hidden)."""
    return _user_action(
        user_id,
        "unblock",
        ReasonForm,
        lambda session, user_, form: services.unblock_user(
            session, actor=current_user, user_id=user_.id, now=clock.now()
        ),
        lambda u: _(
            "%(name)s can write again. Comments hidden by the block stay hidden.",
            name=u.display_name,
        ),
        "user",
    )


@bp.post("/anvandare/<int:user_id>/avsluta")
def erase(user_id: int):
    """Close a user's account on their request: personal data erased, audited with a reason."""
    return _user_action(
        user_id,
        "erase",
        EraseForm,
        lambda session, user_, form: erasure.erase_account(
            session,
            actor=current_user,
            user_id=user_.id,
            reason=form.reason.data,
            withdraw_comments=bool(form.withdraw_comments.data),
            now=clock.now(),
        ),
        lambda u: _("The account is closed and its personal data are erased."),
        "user",
    )


# Organisation claims


@bp.get("/anvandare/ansprak")
def claims():
    """List the users whose claim to speak for an organisation is waiting to be checked."""
    queue, total = call(directory.claim_queue)
    return render_template("people/claims.html", queue=queue, total=total, make_forms=_forms)


@bp.get("/anvandare/ansprak/antal")
def claim_count():
    """How many organisation claims wait (refreshed after a claim is decided in place)."""
    _queue, total = call(directory.claim_queue, limit=0)
    return render_template("people/_claim_count.html", total=total)


@bp.post("/anvandare/<int:user_id>/verifiera")
def verify(user_id: int):
    """Confirm that a user speaks for their organisation."""
    return _user_action(
        user_id,
        "verify",
        ReasonForm,
        lambda session, user_, form: services.verify_claim(
            session, actor=current_user, user_id=user_.id, now=clock.now()
        ),
        lambda u: _(
            "%(name)s is verified for %(organisation)s.",
            name=u.display_name,
            organisation=u.organisation.name,
        ),
        "claim",
    )


@bp.post("/anvandare/<int:user_id>/avvisa")
def reject(user_id: int):
    """Reject a user's claim to speak for their organisation, with a reason."""
    return _user_action(
        user_id,
        "reject",
        ReasonForm,
        lambda session, user_, form: services.reject_claim(
            session, actor=current_user, user_id=user_.id, reason=form.reason.data, now=clock.now()
        ),
        lambda u: _(
            "The claim of %(name)s to speak for %(organisation)s is rejected.",
            name=u.display_name,
            organisation=u.organisation.name,
        ),
        "claim",
    )


# Organisations


@bp.get("/organisationer/")
def organisation_list():
    """List organisations with their member and comment counts."""
    query = request.args.get("q", "")
    include_merged = request.args.get("sammanslagna") == "1"
    listed = call(
        organisations.list_organisations,
        query=query,
        include_merged=include_merged,
        page=page_arg(),
    )
    args = {
        k: v
        for k, v in {"q": query.strip(), "sammanslagna": "1" if include_merged else ""}.items()
        if v
    }
    return render_template(
        "people/organisations.html",
        listed=listed,
        query=query.strip(),
        include_merged=include_merged,
        args=args,
    )


def _organisation_page(row: organisations.Row, form: MergeForm | None = None, status=200):
    members = call(organisations.members, row.organisation)
    if current_user.is_admin and row.organisation.merged_into_id is None:
        if form is None:
            form = MergeForm(formdata=None)
        targets = call(organisations.merge_targets, row.organisation)
        form.target.choices = [SelectChoice(0, _("Choose an organisation"))] + [
            SelectChoice(o.id, o.name) for o in targets
        ]
    else:
        form = None
    return make_response(
        render_template("people/organisation.html", row=row, members=members, form=form), status
    )


@bp.get("/organisationer/<int:organisation_id>")
def organisation(organisation_id: int):
    """Show an organisation, its members and (for administrators) the merge form."""
    return _organisation_page(call(organisations.get_organisation, organisation_id))


@bp.post("/organisationer/<int:organisation_id>/sla-ihop")
def merge(organisation_id: int):
    """Merge a duplicate organisation into another (administrators only)."""
    row = call(organisations.get_organisation, organisation_id)
    require_admin(current_user)
    form = MergeForm()
    session = get_session()
    try:
        if not form.confirm.data:
            raise Invalid({"confirm": "required"})
        target = organisations.merge(
            session,
            actor=current_user,
            source_id=row.organisation.id,
            target_id=form.target.data or None,
            reason=form.reason.data,
            now=clock.now(),
        )
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message)
        return _organisation_page(row, form, status=422)
    except WrongState as error:
        session.rollback()
        flash(refusal_message(error.key), "error")
        return redirect(url_for("people.organisation", organisation_id=organisation_id))
    flash(
        _(
            "%(source)s is merged into %(target)s.",
            source=row.organisation.name,
            target=target.name,
        ),
        "success",
    )
    return redirect(url_for("people.organisation", organisation_id=target.id))
