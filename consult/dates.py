"""Dates as people read them: a UTC timestamp in Stockholm time, in the user's language."""

from flask_babel import format_datetime
from flask_babel import gettext as _


def when(value) -> str:
    """Format a UTC timestamp as a date and time in Stockholm, in the user's language."""
    # Translators: a CLDR date pattern; Swedish writes "15 mars 2027 kl. 23.59".
    return format_datetime(value, _("d MMMM y 'at' HH:mm"))
