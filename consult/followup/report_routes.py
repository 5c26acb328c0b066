"""The yearly results reports of a strategy: staff create a year's report, write its foreword
and a comment per goal, preview it (page and .docx) and publish it; the public reads the
published years, as a page and as .docx, always from the snapshot stored when it was published.

The services in ``report`` decide who may do what; the staff pages are also behind the staff
gate, which sends anonymous visitors to log in.
"""

from __future__ import annotations

import io
import time

from flask import current_app, flash, make_response, redirect, render_template, send_file, url_for
from flask_babel import gettext as _

from .. import clock
from ..db import get_session
from ..errors import Conflict, Invalid, WrongState
from ..security import staff_only
from ..web import call, int_field, sent_form, viewer
from . import bp, report, report_docx
from .labels import MESSAGES, STATUS_LABELS
from .progress import goal_progress

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

STAFF_ENDPOINTS = frozenset(
    {
        "followup.report_manage",
        "followup.report_create",
        "followup.report_edit",
        "followup.report_save",
        "followup.report_preview",
        "followup.report_preview_docx",
        "followup.report_publish",
        "followup.report_unpublish",
    }
)

staff_only(bp, only_endpoints=STAFF_ENDPOINTS)


def _helpers() -> dict:
    """What the report templates use to name things in the reader's language."""
    return {
        "status_label": report.status_label,
        "status_labels": STATUS_LABELS,
        "response_label": report.response_label,
        "global_goal_name": report.global_goal_name,
        "global_code_name": report.global_code_name,
        "area_name": report.area_name,
        "number": report.number,
        "change_text": report.change_text,
        "target_line": report_docx.target_line,
        "source_line": report_docx.source_line,
        "pivot": pivot,
    }


def pivot(indicator: dict) -> tuple[list[int], list[tuple[str, list]]]:
    """An indicator's values as a table: the years, and per area its value of each year."""
    years = sorted({value["year"] for value in indicator["values"]})
    cells = {(value["area"], value["year"]): value["value"] for value in indicator["values"]}
    return years, [(area, [cells.get((area, y)) for y in years]) for area in indicator["areas"]]


def _docx_name(content: dict, draft: bool = False) -> str:
    name = f"{content['strategy']['slug']}-resultat-{content['year']}"
    return f"{name}-utkast.docx" if draft else f"{name}.docx"


def _send_docx(content: dict, *, published_at=None, draft: bool = False):
    started = time.perf_counter()
    body = report_docx.docx_bytes(content, published_at=published_at)
    current_app.logger.info(
        "Report %s %s built as .docx in %.2f s",
        content["strategy"]["slug"],
        content["year"],
        time.perf_counter() - started,
    )
    return send_file(
        io.BytesIO(body),
        mimetype=DOCX,
        as_attachment=True,
        download_name=_docx_name(content, draft),
    )


# --- Public ----------------------------------------------------------------------------------


@bp.get("/uppfoljning/<slug>/rapporter", endpoint="report_list")
def report_list(slug: str):
    """The strategy's published yearly reports."""
    strategy, published = report.public_reports(get_session(), viewer(), slug)
    return render_template("followup/reports/list.html", strategy=strategy, reports=published)


@bp.get("/uppfoljning/<slug>/rapporter/<int:year>", endpoint="report_page")
def report_page(slug: str, year: int):
    """A published yearly report, as it was published; the other published years beside it."""
    session = get_session()
    strategy, found, content = report.public_report(session, viewer(), slug, year)
    return render_template(
        "followup/reports/report.html",
        strategy=strategy,
        report=found,
        content=content,
        years=[r.year for r in report.reports(session, strategy, published_only=True)],
        preview=False,
        **_helpers(),
    )


@bp.get("/uppfoljning/<slug>/rapporter/<int:year>/rapport.docx", endpoint="report_docx")
def report_docx_file(slug: str, year: int):
    """A published yearly report as a Word document."""
    _strategy, found, content = report.public_report(get_session(), viewer(), slug, year)
    return _send_docx(content, published_at=found.published_at)


# --- Staff -----------------------------------------------------------------------------------


def _manage_page(slug: str, *, errors=None, sent=None, status=200):
    strategy, reports = call(report.staff_reports, slug)
    return make_response(
        render_template(
            "followup/reports/manage.html",
            strategy=strategy,
            reports=reports,
            errors=errors or {},
            sent=sent or {},
        ),
        status,
    )


@bp.get("/uppfoljning/<slug>/hantera/rapporter", endpoint="report_manage")
def report_manage(slug: str):
    """Staff: the strategy's reports by year, and the form for a new one."""
    return _manage_page(slug)


@bp.post("/uppfoljning/<slug>/hantera/rapporter", endpoint="report_create")
def report_create(slug: str):
    """Staff: create the report of a year."""
    form, _unreadable = sent_form()
    raw_year = form.get("year", "")
    try:
        created = call(report.create_report, slug, raw_year, now=clock.now())
    except Invalid as error:
        get_session().rollback()
        errors = {name: str(MESSAGES[key]) for name, key in error.errors.items()}
        return _manage_page(slug, errors=errors, sent={"year": raw_year}, status=422)
    flash(_("The report for %(year)s is created.", year=created.year), "success")
    return redirect(url_for("followup.report_edit", slug=slug, year=created.year), 303)


def _edit_page(
    slug: str,
    year: int,
    *,
    errors=None,
    sent=None,
    notice=None,
    conflict=None,
    version=None,
    status=200,
):
    found = call(report.managed_report, slug, year)
    strategy = found.strategy
    notes = {note.goal_id: note.text for note in found.goal_notes}
    if sent is None:
        sent = {"foreword": found.foreword} | {f"note-{g}": t for g, t in notes.items()}
    return make_response(
        render_template(
            "followup/reports/edit.html",
            strategy=strategy,
            report=found,
            priorities=_goal_groups(strategy),
            progress={goal.id: goal_progress(goal).percent for goal in strategy.goals},
            errors=errors or {},
            sent=sent,
            notice=notice,
            conflict=conflict,
            version=found.version if version is None else version,
        ),
        status,
    )


def _goal_groups(strategy) -> list[tuple]:
    """The strategy's goals by priority, as the edit form lists them (priority None last)."""
    goals = strategy.goals
    groups = [(p, [g for g in goals if g.priority_id == p.id]) for p in strategy.priorities]
    loose = [g for g in goals if g.priority_id is None]
    if loose:
        groups.append((None, loose))
    return [(priority, goals) for priority, goals in groups if goals]


@bp.get("/uppfoljning/<slug>/hantera/rapporter/<int:year>", endpoint="report_edit")
def report_edit(slug: str, year: int):
    """Staff: the foreword and the comment per goal of a year's report; publish it."""
    return _edit_page(slug, year)


def _posted_version() -> int:
    version = int_field("version")
    return -1 if version is None else version


def _state_notice(error: WrongState) -> str:
    if error.key == "published":
        return _("The report is published and is no longer edited. Unpublish it to change it.")
    return _("The report is not published.")


@bp.post("/uppfoljning/<slug>/hantera/rapporter/<int:year>", endpoint="report_save")
def report_save(slug: str, year: int):
    """Staff: save the foreword and the comments."""
    found = call(report.managed_report, slug, year)
    form, _unreadable = sent_form()
    goal_ids = [goal.id for goal in found.strategy.goals]
    sent = {"foreword": form.get("foreword", "")} | {
        f"note-{goal_id}": form.get(f"note-{goal_id}", "") for goal_id in goal_ids
    }
    notes = {goal_id: sent[f"note-{goal_id}"] for goal_id in goal_ids}
    try:
        call(
            report.save_report,
            found.id,
            foreword=sent["foreword"],
            notes=notes,
            version=_posted_version(),
            now=clock.now(),
        )
    except Invalid as error:
        get_session().rollback()
        errors = {name: str(MESSAGES[key]) for name, key in error.errors.items()}
        return _edit_page(
            slug, year, errors=errors, sent=sent, version=_posted_version(), status=422
        )
    except Conflict as error:
        get_session().rollback()
        # Keep this person's text in the form, now based on the saved version, and show
        # what the other person saved: nothing is lost and nothing overwritten.
        return _edit_page(slug, year, sent=sent, conflict=error.current, status=409)
    except WrongState as error:
        get_session().rollback()
        return _edit_page(slug, year, sent=sent, notice=_state_notice(error), status=409)
    flash(_("The report is saved."), "success")
    return redirect(url_for("followup.report_edit", slug=slug, year=year), 303)


def _publishing(slug: str, year: int, service, done: str):
    found = call(report.managed_report, slug, year)
    form, _unreadable = sent_form()
    if form.get("confirm") != "yes":
        return _edit_page(slug, year, errors={"confirm": str(MESSAGES["confirm"])}, status=422)
    try:
        call(service, found.id, version=_posted_version(), now=clock.now())
    except Conflict as error:
        get_session().rollback()
        notice = _(
            "Someone else changed the report while you were reading it. Read it again "
            "before you publish or unpublish it."
        )
        return _edit_page(slug, year, notice=notice, version=error.current.version, status=409)
    except WrongState as error:
        get_session().rollback()
        return _edit_page(slug, year, notice=_state_notice(error), status=409)
    flash(done, "success")
    return redirect(url_for("followup.report_edit", slug=slug, year=year), 303)


@bp.post("/uppfoljning/<slug>/hantera/rapporter/<int:year>/publicera", endpoint="report_publish")
def report_publish(slug: str, year: int):
    """Staff: publish the report (its content is stored as it reads now)."""
    return _publishing(slug, year, report.publish, _("The report is published."))


@bp.post(
    "/uppfoljning/<slug>/hantera/rapporter/<int:year>/avpublicera", endpoint="report_unpublish"
)
def report_unpublish(slug: str, year: int):
    """Staff: take the report off the public pages and make it a draft again."""
    return _publishing(
        slug, year, report.unpublish, _("The report is no longer published; it is a draft again.")
    )


@bp.get(
    "/uppfoljning/<slug>/hantera/rapporter/<int:year>/forhandsgranska", endpoint="report_preview"
)
def report_preview(slug: str, year: int):
    """Staff: the report as it would be published now (a published one as it was)."""
    session = get_session()
    found, content = call(report.preview, slug, year)
    return render_template(
        "followup/reports/report.html",
        strategy=found.strategy,
        report=found,
        content=content,
        years=[r.year for r in report.reports(session, found.strategy, published_only=True)],
        preview=True,
        **_helpers(),
    )


@bp.get(
    "/uppfoljning/<slug>/hantera/rapporter/<int:year>/rapport.docx",
    endpoint="report_preview_docx",
)
def report_preview_docx(slug: str, year: int):
    """Staff: the report as a Word document, a draft included."""
    found, content = call(report.preview, slug, year)
    return _send_docx(content, published_at=found.published_at, draft=found.published_at is None)
