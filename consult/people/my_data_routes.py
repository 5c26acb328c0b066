""" "My data" (GDPR art. 15 and 20): a signed-in person downloads what is stored about them, as
JSON or as a ZIP with a readable page; staff download it for someone who asked the region.

The person's downloads are GETs limited per account; the staff download is a POST with the
request's reference, audited. Every answer is marked ``no-store``: no cache keeps a copy.
"""

from __future__ import annotations

from flask import current_app, make_response, render_template, request
from flask_babel import force_locale
from flask_login import current_user, login_required

from .. import clock
from ..db import get_session
from ..errors import Invalid
from ..extensions import limiter
from ..web import call, show_refusal
from . import bp, my_data, my_data_bp, my_data_files
from .forms import ReasonForm, error_message

FORMATS = ("json", "zip")


def _limit() -> str:
    return current_app.config["MY_DATA_RATE_LIMIT"]


def _per_user() -> str:
    return f"my-data:{current_user.get_id()}"


@my_data_bp.before_request
@login_required
def _logged_in() -> None:
    """Only the signed-in person's own data are here."""


def _download(data: dict, extension: str, user_id: int | None = None):
    name = my_data_files.filename(clock.now(), extension, user_id)
    if extension == "json":
        body, mimetype = my_data.to_json(data), "application/json"
    else:
        stem = name.rsplit(".", 1)[0]
        body, mimetype = my_data_files.build_zip(data, stem), "application/zip"
    response = make_response(body)
    response.mimetype = mimetype
    if mimetype == "application/json":
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(status: int = 200, *, limited: bool = False):
    return _no_store(
        make_response(
            render_template(
                "people/my_data.html", sections=my_data_files.SECTIONS, limited=limited
            ),
            status,
        )
    )


@my_data_bp.get("/mina-uppgifter")
def page():
    """Explain what the download holds and offer it as JSON or ZIP."""
    return _page()


@my_data_bp.errorhandler(429)
def _too_many(_error):
    """Past the limit: the page again, saying why nothing was downloaded."""
    return _page(429, limited=True)


@my_data_bp.get("/mina-uppgifter/<any(json, zip):extension>")
@limiter.limit(_limit, key_func=_per_user)
def download(extension: str):
    """Download everything stored about the signed-in person."""
    data = call(
        my_data.collect,
        current_user,
        now=clock.now(),
        base_url=current_app.config["BASE_URL"],
    )
    return _download(data, extension)


# Staff, on a person's request to the region (the people blueprint: staff only).


def _staff_page(user, form, status: int = 200):
    return _no_store(
        make_response(render_template("people/my_data_staff.html", user=user, form=form), status)
    )


@bp.get("/anvandare/<int:user_id>/uppgifter")
def staff_my_data(user_id: int):
    """The form staff fill in to download a user's data for them."""
    user = call(my_data.get_subject, user_id)
    return _staff_page(user, ReasonForm(prefix="export", formdata=None))


@bp.post("/anvandare/<int:user_id>/uppgifter")
@limiter.limit(_limit, key_func=_per_user)
def staff_my_data_download(user_id: int):
    """Download a user's data for them; the reason (the request's reference) is logged."""
    user = call(my_data.get_subject, user_id)
    form = ReasonForm(prefix="export")
    extension = request.form.get("format", "zip")
    session = get_session()
    try:
        if extension not in FORMATS:
            raise Invalid({"format": "choice"})
        user, data = my_data.export_for_request(
            session,
            current_user,
            user.id,
            reason=form.reason.data or "",
            now=clock.now(),
            base_url=current_app.config["BASE_URL"],
        )
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message, fallback="reason")
        return _staff_page(user, form, status=422)
    # In the person's language: staff hand the file over to them.
    with force_locale(user.locale or "sv"):
        return _download(data, extension, user.id)
