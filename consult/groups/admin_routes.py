"""The management pages of the working groups: staff list and create a consultation's groups;
staff and a group's chair or secretary edit the group and manage its members; staff move its
chapters and close it. Every form posts and redirects; the services decide who may do what.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import group_access as access
from ..db import get_session
from ..errors import Invalid, WrongState
from ..labels import CATEGORY_LABELS
from ..security import staff_only
from ..web import call, form_page, show_refusal
from . import bp, history, public, services
from .forms import ChapterForm, ConfirmForm, GroupForm, MemberForm, RoleForm
from .labels import ROLE_LABELS, WRITING_LABELS, message, state_message

MANAGE_ENDPOINTS = frozenset(
    {
        "groups.manage",
        "groups.assign_chapter",
        "groups.remove_chapter",
        "groups.add_member",
        "groups.change_role",
        "groups.member_leaves",
        "groups.close",
    }
)

staff_only(bp, only_endpoints=frozenset({"groups.consultation_groups"}))


@bp.before_request
def _signed_in_to_manage():
    # The management pages of one group are for its chair and secretary too: the service
    # decides; anonymous visitors are sent to log in first.
    if request.endpoint in MANAGE_ENDPOINTS and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


@bp.route(
    "/arbetsgrupper/samrad/<int:consultation_id>",
    methods=["GET", "POST"],
    endpoint="consultation_groups",
)
def consultation_groups(consultation_id: int):
    """Staff: the consultation's groups with chapters, chair, secretary and size; a new one."""
    consultation, rows = call(services.overview, consultation_id)
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = call(services.create_group, consultation_id, form.values())
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        else:
            flash(_("The group %(name)s was created.", name=group.name), "success")
            return redirect(url_for("groups.manage", group_id=group.id))
    sections = {s.anchor: s for s in services.draft_sections(get_session(), consultation.id)}
    return form_page(
        "groups/admin_list.html",
        form,
        consultation=consultation,
        rows=rows,
        sections=sections,
        role_labels=ROLE_LABELS,
    )


def _manage_page(group, *, details=None, chapter=None, member=None, status_error=None):
    session = get_session()
    sections = services.draft_sections(session, group.consultation_id)
    held = {c.section_anchor for c in services.current_chapters(group)}
    details = details or GroupForm(
        formdata=None,
        data={
            "name": group.name,
            "description": group.description,
            "position": str(group.position),
        },
    )
    chapter = chapter or ChapterForm(formdata=None)
    holders = public.draft_groups(session, group.consultation_id).by_anchor

    def label(section) -> str:
        text = f"{section.number} {section.heading}"
        other = holders.get(section.anchor)
        return _("%(chapter)s (now %(group)s)", chapter=text, group=other.name) if other else text

    chapter.chapter.choices = [("", _("Choose a chapter"))] + [
        (s.anchor, label(s)) for s in sections if s.anchor not in held
    ]
    member = member or MemberForm(formdata=None)
    forms_with_errors = [f for f in (details, chapter, member) if f.errors]
    response = form_page(
        "groups/manage.html",
        forms_with_errors[0] if forms_with_errors else details,
        group=group,
        details=details,
        chapter_form=chapter,
        member_form=member,
        role_form=RoleForm,
        confirm=ConfirmForm(),
        sections={s.anchor: s for s in sections},
        is_staff=access.is_staff(current_user),
        history=history.history(session, group),
        current_members=services.current_members(group),
        current_chapters=services.current_chapters(group),
        role_labels=ROLE_LABELS,
        category_labels=CATEGORY_LABELS,
        writing_labels=WRITING_LABELS,
        state_error=status_error,
    )
    if status_error:
        response.status_code = 409
    return response


def _back(group_id: int, anchor: str = ""):
    return redirect(url_for("groups.manage", group_id=group_id) + anchor)


def _refused_state(group_id: int, error: WrongState):
    get_session().rollback()
    group = services.managed_group(get_session(), current_user, group_id)
    return _manage_page(group, status_error=state_message(error.key))


@bp.route("/arbetsgrupper/<int:group_id>/hantera", methods=["GET", "POST"], endpoint="manage")
def manage(group_id: int):
    """A group's management page: its details, chapters, members, history; POST saves the
    details (staff, or the group's chair or secretary)."""
    group = call(services.managed_group, group_id)
    if request.method == "GET":
        return _manage_page(group)
    form = GroupForm()
    if form.validate_on_submit():
        try:
            call(services.edit_group, group_id, form.values())
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        except WrongState as error:
            return _refused_state(group_id, error)
        else:
            flash(_("Saved."), "success")
            return _back(group_id)
    return _manage_page(services.managed_group(get_session(), current_user, group_id), details=form)


@bp.post("/arbetsgrupper/<int:group_id>/kapitel", endpoint="assign_chapter")
def assign_chapter(group_id: int):
    """Staff: make the group responsible for a chapter (taking it from its current group)."""
    call(services.managed_group, group_id)
    form = ChapterForm()
    if form.validate_on_submit():
        try:
            call(services.assign_chapter, group_id, form.chapter.data)
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        except WrongState as error:
            return _refused_state(group_id, error)
        else:
            flash(_("The chapter was assigned to the group."), "success")
            return _back(group_id, "#chapters")
    group = services.managed_group(get_session(), current_user, group_id)
    return _manage_page(group, chapter=form)


@bp.post(
    "/arbetsgrupper/<int:group_id>/kapitel/<int:chapter_id>/ta-bort", endpoint="remove_chapter"
)
def remove_chapter(group_id: int, chapter_id: int):
    """Staff: end the group's responsibility for a chapter."""
    if ConfirmForm().validate_on_submit():
        try:
            call(services.remove_chapter, group_id, chapter_id)
        except WrongState as error:
            return _refused_state(group_id, error)
        flash(_("The group is no longer responsible for the chapter."), "success")
    return _back(group_id, "#chapters")


@bp.post("/arbetsgrupper/<int:group_id>/medlemmar", endpoint="add_member")
def add_member(group_id: int):
    """Add a member by the e-mail address of their account."""
    call(services.managed_group, group_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            membership = call(services.add_member, group_id, form.email.data, form.role.data)
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        except WrongState as error:
            return _refused_state(group_id, error)
        else:
            flash(_("%(name)s joined the group.", name=membership.user.display_name), "success")
            return _back(group_id, "#members")
    group = services.managed_group(get_session(), current_user, group_id)
    return _manage_page(group, member=form)


@bp.post("/arbetsgrupper/<int:group_id>/medlemmar/<int:membership_id>/roll", endpoint="change_role")
def change_role(group_id: int, membership_id: int):
    """Give a member another role."""
    call(services.managed_group, group_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            call(services.change_role, group_id, membership_id, form.role.data)
        except Invalid:
            get_session().rollback()
            flash(str(message("role", "choice")), "error")
        except WrongState as error:
            return _refused_state(group_id, error)
        else:
            flash(_("The role was changed."), "success")
    return _back(group_id, "#members")


@bp.post(
    "/arbetsgrupper/<int:group_id>/medlemmar/<int:membership_id>/lamna",
    endpoint="member_leaves",
)
def member_leaves(group_id: int, membership_id: int):
    """End a membership (the row and what the person wrote stay)."""
    call(services.managed_group, group_id)
    if ConfirmForm().validate_on_submit():
        try:
            call(services.leave, group_id, membership_id)
        except WrongState as error:
            return _refused_state(group_id, error)
        flash(_("The member has left the group."), "success")
    return _back(group_id, "#members")


@bp.post("/arbetsgrupper/<int:group_id>/stang", endpoint="close")
def close(group_id: int):
    """Staff: close the group; its chapters and memberships end now, nothing is deleted."""
    if ConfirmForm().validate_on_submit():
        try:
            call(services.close_group, group_id)
        except WrongState as error:
            return _refused_state(group_id, error)
        flash(_("The group was closed."), "success")
    return _back(group_id)
