"""Pages and fragments for reading drafts and commenting on them.

Each URL serves a full page, or with htmx the fragment that page includes; forms post to
the same URL and redirect (no JavaScript) or answer with the fragment to swap (htmx).
"""

from __future__ import annotations

import json

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask import session as http_session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import BadRequest, HTTPException

from .. import clock
from ..auth import services as accounts
from ..db import get_session
from ..errors import Refusal
from ..extensions import htmx, limiter
from ..models import Comment, CommentStatus, Round
from ..people.notices import write_refusal_message
from ..people.rules import write_refusal
from ..security import safe_next
from ..templating import when
from ..web import call, page_arg, sent_form
from . import bp, changes, comments, history, receipt, results, services, versions
from .forms import CommentForm, ReplyForm, apply_errors
from .urls import target_key, thread_url


def _viewer():
    return current_user if current_user.is_authenticated else None


def _post_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


limit_writes = limiter.limit(_post_limit, methods=["POST"], key_func=_per_user)


def _max_chars() -> int:
    return current_app.config["COMMENT_MAX_CHARS"]


def _round_or_404(slug: str, number: int | None = None) -> Round:
    round_ = services.get_round(get_session(), slug, clock.now(), number)
    if round_ is None:
        abort(404)
    return round_


def _target_or_404(round_: Round, key: str) -> services.Target:
    target = services.resolve_target(get_session(), round_, key)
    if target is None:
        abort(404)
    return target


def _count_trigger(response, key: str):
    response.headers["HX-Trigger"] = json.dumps({f"comments-changed-{key}": None})
    return response


@bp.app_template_global()
def lang_attr(language: str | None = None) -> Markup:
    """A ` lang="…"` attribute for content in ``language`` (the draft's Swedish when None),
    or nothing when the page is in that language already (WCAG 3.1.2)."""
    language = language or services.CONTENT_LANGUAGE
    if language == str(get_locale()):
        return Markup("")
    return Markup(' lang="%s"') % language


@bp.app_template_global()
def earlier_versions(comment: Comment) -> list[history.Version]:
    """The texts an edited comment had before, newest first (empty when never edited)."""
    return history.earlier_versions(comment)


@bp.after_request
def _vary_on_htmx(response):
    # The same URL answers with a page or a fragment: caches must keep them apart.
    response.vary.add("HX-Request")
    return response


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where browsers look for it without being told."""
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon"
    )


@bp.get("/")
def index():
    """List the consultations with the state and dates of their current round."""
    return render_template(
        "consultations/index.html", listed=services.list_consultations(get_session(), clock.now())
    )


@bp.get("/samrad/<slug>/")
def consultation(slug: str):
    """Show the current round of a consultation."""
    return _round_page(_round_or_404(slug))


@bp.get("/samrad/<slug>/omgang/<int:number>/")
def round_page(slug: str, number: int):
    """Show one round of a consultation: its draft with a table of contents and counts."""
    return _round_page(_round_or_404(slug, number))


def _round_page(round_: Round):
    view = services.document_view(get_session(), round_)
    if view is None:
        abort(404)
    state = services.round_state(round_, clock.now())
    published = state == services.RoundState.PUBLISHED
    return render_template(
        "consultations/round.html",
        round=round_,
        consultation=round_.consultation,
        view=view,
        state=state,
        previous_round=versions.previous_round(get_session(), round_, public_at=clock.now()),
        results=results.round_results(get_session(), round_) if published else None,
    )


@bp.get("/samrad/<slug>/omgang/<int:number>/andringar")
def round_changes(slug: str, number: int):
    """Show what changed in a round's draft since the previous round, section by section."""
    round_ = _round_or_404(slug, number)
    compared = changes.compare(get_session(), round_, public_at=clock.now())
    if compared is None:
        abort(404)
    return render_template(
        "consultations/changes.html",
        round=round_,
        consultation=round_.consultation,
        changes=compared,
    )


def _render_thread(
    round_, target, *, form=None, status=200, notice=None, notice_error=False, late_text=None
):
    session = get_session()
    viewer = _viewer()
    sort = request.args.get("sort", "new")
    if sort not in services.SORTS:
        sort = "new"
    page = page_arg(last=1000)
    shown = page * current_app.config["COMMENTS_PER_PAGE"]
    items = services.thread(session, round_, target, viewer, sort, limit=shown + 1)
    replies = {c.id: services.visible_replies(c, viewer) for c in items[:shown]}
    ids = [c.id for c in items[:shown]] + [r.id for rs in replies.values() for r in rs]
    if form is None and current_user.is_authenticated:
        form = CommentForm(
            prefix=target.key, formdata=None, allow_proposal=target.paragraph is not None
        )
        if target.paragraph is not None:
            form.proposed_text.data = target.paragraph.text
    context = {
        "round": round_,
        "consultation": round_.consultation,
        "target": target,
        "comments": items[:shown],
        "total": services.target_count(session, round_, target, None),
        "more_url": thread_url(round_, target.key, sort=sort, sida=page + 1)
        if len(items) > shown
        else None,
        "replies": replies,
        "agreed": services.agreed_ids(session, viewer, ids),
        "comment_langs": services.comment_languages(session, ids),
        "state": services.round_state(round_, clock.now()),
        "sort": sort,
        "max_chars": _max_chars(),
        "form": form,
        "notice": notice,
        "notice_error": notice_error,
        "late_text": late_text,
        "is_htmx": bool(htmx),
    }
    template = "consultations/_thread.html" if htmx else "consultations/thread.html"
    return make_response(render_template(template, **context), status)


@bp.route("/samrad/<slug>/omgang/<int:number>/synpunkter/<target>", methods=["GET", "POST"])
@limit_writes
def thread(slug: str, number: int, target: str):
    """Show the comments on a paragraph, a section or the draft; post a new one."""
    round_ = _round_or_404(slug, number)
    target_ = _target_or_404(round_, target)
    if request.method == "GET":
        return _render_thread(round_, target_)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    form = CommentForm(prefix=target_.key, allow_proposal=target_.paragraph is not None)
    try:
        comment = comments.create_comment(
            get_session(),
            author=current_user,
            round_id=round_.id,
            target=target_,
            kind=form.kind.data,
            body=form.body.data,
            stance=form.stance.data,
            proposed_text=form.proposed_text.data,
            submission_key=form.submission_key.data,
            now=clock.now(),
            max_chars=_max_chars(),
        )
    except comments.RoundClosed:
        get_session().rollback()
        return _render_thread(
            round_,
            target_,
            status=409,
            notice=_closed_message(round_),
            notice_error=True,
            late_text=form.body.data,
        )
    except comments.WriteRefused as error:
        get_session().rollback()
        return _render_thread(
            round_,
            target_,
            # htmx swaps only 2xx, 409 and 422 answers (see base.html).
            status=409 if htmx else 403,
            notice=write_refusal_message(error.reason),
            notice_error=True,
            late_text=form.body.data,
        )
    except comments.Invalid as error:
        get_session().rollback()
        apply_errors(form, error, _max_chars())
        return _render_thread(round_, target_, form=form, status=422)
    notice = _created_notice(comment)
    if not htmx:
        flash(notice, "success")
        return redirect(thread_url(round_, target_.key) + f"#c-{comment.id}")
    return _count_trigger(_render_thread(round_, target_, notice=notice), target_.key)


def _created_notice(comment: Comment) -> str:
    if comment.status == CommentStatus.PENDING:
        return _("Thank you! Your comment is waiting for review before it is shown to others.")
    return _("Thank you! Your comment is published.")


def _closed_message(round_: Round) -> str:
    return _(
        "The round is closed. Comments can no longer be sent or changed (deadline %(date)s).",
        date=when(round_.closed_at or round_.closes_at),
    )


@bp.get("/samrad/<slug>/omgang/<int:number>/synpunkter/<target>/antal")
def count(slug: str, number: int, target: str):
    """Return the comment-count badge of a target (refreshed after a post)."""
    round_ = _round_or_404(slug, number)
    target_ = _target_or_404(round_, target)
    n = services.target_count(get_session(), round_, target_, None)
    return render_template("consultations/_count.html", round=round_, key=target_.key, n=n)


def _comment_or_404(comment_id: int) -> Comment:
    return call(services.visible_comment, comment_id)


def _render_comment(comment: Comment, status: int = 200, **extra):
    viewer = _viewer()
    replies = services.visible_replies(comment, viewer)
    ids = [comment.id] + [r.id for r in replies]
    context = {
        "comment": comment,
        "replies": {comment.id: replies},
        "agreed": services.agreed_ids(get_session(), viewer, ids),
        "comment_langs": services.comment_languages(get_session(), ids),
        "round": comment.round,
        "state": services.round_state(comment.round, clock.now()),
        "max_chars": _max_chars(),
        **extra,
    }
    return make_response(render_template("consultations/_comment.html", **context), status)


@bp.get("/synpunkter/<int:comment_id>")
def comment(comment_id: int):
    """Return one comment as a fragment, or redirect to it in its thread."""
    comment_ = _comment_or_404(comment_id)
    if htmx:
        return _render_comment(comment_, focus=request.args.get("fokus") == "1")
    parent = comment_.parent or comment_
    return redirect(thread_url(comment_.round, target_key(parent)) + f"#c-{comment_.id}")


def _refusal(error: Refusal, comment_: Comment | None, late_text: str | None = None):
    """Answer a refused write on ``comment_``: the comment with the reason, or an error page.

    Text that was sent (a reply, an edit) is given back, with or without htmx.
    """
    get_session().rollback()
    if not isinstance(error, comments.RoundClosed | comments.WriteRefused) or comment_ is None:
        raise error
    if isinstance(error, comments.WriteRefused):
        message = write_refusal_message(error.reason)
    else:
        message = _closed_message(comment_.round)
    if not htmx and late_text is None:
        flash(message, "error")
        return redirect(url_for("consultations.comment", comment_id=comment_.id))
    status = 409 if htmx or isinstance(error, comments.RoundClosed) else 403
    return _give_back(comment_, message, late_text, status)


def _give_back(comment_: Comment, message: str, late_text: str | None, status: int):
    """Show ``comment_`` (in its thread without htmx) with ``message`` and the unsent text."""
    top = comment_.parent or comment_
    if not htmx:
        target = services.resolve_target(get_session(), top.round, target_key(top))
        return _render_thread(
            top.round,
            target,
            status=status,
            notice=message,
            notice_error=True,
            late_text=late_text or "",
        )
    response = _render_comment(
        top, status=status, notice=message, notice_error=True, late_text=late_text
    )
    # The form that was sent may have targeted a part of the comment; replace it whole.
    response.headers["HX-Retarget"] = f"#c-{top.id}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


# The forms whose text is given back when their CSRF token is missing or stale.
TEXT_FORMS = frozenset({"consultations.thread", "consultations.reply", "consultations.edit"})


class UnreadableForm(BadRequest):
    """A form body that is not UTF-8 (its CSRF token, sent as a header, may be valid)."""


@bp.before_request
def _refuse_unreadable_text():
    """An htmx post carries its CSRF token in a header, so a body that is not UTF-8 passes the
    CSRF check with an empty form: answer it like a refused token, with the text back."""
    if request.method == "POST" and request.endpoint in TEXT_FORMS and sent_form()[1]:
        raise UnreadableForm()


@bp.errorhandler(UnreadableForm)
@bp.errorhandler(CSRFError)
def _unsent(error: BadRequest):
    """A comment, reply or edit whose CSRF token is missing or stale (an expired session, a
    logged-out tab) or whose body is not UTF-8: say so and give the text back in the form."""
    get_session().rollback()
    if request.endpoint not in TEXT_FORMS:
        return render_template("error.html", code=400), 400
    sent, unreadable = sent_form()
    if unreadable:
        notice = _(
            "Your text was not sent: it held characters that could not be read (shown as �). "
            "Check the text below and send it again."
        )
    elif not current_user.is_authenticated:
        notice = _(
            "Your text was not sent because you are no longer logged in. Copy it, log in "
            "and send it again."
        )
    else:
        notice = _(
            "Your text was not sent because the page had expired. It is back in the form: "
            "check it and send it again."
        )
    # htmx swaps only 2xx, 409 and 422 answers (see base.html).
    status = 409 if htmx else 400
    try:
        return _give_back_unsent(request.view_args or {}, sent, notice, status)
    except (HTTPException, Refusal) as missing:
        # An error handler must answer, not raise: no such comment or round is a plain 404.
        return render_template("error.html", code=missing.code), missing.code


def _give_back_unsent(args: dict, sent, notice: str, status: int):
    if request.endpoint == "consultations.thread":
        return _unsent_comment(args, sent, notice, status)
    comment_ = _comment_or_404(args["comment_id"])
    if request.endpoint == "consultations.reply":
        form = ReplyForm(formdata=sent, prefix=f"reply-{comment_.id}")
        if current_user.is_authenticated:
            template = "consultations/_reply_form.html" if htmx else "consultations/reply.html"
            return _form_answer(template, status, form, notice, parent=comment_)
    else:
        form = _edit_form(comment_, sent)
        own = current_user.is_authenticated and comment_.author_id == current_user.id
        if own:
            template = "consultations/_edit_form.html" if htmx else "consultations/edit.html"
            return _form_answer(
                template, status, form, notice, comment=comment_, is_reply=bool(comment_.parent)
            )
    return _give_back(comment_, notice, form.body.data or "", status)


def _unsent_comment(args: dict, sent, notice: str, status: int):
    round_ = _round_or_404(args["slug"], args["number"])
    target_ = _target_or_404(round_, args["target"])
    if not current_user.is_authenticated:
        late = sent.get(f"{target_.key}-body", "")
        return _render_thread(
            round_, target_, status=status, notice=notice, notice_error=True, late_text=late
        )
    form = CommentForm(
        formdata=sent, prefix=target_.key, allow_proposal=target_.paragraph is not None
    )
    return _render_thread(
        round_, target_, form=form, status=status, notice=notice, notice_error=True
    )


def _form_answer(template: str, status: int, form, notice: str, **context):
    response = make_response(
        render_template(
            template,
            form=form,
            notice=notice,
            notice_error=True,
            max_chars=_max_chars(),
            **context,
        ),
        status,
    )
    if htmx and "parent" in context:
        response.headers["HX-Retarget"] = f"#reply-form-{context['parent'].id}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _edit_form(comment_: Comment, formdata=None):
    """The edit form of ``comment_``: filled from ``formdata``, or from the comment itself."""
    prefix = f"edit-{comment_.id}"
    if comment_.parent_id is not None:
        return ReplyForm(
            formdata=formdata, prefix=prefix, obj=comment_ if formdata is None else None
        )
    form = CommentForm(
        formdata=formdata, prefix=prefix, allow_proposal=comment_.paragraph is not None
    )
    if formdata is None:
        form.kind.data = comment_.kind.value
        form.stance.data = comment_.stance.value if comment_.stance else ""
        form.body.data = comment_.body
        form.proposed_text.data = comment_.proposed_text or (
            comment_.paragraph.text if comment_.paragraph else ""
        )
    return form


@bp.route("/synpunkter/<int:comment_id>/redigera", methods=["GET", "POST"])
@login_required
@limit_writes
def edit(comment_id: int):
    """Edit one's own comment while the round is open; the earlier text is kept."""
    session = get_session()
    comment_ = comments.editable_own_comment(session, current_user, comment_id)
    if not services.is_open(comment_.round, clock.now()):
        return _refusal(comments.RoundClosed(), comment_, _sent_body(f"edit-{comment_.id}"))
    if (refused := write_refusal(current_user, comment_.round)) is not None:
        return _refusal(comments.WriteRefused(refused), comment_, _sent_body(f"edit-{comment_.id}"))
    is_reply = comment_.parent_id is not None
    form = _edit_form(comment_, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        fields = form.data
        try:
            comments.edit_comment(
                session,
                user=current_user,
                comment_id=comment_.id,
                kind=fields.get("kind"),
                body=fields["body"],
                stance=fields.get("stance"),
                proposed_text=fields.get("proposed_text"),
                now=clock.now(),
                max_chars=_max_chars(),
            )
        except comments.Invalid as error:
            session.rollback()
            apply_errors(form, error, _max_chars())
            status = 422
        except Refusal as error:
            return _refusal(error, comment_, late_text=fields["body"])
        else:
            notice = _("Your changes are saved.")
            if htmx:
                return _render_comment(comment_, notice=notice)
            flash(notice, "success")
            return redirect(url_for("consultations.comment", comment_id=comment_.id))
    template = "consultations/_edit_form.html" if htmx else "consultations/edit.html"
    return make_response(
        render_template(
            template, comment=comment_, form=form, is_reply=is_reply, max_chars=_max_chars()
        ),
        status,
    )


def _sent_body(prefix: str) -> str | None:
    """The text a refused POST carried (to give back), or None for a GET."""
    return request.form.get(f"{prefix}-body", "") if request.method == "POST" else None


@bp.get("/synpunkter/<int:comment_id>/versioner")
def comment_versions(comment_id: int):
    """Every version of a comment with its time: for staff any comment, for others one they
    can see."""
    comment_ = call(history.comment_history, comment_id)
    top = comment_.parent or comment_
    return render_template(
        "consultations/versions.html",
        comment=comment_,
        round=comment_.round,
        consultation=comment_.round.consultation,
        versions=history.versions(comment_),
        thread_url=thread_url(comment_.round, target_key(top)) + f"#c-{comment_.id}",
        comment_langs=services.comment_languages(get_session(), [comment_.id]),
    )


@bp.post("/synpunkter/<int:comment_id>/dra-tillbaka")
@login_required
@limit_writes
def withdraw(comment_id: int):
    """Withdraw one's own comment; it stays stored but is no longer shown."""
    session = get_session()
    try:
        comment_ = comments.withdraw_comment(
            session, user=current_user, comment_id=comment_id, now=clock.now()
        )
    except Refusal as error:
        return _refusal(error, session.get(Comment, comment_id))
    message = _("Your comment is withdrawn. It is no longer shown to others.")
    key = target_key(comment_.parent or comment_)
    if htmx:
        response = make_response(
            render_template("consultations/_withdrawn.html", comment=comment_, message=message)
        )
        return _count_trigger(response, key)
    flash(message, "success")
    return redirect(thread_url(comment_.round, key))


@bp.route("/synpunkter/<int:comment_id>/svara", methods=["GET", "POST"])
@login_required
@limit_writes
def reply(comment_id: int):
    """Reply to a published comment (one level of replies)."""
    parent = _comment_or_404(comment_id)
    form = ReplyForm(prefix=f"reply-{parent.id}")
    status = 200
    if request.method == "POST":
        try:
            reply_ = comments.create_reply(
                get_session(),
                author=current_user,
                parent_id=parent.id,
                body=form.body.data,
                submission_key=form.submission_key.data,
                now=clock.now(),
                max_chars=_max_chars(),
            )
        except comments.Invalid as error:
            get_session().rollback()
            apply_errors(form, error, _max_chars())
            status = 422
        except Refusal as error:
            return _refusal(error, parent, late_text=form.body.data)
        else:
            top = reply_.parent
            notice = _created_notice(reply_)
            if htmx:
                return _render_comment(top, notice=notice)
            flash(notice, "success")
            return redirect(thread_url(top.round, target_key(top)) + f"#c-{reply_.id}")
    elif not services.is_open(parent.round, clock.now()):
        return _refusal(comments.RoundClosed(), parent)
    elif (refused := write_refusal(current_user, parent.round)) is not None:
        return _refusal(comments.WriteRefused(refused), parent)
    template = "consultations/_reply_form.html" if htmx else "consultations/reply.html"
    response = make_response(
        render_template(template, parent=parent, form=form, max_chars=_max_chars()), status
    )
    if htmx and status == 422:
        # The form normally replaces the whole comment; a refused reply replaces only itself.
        response.headers["HX-Retarget"] = f"#reply-form-{parent.id}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/synpunkter/<int:comment_id>/instam")
@login_required
@limit_writes
def agree(comment_id: int):
    """Toggle the user's agreement with a comment."""
    session = get_session()
    try:
        agreed = comments.toggle_agreement(
            session, user=current_user, comment_id=comment_id, now=clock.now()
        )
    except Refusal as error:
        return _refusal(error, session.get(Comment, comment_id))
    comment_ = session.get(Comment, comment_id)
    if htmx:
        return render_template(
            "consultations/_agree.html",
            comment=comment_,
            agreed={comment_.id} if agreed else set(),
            state=services.round_state(comment_.round, clock.now()),
        )
    return redirect(url_for("consultations.comment", comment_id=comment_id))


@bp.get("/mina-synpunkter")
@login_required
def mine():
    """List everything the user has written, with its status."""
    return render_template(
        "consultations/mine.html", items=services.my_comments(get_session(), current_user)
    )


@bp.get("/mina-synpunkter/kvitto.txt")
@login_required
def receipt_download():
    """Download a plain-text receipt of everything the user has submitted."""
    written = services.my_comments(get_session(), current_user)
    response = make_response(receipt.render(current_user, written, clock.now()))
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="kvitto-synpunkter.txt"'
    return response


@bp.post("/sprak")
def language():
    """Remember the chosen interface language (and store it on the account)."""
    chosen = request.form.get("lang", "")
    if chosen in current_app.config["LANGUAGES"]:
        http_session["lang"] = chosen
        if current_user.is_authenticated:
            accounts.set_locale(get_session(), current_user, chosen)
    return redirect(safe_next(request.form.get("next"), url_for("consultations.index")))
