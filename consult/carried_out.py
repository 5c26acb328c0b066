"""Which actions of published follow-up strategies carry out a consultation's synthesis
responses: the link from a round's public results to the follow-up ("Genomförs genom …").

It lives outside ``consult.followup`` so that the synthesis pages can ask without importing
the follow-up's routes (whose package imports the synthesis area in turn).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .models import (
    Action,
    ActionSource,
    Paragraph,
    Round,
    Strategy,
    Synthesis,
    Theme,
    WorkStatus,
)

# --- What of the consultation the public may see ----------------------------------------------
#
# The rule of the round page (``consultations.services.get_round``) and of its published
# synthesis (``synthesis.public.published``): a round's draft is public once the round is dated
# and has opened; its themes and responses once its results are published, and then only the
# reviewed entries of themes that are not retired. Every follow-up page, the yearly report and
# the open data ask ``public_source``; none of them has its own copy.


def round_opened(round_: Round | None, now: datetime) -> bool:
    """Whether a round's draft can be read: it is dated and has opened."""
    return (
        round_ is not None
        and round_.opens_at is not None
        and round_.closes_at is not None
        and round_.opens_at <= now
    )


def results_public(round_: Round | None, now: datetime) -> bool:
    """Whether a round's results (its synthesis) are published."""
    return (
        round_opened(round_, now)
        and round_.results_published_at is not None
        and round_.results_published_at <= now
    )


@dataclass(frozen=True)
class PublicSource:
    """What the public may see of an action's source.

    ``kind`` is "paragraph" (a paragraph of the draft: ``paragraph``), "theme" (a theme of the
    comments: ``theme`` and its reviewed ``entry``) or "synthesis" (a reviewed response:
    ``entry``, about ``theme`` or ``paragraph``)."""

    kind: str
    round: Round
    paragraph: Paragraph | None = None
    theme: Theme | None = None
    entry: Synthesis | None = None

    @property
    def anchor(self) -> str:
        """Where on the round page it is shown."""
        if self.theme is not None:
            return f"public-theme-{self.theme.id}"
        return self.paragraph.anchor

    @property
    def path(self) -> str:
        """The site-relative address of it on the round page."""
        return round_path(self.round) + "#" + self.anchor


def round_path(round_: Round) -> str:
    """The site-relative address of a round's public page (consultations.round_page)."""
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/"


def _shown_entry(entry: Synthesis | None, session: Session, now: datetime):
    """The entry and its theme if the public results page shows it, else None."""
    if entry is None or entry.status != WorkStatus.REVIEWED:
        return None
    round_ = session.get(Round, entry.round_id)
    if not results_public(round_, now):
        return None
    theme = entry.theme
    if theme is not None and theme.retired_at is not None:
        return None
    return round_, theme


def public_source(source: ActionSource, now: datetime) -> PublicSource | None:
    """What the public may see of ``source`` at ``now``, or None while it is not public."""
    session = object_session(source)
    if source.paragraph is not None:
        paragraph = source.paragraph
        round_ = session.get(Round, paragraph.document.round_id)
        if not round_opened(round_, now):
            return None
        return PublicSource("paragraph", round_, paragraph=paragraph)
    if source.theme is not None:
        if source.theme.retired_at is not None:
            return None
        entry = session.scalar(select(Synthesis).where(Synthesis.theme_id == source.theme.id))
        shown = _shown_entry(entry, session, now)
        if shown is None:
            return None
        return PublicSource("theme", shown[0], theme=source.theme, entry=entry)
    entry = source.synthesis
    shown = _shown_entry(entry, session, now)
    if shown is None:
        return None
    round_, theme = shown
    return PublicSource(
        "synthesis",
        round_,
        paragraph=entry.paragraph if theme is None else None,
        theme=theme,
        entry=entry,
    )


# --- The actions carrying out a round's responses ------------------------------------------


@dataclass(frozen=True)
class LinkedAction:
    """An action of a published strategy that carries out a synthesis response."""

    id: int
    title: str
    status: object
    progress: int
    slug: str


def actions_for_responses(
    session: Session, synthesis_ids, now: datetime
) -> dict[int, list[LinkedAction]]:
    """The actions of published strategies linked to each of the synthesis entries, in one
    query: ``{synthesis id: [LinkedAction, ...]}``."""
    ids = list(synthesis_ids)
    found: dict[int, list[LinkedAction]] = defaultdict(list)
    if not ids:
        return found
    rows = session.execute(
        select(
            ActionSource.synthesis_id,
            Action.id,
            Action.title,
            Action.status,
            Action.progress,
            Strategy.slug,
        )
        .join(Action, Action.id == ActionSource.action_id)
        .join(Strategy, Strategy.id == Action.strategy_id)
        .where(
            ActionSource.synthesis_id.in_(ids),
            Strategy.published_by(now),
        )
        .order_by(Strategy.position, Strategy.id, Action.code, Action.id)
    )
    for synthesis_id, *rest in rows:
        found[synthesis_id].append(LinkedAction(*rest))
    return found


def strategy_adopted_from(session: Session, consultation_id: int, now: datetime):
    """The published strategy adopted from this consultation (its follow-up), or None."""
    return session.scalar(
        select(Strategy).where(
            Strategy.consultation_id == consultation_id, Strategy.published_by(now)
        )
    )
