"""The draft page's thread controls, worked out once per page, read as the templates' own
url_for(), _() and ngettext() would give them."""

from __future__ import annotations

from flask import url_for
from flask_babel import force_locale, gettext, ngettext

from consult.consultations.controls import DraftControls


def _controls(app, round_, counts=None):
    return DraftControls(round_, counts or {}, can_write=True, lang="")


def test_addresses_are_the_routes_own(app, open_round):
    with app.test_request_context("/"):
        controls = _controls(app, open_round)
        slug, number = open_round.consultation.slug, open_round.number
        # A plain key, and one an address must quote (built by url_for itself).
        for key in ("doc", "p-1a2b3c", "s-två nr/2"):
            thread = url_for("consultations.thread", slug=slug, number=number, target=key)
            count = url_for("consultations.count", slug=slug, number=number, target=key)
            assert controls.thread_url(key) == thread
            assert controls.count_url(key) == count


def test_labels_and_counts_are_the_translations_a_template_shows(app, open_round):
    counts = {"doc": 1, "p-1": 3}
    with app.test_request_context("/"), force_locale("sv"):
        controls = _controls(app, open_round, counts)
        assert controls.count_text("doc") == ngettext("%(num)s comment", "%(num)s comments", 1)
        assert controls.count_text("p-1") == ngettext("%(num)s comment", "%(num)s comments", 3)
        assert controls.count_text("p-2") == ngettext("%(num)s comment", "%(num)s comments", 0)
        assert controls.count_text("doc") != controls.count_text("p-1")
        assert controls.paragraph_about("4") == gettext("Paragraph %(n)s", n="4")
        assert controls.add_comment == gettext("Add a comment")


def test_a_heading_is_escaped_into_its_label(app, open_round):
    with app.test_request_context("/"):
        controls = _controls(app, open_round)
        about = controls.section_about("2", "Mål & <medel>")
        assert "Mål &amp; &lt;medel&gt;" in str(about)
        assert "<medel>" not in str(about)
