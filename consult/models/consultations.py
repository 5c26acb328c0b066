"""Consultations, their rounds and the drafts (sections and paragraphs) they publish."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from ..db import Base
from .base import UTCDateTime, enum_type, utcnow
from .enums import Commenters, ModerationMode, ParagraphChange
from .people import User


class Consultation(Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship()
    rounds: Mapped[list[Round]] = relationship(
        back_populates="consultation", order_by="Round.number"
    )


class Round(Base):
    """One version of the draft open for comment between ``opens_at`` and ``closes_at``."""

    __tablename__ = "round"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an administrator closes the round before its deadline.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderation: Mapped[ModerationMode] = mapped_column(
        enum_type(ModerationMode, "moderation"), default=ModerationMode.POST
    )
    # Everyone with an account, or only people whose organisation is verified. Stored and
    # set by administrators; commenting enforces it once organisations can be verified.
    commenters: Mapped[Commenters] = mapped_column(
        enum_type(Commenters, "commenters"),
        default=Commenters.REGISTERED,
        server_default=Commenters.REGISTERED.value,
    )
    # Only people who have confirmed their e-mail address may comment.
    confirmed_email_only: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Distinct open reports that hide a comment pending review (post-moderation).
    report_threshold: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # When followers were told that the round opened / closed (the state itself is computed).
    opening_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised by every write that changes what the round's pages count or show (comments,
    # agreements, moderation, analyses): cached figures are keyed by it (consult.caching).
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Raised with it by every such write except a new comment (which has no theme yet): the
    # theme board's per-theme figures are keyed by this one.
    theme_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    consultation: Mapped[Consultation] = relationship(back_populates="rounds")
    document: Mapped[Document | None] = relationship(back_populates="round", uselist=False)


class Document(Base):
    """The draft of one round: a tree of sections holding paragraphs."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    # The Markdown the draft was imported from: kept, never shown (loaded only when read).
    source: Mapped[str] = mapped_column(Text, default="", deferred=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="document")
    sections: Mapped[list[Section]] = relationship(
        order_by="Section.position", back_populates="document"
    )
    paragraphs: Mapped[list[Paragraph]] = relationship(
        order_by="Paragraph.position", back_populates="document"
    )


class Section(Base):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("document_id", "anchor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    position: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    heading: Mapped[str] = mapped_column(String(300))
    anchor: Mapped[str] = mapped_column(String(40))

    document: Mapped[Document] = relationship(back_populates="sections")
    parent: Mapped[Section | None] = relationship(remote_side=[id])


class Paragraph(Base):
    """A block of the draft (paragraph, list or table) with a stable anchor."""

    __tablename__ = "paragraph"
    __table_args__ = (UniqueConstraint("document_id", "anchor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))
    # Identity across versions of the draft; the anchor is derived from it.
    key: Mapped[str] = mapped_column(String(32))
    anchor: Mapped[str] = mapped_column(String(40))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    # In a later round's draft: the previous round's paragraph this one continues, and how.
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("paragraph.id"), index=True)
    change: Mapped[ParagraphChange | None] = mapped_column(
        enum_type(ParagraphChange, "paragraph_change")
    )

    document: Mapped[Document] = relationship(back_populates="paragraphs")
    section: Mapped[Section | None] = relationship()
