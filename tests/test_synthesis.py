"""Synthesis: summaries and responses per theme and paragraph, saved with a version check."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult import clock, errors
from consult.models import AuditEntry, Response, Role, Synthesis, WorkStatus
from consult.synthesis import services

from . import factories


def first_theme(session, seeded):
    return services.overview(session, seeded.staff, seeded.round.id).themes[0].theme


def save(session, user, where, version=0, **fields):
    values = {"summary": "Många vill ha järnväg.", "response": "accepted", "motivation": "Ja."}
    values |= {"status": "drafted", **fields}
    return services.save(session, user, where, version=version, now=clock.now(), **values)


def test_a_staff_member_writes_a_theme_synthesis_and_it_is_audited(session, analysed):
    theme = first_theme(session, analysed)
    where = services.target(session, analysed.staff, analysed.round.id, theme_id=theme.id)

    entry = save(session, analysed.staff, where)

    assert entry.version == 1
    assert entry.response == Response.ACCEPTED
    assert entry.updated_by_id == analysed.staff.id
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "synthesis.create")).one()
    assert audit.object_id == entry.id
    row = services.overview(session, analysed.staff, analysed.round.id).themes[0]
    assert row.entry.summary == "Många vill ha järnväg."


def test_a_second_editor_with_an_old_version_gets_a_conflict_and_overwrites_nothing(
    session,
    analysed,
):
    theme = first_theme(session, analysed)
    where = services.target(session, analysed.staff, analysed.round.id, theme_id=theme.id)
    save(session, analysed.staff, where, summary="Först.")
    other = factories.make_user(session, role=Role.STAFF)

    with pytest.raises(errors.Conflict) as error:
        save(session, other, where, version=0, summary="Sen.")

    assert error.value.current.summary == "Först."
    session.expire_all()
    assert session.scalars(select(Synthesis)).one().summary == "Först."
    # Based on the version just seen, the save goes through.
    save(session, other, where, version=1, summary="Sen.")
    assert session.scalars(select(Synthesis)).one().version == 2


def test_a_paragraph_synthesis_and_its_refusals(session, analysed):
    paragraph = analysed.comments[0].paragraph
    round_id = analysed.round.id
    where = services.target(session, analysed.staff, round_id, paragraph_id=paragraph.id)

    with pytest.raises(errors.Invalid) as error:
        save(session, analysed.staff, where, response="", status="reviewed")
    assert error.value.errors == {"response": "required_when_reviewed"}
    with pytest.raises(errors.Invalid):
        save(session, analysed.staff, where, response="maybe")
    assert session.scalars(select(Synthesis)).all() == []

    entry = save(session, analysed.staff, where, status="reviewed")
    assert entry.status == WorkStatus.REVIEWED
    rows = services.overview(session, analysed.staff, round_id).paragraphs
    assert [r.paragraph.id for r in rows if r.entry] == [paragraph.id]


def test_participants_and_strangers_are_refused_by_the_service(session, analysed):
    participant = factories.make_user(session)
    theme = first_theme(session, analysed)
    with pytest.raises(errors.NotAllowed):
        services.overview(session, participant, analysed.round.id)
    where = services.target(session, analysed.staff, analysed.round.id, theme_id=theme.id)
    with pytest.raises(errors.NotAllowed):
        save(session, participant, where)
    with pytest.raises(errors.NotAllowed):
        save(session, None, where)
    assert session.scalars(select(Synthesis)).all() == []


def test_a_paragraph_of_another_round_is_not_found(session, analysed, now):
    other = factories.make_round(session, opens_at=now.get(), closes_at=None)
    paragraph = other.document.paragraphs[0]
    with pytest.raises(errors.NotFound):
        services.target(session, analysed.staff, analysed.round.id, paragraph_id=paragraph.id)


# Routes


def test_routes_refuse_anonymous_and_participants(client, auth, analysed):
    url = f"/sammanstallning/omgang/{analysed.round.id}/"
    response = client.get(url)
    assert response.status_code == 302 and "logga-in" in response.location
    auth.login()
    assert client.get(url).status_code == 403
    assert client.post(url + "stycke/1", data={}).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "participant"])
def test_theme_and_paragraph_pages_refuse_anonymous_and_participants(
    client, auth, session, analysed, who
):
    base = f"/sammanstallning/omgang/{analysed.round.id}/"
    theme = base + f"tema/{first_theme(session, analysed).id}"
    paragraph = base + f"stycke/{analysed.comments[0].paragraph.id}"
    form = {"summary": "Inbrytning", "response": "accepted", "status": "drafted", "version": "0"}
    if who == "participant":
        auth.login()
    answers = [
        client.get(theme),
        client.post(theme, data=form),
        client.get(paragraph),
        client.post(paragraph, data=form),
    ]
    for response in answers:
        if who == "anonymous":
            assert response.status_code == 302 and "logga-in" in response.location
        else:
            assert response.status_code == 403
    assert session.scalars(select(Synthesis)).all() == []

    # The same addresses are real pages for staff.
    client.post("/konto/logga-ut")
    auth.login(analysed.staff)
    assert client.get(theme).status_code == 200
    assert client.get(paragraph).status_code == 200


@pytest.mark.parametrize("role", [Role.STAFF, Role.ADMIN])
def test_staff_and_admins_save_from_the_form_without_javascript(
    client,
    auth,
    session,
    analysed,
    role,
):
    auth.login(role=role)
    theme = first_theme(session, analysed)
    url = f"/sammanstallning/omgang/{analysed.round.id}/tema/{theme.id}"
    page = client.get(url)
    assert page.status_code == 200 and theme.name in page.get_data(as_text=True)

    response = client.post(
        url,
        data={
            "summary": "Bygg banan.",
            "response": "partly_accepted",
            "motivation": "Delvis.",
            "status": "drafted",
            "version": "0",
        },
    )

    assert response.status_code == 302
    overview = client.get(response.location).get_data(as_text=True)
    assert "Godtas delvis" in overview or "Partly accepted" in overview
    assert session.scalars(select(Synthesis)).one().motivation == "Delvis."


def test_htmx_save_answers_with_the_form_and_a_conflict_keeps_the_text(
    client,
    auth,
    session,
    analysed,
):
    auth.login(role=Role.STAFF)
    paragraph = analysed.comments[0].paragraph
    url = f"/sammanstallning/omgang/{analysed.round.id}/stycke/{paragraph.id}"
    data = {"summary": "A", "response": "noted", "motivation": "", "status": "drafted"}
    headers = {"HX-Request": "true"}

    saved = client.post(url, data={**data, "version": "0"}, headers=headers)
    assert saved.status_code == 200
    assert 'id="synthesis-entry"' in saved.get_data(as_text=True)
    assert "<html" not in saved.get_data(as_text=True)

    stale = client.post(url, data={**data, "summary": "Min text", "version": "0"}, headers=headers)
    assert stale.status_code == 409
    assert "Min text" in stale.get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(Synthesis)).one().summary == "A"

    invalid = client.post(url, data={**data, "status": "reviewed", "response": "", "version": "1"})
    assert invalid.status_code == 422
    assert session.scalars(select(Synthesis)).one().status == WorkStatus.DRAFTED
