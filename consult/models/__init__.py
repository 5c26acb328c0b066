"""The data model: accounts, consultations with their rounds and drafts, comments, what happens
around them, and the theme analysis and synthesis. One module per area; import from here."""

from .activity import AuditEntry, Follow, Notification, OutboxEmail  # noqa: F401
from .analysis import (  # noqa: F401
    AnalysedComment,
    Analysis,
    CampaignGroup,
    CommentVector,
    Synthesis,
    Theme,
    ThemeAssignment,
    ThemeProposal,
)
from .base import UTCDateTime, enum_type, utcnow  # noqa: F401
from .comments import Agreement, Comment, CommentRevision, Report  # noqa: F401
from .consultations import Consultation, Document, Paragraph, Round, Section  # noqa: F401
from .enums import (  # noqa: F401
    ActionStatus,
    AnalysisStatus,
    Category,
    ClaimStatus,
    Commenters,
    CommentKind,
    CommentStatus,
    Direction,
    EventKind,
    GroupRole,
    ModerationMode,
    NameShown,
    Origin,
    ParagraphChange,
    RegistrationStatus,
    ReportStatus,
    Response,
    RetiredReason,
    Role,
    Stance,
    StrategyKind,
    WorkStatus,
)
from .followup import (  # noqa: F401
    Action,
    ActionGoal,
    ActionSource,
    FollowupReport,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Milestone,
    Priority,
    ReportGoalNote,
    Strategy,
    action_area,
    action_sdg,
    goal_indicator,
    goal_sdg,
)
from .people import Organisation, User  # noqa: F401
from .process import (  # noqa: F401
    Event,
    EventSession,
    GroupChapter,
    GroupMembership,
    ProgrammeItem,
    Registration,
    WorkingGroup,
    event_group,
)
from .site import RetentionSetting, SitePage  # noqa: F401
