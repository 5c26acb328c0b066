"""Matching a revised draft to the previous round's: unchanged, changed, new, removed,
reordered, split and merged paragraphs, stored links, and the "what changed" pages."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.admin import round_actions, rounds, uploads
from consult.consultations import changes, versions
from consult.consultations.versions import Block, match
from consult.errors import WrongState
from consult.models import Commenters, ModerationMode, Paragraph, ParagraphChange, Role

from . import factories

UNCHANGED, CHANGED, NEW = ParagraphChange.UNCHANGED, ParagraphChange.CHANGED, ParagraphChange.NEW

TRAINS = "Regionen ska verka för att Norrbotniabanan byggs ut hela vägen till Luleå."
SCHOOLS = "Kommunerna ansvarar för att skolorna har behöriga lärare i alla ämnen."
CLIMATE = "Utsläppen av växthusgaser från transporter ska halveras till år 2030."
CULTURE = "Kulturlivet i inlandet behöver långsiktig finansiering och egna lokaler."


def blocks(*texts, start=1):
    return [Block(start + i, text) for i, text in enumerate(texts)]


# Matching, on plain blocks


def test_same_text_is_unchanged_even_with_other_whitespace():
    result = match(
        blocks(TRAINS, SCHOOLS),
        blocks(
            TRAINS,
            "  Kommunerna ansvarar för att\nskolorna har behöriga lärare i alla ämnen. ",
            start=11,
        ),
    )
    assert result.links == {11: (1, UNCHANGED), 12: (2, UNCHANGED)}
    assert result.removed == {}


def test_an_edited_paragraph_is_changed_and_linked_to_its_old_version():
    edited = TRAINS.replace("hela vägen till Luleå", "till Luleå före 2035")
    result = match(blocks(TRAINS, SCHOOLS), blocks(edited, SCHOOLS, start=11))
    assert result.links[11] == (1, CHANGED)
    assert result.links[12] == (2, UNCHANGED)


def test_a_different_paragraph_is_new_and_the_old_one_removed():
    result = match(blocks(TRAINS, SCHOOLS), blocks(TRAINS, CULTURE, start=11))
    assert result.links[12] == (None, NEW)
    assert result.removed == {2: None}


def test_a_reordered_paragraph_is_found_where_it_moved():
    result = match(blocks(TRAINS, SCHOOLS, CLIMATE), blocks(CLIMATE, TRAINS, SCHOOLS, start=11))
    assert result.links == {11: (3, UNCHANGED), 12: (1, UNCHANGED), 13: (2, UNCHANGED)}


def test_a_reordered_and_edited_paragraph_is_changed_where_it_moved():
    edited = CLIMATE.replace("halveras", "minska med 70 procent")
    result = match(blocks(TRAINS, SCHOOLS, CLIMATE), blocks(edited, TRAINS, SCHOOLS, start=11))
    assert result.links[11] == (3, CHANGED)


def test_a_split_paragraph_marks_both_parts_changed_and_linked_to_the_old_one():
    whole = f"{TRAINS} {CLIMATE}"
    result = match(blocks(whole, SCHOOLS), blocks(TRAINS, CLIMATE, SCHOOLS, start=11))
    assert result.links[11] == (1, CHANGED)
    assert result.links[12] == (1, CHANGED)
    assert result.links[13] == (2, UNCHANGED)
    # Only one part takes over the old paragraph's identity.
    assert [new for new, old in result.heirs.items() if old == 1] == [11]
    assert result.removed == {}


def test_an_uneven_split_links_the_short_part_too():
    short = "Strategin gäller hela länet."
    long_text = f"{TRAINS} {CLIMATE} {CULTURE} {SCHOOLS}"
    result = match(blocks(f"{short} {long_text}"), blocks(short, long_text, start=11))
    assert result.links == {11: (1, CHANGED), 12: (1, CHANGED)}
    assert result.heirs == {12: 1}


def test_a_paragraph_split_in_three_links_every_part():
    whole = f"{TRAINS} {CLIMATE} {CULTURE}"
    result = match(blocks(whole), blocks(TRAINS, CLIMATE, CULTURE, start=11))
    assert {new: link for new, link in result.links.items()} == {
        11: (1, CHANGED),
        12: (1, CHANGED),
        13: (1, CHANGED),
    }


def test_two_paragraphs_merged_into_one_link_to_the_closer_and_the_other_is_merged():
    merged = f"{TRAINS} {CLIMATE} Båda är viktiga."
    result = match(blocks(TRAINS, CLIMATE, SCHOOLS), blocks(merged, SCHOOLS, start=11))
    assert result.links[11] in {(1, CHANGED), (3, CHANGED)}
    assert result.links[12] == (3, UNCHANGED)
    linked = result.links[11][0]
    other = ({1, 2} - {linked}).pop()
    assert result.removed == {other: 11}


def test_each_old_paragraph_is_continued_by_its_best_match_only():
    # Two similar new paragraphs compete for one old one: the closer wins, the other is new.
    close = TRAINS.replace("Luleå", "Luleå och Haparanda")
    far = "Regionen ska verka för att E12 byggs ut hela vägen till Mo i Rana."
    result = match(blocks(TRAINS), blocks(far, close, start=11))
    assert result.links[12] == (1, CHANGED)
    assert result.links[11] == (None, NEW)


def test_repeated_identical_paragraphs_pair_in_order():
    result = match(blocks(TRAINS, TRAINS), blocks(TRAINS, TRAINS, start=11))
    assert result.links == {11: (1, UNCHANGED), 12: (2, UNCHANGED)}


# Stored links, through the administration service


@pytest.fixture
def admin(session):
    return factories.make_user(session, role=Role.ADMIN)


FIRST = f"""# Transporter

{TRAINS}

{CLIMATE}

# Skola

{SCHOOLS}

# Kultur

{CULTURE}
"""

SECOND = f"""# Transporter

{TRAINS.replace("hela vägen till Luleå", "till Luleå före 2035")}

Ny text om cykelvägar mellan byarna i hela länet.

# Skola

{SCHOOLS}

{CLIMATE}
"""


@pytest.fixture
def first_round(session, now):
    return factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=40),
        closes_at=now.get() - timedelta(days=10),
        markdown=FIRST,
    )


def _second_round(session, admin, first_round, now, markdown=SECOND):
    return rounds.create_round(
        session,
        admin,
        first_round.consultation_id,
        title="Remissomgång 2",
        opens_at=None,
        closes_at=None,
        moderation="post",
        commenters="registered",
        draft=uploads.DraftFile("utkast-2.md", io.BytesIO(markdown.encode())),
        now=now.get(),
    )


def _by_text(round_):
    return {p.text: p for p in round_.document.paragraphs}


def test_a_new_round_stores_links_to_the_previous_draft(session, admin, first_round, now):
    second = _second_round(session, admin, first_round, now)
    old = _by_text(first_round)
    new = _by_text(second)
    edited = new[TRAINS.replace("hela vägen till Luleå", "till Luleå före 2035")]
    assert (edited.previous_id, edited.change) == (old[TRAINS].id, CHANGED)
    assert (new[SCHOOLS].previous_id, new[SCHOOLS].change) == (old[SCHOOLS].id, UNCHANGED)
    # Moved to another section, still found.
    assert (new[CLIMATE].previous_id, new[CLIMATE].change) == (old[CLIMATE].id, UNCHANGED)
    cycling = new["Ny text om cykelvägar mellan byarna i hela länet."]
    assert (cycling.previous_id, cycling.change) == (None, NEW)
    # A continued paragraph keeps its anchor, so shared links still lead to it.
    assert new[SCHOOLS].anchor == old[SCHOOLS].anchor
    assert edited.anchor == old[TRAINS].anchor
    assert cycling.anchor not in {p.anchor for p in old.values()}


def test_the_first_round_has_no_links(session, first_round):
    assert {p.change for p in first_round.document.paragraphs} == {None}


def test_replacing_a_later_draft_links_it_again(session, admin, first_round, now):
    second = _second_round(session, admin, first_round, now)
    rounds.replace_draft(
        session,
        admin,
        second.id,
        draft=uploads.DraftFile("utkast-3.md", io.BytesIO(FIRST.encode())),
        now=now.get(),
    )
    session.expire_all()
    assert {p.change for p in second.document.paragraphs} == {UNCHANGED}


def test_comments_of_the_earlier_round_stay_on_its_paragraphs(session, admin, first_round, now):
    author = factories.make_user(session)
    old = _by_text(first_round)[TRAINS]
    comment = factories.make_comment(session, first_round, author, paragraph=old)
    second = _second_round(session, admin, first_round, now)
    session.expire_all()
    assert comment.paragraph_id == old.id
    assert comment.round_id == first_round.id
    new_ids = {p.id for p in second.document.paragraphs}
    assert comment.paragraph_id not in new_ids


# What changed, by section


def test_compare_places_removed_paragraphs_in_their_section(app, session, admin, first_round, now):
    second = _second_round(session, admin, first_round, now)
    with app.test_request_context():
        result = changes.compare(session, second)
    transport, school = result.sections
    assert [i.change for i in transport.items] == ["changed", "new"]
    assert [i.change for i in school.items] == ["unchanged", "unchanged"]
    assert result.totals == {"unchanged": 2, "changed": 1, "new": 1, "removed": 1}
    # The culture section is gone: its paragraph is listed as a removed section.
    (gone,) = result.removed_sections
    assert gone.heading == "Kultur"
    assert gone.items[0].previous.text == CULTURE
    diff = str(transport.items[0].diff)
    assert "<del>" in diff and "<ins>" in diff and "före" in diff


def test_a_removed_paragraph_stays_after_its_old_neighbour(app, session, admin, first_round, now):
    markdown = FIRST.replace(f"{CLIMATE}\n", "")
    second = _second_round(session, admin, first_round, now, markdown=markdown)
    with app.test_request_context():
        result = changes.compare(session, second)
    assert [(i.change, (i.paragraph or i.previous).text) for i in result.sections[0].items] == [
        ("unchanged", TRAINS),
        ("removed", CLIMATE),
    ]


def test_the_paragraph_ids_are_kept_per_document(session, admin, first_round, now):
    second = _second_round(session, admin, first_round, now)
    anchors = session.scalars(
        select(Paragraph.anchor).where(Paragraph.document_id == second.document.id)
    ).all()
    assert len(anchors) == len(set(anchors))


def test_previous_round_is_the_latest_earlier_round_with_a_draft(session, admin, first_round, now):
    second = _second_round(session, admin, first_round, now)
    assert versions.previous_round(session, second) == first_round
    assert versions.previous_round(session, first_round) is None


# The pages: public "what changed", the round page's links, and the administration's view


@pytest.fixture
def second_round(session, admin, first_round, now):
    round_ = _second_round(session, admin, first_round, now)
    round_actions.open_now(
        session, admin, round_.id, now=now.get(), closes_at=now.get() + timedelta(days=30)
    )
    return round_


def test_the_public_page_shows_what_changed_by_section(client, session, first_round, second_round):
    author = factories.make_user(session)
    factories.make_comment(session, first_round, author, paragraph=_by_text(first_round)[TRAINS])
    slug = second_round.consultation.slug
    response = client.get(f"/samrad/{slug}/omgang/2/andringar")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The changed paragraph as a word diff, with text cues besides the styling.
    assert '<del><span class="visually-hidden">' in page
    assert "före" in page and "<ins>" in page
    # The new paragraph marked, the removed one listed (its whole section went).
    assert 'class="change-item change-new"' in page
    assert 'class="change-item change-removed"' in page and CULTURE in page
    # Unchanged paragraphs are folded.
    assert '<details class="unchanged-run">' in page
    # The earlier version's comments stay in round 1, one link away.
    old = _by_text(first_round)[TRAINS]
    assert f'/samrad/{slug}/omgang/1/synpunkter/{old.anchor}"' in page


def test_the_round_page_links_to_the_changes_and_the_earlier_round(
    client, session, first_round, second_round
):
    slug = second_round.consultation.slug
    page = client.get(f"/samrad/{slug}/").get_data(as_text=True)
    assert f'href="/samrad/{slug}/omgang/2/andringar"' in page
    assert f'href="/samrad/{slug}/omgang/1/"' in page
    # The changed and the new paragraph are marked in the draft; unchanged ones are not.
    assert page.count('class="change-mark change-changed"') == 1
    assert page.count('class="change-mark change-new"') == 1
    first_page = client.get(f"/samrad/{slug}/omgang/1/").get_data(as_text=True)
    assert "change-mark" not in first_page and "/andringar" not in first_page


def test_a_first_round_has_no_changes_page(client, first_round):
    slug = first_round.consultation.slug
    assert client.get(f"/samrad/{slug}/omgang/1/andringar").status_code == 404


def test_a_draft_that_never_opened_is_not_shown_through_a_later_round(
    client, session, admin, first_round, second_round
):
    first_round.opens_at = first_round.closes_at = None  # round 1 was never made public
    session.commit()
    slug = second_round.consultation.slug
    assert client.get(f"/samrad/{slug}/omgang/2/andringar").status_code == 404
    response = client.get(f"/samrad/{slug}/omgang/2/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/omgang/1/" not in page and "/andringar" not in page


def test_staff_see_what_changed_on_the_admin_round_page(client, auth, session, first_round, now):
    admin = auth.login(role=Role.ADMIN)
    second = _second_round(session, admin, first_round, now)
    page = client.get(f"/admin/omgang/{second.id}/").get_data(as_text=True)
    assert f'href="/admin/omgang/{second.id}/andringar"' in page
    changes_page = client.get(f"/admin/omgang/{second.id}/andringar")
    assert changes_page.status_code == 200
    assert 'class="change-item change-changed"' in changes_page.get_data(as_text=True)


def test_a_new_round_form_takes_the_previous_rounds_settings(client, auth, session, first_round):
    first_round.moderation = ModerationMode.PRE
    first_round.commenters = Commenters.VERIFIED
    first_round.report_threshold = 7
    session.commit()
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/samrad/{first_round.consultation_id}/ny-omgang").get_data(
        as_text=True
    )
    assert re.search(r'value="pre"[^>]*checked|checked[^>]*value="pre"', page)
    assert re.search(r'value="verified"[^>]*checked|checked[^>]*value="verified"', page)
    assert re.search(r'name="report_threshold"[^>]*value="7"', page)


@pytest.mark.parametrize(("value", "stored"), [("5", 5), ("1", 1), ("50", 50)])
def test_the_report_threshold_is_set_on_the_round_form(
    client, auth, session, first_round, value, stored
):
    auth.login(role=Role.ADMIN)
    url = f"/admin/omgang/{first_round.id}/redigera"
    response = client.post(url, data={"title": "Omgång 1", "report_threshold": value})
    assert response.status_code == 302
    session.refresh(first_round)
    assert first_round.report_threshold == stored


@pytest.mark.parametrize("value", ["0", "51", "tre", ""])
def test_a_bad_report_threshold_is_refused(client, auth, session, first_round, value):
    auth.login(role=Role.ADMIN)
    url = f"/admin/omgang/{first_round.id}/redigera"
    response = client.post(url, data={"title": "Nytt namn", "report_threshold": value})
    assert response.status_code == 422
    assert 'id="report_threshold-error"' in response.get_data(as_text=True)
    session.refresh(first_round)
    assert (first_round.report_threshold, first_round.title) == (3, "Remissomgång 1")


def test_a_draft_that_a_later_round_continues_cannot_be_replaced(session, admin, now):
    first = factories.make_round(
        session,
        opens_at=now.get() + timedelta(days=5),
        closes_at=now.get() + timedelta(days=30),
        markdown=FIRST,
    )
    _second_round(session, admin, first, now)
    with pytest.raises(WrongState) as refused:
        rounds.replace_draft(
            session,
            admin,
            first.id,
            draft=uploads.DraftFile("ny.md", io.BytesIO(SECOND.encode())),
            now=now.get(),
        )
    assert refused.value.key == "draft_continued"
    session.rollback()
    session.expire_all()
    assert {p.text for p in first.document.paragraphs} == {TRAINS, CLIMATE, SCHOOLS, CULTURE}


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT, Role.STAFF, Role.ADMIN])
def test_everyone_may_read_what_changed(client, auth, first_round, second_round, role):
    if role is not None:
        auth.login(role=role)
    slug = second_round.consultation.slug
    assert client.get(f"/samrad/{slug}/omgang/2/andringar").status_code == 200
    assert (
        client.get(f"/samrad/{slug}/omgang/2/andringar", headers={"HX-Request": "true"}).status_code
        == 200
    )
