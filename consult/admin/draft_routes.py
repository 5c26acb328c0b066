"""Pages for fixing a round's draft before it opens, and for what changed since the last round.

The editor lists the draft's headings and paragraphs, each paragraph rendered as participants
see it, with row actions: edit the text, move up or down, delete. With htmx an edit swaps
its row and a move or a deletion swaps the list (the numbers change); without JavaScript the
same forms post and the page comes back at the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..consultations import changes as changes_
from ..consultations import versions
from ..db import get_session
from ..errors import Invalid, WrongState
from ..extensions import htmx
from ..models import Paragraph, Round, Section
from ..web import call, show_refusal
from . import bp, drafts, rounds
from .forms import HeadingForm, ParagraphForm, error_message, state_message
from .markdown import to_markdown


@dataclass
class Row:
    """One line of the editor: a heading, or a paragraph with the moves it allows."""

    kind: str
    block: Section | Paragraph
    up: str | None = None
    down: str | None = None
    deletable: bool = False


def _rows(round_: Round) -> list[Row]:
    editor = call(drafts.editor_blocks, round_)
    blocks = [e.block for e in editor]
    rows = []
    for i, entry in enumerate(editor):
        block = entry.block
        if isinstance(block, Section):
            rows.append(Row("section", block))
            continue
        before = blocks[i - 1] if i > 0 else None
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        rows.append(
            Row(
                "paragraph",
                block,
                up=_move_label("up", before, blocks[:i]),
                down=_move_label("down", after, blocks),
                deletable=entry.deletable,
            )
        )
    return rows


def _move_label(direction: str, neighbour, earlier) -> str | None:
    """Say what a move does: one step, or across a heading into another section."""
    if neighbour is None:
        return None
    if isinstance(neighbour, Paragraph):
        return _("Move up") if direction == "up" else _("Move down")
    if direction == "down":
        return _("Move into %(number)s %(heading)s", **_names(neighbour))
    owner = earlier[-2] if len(earlier) > 1 else None
    if owner is None:
        return _("Move before the first heading")
    section = owner if isinstance(owner, Section) else owner.section
    if section is None:
        return _("Move before the first heading")
    return _("Move into %(number)s %(heading)s", **_names(section))


def _names(section: Section) -> dict:
    return {"number": section.number, "heading": section.heading}


def _editable_or_back(round_: Round):
    if not drafts.draft_is_editable(round_, clock.now()):
        flash(state_message("draft_locked"), "error")
        return redirect(url_for("admin.round_page", round_id=round_.id))
    return None


def _editor_url(round_: Round, anchor: str | None = None) -> str:
    url = url_for("admin.edit_draft", round_id=round_.id)
    return f"{url}#{anchor}" if anchor else url


def _render_editor(round_: Round, *, focus=None, notice=None, error=None, moved=None, status=200):
    template = "admin/_draft_editor.html" if htmx else "admin/draft_editor.html"
    return make_response(
        render_template(
            template,
            round=round_,
            consultation=round_.consultation,
            rows=_rows(round_),
            previous_round=versions.previous_round(get_session(), round_),
            focus=focus,
            notice=notice,
            error=error,
            moved=moved,
        ),
        status,
    )


@bp.get("/omgang/<int:round_id>/utkast/redigera")
def edit_draft(round_id: int):
    """List the draft's headings and paragraphs with the actions that fix them."""
    round_ = call(rounds.get_round, round_id)
    back = _editable_or_back(round_)
    if back is not None:
        return back
    return _render_editor(round_)


def _paragraph_row(round_: Round, paragraph: Paragraph, *, notice=None, status=200):
    row = next(r for r in _rows(round_) if r.block.id == paragraph.id and r.kind == "paragraph")
    return make_response(
        render_template(
            "admin/_draft_row.html",
            round=round_,
            row=row,
            previous_round=versions.previous_round(get_session(), round_),
            notice=notice,
            focus=paragraph.id,
        ),
        status,
    )


def _section_row(round_: Round, section: Section, *, notice=None, status=200):
    return make_response(
        render_template(
            "admin/_draft_row.html",
            round=round_,
            row=Row("section", section),
            notice=notice,
            focus=section.id,
        ),
        status,
    )


def _refused(round_: Round, error: WrongState, anchor: str):
    get_session().rollback()
    message = state_message(error.key)
    if htmx:
        if error.key == "draft_locked":
            response = make_response("", 200)
            response.headers["HX-Redirect"] = url_for("admin.round_page", round_id=round_.id)
            flash(message, "error")
            return response
        return _render_editor(round_, focus=anchor, error=message, status=409)
    flash(message, "error")
    if error.key == "draft_locked":
        return redirect(url_for("admin.round_page", round_id=round_.id))
    return redirect(_editor_url(round_, anchor))


@bp.get("/omgang/<int:round_id>/stycke/<int:paragraph_id>/")
def draft_paragraph(round_id: int, paragraph_id: int):
    """Return one paragraph's row of the editor (htmx), or the editor at that row."""
    round_ = call(rounds.get_round, round_id)
    paragraph = call(drafts.get_paragraph, round_, paragraph_id)
    if not htmx:
        return redirect(_editor_url(round_, f"edit-p-{paragraph.id}"))
    return _paragraph_row(round_, paragraph)


@bp.route("/omgang/<int:round_id>/stycke/<int:paragraph_id>/redigera", methods=["GET", "POST"])
def edit_paragraph(round_id: int, paragraph_id: int):
    """Change the text of one paragraph of the draft."""
    round_ = call(rounds.get_round, round_id)
    paragraph = call(drafts.get_paragraph, round_, paragraph_id)
    anchor = f"edit-p-{paragraph.id}"
    if request.method == "GET":
        back = _editable_or_back(round_)
        if back is not None:
            return back
        form = ParagraphForm(data={"text": to_markdown(paragraph.html)})
        status = 200
    else:
        form = ParagraphForm()
        try:
            call(
                drafts.edit_paragraph,
                round_.id,
                paragraph.id,
                markdown=form.text.data,
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
            status = 422
        except WrongState as error:
            return _refused(round_, error, anchor)
        else:
            notice = _("Paragraph %(n)s is saved.", n=paragraph.number)
            if htmx:
                return _paragraph_row(round_, paragraph, notice=notice)
            flash(notice, "success")
            return redirect(_editor_url(round_, anchor))
    template = "admin/_paragraph_form.html" if htmx else "admin/paragraph_form.html"
    return make_response(
        render_template(
            template,
            round=round_,
            consultation=round_.consultation,
            paragraph=paragraph,
            form=form,
        ),
        status,
    )


@bp.post("/omgang/<int:round_id>/stycke/<int:paragraph_id>/flytta")
def move_paragraph(round_id: int, paragraph_id: int):
    """Move a paragraph one step up or down (across a heading into the next section)."""
    round_ = call(rounds.get_round, round_id)
    paragraph = call(drafts.get_paragraph, round_, paragraph_id)
    direction = request.form.get("direction", "")
    anchor = f"edit-p-{paragraph.id}"
    try:
        call(
            drafts.move_paragraph,
            round_.id,
            paragraph.id,
            direction=direction,
            now=clock.now(),
        )
    except Invalid:
        get_session().rollback()
        abort(400)
    except WrongState as error:
        return _refused(round_, error, anchor)
    section = paragraph.section
    where = f"{section.number} {section.heading}" if section else _("before the first heading")
    notice = _(
        "Paragraph moved. It is now paragraph %(n)s, in %(where)s.", n=paragraph.number, where=where
    )
    if htmx:
        return _render_editor(round_, focus=anchor, notice=notice, moved=direction)
    flash(notice, "success")
    return redirect(_editor_url(round_, anchor))


@bp.post("/omgang/<int:round_id>/stycke/<int:paragraph_id>/ta-bort")
def delete_paragraph(round_id: int, paragraph_id: int):
    """Delete a paragraph that nobody has commented on."""
    round_ = call(rounds.get_round, round_id)
    paragraph = call(drafts.get_paragraph, round_, paragraph_id)
    number = paragraph.number
    try:
        call(drafts.delete_paragraph, round_.id, paragraph.id, now=clock.now())
    except WrongState as error:
        return _refused(round_, error, f"edit-p-{paragraph.id}")
    notice = _("Paragraph %(n)s is deleted. Its text is kept in the round's history.", n=number)
    if htmx:
        return _render_editor(round_, focus="draft-editor-notice", notice=notice)
    flash(notice, "success")
    return redirect(_editor_url(round_))


@bp.get("/omgang/<int:round_id>/avsnitt/<int:section_id>/")
def draft_section(round_id: int, section_id: int):
    """Return one heading's row of the editor (htmx), or the editor at that row."""
    round_ = call(rounds.get_round, round_id)
    section = call(drafts.get_section, round_, section_id)
    if not htmx:
        return redirect(_editor_url(round_, f"edit-s-{section.id}"))
    return _section_row(round_, section)


@bp.route("/omgang/<int:round_id>/avsnitt/<int:section_id>/redigera", methods=["GET", "POST"])
def edit_heading(round_id: int, section_id: int):
    """Change a section's heading."""
    round_ = call(rounds.get_round, round_id)
    section = call(drafts.get_section, round_, section_id)
    anchor = f"edit-s-{section.id}"
    if request.method == "GET":
        back = _editable_or_back(round_)
        if back is not None:
            return back
        form = HeadingForm(data={"heading": section.heading})
        status = 200
    else:
        form = HeadingForm()
        try:
            call(
                drafts.edit_heading,
                round_.id,
                section.id,
                heading=form.heading.data,
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
            status = 422
        except WrongState as error:
            return _refused(round_, error, anchor)
        else:
            notice = _("The heading is saved.")
            if htmx:
                return _section_row(round_, section, notice=notice)
            flash(notice, "success")
            return redirect(_editor_url(round_, anchor))
    template = "admin/_heading_form.html" if htmx else "admin/heading_form.html"
    return make_response(
        render_template(
            template, round=round_, consultation=round_.consultation, section=section, form=form
        ),
        status,
    )


@bp.get("/omgang/<int:round_id>/andringar")
def round_changes(round_id: int):
    """Show what changed in the round's draft since the previous round, section by section."""
    round_ = call(rounds.get_round, round_id)
    result = changes_.compare(get_session(), round_)
    if result is None:
        abort(404)
    return render_template(
        "admin/changes.html", round=round_, consultation=round_.consultation, changes=result
    )
