"""Moderation: the staff queue of pending and reported comments, and participants' reports."""

from flask import Blueprint

bp = Blueprint("moderation", __name__)

from . import routes  # noqa: E402,F401
