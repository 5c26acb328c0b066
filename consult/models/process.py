"""The process around a consultation: working groups that own chapters of the draft, and the
dialogue events (with programme, workshop sessions and registrations) that feed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from ..db import Base
from .base import UTCDateTime, enum_type, utcnow
from .consultations import Consultation
from .enums import Category, EventKind, GroupRole, RegistrationStatus
from .people import User

CURRENT_CHAPTER = "ended_at IS NULL"
CURRENT_MEMBER = "left_at IS NULL"
ACTIVE_REGISTRATION = "status <> 'cancelled'"


class WorkingGroup(Base):
    """A working group (arbetsgrupp) drafting and answering for chapters of a consultation."""

    __tablename__ = "working_group"
    __table_args__ = (UniqueConstraint("consultation_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the group finished its work; its members, chapters and writing stay as history.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    chapters: Mapped[list[GroupChapter]] = relationship(
        back_populates="group", order_by="GroupChapter.assigned_at"
    )
    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", order_by="GroupMembership.joined_at"
    )


class GroupChapter(Base):
    """A group's responsibility for one chapter of the draft, from ``assigned_at`` until
    ``ended_at`` (when the chapter moved on or the group closed).

    A chapter is named by its section's anchor, which stays the same in every round's draft
    (a renamed heading keeps it), so the responsibility carries over to later versions.
    At most one group is responsible for a chapter at a time.
    """

    __tablename__ = "group_chapter"
    __table_args__ = (
        Index(
            "uq_group_chapter_current",
            "consultation_id",
            "section_anchor",
            unique=True,
            sqlite_where=text(CURRENT_CHAPTER),
            postgresql_where=text(CURRENT_CHAPTER),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id"), index=True)
    # The group's consultation, repeated so that the index above can hold it.
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    section_anchor: Mapped[str] = mapped_column(String(40))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    group: Mapped[WorkingGroup] = relationship(back_populates="chapters")


class GroupMembership(Base):
    """A person's membership of a working group from ``joined_at`` until ``left_at``.

    A person who leaves and joins again gets a new row, so the history shows both periods.
    The category and organisation are as they were when the person joined.
    """

    __tablename__ = "group_membership"
    __table_args__ = (
        Index(
            "uq_group_membership_current",
            "group_id",
            "user_id",
            unique=True,
            sqlite_where=text(CURRENT_MEMBER),
            postgresql_where=text(CURRENT_MEMBER),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[GroupRole] = mapped_column(enum_type(GroupRole, "group_role"))
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    group: Mapped[WorkingGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


# One event listed in several groups: a link, not a copy.
event_group = Table(
    "event_group",
    Base.metadata,
    Column("event_id", ForeignKey("event.id"), primary_key=True),
    Column("group_id", ForeignKey("working_group.id"), primary_key=True),
)


class Event(Base):
    """A dialogue event of a consultation: a kick-off day, a workshop, a webinar."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("consultation_id", "slug"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"))
    venue_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    stream_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    registration_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Places; None for no limit. Registrations beyond it go on the waiting list.
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised by every change to the event's registrations: the update takes the write lock
    # (a row lock on PostgreSQL, the database's on SQLite) before the places are counted.
    registration_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The summary of the day, written after the event.
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    consultation: Mapped[Consultation] = relationship()
    groups: Mapped[list[WorkingGroup]] = relationship(
        secondary=event_group, order_by="WorkingGroup.position"
    )
    programme: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="event", order_by="[ProgrammeItem.starts_at, ProgrammeItem.position]"
    )
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event", order_by="EventSession.position"
    )


class ProgrammeItem(Base):
    """One point of an event's programme: "10:00 Inledning"."""

    __tablename__ = "programme_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    event: Mapped[Event] = relationship(back_populates="programme")
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="programme_item", order_by="EventSession.position"
    )


class EventSession(Base):
    """A parallel session of an event (one of the afternoon's group workshops), with its notes."""

    __tablename__ = "event_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    # The programme point it runs in parallel within ("13:00 Arbete i grupperna").
    programme_item_id: Mapped[int | None] = mapped_column(ForeignKey("programme_item.id"))
    # The working group holding the session, if any.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("working_group.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    room: Mapped[str] = mapped_column(String(200), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    event: Mapped[Event] = relationship(back_populates="sessions")
    programme_item: Mapped[ProgrammeItem | None] = relationship(back_populates="sessions")
    group: Mapped[WorkingGroup | None] = relationship()


class Registration(Base):
    """A person's registration for an event: a place, or a place on the waiting list.

    The waiting list is ordered by ``queued_at`` (then id). Dietary and accessibility needs
    are seen by staff only and deleted a set time after the event (``needs_erased_at``).
    """

    __tablename__ = "registration"
    __table_args__ = (
        Index(
            "uq_registration_active",
            "event_id",
            "user_id",
            unique=True,
            sqlite_where=text(ACTIVE_REGISTRATION),
            postgresql_where=text(ACTIVE_REGISTRATION),
        ),
        Index("ix_registration_event_status", "event_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_type(RegistrationStatus, "registration_status")
    )
    # The person's category and organisation when they registered (attendance by category).
    category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    dietary_needs: Mapped[str | None] = mapped_column(Text)
    accessibility_needs: Mapped[str | None] = mapped_column(Text)
    needs_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a waiting registration got a place because someone cancelled.
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Marked by staff after the event; None until someone marked it.
    attended: Mapped[bool | None] = mapped_column(Boolean)

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship()
