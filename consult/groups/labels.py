"""Reader-facing names for the working groups' roles, the refusals of their services and the
audit entries they write (merged into the audit log's tables)."""

from flask_babel import lazy_gettext as _l

from ..models import GroupRole

ROLE_LABELS = {
    GroupRole.CHAIR: _l("Chair"),
    GroupRole.SECRETARY: _l("Secretary"),
    GroupRole.MEMBER: _l("Member"),
}

MESSAGES = {
    "required": _l("Fill in this field."),
    "too_long": _l("The text is too long."),
    "unreadable": _l("The text contains characters that cannot be saved."),
    "choice": _l("Choose one of the options."),
    "position": _l("Give a whole number from 0 to 10000."),
    "no_slug": _l("The name needs at least one letter or digit."),
    "name_taken": _l("The consultation already has a group with this name."),
    "cannot_add": _l(
        "This address cannot be added. Ask the person which address their account uses."
    ),
    "already_member": _l("This person is already a member of the group."),
    "unknown_chapter": _l("Choose a chapter of the draft."),
    "already_held": _l("The group is already responsible for this chapter."),
    "chapter_race": _l("Someone else assigned this chapter at the same time. Try again."),
}

STATE_MESSAGES = {
    "group_closed": _l("The group is closed; it can no longer be changed."),
    "member_left": _l("This person has already left the group."),
    "chapter_ended": _l("The group is no longer responsible for this chapter."),
}

WRITING_LABELS = {
    "synthesis.create": _l("wrote"),
    "synthesis.edit": _l("edited"),
    "synthesis.carry": _l("carried over"),
}


def message(_field: str, key: str) -> str:
    """The reader-facing text for a refusal ``key`` of a field."""
    return str(MESSAGES.get(key, MESSAGES["required"]))


def state_message(key: str) -> str:
    return str(STATE_MESSAGES.get(key, STATE_MESSAGES["group_closed"]))


AUDIT_ACTION_LABELS = {
    "group.create": _l("Working group created"),
    "group.edit": _l("Working group edited"),
    "group.close": _l("Working group closed"),
    "group.chapter_assign": _l("Chapter assigned to a working group"),
    "group.chapter_end": _l("Chapter taken from a working group"),
    "group.member_add": _l("Member added to a working group"),
    "group.member_role": _l("Role in a working group changed"),
    "group.member_leave": _l("Member left a working group"),
}
AUDIT_FIELD_LABELS = {
    "name": _l("Name"),
    "slug": _l("Address"),
    "description": _l("Description"),
    "position": _l("Order"),
    "group": _l("Working group"),
    "heading": _l("Heading"),
    "ended_at": _l("Ended"),
    "moved_to": _l("Moved to"),
    "closed_at": _l("Closed"),
    "chapters": _l("Chapters"),
    "members": _l("Members"),
    "user_id": _l("Account (number)"),
    "role": _l("Role"),
    "category": _l("Stakeholder category"),
    "organisation_name": _l("Organisation"),
    "left_at": _l("Left"),
}
AUDIT_OBJECT_LABELS = {
    "working_group": _l("Working group"),
    "group_chapter": _l("Chapter responsibility"),
    "group_membership": _l("Group membership"),
}
