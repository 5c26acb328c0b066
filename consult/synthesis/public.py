"""The synthesis as the public reads it once a round's results are published: the themes
with their summaries and responses, and the response to each paragraph's comments.

Only entries staff have marked reviewed are shown; drafts stay internal. Before the results
are published nothing is shown at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import carried_out, clock
from ..analysis.board import current_tags
from ..models import Comment, Round, Synthesis, Theme, WorkStatus
from .labels import RESPONSE_LABELS


@dataclass
class PublicTheme:
    theme: Theme
    entry: Synthesis
    comments: int


@dataclass
class PublicSynthesis:
    themes: list[PublicTheme] = field(default_factory=list)
    paragraphs: dict[int, Synthesis] = field(default_factory=dict)
    # The actions of published follow-up strategies carrying out each shown entry, by its id.
    actions: dict[int, list] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.themes or self.paragraphs)


def published(session: Session, round_: Round, now) -> PublicSynthesis | None:
    """Return the reviewed synthesis of a round whose results are published, else None."""
    if round_.results_published_at is None or round_.results_published_at > now:
        return None
    entries = session.scalars(
        select(Synthesis).where(
            Synthesis.round_id == round_.id, Synthesis.status == WorkStatus.REVIEWED
        )
    ).all()
    result = PublicSynthesis()
    theme_entries = {e.theme_id: e for e in entries if e.theme_id is not None}
    if theme_entries:
        sizes = dict(
            session.execute(
                current_tags(round_.id)
                .with_only_columns(Theme.id, func.count(func.distinct(Comment.id)))
                .group_by(Theme.id)
            ).all()
        )
        themes = session.scalars(
            select(Theme).where(Theme.id.in_(theme_entries), Theme.retired_at.is_(None))
        )
        result.themes = sorted(
            (PublicTheme(t, theme_entries[t.id], sizes.get(t.id, 0)) for t in themes),
            key=lambda item: (-item.comments, item.theme.position, item.theme.id),
        )
    result.paragraphs = {e.paragraph_id: e for e in entries if e.paragraph_id is not None}
    shown = [item.entry.id for item in result.themes] + [e.id for e in result.paragraphs.values()]
    result.actions = carried_out.actions_for_responses(session, shown, now)
    return result


def init_app(app) -> None:
    """Let the public round page ask for a round's published synthesis."""

    @app.template_global()
    def public_synthesis(round_: Round) -> PublicSynthesis | None:
        from ..db import get_session

        return published(get_session(), round_, clock.now())

    @app.template_global()
    def response_label(value) -> str:
        return str(RESPONSE_LABELS[value]) if value else ""
