"""A round's life: open it now, close it now, extend its deadline, reopen it, publish results.

Every action takes the acting user, refuses anyone but an administrator, locks the round row,
checks its state, changes only its dates and writes the audit entry in the same transaction.
A round's state is computed from its dates, so a change applies to every page and write at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from .. import audit, comment_totals
from ..consultations.services import RoundState, round_state
from ..errors import Invalid, WrongState
from ..models import Round, User
from ..notifications import events as notification_events
from ..permissions import require_admin
from .rounds import EDITABLE_STATES, get_round, locked_round

DATE_FIELDS = ("opens_at", "closes_at", "closed_at", "results_published_at")
# Actions that cannot be taken back quietly: closing tells every follower, publishing shows
# the results to everyone. The pages ask before they run them; each with the state it needs
# and the refusal otherwise.
CONFIRMED_ACTIONS = {
    "close": ((RoundState.OPEN,), "not_open"),
    "publish": ((RoundState.CLOSED,), "not_closed"),
}


@dataclass
class Consequences:
    """What an action will do beyond the round itself, for the page that asks about it."""

    followers: int
    comments: int


def consequences(
    session: Session, actor: User, round_id: int, name: str, *, now: datetime
) -> Consequences:
    """Count whom closing or publishing ``round_id`` reaches: followers told, comments shown.

    Raises WrongState, as the action itself would, when the round's state does not allow it.
    """
    require_admin(actor)
    round_ = get_round(session, actor, round_id)
    allowed, refusal = CONFIRMED_ACTIONS[name]
    if round_state(round_, now) not in allowed:
        raise WrongState(refusal)
    return Consequences(
        followers=len(notification_events.followers(session, round_.consultation_id)),
        comments=comment_totals.for_round(session, round_.id).published,
    )


def _dated_action(
    session: Session,
    actor: User,
    round_id: int,
    *,
    action: str,
    allowed: tuple[RoundState, ...],
    refusal: str,
    change: Callable[[Round], None],
    now: datetime,
    reason: str | None,
) -> Round:
    """Lock the round, check its state, apply ``change`` and audit it, in one transaction."""
    require_admin(actor)
    round_ = locked_round(session, round_id)
    if round_state(round_, now) not in allowed:
        raise WrongState(refusal)
    before = audit.snapshot(round_, DATE_FIELDS)
    change(round_)
    audit.record(
        session,
        actor,
        action,
        round_,
        *audit.changed(before, audit.snapshot(round_, DATE_FIELDS)),
        reason,
        now=now,
    )
    session.commit()
    return round_


def open_now(
    session: Session,
    actor: User,
    round_id: int,
    *,
    now: datetime,
    closes_at: datetime | None = None,
    reason: str | None = None,
) -> Round:
    """Open a draft or scheduled round now; a round without a deadline needs ``closes_at``."""

    def change(round_: Round) -> None:
        if round_.document is None:
            raise WrongState("no_draft")
        deadline = closes_at or round_.closes_at
        if deadline is None:
            raise Invalid({"closes_at": "required"})
        if deadline <= now:
            raise Invalid({"closes_at": "in_past"})
        round_.opens_at = now
        round_.closes_at = deadline
        round_.closed_at = None

    return _dated_action(
        session,
        actor,
        round_id,
        action="round.open",
        allowed=EDITABLE_STATES,
        refusal="not_startable",
        change=change,
        now=now,
        reason=reason,
    )


def close_now(
    session: Session, actor: User, round_id: int, *, now: datetime, reason: str | None = None
) -> Round:
    """Close an open round now, before its deadline."""

    def change(round_: Round) -> None:
        round_.closed_at = now

    return _dated_action(
        session,
        actor,
        round_id,
        action="round.close",
        allowed=(RoundState.OPEN,),
        refusal="not_open",
        change=change,
        now=now,
        reason=reason,
    )


def extend(
    session: Session,
    actor: User,
    round_id: int,
    *,
    closes_at: datetime | None,
    now: datetime,
    reason: str | None = None,
) -> Round:
    """Move an open round's deadline later; participants see the new date at once."""

    def change(round_: Round) -> None:
        if closes_at is None:
            raise Invalid({"closes_at": "required"})
        if closes_at <= now:
            raise Invalid({"closes_at": "in_past"})
        if closes_at <= round_.closes_at:
            raise Invalid({"closes_at": "not_later"})
        round_.closes_at = closes_at
        notification_events.deadline_changed(session, round_, now=now)

    return _dated_action(
        session,
        actor,
        round_id,
        action="round.extend",
        allowed=(RoundState.OPEN,),
        refusal="not_open",
        change=change,
        now=now,
        reason=reason,
    )


def reopen(
    session: Session,
    actor: User,
    round_id: int,
    *,
    now: datetime,
    closes_at: datetime | None = None,
    reason: str | None = None,
) -> Round:
    """Open a closed round again; if its deadline has passed, a new one is needed."""

    def change(round_: Round) -> None:
        if closes_at is not None and closes_at <= now:
            raise Invalid({"closes_at": "in_past"})
        if closes_at is None and round_.closes_at <= now:
            raise Invalid({"closes_at": "required_passed"})
        round_.closed_at = None
        if closes_at is not None:
            round_.closes_at = closes_at
        notification_events.deadline_changed(session, round_, now=now)

    return _dated_action(
        session,
        actor,
        round_id,
        action="round.reopen",
        allowed=(RoundState.CLOSED,),
        refusal="not_closed",
        change=change,
        now=now,
        reason=reason,
    )


def publish_results(
    session: Session, actor: User, round_id: int, *, now: datetime, reason: str | None = None
) -> Round:
    """Publish the results of a closed round."""

    def change(round_: Round) -> None:
        round_.results_published_at = now

    return _dated_action(
        session,
        actor,
        round_id,
        action="round.publish",
        allowed=(RoundState.CLOSED,),
        refusal="not_closed",
        change=change,
        now=now,
        reason=reason,
    )
