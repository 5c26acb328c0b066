"""Published comments of a round as paginated JSON (public documents; no e-mail addresses).

Authors appear as they chose to be shown (people.public_names), as their account is now.
"""

from flask import abort, current_app, jsonify, request, url_for

from .. import clock
from ..consultations import services
from ..db import get_session
from ..models import Comment
from ..people.public_names import comment_byline
from ..web import parse_int
from . import bp


def _comment_json(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "in_reply_to": comment.parent_id,
        "paragraph": comment.paragraph.anchor if comment.paragraph else None,
        "paragraph_number": comment.paragraph.number if comment.paragraph else None,
        "section": comment.section.anchor if comment.section else None,
        "kind": comment.kind.value,
        "stance": comment.stance.value if comment.stance else None,
        "stakeholder_category": comment.author_category.value,
        # The author as they chose to be shown, read now: None when the organisation stands alone.
        "author": comment_byline(comment).person,
        "organisation": comment.author_organisation_name,
        "text": comment.body,
        "proposed_text": comment.proposed_text,
        "agreements": comment.agreement_count,
        "created_at": comment.created_at.isoformat(),
        "updated_at": comment.updated_at.isoformat(),
        # A point raised at a dialogue event and recorded here by its organisers.
        "event": _event_json(comment),
    }


def _event_json(comment: Comment) -> dict | None:
    if comment.event is None:
        return None
    session = comment.event_session
    return {
        "title": comment.event.title,
        "slug": comment.event.slug,
        "session": session.title if session is not None else None,
    }


def _int_arg(name: str, default: int, lowest: int, highest: int) -> int:
    """A number from the query string, clamped to [lowest, highest]; 400 unless it is one."""
    if name not in request.args:
        return default
    value = parse_int(request.args[name], maximum=10**9)
    if value is None:
        abort(400)
    return min(max(value, lowest), highest)


@bp.get("/samrad/<slug>/omgang/<int:number>/synpunkter")
def round_comments(slug: str, number: int):
    """List the published comments of a round, oldest first, ``page`` and ``per_page`` given."""
    session = get_session()
    round_ = services.get_round(session, slug, clock.now(), number)
    if round_ is None:
        abort(404)
    per_page = _int_arg("per_page", 100, 1, current_app.config["API_MAX_PER_PAGE"])
    page = _int_arg("page", 1, 1, 10**6)
    total, rows = services.published_comments(session, round_, page, per_page)

    def page_url(n):
        return url_for(
            ".round_comments", slug=slug, number=number, page=n, per_page=per_page, _external=True
        )

    has_next = page * per_page < total
    return jsonify(
        consultation=round_.consultation.title,
        round=round_.title,
        total=total,
        page=page,
        per_page=per_page,
        next=page_url(page + 1) if has_next else None,
        previous=page_url(page - 1) if page > 1 else None,
        items=[_comment_json(c) for c in rows],
    )
