"""Accounts: registration, login and logout."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/konto")

from . import routes  # noqa: E402,F401
