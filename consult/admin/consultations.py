"""Consultations: the overview of them all, creating one and changing its title and address.

Every function takes the acting user and raises NotAllowed unless they are an administrator,
whatever the route in front of it checks. A change is committed together with its audit entry.
"""

from __future__ import annotations

import re
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..errors import Invalid, NotFound
from ..models import Consultation, User
from ..permissions import require_admin

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
CONSULTATION_FIELDS = ("title", "slug", "summary", "contact_name", "contact_email")


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
