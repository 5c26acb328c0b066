"""Pages and fragments for reading drafts and commenting on them.

Each URL serves a full page, or with htmx the fragment that page includes; forms post to
the same URL and redirect (no JavaScript) or answer with the fragment to swap (htmx).
One comment's own actions (edit, reply, withdraw, agree, versions) and the answers to refused
writes are in ``comment_routes``; what both share is in ``pages``.
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
    send_from_directory,
    url_for,
)
from flask import session as http_session
from flask_login import current_user, login_required

from .. import caching, carried_out, clock
from ..auth import services as accounts
from ..db import get_session, writes_briefly, writing
from ..errors import Invalid
from ..extensions import htmx
from ..models import Round
from ..people.notices import write_refusal_message
from ..security import safe_next
from ..web import show_refusal
from . import bp, changes, comments, receipt, results, services, versions
from .forms import CommentForm, refusal_message
from .pages import (
    closed_message,
    comment_or_404,
    count_trigger,
    created_notice,
    limit_writes,
    max_chars,
    render_comment,
    render_posted,
    render_thread,
    render_unsent,
    round_or_404,
    target_or_404,
)
from .urls import target_key, thread_url


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
    return _round_page(round_or_404(slug))


@bp.get("/samrad/<slug>/omgang/<int:number>/")
def round_page(slug: str, number: int):
    """Show one round of a consultation: its draft with a table of contents and counts."""
    return _round_page(round_or_404(slug, number))


def _round_page(round_: Round):
    state = services.round_state(round_, clock.now())
    published = state == services.RoundState.PUBLISHED
    followup = carried_out.strategy_adopted_from(get_session(), round_.consultation_id, clock.now())

    def render() -> str:
        if round_.document is None:
            abort(404)
        return render_template(
            "consultations/round.html",
            round=round_,
            consultation=round_.consultation,
            # Read when the draft part is rendered, not when it is kept (draft_layout).
            read_draft=lambda: services.document_view(get_session(), round_),
            state=state,
            previous_round=versions.previous_round(get_session(), round_, public_at=clock.now()),
            results=results.round_results(get_session(), round_) if published else None,
            followup=followup,
        )

    # Most readers are not signed in: they get the page rendered once per change of the round.
    # (The adopted strategy is in the key: its link shows as soon as the strategy is public.)
    return caching.visitor_page(
        round_, render, str(state), bool(htmx), followup.id if followup else None
    )


@bp.get("/samrad/<slug>/omgang/<int:number>/andringar")
def round_changes(slug: str, number: int):
    """Show what changed in a round's draft since the previous round, section by section."""
    round_ = round_or_404(slug, number)
    compared = changes.compare(get_session(), round_, public_at=clock.now())
    if compared is None:
        abort(404)
    return render_template(
        "consultations/changes.html",
        round=round_,
        consultation=round_.consultation,
        changes=compared,
    )


@bp.route("/samrad/<slug>/omgang/<int:number>/synpunkter/<target>", methods=["GET", "POST"])
@writes_briefly
@limit_writes
def thread(slug: str, number: int, target: str):
    """Show the comments on a paragraph, a section or the draft; post a new one."""
    round_ = round_or_404(slug, number)
    target_ = target_or_404(round_, target)
    if request.method == "GET":
        return render_thread(round_, target_)
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    form = CommentForm(prefix=target_.key, allow_proposal=target_.paragraph is not None)
    back = thread_url(round_, target_.key)  # while the consultation is loaded
    try:
        # Only the write is a writer's transaction (on SQLite: holds the write lock); what was
        # read above, and the answer below, are not. The service re-reads the round in it.
        with writing(get_session()):
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
                max_chars=max_chars(),
            )
    except comments.RoundClosed:
        return render_unsent(
            round_, target_, notice=closed_message(round_), status=409, late_text=form.body.data
        )
    except comments.WriteRefused as error:
        return render_thread(
            round_,
            target_,
            # htmx swaps only 2xx, 409 and 422 answers (see base.html).
            status=409 if htmx else 403,
            notice=write_refusal_message(error.reason),
            notice_error=True,
            late_text=form.body.data,
        )
    except Invalid as error:
        show_refusal(form, error, refusal_message, fallback="body")
        return render_thread(round_, target_, form=form, status=422)
    notice = created_notice(comment)
    if not htmx:
        flash(notice, "success")
        return redirect(f"{back}#c-{comment.id}")
    return count_trigger(render_posted(round_, target_, comment, notice), target_.key)


@bp.get("/samrad/<slug>/omgang/<int:number>/synpunkter/<target>/antal")
def count(slug: str, number: int, target: str):
    """Return the comment-count badge of a target (refreshed after a post)."""
    round_ = round_or_404(slug, number)
    target_ = target_or_404(round_, target)
    n = services.target_count(get_session(), round_, target_, None)
    return render_template("consultations/_count.html", round=round_, key=target_.key, n=n)


@bp.get("/synpunkter/<int:comment_id>")
def comment(comment_id: int):
    """Return one comment as a fragment, or redirect to it in its thread."""
    comment_ = comment_or_404(comment_id)
    if htmx:
        return render_comment(comment_, focus=request.args.get("fokus") == "1")
    parent = comment_.parent or comment_
    return redirect(thread_url(comment_.round, target_key(parent)) + f"#c-{comment_.id}")


@bp.get("/mina-synpunkter")
@login_required
def mine():
    """List everything the user has written, with its status."""
    items = services.my_comments(get_session(), current_user)
    return render_template(
        "consultations/mine.html",
        items=items,
        comment_langs=services.comment_languages(get_session(), [c.id for c in items]),
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


@bp.route("/sprak", methods=["GET", "POST"])
def language():
    """Remember the chosen interface language for this visit; a signed-in person's form
    (a POST, with its CSRF token) also stores it on the account.

    Visitors switch with a GET: the only thing it changes is their own session's language,
    and pages without a form then carry no token, set no cookie and can be cached for all.
    """
    chosen = request.values.get("lang", "")
    if chosen in current_app.config["LANGUAGES"]:
        http_session["lang"] = chosen
        if request.method == "POST" and current_user.is_authenticated:
            accounts.set_locale(get_session(), current_user, chosen)
    return redirect(safe_next(request.values.get("next"), url_for("consultations.index")))
