"""Accounts: registration, login and logout, recovery links and account settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/konto")

from . import account_routes, recovery_routes, routes  # noqa: E402,F401
