"""Theme analysis and synthesis: jobs, themes, tags, proposals, campaigns and responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship
from sqlalchemy.sql.expression import false

from ..db import Base
from .base import UTCDateTime, enum_type, utcnow
from .comments import Comment
from .consultations import Paragraph, Round
from .enums import AnalysisStatus, Origin, Response, RetiredReason, WorkStatus
from .people import User


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
        enum_type(AnalysisStatus, "analysis_status"), default=AnalysisStatus.QUEUED
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
    # The request that started the job (its X-Request-ID), logged by the worker that runs it.
    request_id: Mapped[str | None] = mapped_column(String(64))

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
    # JSON lists: the engine's keywords, the word forms that tie a comment to the theme
    # (marked in its drill-down), and the ids of its most typical comments.
    keywords: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    terms: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    representative_ids: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    origin: Mapped[Origin] = mapped_column(enum_type(Origin, "origin"))
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
    source: Mapped[Origin] = mapped_column(enum_type(Origin, "origin"))
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
    # support / oppose / change / neutral as the engine reads the text, or "unclear" where it
    # is not confident enough to show (see consult.analysis.stance_reading).
    stance: Mapped[str] = mapped_column(String(20))
    # The language nlp.language reads in the text: "sv", "en", another ISO code, or "und".
    language: Mapped[str] = mapped_column(String(8), default="und", server_default="und")


class CommentVector(Base):
    """A comment's sentence embedding (the theme engine's semantic view), computed in the
    background after it is written, so that no analysis embeds it again. ``digest`` is the
    hash of the text embedded: an edited comment's vector is computed anew."""

    __tablename__ = "comment_vector"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(64))
    dims: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(40))
    # nlp.semantic.compact: int8 components and their scale (388 bytes for 384 dimensions).
    data: Mapped[bytes] = mapped_column(LargeBinary)


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
    response: Mapped[Response | None] = mapped_column(enum_type(Response, "synthesis_response"))
    motivation: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[WorkStatus] = mapped_column(
        enum_type(WorkStatus, "work_status"), default=WorkStatus.NOT_STARTED
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
