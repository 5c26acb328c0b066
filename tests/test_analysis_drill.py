"""The drill-down's filters: paragraph, moderation state and staff's confirmation, alone and
combined with the others, through the service and through the page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from consult import clock
from consult.analysis import corrections, drill
from consult.models import AnalysedComment, Category, CommentStatus, Paragraph, Section

from . import factories
from .analysis_helpers import theme_of
from .analysis_seed import SCHOOL, TRAFFIC


def listed(session, seeded, theme_key, *, per_page=100, **filters) -> drill.Page:
    return drill.comments(
        session,
        seeded.staff,
        seeded.round.id,
        None if theme_key == drill.UNASSIGNED else theme_key,
        drill.Filters(**filters),
        per_page=per_page,
    )


def bodies(page: drill.Page) -> set[str]:
    return {item.comment.body for item in page.items}


def draft_parts(session, round_):
    """Return (chapters by heading, the draft's paragraphs in order)."""
    chapters = {
        s.heading: s
        for s in session.scalars(
            select(Section).where(
                Section.document_id == round_.document.id, Section.parent_id.is_(None)
            )
        )
    }
    paragraphs = list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == round_.document.id)
            .order_by(Paragraph.position)
        )
    )
    return chapters, paragraphs


@pytest.fixture
def traffic(session, analysed):
    return theme_of(session, analysed.comments[0])


# Paragraph


def test_the_paragraph_filter_keeps_the_comments_on_that_paragraph(session, analysed, traffic):
    _, paragraphs = draft_parts(session, analysed.round)
    everything = listed(session, analysed, traffic.id)
    on_list = listed(session, analysed, traffic.id, paragraph=paragraphs[-2].id)
    elsewhere = listed(session, analysed, traffic.id, paragraph=paragraphs[1].id)

    expected = {
        i.comment.body for i in everything.items if i.comment.paragraph_id == paragraphs[-2].id
    }
    assert expected and bodies(on_list) == expected
    assert on_list.total == len(expected)
    assert elsewhere.total == 0 and on_list.filters.paragraph == paragraphs[-2].id


def test_a_paragraph_in_the_chosen_chapter_narrows_it(session, analysed, traffic):
    chapters, paragraphs = draft_parts(session, analysed.round)
    chapter = chapters["Trafik och infrastruktur"]
    page = listed(session, analysed, traffic.id, chapter=chapter.id, paragraph=paragraphs[-2].id)

    assert page.filters.query_args()["stycke"] == paragraphs[-2].id
    assert bodies(page) == bodies(
        listed(session, analysed, traffic.id, paragraph=paragraphs[-2].id)
    )
    # The options list only the chosen chapter's paragraphs.
    assert [c.id for c, _ in page.paragraphs] == [chapter.id]
    options = [value for _, rows in page.paragraphs for value, _ in rows]
    assert options == [p.id for p in paragraphs[-3:]]
    assert next(text for v, text in page.paragraphs[0][1] if v == paragraphs[-3].id).startswith(
        f"{paragraphs[-3].number}: Regionen prioriterar"
    )


def test_a_paragraph_outside_the_chosen_chapter_is_ignored(session, analysed, traffic):
    chapters, paragraphs = draft_parts(session, analysed.round)
    chapter = chapters["Trafik och infrastruktur"]
    page = listed(session, analysed, traffic.id, chapter=chapter.id, paragraph=paragraphs[0].id)

    assert page.filters.paragraph is None and "stycke" not in page.filters.query_args()
    assert bodies(page) == bodies(listed(session, analysed, traffic.id, chapter=chapter.id))
    assert page.total > 0


def test_a_paragraph_or_chapter_of_another_draft_is_ignored(session, analysed, traffic, now):
    other = factories.make_round(session, opens_at=now.get(), closes_at=now.get())
    chapters, paragraphs = draft_parts(session, other)
    page = listed(
        session,
        analysed,
        traffic.id,
        paragraph=paragraphs[0].id,
        chapter=next(iter(chapters.values())).id,
    )

    assert (page.filters.paragraph, page.filters.chapter) == (None, None)
    assert page.total == listed(session, analysed, traffic.id).total
    # Without a chapter, every chapter's paragraphs are offered, grouped.
    assert len(page.paragraphs) == 2


def test_the_chapter_filter_counts_a_subsections_paragraph_in_its_chapter(session, analysed):
    chapters, paragraphs = draft_parts(session, analysed.round)
    school = theme_of(session, analysed.comments[10])
    page = listed(session, analysed, school.id, chapter=chapters["Inledning"].id)
    assert bodies(page) and bodies(page) <= set(SCHOOL)
    assert (
        listed(session, analysed, school.id, chapter=chapters["Trafik och infrastruktur"].id).total
        == 0
    )


# Moderation state


def hide(session, comment) -> None:
    comment.status = CommentStatus.HIDDEN
    session.commit()


def test_by_default_only_published_comments_are_listed(session, analysed, traffic):
    before = listed(session, analysed, traffic.id)
    hide(session, analysed.comments[0])

    after = listed(session, analysed, traffic.id)
    assert after.total == before.total - 1
    assert TRAFFIC[0] not in bodies(after)
    assert after.filters.state == "" and not after.filters.active


def test_the_state_filter_reaches_comments_hidden_after_they_were_tagged(
    session, analysed, traffic
):
    everything = listed(session, analysed, traffic.id)
    hide(session, analysed.comments[0])

    hidden = listed(session, analysed, traffic.id, state="hidden")
    assert bodies(hidden) == {TRAFFIC[0]}
    assert hidden.filters.query_args() == {"status": "hidden"}
    assert bodies(listed(session, analysed, traffic.id, state="all")) == bodies(everything)
    assert listed(session, analysed, traffic.id, state="withdrawn").total == 0


def test_the_state_filter_on_the_unassigned_list(session, analysed):
    hidden = listed(session, analysed, drill.UNASSIGNED, state="hidden")
    assert bodies(hidden) == {analysed.hidden.body}
    assert analysed.hidden.body not in bodies(listed(session, analysed, drill.UNASSIGNED))


def test_replies_stay_out_whatever_the_state(session, analysed, traffic):
    assert analysed.reply.body not in bodies(
        listed(session, analysed, drill.UNASSIGNED, state="all")
    )


# Confirmed by staff


def confirm(session, seeded, comment, theme) -> None:
    corrections.confirm_tag(
        session, seeded.staff, seeded.round.id, comment.id, theme.id, now=clock.now()
    )


def test_the_confirmed_filter_splits_the_theme(session, analysed, traffic):
    confirm(session, analysed, analysed.comments[0], traffic)
    everything = bodies(listed(session, analysed, traffic.id))

    yes = listed(session, analysed, traffic.id, confirmed="yes")
    no = listed(session, analysed, traffic.id, confirmed="no")
    assert bodies(yes) == {TRAFFIC[0]}
    assert bodies(no) == everything - {TRAFFIC[0]}
    assert yes.total + no.total == len(everything)
    assert all(item.tag.confirmed for item in yes.items)
    assert not any(item.tag.confirmed for item in no.items)


def test_a_comment_staff_added_to_a_theme_counts_as_confirmed(session, analysed, traffic):
    school = analysed.comments[10]  # in another theme: staff add the traffic theme too
    corrections.add_tag(
        session, analysed.staff, analysed.round.id, school.id, traffic.id, now=clock.now()
    )
    assert bodies(listed(session, analysed, traffic.id, confirmed="yes")) == {school.body}


def test_the_confirmed_filter_does_not_apply_without_a_theme(session, analysed):
    page = listed(session, analysed, drill.UNASSIGNED, confirmed="yes")
    assert (
        page.filters.confirmed == ""
        and page.total == listed(session, analysed, drill.UNASSIGNED).total
    )


# Combinations and the query string


def test_new_and_old_filters_combine(session, analysed, traffic):
    _, paragraphs = draft_parts(session, analysed.round)
    confirm(session, analysed, analysed.comments[0], traffic)
    confirm(session, analysed, analysed.comments[1], traffic)
    hide(session, analysed.comments[1])

    def ids(**filters):
        return {i.comment.id for i in listed(session, analysed, traffic.id, **filters).items}

    on_paragraph = ids(paragraph=paragraphs[-2].id, state="all")
    confirmed = ids(confirmed="yes", state="all")
    municipal = ids(category=Category.MUNICIPALITY.value, state="all")
    assert (
        ids(paragraph=paragraphs[-2].id, confirmed="yes", state="all") == on_paragraph & confirmed
    )
    assert ids(confirmed="yes") == {analysed.comments[0].id}
    assert ids(confirmed="yes", state="hidden") == {analysed.comments[1].id}
    assert ids(confirmed="no", category=Category.MUNICIPALITY.value, state="all") == (
        municipal - confirmed
    )
    assert ids(confirmed="yes", state="all", q="godstrafiken") == {analysed.comments[1].id}


def test_filters_survive_the_query_string_and_ignore_nonsense():
    filters = drill.Filters.from_args(
        MultiDict(
            {
                "stycke": "12",
                "status": "hidden",
                "bekraftad": "no",
                "kapitel": "3",
                "sprak": "en",
                "q": " a  b ",
            }
        )
    )
    assert (filters.paragraph, filters.state, filters.confirmed, filters.language, filters.q) == (
        12,
        "hidden",
        "no",
        "en",
        "a b",
    )
    as_sent = {name: str(value) for name, value in filters.query_args().items()}
    assert drill.Filters.from_args(MultiDict(as_sent)) == filters
    nonsense = drill.Filters.from_args(
        MultiDict({"stycke": "-1", "status": "published'", "bekraftad": "maybe", "sprak": "fi"})
    )
    assert nonsense == drill.Filters() and not nonsense.active


def test_the_page_offers_the_new_filters_labelled_and_keeps_them_when_paging(
    client, auth, session, analysed, traffic, app
):
    _, paragraphs = draft_parts(session, analysed.round)
    app.config["ANALYSIS_COMMENTS_PER_PAGE"] = 2
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/tema/{traffic.id}"

    response = client.get(
        url, query_string={"stycke": paragraphs[-2].id, "status": "all", "bekraftad": "no"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("stycke", "status", "bekraftad"):
        assert re.search(rf'<label class="label" for="f-{name}">[^<]+</label>', page)
        assert f'<select id="f-{name}" name="{name}"' in page
    assert re.search(rf'<option value="{paragraphs[-2].id}" selected>', page)
    assert '<option value="all" selected>' in page
    assert '<option value="no" selected>' in page
    assert "<optgroup" in page
    next_page = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    assert f"stycke={paragraphs[-2].id}" in next_page
    assert "status=all" in next_page and "bekraftad=no" in next_page

    unassigned = client.get(f"/analys/omgang/{analysed.round.id}/tema/ingen").get_data(as_text=True)
    assert 'name="bekraftad"' not in unassigned  # no tag to confirm there
    bad = client.get(url, query_string={"stycke": "x", "status": "<b>", "bekraftad": "1"})
    assert bad.status_code == 200 and "<b>" not in bad.get_data(as_text=True)


def test_a_page_past_the_end_shows_the_last_page(session, analysed, traffic):
    everything = listed(session, analysed, traffic.id)
    last = drill.comments(
        session,
        analysed.staff,
        analysed.round.id,
        traffic.id,
        drill.Filters(),
        page=99,
        per_page=3,
    )
    assert last.page == last.pages == -(-everything.total // 3)
    assert last.total == everything.total
    assert [i.comment.id for i in last.items] == [i.comment.id for i in everything.items][
        (last.pages - 1) * 3 :
    ]
    empty = listed(session, analysed, traffic.id, q="finns-inte-någonstans")
    assert (empty.total, empty.page, empty.pages, empty.items) == (0, 1, 1, [])


# Language


def test_the_analysis_reads_each_comments_language(session, analysed):
    languages = session.scalars(
        select(AnalysedComment.language).where(
            AnalysedComment.comment_id.in_([c.id for c in analysed.comments[:5]])
        )
    ).all()
    assert languages == ["sv"] * 5  # the seeded comments are Swedish


def test_the_language_filter_keeps_the_comments_read_in_that_language(session, analysed, traffic):
    english = analysed.comments[0]
    read = session.scalars(
        select(AnalysedComment).where(AnalysedComment.comment_id == english.id)
    ).one()
    read.language = "en"
    session.commit()
    everything = bodies(listed(session, analysed, traffic.id))

    assert bodies(listed(session, analysed, traffic.id, language="en")) == {english.body}
    assert bodies(listed(session, analysed, traffic.id, language="sv")) == everything - {
        english.body
    }
    assert bodies(listed(session, analysed, traffic.id, language="other")) == set()
    read.language = "und"
    session.commit()
    assert bodies(listed(session, analysed, traffic.id, language="other")) == {english.body}
