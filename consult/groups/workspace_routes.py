"""The working group's workspace: the theme board and comments of the group's chapters, the
corrections to their themes, and the synthesis the group writes; and staff's page of every
group's progress.

Anonymous visitors are sent to the login page; every service checks that the signed-in user
is staff or a current member of the open group (``consult.group_access``). Every form here
posts to a workspace address (the analysis and synthesis areas are staff's) and redirects,
or answers with the changed fragment for htmx.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from .. import clock, labels
from ..analysis import drill
from ..analysis.forms import ThemeForm, error_message
from ..consultations.services import comment_languages
from ..db import get_session
from ..errors import Conflict, Invalid
from ..extensions import htmx
from ..models import Category, CommentKind, Stance
from ..synthesis import services as synthesis
from ..synthesis.forms import EntryForm
from ..synthesis.labels import texts as synthesis_texts
from ..web import call, int_field, page_arg, show_refusal
from . import bp, workspace

BASE = "/arbetsgrupper/<int:group_id>/arbetsyta"
ROUND = BASE + "/omgang/<int:round_id>"


def _row_texts(group_id: int, round_id: int) -> dict:
    """What the comment row (``analysis/_comment.html``) needs to post to the workspace."""
    return {
        "staff_view": False,
        "tag_endpoints": {
            "confirm": "groups.workspace_confirm_tag",
            "move": "groups.workspace_move_tag",
            "add": "groups.workspace_add_tag",
        },
        "tag_args": {"group_id": group_id, "round_id": round_id},
    }


def _texts() -> dict:
    return {
        "categories": labels.CATEGORY_LABELS,
        "kinds": labels.KIND_LABELS,
        "stances": labels.STANCE_LABELS,
        **synthesis_texts(),
    }


@bp.get("/arbetsgrupper/mina")
@login_required
def my_workspaces():
    """The signed-in user's groups: straight to the workspace when there is one."""
    groups = call(workspace.my_groups)
    if len(groups) == 1:
        return redirect(url_for("groups.workspace_home", group_id=groups[0].id))
    return render_template("groups/workspace/mine.html", groups=groups)


@bp.get(BASE)
@login_required
def workspace_home(group_id: int):
    """The group's workspace: its chapters, their themes, paragraphs and synthesis."""
    space = call(workspace.home, group_id, now=clock.now())
    return render_template(
        "groups/workspace/home.html",
        space=space,
        group=space.group,
        round=space.round,
        consultation=space.group.consultation,
        **_texts(),
    )


def _theme_page(group_id: int, round_id: int, theme_id: int, form=None, **extra):
    """Render a theme's comments in the group's chapters: 409 with a conflict, 422 with a
    refused form, else 200."""
    found = call(
        workspace.theme_view,
        group_id,
        round_id,
        theme_id,
        drill.Filters.from_args(request.args),
        page=page_arg(),
        per_page=current_app.config["ANALYSIS_COMMENTS_PER_PAGE"],
    )
    view = found.view
    result = view.page
    if form is None:
        form = ThemeForm(formdata=None, obj=result.theme)
    status = 409 if extra.get("conflict") else 422 if form.errors else 200
    return make_response(
        render_template(
            "groups/workspace/theme.html",
            group=found.group,
            theirs=found.theirs,
            round=view.round,
            consultation=view.round.consultation,
            result=result,
            themes=view.themes,
            form=form,
            comment_langs=comment_languages(get_session(), [i.comment.id for i in result.items]),
            chapter_options=[(c.id, f"{c.number} {c.heading}") for c in result.chapters],
            category_options=[(c.value, labels.CATEGORY_LABELS[c]) for c in Category],
            stance_options=[
                *((s.value, labels.STANCE_LABELS[s]) for s in Stance),
                ("none", _("Not given")),
            ],
            kind_options=[(k.value, labels.KIND_LABELS[k]) for k in CommentKind],
            **extra,
            **_texts(),
            **_row_texts(group_id, round_id),
        ),
        status,
    )


@bp.get(ROUND + "/tema/<int:theme_id>")
@login_required
def workspace_theme(group_id: int, round_id: int, theme_id: int):
    """A theme's comments in the group's chapters, filtered and paginated."""
    return _theme_page(group_id, round_id, theme_id)


@bp.post(ROUND + "/tema/<int:theme_id>/redigera")
@login_required
def workspace_rename(group_id: int, round_id: int, theme_id: int):
    """Rename and describe one of the group's themes (refused if saved by someone since)."""
    form = ThemeForm()
    version = int_field("version")
    try:
        call(
            workspace.rename_theme,
            group_id,
            round_id,
            theme_id,
            name=form.name.data or "",
            description=form.description.data or "",
            version=-1 if version is None else version,
            now=clock.now(),
        )
    except Invalid as error:
        get_session().rollback()
        show_refusal(form, error, error_message)
        return _theme_page(group_id, round_id, theme_id, form)
    except Conflict as error:
        get_session().rollback()
        form.version.data = str(error.current.version)
        return _theme_page(group_id, round_id, theme_id, form, conflict=error.current)
    flash(_("The theme is saved."), "success")
    return redirect(
        url_for("groups.workspace_theme", group_id=group_id, round_id=round_id, theme_id=theme_id)
    )


def _required(name: str) -> int:
    value = int_field(name)
    if value is None:
        abort(400)
    return value


def _tag_answer(group_id: int, round_id: int, comment_id: int, theme_id: int, notice: str):
    """Answer a tag correction: the comment's row for htmx, else back to the theme's list."""
    if htmx:
        row = call(workspace.comment_row, group_id, round_id, theme_id, comment_id)
        return render_template(
            "analysis/_comment.html",
            group=call(workspace.get_group, group_id),
            item=row.item,
            round=row.round,
            result=drill.Page(row.theme, drill.Filters(), [], 0, 1, 1),
            themes=row.themes,
            notice=notice,
            comment_langs=comment_languages(get_session(), [comment_id]),
            **_texts(),
            **_row_texts(group_id, round_id),
        )
    flash(notice, "success")
    return redirect(
        url_for("groups.workspace_theme", group_id=group_id, round_id=round_id, theme_id=theme_id)
        + f"#ac-{comment_id}"
    )


@bp.post(ROUND + "/synpunkt/<int:comment_id>/flytta")
@login_required
def workspace_move_tag(group_id: int, round_id: int, comment_id: int):
    """Move a comment of the group's chapters from one theme to another."""
    from_theme, to_theme = _required("from_theme"), _required("to_theme")
    tag = call(
        workspace.correct_tag,
        group_id,
        round_id,
        comment_id,
        "move",
        from_theme_id=from_theme,
        to_theme_id=to_theme,
        now=clock.now(),
    )
    notice = _("Moved to the theme “%(name)s”.", name=tag.theme.name)
    return _tag_answer(group_id, round_id, comment_id, from_theme, notice)


@bp.post(ROUND + "/synpunkt/<int:comment_id>/bekrafta")
@login_required
def workspace_confirm_tag(group_id: int, round_id: int, comment_id: int):
    """Confirm the engine's tag of a comment of the group's chapters."""
    theme_id = _required("theme")
    call(
        workspace.correct_tag,
        group_id,
        round_id,
        comment_id,
        "confirm",
        theme_id=theme_id,
        now=clock.now(),
    )
    return _tag_answer(group_id, round_id, comment_id, theme_id, _("The theme is confirmed."))


@bp.post(ROUND + "/synpunkt/<int:comment_id>/tagga")
@login_required
def workspace_add_tag(group_id: int, round_id: int, comment_id: int):
    """Give a comment of the group's chapters another theme as well."""
    theme_id, back = _required("to_theme"), _required("back")
    tag = call(
        workspace.correct_tag,
        group_id,
        round_id,
        comment_id,
        "add",
        theme_id=theme_id,
        now=clock.now(),
    )
    notice = _("Added to the theme “%(name)s”.", name=tag.theme.name)
    return _tag_answer(group_id, round_id, comment_id, back, notice)


def _synthesis_page(group, where, form=None, *, conflict=None, saved=False, status=200):
    entry = synthesis.entry(get_session(), where)
    form = form or EntryForm.of(entry)
    if where.theme is not None:
        action = url_for(
            "groups.workspace_theme_synthesis",
            group_id=group.id,
            round_id=where.round.id,
            theme_id=where.theme.id,
        )
    else:
        action = url_for(
            "groups.workspace_paragraph_synthesis",
            group_id=group.id,
            round_id=where.round.id,
            paragraph_id=where.paragraph.id,
        )
    template = "synthesis/_entry.html" if htmx else "groups/workspace/synthesis.html"
    return make_response(
        render_template(
            template,
            group=group,
            where=where,
            round=where.round,
            consultation=where.round.consultation,
            entry=entry,
            form=form,
            conflict=conflict,
            saved=saved,
            entry_action=action,
            **_texts(),
        ),
        status,
    )


def _synthesis(group_id: int, round_id: int, **target):
    group, where = call(workspace.synthesis_target, group_id, round_id, **target)
    if request.method == "GET":
        return _synthesis_page(group, where)
    form = EntryForm()
    try:
        call(synthesis.save, where, **form.posted(), now=clock.now(), group_id=group.id)
    except Invalid as error:
        get_session().rollback()
        show_refusal(form, error, form.error_message)
        return _synthesis_page(group, where, form, status=422)
    except Conflict as error:
        form.version.data = str(error.current.version)
        return _synthesis_page(group, where, form, conflict=error.current, status=409)
    if htmx:
        return _synthesis_page(group, where, saved=True)
    flash(_("The synthesis is saved."), "success")
    anchor = f"#ws-theme-{where.theme.id}" if where.theme else f"#ws-p-{where.paragraph.id}"
    return redirect(url_for("groups.workspace_home", group_id=group_id) + anchor)


@bp.route(ROUND + "/tema/<int:theme_id>/sammanstallning", methods=["GET", "POST"])
@login_required
def workspace_theme_synthesis(group_id: int, round_id: int, theme_id: int):
    """Show (GET) or save (POST) the synthesis of one of the group's themes."""
    return _synthesis(group_id, round_id, theme_id=theme_id)


@bp.route(ROUND + "/stycke/<int:paragraph_id>/sammanstallning", methods=["GET", "POST"])
@login_required
def workspace_paragraph_synthesis(group_id: int, round_id: int, paragraph_id: int):
    """Show (GET) or save (POST) the synthesis of a paragraph of the group's chapters."""
    return _synthesis(group_id, round_id, paragraph_id=paragraph_id)


@bp.get("/arbetsgrupper/samrad/<int:consultation_id>/framsteg")
@login_required
def progress(consultation_id: int):
    """Staff's view of every group's synthesis progress in the consultation."""
    found = call(workspace.progress, consultation_id, now=clock.now())
    return render_template(
        "groups/workspace/progress.html",
        progress=found,
        consultation=found.consultation,
        round=found.round,
    )
