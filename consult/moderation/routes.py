"""Moderation pages: the staff queue with its row and bulk actions, and participants' reports.

The queue (``/moderering/``) is for staff and administrators only: the blueprint sends
anonymous visitors to the login page and refuses everyone else, and every service checks the
acting user again. A row action sent by htmx answers with the row; without JavaScript the
form posts and the queue comes back with a message. Reporting is open to every logged-in,
non-blocked user except the author, at most a few reports per user in a while.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import clock, web
from ..consultations.urls import comment_url, target_key, thread_url
from ..db import get_session
from ..errors import Invalid, NotAllowed, WrongState
from ..extensions import htmx, limiter
from ..models import Comment
from ..people import forms as people_forms
from ..people import services as people
from ..people.notices import write_refusal_message
from ..people.rules import UNCONFIRMED
from ..security import safe_next, staff_only, vary_on_htmx
from ..web import call, int_arg, int_list, show_refusal
from . import bp, decisions, queue, reasons, reports
from .forms import BlockForm, BulkForm, ReasonForm, ReportForm, error_message, state_message

# URL verb -> service action.
VERBS = {
    "godkann": "approve",
    "avvisa": "reject",
    "dolj": "hide",
    "visa": "unhide",
    "avfarda": "dismiss",
}
NOTICES = {
    "approve": _l("Approved: the comment is published and its author has been told."),
    "reject": _l("Rejected: the comment is kept but not shown, and its author has been told."),
    "hide": _l("Hidden: the comment is no longer shown, and its author has been told."),
    "unhide": _l("Shown again: the reports are dismissed and the author has been told."),
    "dismiss": _l("The reports are dismissed; the comment stays visible."),
}
ACTION_NAMES = {
    "approve": _l("approved"),
    "reject": _l("rejected"),
    "hide": _l("hidden"),
    "unhide": _l("shown again"),
    "dismiss": _l("reports dismissed"),
}
STATE_LABELS = {
    "pending": _l("Waiting for review"),
    "reported": _l("Reported"),
    "hidden": _l("Hidden after reports"),
}
# The event a decision sends (HX-Trigger) so that the counters of waiting comments refresh.
CHANGED_EVENT = "moderation-changed"
# Open to every logged-in user; everything else in this blueprint is for staff.
PARTICIPANT_ENDPOINTS = frozenset({"moderation.report"})
REPORT_RATE_LIMIT = "10 per 10 minutes"


def _report_limit() -> str:
    return current_app.config.get("REPORT_RATE_LIMIT", REPORT_RATE_LIMIT)


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


staff_only(bp, except_endpoints=PARTICIPANT_ENDPOINTS)


vary_on_htmx(bp)

@bp.app_template_global()
def can_report(comment: Comment) -> bool:
    """Whether the current user may report ``comment``."""
    return reports.can_report(comment, web.viewer())


@bp.app_template_global()
def has_reported(comment: Comment) -> bool:
    """Whether the current user has already reported ``comment`` (one query per request)."""
    if "reported_ids" not in g:
        g.reported_ids = reports.reported_ids(get_session(), web.viewer())
    return comment.id in g.reported_ids


@bp.app_template_global()
def moderation_queue_size() -> int:
    """The number of comments waiting for staff, for the menu (0 for everyone else)."""
    viewer = web.viewer()
    if viewer is None or not viewer.is_staff:
        return 0
    return queue.queue_size(get_session(), viewer)


@bp.app_template_global()
def reason_choices() -> list[tuple[str, str]]:
    """The reasons a moderator or a reporter can choose, as (code, name)."""
    return [(code, str(name)) for code, name in reasons.REASONS.items()]


@bp.app_template_filter("reason_label")
def reason_label(code: str | None) -> str:
    """The reader-facing name of a moderation or report reason code."""
    return reasons.label(code)


def _filters() -> tuple[int | None, str | None]:
    state = request.args.get("status") or None
    return int_arg("omgang"), state if state in queue.STATES else None


def _queue_url() -> str:
    round_id, state = _filters()
    args = {k: v for k, v in {"omgang": round_id, "status": state}.items() if v}
    return url_for("moderation.queue", **args)


def _queue_page(*, failed=None, failed_block=None, bulk_form=None, selected=(), status: int = 200):
    round_id, state = _filters()
    return make_response(
        render_template(
            "moderation/queue.html",
            items=call(queue.queue, round_id=round_id, state=state),
            counts=call(queue.queue_counts, round_id=round_id),
            rounds=call(queue.queue_rounds),
            round_id=round_id,
            state=state,
            state_labels=STATE_LABELS,
            failed=failed,
            bulk_form=bulk_form or BulkForm(formdata=None),
            selected=set(selected),
            failed_block=failed_block,
            back=_queue_url(),
        ),
        status,
    )


@bp.get("/moderering/", endpoint="queue")
def queue_page():
    """List the comments waiting for staff, most reported and oldest first, with filters."""
    return _queue_page()


@bp.get("/moderering/antal")
def count():
    """The menu's count of comments waiting for staff (refreshed after in-place decisions)."""
    return render_template("moderation/_count.html")


def _changed(response):
    """Tell the page that the queue changed, so that its counters fetch the new numbers."""
    response.headers["HX-Trigger"] = CHANGED_EVENT
    return response


def _row(item, *, notice=None, error=None, failed=None, block_form=None, status: int = 200):
    return make_response(
        render_template(
            "moderation/_item.html",
            item=item,
            notice=notice,
            error=error,
            failed=failed,
            state_labels=STATE_LABELS,
            block_form=block_form,
            back=safe_next(request.form.get("next"), url_for("moderation.queue")),
        ),
        status,
    )


def _back() -> str:
    return safe_next(request.form.get("next"), url_for("moderation.queue"))


@bp.post("/moderering/synpunkter/<int:comment_id>/<verb>")
def decide(comment_id: int, verb: str):
    """Approve, reject, hide, show again or dismiss the reports of one comment."""
    name = VERBS.get(verb)
    if name is None:
        abort(404)
    session = get_session()
    form = ReasonForm(prefix=f"{verb}-{comment_id}")
    extra = {}
    if name in decisions.NEEDS_REASON:
        extra = {"reason": form.reason.data, "note": form.note.data}
    action = {
        "approve": decisions.approve,
        "reject": decisions.reject,
        "hide": decisions.hide,
        "unhide": decisions.unhide,
        "dismiss": decisions.dismiss_reports,
    }[name]
    try:
        call(action, comment_id, now=clock.now(), **extra)
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message)
        if htmx:
            item = call(queue.get_item, comment_id)
            return _row(item, failed=(verb, form), status=422)
        return _queue_page(failed=(comment_id, verb, form), status=422)
    except WrongState as error:
        session.rollback()
        if htmx:
            item = call(queue.get_item, comment_id)
            return _row(item, error=state_message(error.key), status=409)
        flash(state_message(error.key), "error")
        return redirect(_back())
    message = str(NOTICES[name])
    if htmx:
        return _changed(_row(call(queue.get_item, comment_id), notice=message))
    flash(message, "success")
    return redirect(_back())


@bp.post("/moderering/synpunkter/<int:comment_id>/blockera")
def block_author(comment_id: int):
    """Block the author of a comment (their comments stay; hidden if staff choose so)."""
    item = call(queue.get_item, comment_id)
    form = BlockForm(prefix=f"block-{comment_id}")
    session = get_session()
    try:
        people.block_user(
            session,
            actor=current_user,
            user_id=item.comment.author_id,
            reason=form.reason.data,
            hide_comments=bool(form.hide_comments.data),
            now=clock.now(),
        )
    except Invalid as error:
        session.rollback()
        for name, key in error.errors.items():
            getattr(form, name).errors = [people_forms.error_message(name, key)]
        if htmx:
            return _row(call(queue.get_item, comment_id), block_form=form, status=422)
        return _queue_page(failed_block=(comment_id, form), status=422)
    except (WrongState, NotAllowed) as error:
        session.rollback()
        if error.code == 403 and error.key is None:
            raise
        message = people_forms.refusal_message(error.key)
        if htmx:
            return _row(call(queue.get_item, comment_id), error=message, status=409)
        flash(message, "error")
        return redirect(_back())
    message = _("%(name)s is blocked.", name=item.comment.author.display_name)
    if htmx:
        return _changed(_row(call(queue.get_item, comment_id), notice=message))
    flash(message, "success")
    return redirect(_back())


@bp.post("/moderering/urval")
def bulk():
    """Apply one action to every selected comment, all or nothing, and say what was done."""
    form = BulkForm()
    ids = int_list(request.form.getlist("ids"))
    session = get_session()
    try:
        done = call(
            decisions.bulk,
            action=form.action.data or "",
            comment_ids=ids,
            reason=form.reason.data,
            note=form.note.data,
            now=clock.now(),
        )
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message)
        if "ids" in error.errors:
            flash(_("Select at least one comment."), "error")
        return _queue_page(bulk_form=form, selected=ids, status=422)
    except decisions.BulkRefused as error:
        session.rollback()
        flash(
            _(
                "Nothing was changed: comment #%(id)s does not allow it (%(why)s)",
                id=error.comment_id,
                why=state_message(error.key),
            ),
            "error",
        )
        return _queue_page(bulk_form=form, selected=ids, status=409)
    flash(
        ngettext(
            "Done for %(num)s comment: %(action)s.",
            "Done for %(num)s comments: %(action)s.",
            done,
            action=ACTION_NAMES[form.action.data],
        ),
        "success",
    )
    return redirect(_back())


# Reports


def _report_fragment(
    comment: Comment, form=None, notice=None, status: int = 200, *, resend: bool = False
):
    return make_response(
        render_template(
            "moderation/_report.html",
            comment=comment,
            report_form=form,
            report_notice=notice,
            report_resend=resend,
            resend_next=comment_url(comment),
        ),
        status,
    )


@bp.route("/synpunkter/<int:comment_id>/anmal", methods=["GET", "POST"])
@login_required
@limiter.limit(_report_limit, methods=["POST"], key_func=_per_user)
def report(comment_id: int):
    """Report a comment to the moderators (once per person); a page without JavaScript."""
    session = get_session()
    if current_user.is_blocked:
        abort(403)
    form = ReportForm(prefix=f"report-{comment_id}")
    if request.method == "GET":
        comment = call(reports.reportable, comment_id)
        return render_template("moderation/report.html", comment=comment, form=form)
    comment = reports.reported_comment(session, comment_id)
    try:
        reports.report(
            session,
            reporter=current_user,
            comment_id=comment_id,
            reason=form.reason.data,
            note=form.note.data,
            now=clock.now(),
        )
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message)
        if htmx:
            return _report_fragment(comment, form=form, status=422)
        return make_response(
            render_template("moderation/report.html", comment=comment, form=form), 422
        )
    except WrongState as error:
        session.rollback()
        resend = error.key == UNCONFIRMED
        if resend:
            message = write_refusal_message(UNCONFIRMED, counts=True)
        else:
            message = state_message(error.key)
        if htmx:
            return _report_fragment(comment, notice=message, status=409, resend=resend)
        flash(message, "unconfirmed" if resend else "error")
        return redirect(thread_url(comment.round, target_key(comment)))
    message = _("Thank you. A moderator will look at the comment.")
    g.pop("reported_ids", None)
    if htmx:
        return _report_fragment(comment, notice=message)
    flash(message, "success")
    return redirect(comment_url(comment))
