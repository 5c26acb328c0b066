"""Security headers and safe redirects, shared by all blueprints."""

from flask import Blueprint, Flask, abort, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        # Only the stream players an event page embeds (consult.events.stream.FRAME_SOURCES).
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


def safe_next(target: str | None, fallback: str) -> str:
    """Return ``target`` if it is a local path on this site, else ``fallback``."""
    # A path on this host starts with one slash; "//host" and "/\\host" leave the site.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(c) < 32 for c in target):
        return fallback
    return target


def vary_on_htmx(bp: Blueprint) -> None:
    """Mark ``bp``'s responses as varying with HX-Request: one URL answers with a page or a
    fragment, and caches must keep them apart."""

    @bp.after_request
    def _vary(response):
        response.vary.add("HX-Request")
        return response


def staff_only(
    bp: Blueprint,
    *,
    except_endpoints: frozenset[str] = frozenset(),
    only_endpoints: frozenset[str] | None = None,
    admins: bool = False,
) -> None:
    """Send anonymous visitors of ``bp`` to the login page and refuse non-staff with 403
    (non-administrators when ``admins``).

    ``only_endpoints`` limits the gate to those views, ``except_endpoints`` leaves some out.
    The services check again; this gate keeps every view of the area behind the same door.
    """

    @bp.before_request
    def _staff_only():
        if request.endpoint in except_endpoints:
            return None
        if only_endpoints is not None and request.endpoint not in only_endpoints:
            return None
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not (current_user.is_admin if admins else current_user.is_staff):
            abort(403)
        return None
