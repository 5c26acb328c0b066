"""Sanitising: what a person writes can never run as script on someone else's page."""

import pytest

from consult import sanitise


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">klick</a>',
        "[klick](javascript:alert(1))",
        '<div onclick="alert(1)">x</div>',
        "<iframe src=https://evil.example></iframe>",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_hostile_markup_is_neutralised(hostile):
    html = sanitise.comment_html(hostile)
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered
    assert 'href="javascript' not in lowered and 'href="data' not in lowered
    assert "<div" not in lowered


def test_allowed_formatting_survives():
    html = sanitise.comment_html("Första *viktig* rad\nandra **rad**\n\n- ett\n- två\n\n1. a\n2. b")
    for tag in ("<p>", "<em>viktig</em>", "<br>", "<strong>rad</strong>", "<ul>", "<ol>", "<li>"):
        assert tag in html


def test_links_get_nofollow_noopener():
    html = sanitise.comment_html("Se [rapporten](https://example.se/r) och https://example.se/x")
    assert html.count('rel="nofollow noopener"') == 2
    assert 'href="https://example.se/r"' in html


def test_deeply_nested_markup_is_refused():
    with pytest.raises(sanitise.UnsafeText):
        sanitise.comment_html("> " * 40 + "citat")
    with pytest.raises(sanitise.UnsafeText):
        sanitise.comment_html("- " * 40 + "lista")


def test_binary_text_is_refused_and_line_endings_unified():
    with pytest.raises(sanitise.UnsafeText):
        sanitise.normalise_text("PK\x03\x04\x00binary")
    assert sanitise.normalise_text("  a\r\nb\rc  ") == "a\nb\nc"
    assert sanitise.normalise_text("e\u0301") == "\u00e9"


def test_plain_text_strips_tags_and_keeps_characters():
    assert sanitise.plain_text("<p>Bil &amp; båt</p>\n<ul><li>ett</li></ul>") == "Bil & båt ett"
