"""Accounts and the organisations people write for."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import true

from ..db import Base
from .base import UTCDateTime, enum_type, utcnow
from .enums import Category, ClaimStatus, NameShown, Role


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, whitespace-collapsed name: one organisation per spelling.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when staff merged this organisation into another; it then has no members left.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"), default=Role.PARTICIPANT)
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The claim to speak for ``organisation``, as checked by staff.
    organisation_claim: Mapped[ClaimStatus] = mapped_column(
        enum_type(ClaimStatus, "claim_status"),
        default=ClaimStatus.CLAIMED,
        server_default=ClaimStatus.CLAIMED.value,
    )
    organisation_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A blocked user can sign in and read, but not write, agree or report.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    # E-mail notifications; the in-app list is kept either way.
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # When the owner of ``email`` followed the confirmation link; None until then.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised to sign the account out everywhere: a session remembers the epoch it began in.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The municipality (kommun) a private individual is shown with when their name is hidden.
    municipality: Mapped[str | None] = mapped_column(String(100))
    name_shown: Mapped[NameShown] = mapped_column(
        enum_type(NameShown, "name_shown"),
        default=NameShown.FULL,
        server_default=NameShown.FULL.value,
    )
    # Set when the account was closed and its personal data erased.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The address of the latest change-of-address request: only its link works.
    pending_email: Mapped[str | None] = mapped_column(String(254))

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember cookie: "<id>:<epoch>".

        Raising ``session_epoch`` makes every session begun before it stale (see
        ``auth.routes.load_user``).
        """
        return f"{self.id}:{self.session_epoch or 0}"

    @property
    def is_blocked(self) -> bool:
        """True while the user is blocked from writing."""
        return self.blocked_at is not None

    @property
    def is_confirmed(self) -> bool:
        """True once the user has confirmed their e-mail address."""
        return self.email_confirmed_at is not None

    @property
    def is_verified(self) -> bool:
        """True when staff have verified that the user speaks for their organisation."""
        return self.organisation_id is not None and self.organisation_claim == ClaimStatus.VERIFIED

    @property
    def is_staff(self) -> bool:
        """True for staff and administrators."""
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        """True for administrators."""
        return self.role == Role.ADMIN
