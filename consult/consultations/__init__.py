"""Reading consultations and their drafts, and commenting on them."""

from flask import Blueprint

bp = Blueprint("consultations", __name__)

from . import comment_routes, routes  # noqa: E402,F401
