"""The published synthesis on the public round page: reviewed entries only, after publication."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consult import clock
from consult.synthesis import services


def write(session, seeded, status, *, theme=None, paragraph=None, summary, response="accepted"):
    where = services.target(
        session,
        seeded.staff,
        seeded.round.id,
        theme_id=theme.id if theme else None,
        paragraph_id=paragraph.id if paragraph else None,
    )
    services.save(
        session,
        seeded.staff,
        where,
        summary=summary,
        response=response,
        motivation=f"Motivering: {summary}",
        status=status,
        version=0,
        now=clock.now(),
    )


@pytest.fixture
def written(session, analysed):
    themes = services.overview(session, analysed.staff, analysed.round.id).themes
    write(session, analysed, "reviewed", theme=themes[0].theme, summary="Granskad sammanfattning")
    write(session, analysed, "drafted", theme=themes[1].theme, summary="Utkast som inte syns")
    paragraph = analysed.comments[0].paragraph
    write(session, analysed, "reviewed", paragraph=paragraph, summary="Svar på stycket")
    return themes


def page(client, seeded) -> str:
    round_ = seeded.round
    url = f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/"
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_nothing_of_the_synthesis_is_public_before_the_results(client, analysed, written):
    html = page(client, analysed)
    assert "Granskad sammanfattning" not in html
    assert "Svar på stycket" not in html


def test_published_results_show_reviewed_themes_and_paragraph_responses(
    client, session, analysed, written, now
):
    analysed.round.results_published_at = now.get() - timedelta(hours=1)
    session.commit()

    html = page(client, analysed)

    assert written[0].theme.name in html
    assert "Granskad sammanfattning" in html
    assert "Motivering: Granskad sammanfattning" in html
    assert "Utkast som inte syns" not in html
    paragraph = analysed.comments[0].paragraph
    at = html.index(f'id="{paragraph.anchor}"')
    assert html.index("Svar på stycket") > at
    assert "Godtas" in html or "Accepted" in html


def test_results_announced_for_later_show_nothing_yet(client, session, analysed, written, now):
    analysed.round.results_published_at = now.get() + timedelta(days=1)
    session.commit()
    assert "Granskad sammanfattning" not in page(client, analysed)
