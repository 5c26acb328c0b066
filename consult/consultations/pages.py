"""What the consultation pages share: reading the request's round and target, rendering a
thread or a comment (as a page or the htmx fragment), and the texts of common notices."""

from __future__ import annotations

import hashlib
import json

from flask import (
    abort,
    current_app,
    make_response,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import caching, clock, web
from ..dates import when
from ..db import get_session
from ..extensions import htmx, limiter
from ..models import Comment, CommentStatus, Round
from ..web import call, page_arg
from . import bp, history, services
from .controls import DraftControls
from .forms import CommentForm
from .urls import thread_url


def _post_limit() -> str:
    return current_app.config["COMMENT_RATE_LIMIT"]


def _per_user() -> str:
    return f"user:{current_user.get_id()}"


limit_writes = limiter.limit(_post_limit, methods=["POST"], key_func=_per_user)


def max_chars() -> int:
    """The longest comment accepted (CONSULT_COMMENT_MAX_CHARS)."""
    return current_app.config["COMMENT_MAX_CHARS"]


def round_or_404(slug: str, number: int | None = None) -> Round:
    """The round ``number`` of consultation ``slug`` (its current one when None), or 404."""
    round_ = services.get_round(get_session(), slug, clock.now(), number)
    if round_ is None:
        abort(404)
    return round_


def target_or_404(round_: Round, key: str) -> services.Target:
    """The paragraph, section or whole draft ``key`` of ``round_`` comments are on, or 404."""
    target = services.resolve_target(get_session(), round_, key)
    if target is None:
        abort(404)
    return target


def count_trigger(response, key: str):
    """Ask the page (HX-Trigger) to refresh the comment count of target ``key``."""
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
def draft_controls(round_: Round, counts: dict[str, int], can_write: bool) -> DraftControls:
    """What the thread controls of one rendering of ``round_``'s draft page share (see
    consultations/controls.py): ``counts`` per target, ``can_write`` to offer writing."""
    return DraftControls(round_, counts, can_write, lang_attr())


@bp.app_template_global()
def draft_layout(round_: Round, read_draft, state, can_write: bool, **parts) -> Markup:
    """The draft part of a round's page (``_round_layout.html``: contents, paragraphs, counts
    and thread controls), the same for every reader who may write and for every one who may
    not: kept per version of the round's data, its state, the working groups answering for
    its chapters and the language (``caching.fragment``). ``read_draft()`` returns the
    draft (``services.document_view``), read only when it is rendered; ``parts`` are what
    the draft's macros read besides (draft_groups, synthesis, previous_round). With a
    published synthesis, whose entries and follow-up change apart from the round, it is
    rendered each time."""

    def render() -> str:
        return render_template(
            "consultations/_round_layout.html",
            round=round_,
            view=read_draft(),
            state=state,
            can_write=can_write,
            **parts,
        )

    if parts.get("synthesis"):
        return Markup(render())
    previous, groups = parts.get("previous_round"), parts.get("draft_groups")
    owners = sorted(
        (a, g.id, g.name, g.slug) for a, g in (groups.by_anchor if groups else {}).items()
    )
    return caching.fragment(
        "draft",
        round_,
        render,
        str(state),
        can_write,
        previous.id if previous is not None else None,
        hashlib.sha1(repr(owners).encode()).hexdigest()[:16],
    )


@bp.app_template_global()
def earlier_versions(comment: Comment) -> list[history.Version]:
    """The texts an edited comment had before, newest first (empty when never edited)."""
    return history.earlier_versions(comment, web.viewer())


def render_thread(
    round_, target, *, form=None, status=200, notice=None, notice_error=False, late_text=None
):
    """Answer with the thread on ``target``: the page, or with htmx the fragment to swap."""
    session = get_session()
    viewer = web.viewer()
    sort = request.args.get("sort", "new")
    if sort not in services.SORTS:
        sort = "new"
    page = page_arg(last=1000)
    shown = page * current_app.config["COMMENTS_PER_PAGE"]
    items = services.thread(session, round_, target, viewer, sort, limit=shown + 1)
    replies = {c.id: services.visible_replies(c, viewer) for c in items[:shown]}
    ids = [c.id for c in items[:shown]] + [r.id for rs in replies.values() for r in rs]
    if form is None and current_user.is_authenticated:
        form = empty_comment_form(target)
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
        "max_chars": max_chars(),
        "form": form,
        "notice": notice,
        "notice_error": notice_error,
        "late_text": late_text,
        "is_htmx": bool(htmx),
    }
    template = "consultations/_thread.html" if htmx else "consultations/thread.html"
    return make_response(render_template(template, **context), status)


def empty_comment_form(target) -> CommentForm:
    """A new comment form on ``target`` (a paragraph's proposal starts from its text)."""
    form = CommentForm(
        prefix=target.key, formdata=None, allow_proposal=target.paragraph is not None
    )
    if target.paragraph is not None:
        form.proposed_text.data = target.paragraph.text
    return form


def render_posted(round_, target, comment: Comment, notice: str):
    """Answer a comment sent with htmx: a fresh form, the thank-you, the thread's new count
    and the comment at the top of the thread's list (see ``_posted.html``).

    The comment was just written (or, for a form sent twice, a moment before): it has no
    replies and no agreements yet, and no analysis has read it (its language is told once
    one has). In a deadline rush every post gets this answer, so nothing is asked of the
    database that it cannot have.
    """
    context = {
        "round": round_,
        "consultation": round_.consultation,
        "target": target,
        "comment": comment,
        "replies": {comment.id: []},
        "agreed": set(),
        "comment_langs": {},
        "total": services.target_count(get_session(), round_, target, None),
        "state": services.round_state(round_, clock.now()),
        "max_chars": max_chars(),
        "form": empty_comment_form(target),
        "notice": notice,
        "notice_error": False,
        "late_text": None,
        "is_htmx": True,
    }
    response = make_response(render_template("consultations/_posted.html", **context))
    response.headers["HX-Retarget"] = f"#form-{target.key}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def render_unsent(round_, target, *, notice: str, status: int, late_text: str | None):
    """Answer a comment that was not sent (the round closed) with why and its text given back.

    With htmx the fragment replaces the comment form, and the thread around it stays as it
    was; without, a page with the thread's head and a link to its comments. Neither lists the
    comments: in a deadline rush every late post gets this answer, and it must stay cheap.
    """
    context = {
        "round": round_,
        "consultation": round_.consultation,
        "target": target,
        "state": services.round_state(round_, clock.now()),
        "notice": notice,
        "notice_error": True,
        "late_text": late_text or "",
    }
    if not htmx:
        return make_response(render_template("consultations/unsent.html", **context), status)
    response = make_response(render_template("consultations/_unsent.html", **context), status)
    response.headers["HX-Retarget"] = f"#form-{target.key}"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def created_notice(comment: Comment) -> str:
    """The thank-you for a sent comment or reply: published, held until the author confirms
    their address, or waiting for review."""
    if comment.status == CommentStatus.PENDING and not comment.author.is_confirmed:
        return _(
            "Thank you! Your comment is saved. It is published once you have confirmed your "
            "e-mail address with the link we sent you."
        )
    if comment.status == CommentStatus.PENDING:
        return _("Thank you! Your comment is waiting for review before it is shown to others.")
    return _("Thank you! Your comment is published.")


def closed_message(round_: Round) -> str:
    """Why a write was refused in a closed round, with its deadline."""
    return _(
        "The round is closed. Comments can no longer be sent or changed (deadline %(date)s).",
        date=when(round_.closed_at or round_.closes_at),
    )


def comment_or_404(comment_id: int) -> Comment:
    """The comment if the current user may see it; 404 otherwise."""
    return call(services.visible_comment, comment_id)


def render_comment(comment: Comment, status: int = 200, **extra):
    """Answer with one comment and its replies as the fragment htmx swaps in."""
    viewer = web.viewer()
    replies = services.visible_replies(comment, viewer)
    ids = [comment.id] + [r.id for r in replies]
    context = {
        "comment": comment,
        "replies": {comment.id: replies},
        "agreed": services.agreed_ids(get_session(), viewer, ids),
        "comment_langs": services.comment_languages(get_session(), ids),
        "round": comment.round,
        "state": services.round_state(comment.round, clock.now()),
        "max_chars": max_chars(),
        **extra,
    }
    return make_response(render_template("consultations/_comment.html", **context), status)
