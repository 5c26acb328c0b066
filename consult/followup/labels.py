"""Reader-facing names for the follow-up's states and directions, and the messages of its
refusals. Every follow-up module and template takes its words from here."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

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
    "year_outside_period": _l("Choose a year within the strategy's period."),
    "report_exists": _l("The strategy already has a report for this year."),
    "confirm": _l("Tick the box to confirm."),
    # Actions (insatser): consult.followup.actions
    "unknown_goal": _l("Choose goals of this strategy."),
    "unknown_group": _l("Choose one of the working groups of the strategy's consultation."),
    "source_elsewhere": _l("Choose something from this strategy's consultation."),
    "source_linked": _l("The action is already linked to this."),
    # Staff's management of strategies, goals, targets and indicators (strategies.py).
    "position": _l("Give a whole number from 0 to 10000."),
    "slug": _l("Use lower-case letters a–z, digits and hyphens, e.g. rus-2030."),
    "slug_reserved": _l("This address is used by the site itself. Choose another."),
    "consultation_taken": _l("Another strategy is already adopted from this consultation."),
    "target_before_baseline": _l("The target year cannot come before the baseline year."),
    "baseline_year_needed": _l("Give the year of the baseline value."),
    "indicator_code": _l("The code cannot contain spaces."),
    "indicator_code_taken": _l("Another indicator already has this code."),
}

# The refusals of an import file (consult.followup.transfer, indicator_import), looked up
# before MESSAGES; ``%(value)s`` is the cell's content or the row it repeats.
IMPORT_MESSAGES = {
    "empty_file": _l("The file is empty."),
    "file_type": _l("Choose an .xlsx file or a CSV file (.csv)."),
    "not_csv": _l("The file cannot be read as CSV."),
    "not_xlsx": _l(
        "The file is not a readable .xlsx workbook. Open it in Excel or LibreOffice, "
        "save it as .xlsx and try again."
    ),
    "bomb": _l(
        "The file would unpack to far more data than an import can hold, so it was refused."
    ),
    "no_file": _l("Choose a file."),
    "no_sheet": _l("The workbook has no sheet named Insatser."),
    "milestones_in_workbook": _l(
        "A workbook holds the milestones in its sheet Milstolpar: choose no separate "
        "milestones file."
    ),
    "no_rows": _l("The file has no rows below the headings."),
    "no_heading": _l("A column has no heading."),
    "unknown_column": _l(
        "Unknown column: remove it or correct its heading (the columns are described on this page)."
    ),
    "repeated_column": _l("The column appears twice."),
    "missing_column": _l("The column is missing."),
    "unknown_group": _l("No working group has the short name “%(value)s”."),
    "ambiguous_group": _l("Several working groups have the short name “%(value)s”."),
    "unknown_goal": _l("The strategy has no goal with the code “%(value)s”."),
    "ambiguous_goal": _l("Several goals of the strategy have the code “%(value)s”."),
    "weight": _l("Give a weight as a whole number from 1 to 100 after a colon, e.g. 1.2:3."),
    "unknown_global_goal": _l("“%(value)s” is not a global goal or target of Agenda 2030."),
    "unknown_area": _l("Unknown area code: %(value)s."),
    "status": _l("Write planerad, pågående, klar or avbruten."),
    "unknown_action": _l("No action in the file has the code “%(value)s”."),
    "repeated_code": _l("The code is already used on row %(value)s."),
    "unknown_indicator": _l("No indicator has the code “%(value)s”."),
    "repeated_value": _l("The same indicator, area and year are already on row %(value)s."),
    "not_saved": _l(
        "The file could not be saved: it conflicts with what is already stored. Nothing was "
        "imported; check the rows against the actions and try again."
    ),
}

# Why a management action was refused (``WrongState`` keys of strategies.py).
STATE_MESSAGES = {
    "already_published": _l("The strategy is already published."),
    "not_published": _l("The strategy is not published."),
    "cannot_move": _l("The priority cannot be moved further in that direction."),
    "priority_has_goals": _l(
        "The priority has goals. Move its goals to another priority or delete them first."
    ),
    "goal_has_actions": _l(
        "Actions serve this goal. Remove the goal from those actions before deleting it."
    ),
    "indicator_has_values": _l(
        "The indicator has measured values. It cannot be deleted while they are kept."
    ),
    "indicator_has_targets": _l(
        "Targets of goals are measured with this indicator. Change or delete those targets first."
    ),
}


def message(_field: str, key: str) -> str:
    """The reader-facing text for a refusal ``key`` of a field."""
    return str(MESSAGES.get(key, MESSAGES["required"]))


def state_message(key: str) -> str:
    """The reader-facing text for a ``WrongState`` refusal of the follow-up's services."""
    text = STATE_MESSAGES.get(key)
    return str(text) if text is not None else str(MESSAGES.get(key, MESSAGES["choice"]))


# The audit entries of staff's management of strategies (strategies.py), for the audit log's
# tables (to be merged into consult.admin.audit_log's ACTION_LABELS and OBJECT_LABELS).
STRATEGY_AUDIT_ACTION_LABELS = {
    "strategy.create": _l("Strategy created"),
    "strategy.edit": _l("Strategy changed"),
    "strategy.publish": _l("Strategy published"),
    "strategy.unpublish": _l("Strategy unpublished"),
    "priority.create": _l("Priority added"),
    "priority.edit": _l("Priority changed"),
    "priority.move": _l("Priority moved"),
    "priority.delete": _l("Priority deleted"),
    "goal.create": _l("Goal added"),
    "goal.edit": _l("Goal changed"),
    "goal.delete": _l("Goal deleted"),
    "goal_target.create": _l("Target added"),
    "goal_target.edit": _l("Target changed"),
    "goal_target.delete": _l("Target deleted"),
    "indicator.create": _l("Indicator added"),
    "indicator.edit": _l("Indicator changed"),
    "indicator.delete": _l("Indicator deleted"),
}
STRATEGY_AUDIT_OBJECT_LABELS = {
    "strategy": _l("Strategy"),
    "priority": _l("Priority"),
    "strategy_goal": _l("Goal"),
    "goal_target": _l("Target value"),
    "indicator": _l("Indicator"),
}

# The audit entries of actions, milestones, imports and yearly reports, for the audit log.
WORK_AUDIT_ACTION_LABELS = {
    "action.create": _l("Action added"),
    "action.edit": _l("Action changed"),
    "action.status": _l("Action status or progress changed"),
    "action.delete": _l("Action deleted"),
    "action.source_link": _l("Action linked to the consultation"),
    "action.source_unlink": _l("Action's link to the consultation removed"),
    "milestone.create": _l("Milestone added"),
    "milestone.edit": _l("Milestone changed"),
    "milestone.done": _l("Milestone reached"),
    "milestone.delete": _l("Milestone deleted"),
    "followup.import_actions": _l("Actions imported"),
    "followup.import_indicator_values": _l("Indicator values imported"),
    "followup_report.create": _l("Yearly report created"),
    "followup_report.edit": _l("Yearly report changed"),
    "followup_report.publish": _l("Yearly report published"),
    "followup_report.unpublish": _l("Yearly report unpublished"),
}
AUDIT_ACTION_LABELS = STRATEGY_AUDIT_ACTION_LABELS | WORK_AUDIT_ACTION_LABELS
AUDIT_OBJECT_LABELS = STRATEGY_AUDIT_OBJECT_LABELS | {
    "action": lazy_pgettext("follow-up", "Action"),
    "milestone": _l("Milestone"),
    "followup_report": _l("Yearly report"),
}
