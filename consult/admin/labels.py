"""Reader-facing names for what the administration records: its audit actions and fields, and
the choices of a round's settings."""

from flask_babel import lazy_gettext as _l

from ..models import Commenters, ModerationMode

MODERATION_LABELS = {
    ModerationMode.POST: _l("Afterwards: comments are published at once and can be reported"),
    ModerationMode.PRE: _l("Beforehand: comments are published after review"),
}
COMMENTERS_LABELS = {
    Commenters.REGISTERED: _l("Everyone with an account"),
    Commenters.VERIFIED: _l("Only people from verified organisations"),
}
ACTION_LABELS = {
    "consultation.create": _l("Consultation created"),
    "consultation.edit": _l("Consultation changed"),
    "round.create": _l("Round created"),
    "round.edit": _l("Round settings changed"),
    "round.replace_draft": _l("Draft replaced"),
    "round.open": _l("Round opened now"),
    "round.close": _l("Round closed now"),
    "round.extend": _l("Deadline extended"),
    "round.reopen": _l("Round reopened"),
    "round.publish": _l("Results published"),
    "draft.edit_paragraph": _l("Paragraph of the draft changed"),
    "draft.move_paragraph": _l("Paragraph of the draft moved"),
    "draft.delete_paragraph": _l("Paragraph of the draft deleted"),
    "draft.edit_heading": _l("Heading of the draft changed"),
}
FIELD_LABELS = {
    "title": _l("Title"),
    "slug": _l("Web address"),
    "summary": _l("Summary"),
    "contact_name": _l("Contact person"),
    "contact_email": _l("Contact person's e-mail address"),
    "number": _l("Number"),
    "opens_at": _l("Opens"),
    "closes_at": _l("Closes"),
    "closed_at": _l("Closed early"),
    "results_published_at": _l("Results published"),
    "moderation": _l("Moderation"),
    "commenters": _l("Who may comment"),
    "confirmed_email_only": _l("Only confirmed e-mail addresses"),
    "draft": _l("File"),
    "sections": _l("Sections"),
    "paragraphs": _l("Paragraphs"),
    "report_threshold": _l("Reports before a comment is hidden"),
    "paragraph": _l("Paragraph"),
    "section": _l("Section"),
    "text": _l("Text"),
    "heading": _l("Heading"),
}
OBJECT_LABELS = {"consultation": _l("Consultation"), "round": _l("Round")}
