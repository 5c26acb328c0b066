"""Administration: consultations, rounds, their drafts and their dates, each change audited.

Every function takes the acting user and raises NotAllowed unless they are an administrator,
whatever the route in front of it checks. Writes happen in one transaction together with their
audit entry: a refused change saves nothing. Round actions lock the round row (FOR UPDATE on
PostgreSQL), so closing a round waits for comments being written and they for it.

A round's state is always computed from its dates (``consultations.services.round_state``);
the actions only set dates, so a change applies to every page and write at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..consultations import versions
from ..consultations.importer import DraftError, import_markdown
from ..consultations.services import RoundState, round_state
from ..models import (
    AuditEntry,
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
from ..moderation import services as moderation_services
from ..notifications import events as notification_events
from . import docx

MAX_DRAFT_BYTES = 10 * 1024 * 1024
DRAFT_SUFFIXES = (".md", ".markdown", ".docx")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
CONSULTATION_FIELDS = ("title", "slug", "summary", "contact_name", "contact_email")
ROUND_FIELDS = ("title", "opens_at", "closes_at", "moderation", "commenters", "report_threshold")
REPORT_THRESHOLDS = range(1, 51)
# An argument left out: the setting stays as it is.
KEEP = object()
DATE_FIELDS = ("opens_at", "closes_at", "closed_at", "results_published_at")
# Settings that shape a round for everyone taking part: fixed once it has opened.
LOCKED_WHEN_STARTED = ("opens_at", "closes_at", "moderation", "commenters")
EDITABLE_STATES = (RoundState.DRAFT, RoundState.SCHEDULED)
# What the importer's refusals mean, as message keys.
_DRAFT_ERRORS = {
    "The draft has no paragraphs.": "empty",
    "The draft is too long.": "too_long",
    "The draft is not readable text.": "unreadable",
}


class AdminError(Exception):
    """Base for refusals; ``code`` is the HTTP status that fits."""

    code = 400


class NotAllowed(AdminError):
    code = 403


class NotFound(AdminError):
    code = 404


class WrongState(AdminError):
    """The action is not possible in the round's current state; ``key`` says why."""

    code = 409

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class Invalid(AdminError):
    """Input refused; ``errors`` maps form fields to message keys."""

    code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


@dataclass
class DraftFile:
    """An uploaded draft: its file name and a binary stream of its content."""

    filename: str
    stream: BinaryIO


def require_admin(actor: User | None) -> None:
    """Raise NotAllowed unless ``actor`` is a logged-in administrator."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed()
    if not getattr(actor, "is_admin", False):
        raise NotAllowed()


# Reading


def overview(session: Session, actor: User) -> list[Consultation]:
    """Return every consultation with its rounds, newest first."""
    require_admin(actor)
    return list(
        session.scalars(
            select(Consultation)
            .options(selectinload(Consultation.rounds))
            .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        )
    )


def get_consultation(session: Session, actor: User, consultation_id: int) -> Consultation:
    """Return one consultation, or raise NotFound."""
    require_admin(actor)
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound()
    return consultation


def get_round(session: Session, actor: User, round_id: int) -> Round:
    """Return one round, or raise NotFound."""
    require_admin(actor)
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound()
    return round_


@dataclass
class DraftStats:
    sections: int
    paragraphs: int
    comments: int


def draft_stats(session: Session, actor: User, round_: Round) -> DraftStats:
    """Count the sections and paragraphs of a round's draft and the comments written on it."""
    require_admin(actor)
    return DraftStats(
        **_draft_counts(session, round_.document), comments=_comment_count(session, round_)
    )


def history(session: Session, actor: User, obj: Round | Consultation) -> list[AuditEntry]:
    """Return the audit entries about ``obj``, newest first."""
    require_admin(actor)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == obj.__tablename__, AuditEntry.object_id == obj.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


def audit_log(
    session: Session,
    actor: User,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> audit.Page:
    """Return one page of the audit log, newest first, filtered by action and by actor."""
    require_admin(actor)
    return audit.entries(session, action=action, actor_id=actor_id, page=page, per_page=per_page)


def audit_filters(session: Session, actor: User) -> tuple[list[str], list[User]]:
    """Return the actions and the actors that occur in the audit log."""
    require_admin(actor)
    return audit.actions(session), audit.actors(session)


def object_titles(
    session: Session, actor: User, entries: list[AuditEntry]
) -> dict[tuple[str, int], str]:
    """Return a readable title for each consultation and round the entries are about."""
    require_admin(actor)
    wanted = {"round": set(), "consultation": set()}
    for entry in entries:
        if entry.object_type in wanted and entry.object_id is not None:
            wanted[entry.object_type].add(entry.object_id)
    titles = {}
    rounds = session.scalars(
        select(Round).where(Round.id.in_(wanted["round"])).options(selectinload(Round.consultation))
    )
    for round_ in rounds:
        titles[("round", round_.id)] = f"{round_.consultation.title} – {round_.title}"
    consultations = session.scalars(
        select(Consultation).where(Consultation.id.in_(wanted["consultation"]))
    )
    for consultation in consultations:
        titles[("consultation", consultation.id)] = consultation.title
    return titles


# Consultations


def _clean_consultation(
    title: str, slug: str, summary: str, contact_name: str, contact_email: str
) -> dict:
    errors = {}
    fields = {
        "title": " ".join((title or "").split()),
        "slug": (slug or "").strip(),
        "summary": (summary or "").strip(),
        "contact_name": " ".join((contact_name or "").split()),
        "contact_email": (contact_email or "").strip(),
    }
    if not fields["title"]:
        errors["title"] = "required"
    elif len(fields["title"]) > 300:
        errors["title"] = "too_long"
    if not fields["slug"]:
        errors["slug"] = "required"
    elif len(fields["slug"]) > 80 or not SLUG.match(fields["slug"]):
        errors["slug"] = "slug_format"
    if len(fields["summary"]) > 5000:
        errors["summary"] = "too_long"
    if len(fields["contact_name"]) > 200:
        errors["contact_name"] = "too_long"
    if fields["contact_email"]:
        try:
            checked = validate_email(fields["contact_email"], check_deliverability=False)
        except EmailNotValidError:
            errors["contact_email"] = "email"
        else:
            fields["contact_email"] = checked.normalized
        if len(fields["contact_email"]) > 254:
            errors["contact_email"] = "email"
    if errors:
        raise Invalid(errors)
    return fields


def _check_slug_free(session: Session, slug: str, consultation_id: int | None) -> None:
    other = session.scalar(select(Consultation.id).where(Consultation.slug == slug))
    if other is not None and other != consultation_id:
        raise Invalid({"slug": "slug_taken"})


def _write_slug(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as error:
        # Another administrator took the slug between the check and the write.
        session.rollback()
        raise Invalid({"slug": "slug_taken"}) from error


def create_consultation(
    session: Session,
    actor: User,
    *,
    title: str,
    slug: str,
    summary: str = "",
    contact_name: str = "",
    contact_email: str = "",
    now: datetime,
) -> Consultation:
    """Create a consultation owned by ``actor``."""
    require_admin(actor)
    fields = _clean_consultation(title, slug, summary, contact_name, contact_email)
    _check_slug_free(session, fields["slug"], None)
    consultation = Consultation(**fields, owner_id=actor.id, created_at=now)
    session.add(consultation)
    _write_slug(session)
    audit.record(
        session,
        actor,
        "consultation.create",
        consultation,
        None,
        audit.snapshot(consultation, CONSULTATION_FIELDS),
        now=now,
    )
    session.commit()
    return consultation


def edit_consultation(
    session: Session,
    actor: User,
    consultation_id: int,
    *,
    title: str,
    slug: str,
    summary: str = "",
    contact_name: str = "",
    contact_email: str = "",
    now: datetime,
) -> Consultation:
    """Change a consultation's title, address, summary and contact person."""
    consultation = get_consultation(session, actor, consultation_id)
    fields = _clean_consultation(title, slug, summary, contact_name, contact_email)
    _check_slug_free(session, fields["slug"], consultation.id)
    before = audit.snapshot(consultation, CONSULTATION_FIELDS)
    for name, value in fields.items():
        setattr(consultation, name, value)
    _write_slug(session)
    audit.record(
        session,
        actor,
        "consultation.edit",
        consultation,
        *audit.changed(before, audit.snapshot(consultation, CONSULTATION_FIELDS)),
        now=now,
    )
    session.commit()
    return consultation


# Rounds


def _clean_round(
    title: str,
    opens_at: datetime | None,
    closes_at: datetime | None,
    moderation: str,
    commenters: str,
    now: datetime,
    *,
    report_threshold: int | None = 3,
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
        "report_threshold": report_threshold,
    }


def read_draft(draft: DraftFile | None) -> str:
    """Return the Markdown of an uploaded .md or .docx draft, or raise Invalid."""
    if draft is None or not draft.filename:
        raise Invalid({"draft": "required"})
    name = draft.filename.lower()
    suffix = next((s for s in DRAFT_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        raise Invalid({"draft": "file_type"})
    # Read at most one byte past the limit: a larger file is never read whole.
    data = draft.stream.read(MAX_DRAFT_BYTES + 1)
    if len(data) > MAX_DRAFT_BYTES:
        raise Invalid({"draft": "too_large"})
    if not data.strip():
        raise Invalid({"draft": "empty"})
    if suffix == ".docx":
        try:
            return docx.to_markdown(data)
        except docx.DocxError as error:
            raise Invalid({"draft": error.key}) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid({"draft": "encoding"}) from error


def _import(session: Session, round_: Round, markdown: str) -> Document:
    """Import the draft and link its paragraphs to the previous round's draft, if any."""
    try:
        document = import_markdown(session, round_, markdown, title=round_.consultation.title)
    except DraftError as error:
        raise Invalid({"draft": _DRAFT_ERRORS.get(str(error), "unreadable")}) from error
    versions.link_to_previous(session, round_)
    return document


def _draft_counts(session: Session, document: Document | None) -> dict:
    document_id = document.id if document is not None else None
    return {
        "sections": session.scalar(
            select(func.count()).select_from(Section).where(Section.document_id == document_id)
        ),
        "paragraphs": session.scalar(
            select(func.count()).select_from(Paragraph).where(Paragraph.document_id == document_id)
        ),
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
    document = _import(session, round_, markdown)
    after = audit.snapshot(round_, ("number", *ROUND_FIELDS))
    after |= {"draft": draft.filename, **_draft_counts(session, document)}
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
) -> Round:
    """Change a round's settings; dates, moderation and who may comment only before it opens.

    The report threshold may change at any time: it is how staff want to moderate. Lowered,
    it hides at once the comments that already have that many reports.
    """
    require_admin(actor)
    round_ = _locked_round(session, round_id)
    if report_threshold is KEEP:
        report_threshold = round_.report_threshold
    started = round_state(round_, now) not in EDITABLE_STATES
    fields = _clean_round(
        title,
        opens_at,
        closes_at,
        moderation,
        commenters,
        now,
        report_threshold=report_threshold,
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
        moderation_services.apply_threshold(session, round_, now)
    session.commit()
    return round_


def _comment_count(session: Session, round_: Round) -> int:
    return session.scalar(
        select(func.count()).select_from(Comment).where(Comment.round_id == round_.id)
    )


def replace_draft(
    session: Session, actor: User, round_id: int, *, draft: DraftFile | None, now: datetime
) -> Round:
    """Replace the draft of a round that has not opened yet."""
    require_admin(actor)
    round_ = _locked_round(session, round_id)
    if round_state(round_, now) not in EDITABLE_STATES:
        raise WrongState("started")
    if _comment_count(session, round_):
        raise WrongState("has_comments")
    if round_.document is not None and _continued_later(session, round_.document):
        raise WrongState("draft_continued")
    markdown = read_draft(draft)
    old = round_.document
    before = _draft_counts(session, old)
    if old is not None:
        session.execute(delete(Paragraph).where(Paragraph.document_id == old.id))
        session.execute(update(Section).where(Section.document_id == old.id).values(parent_id=None))
        session.execute(delete(Section).where(Section.document_id == old.id))
        session.execute(delete(Document).where(Document.id == old.id))
        session.expire(round_, ["document"])
    document = _import(session, round_, markdown)
    after = {"draft": draft.filename, **_draft_counts(session, document)}
    audit.record(session, actor, "round.replace_draft", round_, before, after, now=now)
    session.commit()
    return round_


def _continued_later(session: Session, document: Document) -> bool:
    """True when a later round's draft is linked to paragraphs of ``document``."""
    own = select(Paragraph.id).where(Paragraph.document_id == document.id)
    return (
        session.scalar(
            select(func.count()).select_from(Paragraph).where(Paragraph.previous_id.in_(own))
        )
        > 0
    )


# Round actions


def _locked_round(session: Session, round_id: int) -> Round:
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
    round_ = _locked_round(session, round_id)
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
