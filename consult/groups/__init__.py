"""Working groups: the groups that draft and answer for chapters of a consultation, their
members, their public pages and the workspace where members work on their chapters' comments.

Who may do what is decided in ``consult.group_access``; every service asks it.
"""

from flask import Blueprint

bp = Blueprint("groups", __name__)

from . import admin_routes, routes, workspace_routes  # noqa: E402,F401
