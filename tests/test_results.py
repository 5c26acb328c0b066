"""Published results on the public round page: totals, counts by stakeholder category and by
section, and nothing of it before publication."""

import re
from datetime import timedelta

import pytest

from consult.admin import round_actions
from consult.consultations.results import round_results
from consult.models import Category, CommentStatus, Role

from . import factories


@pytest.fixture
def closed_round(session, now):
    return factories.make_round(
        session, opens_at=now.get() - timedelta(days=20), closes_at=now.get() - timedelta(days=1)
    )


@pytest.fixture
def commented(session, closed_round):
    """Comments from three people of two organisations (and one private person)."""
    municipality = factories.make_organisation(session, "Umeå kommun", Category.MUNICIPALITY)
    firm = factories.make_organisation(session, "Skogsbolaget AB", Category.BUSINESS)
    anna = factories.make_user(session, organisation=municipality)
    bo = factories.make_user(session, organisation=municipality)
    carl = factories.make_user(session, category=Category.BUSINESS, organisation=firm)
    dora = factories.make_user(session, category=Category.INDIVIDUAL)
    document = closed_round.document
    intro = next(s for s in document.sections if s.heading == "Inledning")
    vision = next(s for s in document.sections if s.heading == "Vision")
    first, _, third, *_ = document.paragraphs  # ¶1 Inledning, ¶3 Vision (under Inledning)
    traffic_paragraph = document.paragraphs[3]
    comment = factories.make_comment(session, closed_round, anna, paragraph=first)
    factories.make_comment(session, closed_round, bo, paragraph=third)
    factories.make_comment(session, closed_round, carl, section=vision)
    factories.make_comment(session, closed_round, carl, paragraph=traffic_paragraph)
    factories.make_comment(session, closed_round, dora)  # the whole draft
    factories.make_comment(session, closed_round, bo, paragraph=first, parent=comment)
    # Not published: not counted.
    factories.make_comment(
        session, closed_round, dora, paragraph=first, status=CommentStatus.HIDDEN
    )
    factories.make_comment(
        session, closed_round, dora, paragraph=first, status=CommentStatus.WITHDRAWN
    )
    return intro


def _publish(session, now, round_):
    admin = factories.make_user(session, role=Role.ADMIN)
    round_actions.publish_results(session, admin, round_.id, now=now.get())


def _bars(bars):
    return {bar.label: bar.count for bar in bars}


def test_counts_by_category_and_section(app, session, now, closed_round, commented):
    with app.test_request_context():
        results = round_results(session, closed_round)
        by_category = _bars(results.by_category)
        by_section = _bars(results.by_section)
    assert (results.comments, results.organisations, results.participants) == (6, 2, 4)
    assert by_category["Kommun"] == 3
    assert by_category["Näringsliv"] == 2
    assert by_category["Privatperson"] == 1
    assert by_category["Akademi"] == 0
    # A subsection's comments count towards its chapter; the reply towards its comment's.
    assert by_section == {"Hela förslaget": 1, "1 Inledning": 4, "2 Trafik och infrastruktur": 1}
    assert [round(bar.share, 3) for bar in results.by_section] == [0.167, 0.667, 0.167]


def test_a_merged_organisation_counts_once(app, session, now, closed_round, commented):
    from consult.models import Organisation

    old = session.query(Organisation).filter_by(name="Skogsbolaget AB").one()
    kept = session.query(Organisation).filter_by(name="Umeå kommun").one()
    old.merged_into_id = kept.id
    session.commit()
    with app.test_request_context():
        assert round_results(session, closed_round).organisations == 1


def test_nothing_shows_before_publication(client, session, now, closed_round, commented):
    page = client.get(f"/samrad/{closed_round.consultation.slug}/").get_data(as_text=True)
    assert 'id="results-h"' not in page
    assert 'id="results-category"' not in page


def test_the_round_page_shows_the_results_once_published(
    client, session, now, closed_round, commented
):
    _publish(session, now, closed_round)
    page = client.get(f"/samrad/{closed_round.consultation.slug}/").get_data(as_text=True)
    assert 'id="results-h"' in page
    totals = re.search(r'<dl class="results-totals">(.*?)</dl>', page, re.S).group(1)
    # Five comments and one reply: named apart, as on the admin page and in the report.
    assert re.findall(r"<dd>(\d+)</dd>", totals) == ["5", "1", "2", "4"]
    category = re.search(
        r'<table class="results-table" id="results-category">(.*?)</table>', page, re.S
    ).group(1)
    assert "<caption" in category
    assert re.search(r'<th scope="row">Kommun</th>\s*<td class="num">3</td>', category)
    assert "50 %" in category  # 3 of 6, said in text and not only drawn
    section = re.search(r'id="results-section">(.*?)</table>', page, re.S).group(1)
    assert re.search(r'1 Inledning</a></th>\s*<td class="num">4</td>', section)
    # The bars are decoration beside the numbers: hidden from screen readers.
    assert 'aria-hidden="true"' in section


def test_an_empty_round_publishes_zeros(client, session, now, closed_round):
    _publish(session, now, closed_round)
    page = client.get(f"/samrad/{closed_round.consultation.slug}/").get_data(as_text=True)
    totals = re.search(r'<dl class="results-totals">(.*?)</dl>', page, re.S).group(1)
    assert re.findall(r"<dd>(\d+)</dd>", totals) == ["0", "0", "0", "0"]
    assert "0 %" in page
