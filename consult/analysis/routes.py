"""Analysis pages for staff: start a job and watch it, the theme board, a theme's comments.

Only staff and administrators get here: the blueprint sends anonymous visitors to the login
page and refuses everyone else, and every service checks the acting user again. Starting a
job is a form post that redirects; sent by htmx it answers with the progress fragment, which
polls every two seconds until the job has finished.
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
from flask_babel import format_decimal
from flask_babel import gettext as _

from .. import clock, labels
from ..db import get_session
from ..errors import WrongState
from ..extensions import htmx
from ..models import AnalysisStatus, Category, Comment, CommentKind, Stance
from ..security import staff_only, vary_on_htmx
from . import (
    board,
    bp,
    corrections,
    drill,
    proposals,
    queue,
    services,
    themes,
)
from .board import NO_STANCE
from .calls import call
from .charts import share_bars
from .forms import ThemeForm, apply_errors
from .labels import ENGINE_STANCE_TEXTS, ERROR_TEXTS, REFUSAL_TEXTS, STEP_TEXTS

staff_only(bp)


vary_on_htmx(bp)


def _texts() -> dict:
    return {
        "steps": STEP_TEXTS,
        "errors": ERROR_TEXTS,
        "engine_stances": ENGINE_STANCE_TEXTS,
        "categories": labels.CATEGORY_LABELS,
        "kinds": labels.KIND_LABELS,
        "stances": labels.STANCE_LABELS,
        "active": (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING),
    }


@bp.get("/")
def index():
    """List the consultations and their rounds, each with a link to its theme board."""
    return render_template("analysis/index.html", consultations=call(services.rounds))


@bp.get("/omgang/<int:round_id>/")
def round_page(round_id: int):
    """Show a round's analysis: the job controls and progress, then the theme board."""
    round_ = call(services.get_round, round_id)
    job = call(services.job_status, round_id, now=clock.now(), **_limits())
    result = call(board.build, round_id)
    return render_template(
        "analysis/round.html",
        round=round_,
        consultation=round_.consultation,
        board=result,
        job=job,
        category_chart=_category_chart,
        score=_score,
        **_texts(),
    )


def _score(value: float) -> str:
    """Return an F1 score with two decimals in the page's locale (0,82 in Swedish)."""
    return format_decimal(value, format="0.00")


def _category_chart(card: board.ThemeCard):
    rows = [(str(labels.CATEGORY_LABELS[c]), n) for c, n in card.categories]
    return share_bars(rows, title=card.theme.name)


@bp.post("/omgang/<int:round_id>/starta")
def start(round_id: int):
    """Queue an analysis of the round and hand it to the worker."""
    refusal = None
    try:
        job = call(services.start, round_id, now=clock.now(), **_limits())
    except services.WrongState as error:
        get_session().rollback()
        refusal, job = REFUSAL_TEXTS[error.key], error.job
    else:
        queue.dispatch(current_app._get_current_object(), job.id)
    if htmx:
        return _progress(round_id, job, refusal, status=409 if refusal else 200, started=True)
    if refusal:
        flash(str(refusal), "error")
    else:
        flash(str(STEP_TEXTS["queued"]), "success")
    return redirect(url_for("analysis.round_page", round_id=round_id) + "#analysis-h")


@bp.get("/omgang/<int:round_id>/status")
def status(round_id: int):
    """Answer htmx polling with the progress fragment; others go to the round's page."""
    job = call(services.job_status, round_id, now=clock.now(), **_limits())
    if not htmx:
        return redirect(url_for("analysis.round_page", round_id=round_id))
    return _progress(round_id, job, polled=True)


def _limits() -> dict:
    return services.limits(current_app.config)


@bp.route("/omgang/<int:round_id>/avbryt", methods=["GET", "POST"])
def cancel(round_id: int):
    """Stop the round's queued or running job: a confirmation page (or, for htmx, the
    question in place of the progress bar), then the stop itself on a post."""
    if request.method == "GET" or request.form.get("confirmed") != "yes":
        job = call(services.job_status, round_id, now=clock.now(), **_limits())
        template = "analysis/_cancel.html" if htmx else "analysis/cancel.html"
        round_ = call(services.get_round, round_id)
        return render_template(
            template, round=round_, consultation=round_.consultation, job=job, **_texts()
        )
    refusal = None
    try:
        job = call(services.cancel, round_id, now=clock.now())
    except WrongState as error:
        get_session().rollback()
        refusal, job = REFUSAL_TEXTS[error.key], error.context.get("job")
    else:
        queue.stop(current_app._get_current_object(), job.id)
    if htmx:
        return _progress(round_id, job, refusal, status=409 if refusal else 200, started=True)
    if refusal:
        flash(str(refusal), "error")
    else:
        flash(_("The analysis is stopped. You can start it again."), "success")
    return redirect(url_for("analysis.round_page", round_id=round_id) + "#analysis-h")


def _progress(
    round_id: int, job, refusal=None, status: int = 200, polled: bool = False, started=False
):
    session = get_session()
    return make_response(
        render_template(
            "analysis/_progress.html",
            round_id=round_id,
            job=job,
            refusal=refusal,
            polled=polled,
            started=started,
            total=services.comment_count(session, round_id),
            analysed=services.latest_result(session, round_id) is not None,
            **_texts(),
        ),
        status,
    )


@bp.get("/omgang/<int:round_id>/tema/<theme_key>")
def theme(round_id: int, theme_key: str):
    """List a theme's comments (or the unassigned ones), filtered and paginated.

    A theme staff merged, split or deleted says what became of it instead.
    """
    if theme_key.isdigit():
        gone = call(themes.retired_theme, round_id, int(theme_key))
        if gone is not None:
            round_ = call(services.get_round, round_id)
            return render_template(
                "analysis/retired.html",
                round=round_,
                consultation=round_.consultation,
                theme=gone,
                successor=themes.successor(get_session(), gone),
                parts=themes.parts_of(get_session(), gone),
            )
    return _theme_page(round_id, theme_key)


def _theme_page(round_id: int, theme_key: str, form: ThemeForm | None = None, **extra):
    round_ = call(services.get_round, round_id)
    filters = drill.Filters.from_args(request.args)
    page = request.args.get("sida", "1")
    result = call(
        drill.comments,
        round_id,
        theme_key,
        filters,
        page=int(page) if page.isdigit() else 1,
        per_page=current_app.config["ANALYSIS_COMMENTS_PER_PAGE"],
    )
    if form is None and result.theme is not None:
        form = ThemeForm(formdata=None, obj=result.theme)
    if result.theme is not None:
        extra["proposals"], extra["proposal_total"] = proposals.pending(
            get_session(), result.theme.id
        )
    invalid = (form and form.errors) or extra.get("operation_error")
    status = 409 if extra.get("conflict") else 422 if invalid else 200
    return make_response(
        render_template(
            "analysis/theme.html",
            round=round_,
            consultation=round_.consultation,
            result=result,
            theme_key=theme_key,
            form=form,
            themes=drill.themes_of_round(get_session(), round_id),
            chapter_options=[(c.id, f"{c.number} {c.heading}") for c in result.chapters],
            category_options=[(c.value, labels.CATEGORY_LABELS[c]) for c in Category],
            stance_options=[
                *((s.value, labels.STANCE_LABELS[s]) for s in Stance),
                (NO_STANCE, _("Not given")),
            ],
            kind_options=[(k.value, labels.KIND_LABELS[k]) for k in CommentKind],
            campaign_options=[("yes", _("In a campaign")), ("no", _("Not in a campaign"))],
            **extra,
            **_texts(),
        ),
        status,
    )


@bp.post("/omgang/<int:round_id>/tema/<int:theme_id>/redigera")
def edit_theme(round_id: int, theme_id: int):
    """Rename and describe a theme, refusing if someone else saved it since the form loaded."""
    form = ThemeForm()
    version = form.version.data or ""
    try:
        call(
            corrections.edit_theme,
            round_id,
            theme_id,
            name=form.name.data or "",
            description=form.description.data or "",
            version=int(version) if version.isdigit() else -1,
            now=clock.now(),
        )
    except corrections.Invalid as error:
        get_session().rollback()
        apply_errors(form, error.errors)
        return _theme_page(round_id, str(theme_id), form)
    except corrections.Conflict as error:
        # Keep what this person wrote in the form, now based on the saved version, and
        # show what the other person saved: nothing is lost and nothing overwritten.
        form.version.data = str(error.theme.version)
        return _theme_page(round_id, str(theme_id), form, conflict=error.theme)
    flash(_("The theme is saved."), "success")
    return redirect(url_for("analysis.theme", round_id=round_id, theme_key=theme_id))


def _comment_id_action(round_id: int, comment_id: int, theme_key: str, notice: str):
    """Answer a tag action: the comment's row for htmx, else back to the list it came from."""
    if not htmx:
        flash(notice, "success")
        return redirect(
            url_for("analysis.theme", round_id=round_id, theme_key=theme_key) + f"#ac-{comment_id}"
        )
    session = get_session()
    round_ = call(services.get_round, round_id)
    theme = None
    if theme_key != drill.UNASSIGNED:
        # The theme may have been replaced meanwhile (a new run retired it): not found.
        theme = call(lambda s, _user: corrections.current_theme(s, round_id, int(theme_key)))
    comment = session.get(Comment, comment_id)
    return render_template(
        "analysis/_comment.html",
        item=drill.item(session, round_, theme, comment),
        round=round_,
        result=drill.Page(theme, drill.Filters(), [], 0, 1, 1),
        themes=drill.themes_of_round(session, round_id),
        notice=notice,
        done=True,
        **_texts(),
    )


def _form_int(name: str) -> int:
    value = request.form.get(name, "")
    if not value.isdigit():
        abort(400)
    return int(value)


@bp.post("/omgang/<int:round_id>/synpunkt/<int:comment_id>/flytta")
def move_tag(round_id: int, comment_id: int):
    """Move a comment from one theme to another."""
    from_theme, to_theme = _form_int("from_theme"), _form_int("to_theme")
    tag = call(
        corrections.move_tag,
        round_id,
        comment_id,
        from_theme_id=from_theme,
        to_theme_id=to_theme,
        now=clock.now(),
    )
    notice = _("Moved to the theme “%(name)s”.", name=tag.theme.name)
    return _comment_id_action(round_id, comment_id, str(from_theme), notice)


@bp.post("/omgang/<int:round_id>/synpunkt/<int:comment_id>/bekrafta")
def confirm_tag(round_id: int, comment_id: int):
    """Confirm the engine's tag of a comment."""
    theme_id = _form_int("theme")
    call(corrections.confirm_tag, round_id, comment_id, theme_id, now=clock.now())
    return _comment_id_action(round_id, comment_id, str(theme_id), _("The theme is confirmed."))


@bp.post("/omgang/<int:round_id>/synpunkt/<int:comment_id>/tagga")
def add_tag(round_id: int, comment_id: int):
    """Give a comment without a theme a theme by hand."""
    theme_id = _form_int("theme")
    tag = call(corrections.add_tag, round_id, comment_id, theme_id, now=clock.now())
    notice = _("Added to the theme “%(name)s”.", name=tag.theme.name)
    return _comment_id_action(round_id, comment_id, drill.UNASSIGNED, notice)


# The operations on whole themes and on many comments have their own module.
from . import theme_routes  # noqa: E402,F401
