"""The theme board and the drill-down on a small analysed round."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock, errors
from consult.analysis import board, drill, services
from consult.models import Category, ThemeAssignment

from .analysis_helpers import theme_of
from .analysis_seed import (
    CAMPAIGN,
    CAMPAIGN_SIZE,
    SCHOOL,
    TRAFFIC,
    seed_round,
)


def test_the_board_counts_every_analysed_comment_once(session, analysed):
    result = board.build(session, analysed.staff, analysed.round.id)

    assert result.total == len(analysed.comments)
    assert sum(card.comments for card in result.themes) + result.unassigned_count == result.total
    sizes = [card.comments for card in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    traffic = theme_of(session, analysed.comments[0])
    card = next(c for c in result.themes if c.theme.id == traffic.id)
    # Every traffic comment comes from its own organisation or person.
    in_theme = [c for c in analysed.comments if theme_of(session, c).id == traffic.id]
    assert card.comments == len(in_theme)
    assert card.organisations == len({c.author_organisation_id for c in in_theme} - {None})
    assert sum(n for _, n in card.categories) == card.comments
    assert sum(n for _, n in card.stances) == card.comments
    chapter = analysed.comments[0].paragraph.section
    while chapter.parent is not None:
        chapter = chapter.parent
    assert (chapter, len([c for c in in_theme if c.paragraph])) in card.chapters


def test_the_board_shows_a_campaign_once_with_its_count(session, analysed):
    result = board.build(session, analysed.staff, analysed.round.id)

    assert [(e.comment.body, e.campaign_size) for e in result.campaigns] == [
        (CAMPAIGN, CAMPAIGN_SIZE)
    ]
    for card in result.themes:
        campaign_examples = [e for e in card.examples if e.comment.body == CAMPAIGN]
        assert len(campaign_examples) <= 1


def test_the_board_lists_only_the_largest_campaigns_and_says_how_many_there_are(
    client, auth, session, analysed, monkeypatch
):
    monkeypatch.setattr(board, "CAMPAIGNS_SHOWN", 0)
    result = board.build(session, analysed.staff, analysed.round.id)
    assert result.campaigns == [] and result.campaign_count == 1

    monkeypatch.setattr(board, "CAMPAIGNS_SHOWN", 1)
    auth.login(analysed.staff)
    page = client.get(f"/analys/omgang/{analysed.round.id}/").get_data(as_text=True)
    assert "largest of" not in page and "största av" not in page  # all of them are shown


def test_the_matrix_counts_comments_per_chapter_and_theme(session, analysed):
    result = board.build(session, analysed.staff, analysed.round.id)
    matrix = result.matrix

    total = sum(matrix.count(ch, t) for ch in matrix.chapters for t in matrix.themes)
    assert total == sum(card.comments for card in result.themes)
    assert None in matrix.chapters  # comments on the draft as a whole
    assert {matrix.shade(ch, t) for ch in matrix.chapters for t in matrix.themes} <= set(range(6))
    assert max(matrix.shade(ch, t) for ch in matrix.chapters for t in matrix.themes) == 5


def test_the_board_page_shows_themes_charts_campaigns_and_matrix(client, auth, analysed):
    auth.login(analysed.staff)
    page = client.get(f"/analys/omgang/{analysed.round.id}/").get_data(as_text=True)

    assert "The last analysis finished" in page or "Den senaste analysen" in page
    themes = re.findall(r'<h3 id="theme-\d+-h"><a href="[^"]+">([^<]+)</a></h3>', page)
    assert len(themes) >= 2
    assert page.count('<svg class="share-chart" role="img"') == len(themes)
    assert '<table class="heatmap">' in page
    assert CAMPAIGN.replace("!", "")[:40] in page
    assert "4 synpunkter" in page or "4 comments" in page
    assert "<progress" not in page  # nothing under way


def test_a_running_job_shows_a_polling_progress_bar(client, auth, session, open_round):
    seeded = seed_round(session, open_round)
    services.start(
        session, seeded.staff, open_round.id, now=clock.now(), stale_after=timedelta(hours=1)
    )
    auth.login(seeded.staff)

    page = client.get(f"/analys/omgang/{open_round.id}/").get_data(as_text=True)
    assert re.search(r'<progress max="100" value="0"', page)
    assert 'hx-trigger="every 2s"' in page
    assert "Start the analysis" not in page and "Starta analysen" not in page

    fragment = client.get(
        f"/analys/omgang/{open_round.id}/status", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in fragment and "<html" not in fragment


def test_a_finished_job_stops_the_polling(client, auth, analysed):
    auth.login(analysed.staff)
    fragment = client.get(
        f"/analys/omgang/{analysed.round.id}/status", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "hx-trigger" not in fragment
    assert f'href="/analys/omgang/{analysed.round.id}/"' in fragment


def test_the_drill_down_lists_a_themes_comments_with_their_paragraph(session, analysed):
    traffic = theme_of(session, analysed.comments[0])
    page = drill.comments(session, analysed.staff, analysed.round.id, traffic.id, drill.Filters())
    bodies = {item.comment.body for item in page.items}
    assert analysed.comments[0].body in bodies
    assert not bodies & set(SCHOOL)
    item = next(i for i in page.items if i.comment.id == analysed.comments[0].id)
    assert item.chapter is not None and item.comment.paragraph is not None


def test_drill_down_filters_combine(session, analysed):
    traffic = theme_of(session, analysed.comments[0])

    def bodies(**filters):
        page = drill.comments(
            session,
            analysed.staff,
            analysed.round.id,
            traffic.id,
            drill.Filters(**filters),
        )
        return {item.comment.body for item in page.items}

    everything = bodies()
    municipal = bodies(category=Category.MUNICIPALITY.value)
    assert municipal and municipal < everything
    searched = bodies(q="klimatet")
    assert searched == {TRAFFIC[7]} & everything
    assert bodies(q="klimatet", category=Category.MUNICIPALITY.value) == searched & municipal
    assert bodies(stance="agree") == {
        c.body for c in analysed.comments if c.stance == "agree" and c.body in everything
    }
    assert bodies(kind="proposal") == {TRAFFIC[9]} & everything
    assert bodies(q="100%_") == set()


def test_drill_down_paginates(session, analysed):
    traffic = theme_of(session, analysed.comments[0])
    first = drill.comments(
        session, analysed.staff, analysed.round.id, traffic.id, drill.Filters(), per_page=3
    )
    second = drill.comments(
        session,
        analysed.staff,
        analysed.round.id,
        traffic.id,
        drill.Filters(),
        page=2,
        per_page=3,
    )
    assert first.pages >= 2 and len(first.items) == 3
    assert not {i.comment.id for i in first.items} & {i.comment.id for i in second.items}


def test_the_unassigned_list_holds_the_comments_without_a_theme(session, analysed):
    tagged = set(session.scalars(select(ThemeAssignment.comment_id)))
    page = drill.comments(session, analysed.staff, analysed.round.id, None, drill.Filters())
    without = {c.id for c in analysed.comments} - tagged
    assert {i.comment.id for i in page.items} == without
    result = board.build(session, analysed.staff, analysed.round.id)
    assert result.unassigned_count == len(without)
    assert {c.id for c in result.unassigned} <= without


def test_a_chapters_board_counts_its_comments_without_a_theme(session, analysed):
    lonely = analysed.comments[0]  # on a paragraph of a chapter; its tags taken off
    for tag in session.scalars(select(ThemeAssignment).filter_by(comment_id=lonely.id)):
        tag.removed_at = clock.now()
    session.commit()
    tagged = set(session.scalars(select(ThemeAssignment.comment_id).filter_by(removed_at=None)))
    top = board.chapter_of(board.round_sections(session, analysed.round))
    chapter = top(lonely.paragraph.section_id)
    sections = {s.id for s in analysed.round.document.sections if top(s.id) is chapter}
    in_chapter = [
        c
        for c in analysed.comments
        if (c.paragraph.section_id if c.paragraph else c.section_id) in sections
    ]
    result = board.build(session, analysed.staff, analysed.round.id, sections=sections)
    assert result.total == len(in_chapter)
    assert 0 < result.unassigned_count < result.total
    assert result.unassigned_count == len([c for c in in_chapter if c.id not in tagged])


def test_a_theme_of_another_round_is_not_found(session, analysed, now):
    from . import factories

    other = factories.make_round(session, opens_at=now.get(), closes_at=now.get())
    traffic = theme_of(session, analysed.comments[0])
    with pytest.raises(errors.NotFound):
        drill.comments(session, analysed.staff, other.id, traffic.id, drill.Filters())


def test_the_drill_down_page_filters_by_query_string(client, auth, session, analysed):
    traffic = theme_of(session, analysed.comments[0])
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/tema/{traffic.id}"

    page = client.get(url, query_string={"q": "klimatet"}).get_data(as_text=True)
    assert "klimatet" in page
    assert TRAFFIC[0] not in page
    assert 'class="quoted-excerpt"' in page  # the paragraph in context (its opening words)
    bad = client.get(url, query_string={"kategori": "<script>", "sida": "x"})
    assert bad.status_code == 200


def test_a_comment_in_two_themes_counts_in_both_and_not_as_unassigned(session, analysed):
    from consult.analysis import corrections

    traffic = theme_of(session, analysed.comments[0])
    school = analysed.comments[10]
    before = board.build(session, analysed.staff, analysed.round.id)
    corrections.add_tag(
        session, analysed.staff, analysed.round.id, school.id, traffic.id, now=clock.now()
    )
    after = board.build(session, analysed.staff, analysed.round.id)

    def card(result):
        return next(c for c in result.themes if c.theme.id == traffic.id)

    assert card(after).comments == card(before).comments + 1
    assert card(after).organisations == card(before).organisations + (
        1 if school.author_organisation_id else 0
    )
    assert sum(n for _, n in card(after).categories) == card(after).comments
    assert after.unassigned_count == before.unassigned_count
    assert after.total == before.total
