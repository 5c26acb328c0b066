"""Dialogue events of a consultation: the programme, parallel sessions, registration with a
waiting list, calendar files, and the notes whose points become comments on the draft.

Who may manage an event is decided in ``consult.group_access`` (staff, administrators and
the chair or secretary of a group the event belongs to).
"""

from flask import Blueprint

bp = Blueprint("events", __name__)

from . import admin_routes, notes_routes, registration_routes, routes  # noqa: E402,F401
