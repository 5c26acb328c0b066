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
from sqlalchemy.orm import Session

from .models import Action, ActionSource, Strategy


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
