"""Names for the audit entries moderation writes, for the administration's audit log."""

from flask_babel import lazy_gettext as _l

AUDIT_ACTION_LABELS = {
    "comment.approve": _l("Comment approved"),
    "comment.reject": _l("Comment rejected"),
    "comment.hide": _l("Comment hidden"),
    "comment.unhide": _l("Comment shown again"),
    "report.dismiss": _l("Reports dismissed"),
}
AUDIT_FIELD_LABELS = {
    "status": _l("Status"),
    "open_report_count": _l("Open reports"),
    "moderation_reason": _l("Reason"),
    "moderation_note": _l("Explanation"),
}
AUDIT_OBJECT_LABELS = {"comment": _l("Comment")}
