"""Full-text search of comments: PostgreSQL's Swedish text search, or SQLite's FTS5."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from . import routes  # noqa: E402,F401
