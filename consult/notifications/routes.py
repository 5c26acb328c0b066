"""The notification list, the e-mail setting and following consultations (logged-in users).

Forms post and redirect; sent by htmx, marking as read answers with the changed row (or
list) and the header link with its new unread count, following with the new button.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock, web
from ..db import get_session, writes
from ..extensions import htmx
from ..security import safe_next
from ..web import call, page_arg
from . import services

bp = Blueprint("notifications", __name__)


@bp.before_request
@login_required
def _logged_in() -> None:
    """Every page here is about the logged-in user's own notifications."""


@bp.app_context_processor
def _header_globals():
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(get_session(), current_user)

    def is_following(consultation) -> bool:
        viewer = web.viewer()
        return services.is_following(get_session(), viewer, consultation.id)

    return {"unread_notifications": unread_notifications, "is_following": is_following}


def _list_url() -> str:
    return safe_next(request.form.get("next"), url_for("notifications.index"))


@bp.get("/notiser")
def index():
    """List the user's notifications, newest first, unread ones marked."""
    page = services.listing(get_session(), current_user, page=page_arg(last=10_000))
    return render_template("notifications/index.html", page=page)


def _local_path(url: str | None) -> str:
    """Return the path of a notification's link on this site (e-mail links are absolute)."""
    fallback = url_for("notifications.index")
    parts = urlsplit(url or "")
    ours = {request.host, urlsplit(current_app.config["BASE_URL"]).netloc}
    if parts.netloc and parts.netloc not in ours:
        return fallback
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    path += f"#{parts.fragment}" if parts.fragment else ""
    return safe_next(path, fallback)


@bp.get("/notiser/<int:notification_id>")
@writes
def open_(notification_id: int):
    """Mark a notification as read and go to what it is about."""
    item = call(services.mark_read, notification_id, now=clock.now())
    return redirect(_local_path(item.notification.url))


@bp.post("/notiser/<int:notification_id>/last")
def mark_read(notification_id: int):
    """Mark one notification as read."""
    item = call(services.mark_read, notification_id, now=clock.now())
    if htmx:
        return render_template(
            "notifications/_item_swap.html", item=item, item_notice=_("Marked as read.")
        )
    flash(_("Marked as read."), "success")
    return redirect(_list_url())


@bp.post("/notiser/las-alla")
def mark_all_read():
    """Mark all of the user's notifications as read."""
    count = services.mark_all_read(get_session(), current_user, now=clock.now())
    notice = (
        _("All notifications are marked as read.")
        if count
        else _("You had no unread notifications.")
    )
    if htmx:
        page = services.listing(get_session(), current_user, page=page_arg(last=10_000))
        return render_template("notifications/_list_swap.html", page=page, notice=notice)
    flash(notice, "success")
    return redirect(_list_url())


@bp.route("/notiser/installningar", methods=["GET", "POST"])
def settings():
    """Turn e-mail notifications on or off and see the followed consultations."""
    session = get_session()
    error = None
    status = 200
    if request.method == "POST":
        choice = request.form.get("email")
        if choice in ("on", "off"):
            services.set_email_notifications(session, current_user, choice == "on")
            flash(
                _("E-mail notifications are on.")
                if choice == "on"
                else _("E-mail notifications are off. You still see them here on the site."),
                "success",
            )
            return redirect(url_for("notifications.settings"))
        error = _("Choose whether you want e-mail notifications.")
        status = 422
    return make_response(
        render_template(
            "notifications/settings.html",
            error=error,
            followed=services.followed(session, current_user),
        ),
        status,
    )


@bp.post("/samrad/<slug>/folj")
def follow(slug: str):
    """Follow or stop following a consultation (``folj`` = 1 or 0)."""
    wanted = request.form.get("folj")
    if wanted not in ("0", "1"):
        abort(400)
    consultation = call(services.set_following, slug, wanted == "1", now=clock.now())
    notice = (
        _("You follow this consultation: you will hear when its rounds open, change or close.")
        if wanted == "1"
        else _("You no longer follow this consultation.")
    )
    if htmx:
        # The new button and its status line say what changed; focus stays on the button.
        return render_template(
            "notifications/_follow.html", consultation=consultation, refocus=True
        )
    flash(notice, "success")
    fallback = url_for("consultations.consultation", slug=consultation.slug)
    return redirect(safe_next(request.form.get("next"), fallback))
