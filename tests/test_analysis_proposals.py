"""Themes made by hand: the tagger proposes comments, staff accept or reject them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.analysis import proposals, queue
from consult.models import AuditEntry, Origin, Role, Theme, ThemeProposal

from .analysis_helpers import english, live, rerun
from .analysis_seed import BROADBAND, SCHOOL

NEW = "/analys/omgang/{round}/nytt-tema"
FIBRE = {"name": "Fiber och bredband", "description": "Fiber, bredband och byanät på landsbygden."}


def make_fibre(session, seeded, now) -> Theme:
    theme, _ = proposals.create_theme(
        session, seeded.staff, seeded.round.id, now=now.get(), **FIBRE
    )
    return theme


def test_staff_create_a_theme_and_the_tagger_proposes_its_comments(client, auth, session, analysed):
    auth.login(analysed.staff)
    english(session, analysed.staff)
    form = client.get(NEW.format(round=analysed.round.id))
    assert form.status_code == 200 and 'name="description"' in form.get_data(as_text=True)

    response = client.post(NEW.format(round=analysed.round.id), data=FIBRE)

    assert response.status_code == 302
    theme = session.scalars(select(Theme).where(Theme.name == FIBRE["name"])).one()
    assert theme.origin == Origin.STAFF and theme.description == FIBRE["description"]
    proposed = {
        p.comment.body
        for p in session.scalars(select(ThemeProposal).where(ThemeProposal.theme_id == theme.id))
    }
    assert proposed and proposed <= set(BROADBAND) | set(SCHOOL) and proposed & set(BROADBAND)
    assert len(proposed & set(BROADBAND)) > len(proposed - set(BROADBAND))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "proposed comments" in page and "Proposed" in page and "of 100" in page
    # Proposals are not tags: the theme has no comments yet.
    assert "0 comments" in page
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.create")).one()
    assert entry.object_id == theme.id


def test_accepting_tags_the_comment_and_rejecting_does_not(client, auth, session, analysed, now):
    theme = make_fibre(session, analysed, now)
    first, second = session.scalars(
        select(ThemeProposal).where(ThemeProposal.theme_id == theme.id).order_by(ThemeProposal.id)
    ).all()[:2]
    auth.login(analysed.staff)
    english(session, analysed.staff)
    base = f"/analys/omgang/{analysed.round.id}/forslag"

    row = client.post(f"{base}/{first.id}/godta", headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert row.get_data(as_text=True).lstrip().startswith(f'<li id="tp-{first.id}"')
    plain = client.post(f"{base}/{second.id}/avvisa")
    assert plain.status_code == 302 and plain.headers["Location"].endswith("#proposals-h")

    session.expire_all()
    assert theme.id in live(session, [first.comment_id])[first.comment_id]
    assert theme.id not in live(session, [second.comment_id])[second.comment_id]
    assert (first.accepted, second.accepted) == (True, False)
    assert second.decided_by_id == analysed.staff.id
    again = client.post(f"{base}/{first.id}/godta")
    assert again.status_code == 404


def test_a_name_is_required_and_nothing_is_made_without_one(client, auth, session, analysed):
    auth.login(analysed.staff)
    english(session, analysed.staff)

    response = client.post(
        NEW.format(round=analysed.round.id), data={"name": " ", "description": "x"}
    )

    assert response.status_code == 422
    assert "Give the theme a name." in response.get_data(as_text=True)
    assert session.scalars(select(Theme).where(Theme.origin == Origin.STAFF)).all() == []


def test_a_hand_made_theme_survives_a_rerun(session, analysed, now):
    theme = make_fibre(session, analysed, now)
    proposal = session.scalars(
        select(ThemeProposal).where(ThemeProposal.theme_id == theme.id)
    ).first()
    proposals.decide(
        session, analysed.staff, analysed.round.id, proposal.id, accept=True, now=now.get()
    )

    rerun(session, analysed, now)

    theme = session.get(Theme, theme.id)
    assert theme.retired_at is None and theme.name == FIBRE["name"]
    assert theme.id in live(session, [proposal.comment_id])[proposal.comment_id]


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_only_staff_may_create_themes_or_decide_proposals(
    client, auth, session, analysed, now, role
):
    theme = make_fibre(session, analysed, now)
    proposal = session.scalars(
        select(ThemeProposal).where(ThemeProposal.theme_id == theme.id)
    ).first()
    if role is not None:
        auth.login(role=role)
    answers = [
        client.get(NEW.format(round=analysed.round.id)),
        client.post(NEW.format(round=analysed.round.id), data={"name": "X"}),
        client.post(f"/analys/omgang/{analysed.round.id}/forslag/{proposal.id}/godta"),
    ]
    for response in answers:
        if role is None:
            assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
        else:
            assert response.status_code == 403
    session.expire_all()
    assert session.get(ThemeProposal, proposal.id).decided_at is None
    assert session.scalars(select(Theme).where(Theme.name == "X")).all() == []


def test_in_a_large_round_the_proposals_are_found_in_the_background(
    client, auth, session, analysed, monkeypatch
):
    handed = []
    monkeypatch.setattr(proposals, "INLINE_MAX", 5)
    monkeypatch.setattr(queue, "dispatch_proposals", lambda app, theme_id: handed.append(theme_id))
    auth.login(analysed.staff)
    english(session, analysed.staff)

    response = client.post(NEW.format(round=analysed.round.id), data=FIBRE)

    assert response.status_code == 302
    assert "reload the page in a moment" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    theme = session.scalars(select(Theme).where(Theme.name == FIBRE["name"])).one()
    assert handed == [theme.id]
    assert session.scalars(select(ThemeProposal)).all() == []
    # The theme's page shows the search under way with a polling progress bar.
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The tagger is looking for comments to propose for this theme." in page
    assert "<progress" in page and 'hx-trigger="every 2s"' in page
    assert proposals.propose_in_background(session, theme.id) is True
    assert session.scalars(select(ThemeProposal).where(ThemeProposal.theme_id == theme.id)).all()
    polled = client.get(
        response.headers["Location"].split("#")[0],
        headers={"HX-Request": "true", "HX-Target": "theme-work"},
    ).get_data(as_text=True)
    assert "Done." in polled and "#proposals-h" in polled and "<progress" not in polled


def test_with_staff_examples_the_trained_tagger_proposes(session, analysed, now):
    from .analysis_helpers import teach_fibre

    teach_fibre(session, analysed, now)

    theme, count = proposals.create_theme(
        session,
        analysed.staff,
        analysed.round.id,
        name="Lärarbrist",
        description="Brist på behöriga lärare i skolan",
        now=now.get(),
    )

    proposed = session.scalars(
        select(ThemeProposal).where(ThemeProposal.theme_id == theme.id)
    ).all()
    assert count == len(proposed) > 0
    assert {p.comment.body for p in proposed} <= set(SCHOOL)


def test_the_theme_page_loads_the_proposed_comments_in_one_query(session, analysed, now):
    from sqlalchemy import event

    theme_id = make_fibre(session, analysed, now).id
    session.expire_all()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        shown, total = proposals.pending(session, theme_id)
        bodies = [p.comment.body for p in shown]
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert total == len(shown) >= 2 and all(bodies)
    statements = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(statements) <= 3  # the count, the proposals, their comments: not one per comment


def test_creating_the_same_theme_twice_makes_one(client, auth, session, analysed):
    auth.login(analysed.staff)
    english(session, analysed.staff)

    first = client.post(NEW.format(round=analysed.round.id), data=FIBRE)
    again = client.post(
        NEW.format(round=analysed.round.id), data={**FIBRE, "name": " fiber OCH bredband"}
    )

    assert first.status_code == 302 and again.status_code == 422
    assert "A theme of this round already has this name." in again.get_data(as_text=True)
    assert len(session.scalars(select(Theme).where(Theme.origin == Origin.STAFF)).all()) == 1
