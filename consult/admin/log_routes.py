"""The administrators' audit log page: every change, newest first, filtered by action and actor."""

from __future__ import annotations

from flask import render_template, request

from ..web import call, int_arg, page_arg
from . import audit_log, bp

LOG_PER_PAGE = 50


@bp.get("/logg", endpoint="audit_log")
def audit_log_page():
    """List the audit log, newest first, filtered by action and by who did it."""
    action = request.args.get("atgard", "").strip() or None
    actor_id = int_arg("av")
    log = call(
        audit_log.audit_log,
        action=action,
        actor_id=actor_id,
        page=page_arg(),
        per_page=LOG_PER_PAGE,
    )
    actions, actors = call(audit_log.audit_filters)
    shown = call(audit_log.shown, log.entries)
    filters = {k: v for k, v in {"atgard": action, "av": actor_id}.items() if v}
    return render_template(
        "admin/log.html",
        log=log,
        changes=shown.changes,
        objects=shown.objects,
        actions=actions,
        actors=actors,
        action=action,
        actor_id=actor_id,
        filters=filters,
        admin_labels=audit_log.labels_for_pages(),
    )
