"""Users and organisations: search, roles, organisation claims, blocking and merging.

Staff and administrators reach these pages; changing roles and merging organisations is for
administrators only. Every service checks the acting user again.
"""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/admin")

from . import routes  # noqa: E402,F401
