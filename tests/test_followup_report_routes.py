"""The yearly report's pages: who may open and post to each (a route × role matrix covering
every followup.report_* rule), the public reading only published years from their snapshot,
and the staff forms' refusals (a year outside the period, a stale edit, an unconfirmed
publication)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from docx import Document
from sqlalchemy import select

from consult.followup import report
from consult.models import FollowupReport, Role

from . import factories
from .routes import endpoint_ids
from .test_followup_report import seed

BASE = "/uppfoljning/rus"


@pytest.fixture
def world(session, now):
    """The seeded strategy with a published report for 2022 and a draft for 2023."""
    w = seed(session, now.get())
    published = report.create_report(session, w.staff, "rus", "2022", now=now.get())
    report.save_report(
        session, w.staff, published.id, foreword="Förordet för 2022.", notes={},
        version=published.version, now=now.get(),
    )  # fmt: skip
    report.publish(session, w.staff, published.id, version=published.version, now=now.get())
    draft = report.create_report(session, w.staff, "rus", "2023", now=now.get())
    w.published, w.draft = published, draft
    w.admin = factories.make_user(session, role=Role.ADMIN, name="Ada Admin")
    w.anonymous = None
    return w


def report_routes(w):
    """Every route of the yearly reports: (method, url, data, who may)."""
    d, p = w.draft, w.published
    staff = f"{BASE}/hantera/rapporter"
    return [
        ("get", f"{staff}", None, "staff"),
        ("post", f"{staff}", {"year": "2024"}, "staff"),
        ("get", f"{staff}/{d.year}", None, "staff"),
        ("post", f"{staff}/{d.year}", {"foreword": "Nytt förord", "version": d.version}, "staff"),
        ("get", f"{staff}/{d.year}/forhandsgranska", None, "staff"),
        ("get", f"{staff}/{d.year}/rapport.docx", None, "staff"),
        ("post", f"{staff}/{d.year}/publicera", {"confirm": "yes", "version": d.version}, "staff"),
        ("post", f"{staff}/{p.year}/avpublicera", {"confirm": "yes", "version": p.version},
         "staff"),
        ("get", f"{BASE}/rapporter", None, "all"),
        ("get", f"{BASE}/rapporter/{p.year}", None, "all"),
        ("get", f"{BASE}/rapporter/{p.year}/rapport.docx", None, "all"),
    ]  # fmt: skip


PLACEHOLDER = SimpleNamespace(
    draft=SimpleNamespace(year="<draft>", version="<v>"),
    published=SimpleNamespace(year="<published>", version="<v>"),
)
ROUTES = report_routes(PLACEHOLDER)
OK = {"get": 200, "post": 303}
ROLES = ["anonymous", "participant", "member", "staff", "admin"]


def expected(role: str, method: str, who: str) -> int:
    if who == "all" or role in ("staff", "admin"):
        return OK[method]
    return 302 if role == "anonymous" else 403


def test_the_matrix_covers_every_report_route(app):
    rules = {
        (method.lower(), rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("followup.report_")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {
        (method, url.replace("<draft>", "<int:year>").replace("<published>", "<int:year>"))
        for method, url, _data, _who in ROUTES
    }
    assert rules == {(m, u.replace(BASE, "/uppfoljning/<slug>")) for m, u in listed}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("index", range(len(ROUTES)), ids=endpoint_ids(ROUTES))
def test_report_routes_by_role(client, auth, session, world, role, index):
    if role != "anonymous":
        auth.login(getattr(world, role))
    method, url, data, who = report_routes(world)[index]
    response = client.get(url) if method == "get" else client.post(url, data=data)
    assert response.status_code == expected(role, method, who), response.get_data(True)[:500]
    if response.status_code == 302:
        assert "/konto/logga-in" in response.headers["Location"]
    if response.status_code == 403:
        # Nothing was changed by a refused post.
        session.expire_all()
        assert session.get(FollowupReport, world.draft.id).foreword == ""
        assert session.get(FollowupReport, world.published.id).published_at is not None


def test_a_draft_year_is_not_public(client, auth, world):
    assert client.get(f"{BASE}/rapporter/2023").status_code == 404
    assert client.get(f"{BASE}/rapporter/2023/rapport.docx").status_code == 404
    assert client.get(f"{BASE}/rapporter/2025").status_code == 404
    listing = client.get(f"{BASE}/rapporter").get_data(as_text=True)
    assert "Resultat 2022" in listing and "Resultat 2023" not in listing
    auth.login(world.staff)
    # Staff read a draft through its preview, never at the public address.
    assert client.get(f"{BASE}/rapporter/2023").status_code == 404
    preview = client.get(f"{BASE}/hantera/rapporter/2023/forhandsgranska")
    assert "Förhandsgranskning av ett utkast." in preview.get_data(as_text=True)


def test_the_reports_of_an_unpublished_strategy_are_not_public(client, session, world):
    world.strategy.published_at = None
    session.commit()
    assert client.get(f"{BASE}/rapporter").status_code == 404
    assert client.get(f"{BASE}/rapporter/2022").status_code == 404


def _docx_texts(body: bytes) -> tuple[list[str], list[list[str]]]:
    document = Document(io.BytesIO(body))
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return [p.text for p in document.paragraphs], rows


def test_the_published_page_and_docx_keep_the_progress_of_publication(client, auth, session, world):
    auth.login(world.staff)
    version = world.draft.version
    response = client.post(
        f"{BASE}/hantera/rapporter/2023/publicera", data={"confirm": "yes", "version": version}
    )
    assert response.status_code == 303
    world.track.progress = 95
    world.track.title = "Jobbspår, omdöpt"
    session.commit()

    page = client.get(f"{BASE}/rapporter/2023").get_data(as_text=True)
    assert "Jobbspår för nyanlända" in page and "omdöpt" not in page
    assert '<td class="num">40 %</td>' in page
    # The goal's progress bar (the public pages' own): (2 × 40 + 100) / 3.
    assert '<span class="progress-text">60 %</span>' in page
    assert 'class="progress-fill" x="0" y="0" width="60.0"' in page
    texts, rows = _docx_texts(client.get(f"{BASE}/rapporter/2023/rapport.docx").data)
    assert any(row[0] == "A-1 Jobbspår för nyanlända" and row[2] == "40 %" for row in rows)
    assert "Resultat 2023" in texts

    # Staff's draft preview of another year shows today's figures.
    client.post(f"{BASE}/hantera/rapporter", data={"year": "2024"})
    preview = client.get(f"{BASE}/hantera/rapporter/2024/forhandsgranska").get_data(as_text=True)
    assert "Jobbspår, omdöpt" in preview and '<td class="num">95 %</td>' in preview


def test_the_report_page_shows_the_report_and_links_the_other_years(client, session, world, now):
    report.publish(session, world.staff, world.draft.id, version=world.draft.version, now=now.get())
    page = client.get(f"{BASE}/rapporter/2022").get_data(as_text=True)
    assert "Förordet för 2022." in page
    assert f'href="{BASE}/rapporter/2023"' in page
    assert "Hållbar tillväxt" in page and "1.1 Fler i arbete" in page
    assert "Bidrag till de globala målen" in page and "Från samrådet" in page
    assert "Västerbottens län" in page and "Umeå" in page
    assert f"Stycke {world.paragraph.number} i förslaget" in page
    assert "Svaret på temat ”Forskning och innovation”: Godtas" in page


def test_the_docx_of_a_published_year(client, world):
    response = client.get(f"{BASE}/rapporter/2022/rapport.docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "rus-resultat-2022.docx" in response.headers["Content-Disposition"]
    texts, rows = _docx_texts(response.data)
    assert "Förordet för 2022." in texts
    assert ["2022", "Umeå", "80"] in rows
    assert not any(row[0] == "2023" for row in rows if len(row) == 3)


def test_a_year_outside_the_period_is_refused_on_the_form(client, auth, session, world):
    auth.login(world.staff)
    response = client.post(f"{BASE}/hantera/rapporter", data={"year": "2035"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Välj ett år inom strategins period." in page
    assert 'aria-describedby="report-year-hint report-year-error"' in page
    assert 'value="2035"' in page
    response = client.post(f"{BASE}/hantera/rapporter", data={"year": "2022"})
    assert "Strategin har redan en rapport för det här året." in response.get_data(as_text=True)
    assert len(session.scalars(select(FollowupReport)).all()) == 2


def test_a_stale_edit_keeps_the_text_and_overwrites_nothing(client, auth, session, world):
    auth.login(world.staff)
    url = f"{BASE}/hantera/rapporter/2023"
    loaded = world.draft.version
    first = client.post(url, data={"foreword": "Kollegans förord.", "version": loaded})
    assert first.status_code == 303
    second = client.post(
        url,
        data={"foreword": "Mitt förord.", f"note-{world.jobs.id}": "Min not", "version": loaded},
    )
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Någon annan sparade rapporten medan du redigerade den." in page
    assert "Mitt förord." in page and "Min not" in page and "Kollegans förord." in page
    session.expire_all()
    assert session.get(FollowupReport, world.draft.id).foreword == "Kollegans förord."


def test_foreword_and_notes_are_saved_and_shown_in_the_preview(client, auth, session, world):
    auth.login(world.staff)
    url = f"{BASE}/hantera/rapporter/2023"
    form = client.get(url).get_data(as_text=True)
    assert f'for="note-{world.jobs.id}"' in form and 'name="version"' in form
    response = client.post(
        url,
        data={
            "foreword": "Ett år av framsteg.",
            f"note-{world.jobs.id}": "Sysselsättningen ökar.",
            "version": world.draft.version,
        },
    )
    assert response.status_code == 303
    preview = client.get(f"{url}/forhandsgranska").get_data(as_text=True)
    assert "Ett år av framsteg." in preview and "Sysselsättningen ökar." in preview


def test_publishing_needs_the_box_ticked(client, auth, session, world):
    auth.login(world.staff)
    url = f"{BASE}/hantera/rapporter/2023/publicera"
    response = client.post(url, data={"version": world.draft.version})
    assert response.status_code == 422
    assert "Kryssa i rutan för att bekräfta." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(FollowupReport, world.draft.id).published_at is None


def test_a_published_report_is_not_edited_until_unpublished(client, auth, session, world):
    auth.login(world.staff)
    url = f"{BASE}/hantera/rapporter/2022"
    page = client.get(url).get_data(as_text=True)
    assert "Avpublicera rapporten" in page and "readonly" in page
    response = client.post(url, data={"foreword": "Ändrat", "version": world.published.version})
    assert response.status_code == 409
    assert "Avpublicera den för att ändra den." in response.get_data(as_text=True)
    response = client.post(
        f"{url}/avpublicera", data={"confirm": "yes", "version": world.published.version}
    )
    assert response.status_code == 303
    assert client.get(f"{BASE}/rapporter/2022").status_code == 404
    assert "Publicera rapporten" in client.get(url).get_data(as_text=True)
