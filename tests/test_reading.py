"""Reading: the start page, the consultation page, the counts and the role matrix."""

import re
from datetime import timedelta

import pytest

from consult.models import CommentStatus, Role, Round

from . import factories


def test_start_page_lists_public_rounds_with_status(client, session, open_round, now):
    factories.make_round(
        session,
        opens_at=now.get() + timedelta(days=3),
        closes_at=now.get() + timedelta(days=30),
        slug="kommande",
    )
    factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=30),
        closes_at=now.get() - timedelta(days=1),
        slug="stangd",
    )
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="card"') == 3
    assert "Öppen för synpunkter till" in page
    assert "Öppnar för synpunkter" in page and "badge-scheduled" in page
    assert "Stängd för synpunkter sedan" in page and "badge-closed" in page


def test_consultation_page_has_toc_draft_and_counts(client, session, open_round):
    paragraph = open_round.document.paragraphs[0]
    author = factories.make_user(session)
    factories.make_comment(session, open_round, author, paragraph=paragraph)
    factories.make_comment(session, open_round, author, paragraph=paragraph, body="Två")
    factories.make_comment(
        session, open_round, author, paragraph=paragraph, status=CommentStatus.HIDDEN
    )
    factories.make_comment(
        session, open_round, author, paragraph=paragraph, status=CommentStatus.WITHDRAWN
    )
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert 'class="toc"' in page
    for section in open_round.document.sections:
        assert f'href="#{section.anchor}"' in page and f'id="{section.anchor}"' in page
    assert f'id="{paragraph.anchor}"' in page
    count = re.search(rf'id="count-{paragraph.anchor}"[^>]*>([^<]+)<', page).group(1)
    assert count.startswith("2 ")  # hidden and withdrawn comments are not counted
    assert "<table>" in page and "<ul>" in page


def test_round_page_by_number_and_unknown_round(client, open_round):
    slug = open_round.consultation.slug
    assert client.get(f"/samrad/{slug}/omgang/1/").status_code == 200
    assert client.get(f"/samrad/{slug}/omgang/2/").status_code == 404
    assert client.get("/samrad/finns-inte/").status_code == 404


def test_thread_fragment_for_htmx_and_full_page_without(client, open_round):
    paragraph = open_round.document.paragraphs[0]
    url = f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/{paragraph.anchor}"
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    full = client.get(url).get_data(as_text=True)
    assert "<html" not in fragment and f'id="thread-{paragraph.anchor}"' in fragment
    assert "<html" in full and f'id="thread-{paragraph.anchor}"' in full
    assert paragraph.text[:30] in full  # the page quotes what is commented on


def test_closed_round_shows_no_forms(client, auth, session, now):
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(days=30), closes_at=now.get() - timedelta(days=1)
    )
    auth.login()
    paragraph = round_.document.paragraphs[0]
    page = client.get(
        f"/samrad/{round_.consultation.slug}/omgang/1/synpunkter/{paragraph.anchor}"
    ).get_data(as_text=True)
    assert '<form id="form-' not in page
    assert "Stängd för synpunkter sedan" in page


ROLES = [None, Role.PARTICIPANT, Role.STAFF, Role.ADMIN]


@pytest.mark.parametrize("role", ROLES, ids=["anonymous", "participant", "staff", "admin"])
def test_every_reading_route_for_every_role(client, auth, session, open_round, role):
    if role is not None:
        auth.login(role=role)
    author = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    comment = factories.make_comment(session, open_round, author, paragraph=paragraph)
    slug = open_round.consultation.slug
    base = f"/samrad/{slug}/omgang/1"
    public = [
        "/",
        f"/samrad/{slug}/",
        f"{base}/",
        f"{base}/synpunkter/doc",
        f"{base}/synpunkter/{paragraph.anchor}",
        f"{base}/synpunkter/{paragraph.anchor}/antal",
        f"/api/v1{base}/synpunkter",
        "/healthz",
        "/konto/logga-in",
        "/konto/registrera",
    ]
    for url in public:
        response = client.get(url)
        expected = 302 if role and url == "/konto/registrera" else 200
        assert response.status_code == expected, url
    private = ["/mina-synpunkter", "/mina-synpunkter/kvitto.txt", f"/synpunkter/{comment.id}/svara"]
    for url in private:
        response = client.get(url)
        assert response.status_code == (302 if role is None else 200), url
    own_only = client.get(f"/synpunkter/{comment.id}/redigera")
    assert own_only.status_code == (302 if role is None else 403)
    assert client.get(f"/synpunkter/{comment.id}").status_code == 302


@pytest.mark.parametrize("role", ROLES[1:], ids=["participant", "staff", "admin"])
def test_every_role_can_comment_on_an_open_round(client, auth, session, open_round, role):
    auth.login(role=role)
    key = open_round.document.paragraphs[0].anchor
    response = client.post(
        f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/{key}",
        data={
            f"{key}-kind": "comment",
            f"{key}-body": "Från " + role.value,
            f"{key}-submission_key": "x",
        },
    )
    assert response.status_code == 302


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def _thread_url(round_, key):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def test_open_round_is_shown_while_the_next_is_scheduled(client, session, open_round, now):
    later = Round(
        consultation=open_round.consultation,
        number=2,
        title="Remissomgång 2",
        opens_at=now.get() + timedelta(days=30),
        closes_at=now.get() + timedelta(days=60),
    )
    session.add(later)
    session.commit()
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert "Remissomgång 1" in page and "badge-open" in page


def test_thread_pages_long_threads(client, session, open_round, app):
    app.config["COMMENTS_PER_PAGE"] = 3
    author = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    for i in range(5):
        factories.make_comment(session, open_round, author, paragraph=paragraph, body=f"Nummer {i}")
    first = client.get(_thread_url(open_round, paragraph.anchor)).get_data(as_text=True)
    assert first.count('class="comment"') == 3 and "sida=2" in first
    assert "5 synpunkter" in first
    second = client.get(_thread_url(open_round, paragraph.anchor) + "?sida=2").get_data(
        as_text=True
    )
    assert second.count('class="comment"') == 5 and "sida=3" not in second


def test_fragments_vary_on_hx_request(client, open_round):
    response = client.get(_thread_url(open_round, "doc"))
    assert "HX-Request" in response.headers["Vary"]


def test_withdrawn_comment_with_replies_stays_as_placeholder(client, session, open_round):
    paragraph = open_round.document.paragraphs[0]
    parent = factories.make_comment(
        session,
        open_round,
        factories.make_user(session),
        paragraph=paragraph,
        body="Tillbakadragen text",
        status=CommentStatus.WITHDRAWN,
    )
    factories.make_comment(
        session,
        open_round,
        factories.make_user(session),
        parent=parent,
        paragraph=paragraph,
        body="Ett svar som ska synas",
    )
    page = client.get(_thread_url(open_round, paragraph.anchor)).get_data(as_text=True)
    assert "Ett svar som ska synas" in page
    assert "Tillbakadragen text" not in page and "drogs tillbaka" in page
    assert "0 synpunkter" in page
