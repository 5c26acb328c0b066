"""Reader-facing names for the follow-up's states and directions, and the messages of its
refusals. Every follow-up module and template takes its words from here."""

from flask_babel import lazy_gettext as _l

from ..models import ActionStatus, Direction, StrategyKind

STATUS_LABELS = {
    ActionStatus.PLANNED: _l("Planned"),
    ActionStatus.ONGOING: _l("Ongoing"),
    ActionStatus.DONE: _l("Done"),
    ActionStatus.STOPPED: _l("Stopped"),
}

DIRECTION_LABELS = {
    Direction.HIGHER: _l("Higher is better"),
    Direction.LOWER: _l("Lower is better"),
}

KIND_LABELS = {
    StrategyKind.STRATEGY: _l("Regional development strategy"),
    StrategyKind.FRAMEWORK: _l("Framework"),
}

MESSAGES = {
    "required": _l("Fill in this field."),
    "too_long": _l("The text is too long."),
    "unreadable": _l("The text contains characters that cannot be saved."),
    "choice": _l("Choose one of the options."),
    "number": _l("Give a number, for example 12.5."),
    "year": _l("Give a year from 1900 to 2100."),
    "date": _l("Give a date as YYYY-MM-DD."),
    "percent": _l("Give a whole percentage from 0 to 100."),
    "weight": _l("Give a whole number from 1 to 100."),
    "ends_before_start": _l("The end cannot come before the start."),
    "slug_taken": _l("Another strategy already has this address."),
    "code_taken": _l("Another action of this strategy already has this code."),
    "unknown_global_goal": _l("Choose global goals and targets from the list."),
    "unknown_area": _l("Choose the county or one of its municipalities."),
    # Actions (insatser): consult.followup.actions
    "unknown_goal": _l("Choose goals of this strategy."),
    "unknown_group": _l("Choose one of the working groups of the strategy's consultation."),
    "source_elsewhere": _l("Choose something from this strategy's consultation."),
    "source_linked": _l("The action is already linked to this."),
}
