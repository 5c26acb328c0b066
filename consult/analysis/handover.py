"""What a theme leaves behind when staff merge, split or delete it: its synthesis and the
tagger's undecided proposals. Nothing is dropped silently.

* **Synthesis.** A merged theme's summary, response and motivation go to the theme it was
  merged into: as they are when that theme has none, otherwise appended under a note naming
  the merged theme, in the site's language (the merged theme's response is used only if
  the target has none). The target's entry is then
  a draft again, since its text changed. A split or deleted theme keeps its entry, and the
  report shows it with the retired theme.
* **Proposals.** A merged theme's undecided proposals move to the theme it went into, unless
  that theme already has the comment or a proposal for it; the rest, and those of a split or
  deleted theme, are closed (decided, neither accepted nor rejected).

The callers (``themes``, ``split``) commit.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Synthesis, Theme, ThemeAssignment, ThemeProposal, User, WorkStatus

SYNTHESIS_FIELDS = ("summary", "response", "motivation", "status")


def _joined(kept: str, carried: str, note: str) -> str:
    if not carried:
        return kept
    if not kept:
        return carried
    return f"{kept}\n\n{note}\n{carried}"


def carry_synthesis(
    session: Session, user: User, source: Theme, target: Theme, now: datetime
) -> Synthesis | None:
    """Carry ``source``'s synthesis entry to ``target`` (see above); return target's entry."""
    carried = session.scalar(select(Synthesis).where(Synthesis.theme_id == source.id))
    if carried is None or not (carried.summary or carried.motivation or carried.response):
        return None
    entry = session.scalar(select(Synthesis).where(Synthesis.theme_id == target.id))
    if entry is None:
        entry = Synthesis(
            round_id=target.round_id,
            theme_id=target.id,
            summary=carried.summary,
            motivation=carried.motivation,
            response=carried.response,
            status=carried.status,
            created_at=now,
            updated_at=now,
            updated_by_id=user.id,
        )
        session.add(entry)
        session.flush()
        before = None
    else:
        before = audit.snapshot(entry, SYNTHESIS_FIELDS)
        # The note becomes part of the text, which the report and the public read: it is
        # written in the site's language, whoever merges.
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            note = _("From the merged theme “%(name)s”:", name=source.name)
        entry.summary = _joined(entry.summary, carried.summary, note)
        entry.motivation = _joined(entry.motivation, carried.motivation, note)
        entry.response = entry.response or carried.response
        # The text changed: someone must read it again before it counts as reviewed.
        entry.status = WorkStatus.DRAFTED
        entry.updated_at, entry.updated_by_id = now, user.id
    after = audit.snapshot(entry, SYNTHESIS_FIELDS)
    audit.record(
        session,
        user,
        "synthesis.carry",
        entry,
        before,
        {**after, "from_theme_id": source.id},
        now=now,
    )
    return entry


def resolve_proposals(
    session: Session, user: User, theme: Theme, now: datetime, into: Theme | None = None
) -> int:
    """Move ``theme``'s undecided proposals to ``into`` where it can take them, and close the
    rest; return how many were closed."""
    pending = session.scalars(
        select(ThemeProposal)
        .where(ThemeProposal.theme_id == theme.id, ThemeProposal.decided_at.is_(None))
        .order_by(ThemeProposal.id)
    ).all()
    if not pending:
        return 0
    taken: set[int] = set()
    if into is not None:
        taken = set(
            session.scalars(
                select(ThemeProposal.comment_id).where(ThemeProposal.theme_id == into.id)
            )
        ) | set(
            session.scalars(
                select(ThemeAssignment.comment_id).where(
                    ThemeAssignment.theme_id == into.id, ThemeAssignment.removed_at.is_(None)
                )
            )
        )
    closed = 0
    for proposal in pending:
        if into is not None and proposal.comment_id not in taken:
            proposal.theme_id = into.id
            taken.add(proposal.comment_id)
        else:
            proposal.decided_at, proposal.decided_by_id, proposal.accepted = now, user.id, None
            closed += 1
    return closed
