"""Follow-up of an adopted strategy: goals and targets, the actions that serve them, indicators
over time, Agenda 2030, the yearly results report and the public follow-up pages.

Who may edit what is decided in ``consult.group_access``; every service asks it.
"""

from flask import Blueprint

bp = Blueprint("followup", __name__)

from . import (  # noqa: E402,F401
    action_routes,
    import_routes,
    manage_routes,
    opendata_routes,
    public_routes,
    report_routes,
)
