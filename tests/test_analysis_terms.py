"""What the engine says about a theme, in the comments' own words: its description, and the
words that tie each comment to it, marked in the drill-down."""

from __future__ import annotations

import json
import re

from consult import clock
from consult.analysis import corrections
from consult.analysis.highlight import mark_terms
from consult.models import Origin, Theme

from .analysis_helpers import current_themes, members, rerun, theme_of


def test_terms_are_marked_in_text_only_never_in_tags_or_references():
    theme = Theme(name="Bredband", origin=Origin.MODEL, terms=json.dumps(["bredband", "amp"]))
    html = '<p>Bredband &amp; fiber: <a href="/bredband" title="bredband">bredband</a>.</p>'
    marked = mark_terms(html, theme)
    assert str(marked.html) == (
        '<p><mark>Bredband</mark> &amp; fiber: <a href="/bredband" title="bredband">'
        "<mark>bredband</mark></a>.</p>"
    )
    assert marked.words == ["bredband"]  # a sentence's capital is not the word's
    assert mark_terms(html, None).words == []
    road = Theme(name="Vägar", origin=Origin.MODEL, terms=json.dumps(["e45", "vägnätet"]))
    assert mark_terms("<p>E45 och vägnätet.</p>", road).words == ["E45", "vägnätet"]


def test_every_engine_theme_has_a_description_from_one_of_its_comments(session, analysed):
    texts = {c.id: c.body for c in analysed.comments}
    for theme in current_themes(session, analysed.round.id):
        assert theme.description, theme.name
        head = theme.description.rstrip("…")
        assert any(head in texts[i] for i in members(session, theme.id)), theme.description
        assert json.loads(theme.terms)


def test_a_description_staff_wrote_is_kept_by_the_next_run(session, analysed, now):
    theme = theme_of(session, analysed.comments[0])
    corrections.edit_theme(
        session,
        analysed.staff,
        theme.round_id,
        theme.id,
        name=theme.name,
        description="Järnvägen längs kusten.",
        version=theme.version,
        now=clock.now(),
    )
    rerun(session, analysed, now)
    session.expire_all()
    assert theme_of(session, analysed.comments[0]).description == "Järnvägen längs kusten."


def test_the_drill_down_marks_the_words_that_tie_each_comment_to_its_theme(
    client, auth, session, analysed
):
    theme = theme_of(session, analysed.comments[0])
    terms = set(json.loads(theme.terms))
    auth.login(analysed.staff)
    page = client.get(f"/analys/omgang/{theme.round_id}/tema/{theme.id}").get_data(as_text=True)
    marked = {m.lower() for m in re.findall(r"<mark[^>]*>([^<]+)</mark>", page)}
    assert marked and marked <= terms
    assert page.count('class="ties"') >= len(members(session, theme.id)) // 2
