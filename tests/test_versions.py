"""Matching a revised draft to the previous round's: unchanged, changed, new, removed,
reordered, split and merged paragraphs, stored links, and the "what changed" pages."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.admin import services
from consult.consultations import changes, versions
from consult.consultations.versions import Block, match
from consult.models import Paragraph, ParagraphChange, Role

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
    return services.create_round(
        session,
        admin,
        first_round.consultation_id,
        title="Remissomgång 2",
        opens_at=None,
        closes_at=None,
        moderation="post",
        commenters="registered",
        draft=services.DraftFile("utkast-2.md", io.BytesIO(markdown.encode())),
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
    services.replace_draft(
        session,
        admin,
        second.id,
        draft=services.DraftFile("utkast-3.md", io.BytesIO(FIRST.encode())),
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
