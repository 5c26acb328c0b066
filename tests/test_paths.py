"""The string-built public addresses of consult.paths match the routes they point at."""

from __future__ import annotations

from types import SimpleNamespace

from flask import url_for

from consult import paths


def test_event_and_group_paths_are_the_routes(app):
    consultation = SimpleNamespace(slug="rus-2030")
    event = SimpleNamespace(consultation=consultation, slug="kick-off")
    group = SimpleNamespace(consultation=consultation, slug="energi")
    with app.test_request_context():
        assert paths.event_path(event) == url_for(
            "events.event_page", slug="rus-2030", event_slug="kick-off"
        )
        assert paths.group_path(group) == url_for(
            "groups.public_group", slug="rus-2030", group_slug="energi"
        )
