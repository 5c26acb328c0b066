"""Open data: published comments of a round as paginated JSON."""

from consult.models import Category, CommentStatus

from . import factories


def _url(round_, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/samrad/{round_.consultation.slug}/omgang/1/synpunkter" + (
        f"?{query}" if query else ""
    )


def test_lists_published_comments_with_context_and_never_email(client, session, open_round):
    author = factories.make_user(session, category=Category.BUSINESS, email="hemlig@foretag.se")
    paragraph = open_round.document.paragraphs[1]
    factories.make_comment(session, open_round, author, paragraph=paragraph, body="Synlig")
    factories.make_comment(
        session, open_round, author, paragraph=paragraph, body="Dold", status=CommentStatus.HIDDEN
    )
    factories.make_comment(
        session,
        open_round,
        author,
        paragraph=paragraph,
        body="Väntar",
        status=CommentStatus.PENDING,
    )
    response = client.get(_url(open_round))
    assert response.status_code == 200
    data = response.get_json()
    assert data["total"] == 1 and len(data["items"]) == 1
    item = data["items"][0]
    assert item["text"] == "Synlig"
    assert item["paragraph"] == paragraph.anchor and item["paragraph_number"] == "2"
    assert item["kind"] == "comment" and item["stance"] == "agree"
    assert item["stakeholder_category"] == "naringsliv"
    assert item["organisation"] == author.organisation.name
    assert item["created_at"].endswith("+00:00")
    assert "hemlig@foretag.se" not in response.get_data(as_text=True)
    assert "email" not in item


def test_paginates_with_links(client, session, open_round):
    author = factories.make_user(session)
    for i in range(5):
        factories.make_comment(session, open_round, author, body=f"Nr {i}")
    first = client.get(_url(open_round, per_page=2)).get_json()
    assert [c["text"] for c in first["items"]] == ["Nr 0", "Nr 1"]
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get(_url(open_round, per_page=2, page=3)).get_json()
    assert [c["text"] for c in last["items"]] == ["Nr 4"] and last["next"] is None


def test_bad_paging_parameters_and_unknown_round(client, open_round):
    assert client.get(_url(open_round, page="x")).status_code == 400
    assert client.get(_url(open_round, per_page=100000)).get_json()["per_page"] == 200
    response = client.get("/api/v1/samrad/nej/omgang/1/synpunkter")
    assert response.status_code == 404 and response.get_json() == {"error": 404}


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def test_api_refuses_non_ascii_digits(client, open_round):
    url = f"/api/v1/samrad/{open_round.consultation.slug}/omgang/1/synpunkter?page=²"
    assert client.get(url).status_code == 400
