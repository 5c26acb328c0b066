"""Reader-facing texts for analysis jobs: their steps, refusals and failures, translated."""

from flask_babel import lazy_gettext as _l

STEP_TEXTS = {
    "queued": _l("Waiting for its turn"),
    "reading": _l("Reading the comments"),
    "campaigns": _l("Looking for campaigns and near-identical comments"),
    "themes": _l("Finding themes"),
    "stance": _l("Reading stances"),
    "training": _l("Learning from staff's corrections"),
    "saving": _l("Saving the themes"),
    "done": _l("Done"),
    "failed": _l("Stopped"),
}
ERROR_TEXTS = {
    "no_comments": _l("The round has no published comments to analyse."),
    "stale": _l("The analysis stopped reporting progress and was given up. Start it again."),
    "dead": _l(
        "The analysis stopped answering (its worker was stopped, restarted or ran out of"
        " memory) and was given up. Start it again."
    ),
    "worker_killed": _l(
        "The worker process running the analysis was killed (stopped, or out of memory)."
        " Start it again."
    ),
    "cancelled": _l("A staff member stopped the analysis."),
    "queue_unavailable": _l(
        "The job queue was unavailable when the analysis was started. Try again in a moment."
    ),
}
REFUSAL_TEXTS = {
    "running": _l("An analysis of this round is already under way."),
    "no_comments": _l("The round has no published comments to analyse."),
    "not_running": _l("No analysis of this round is under way: it has already ended."),
}
ENGINE_STANCE_TEXTS = {
    "support": _l("supports"),
    "oppose": _l("opposes"),
    "change": _l("wants a change"),
    "neutral": _l("neutral"),
}

# Why a split or a proposal search in the background stopped (see ``background``).
WORK_FAILURES = {
    "range": _l("Choose between 2 and 5 new themes."),
    "too_few": _l("The theme has too few comments to split into that many themes."),
    "not_separable": _l("The comments could not be told apart into several themes."),
    "conflict": _l("Someone else changed this theme after you opened the page."),
    "error": _l("Something went wrong."),
    "queue_unavailable": _l("The job queue was unavailable. Try again in a moment."),
}

# Names for the audit entries of the analysis, for the administration's audit log.
AUDIT_ACTION_LABELS = {
    "analysis.start": _l("Analysis started"),
    "analysis.cancel": _l("Analysis stopped"),
    "theme.edit": _l("Theme renamed or described"),
    "theme_assignment.move": _l("Comment moved to another theme"),
    "theme_assignment.add": _l("Comment given a theme"),
    "theme_assignment.confirm": _l("Theme of a comment confirmed"),
    "theme.merge": _l("Theme merged into another"),
    "theme.delete": _l("Theme deleted"),
    "theme.create": _l("Theme created by hand"),
    "theme.split": _l("Theme split into several"),
    "theme_proposal.reject": _l("Proposed theme of a comment rejected"),
    "theme.split_request": _l("Split of a theme asked for (in the background)"),
    "theme.split_fail": _l("Split of a theme failed"),
    "theme_proposal.search_request": _l("Search for proposed comments asked for"),
    "theme_proposal.search": _l("Comments proposed for a theme"),
    "theme_proposal.search_fail": _l("Search for proposed comments failed"),
}
AUDIT_FIELD_LABELS = {
    "round_id": _l("Round (number)"),
    "name": _l("Name"),
    "description": _l("Description"),
    "theme_id": _l("Theme (number)"),
    "confirmed": _l("Confirmed"),
    "merged_into_id": _l("Merged into (number)"),
    "moved": _l("Comments moved"),
    "comments": _l("Comments"),
    "parts": _l("Split into (numbers)"),
    "progress": _l("Progress (per cent)"),
    "requested_parts": _l("Number of new themes"),
    "proposed": _l("Comments proposed"),
    "reason": _l("Reason"),
}
AUDIT_OBJECT_LABELS = {"analysis": _l("Analysis"), "theme": _l("Theme")}
