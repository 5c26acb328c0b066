"""Comments on a draft: their revisions, agreements and the reports of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from ..db import Base
from .base import UTCDateTime, enum_type, utcnow
from .consultations import Paragraph, Round, Section
from .enums import Category, CommentKind, CommentStatus, ReportStatus, Stance
from .people import User

if TYPE_CHECKING:
    from .process import Event, EventSession


class Comment(Base):
    """A comment, question or proposed wording on a paragraph, a section or the whole draft."""

    __tablename__ = "comment"
    __table_args__ = (
        UniqueConstraint("author_id", "submission_key"),
        # Covering: the round's comments by state with the figures the theme board and the
        # drill-down count, filter and sort by, read from here instead of the (wide) rows.
        Index(
            "ix_comment_round_figures",
            "round_id",
            "status",
            "parent_id",
            "author_category",
            "stance",
            "kind",
            "paragraph_id",
            "section_id",
            "author_organisation_id",
            "created_at",
        ),
        # One target's comments in time order, with their state: a thread's page and count.
        Index(
            "ix_comment_target",
            "round_id",
            "paragraph_id",
            "section_id",
            "parent_id",
            "created_at",
            "status",
        ),
        # The comments waiting for staff (``moderation_queue.in_queue``): the menu's count.
        Index("ix_comment_queue", "status", "open_report_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    paragraph_id: Mapped[int | None] = mapped_column(ForeignKey("paragraph.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The author's category and organisation as they were when the comment was written.
    author_category: Mapped[Category] = mapped_column(enum_type(Category, "category"))
    author_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    author_organisation_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[CommentKind] = mapped_column(enum_type(CommentKind, "comment_kind"))
    stance: Mapped[Stance | None] = mapped_column(enum_type(Stance, "stance"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str | None] = mapped_column(Text)
    # The proposal as a word diff against the paragraph as it read when the comment was written.
    proposal_diff: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(enum_type(CommentStatus, "comment_status"))
    submission_key: Mapped[str] = mapped_column(String(64))
    agreement_count: Mapped[int] = mapped_column(Integer, default=0)
    # Open reports by distinct users; kept in step with the report table by the moderation service.
    open_report_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The last moderation decision: when, by whom, why (a reason code and free text).
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    moderation_reason: Mapped[str | None] = mapped_column(String(40))
    moderation_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A point raised at a dialogue event (and the session of it), recorded on the draft by
    # staff or the group's secretary (the author); None for what was written here.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    event_session_id: Mapped[int | None] = mapped_column(ForeignKey("event_session.id"), index=True)

    author: Mapped[User] = relationship(lazy="joined", foreign_keys=[author_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    paragraph: Mapped[Paragraph | None] = relationship()
    section: Mapped[Section | None] = relationship()
    round: Mapped[Round] = relationship()
    event: Mapped[Event | None] = relationship()
    event_session: Mapped[EventSession | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id], back_populates="replies")
    replies: Mapped[list[Comment]] = relationship(
        order_by="Comment.created_at", back_populates="parent"
    )
    revisions: Mapped[list[CommentRevision]] = relationship(
        order_by="CommentRevision.id", back_populates="comment"
    )

    @staticmethod
    def written_by(author: User) -> dict:
        """Return the author columns: who, and their category and organisation right now."""
        return {
            "author_id": author.id,
            "author_category": author.category,
            "author_organisation_id": author.organisation_id,
            "author_organisation_name": author.organisation.name if author.organisation else None,
        }


class CommentRevision(Base):
    """An earlier text of an edited comment: edits never overwrite what was said."""

    __tablename__ = "comment_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    kind: Mapped[CommentKind] = mapped_column(enum_type(CommentKind, "comment_kind"))
    stance: Mapped[Stance | None] = mapped_column(enum_type(Stance, "stance"))
    body: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str | None] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether this text was ever public: a text a moderator never approved stays unseen.
    was_published: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    comment: Mapped[Comment] = relationship(back_populates="revisions")


class Agreement(Base):
    """One person's agreement with a comment (at most one per person and comment)."""

    __tablename__ = "agreement"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(Base):
    """A participant's report that a comment breaks the rules; one per user and comment."""

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ReportStatus] = mapped_column(
        enum_type(ReportStatus, "report_status"), default=ReportStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    comment: Mapped[Comment] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
