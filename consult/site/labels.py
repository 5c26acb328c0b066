"""Reader-facing names for the site pages' fields, conformance statuses, retention periods and
the audit entries this area writes (merged into the audit log's tables)."""

from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "controller_name": _l("Controller (the region's name)"),
    "org_number": _l("Organisation number"),
    "controller_contact": _l("The controller's contact details"),
    "dpo_contact": _l("Contact of the data protection officer"),
    "purposes": _l("Why we process personal data"),
    "legal_basis": _l("Legal basis"),
    "stored_data": _l("What we store"),
    "recipients": _l("Who receives the data"),
    "retention_note": _l("How long we keep the data"),
    "rights": _l("Your rights"),
    "organisation": _l("Organisation responsible for the website"),
    "status": _l("Conformance with WCAG 2.1 level AA"),
    "gaps": _l("Known accessibility problems"),
    "report": _l("How to report a problem"),
    "assessment": _l("How the website was assessed"),
}
STATUS_LABELS = {
    "full": _l("Fully compliant"),
    "partial": _l("Partially compliant"),
    "none": _l("Not compliant"),
}
STATUS_SENTENCES = {
    "full": _l("This website is fully compliant with WCAG 2.1 level AA."),
    "partial": _l(
        "This website is partially compliant with WCAG 2.1 level AA, due to the problems "
        "listed below."
    ),
    "none": _l("This website is not compliant with WCAG 2.1 level AA."),
}
PERIOD_LABELS = {
    "unconfirmed_account_days": _l("Accounts whose e-mail address was never confirmed"),
    "outbox_email_days": _l("E-mail sent or given up (the mail log)"),
    "read_notification_days": _l("Notifications that have been read"),
    "event_needs_days": _l("Dietary and accessibility needs given when registering for an event"),
}
PERIOD_HINTS = {
    "unconfirmed_account_days": _l(
        "Days after the account was created. Only accounts without published comments are "
        "deleted, with their held comments, agreements, follows and notifications."
    ),
    "outbox_email_days": _l(
        "Days after the e-mail was sent. E-mail still waiting to be sent is never deleted."
    ),
    "read_notification_days": _l("Days after the notification was read."),
    "event_needs_days": _l("Days after the event ended. The registration itself is kept."),
}

AUDIT_ACTION_LABELS = {
    "site_page.privacy": _l("Privacy notice changed"),
    "site_page.accessibility": _l("Accessibility statement changed"),
    "retention.settings": _l("Retention periods changed"),
    "retention.run": _l("Personal data deleted by the retention schedule"),
}
AUDIT_FIELD_LABELS = (
    FIELD_LABELS
    | PERIOD_LABELS
    | {
        "unconfirmed_accounts": _l("Unconfirmed accounts"),
        "held_comments": _l("Comments never published"),
        "agreements": _l("Agreements"),
        "follows": _l("Follows"),
        "notifications": _l("Notifications"),
        "outbox_emails": _l("E-mails"),
        "mail_file_messages": _l("E-mails in the mail log file"),
        "event_needs": _l("Needs given with event registrations"),
    }
)
AUDIT_OBJECT_LABELS = {
    "site_page": _l("Site page"),
    "retention_setting": _l("Retention"),
}
