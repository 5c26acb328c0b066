"""Users and organisations: search, roles, organisation claims, blocking and merging.

Staff and administrators reach these pages; changing roles and merging organisations is for
administrators only. Every service checks the acting user again. ``my_data_bp`` holds the one
part for every signed-in user: downloading what is stored about oneself ("Mina uppgifter").
"""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/admin")
my_data_bp = Blueprint("my_data", __name__, url_prefix="/konto")

from . import my_data_routes, routes  # noqa: E402,F401
