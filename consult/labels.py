"""Reader-facing names of the model's enumerations, translated."""

from flask_babel import lazy_gettext as _l

from .models import Category, CommentKind, CommentStatus, Stance

CATEGORY_LABELS = {
    Category.BUSINESS: _l("Business"),
    Category.CIVIL_SOCIETY: _l("Civil society"),
    Category.MUNICIPALITY: _l("Municipality"),
    Category.REGION: _l("Region"),
    Category.ACADEMIA: _l("Academia"),
    Category.STATE_AGENCY: _l("State agency"),
    Category.INDIVIDUAL: _l("Private individual"),
}
KIND_LABELS = {
    CommentKind.COMMENT: _l("Comment"),
    CommentKind.QUESTION: _l("Question"),
    CommentKind.PROPOSAL: _l("Proposed wording"),
}
STANCE_LABELS = {
    Stance.AGREE: _l("Agree"),
    Stance.PARTLY: _l("Partly agree"),
    Stance.DISAGREE: _l("Disagree"),
}
STATUS_LABELS = {
    CommentStatus.PENDING: _l("Waiting for review"),
    CommentStatus.PUBLISHED: _l("Published"),
    CommentStatus.HIDDEN: _l("Hidden by a moderator"),
    CommentStatus.REJECTED: _l("Rejected by a moderator"),
    CommentStatus.WITHDRAWN: _l("Withdrawn by you"),
}
HELD_LABEL = _l("Waiting for e-mail confirmation")


def status_label(comment):
    """The reader-facing status of ``comment``; a comment held until its author confirms their
    e-mail address says so rather than "waiting for review"."""
    if comment.status == CommentStatus.PENDING and not comment.author.is_confirmed:
        return HELD_LABEL
    return STATUS_LABELS[comment.status]
