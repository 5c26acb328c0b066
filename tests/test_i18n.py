"""The Swedish interface is complete: every string in code and templates is translated."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    for folder, method in (("consult", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        options = {pattern: {"extensions": "jinja2.ext.do", "silent": "false"}}
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[(pattern, method)], options_map=options, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_interface_string_has_a_swedish_translation():
    with open(ROOT / "consult/translations/sv/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = read_po(handle)
    missing = []
    for message in sorted(_source_messages()):
        entry = catalogue.get(message)
        translated = (
            entry is not None
            and not entry.fuzzy
            and all(entry.string if isinstance(entry.string, tuple) else [entry.string])
        )
        if not translated:
            missing.append(message)
    assert missing == [], "untranslated: run `make translations-extract` and translate these"


def test_swedish_dates_read_like_swedish(client, open_round):
    page = client.get("/").get_data(as_text=True)
    assert "Öppen för synpunkter till 8 mars 2027 kl. 13.00" in page


def test_templates_follow_a_locale_forced_within_a_request(app):
    # Templates keep the request's translations between strings; an e-mail rendered in its
    # recipient's language in the middle of a Swedish request must still come out in it.
    from flask import render_template_string
    from flask_babel import force_locale

    page = (
        '{{ _("Open") }} | {{ pgettext("report a comment", "Report") }} | '
        '{{ ngettext("%(num)s comment changed.", "%(num)s comments changed.", 2) }}'
    )
    with app.test_request_context("/"):
        swedish = render_template_string(page)
        with force_locale("en"):
            english = render_template_string(page)
        again = render_template_string(page)
    assert swedish == again == "Öppen | Anmäl | 2 synpunkter ändrade."
    assert english == "Open | Report | 2 comments changed."
