"""Calling an analysis or synthesis service from a route, as the signed-in user."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..db import get_session
from .services import NotAllowed, NotFound


def call(function, *args, **kwargs):
    """Call a service as the current user; answer 403/404 for its refusals."""
    try:
        return function(get_session(), current_user, *args, **kwargs)
    except (NotAllowed, NotFound) as error:
        get_session().rollback()
        abort(error.code)
