"""Administration pages: consultations, rounds and their drafts, round actions, the audit log.

Only administrators get here: the blueprint sends anonymous visitors to the login page and
refuses everyone else, and every service checks the acting user again. Forms post and
redirect; a round action sent by htmx from a row of the overview answers with that row.
"""

from __future__ import annotations

from datetime import datetime

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import audit, clock
from ..analysis import labels as analysis_labels
from ..consultations import services as reading
from ..consultations import versions
from ..consultations.diff import word_diff
from ..db import get_session
from ..extensions import htmx
from ..models import Round
from ..moderation import labels as moderation_labels
from ..people import labels as people_labels
from ..security import safe_next, vary_on_htmx
from ..synthesis import labels as synthesis_labels
from ..templating import when
from . import bp, services
from .forms import (
    COMMENTERS_LABELS,
    MODERATION_LABELS,
    ActionForm,
    ConsultationForm,
    DeadlineForm,
    DraftForm,
    NewRoundForm,
    RoundForm,
    apply_errors,
    error_message,
    state_message,
    to_local,
)

UPLOAD_ENDPOINTS = frozenset({"admin.new_round", "admin.replace_draft"})
# Room for the other fields of an upload form besides the file itself.
FORM_OVERHEAD_BYTES = 1024 * 1024
LOG_PER_PAGE = 50

ACTION_LABELS = {
    "consultation.create": _l("Consultation created"),
    "consultation.edit": _l("Consultation changed"),
    "round.create": _l("Round created"),
    "round.edit": _l("Round settings changed"),
    "round.replace_draft": _l("Draft replaced"),
    "round.open": _l("Round opened now"),
    "round.close": _l("Round closed now"),
    "round.extend": _l("Deadline extended"),
    "round.reopen": _l("Round reopened"),
    "round.publish": _l("Results published"),
    "draft.edit_paragraph": _l("Paragraph of the draft changed"),
    "draft.move_paragraph": _l("Paragraph of the draft moved"),
    "draft.delete_paragraph": _l("Paragraph of the draft deleted"),
    "draft.edit_heading": _l("Heading of the draft changed"),
}
FIELD_LABELS = {
    "title": _l("Title"),
    "slug": _l("Web address"),
    "summary": _l("Summary"),
    "contact_name": _l("Contact person"),
    "contact_email": _l("Contact person's e-mail address"),
    "number": _l("Number"),
    "opens_at": _l("Opens"),
    "closes_at": _l("Closes"),
    "closed_at": _l("Closed early"),
    "results_published_at": _l("Results published"),
    "moderation": _l("Moderation"),
    "commenters": _l("Who may comment"),
    "draft": _l("File"),
    "sections": _l("Sections"),
    "paragraphs": _l("Paragraphs"),
    "report_threshold": _l("Reports before a comment is hidden"),
    "paragraph": _l("Paragraph"),
    "section": _l("Section"),
    "text": _l("Text"),
    "heading": _l("Heading"),
}
# Fields that say which part of the draft an entry is about: shown even when unchanged.
CONTEXT_FIELDS = frozenset({"paragraph", "section"})
OBJECT_LABELS = {"consultation": _l("Consultation"), "round": _l("Round")}
# The log also holds what the other areas record; each names its own entries.
ALL_ACTION_LABELS = (
    ACTION_LABELS
    | people_labels.ACTION_LABELS
    | moderation_labels.AUDIT_ACTION_LABELS
    | analysis_labels.AUDIT_ACTION_LABELS
    | synthesis_labels.AUDIT_ACTION_LABELS
)
ALL_FIELD_LABELS = (
    FIELD_LABELS
    | people_labels.FIELD_LABELS
    | moderation_labels.AUDIT_FIELD_LABELS
    | analysis_labels.AUDIT_FIELD_LABELS
    | synthesis_labels.AUDIT_FIELD_LABELS
)
ALL_OBJECT_LABELS = (
    OBJECT_LABELS
    | people_labels.OBJECT_LABELS
    | moderation_labels.AUDIT_OBJECT_LABELS
    | analysis_labels.AUDIT_OBJECT_LABELS
    | synthesis_labels.AUDIT_OBJECT_LABELS
)


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values):
    # Runs before CSRFProtect reads the form: an administrator's draft upload may be larger
    # than the site-wide request limit. The service refuses a file over MAX_DRAFT_BYTES with
    # a message next to the field; a far larger request is refused unread (see _too_large).
    if endpoint in UPLOAD_ENDPOINTS and current_user.is_authenticated and current_user.is_admin:
        request.max_content_length = services.MAX_DRAFT_BYTES + FORM_OVERHEAD_BYTES


@bp.before_request
def _administrators_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None


@bp.errorhandler(413)
def _too_large(_error):
    get_session().rollback()
    if request.endpoint not in UPLOAD_ENDPOINTS or not current_user.is_authenticated:
        return render_template("error.html", code=413), 413
    if not current_user.is_admin:
        return render_template("error.html", code=413), 413
    flash(error_message("draft", "too_large") + " " + _("Nothing was saved."), "error")
    return redirect(request.path)


vary_on_htmx(bp)


def _refuse(error: services.AdminError):
    get_session().rollback()
    abort(error.code)


def _require_admin() -> None:
    try:
        services.require_admin(current_user)
    except services.AdminError as error:
        _refuse(error)


def _read(function, *args, **kwargs):
    """Call a reading service as the current user; answer 403/404 for its refusals."""
    try:
        return function(get_session(), current_user, *args, **kwargs)
    except services.AdminError as error:
        _refuse(error)


def _form_page(template: str, form, **context):
    status = 422 if form.errors else 200
    return make_response(render_template(template, form=form, **context), status)


def _draft_file(field) -> services.DraftFile | None:
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return services.DraftFile(upload.filename, upload.stream)


@bp.get("/")
def index():
    """List the consultations with their rounds, states and the actions each round allows."""
    return render_template("admin/index.html", consultations=_read(services.overview))


# Consultations


def _consultation_fields(form: ConsultationForm) -> dict:
    return {
        "title": form.title.data,
        "slug": form.slug.data,
        "summary": form.summary.data,
        "contact_name": form.contact_name.data,
        "contact_email": form.contact_email.data,
    }


@bp.route("/samrad/ny", methods=["GET", "POST"])
def new_consultation():
    """Create a consultation."""
    _require_admin()
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = services.create_consultation(
                get_session(), current_user, **_consultation_fields(form), now=clock.now()
            )
        except services.Invalid as error:
            get_session().rollback()
            apply_errors(form, error)
        except services.AdminError as error:
            _refuse(error)
        else:
            flash(
                _("The consultation is created. Now add its first round with the draft."),
                "success",
            )
            return redirect(url_for("admin.new_round", consultation_id=consultation.id))
    return _form_page("admin/consultation_form.html", form, consultation=None)


@bp.route("/samrad/<int:consultation_id>/redigera", methods=["GET", "POST"])
def edit_consultation(consultation_id: int):
    """Change a consultation's title, web address, summary and contact person."""
    consultation = _read(services.get_consultation, consultation_id)
    form = ConsultationForm(obj=None if request.method == "POST" else consultation)
    if form.validate_on_submit():
        try:
            services.edit_consultation(
                get_session(),
                current_user,
                consultation.id,
                **_consultation_fields(form),
                now=clock.now(),
            )
        except services.Invalid as error:
            get_session().rollback()
            apply_errors(form, error)
        except services.AdminError as error:
            _refuse(error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("admin.index"))
    return _form_page("admin/consultation_form.html", form, consultation=consultation)


# Rounds


@bp.route("/samrad/<int:consultation_id>/ny-omgang", methods=["GET", "POST"])
def new_round(consultation_id: int):
    """Add a round to a consultation, with its draft from a .docx or .md file."""
    consultation = _read(services.get_consultation, consultation_id)
    form = NewRoundForm()
    previous = consultation.rounds[-1] if consultation.rounds else None
    if request.method == "GET":
        form.title.data = _("Consultation round %(n)s", n=len(consultation.rounds) + 1)
        if previous is not None:
            # The previous round's rules are the likeliest choice; its dates have passed.
            form.moderation.data = previous.moderation.value
            form.commenters.data = previous.commenters.value
            form.report_threshold.data = previous.report_threshold
    if form.validate_on_submit():
        try:
            round_ = services.create_round(
                get_session(),
                current_user,
                consultation.id,
                title=form.title.data,
                opens_at=form.opens_at.utc,
                closes_at=form.closes_at.utc,
                moderation=form.moderation.data,
                commenters=form.commenters.data,
                report_threshold=form.report_threshold.data,
                draft=_draft_file(form.draft),
                now=clock.now(),
            )
        except services.Invalid as error:
            get_session().rollback()
            apply_errors(form, error)
        except services.AdminError as error:
            _refuse(error)
        else:
            flash(
                _("The round is created. Check the preview before it opens."),
                "success",
            )
            return redirect(url_for("admin.round_page", round_id=round_.id))
    return _form_page(
        "admin/round_form.html",
        form,
        consultation=consultation,
        round=None,
        locked=False,
        previous=previous,
    )


def _state(round_: Round) -> reading.RoundState:
    return reading.round_state(round_, clock.now())


def _action_forms(failed: tuple[str, ActionForm] | None = None) -> dict[str, ActionForm]:
    forms = {
        "open": DeadlineForm(prefix="open", formdata=None),
        "close": ActionForm(prefix="close", formdata=None),
        "extend": DeadlineForm(prefix="extend", formdata=None),
        "reopen": DeadlineForm(prefix="reopen", formdata=None),
        "publish": ActionForm(prefix="publish", formdata=None),
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return forms


@bp.get("/omgang/<int:round_id>/")
def round_page(round_id: int):
    """Show a round: its settings, its draft, the actions its state allows, and its history."""
    return _round_page(_read(services.get_round, round_id))


def _round_page(round_: Round, failed=None, status: int = 200):
    entries = _read(services.history, round_)
    return make_response(
        render_template(
            "admin/round.html",
            round=round_,
            consultation=round_.consultation,
            state=_state(round_),
            stats=_read(services.draft_stats, round_),
            forms=_action_forms(failed),
            entries=entries,
            changes=_changes(entries),
            admin_labels=_labels(),
            editable=_state(round_) in services.EDITABLE_STATES,
            previous_round=versions.previous_round(get_session(), round_),
        ),
        status,
    )


@bp.route("/omgang/<int:round_id>/redigera", methods=["GET", "POST"])
def edit_round(round_id: int):
    """Change a round's settings; dates and rules only until it opens."""
    round_ = _read(services.get_round, round_id)
    locked = _state(round_) not in services.EDITABLE_STATES
    if request.method == "POST":
        form = RoundForm()
    else:
        form = RoundForm(
            data={
                "title": round_.title,
                "opens_at": to_local(round_.opens_at),
                "closes_at": to_local(round_.closes_at),
                "moderation": round_.moderation.value,
                "commenters": round_.commenters.value,
                "report_threshold": round_.report_threshold,
            }
        )
    if form.validate_on_submit():
        try:
            services.edit_round(
                get_session(),
                current_user,
                round_.id,
                title=form.title.data,
                opens_at=round_.opens_at if locked else form.opens_at.utc,
                closes_at=round_.closes_at if locked else form.closes_at.utc,
                moderation=round_.moderation.value if locked else form.moderation.data,
                commenters=round_.commenters.value if locked else form.commenters.data,
                report_threshold=form.report_threshold.data,
                now=clock.now(),
            )
        except services.Invalid as error:
            get_session().rollback()
            apply_errors(form, error)
        except services.AdminError as error:
            _refuse(error)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("admin.round_page", round_id=round_.id))
    return _form_page(
        "admin/round_form.html",
        form,
        consultation=round_.consultation,
        round=round_,
        locked=locked,
        admin_labels=_labels(),
    )


@bp.route("/omgang/<int:round_id>/utkast", methods=["GET", "POST"])
def replace_draft(round_id: int):
    """Replace the draft of a round that has not opened yet."""
    round_ = _read(services.get_round, round_id)
    form = DraftForm()
    if form.validate_on_submit():
        try:
            services.replace_draft(
                get_session(),
                current_user,
                round_.id,
                draft=_draft_file(form.draft),
                now=clock.now(),
            )
        except services.Invalid as error:
            get_session().rollback()
            apply_errors(form, error)
        except services.WrongState as error:
            get_session().rollback()
            flash(state_message(error.key), "error")
            return redirect(url_for("admin.round_page", round_id=round_.id))
        except services.AdminError as error:
            _refuse(error)
        else:
            flash(_("The draft is replaced. Check the preview."), "success")
            return redirect(url_for("admin.round_page", round_id=round_.id))
    elif request.method == "GET" and _state(round_) not in services.EDITABLE_STATES:
        flash(state_message("started"), "error")
        return redirect(url_for("admin.round_page", round_id=round_.id))
    return _form_page("admin/draft_form.html", form, round=round_, consultation=round_.consultation)


@bp.get("/omgang/<int:round_id>/forhandsvisning")
def preview(round_id: int):
    """Show the round's draft exactly as participants see it (the participants' page)."""
    round_ = _read(services.get_round, round_id)
    view = reading.document_view(get_session(), round_)
    if view is None:
        abort(404)
    flash(
        _(
            "Preview of round %(n)s as participants see it. Return to the administration "
            "through the menu.",
            n=round_.number,
        ),
        "info",
    )
    return render_template(
        "consultations/round.html",
        round=round_,
        consultation=round_.consultation,
        view=view,
        state=_state(round_),
        previous_round=versions.previous_round(get_session(), round_),
    )


# Round actions


def _row(round_: Round, *, notice=None, error=None, failed=None, status: int = 200):
    return make_response(
        render_template(
            "admin/_round_row.html", round=round_, notice=notice, error=error, failed=failed
        ),
        status,
    )


def _back(round_: Round) -> str:
    return safe_next(request.form.get("next"), url_for("admin.round_page", round_id=round_.id))


def _round_action(round_id: int, name: str, call, notice, form_class=ActionForm):
    """Run one round action from its form; answer with the row (htmx) or a redirect."""
    round_ = _read(services.get_round, round_id)
    form = form_class(prefix=name)
    session = get_session()
    try:
        if not form.validate():
            raise services.Invalid({})
        call(session, form)
    except services.Invalid as error:
        session.rollback()
        apply_errors(form, error)
        if htmx:
            return _row(round_, failed=(name, form), status=422)
        return _round_page(round_, failed=(name, form), status=422)
    except services.WrongState as error:
        session.rollback()
        session.refresh(round_)
        if htmx:
            return _row(round_, error=state_message(error.key), status=409)
        flash(state_message(error.key), "error")
        return redirect(_back(round_))
    except services.AdminError as error:
        _refuse(error)
    message = notice(round_)
    if htmx:
        return _row(round_, notice=message)
    flash(message, "success")
    return redirect(_back(round_))


@bp.post("/omgang/<int:round_id>/oppna")
def open_round(round_id: int):
    """Open a round now."""
    return _round_action(
        round_id,
        "open",
        lambda session, form: services.open_now(
            session,
            current_user,
            round_id,
            now=clock.now(),
            closes_at=form.closes_at.utc,
            reason=form.reason.data,
        ),
        lambda r: _(
            "Round %(n)s is open for comments until %(date)s.", n=r.number, date=when(r.closes_at)
        ),
        DeadlineForm,
    )


@bp.post("/omgang/<int:round_id>/stang")
def close_round(round_id: int):
    """Close a round now, before its deadline."""
    return _round_action(
        round_id,
        "close",
        lambda session, form: services.close_now(
            session, current_user, round_id, now=clock.now(), reason=form.reason.data
        ),
        lambda r: _("Round %(n)s is closed. Comments can no longer be sent.", n=r.number),
    )


@bp.post("/omgang/<int:round_id>/forlang")
def extend_round(round_id: int):
    """Move a round's deadline later."""
    return _round_action(
        round_id,
        "extend",
        lambda session, form: services.extend(
            session,
            current_user,
            round_id,
            closes_at=form.closes_at.utc,
            now=clock.now(),
            reason=form.reason.data,
        ),
        lambda r: _("Round %(n)s now closes on %(date)s.", n=r.number, date=when(r.closes_at)),
        DeadlineForm,
    )


@bp.post("/omgang/<int:round_id>/ateroppna")
def reopen_round(round_id: int):
    """Open a closed round again."""
    return _round_action(
        round_id,
        "reopen",
        lambda session, form: services.reopen(
            session,
            current_user,
            round_id,
            now=clock.now(),
            closes_at=form.closes_at.utc,
            reason=form.reason.data,
        ),
        lambda r: _(
            "Round %(n)s is open again until %(date)s.", n=r.number, date=when(r.closes_at)
        ),
        DeadlineForm,
    )


@bp.post("/omgang/<int:round_id>/publicera")
def publish_results(round_id: int):
    """Publish the results of a closed round."""
    return _round_action(
        round_id,
        "publish",
        lambda session, form: services.publish_results(
            session, current_user, round_id, now=clock.now(), reason=form.reason.data
        ),
        lambda r: _("The results of round %(n)s are published.", n=r.number),
    )


# The audit log


def _labels() -> dict:
    return {
        "actions": ALL_ACTION_LABELS,
        "fields": ALL_FIELD_LABELS,
        "objects": ALL_OBJECT_LABELS,
        "moderation": MODERATION_LABELS,
        "commenters": COMMENTERS_LABELS,
    }


def _shown(field: str, value) -> str:
    """Return a logged value as a reader sees it: dates in Stockholm time, choices named."""
    if value is None or value == "":
        return "–"
    if field.endswith("_at") and isinstance(value, str):
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if field == "moderation":
        return str(MODERATION_LABELS.get(value, value))
    if field == "commenters":
        return str(COMMENTERS_LABELS.get(value, value))
    return str(value)


def _changes(entries) -> dict[int, list[tuple[str, str, str]]]:
    """Return each entry's changed fields as (label, before, after), as a reader sees them."""
    shown = {}
    for entry in entries:
        rows = []
        for change in audit.changes(entry):
            before, after = _shown(change.field, change.before), _shown(change.field, change.after)
            if change.field == "text" and change.before and change.after:
                # A paragraph's new text reads best as a word diff against the old one.
                before = after = word_diff(
                    change.before, change.after, removed_cue=_("Removed:"), added_cue=_("Added:")
                )
            if before != after or change.field in CONTEXT_FIELDS or change.field == "text":
                rows.append((str(ALL_FIELD_LABELS.get(change.field, change.field)), before, after))
        shown[entry.id] = rows
    return shown


def _page_arg() -> int:
    raw = request.args.get("sida", "1")
    return min(int(raw), 100_000) if raw.isascii() and raw.isdigit() and raw != "0" else 1


@bp.get("/logg")
def audit_log():
    """List the audit log, newest first, filtered by action and by who did it."""
    action = request.args.get("atgard", "").strip() or None
    raw_actor = request.args.get("av", "")
    actor_id = int(raw_actor) if raw_actor.isascii() and raw_actor.isdigit() else None
    log = _read(
        services.audit_log,
        action=action,
        actor_id=actor_id,
        page=_page_arg(),
        per_page=LOG_PER_PAGE,
    )
    actions, actors = _read(services.audit_filters)
    filters = {k: v for k, v in {"atgard": action, "av": actor_id}.items() if v}
    return render_template(
        "admin/log.html",
        log=log,
        changes=_changes(log.entries),
        objects=_read(services.object_titles, log.entries),
        actions=actions,
        actors=actors,
        action=action,
        actor_id=actor_id,
        filters=filters,
        admin_labels=_labels(),
    )
