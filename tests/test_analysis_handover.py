"""What a merged, split or deleted theme leaves behind is never dropped silently: its
synthesis goes to the theme it went into (or stays, shown, with the retired theme in the
report), its undecided proposals are moved or closed; and a form posted twice does nothing
the second time and says so."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import select

from consult import clock
from consult.analysis import themes
from consult.models import (
    AuditEntry,
    Origin,
    Response,
    Role,
    Synthesis,
    Theme,
    ThemeAssignment,
    ThemeProposal,
    WorkStatus,
)

from . import factories


@pytest.fixture
def board(session, open_round):
    """Three themes of a round ("Trafik", "Buss", "Skola"), each with its own comments."""
    staff = factories.make_user(session, role=Role.STAFF)
    author = factories.make_user(session)
    found = {}
    for name in ("Trafik", "Buss", "Skola"):
        theme = Theme(round_id=open_round.id, name=name, origin=Origin.MODEL)
        session.add(theme)
        session.flush()
        comments = [
            factories.make_comment(session, open_round, author, body=f"{name} {n}.")
            for n in range(3)
        ]
        session.add_all(
            ThemeAssignment(comment_id=c.id, theme_id=theme.id, source=Origin.MODEL)
            for c in comments
        )
        found[name] = (theme, comments)
    session.commit()
    return {"round": open_round, "staff": staff, **found}


def write(session, theme, **values) -> Synthesis:
    entry = Synthesis(
        round_id=theme.round_id,
        theme_id=theme.id,
        summary=values.get("summary", ""),
        motivation=values.get("motivation", ""),
        response=values.get("response"),
        status=values.get("status", WorkStatus.DRAFTED),
        version=None,
    )
    session.add(entry)
    session.commit()
    return entry


def merge(session, board, target, *others):
    return themes.merge_themes(
        session,
        board["staff"],
        target.round_id,
        target.id,
        others=[o.id for o in others],
        version=target.version,
        now=clock.now(),
    )


def entry_of(session, theme) -> Synthesis | None:
    session.expire_all()
    return session.scalar(select(Synthesis).where(Synthesis.theme_id == theme.id))


def test_a_merged_themes_synthesis_goes_to_a_target_without_one(session, board):
    traffic, bus = board["Trafik"][0], board["Buss"][0]
    write(
        session,
        bus,
        summary="Fler bussar.",
        motivation="Linje 9.",
        response=Response.ACCEPTED,
        status=WorkStatus.REVIEWED,
    )

    merge(session, board, traffic, bus)

    carried = entry_of(session, traffic)
    assert (carried.summary, carried.motivation, carried.response) == (
        "Fler bussar.",
        "Linje 9.",
        Response.ACCEPTED,
    )
    assert carried.status == WorkStatus.REVIEWED  # the same words, as they were reviewed
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "synthesis.carry"))


def test_a_merged_themes_synthesis_is_appended_under_a_note_when_both_have_text(
    client, auth, session, board
):
    traffic, bus = board["Trafik"][0], board["Buss"][0]
    write(
        session,
        traffic,
        summary="Tåg behövs.",
        status=WorkStatus.REVIEWED,
        response=Response.PARTLY,
    )
    write(session, bus, summary="Fler bussar.", response=Response.NOTED)

    merge(session, board, traffic, bus)

    merged = entry_of(session, traffic)
    assert merged.summary.startswith("Tåg behövs.\n\n")
    assert "Från det sammanslagna temat ”Buss”:" in merged.summary
    assert merged.summary.endswith("\nFler bussar.")
    assert merged.response == Response.PARTLY  # the target's own response stays
    assert merged.status == WorkStatus.DRAFTED  # changed words must be read again
    # The merged theme keeps its own entry as history.
    assert entry_of(session, bus).summary == "Fler bussar."
    auth.login(board["staff"])
    report = client.get(f"/sammanstallning/omgang/{traffic.round_id}/rapport")
    assert "<p>Tåg behövs.</p>" in report.get_data(as_text=True)  # its own paragraph


def test_a_deleted_themes_synthesis_stays_with_it_and_is_in_the_report(
    client, auth, session, board
):
    school = board["Skola"][0]
    write(session, school, summary="Skolvägar.", response=Response.NOT_ACCEPTED)
    themes.delete_theme(
        session,
        board["staff"],
        school.round_id,
        school.id,
        version=school.version,
        now=clock.now(),
    )
    assert entry_of(session, school).summary == "Skolvägar."
    auth.login(board["staff"])

    page = client.get(f"/sammanstallning/omgang/{school.round_id}/rapport")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    retired = text[text.index('id="r-retired-h"') :]
    assert "Skola" in retired and "Skolvägar." in retired
    document = client.get(f"/sammanstallning/omgang/{school.round_id}/rapport.docx")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(document.data)).paragraphs]
    assert "Skolvägar." in paragraphs
    fate = client.get(f"/analys/omgang/{school.round_id}/tema/{school.id}")
    assert "Skolvägar." in fate.get_data(as_text=True)


def proposals_of(session, theme) -> list[ThemeProposal]:
    session.expire_all()
    return list(session.scalars(select(ThemeProposal).where(ThemeProposal.theme_id == theme.id)))


def test_a_merged_themes_pending_proposals_move_to_the_target_or_close(session, board, now):
    traffic, traffic_comments = board["Trafik"]
    handmade = Theme(round_id=board["round"].id, name="Cykel", origin=Origin.STAFF)
    session.add(handmade)
    session.flush()
    school_comments = board["Skola"][1]
    moving = ThemeProposal(theme_id=handmade.id, comment_id=school_comments[0].id, score=0.9)
    # Already on the target: nothing to propose there.
    closing = ThemeProposal(theme_id=handmade.id, comment_id=traffic_comments[0].id, score=0.8)
    decided = ThemeProposal(
        theme_id=handmade.id,
        comment_id=school_comments[1].id,
        score=0.7,
        decided_at=now.get(),
        accepted=False,
    )
    session.add_all([moving, closing, decided])
    session.commit()

    merge(session, board, traffic, handmade)

    on_target = proposals_of(session, traffic)
    assert [(p.comment_id, p.decided_at) for p in on_target] == [(school_comments[0].id, None)]
    left = {p.comment_id: p for p in proposals_of(session, handmade)}
    assert left[traffic_comments[0].id].decided_at is not None
    assert left[traffic_comments[0].id].accepted is None  # closed, neither accepted nor not
    assert left[school_comments[1].id].accepted is False  # an earlier decision stays


def test_a_deleted_themes_pending_proposals_are_closed(session, board):
    handmade = Theme(round_id=board["round"].id, name="Cykel", origin=Origin.STAFF)
    session.add(handmade)
    session.flush()
    session.add(ThemeProposal(theme_id=handmade.id, comment_id=board["Skola"][1][0].id, score=1))
    session.commit()

    themes.delete_theme(
        session,
        board["staff"],
        handmade.round_id,
        handmade.id,
        version=handmade.version,
        now=clock.now(),
    )

    assert all(p.decided_at is not None for p in proposals_of(session, handmade))


def test_the_same_merge_posted_twice_says_it_is_done(client, auth, session, board):
    traffic, bus = board["Trafik"][0], board["Buss"][0]
    auth.login(board["staff"])
    url = f"/analys/omgang/{traffic.round_id}/tema/{traffic.id}/sla-ihop"
    form = {"others": [str(bus.id)], "version": str(traffic.version)}

    first = client.post(url, data=form)
    again = client.post(url, data=form, follow_redirects=True)

    assert first.status_code == 302
    assert again.status_code == 200
    assert "redan" in again.get_data(as_text=True)  # "… är redan sammanslagna …"
    session.expire_all()
    assert session.get(Theme, bus.id).merged_into_id == traffic.id


def test_the_same_bulk_move_posted_twice_changes_nothing_more(client, auth, session, board):
    traffic, chosen = board["Trafik"]
    school = board["Skola"][0]
    auth.login(board["staff"])
    url = f"/analys/omgang/{traffic.round_id}/synpunkter"
    form = {
        "comments": [str(c.id) for c in chosen[:2]],
        "action": "move",
        "from_theme": str(traffic.id),
        "to_theme": str(school.id),
        "back": str(traffic.id),
    }

    first = client.post(url, data=form)
    again = client.post(url, data=form, follow_redirects=True)

    assert first.status_code == 302
    assert again.status_code == 200  # not 422
    assert "redan" in again.get_data(as_text=True)
    moves = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "theme_assignment.move")
    ).all()
    assert len(moves) == 2
