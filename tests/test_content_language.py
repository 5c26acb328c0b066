"""Content is marked with its language where it differs from the page's (WCAG 3.1.2)."""

from __future__ import annotations

import re

import flask_babel
from sqlalchemy import select

from consult.models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    CommentStatus,
    ModerationMode,
    Role,
    Theme,
)

from . import factories


def _in_english(client):
    assert client.post("/sprak", data={"lang": "en"}).status_code == 302
    # The tests share one app context, where Flask-Babel keeps the locale it chose first.
    flask_babel.refresh()


def _thread(round_, key):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def _prose_langs(page: str) -> list[str | None]:
    """The lang attribute of every block of draft or comment text, in page order."""
    blocks = re.findall(r'<div class="prose" hx-disable( lang="(\w+)")?>', page)
    return [lang or None for _, lang in blocks]


def test_in_english_the_swedish_draft_is_marked_swedish(client, open_round):
    _in_english(client)
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert '<html lang="en">' in page
    langs = _prose_langs(page)
    assert langs and set(langs) == {"sv"}
    assert f'<h1 lang="sv">{open_round.consultation.title}</h1>' in page
    assert '<span lang="sv">Inledning</span>' in page  # a section heading


def test_in_swedish_the_draft_needs_no_mark(client, open_round):
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert '<html lang="sv">' in page
    assert set(_prose_langs(page)) == {None}


def test_in_english_comments_are_marked_with_their_language_swedish_by_default(
    client, session, open_round
):
    paragraph = open_round.document.paragraphs[0]
    author = factories.make_user(session)
    factories.make_comment(session, open_round, author, paragraph=paragraph, body="Bra förslag.")
    _in_english(client)
    page = client.get(_thread(open_round, paragraph.anchor)).get_data(as_text=True)
    # The quoted paragraph and the comment: both Swedish on an English page.
    assert re.search(r'<div class="prose" hx-disable lang="sv"><p>Bra förslag\.</p>', page)
    assert re.search(r'<blockquote class="quoted prose" hx-disable lang="sv">', page)


def test_a_comment_read_as_english_is_marked_english_on_a_swedish_page(client, session, open_round):
    paragraph = open_round.document.paragraphs[0]
    author = factories.make_user(session)
    english = factories.make_comment(
        session, open_round, author, paragraph=paragraph, body="Good plan."
    )
    swedish = factories.make_comment(
        session, open_round, author, paragraph=paragraph, body="Bra plan."
    )
    analysis = Analysis(round_id=open_round.id, status=AnalysisStatus.DONE)
    session.add(analysis)
    session.flush()
    session.add_all(
        [
            AnalysedComment(
                analysis_id=analysis.id, comment_id=english.id, stance="neutral", language="en"
            ),
            AnalysedComment(
                analysis_id=analysis.id, comment_id=swedish.id, stance="neutral", language="sv"
            ),
        ]
    )
    session.commit()
    page = client.get(_thread(open_round, paragraph.anchor)).get_data(as_text=True)
    assert re.search(r'<div class="prose" hx-disable lang="en"><p>Good plan\.</p>', page)
    assert re.search(r'<div class="prose" hx-disable><p>Bra plan\.</p>', page)


def test_in_english_the_round_title_headings_and_contents_are_marked_swedish(client, open_round):
    _in_english(client)
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert f'<span lang="sv">{open_round.title}</span>' in page
    # The table of contents' link and the section's own heading.
    assert re.search(r'<a href="#[\w-]+">1 <span lang="sv">Inledning</span></a>', page)
    assert re.search(r'<span class="num">1</span> <span lang="sv">Inledning</span></h\d>', page)


def test_in_english_the_moderation_queue_marks_comments_and_paragraphs_swedish(
    client, session, auth, open_round
):
    open_round.moderation = ModerationMode.PRE
    paragraph = open_round.document.paragraphs[0]
    author = factories.make_user(session)
    factories.make_comment(
        session,
        open_round,
        author,
        paragraph=paragraph,
        body="Vänta på granskning.",
        status=CommentStatus.PENDING,
    )
    session.commit()
    auth.login(role=Role.STAFF)
    _in_english(client)
    page = client.get("/moderering/").get_data(as_text=True)
    assert re.search(r'<div class="prose" hx-disable lang="sv"><p>Vänta på granskning\.</p>', page)
    assert re.search(r'<blockquote class="quoted" lang="sv">', page)


def _drill_down(session, analysed) -> str:
    theme = session.scalars(
        select(Theme).where(Theme.round_id == analysed.round.id).order_by(Theme.id)
    ).first()
    return f"/analys/omgang/{analysed.round.id}/tema/{theme.id}"


def test_in_english_the_theme_drill_down_marks_comments_and_paragraphs_swedish(
    client, session, auth, analysed
):
    auth.login(analysed.staff)
    _in_english(client)
    page = client.get(_drill_down(session, analysed)).get_data(as_text=True)
    langs = _prose_langs(page)
    assert langs and set(langs) == {"sv"}
    assert '<q class="quoted-excerpt" lang="sv">' in page


def test_the_drill_down_marks_a_comment_read_as_english_on_a_swedish_page(
    client, session, auth, analysed
):
    auth.login(analysed.staff)
    url = _drill_down(session, analysed)
    first = int(re.search(r'id="ac-(\d+)"', client.get(url).get_data(as_text=True)).group(1))
    read = session.scalars(
        select(AnalysedComment)
        .where(AnalysedComment.comment_id == first)
        .order_by(AnalysedComment.analysis_id.desc())
    ).first()
    read.language = "en"
    session.commit()
    page = client.get(url).get_data(as_text=True)
    article = page[page.index(f'id="ac-{first}"') :]
    assert re.search(
        r'<div class="prose" hx-disable lang="en">', article[: article.index("</article>")]
    )
    assert set(_prose_langs(page)) == {"en", None}


def test_in_english_my_comments_mark_their_text_and_consultation_swedish(
    client, session, auth, open_round
):
    author = auth.login()
    factories.make_comment(
        session,
        open_round,
        author,
        paragraph=open_round.document.paragraphs[0],
        body="Bra förslag.",
    )
    session.commit()
    _in_english(client)
    page = client.get("/mina-synpunkter").get_data(as_text=True)
    assert '<span lang="sv">Bra förslag.' in page
    assert f'<span lang="sv">{open_round.consultation.title}</span>' in page
