"""Administration: who may reach it, consultations, and creating and editing rounds."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult.admin import audit_log, consultations, round_actions, rounds, uploads
from consult.errors import Invalid, NotAllowed
from consult.models import (
    AuditEntry,
    Commenters,
    Consultation,
    Document,
    ModerationMode,
    Role,
    Round,
)

from . import factories
from .routes import DRAFT_ROUTE_COUNT, draft_routes, endpoint_ids, placeholder_round

HX = {"HX-Request": "true"}


def _routes(round_: Round) -> list[tuple[str, str]]:
    c, r = round_.consultation_id, round_.id
    return [
        ("get", "/admin/"),
        ("get", "/admin/samrad/ny"),
        ("post", "/admin/samrad/ny"),
        ("get", f"/admin/samrad/{c}/redigera"),
        ("post", f"/admin/samrad/{c}/redigera"),
        ("get", f"/admin/samrad/{c}/ny-omgang"),
        ("post", f"/admin/samrad/{c}/ny-omgang"),
        ("get", f"/admin/omgang/{r}/"),
        ("get", f"/admin/omgang/{r}/redigera"),
        ("post", f"/admin/omgang/{r}/redigera"),
        ("get", f"/admin/omgang/{r}/utkast"),
        ("post", f"/admin/omgang/{r}/utkast"),
        ("get", f"/admin/omgang/{r}/forhandsvisning"),
        ("post", f"/admin/omgang/{r}/oppna"),
        ("post", f"/admin/omgang/{r}/stang"),
        ("post", f"/admin/omgang/{r}/forlang"),
        ("post", f"/admin/omgang/{r}/ateroppna"),
        ("post", f"/admin/omgang/{r}/publicera"),
        ("get", "/admin/logg"),
    ]


ROUTE_COUNT = 19
ROUTE_IDS = endpoint_ids(_routes(placeholder_round()))


@pytest.mark.parametrize("index", range(ROUTE_COUNT), ids=ROUTE_IDS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, scheduled_round, index):
    method, url = _routes(scheduled_round)[index]
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")


@pytest.mark.parametrize("index", range(ROUTE_COUNT), ids=ROUTE_IDS)
def test_anonymous_htmx_requests_get_a_login_redirect_header(client, scheduled_round, index):
    method, url = _routes(scheduled_round)[index]
    response = getattr(client, method)(url, headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/konto/logga-in")


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF])
@pytest.mark.parametrize("index", range(ROUTE_COUNT), ids=ROUTE_IDS)
def test_participants_and_staff_are_refused(client, auth, session, scheduled_round, role, index):
    auth.login(role=role)
    method, url = _routes(scheduled_round)[index]
    response = getattr(client, method)(url)
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("index", range(ROUTE_COUNT), ids=ROUTE_IDS)
def test_administrators_reach_every_page(client, auth, scheduled_round, index):
    auth.login(role=Role.ADMIN)
    method, url = _routes(scheduled_round)[index]
    if method == "get":
        assert client.get(url).status_code == 200
    else:
        # Empty forms: refused as incomplete or redirected, never forbidden.
        assert client.post(url).status_code in (200, 302, 409, 422)


def test_route_list_covers_every_admin_route(app, scheduled_round):
    rules = {
        (method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    # The draft editor's routes have their own matrix in test_admin_draft_editing.py.
    assert ROUTE_COUNT == len(_routes(scheduled_round))
    assert DRAFT_ROUTE_COUNT == len(draft_routes(scheduled_round))
    assert len(rules) == ROUTE_COUNT + DRAFT_ROUTE_COUNT


def test_post_without_csrf_token_is_refused(client, auth, session):
    auth.login(role=Role.ADMIN)
    response = client.post("/admin/samrad/ny", data={"title": "X", "slug": "x"}, csrf=False)
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_only_administrators_see_the_menu_link(client, auth, session):
    auth.login(role=Role.STAFF)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' not in page
    assert 'href="/admin/anvandare/"' in page
    client.post("/konto/logga-ut")
    auth.login(role=Role.ADMIN)
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT, Role.STAFF])
def test_every_service_refuses_non_administrators(session, now, scheduled_round, role):
    actor = factories.make_user(session, role=role) if role else None
    r, c = scheduled_round.id, scheduled_round.consultation_id
    later = now.get() + timedelta(days=60)
    calls = [
        lambda: consultations.overview(session, actor),
        lambda: consultations.get_consultation(session, actor, c),
        lambda: rounds.get_round(session, actor, r),
        lambda: audit_log.audit_log(session, actor),
        lambda: audit_log.audit_filters(session, actor),
        lambda: audit_log.history(session, actor, scheduled_round),
        lambda: rounds.draft_stats(session, actor, scheduled_round),
        lambda: audit_log.object_titles(session, actor, []),
        lambda: consultations.create_consultation(
            session, actor, title="T", slug="t", now=now.get()
        ),
        lambda: consultations.edit_consultation(
            session, actor, c, title="T", slug="t", now=now.get()
        ),
        lambda: rounds.create_round(
            session,
            actor,
            c,
            title="T",
            opens_at=None,
            closes_at=None,
            moderation="post",
            commenters="registered",
            draft=uploads.DraftFile("a.md", io.BytesIO(b"Text.")),
            now=now.get(),
        ),
        lambda: rounds.edit_round(
            session,
            actor,
            r,
            title="T",
            opens_at=None,
            closes_at=None,
            moderation="post",
            commenters="registered",
            now=now.get(),
        ),
        lambda: rounds.replace_draft(
            session, actor, r, draft=uploads.DraftFile("a.md", io.BytesIO(b"Text.")), now=now.get()
        ),
        lambda: round_actions.open_now(session, actor, r, now=now.get()),
        lambda: round_actions.close_now(session, actor, r, now=now.get()),
        lambda: round_actions.extend(session, actor, r, closes_at=later, now=now.get()),
        lambda: round_actions.reopen(session, actor, r, now=now.get()),
        lambda: round_actions.publish_results(session, actor, r, now=now.get()),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            call()
        session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    session.refresh(scheduled_round)
    assert scheduled_round.opens_at == now.get() + timedelta(days=1)


# Consultations


def _consultation_data(**changes):
    data = {
        "title": "Regional utvecklingsstrategi 2030",
        "slug": "rus-2030",
        "summary": "Hur ska länet utvecklas?",
        "contact_name": "Anna Andersson",
        "contact_email": "anna.andersson@example.se",
    }
    data.update(changes)
    return data


def test_admin_creates_a_consultation_and_is_sent_on_to_its_first_round(client, auth, session):
    admin = auth.login(role=Role.ADMIN)
    response = client.post("/admin/samrad/ny", data=_consultation_data())
    consultation = session.scalar(select(Consultation))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/samrad/{consultation.id}/ny-omgang"
    assert consultation.slug == "rus-2030"
    assert consultation.contact_name == "Anna Andersson"
    assert consultation.contact_email == "anna.andersson@example.se"
    assert consultation.owner_id == admin.id
    page = client.get("/admin/").get_data(as_text=True)
    assert "Regional utvecklingsstrategi 2030" in page


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "Ange en webbadress."),
        ("Rus 2030", "Använd bara små bokstäver a–z"),
        ("rus_2030", "Använd bara små bokstäver a–z"),
        ("-rus", "Använd bara små bokstäver a–z"),
        ("rus-", "Använd bara små bokstäver a–z"),
        ("å", "Använd bara små bokstäver a–z"),
        ("a" * 81, "Använd bara små bokstäver a–z"),
    ],
)
def test_bad_slugs_are_refused_next_to_the_field(client, auth, session, slug, message):
    auth.login(role=Role.ADMIN)
    response = client.post("/admin/samrad/ny", data=_consultation_data(slug=slug))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="slug-error"' in page and message in page
    assert session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_a_taken_slug_is_refused_with_a_clear_message(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    taken = scheduled_round.consultation.slug
    response = client.post("/admin/samrad/ny", data=_consultation_data(slug=taken))
    assert response.status_code == 422
    assert "Ett annat samråd har redan den här webbadressen" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Consultation)) == 1


def test_title_and_email_are_checked(client, auth, session):
    auth.login(role=Role.ADMIN)
    response = client.post(
        "/admin/samrad/ny", data=_consultation_data(title="  ", contact_email="anna@")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error"' in page and 'id="contact_email-error"' in page
    assert session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_editing_keeps_its_own_slug_and_refuses_another_consultations(
    client, auth, session, scheduled_round, open_round
):
    auth.login(role=Role.ADMIN)
    consultation = scheduled_round.consultation
    url = f"/admin/samrad/{consultation.id}/redigera"
    assert consultation.title in client.get(url).get_data(as_text=True)
    response = client.post(url, data=_consultation_data(slug=consultation.slug, title="Ny titel"))
    assert response.status_code == 302
    session.refresh(consultation)
    assert consultation.title == "Ny titel"
    response = client.post(url, data=_consultation_data(slug=open_round.consultation.slug))
    assert response.status_code == 422
    session.refresh(consultation)
    assert consultation.slug != open_round.consultation.slug


def test_concurrent_slug_race_is_refused_as_taken(session, now, scheduled_round, monkeypatch):
    admin = factories.make_user(session, role=Role.ADMIN)
    # The check passes (as if the other consultation were created right after it)...
    monkeypatch.setattr(consultations, "_check_slug_free", lambda *args: None)
    with pytest.raises(Invalid) as refused:
        consultations.create_consultation(
            session, admin, title="T", slug=scheduled_round.consultation.slug, now=now.get()
        )
    # ...and the unique constraint still refuses it.
    assert refused.value.errors == {"slug": "slug_taken"}


# Rounds


def _round_data(**changes):
    data = {
        "title": "Remissomgång 1",
        "opens_at": "2027-03-10T08:00",
        "closes_at": "2027-04-30T23:59",
        "moderation": "pre",
        "commenters": "verified",
        "draft": (io.BytesIO(factories.DRAFT.encode()), "utkast.md"),
    }
    data.update(changes)
    return data


@pytest.fixture
def consultation(session):
    consultation = Consultation(slug="rus", title="RUS")
    session.add(consultation)
    session.commit()
    return consultation


def _post_round(client, consultation, **changes):
    return client.post(
        f"/admin/samrad/{consultation.id}/ny-omgang",
        data=_round_data(**changes),
        content_type="multipart/form-data",
    )


def test_new_round_form_suggests_the_next_number(client, auth, consultation, session):
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/samrad/{consultation.id}/ny-omgang").get_data(as_text=True)
    assert 'value="Remissomgång 1"' in page
    assert 'type="datetime-local"' in page and 'type="file"' in page


def test_round_is_created_with_stockholm_dates_stored_in_utc(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, consultation)
    round_ = session.scalar(select(Round))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/omgang/{round_.id}/"
    # Winter time (UTC+1) in March before the switch; summer time (UTC+2) at the end of April.
    assert round_.opens_at == datetime(2027, 3, 10, 7, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2027, 4, 30, 21, 59, tzinfo=UTC)
    assert round_.number == 1
    assert round_.moderation == ModerationMode.PRE
    assert round_.commenters == Commenters.VERIFIED
    assert len(round_.document.paragraphs) == 6
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "10 mars 2027 kl. 08.00" in page and "30 april 2027 kl. 23.59" in page


def test_second_round_gets_the_next_number(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, scheduled_round.consultation)
    assert response.status_code == 302
    numbers = session.scalars(
        select(Round.number).where(Round.consultation_id == scheduled_round.consultation_id)
    )
    assert sorted(numbers) == [1, 2]


@pytest.mark.parametrize(
    ("opens", "closes"),
    [("2027-03-10T08:00", "2027-03-10T08:00"), ("2027-03-10T08:00", "2027-03-09T08:00")],
)
def test_closing_not_after_opening_is_refused_next_to_the_field_and_nothing_saved(
    client, auth, session, consultation, opens, closes
):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, consultation, opens_at=opens, closes_at=closes)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="closes_at-error"' in page
    assert "Stängningstiden måste vara efter öppningstiden." in page
    assert session.scalar(select(func.count()).select_from(Round)) == 0
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": ""}, "closes_at"),
        ({"opens_at": ""}, "opens_at"),
        ({"opens_at": "2027-02-01T08:00", "closes_at": "2027-02-20T08:00"}, "closes_at"),
        ({"closes_at": "i morgon"}, "closes_at"),
        ({"title": ""}, "title"),
        ({"moderation": "sometimes"}, "moderation"),
        ({"commenters": "anyone"}, "commenters"),
    ],
)
def test_incomplete_round_settings_are_refused(client, auth, session, consultation, changes, field):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, consultation, **changes)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Round)) == 0


def test_round_without_dates_stays_a_draft(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, consultation, opens_at="", closes_at="")
    assert response.status_code == 302
    round_ = session.scalar(select(Round))
    assert round_.opens_at is None and round_.closes_at is None
    assert "Utkast" in client.get("/admin/").get_data(as_text=True)
    # Not public yet.
    assert client.get("/samrad/rus/").status_code == 404


def test_editing_a_scheduled_round_changes_dates_and_rules(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    url = f"/admin/omgang/{scheduled_round.id}/redigera"
    page = client.get(url).get_data(as_text=True)
    assert 'value="2027-03-02T13:00"' in page
    response = client.post(
        url,
        data={
            "title": "Första omgången",
            "opens_at": "2027-03-05T09:00",
            "closes_at": "2027-03-31T16:00",
            "moderation": "pre",
            "commenters": "verified",
        },
    )
    assert response.status_code == 302
    session.refresh(scheduled_round)
    assert scheduled_round.title == "Första omgången"
    assert scheduled_round.opens_at == datetime(2027, 3, 5, 8, 0, tzinfo=UTC)
    assert scheduled_round.moderation == ModerationMode.PRE
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.edit"))
    assert '"moderation": "post"' in entry.before and '"moderation": "pre"' in entry.after


def test_edit_with_closing_before_opening_changes_nothing(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    before = (scheduled_round.opens_at, scheduled_round.closes_at)
    response = client.post(
        f"/admin/omgang/{scheduled_round.id}/redigera",
        data={
            "title": "X",
            "opens_at": "2027-03-20T09:00",
            "closes_at": "2027-03-19T09:00",
            "moderation": "post",
            "commenters": "registered",
        },
    )
    assert response.status_code == 422
    session.expire_all()
    assert (scheduled_round.opens_at, scheduled_round.closes_at) == before
    assert scheduled_round.title == "Remissomgång 1"


def test_an_opened_round_keeps_its_dates_and_rules_but_can_be_renamed(
    client, auth, session, open_round
):
    auth.login(role=Role.ADMIN)
    url = f"/admin/omgang/{open_round.id}/redigera"
    page = client.get(url).get_data(as_text=True)
    assert 'name="opens_at"' not in page
    response = client.post(
        url,
        data={"title": "Nytt namn", "opens_at": "2027-05-01T09:00", "moderation": "pre"},
    )
    assert response.status_code == 302
    session.refresh(open_round)
    assert open_round.title == "Nytt namn"
    assert open_round.moderation == ModerationMode.POST
    assert open_round.opens_at == datetime(2027, 2, 22, 12, 0, tzinfo=UTC)


def test_service_refuses_to_change_the_rules_of_an_opened_round(session, now, open_round):
    admin = factories.make_user(session, role=Role.ADMIN)
    with pytest.raises(Invalid) as refused:
        rounds.edit_round(
            session,
            admin,
            open_round.id,
            title="X",
            opens_at=open_round.opens_at,
            closes_at=open_round.closes_at + timedelta(days=1),
            moderation="pre",
            commenters="registered",
            now=now.get(),
        )
    assert refused.value.errors == {"closes_at": "locked", "moderation": "locked"}


def test_overview_lists_rounds_with_their_states(client, auth, session, now, open_round):
    factories.make_round(session, opens_at=None, closes_at=None)
    factories.make_round(
        session, opens_at=now.get() - timedelta(days=20), closes_at=now.get() - timedelta(days=1)
    )
    auth.login(role=Role.ADMIN)
    page = client.get("/admin/").get_data(as_text=True)
    for state in ("badge-open", "badge-draft", "badge-closed"):
        assert state in page
    assert "Stäng nu" in page and "Förläng" in page and "Öppna igen" in page


def test_unknown_ids_are_404(client, auth):
    auth.login(role=Role.ADMIN)
    assert client.get("/admin/samrad/999/redigera").status_code == 404
    assert client.get("/admin/omgang/999/").status_code == 404
    assert client.post("/admin/omgang/999/stang").status_code == 404
