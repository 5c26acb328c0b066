""" "My data": everything the product stores about one person, for GDPR articles 15 and 20.

``collect`` gathers it as plain JSON-ready values (codes, not translated labels; times as ISO
8601 in UTC). ``COVERAGE`` says, for every column that points at an account or holds an
e-mail address, where the export carries it or why it does not; tests/test_my_data.py walks
the schema and fails when a new such column is missing from it.

What the export leaves out, on purpose: the password (stored only as a one-way hash), the
session counter (a technical number), who reported the person's comments and what they wrote
(that is the reporter's personal data; the export says how many open reports a comment has),
and the names of staff who acted on the person's account or comments (the entries say
"staff" or "administrator"; the region can tell who on request). Links in account e-mails
(confirmation, password reset) are removed: they could still work.
"""

from __future__ import annotations

import enum
import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import NotAllowed, NotFound
from ..models import (
    Action,
    Agreement,
    Analysis,
    AuditEntry,
    Comment,
    Consultation,
    Event,
    Follow,
    FollowupReport,
    GroupMembership,
    Notification,
    OutboxEmail,
    Paragraph,
    Registration,
    Report,
    Role,
    Round,
    Section,
    Synthesis,
    Theme,
    ThemeAssignment,
    ThemeProposal,
    User,
    WorkingGroup,
)
from ..paths import event_path, group_path
from ..permissions import require_staff, signed_in

FORMAT = "consult.my-data"
FORMAT_VERSION = 1

# Where each column that points at an account (or holds an e-mail address) is exported:
# (table, column) -> the export's top-level key, or "-" with the reason it is not.
COVERAGE: dict[tuple[str, str], str] = {
    ("user_account", "email"): "account",
    ("user_account", "pending_email"): "account",
    ("comment", "author_id"): "comments",
    ("comment", "moderated_by_id"): "staff_work",
    ("agreement", "user_id"): "agreements",
    ("report", "reporter_id"): "reports_made",
    ("report", "resolved_by_id"): "staff_work",
    ("notification", "user_id"): "notifications",
    ("follow", "user_id"): "follows",
    ("outbox_email", "to_address"): "emails",
    ("outbox_email", "user_id"): "emails",
    ("audit_entry", "actor_id"): "audit",
    ("consultation", "owner_id"): "staff_work",
    ("consultation", "contact_email"): "consultation_contact",
    ("analysis", "started_by_id"): "staff_work",
    ("theme", "retired_by_id"): "staff_work",
    ("theme_assignment", "assigned_by_id"): "staff_work",
    ("theme_assignment", "confirmed_by_id"): "staff_work",
    ("theme_assignment", "removed_by_id"): "staff_work",
    ("theme_proposal", "decided_by_id"): "staff_work",
    ("synthesis", "updated_by_id"): "staff_work",
    ("action", "updated_by_id"): "staff_work",
    ("followup_report", "updated_by_id"): "staff_work",
    ("event", "created_by_id"): "staff_work",
    ("event", "summary_updated_by_id"): "staff_work",
    ("event", "contact_email"): "event_contact",
    ("event_session", "notes_updated_by_id"): "staff_work",
    ("group_chapter", "assigned_by_id"): "staff_work",
    ("group_chapter", "ended_by_id"): "staff_work",
    ("group_membership", "added_by_id"): "staff_work",
    ("group_membership", "user_id"): "group_memberships",
    ("registration", "user_id"): "event_registrations",
    # A place, not a person's address: given with each event registered for.
    ("event", "venue_address"): "event_registrations",
}

# The account's columns: exported as they are, or left out for the reason given.
ACCOUNT_FIELDS = (
    "id",
    "email",
    "email_confirmed_at",
    "display_name",
    "name_shown",
    "municipality",
    "category",
    "role",
    "locale",
    "email_notifications",
    "organisation_id",
    "organisation_claim",
    "organisation_checked_at",
    "blocked_at",
    "blocked_reason",
    "created_at",
    "erased_at",
    "pending_email",
)
ACCOUNT_LEFT_OUT = {
    "password_hash": "a one-way hash of the password: not the password, and a secret",
    "session_epoch": "a technical counter that signs the account out everywhere",
}

# What each top-level key holds (English, for whoever reads the file with a program).
ABOUT = {
    "format": "Always 'consult.my-data'.",
    "format_version": "Raised when a key changes meaning.",
    "generated_at": "When this file was made (ISO 8601, UTC).",
    "site": "The address of the site the data come from.",
    "about": "This description of the keys.",
    "account": "The account: e-mail (and 'pending_email', an address asked for but not yet "
    "confirmed), name and how it is shown, category, role, language, "
    "e-mail setting, organisation claim, block, and when each was set. Codes, not labels.",
    "organisation": "The organisation the account speaks for (null if none).",
    "comments": "Every comment and reply written, in every status (also withdrawn, rejected "
    "and hidden ones), with the round, consultation and paragraph or section it is on, the "
    "moderation decision, the themes staff placed it in, and 'revisions': every earlier text.",
    "agreements": "Each comment agreed with: its number, link and round, and when.",
    "reports_made": "Each report of another person's comment: reason, note, status, times.",
    "notifications": "The notifications listed on the site, with their parameters.",
    "follows": "The consultations followed, and since when.",
    "emails": "The e-mails sent (or waiting) to the account's address. Links in account e-mails "
    "(confirmation, password reset) are replaced by '[link removed]'.",
    "audit": "'about_you': logged actions on the account and its comments (the actor is given "
    "as a role); 'by_you': logged actions the account took, without the object's data.",
    "staff_work": "For staff: moderation, analysis and synthesis work recorded with the "
    "account, as (what, object number, when). Empty for participants.",
    "consultation_contact": "Consultations that name the account's e-mail address as contact.",
    "event_registrations": "Each registration for a dialogue event: the event, a place or the "
    "waiting list, the dietary and accessibility needs given (until they are deleted after "
    "the event), and whether the person attended.",
    "group_memberships": "Each membership of a working group, with the role, the category and "
    "organisation as they were when joining, and the dates of joining and leaving.",
    "event_contact": "Events that name the account's e-mail address as contact.",
    "fields": "What each key of the objects above means ('comments.round' is the object under "
    "'round' in each comment).",
}

_ROUND = {
    "id": "The round's number in the database.",
    "number": "The round's number within its consultation (1, 2, ...).",
    "title": "The round's title.",
    "consultation_title": "The consultation's title.",
    "consultation_slug": "The consultation's name in its address (/samrad/<slug>/).",
}
_AT = "A time, ISO 8601 in UTC; null if it did not happen."
FIELDS: dict[str, dict[str, str]] = {
    "account": {
        "id": "The account's number.",
        "email": "The e-mail address.",
        "email_confirmed_at": "When the address was confirmed (null: not confirmed).",
        "display_name": "The name given at registration.",
        "name_shown": "How the name is shown publicly: full, initial or hidden.",
        "municipality": "The municipality shown when the name is hidden.",
        "category": "The stakeholder category (a code).",
        "role": "participant, staff or admin.",
        "locale": "The interface language (sv, en), or null.",
        "email_notifications": "Whether notifications are also sent by e-mail.",
        "organisation_id": "The organisation's number, or null.",
        "organisation_claim": "claimed, verified or rejected: staff's check of the claim.",
        "organisation_checked_at": "When staff checked the claim.",
        "blocked_at": "When the account was blocked from writing (null: not blocked).",
        "blocked_reason": "Why it was blocked.",
        "created_at": "When the account was made.",
        "erased_at": "When the account was closed (null: open).",
        "pending_email": "The address of the latest request to change the e-mail address, "
        "until its link is opened (null: none).",
    },
    "organisation": {
        "id": "The organisation's number.",
        "name": "Its name.",
        "category": "Its stakeholder category (a code).",
        "claim_status": "claimed, verified or rejected.",
        "checked_at": "When staff checked the claim.",
    },
    "comments": {
        "id": "The comment's number.",
        "url": "Its address on the site.",
        "parent_id": "For a reply, the number of the comment replied to.",
        "kind": "comment, question or proposal.",
        "stance": "agree, partly or disagree, or null.",
        "body": "The text as it reads now.",
        "proposed_text": "For a proposal, the proposed wording.",
        "status": "pending, published, hidden, rejected or withdrawn.",
        "created_at": "When it was written.",
        "updated_at": "When its text or status last changed.",
        "author_category": "The account's category when it was written.",
        "author_organisation_name": "The organisation it was written for, or null.",
        "agreement_count": "How many people agreed with it.",
        "open_report_count": "How many open reports it has (not who made them).",
        "moderated_at": "When a moderator last decided on it.",
        "moderation_reason": "The reason code of that decision.",
        "moderation_note": "The moderator's explanation, as shown to the author.",
        "round": "The round it was written in (see comments.round).",
        "place": "What it is on (see comments.place).",
        "themes": "The names of the themes staff's analysis placed it in.",
        "revisions": "Every earlier text, oldest first (see comments.revisions).",
    },
    "comments.round": _ROUND,
    "comments.place": {
        "type": "paragraph, section or document.",
        "number": "The paragraph's or section's number in the draft.",
        "anchor": "Its anchor in the draft's address (#anchor).",
        "text": "The paragraph's text.",
        "heading": "The section's heading.",
    },
    "comments.revisions": {
        "kind": "As for the comment.",
        "stance": "As for the comment.",
        "body": "The earlier text.",
        "proposed_text": "The earlier proposed wording.",
        "written_at": "When this text was written.",
        "replaced_at": "When it was replaced by an edit.",
        "was_published": "Whether this text was ever public.",
    },
    "agreements": {
        "comment_id": "The number of the comment agreed with.",
        "url": "Its address.",
        "round": "Its round (as comments.round).",
        "created_at": "When.",
    },
    "agreements.round": _ROUND,
    "reports_made": {
        "comment_id": "The number of the comment reported.",
        "url": "Its address.",
        "round": "Its round (as comments.round).",
        "reason": "The reason code given.",
        "note": "The note written.",
        "status": "open, upheld or dismissed.",
        "created_at": "When it was reported.",
        "resolved_at": "When a moderator handled it.",
    },
    "reports_made.round": _ROUND,
    "notifications": {
        "id": "The notification's number.",
        "kind": "What happened, e.g. comment.approved.",
        "params": "The details its text is made from.",
        "url": "Where it links to.",
        "created_at": "When it was made.",
        "read_at": "When it was read on the site.",
    },
    "follows": {
        "consultation_title": "The consultation followed.",
        "url": "Its address.",
        "created_at": "Since when.",
    },
    "emails": {
        "to_address": "The address it was sent to.",
        "subject": "Its subject.",
        "body": "Its text.",
        "created_at": "When it was written.",
        "sent_at": "When it was sent (null: not yet).",
    },
    "audit": {
        "about_you": "Entries about the account and its comments.",
        "by_you": "Entries of actions the account took.",
    },
    "audit.about_you": {
        "action": "What was done, as object.verb (e.g. comment.hide).",
        "object_type": "user_account or comment.",
        "object_id": "The account's or comment's number.",
        "by": "you, staff, administrator or system.",
        "reason": "The reason given.",
        "changes": "The fields changed: {field: {before, after}}.",
        "created_at": "When.",
    },
    "audit.by_you": {
        "action": "What was done.",
        "object_type": "The kind of object.",
        "object_id": "Its number.",
        "reason": "The reason given.",
        "created_at": "When.",
    },
    "staff_work": {
        "what": "The kind of work, e.g. comment.moderated.",
        "object_id": "The number of what was worked on.",
        "at": "When.",
    },
    "consultation_contact": {
        "consultation_title": "The consultation.",
        "url": "Its address.",
        "contact_name": "The contact name given.",
        "contact_email": "The contact address given.",
    },
    "event_registrations": {
        "event_title": "The event.",
        "url": "Its address.",
        "starts_at": "When the event starts.",
        "venue_address": "The address of the event's venue.",
        "status": "confirmed (a place), waiting (the waiting list) or cancelled.",
        "category": "The stakeholder category when registering (a code).",
        "organisation_name": "The organisation when registering, or null.",
        "dietary_needs": "The dietary needs given, or null.",
        "accessibility_needs": "The accessibility needs given, or null.",
        "needs_erased_at": "When the needs were deleted after the event.",
        "created_at": "When the registration was made.",
        "queued_at": "The time that orders the waiting list.",
        "promoted_at": "When a place from the waiting list was given.",
        "cancelled_at": "When it was cancelled.",
        "attended": "Whether the person attended (null: not recorded).",
    },
    "group_memberships": {
        "group_name": "The working group.",
        "url": "Its address.",
        "role": "chair, secretary or member.",
        "category": "The stakeholder category when joining (a code).",
        "organisation_name": "The organisation when joining, or null.",
        "joined_at": "When the membership began.",
        "left_at": "When it ended (null: still a member).",
    },
    "event_contact": {
        "event_title": "The event.",
        "url": "Its address.",
        "contact_name": "The contact name given.",
        "contact_email": "The contact address given.",
    },
}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(obj: Any, fields: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {name: _value(getattr(obj, name)) for name in fields}


def authorise(actor: User | None, user: User) -> None:
    """Raise NotAllowed unless ``actor`` is ``user`` or staff acting on a request."""
    if not signed_in(actor):
        raise NotAllowed()
    if actor.id != user.id:
        require_staff(actor)


def get_subject(session: Session, actor: User, user_id: int) -> User:
    """Return the user whose data staff are about to export, or raise NotFound."""
    require_staff(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def collect(
    session: Session, actor: User, user: User, *, now: datetime, base_url: str = ""
) -> dict[str, Any]:
    """Return everything stored about ``user`` as JSON-ready values (see ``ABOUT``).

    Only the user themself or staff may ask; staff use ``export_for_request``, which audits.
    """
    authorise(actor, user)
    base = base_url.rstrip("/")
    comments = _comments(session, user, base)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": now.isoformat(),
        "site": base,
        "about": ABOUT,
        "fields": FIELDS,
        "account": _row(user, ACCOUNT_FIELDS),
        "organisation": _organisation(user),
        "comments": comments,
        "agreements": _agreements(session, user, base),
        "reports_made": _reports(session, user, base),
        "notifications": _notifications(session, user),
        "follows": _follows(session, user, base),
        "emails": _emails(session, user),
        "audit": _audit(session, user, [c["id"] for c in comments]),
        "staff_work": _staff_work(session, user),
        "consultation_contact": _contact(session, user, base),
        "event_registrations": _registrations(session, user, base),
        "group_memberships": _memberships(session, user, base),
        "event_contact": _event_contact(session, user, base),
    }


def export_for_request(
    session: Session,
    actor: User,
    user_id: int,
    *,
    reason: str,
    now: datetime,
    base_url: str = "",
) -> tuple[User, dict[str, Any]]:
    """Staff export a user's data on their request; the export is audited and committed.

    ``reason`` (e.g. the case number of the request) is required and kept in the log.
    """
    from .services import clean_reason

    require_staff(actor)
    clean = clean_reason(reason, required=True)
    user = get_subject(session, actor, user_id)
    data = collect(session, actor, user, now=now, base_url=base_url)
    counts = {key: len(data[key]) for key in ("comments", "agreements", "reports_made")}
    audit.record(session, actor, "user.export", user, None, counts, clean, now=now)
    session.commit()
    return user, data


def _organisation(user: User) -> dict[str, Any] | None:
    organisation = user.organisation
    if organisation is None:
        return None
    return {
        "id": organisation.id,
        "name": organisation.name,
        "category": _value(organisation.category),
        "claim_status": _value(user.organisation_claim),
        "checked_at": _value(user.organisation_checked_at),
    }


def _link(base: str, path: str) -> str:
    return f"{base}{path}"


def _round(round_: Round) -> dict[str, Any]:
    consultation = round_.consultation
    return {
        "id": round_.id,
        "number": round_.number,
        "title": round_.title,
        "consultation_title": consultation.title,
        "consultation_slug": consultation.slug,
    }


def _place(paragraph: Paragraph | None, section: Section | None) -> dict[str, Any]:
    if paragraph is not None:
        return {
            "type": "paragraph",
            "number": paragraph.number,
            "anchor": paragraph.anchor,
            "text": paragraph.text,
        }
    if section is not None:
        return {
            "type": "section",
            "number": section.number,
            "anchor": section.anchor,
            "heading": section.heading,
        }
    return {"type": "document"}


COMMENT_FIELDS = (
    "id",
    "parent_id",
    "kind",
    "stance",
    "body",
    "proposed_text",
    "status",
    "created_at",
    "updated_at",
    "author_category",
    "author_organisation_name",
    "agreement_count",
    "open_report_count",
    "moderated_at",
    "moderation_reason",
    "moderation_note",
)
REVISION_FIELDS = (
    "kind",
    "stance",
    "body",
    "proposed_text",
    "written_at",
    "replaced_at",
    "was_published",
)


def _themes(session: Session, comment_ids: list[int]) -> dict[int, list[str]]:
    if not comment_ids:
        return {}
    rows = session.execute(
        select(ThemeAssignment.comment_id, Theme.name)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(
            ThemeAssignment.comment_id.in_(comment_ids),
            ThemeAssignment.removed_at.is_(None),
            Theme.retired_at.is_(None),
        )
        .order_by(Theme.position, Theme.id)
    )
    themes: dict[int, list[str]] = {}
    for comment_id, name in rows:
        themes.setdefault(comment_id, []).append(name)
    return themes


def _comments(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    comments = session.scalars(
        select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at, Comment.id)
    ).all()
    themes = _themes(session, [c.id for c in comments])
    exported = []
    for comment in comments:
        row = _row(comment, COMMENT_FIELDS)
        row["url"] = _link(base, f"/synpunkter/{comment.id}")
        row["round"] = _round(comment.round)
        row["place"] = _place(comment.paragraph, comment.section)
        row["themes"] = themes.get(comment.id, [])
        row["revisions"] = [_row(r, REVISION_FIELDS) for r in comment.revisions]
        exported.append(row)
    return exported


def _agreements(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Agreement, Comment)
        .join(Comment, Comment.id == Agreement.comment_id)
        .where(Agreement.user_id == user.id)
        .order_by(Agreement.created_at, Agreement.id)
    )
    # Only where the comment is: its text is its author's, and may since have been hidden.
    return [
        {
            "comment_id": comment.id,
            "url": _link(base, f"/synpunkter/{comment.id}"),
            "round": _round(comment.round),
            "created_at": _value(agreement.created_at),
        }
        for agreement, comment in rows
    ]


def _reports(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    reports = session.scalars(
        select(Report).where(Report.reporter_id == user.id).order_by(Report.created_at, Report.id)
    )
    return [
        {
            "comment_id": report.comment_id,
            "url": _link(base, f"/synpunkter/{report.comment_id}"),
            "round": _round(report.comment.round),
            **_row(report, ("reason", "note", "status", "created_at", "resolved_at")),
        }
        for report in reports
    ]


def _notifications(session: Session, user: User) -> list[dict[str, Any]]:
    notifications = session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at, Notification.id)
    )
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "params": json.loads(n.params or "{}"),
            "url": n.url,
            "created_at": _value(n.created_at),
            "read_at": _value(n.read_at),
        }
        for n in notifications
    ]


def _follows(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Follow, Consultation)
        .join(Consultation, Consultation.id == Follow.consultation_id)
        .where(Follow.user_id == user.id)
        .order_by(Follow.created_at, Follow.id)
    )
    return [
        {
            "consultation_title": consultation.title,
            "url": _link(base, f"/samrad/{consultation.slug}/"),
            "created_at": _value(follow.created_at),
        }
        for follow, consultation in rows
    ]


LINK = re.compile(r"https?://\S+")


def _emails(session: Session, user: User) -> list[dict[str, Any]]:
    # By owner, never by address: an address may have belonged to another account before.
    mine = select(Notification.id).where(Notification.user_id == user.id)
    emails = session.scalars(
        select(OutboxEmail)
        .where(or_(OutboxEmail.user_id == user.id, OutboxEmail.notification_id.in_(mine)))
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    )
    exported = []
    for email in emails:
        body = email.body
        if email.notification_id is None:
            # An account e-mail (confirmation, password reset): its link may still work.
            body = LINK.sub("[link removed]", body)
        exported.append(
            {
                "to_address": email.to_address,
                "subject": email.subject,
                "body": body,
                "created_at": _value(email.created_at),
                "sent_at": _value(email.sent_at),
            }
        )
    return exported


def _actor_role(entry: AuditEntry, user: User) -> str:
    if entry.actor_id is None:
        return "system"
    if entry.actor_id == user.id:
        return "you"
    actor = entry.actor
    return "administrator" if actor is not None and actor.role == Role.ADMIN else "staff"


def _audit(session: Session, user: User, comment_ids: list[int]) -> dict[str, list]:
    about = or_(
        (AuditEntry.object_type == "user_account") & (AuditEntry.object_id == user.id),
        (AuditEntry.object_type == "comment") & AuditEntry.object_id.in_(comment_ids or [-1]),
    )
    about_you = [
        {
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "by": _actor_role(entry, user),
            "reason": entry.reason,
            "changes": {
                c.field: {"before": c.before, "after": c.after} for c in audit.changes(entry)
            },
            "created_at": _value(entry.created_at),
        }
        for entry in session.scalars(
            select(AuditEntry).where(about).order_by(AuditEntry.created_at, AuditEntry.id)
        )
    ]
    # What they did: the action, its object and their reason, not the object's data (which
    # may be someone else's).
    by_you = [
        {
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "reason": entry.reason,
            "created_at": _value(entry.created_at),
        }
        for entry in session.scalars(
            select(AuditEntry)
            .where(AuditEntry.actor_id == user.id, ~about)
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    ]
    return {"about_you": about_you, "by_you": by_you}


# (what, model, the account column, the time column) of the staff work kept with an account.
STAFF_WORK = (
    ("comment.moderated", Comment, "moderated_by_id", "moderated_at"),
    ("report.resolved", Report, "resolved_by_id", "resolved_at"),
    ("consultation.owned", Consultation, "owner_id", "created_at"),
    ("analysis.started", Analysis, "started_by_id", "created_at"),
    ("theme.retired", Theme, "retired_by_id", "retired_at"),
    ("theme_assignment.assigned", ThemeAssignment, "assigned_by_id", "assigned_at"),
    ("theme_assignment.confirmed", ThemeAssignment, "confirmed_by_id", "confirmed_at"),
    ("theme_assignment.removed", ThemeAssignment, "removed_by_id", "removed_at"),
    ("theme_proposal.decided", ThemeProposal, "decided_by_id", "decided_at"),
    ("synthesis.updated", Synthesis, "updated_by_id", "updated_at"),
    ("action.updated", Action, "updated_by_id", "updated_at"),
    ("followup_report.updated", FollowupReport, "updated_by_id", "updated_at"),
)


def _staff_work(session: Session, user: User) -> list[dict[str, Any]]:
    work = []
    for what, model, column, at in STAFF_WORK:
        rows = session.execute(
            select(model.id, getattr(model, at)).where(getattr(model, column) == user.id)
        )
        work.extend({"what": what, "object_id": i, "at": _value(when)} for i, when in rows)
    return sorted(work, key=lambda w: (w["at"] or "", w["what"], w["object_id"]))


def _contact(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    consultations = session.scalars(
        select(Consultation)
        .where(func.lower(Consultation.contact_email) == user.email.lower())
        .order_by(Consultation.id)
    )
    return [
        {
            "consultation_title": c.title,
            "url": _link(base, f"/samrad/{c.slug}/"),
            "contact_name": c.contact_name,
            "contact_email": c.contact_email,
        }
        for c in consultations
    ]


REGISTRATION_FIELDS = (
    "status",
    "category",
    "organisation_name",
    "dietary_needs",
    "accessibility_needs",
    "needs_erased_at",
    "created_at",
    "queued_at",
    "promoted_at",
    "cancelled_at",
    "attended",
)


def _registrations(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Registration, Event, Consultation)
        .join(Event, Event.id == Registration.event_id)
        .join(Consultation, Consultation.id == Event.consultation_id)
        .where(Registration.user_id == user.id)
        .order_by(Registration.created_at, Registration.id)
    )
    return [
        {
            "event_title": event.title,
            "url": _link(base, event_path(event)),
            "starts_at": _value(event.starts_at),
            "venue_address": event.venue_address,
            **_row(registration, REGISTRATION_FIELDS),
        }
        for registration, event, consultation in rows
    ]


def _memberships(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(GroupMembership, WorkingGroup, Consultation)
        .join(WorkingGroup, WorkingGroup.id == GroupMembership.group_id)
        .join(Consultation, Consultation.id == WorkingGroup.consultation_id)
        .where(GroupMembership.user_id == user.id)
        .order_by(GroupMembership.joined_at, GroupMembership.id)
    )
    return [
        {
            "group_name": group.name,
            "url": _link(base, group_path(group)),
            **_row(membership, ("role", "category", "organisation_name", "joined_at", "left_at")),
        }
        for membership, group, consultation in rows
    ]


def _event_contact(session: Session, user: User, base: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Event, Consultation)
        .join(Consultation, Consultation.id == Event.consultation_id)
        .where(func.lower(Event.contact_email) == user.email.lower())
        .order_by(Event.id)
    )
    return [
        {
            "event_title": event.title,
            "url": _link(base, event_path(event)),
            "contact_name": event.contact_name,
            "contact_email": event.contact_email,
        }
        for event, consultation in rows
    ]


def to_json(data: dict[str, Any]) -> bytes:
    """The export as UTF-8 JSON, indented for people who open it in an editor."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
