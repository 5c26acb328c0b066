"""The public pages of the working groups: a consultation's groups, and one group's page
(members, chapters, events, responses and history). Everyone may read them once the
consultation has a public round."""

from __future__ import annotations

from flask import abort, render_template, url_for

from ..db import get_session
from ..labels import CATEGORY_LABELS
from ..models import Round
from ..paths import event_path
from . import bp, public
from .labels import ROLE_LABELS


@bp.app_template_global()
def chapter_groups(round_: Round) -> public.DraftGroups:
    """For the public draft: which group answers for each chapter (one query per page)."""
    return public.draft_groups(get_session(), round_.consultation_id)


@bp.app_template_global()
def group_url(consultation, group) -> str:
    """The address of a group's public page."""
    return url_for("groups.public_group", slug=consultation.slug, group_slug=group.slug)


@bp.get("/samrad/<slug>/arbetsgrupper", endpoint="public_list")
def public_list(slug: str):
    """The working groups of a consultation."""
    found = public.listing(get_session(), slug)
    if found is None:
        abort(404)
    consultation, round_, items = found
    return render_template(
        "groups/index.html", consultation=consultation, round=round_, items=items
    )


@bp.get("/samrad/<slug>/arbetsgrupper/<group_slug>", endpoint="public_group")
def public_group(slug: str, group_slug: str):
    """One working group: who is in it, what it answers for, its events and responses."""
    page = public.group_page(get_session(), slug, group_slug)
    if page is None:
        abort(404)
    return render_template(
        "groups/group.html",
        page=page,
        consultation=page.consultation,
        group=page.group,
        role_labels=ROLE_LABELS,
        category_labels=CATEGORY_LABELS,
        event_path=event_path,
    )
