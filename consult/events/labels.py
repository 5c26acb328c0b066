"""Names of the event entries in the audit log."""

from flask_babel import lazy_gettext as _l

AUDIT_ACTION_LABELS = {
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "event.cancel": _l("Event cancelled"),
    "event.programme_add": _l("Programme point added"),
    "event.programme_update": _l("Programme point changed"),
    "event.programme_remove": _l("Programme point removed"),
    "event.programme_move": _l("Programme point moved"),
    "event.session_add": _l("Session added"),
    "event.session_update": _l("Session changed"),
    "event.session_remove": _l("Session removed"),
}
AUDIT_OBJECT_LABELS = {
    "event": _l("Event"),
    "programme_item": _l("Programme point"),
    "event_session": _l("Session"),
}
