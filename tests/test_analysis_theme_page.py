"""A theme's page stays light: each comment shows its paragraph's number and opening words
(with a link to the whole), and the list of themes to move comments to is on the page once,
shared by every comment's button, which works without JavaScript."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.models import Origin, Role, Theme, ThemeAssignment

from . import factories

LONG = " ".join(f"ord{n}" for n in range(400))  # a paragraph of some 2,800 characters
DRAFT = f"# Strategi\n\n## Trafik\n\n{LONG}\n\nEtt kort stycke.\n"


@pytest.fixture
def crowded(session, now):
    """Twelve comments on one long paragraph, all in "Trafik", beside eight other themes."""
    round_ = factories.make_round(session, opens_at=now.get(), closes_at=now.get(), markdown=DRAFT)
    staff = factories.make_user(session, role=Role.STAFF)
    paragraph = round_.document.paragraphs[0]
    traffic = Theme(round_id=round_.id, name="Trafik", origin=Origin.MODEL)
    others = [Theme(round_id=round_.id, name=f"Tema {n}", origin=Origin.MODEL) for n in range(8)]
    session.add_all([traffic, *others])
    session.flush()
    comments = [
        factories.make_comment(session, round_, staff, paragraph=paragraph, body=f"Synpunkt {n}.")
        for n in range(12)
    ]
    session.add_all(
        ThemeAssignment(comment_id=c.id, theme_id=traffic.id, source=Origin.MODEL) for c in comments
    )
    session.commit()
    return {
        "round": round_,
        "staff": staff,
        "traffic": traffic,
        "others": others,
        "comments": comments,
        "paragraph": paragraph,
    }


def test_each_comment_shows_its_paragraphs_opening_words_and_a_link(client, auth, crowded):
    auth.login(crowded["staff"])
    traffic, paragraph = crowded["traffic"], crowded["paragraph"]
    page = client.get(f"/analys/omgang/{traffic.round_id}/tema/{traffic.id}")
    text = page.get_data(as_text=True)

    assert page.status_code == 200
    assert text.count('class="quoted-excerpt">ord0 ord1 ord2') == 12  # opening words
    assert "ord399" not in text  # never the whole paragraph
    assert text.count(f"#{paragraph.anchor}") >= 12  # … which is a link away
    assert len(page.data) < 60_000


def test_the_themes_to_move_to_are_listed_once_per_page(client, auth, crowded):
    auth.login(crowded["staff"])
    traffic = crowded["traffic"]
    text = client.get(f"/analys/omgang/{traffic.round_id}/tema/{traffic.id}").get_data(as_text=True)
    for other in crowded["others"]:
        assert text.count(f">{other.name}</option>") == 1
    assert text.count('formaction="/analys/omgang/') == 12  # a button per comment


def test_a_comments_move_button_works_without_javascript(client, auth, session, crowded):
    auth.login(crowded["staff"])
    traffic, target = crowded["traffic"], crowded["others"][3]
    comment = crowded["comments"][0]
    # What the browser sends: the page's selection form, posted to the comment's address.
    response = client.post(
        f"/analys/omgang/{traffic.round_id}/synpunkt/{comment.id}/flytta",
        data={
            "back": str(traffic.id),
            "from_theme": str(traffic.id),
            "action": "move",
            "to_theme": str(target.id),
        },
    )
    assert response.status_code == 302
    live = session.scalars(
        select(ThemeAssignment.theme_id).where(
            ThemeAssignment.comment_id == comment.id, ThemeAssignment.removed_at.is_(None)
        )
    ).all()
    assert live == [target.id]


def test_a_comment_without_a_theme_is_added_to_the_theme_chosen_on_the_page(
    client, auth, session, crowded
):
    auth.login(crowded["staff"])
    round_, target = crowded["round"], crowded["others"][0]
    loose = factories.make_comment(session, round_, crowded["staff"], body="Utan tema.")
    response = client.post(
        f"/analys/omgang/{round_.id}/synpunkt/{loose.id}/tagga",
        data={"back": "ingen", "action": "add", "to_theme": str(target.id)},
    )
    assert response.status_code == 302
    tag = session.scalar(select(ThemeAssignment).where(ThemeAssignment.comment_id == loose.id))
    assert tag.theme_id == target.id
