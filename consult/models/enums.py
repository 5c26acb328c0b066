"""The enumerations stored in the model's columns (as their string values)."""

from __future__ import annotations

import enum


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


class NameShown(enum.StrEnum):
    """How much of a person's name the public sees beside what they wrote.

    Staff always see the full name. An organisation's representative is shown with the
    organisation; ``HIDDEN`` then shows the organisation alone.
    """

    FULL = "full"
    INITIAL = "initial"  # first name and the initial of the last: "Anna L."
    HIDDEN = "hidden"  # "Privatperson, Umeå" or the organisation alone


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


class GroupRole(enum.StrEnum):
    """A working-group member's part in the group."""

    CHAIR = "chair"  # ordförande
    SECRETARY = "secretary"  # sekreterare
    MEMBER = "member"


class EventKind(enum.StrEnum):
    """Where a dialogue event takes place."""

    ON_SITE = "on_site"
    ONLINE = "online"
    HYBRID = "hybrid"  # on site with a livestream


class RegistrationStatus(enum.StrEnum):
    """A registration for an event: a place, a place in the queue, or given up."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class StrategyKind(enum.StrEnum):
    """A region's own strategy, or an outside framework it follows (e.g. Europa 2020)."""

    STRATEGY = "strategy"
    FRAMEWORK = "framework"


class ActionStatus(enum.StrEnum):
    """Where an action (insats) of a strategy stands."""

    PLANNED = "planned"
    ONGOING = "ongoing"
    DONE = "done"
    STOPPED = "stopped"


class Direction(enum.StrEnum):
    """Which way an indicator should move."""

    HIGHER = "higher"
    LOWER = "lower"
