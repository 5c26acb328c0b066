"""Who reaches the analysis pages, and starting a job from the browser (with and without htmx)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.analysis import queue
from consult.models import Analysis, AnalysisStatus, Role

from .analysis_seed import reuse_engine_results, seed_round


@pytest.fixture
def seeded(session, open_round, monkeypatch):
    reuse_engine_results(monkeypatch)
    return seed_round(session, open_round)


def pages(round_id: int) -> list[str]:
    return [
        "/analys/",
        f"/analys/omgang/{round_id}/",
        f"/analys/omgang/{round_id}/status",
        f"/analys/omgang/{round_id}/tema/ingen",
    ]


def finish_jobs(app) -> None:
    pool = app.extensions.get(queue.EXECUTOR_KEY)
    if pool is not None:
        pool.shutdown(wait=True)
        del app.extensions[queue.EXECUTOR_KEY]


def test_anonymous_visitors_are_sent_to_the_login_page(client, seeded):
    for url in pages(seeded.round.id):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/konto/logga-in" in response.headers["Location"]
    response = client.post(f"/analys/omgang/{seeded.round.id}/starta")
    assert response.status_code == 302
    assert "/konto/logga-in" in response.headers["Location"]


def test_participants_are_refused_everywhere(client, auth, session, seeded):
    auth.login(role=Role.PARTICIPANT)
    for url in pages(seeded.round.id):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/analys/omgang/{seeded.round.id}/starta").status_code == 403
    assert session.scalar(select(func.count(Analysis.id))) == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_staff_and_administrators_reach_every_page(client, auth, seeded, role):
    auth.login(role=role)
    for url in pages(seeded.round.id):
        assert client.get(url).status_code in (200, 302), url
    assert client.get(f"/analys/omgang/{seeded.round.id}/").status_code == 200
    assert client.get(f"/analys/omgang/{seeded.round.id}/tema/ingen").status_code == 200
    overview = client.get("/analys/").get_data(as_text=True)
    assert f'href="/analys/omgang/{seeded.round.id}/"' in overview


def test_an_unknown_round_or_theme_is_not_found(client, auth, seeded):
    auth.login(role=Role.STAFF)
    assert client.get("/analys/omgang/999999/").status_code == 404
    assert client.get(f"/analys/omgang/{seeded.round.id}/tema/999999").status_code == 404
    assert client.get(f"/analys/omgang/{seeded.round.id}/tema/abc").status_code == 404


def test_the_staff_menu_links_to_the_analysis(client, auth):
    auth.login(role=Role.STAFF)
    assert 'href="/analys/"' in client.get("/").get_data(as_text=True)


def test_the_participant_menu_does_not(client, auth):
    auth.login(role=Role.PARTICIPANT)
    assert 'href="/analys/"' not in client.get("/").get_data(as_text=True)


def test_starting_without_javascript_queues_one_job_and_redirects(
    app, client, auth, session, seeded
):
    auth.login(seeded.staff)
    response = client.post(f"/analys/omgang/{seeded.round.id}/starta")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/analys/omgang/{seeded.round.id}/#analysis-h")
    finish_jobs(app)

    session.expire_all()
    job = session.scalars(select(Analysis)).one()
    assert (job.status, job.started_by_id) == (AnalysisStatus.DONE, seeded.staff.id)
    page = client.get(f"/analys/omgang/{seeded.round.id}/").get_data(as_text=True)
    assert '<table class="heatmap">' in page


def test_starting_with_htmx_answers_with_the_progress_fragment(app, client, auth, session, seeded):
    auth.login(seeded.staff)
    response = client.post(
        f"/analys/omgang/{seeded.round.id}/starta", headers={"HX-Request": "true"}
    )
    finish_jobs(app)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert 'class="analysis-progress"' in fragment


def test_starting_twice_is_refused_with_a_message(app, client, auth, session, seeded, now):
    auth.login(seeded.staff)
    session.add(
        Analysis(
            round_id=seeded.round.id,
            status=AnalysisStatus.RUNNING,
            message="themes",
            updated_at=now.get(),
        )
    )
    session.commit()

    response = client.post(
        f"/analys/omgang/{seeded.round.id}/starta", headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert "notice-error" in response.get_data(as_text=True)
    plain = client.post(f"/analys/omgang/{seeded.round.id}/starta", follow_redirects=True)
    assert 'class="flash flash-error"' in plain.get_data(as_text=True)
    assert session.scalar(select(func.count(Analysis.id))) == 1


def test_starting_needs_the_csrf_token(client, auth, session, seeded):
    auth.login(seeded.staff)
    response = client.post(f"/analys/omgang/{seeded.round.id}/starta", csrf=False)
    assert response.status_code == 400
    assert session.scalar(select(func.count(Analysis.id))) == 0
