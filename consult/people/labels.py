"""Reader-facing names of roles, claim states and the audit entries the people area writes.

The user page shows them; the administration's audit log can merge them into its own tables
(``ACTION_LABELS | people.labels.ACTION_LABELS`` and likewise for fields and objects).
"""

from flask_babel import lazy_gettext as _l

from ..models import ClaimStatus, Role

ROLE_LABELS = {
    Role.PARTICIPANT: _l("Participant"),
    Role.STAFF: _l("Staff"),
    Role.ADMIN: _l("Administrator"),
}
CLAIM_LABELS = {
    ClaimStatus.CLAIMED: _l("Not yet checked"),
    ClaimStatus.VERIFIED: _l("Verified"),
    ClaimStatus.REJECTED: _l("Rejected"),
}

ACTION_LABELS = {
    "user.block": _l("Blocked"),
    "user.unblock": _l("Unblocked"),
    "user.erase": _l("Account closed, personal data erased"),
    "user.role": _l("Role changed"),
    "user.verify": _l("Organisation verified"),
    "user.reject_claim": _l("Organisation claim rejected"),
    "organisation.merge": _l("Organisations merged"),
    "user.export": _l("Data downloaded on request"),
}
FIELD_LABELS = {
    "blocked_at": _l("Blocked since"),
    "blocked_reason": _l("Reason for the block"),
    "hidden_comments": _l("Comments hidden"),
    "role": _l("Role"),
    "organisation_claim": _l("Organisation claim"),
    "organisation_checked_at": _l("Checked"),
    "organisation": _l("Organisation"),
    "merged_into_id": _l("Merged into (number)"),
    "merged_into": _l("Merged into"),
    "members": _l("Members"),
    "comments": _l("Comments"),
    "email": _l("E-mail"),
    "display_name": _l("Name"),
    "erased_at": _l("Account closed"),
    "comments_withdrawn": _l("Comments withdrawn too"),
    "own_request": _l("Closed by the person themself"),
    "agreements": _l("Agreements"),
    "reports_made": _l("Reports made"),
}
OBJECT_LABELS = {"user_account": _l("User"), "organisation": _l("Organisation")}
# Where an administrator reads more about an object of these types.
OBJECT_ENDPOINTS = {"user_account": "people.user", "organisation": "people.organisation"}
