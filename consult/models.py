"""The data model: accounts, consultations with their rounds and drafts, and comments."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.sql.expression import false, true

from .db import Base


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    STAFF = "staff"
    ADMIN = "admin"


class Category(enum.StrEnum):
    """Stakeholder categories (intressentkategori)."""

    BUSINESS = "naringsliv"
    CIVIL_SOCIETY = "civilsamhalle"
    MUNICIPALITY = "kommun"
    REGION = "region"
    ACADEMIA = "akademi"
    STATE_AGENCY = "statlig_myndighet"
    INDIVIDUAL = "privatperson"


class ModerationMode(enum.StrEnum):
    PRE = "pre"
    POST = "post"


class Commenters(enum.StrEnum):
    """Who may comment in a round."""

    REGISTERED = "registered"
    VERIFIED = "verified"


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    QUESTION = "question"
    PROPOSAL = "proposal"


class Stance(enum.StrEnum):
    AGREE = "agree"
    PARTLY = "partly"
    DISAGREE = "disagree"


class CommentStatus(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ClaimStatus(enum.StrEnum):
    """Whether staff have checked a user's claim to speak for their organisation."""

    CLAIMED = "claimed"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ParagraphChange(enum.StrEnum):
    """How a paragraph of a later round's draft relates to the previous round's draft."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    NEW = "new"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    # Staff looked at the comment and left it (or put it back) as it was.
    DISMISSED = "dismissed"
    # Staff agreed and hid the comment.
    UPHELD = "upheld"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, whitespace-collapsed name: one organisation per spelling.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[Category] = mapped_column(_enum(Category, "category"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when staff merged this organisation into another; it then has no members left.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.PARTICIPANT)
    category: Mapped[Category] = mapped_column(_enum(Category, "category"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The claim to speak for ``organisation``, as checked by staff.
    organisation_claim: Mapped[ClaimStatus] = mapped_column(
        _enum(ClaimStatus, "claim_status"),
        default=ClaimStatus.CLAIMED,
        server_default=ClaimStatus.CLAIMED.value,
    )
    organisation_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A blocked user can sign in and read, but not write, agree or report.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    # E-mail notifications; the in-app list is kept either way.
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def is_blocked(self) -> bool:
        """True while the user is blocked from writing."""
        return self.blocked_at is not None

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
        _enum(ModerationMode, "moderation"), default=ModerationMode.POST
    )
    # Everyone with an account, or only people whose organisation is verified. Stored and
    # set by administrators; commenting enforces it once organisations can be verified.
    commenters: Mapped[Commenters] = mapped_column(
        _enum(Commenters, "commenters"),
        default=Commenters.REGISTERED,
        server_default=Commenters.REGISTERED.value,
    )
    # Distinct open reports that hide a comment pending review (post-moderation).
    report_threshold: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # When followers were told that the round opened / closed (the state itself is computed).
    opening_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="rounds")
    document: Mapped[Document | None] = relationship(back_populates="round", uselist=False)


class Document(Base):
    """The draft of one round: a tree of sections holding paragraphs."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text, default="")
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
        _enum(ParagraphChange, "paragraph_change")
    )

    document: Mapped[Document] = relationship(back_populates="paragraphs")
    section: Mapped[Section | None] = relationship()


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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"))
    paragraph_id: Mapped[int | None] = mapped_column(ForeignKey("paragraph.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The author's category and organisation as they were when the comment was written.
    author_category: Mapped[Category] = mapped_column(_enum(Category, "category"))
    author_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    author_organisation_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[CommentKind] = mapped_column(_enum(CommentKind, "comment_kind"))
    stance: Mapped[Stance | None] = mapped_column(_enum(Stance, "stance"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str | None] = mapped_column(Text)
    # The proposal as a word diff against the paragraph as it read when the comment was written.
    proposal_diff: Mapped[str | None] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(_enum(CommentStatus, "comment_status"))
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

    author: Mapped[User] = relationship(lazy="joined", foreign_keys=[author_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    paragraph: Mapped[Paragraph | None] = relationship()
    section: Mapped[Section | None] = relationship()
    round: Mapped[Round] = relationship()
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
    kind: Mapped[CommentKind] = mapped_column(_enum(CommentKind, "comment_kind"))
    stance: Mapped[Stance | None] = mapped_column(_enum(Stance, "stance"))
    body: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str | None] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="revisions")


class Agreement(Base):
    """One person's agreement with a comment (at most one per person and comment)."""

    __tablename__ = "agreement"
    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One administration or moderation action: who did what to which object, when and why."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # What was done, as "object.verb", e.g. "round.extend".
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    # The changed fields before and after, as JSON objects.
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


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
        _enum(ReportStatus, "report_status"), default=ReportStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    comment: Mapped[Comment] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])


class Follow(Base):
    """A user who wants to hear when a consultation's rounds open, change or close."""

    __tablename__ = "follow"
    __table_args__ = (UniqueConstraint("user_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """Something a user should know, listed in the app and, if they want, sent by e-mail."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # What happened, e.g. "comment.approved"; the text is rendered from it and ``params``.
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class OutboxEmail(Base):
    """An e-mail waiting to be sent (or sent); written in the transaction of its cause."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)

    notification: Mapped[Notification | None] = relationship()


class AnalysisStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Origin(enum.StrEnum):
    """Who made a theme or a theme tag: the theme engine, or a staff member."""

    MODEL = "model"
    STAFF = "staff"


class RetiredReason(enum.StrEnum):
    """Why a theme is no longer current (stored as these words in ``theme.retired_reason``)."""

    RERUN = "rerun"  # a later run of the analysis replaced it
    MERGED = "merged"  # staff merged it into another theme (``merged_into_id``)
    SPLIT = "split"  # staff split it into new themes (their ``split_from_id``)
    DELETED = "deleted"  # staff deleted it; its comments are without a theme


class Analysis(Base):
    """One run of the theme engine over a round's comments, with its progress and outcome."""

    __tablename__ = "analysis"
    __table_args__ = (
        # At most one queued or running job per round: a second start fails on insert.
        Index(
            "uq_analysis_active_round",
            "round_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    status: Mapped[AnalysisStatus] = mapped_column(
        _enum(AnalysisStatus, "analysis_status"), default=AnalysisStatus.QUEUED
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # The step under way, as a message key (see consult.analysis.labels).
    message: Mapped[str] = mapped_column(String(60), default="")
    error: Mapped[str | None] = mapped_column(Text)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    comment_count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Touched with every progress step: a running job that stops being touched has died.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written every few seconds by the running job, between its steps too: a running job
    # whose heartbeat stops has died (see consult.analysis.services.expire_stale).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The fitted theme model in nlp's safe file format (numpy arrays + JSON, no pickle).
    model_file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # The tagger trained on staff's tags when the run started (nlp's safe format), if enough.
    tagger_file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # JSON {model theme index: theme id or null}: where the run put each theme it found.
    theme_map: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[User | None] = relationship()
    round: Mapped[Round] = relationship()


# A current theme's name is its own in the round; retired themes keep theirs as history.
# (The services also refuse names that differ only in letter case.)
CURRENT_THEME = "retired_at IS NULL"


class Theme(Base):
    """A theme of a round's comments, found by the engine or made by staff."""

    __tablename__ = "theme"
    __table_args__ = (
        Index(
            "uq_theme_round_current_name",
            "round_id",
            "name",
            unique=True,
            sqlite_where=text(CURRENT_THEME),
            postgresql_where=text(CURRENT_THEME),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    # The run that found it (None for a theme staff made by hand).
    analysis_id: Mapped[int | None] = mapped_column(ForeignKey("analysis.id"), index=True)
    # Its number in that run's saved model, for placing new comments.
    model_index: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # JSON lists: the engine's keywords, and the ids of its most typical comments.
    keywords: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    representative_ids: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    origin: Mapped[Origin] = mapped_column(_enum(Origin, "origin"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Optimistic locking: an update names the version it read and fails if it changed since.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a later run replaced it, or staff merged, split or deleted it; tags stay as history.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was retired (None while current). A plain string column holding the enum's
    # values, without a check constraint, as it always was.
    retired_reason: Mapped[RetiredReason | None] = mapped_column(
        Enum(
            RetiredReason,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        )
    )
    retired_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The theme it was merged into, and the theme it was split from.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"))

    merged_into: Mapped[Theme | None] = relationship(
        remote_side=[id], foreign_keys=[merged_into_id]
    )
    retired_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


# A tag staff confirmed, made or removed; the agreement query spells it the same way.
STAFF_TOUCHED = "confirmed_at IS NOT NULL OR source = 'staff' OR removed_by_id IS NOT NULL"


class ThemeAssignment(Base):
    """A comment tagged with a theme, by the engine or by staff; removed tags are kept."""

    __tablename__ = "theme_assignment"
    __table_args__ = (
        # Both covering: a theme's current comments, and a comment's current themes.
        Index("ix_theme_assignment_theme_removed_comment", "theme_id", "removed_at", "comment_id"),
        Index("ix_theme_assignment_comment_removed_theme", "comment_id", "removed_at", "theme_id"),
        # The few tags staff confirmed, made or removed (the agreement figure reads these).
        Index(
            "ix_theme_assignment_staff",
            "theme_id",
            "comment_id",
            sqlite_where=text(STAFF_TOUCHED),
            postgresql_where=text(STAFF_TOUCHED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    source: Mapped[Origin] = mapped_column(_enum(Origin, "origin"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[float | None] = mapped_column(Float)
    # Placed into the themes of a finished analysis when the comment was published.
    after_analysis: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    comment: Mapped[Comment] = relationship()
    theme: Mapped[Theme] = relationship()

    @property
    def confirmed(self) -> bool:
        """True once staff have confirmed the tag."""
        return self.confirmed_at is not None


class ThemeProposal(Base):
    """The tagger's proposal that a comment belongs to a theme staff made by hand.

    Not a tag: it counts nowhere until staff accept it (which makes a staff tag) or reject it.
    """

    __tablename__ = "theme_proposal"
    __table_args__ = (
        Index("ix_theme_proposal_theme_decided", "theme_id", "decided_at"),
        # A comment is proposed for a theme once (the decision is kept on that row).
        Index("uq_theme_proposal_theme_comment", "theme_id", "comment_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted: Mapped[bool | None] = mapped_column(Boolean)

    comment: Mapped[Comment] = relationship()
    theme: Mapped[Theme] = relationship()


class CampaignGroup(Base):
    """Near-identical comments (a campaign or template answer) found by one analysis."""

    __tablename__ = "campaign_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analysis.id"), index=True)
    # The first comment of the group, shown for all of them.
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"))
    size: Mapped[int] = mapped_column(Integer)

    comment: Mapped[Comment] = relationship()


class AnalysedComment(Base):
    """What one analysis read in one comment: its campaign, if any, and the engine's stance."""

    __tablename__ = "analysed_comment"
    __table_args__ = (UniqueConstraint("analysis_id", "comment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analysis.id"))
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_group.id"), index=True)
    # support / oppose / change / neutral, as nlp.stance reads the text.
    stance: Mapped[str] = mapped_column(String(20))
    # The language nlp.language reads in the text: "sv", "en", another ISO code, or "und".
    language: Mapped[str] = mapped_column(String(8), default="und", server_default="und")


class Response(enum.StrEnum):
    """How the region answers a theme's or a paragraph's comments."""

    ACCEPTED = "accepted"
    PARTLY = "partly_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"


class WorkStatus(enum.StrEnum):
    """How far staff have come with a synthesis entry."""

    NOT_STARTED = "not_started"
    DRAFTED = "drafted"
    REVIEWED = "reviewed"


class Synthesis(Base):
    """Staff's summary of, and the region's response to, the comments on a theme or a paragraph.

    Exactly one of ``theme_id`` and ``paragraph_id`` is set.
    """

    __tablename__ = "synthesis"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id"), unique=True)
    paragraph_id: Mapped[int | None] = mapped_column(ForeignKey("paragraph.id"), unique=True)
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    response: Mapped[Response | None] = mapped_column(_enum(Response, "synthesis_response"))
    motivation: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[WorkStatus] = mapped_column(
        _enum(WorkStatus, "work_status"), default=WorkStatus.NOT_STARTED
    )
    # Optimistic locking, as for themes: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    theme: Mapped[Theme | None] = relationship()
    paragraph: Mapped[Paragraph | None] = relationship()
    updated_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
