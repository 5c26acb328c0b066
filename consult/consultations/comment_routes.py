"""One comment's own actions: edit, reply, withdraw, agree and its versions; and the answers
to refused writes, which always give the sent text back (a closed round, a blocked writer, a
missing or stale CSRF token, a body that is not UTF-8)."""

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
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException

from .. import clock
from ..db import get_session, writes_briefly, writing
from ..errors import Invalid, Refusal
from ..extensions import htmx
from ..models import Comment
from ..people.notices import write_refusal_message
from ..people.rules import UNCONFIRMED, write_refusal
from ..web import call, sent_form, show_refusal
from . import bp, comments, history, services
from .forms import CommentForm, ReplyForm, refusal_message
from .pages import (
    closed_message,
    comment_or_404,
    count_trigger,
    created_notice,
    limit_writes,
    max_chars,
    render_comment,
    render_thread,
    round_or_404,
    target_or_404,
)
from .urls import target_key, thread_url


def _refusal(error: Refusal, comment_: Comment | None, late_text: str | None = None):
    """Answer a refused write on ``comment_``: the comment with the reason, or an error page.

    Text that was sent (a reply, an edit) is given back, with or without htmx.
    """
    get_session().rollback()
    if not isinstance(error, comments.RoundClosed | comments.WriteRefused) or comment_ is None:
        raise error
    resend = False
    if isinstance(error, comments.WriteRefused):
        message = write_refusal_message(error.reason, counts=error.counts)
        resend = error.reason == UNCONFIRMED
    else:
        message = closed_message(comment_.round)
    if not htmx and late_text is None:
        flash(message, "unconfirmed" if resend else "error")
        return redirect(url_for("consultations.comment", comment_id=comment_.id))
    status = 409 if htmx or isinstance(error, comments.RoundClosed) else 403
    return _give_back(comment_, message, late_text, status, resend=resend)


def _give_back(
    comment_: Comment, message: str, late_text: str | None, status: int, *, resend: bool = False
):
    """Show ``comment_`` (in its thread without htmx) with ``message`` and the unsent text."""
    top = comment_.parent or comment_
    if not htmx:
        target = services.resolve_target(get_session(), top.round, target_key(top))
        return render_thread(
            top.round,
            target,
            status=status,
            notice=message,
            notice_error=True,
            late_text=late_text or "",
        )
    response = render_comment(
        top,
        status=status,
        notice=message,
        notice_error=True,
        late_text=late_text,
        notice_resend=resend,
        resend_next=url_for("consultations.comment", comment_id=top.id),
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
    comment_ = comment_or_404(args["comment_id"])
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
    round_ = round_or_404(args["slug"], args["number"])
    target_ = target_or_404(round_, args["target"])
    if not current_user.is_authenticated:
        late = sent.get(f"{target_.key}-body", "")
        return render_thread(
            round_, target_, status=status, notice=notice, notice_error=True, late_text=late
        )
    form = CommentForm(
        formdata=sent, prefix=target_.key, allow_proposal=target_.paragraph is not None
    )
    return render_thread(
        round_, target_, form=form, status=status, notice=notice, notice_error=True
    )


def _form_answer(template: str, status: int, form, notice: str, **context):
    response = make_response(
        render_template(
            template,
            form=form,
            notice=notice,
            notice_error=True,
            max_chars=max_chars(),
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
@writes_briefly
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
            # Only the write holds SQLite's write lock (the service re-reads the round in it).
            with writing(session):
                comments.edit_comment(
                    session,
                    user=current_user,
                    comment_id=comment_.id,
                    kind=fields.get("kind"),
                    body=fields["body"],
                    stance=fields.get("stance"),
                    proposed_text=fields.get("proposed_text"),
                    now=clock.now(),
                    max_chars=max_chars(),
                )
        except Invalid as error:
            show_refusal(form, error, refusal_message, fallback="body")
            status = 422
        except Refusal as error:
            return _refusal(error, comment_, late_text=fields["body"])
        else:
            notice = _("Your changes are saved.")
            if htmx:
                return render_comment(comment_, notice=notice)
            flash(notice, "success")
            return redirect(url_for("consultations.comment", comment_id=comment_.id))
    template = "consultations/_edit_form.html" if htmx else "consultations/edit.html"
    return make_response(
        render_template(
            template, comment=comment_, form=form, is_reply=is_reply, max_chars=max_chars()
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
        versions=history.versions(comment_, current_user),
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
        return count_trigger(response, key)
    flash(message, "success")
    return redirect(thread_url(comment_.round, key))


@bp.route("/synpunkter/<int:comment_id>/svara", methods=["GET", "POST"])
@writes_briefly
@login_required
@limit_writes
def reply(comment_id: int):
    """Reply to a published comment (one level of replies)."""
    parent = comment_or_404(comment_id)
    form = ReplyForm(prefix=f"reply-{parent.id}")
    status = 200
    if request.method == "POST":
        try:
            with writing(get_session()):
                reply_ = comments.create_reply(
                    get_session(),
                    author=current_user,
                    parent_id=parent.id,
                    body=form.body.data,
                    submission_key=form.submission_key.data,
                    now=clock.now(),
                    max_chars=max_chars(),
                )
        except Invalid as error:
            show_refusal(form, error, refusal_message, fallback="body")
            status = 422
        except Refusal as error:
            return _refusal(error, parent, late_text=form.body.data)
        else:
            top = reply_.parent
            notice = created_notice(reply_)
            if htmx:
                return render_comment(top, notice=notice)
            flash(notice, "success")
            return redirect(thread_url(top.round, target_key(top)) + f"#c-{reply_.id}")
    elif not services.is_open(parent.round, clock.now()):
        return _refusal(comments.RoundClosed(), parent)
    elif (refused := write_refusal(current_user, parent.round)) is not None:
        return _refusal(comments.WriteRefused(refused), parent)
    template = "consultations/_reply_form.html" if htmx else "consultations/reply.html"
    response = make_response(
        render_template(template, parent=parent, form=form, max_chars=max_chars()), status
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
