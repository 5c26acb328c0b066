"""The privacy notice and the accessibility statement: what they say, how administrators edit
them, and that every page links to them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from consult.models import AuditEntry, Role, SitePage

from . import factories

PRIVACY_FORM = {
    "controller_name": "Region Västerbotten",
    "org_number": "232100-0222",
    "controller_contact": "Region Västerbotten  \n901 89 Umeå",
    "dpo_contact": "dataskyddsombud@example.se",
    "purposes": "För att genomföra samrådet.",
    "legal_basis": "Artikel 6.1 e.",
    "stored_data": "- Namn\n- E-post",
    "recipients": "Handläggare.",
    "retention_note": "Enligt arkivlagen.",
    "rights": "Du har rätt att få veta.",
}
ACCESSIBILITY_FORM = {
    "organisation": "Region Västerbotten",
    "status": "partial",
    "gaps": "- Diagram saknar textalternativ.",
    "report": "Skriv till tillganglighet@example.se.",
    "assessment": "Granskad av regionen i november 2026.",
}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_fresh_installation_shows_the_default_privacy_notice(client):
    page = _text(client.get("/personuppgifter"))
    assert "<h1>Så behandlar vi personuppgifter</h1>" in page
    for heading in (
        "Personuppgiftsansvarig",
        "Dataskyddsombud",
        "Rättslig grund",
        "Vilka som får ta del av uppgifterna",
        "Dina rättigheter",
        "Kakor (cookies)",
    ):
        assert heading in page
    assert "artikel 6.1 e i dataskyddsförordningen" in page
    assert "Integritetsskyddsmyndigheten (IMY)" in page and 'href="https://www.imy.se/"' in page
    assert "Uppdaterad" not in page  # no administrator has vouched for the default text


def test_the_privacy_notice_lists_the_retention_periods_in_force(client, session, admin):
    from consult.site import retention

    assert "raderas 30 dagar efter att de skapades" in _text(client.get("/personuppgifter"))
    retention.save(
        session,
        admin,
        {
            "unconfirmed_account_days": 14,
            "outbox_email_days": 45,
            "read_notification_days": 120,
            "event_needs_days": 30,
        },
    )
    page = _text(client.get("/personuppgifter"))
    assert "raderas 14 dagar efter att de skapades" in page
    assert "e-postlogg 45 dagar" in page
    assert "raderas 120 dagar efter att du läste dem" in page


def test_the_privacy_notice_names_every_cookie_and_says_no_banner_is_needed(client):
    page = _text(client.get("/personuppgifter"))
    assert "bara kakor som behövs" in page and "behöver du inte godkänna dem" in page
    assert "<code>session</code>" in page and "<code>remember_token</code>" in page


def test_a_fresh_installation_shows_an_honest_accessibility_statement(client):
    page = _text(client.get("/tillganglighet"))
    assert "<h1>Tillgänglighetsredogörelse</h1>" in page
    assert "<strong>Delvis förenlig.</strong>" in page
    assert "lagen (2018:1937) om tillgänglighet till digital offentlig service" in page
    assert "Myndigheten för digital förvaltning (DIGG)" in page
    assert 'href="https://www.digg.se/tdosanmalan"' in page
    assert "Kända brister i tillgängligheten" in page and "Så har vi granskat webbplatsen" in page


def test_an_administrator_edits_the_privacy_notice(client, auth, session, admin, now):
    auth.login(admin)
    form = _text(client.get("/admin/personuppgifter"))
    assert "[Regionens namn]" in form  # the default text is there to edit
    assert "produktens standardtext" in form

    response = client.post("/admin/personuppgifter", data=PRIVACY_FORM)

    assert response.status_code == 302 and response.headers["Location"] == "/personuppgifter"
    page = _text(client.get("/personuppgifter"))
    assert "Region Västerbotten" in page and "232100-0222" in page
    assert "<li>E-post</li>" in page
    assert "Uppdaterad 1 mars 2027" in page
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.actor_id) == ("site_page.privacy", admin.id)
    assert json.loads(entry.after)["controller_name"] == "Region Västerbotten"
    log = _text(client.get("/admin/logg"))
    assert "Informationen om personuppgifter ändrad" in log


def test_an_administrator_edits_the_accessibility_statement(client, auth, session, admin):
    auth.login(admin)
    response = client.post("/admin/tillganglighet", data=ACCESSIBILITY_FORM)
    assert response.status_code == 302
    page = _text(client.get("/tillganglighet"))
    assert "Region Västerbotten står bakom den här webbplatsen" in page
    assert "Diagram saknar textalternativ." in page
    assert "Redogörelsen uppdaterades senast 1 mars 2027." in page
    response = client.post("/admin/tillganglighet", data=ACCESSIBILITY_FORM | {"status": "full"})
    assert "<strong>Helt förenlig.</strong>" in _text(client.get("/tillganglighet"))


@pytest.mark.parametrize(
    "url, form, field",
    [
        ("/admin/personuppgifter", PRIVACY_FORM, "purposes"),
        ("/admin/tillganglighet", ACCESSIBILITY_FORM, "gaps"),
    ],
)
def test_a_script_in_the_text_is_never_run(client, auth, admin, url, form, field):
    auth.login(admin)
    evil = (
        '<script>alert("x")</script> <img src=x onerror="alert(1)"> '
        "[klicka](javascript:alert(1)) **fet**"
    )
    assert client.post(url, data=form | {field: evil}).status_code == 302
    page = _text(client.get(url.replace("/admin", "")))
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;" in page  # shown as the text it is
    assert 'href="javascript:' not in page
    assert "<strong>fet</strong>" in page


def test_an_empty_field_is_refused_and_nothing_is_lost(client, auth, session, admin):
    auth.login(admin)
    response = client.post(
        "/admin/personuppgifter", data=PRIVACY_FORM | {"dpo_contact": "  ", "purposes": "Nytt"}
    )
    assert response.status_code == 422
    page = _text(response)
    assert "Fyll i fältet." in page and 'class="error-summary"' in page
    assert "Nytt" in page and "232100-0222" in page  # what was written comes back
    assert session.scalar(select(func.count()).select_from(SitePage)) == 0


def test_an_unknown_conformance_status_is_refused(client, auth, admin):
    auth.login(admin)
    response = client.post("/admin/tillganglighet", data=ACCESSIBILITY_FORM | {"status": "x"})
    assert response.status_code == 422


def test_a_retention_period_that_is_not_a_number_is_refused(client, auth, admin):
    auth.login(admin)
    response = client.post(
        "/admin/gallring",
        data={
            "unconfirmed_account_days": "trettio",
            "outbox_email_days": "30",
            "read_notification_days": "0",
            "event_needs_days": "30",
        },
    )
    assert response.status_code == 422
    page = _text(response)
    assert page.count("Ange ett helt antal dagar från 1 till 3650.") >= 2
    assert 'value="trettio"' in page


def test_an_administrator_sets_the_retention_periods(client, auth, session, admin):
    auth.login(admin)
    page = _text(client.get("/admin/gallring"))
    assert 'value="30"' in page and 'value="90"' in page and "standardtiderna" in page
    response = client.post(
        "/admin/gallring",
        data={
            "unconfirmed_account_days": "14",
            "outbox_email_days": "60",
            "read_notification_days": "365",
            "event_needs_days": "30",
        },
    )
    assert response.status_code == 302
    page = _text(client.get("/admin/gallring"))
    assert 'value="14"' in page and "Senast ändrad" in page
    assert "raderas 14 dagar efter att de skapades" in _text(client.get("/personuppgifter"))


def test_the_administration_links_to_the_site_pages(client, auth, admin):
    auth.login(admin)
    page = _text(client.get("/admin/"))
    for url in ("/admin/personuppgifter", "/admin/tillganglighet", "/admin/gallring"):
        assert f'href="{url}"' in page


def test_the_public_pages_show_an_edit_link_to_administrators_only(client, auth, session):
    assert "Redigera sidan" not in _text(client.get("/personuppgifter"))
    auth.login(role=Role.STAFF)
    assert "Redigera sidan" not in _text(client.get("/personuppgifter"))
    client.post("/konto/logga-ut")
    auth.login(role=Role.ADMIN)
    assert 'href="/admin/tillganglighet">Redigera sidan' in _text(client.get("/tillganglighet"))


def test_the_pages_read_in_english_with_the_swedish_text_marked(client):
    client.post("/sprak", data={"lang": "en", "next": "/personuppgifter"})
    page = _text(client.get("/personuppgifter"))
    assert "<h1>How we process personal data</h1>" in page
    assert '<div class="prose" lang="sv">' in page
    page = _text(client.get("/tillganglighet"))
    assert "Partially compliant" in page and "Agency for Digital Government" in page


FOOTER = ('href="/personuppgifter">Så behandlar vi personuppgifter', 'href="/tillganglighet">')


def _has_footer_links(page: str) -> bool:
    footer = page.split('<footer class="site-footer">', 1)[-1]
    return all(link in footer for link in FOOTER)


def test_every_kind_of_page_links_to_both_in_its_footer(client, auth, session, open_round):
    slug = open_round.consultation.slug
    paragraph = open_round.document.paragraphs[0]
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    anonymous = [
        "/",
        f"/samrad/{slug}/",
        f"/samrad/{slug}/omgang/1/",
        f"/samrad/{slug}/omgang/1/synpunkter/{paragraph.anchor}",
        "/konto/logga-in",
        "/konto/registrera",
        "/personuppgifter",
        "/tillganglighet",
        "/finns-inte",  # an error page
    ]
    for url in anonymous:
        page = _text(client.get(url))
        assert _has_footer_links(page), url
    auth.login(role=Role.ADMIN)
    for url in (
        "/mina-synpunkter",
        "/notiser",
        f"/synpunkter/{comment.id}/svara",
        "/moderering/",
        "/analys/",
        "/admin/",
        "/admin/anvandare/",
        "/admin/gallring",
        "/admin/personuppgifter",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _has_footer_links(_text(response)), url


LINE = 'href="/personuppgifter">Så behandlar vi dina personuppgifter</a>'


def test_registration_and_every_comment_form_link_to_the_privacy_notice(
    client, auth, session, open_round
):
    assert LINE in _text(client.get("/konto/registrera"))
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    auth.login()
    paragraph = open_round.document.paragraphs[0]
    thread = _text(
        client.get(f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/{paragraph.anchor}")
    )
    form = thread.split('class="comment-form"', 1)[1].split("</form>", 1)[0]
    assert LINE in form
    reply = _text(client.get(f"/synpunkter/{comment.id}/svara"))
    assert LINE in reply.split('class="comment-form reply-form"', 1)[1].split("</form>", 1)[0]
