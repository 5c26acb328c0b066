"""Rounds: creating one with its draft, changing its settings, replacing its draft.

Every function takes the acting user and raises NotAllowed unless they are an administrator,
whatever the route in front of it checks. Writes happen in one transaction together with their
audit entry: a refused change saves nothing. A change to a round locks its row (FOR UPDATE on
PostgreSQL), so it waits for comments being written and they for it.

A round's state is always computed from its dates (``consultations.services.round_state``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .. import audit, comment_totals, round_locks
from ..consultations.services import RoundState, round_state
from ..errors import Invalid, NotFound, WrongState
from ..models import (
    Comment,
    Commenters,
    Consultation,
    Document,
    ModerationMode,
    Paragraph,
    Round,
    Section,
    User,
)
from ..moderation import reports as moderation_reports
from ..permissions import require_admin
from .consultations import get_consultation
from .uploads import DraftFile, continued_later, draft_counts, import_draft, read_draft

ROUND_FIELDS = (
    "title",
    "opens_at",
    "closes_at",
    "moderation",
    "commenters",
    "confirmed_email_only",
    "report_threshold",
)
REPORT_THRESHOLDS = range(1, 51)
# An argument left out: the setting stays as it is.
KEEP = object()
# Settings that shape a round for everyone taking part: fixed once it has opened.
LOCKED_WHEN_STARTED = ("opens_at", "closes_at", "moderation", "commenters", "confirmed_email_only")
EDITABLE_STATES = (RoundState.DRAFT, RoundState.SCHEDULED)


def get_round(session: Session, actor: User, round_id: int) -> Round:
    """Return one round, or raise NotFound."""
    require_admin(actor)
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound()
    return round_


def locked_round(session: Session, round_id: int) -> Round:
    """Read a round under a row lock (the caller checked the actor), or raise NotFound."""
    # Writes in flight into the round end first, and new ones wait (see ``round_locks``).
    round_locks.for_changing(session, round_id)
    # Re-read under the lock even if the round is already loaded: its state may have changed.
    round_ = session.scalar(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if round_ is None:
        raise NotFound()
    return round_


def is_editable(round_: Round, now: datetime) -> bool:
    """True while a round has not opened: its dates, rules and draft may still change."""
    return round_state(round_, now) in EDITABLE_STATES


@dataclass
class DraftStats:
    sections: int
    paragraphs: int
    totals: comment_totals.Totals

    @property
    def comments(self) -> int:
        """Everything written on the draft, published or not (a draft with any is kept)."""
        return self.totals.written


def draft_stats(session: Session, actor: User, round_: Round) -> DraftStats:
    """Count the sections and paragraphs of a round's draft and the comments written on it."""
    require_admin(actor)
    return DraftStats(
        **draft_counts(session, round_.document),
        totals=comment_totals.for_round(session, round_.id),
    )


def _comment_count(session: Session, round_: Round) -> int:
    return session.scalar(
        select(func.count()).select_from(Comment).where(Comment.round_id == round_.id)
    )


def _clean_round(
    title: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    moderation: str,
    commenters: str,
    now: datetime,
    *,
    report_threshold: int | None = 3,
    confirmed_email_only: bool = False,
    check_future: bool = True,
) -> dict:
    errors = {}
    if report_threshold is None:
        errors["report_threshold"] = "required"
    elif report_threshold not in REPORT_THRESHOLDS:
        errors["report_threshold"] = "threshold_range"
    title = " ".join((title or "").split())
    if not title:
        errors["title"] = "required"
    elif len(title) > 300:
        errors["title"] = "too_long"
    if (opens_at is None) != (closes_at is None):
        errors["opens_at" if opens_at is None else "closes_at"] = "both_dates"
    elif opens_at is not None and closes_at <= opens_at:
        errors["closes_at"] = "not_after_opens"
    elif check_future and closes_at is not None and closes_at <= now:
        errors["closes_at"] = "in_past"
    try:
        moderation_ = ModerationMode(moderation)
    except ValueError:
        errors["moderation"] = "choice"
    try:
        commenters_ = Commenters(commenters)
    except ValueError:
        errors["commenters"] = "choice"
    if errors:
        raise Invalid(errors)
    return {
        "title": title,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "moderation": moderation_,
        "commenters": commenters_,
        "confirmed_email_only": bool(confirmed_email_only),
        "report_threshold": report_threshold,
    }


def create_round(
    session: Session,
    actor: User,
    consultation_id: int,
    *,
    title: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    moderation: str,
    commenters: str,
    draft: DraftFile | None,
    now: datetime,
    report_threshold: int | None = 3,
    confirmed_email_only: bool = False,
) -> Round:
    """Add a round with its draft to a consultation; without dates it stays a draft.

    A later round's draft is matched to the previous round's (see consultations.versions).
    """
    consultation = get_consultation(session, actor, consultation_id)
    errors = {}
    try:
        fields = _clean_round(
            title,
            opens_at,
            closes_at,
            moderation,
            commenters,
            now,
            report_threshold=report_threshold,
            confirmed_email_only=confirmed_email_only,
        )
    except Invalid as error:
        errors = error.errors
    try:
        markdown = read_draft(draft)
    except Invalid as error:
        errors |= error.errors
    if errors:
        raise Invalid(errors)
    # Lock the consultation: two rounds created at once must not get the same number.
    session.scalar(
        select(Consultation.id).where(Consultation.id == consultation.id).with_for_update()
    )
    number = (
        session.scalar(
            select(func.max(Round.number)).where(Round.consultation_id == consultation.id)
        )
        or 0
    ) + 1
    round_ = Round(consultation=consultation, number=number, created_at=now, **fields)
    session.add(round_)
    document = import_draft(session, round_, markdown)
    after = audit.snapshot(round_, ("number", *ROUND_FIELDS))
    after |= {"draft": draft.filename, **draft_counts(session, document)}
    audit.record(session, actor, "round.create", round_, None, after, now=now)
    session.commit()
    return round_


def edit_round(
    session: Session,
    actor: User,
    round_id: int,
    *,
    title: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    moderation: str,
    commenters: str,
    now: datetime,
    report_threshold: int | None | object = KEEP,
    confirmed_email_only: bool | object = KEEP,
) -> Round:
    """Change a round's settings; dates, moderation and who may comment only before it opens.

    The report threshold may change at any time: it is how staff want to moderate. Lowered,
    it hides at once the comments that already have that many reports.
    """
    require_admin(actor)
    round_ = locked_round(session, round_id)
    if report_threshold is KEEP:
        report_threshold = round_.report_threshold
    if confirmed_email_only is KEEP:
        confirmed_email_only = round_.confirmed_email_only
    started = not is_editable(round_, now)
    fields = _clean_round(
        title,
        opens_at,
        closes_at,
        moderation,
        commenters,
        now,
        report_threshold=report_threshold,
        confirmed_email_only=confirmed_email_only,
        check_future=not started,
    )
    before = audit.snapshot(round_, ROUND_FIELDS)
    if started:
        locked = [k for k in LOCKED_WHEN_STARTED if fields[k] != getattr(round_, k)]
        if locked:
            raise Invalid({name: "locked" for name in locked})
    for name, value in fields.items():
        setattr(round_, name, value)
    audit.record(
        session,
        actor,
        "round.edit",
        round_,
        *audit.changed(before, audit.snapshot(round_, ROUND_FIELDS)),
        now=now,
    )
    if started and round_.report_threshold < before["report_threshold"]:
        # A lower threshold applies to the reports already made, not only to the next one.
        moderation_reports.apply_threshold(session, round_, now)
    session.commit()
    return round_


def replace_draft(
    session: Session, actor: User, round_id: int, *, draft: DraftFile | None, now: datetime
) -> Round:
    """Replace the draft of a round that has not opened yet."""
    require_admin(actor)
    round_ = locked_round(session, round_id)
    if not is_editable(round_, now):
        raise WrongState("started")
    if _comment_count(session, round_):
        raise WrongState("has_comments")
    if round_.document is not None and continued_later(session, round_.document):
        raise WrongState("draft_continued")
    markdown = read_draft(draft)
    old = round_.document
    before = draft_counts(session, old)
    if old is not None:
        session.execute(delete(Paragraph).where(Paragraph.document_id == old.id))
        session.execute(update(Section).where(Section.document_id == old.id).values(parent_id=None))
        session.execute(delete(Section).where(Section.document_id == old.id))
        session.execute(delete(Document).where(Document.id == old.id))
        session.expire(round_, ["document"])
    document = import_draft(session, round_, markdown)
    after = {"draft": draft.filename, **draft_counts(session, document)}
    audit.record(session, actor, "round.replace_draft", round_, before, after, now=now)
    session.commit()
    return round_
