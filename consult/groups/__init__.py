"""Working groups: the groups that draft and answer for chapters of a consultation, their
members, their public pages and the workspace where members work on their chapters' comments.

Who may do what is decided in ``consult.group_access``; every service asks it.
"""

from flask import Blueprint

from ..analysis.pages import rebuild_after_change

bp = Blueprint("groups", __name__)
# A member's change to the themes in the workspace, as on the analysis pages.
bp.after_request(rebuild_after_change)

from . import admin_routes, routes, workspace_routes  # noqa: E402,F401
