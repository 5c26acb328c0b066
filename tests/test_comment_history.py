"""An edited comment is marked "redigerad" with its earlier versions; staff see every version."""

from __future__ import annotations

import re
from datetime import timedelta

from consult.models import CommentStatus, Role
from consult.moderation import decisions

from . import factories

HX = {"HX-Request": "true"}


def _thread(round_, key):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def _edit(client, comment, body, stance="agree"):
    prefix = f"edit-{comment.id}"
    response = client.post(
        f"/synpunkter/{comment.id}/redigera",
        data={f"{prefix}-kind": "comment", f"{prefix}-stance": stance, f"{prefix}-body": body},
    )
    assert response.status_code == 302


def _edited_twice(client, auth, session, round_, now):
    user = auth.login()
    paragraph = round_.document.paragraphs[0]
    comment = factories.make_comment(
        session, round_, user, paragraph=paragraph, body="Första *lydelsen*", created_at=now.get()
    )
    now.set(now.get() + timedelta(hours=1))
    _edit(client, comment, "Andra lydelsen")
    now.set(now.get() + timedelta(hours=1))
    _edit(client, comment, "Tredje lydelsen", stance="disagree")
    return comment


def test_edited_comment_is_marked_with_its_earlier_versions_in_the_thread(
    client, auth, session, open_round, now
):
    comment = _edited_twice(client, auth, session, open_round, now)
    client.post("/konto/logga-ut")
    page = client.get(_thread(open_round, comment.paragraph.anchor)).get_data(as_text=True)
    article = page[page.index(f'id="c-{comment.id}"') :]
    assert "redigerad 1 mars 2027 kl. 15.00" in article
    details = article[article.index('<details class="earlier-versions">') :]
    details = details[: details.index("</details>")]
    assert "Tidigare versioner (2)" in details
    # Newest first, each with the time it was written, formatted as it was.
    assert details.index("Andra lydelsen") < details.index("<em>lydelsen</em>")
    assert "Skriven 1 mars 2027 kl. 13.00" in details
    assert "Skriven 1 mars 2027 kl. 14.00" in details
    assert f'href="/synpunkter/{comment.id}/versioner"' in details


def test_unedited_comment_has_no_mark_and_no_versions(client, session, open_round):
    author = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    factories.make_comment(session, open_round, author, paragraph=paragraph, body="Orörd")
    page = client.get(_thread(open_round, paragraph.anchor)).get_data(as_text=True)
    assert "Orörd" in page
    assert "redigerad" not in page and "earlier-versions" not in page


def test_versions_page_lists_every_version_with_its_time(client, auth, session, open_round, now):
    comment = _edited_twice(client, auth, session, open_round, now)
    staff = factories.make_user(session, role=Role.STAFF)
    client.post("/konto/logga-ut")
    auth.login(staff)
    response = client.get(f"/synpunkter/{comment.id}/versioner")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    versions = re.findall(r"<h2>Version (\d)", page)
    assert versions == ["1", "2", "3"]
    assert "Synpunkten har 3 versioner" in page
    assert page.index("<em>lydelsen</em>") < page.index("Andra lydelsen")
    assert page.index("Andra lydelsen") < page.index("Tredje lydelsen")
    assert "ersatt 1 mars 2027 kl. 14.00" in page and "gällande" in page
    assert "Instämmer inte" in page  # the current stance; earlier versions keep theirs


def test_staff_see_the_versions_of_a_hidden_comment_others_do_not(
    client, auth, session, open_round, now
):
    comment = _edited_twice(client, auth, session, open_round, now)
    comment.status = CommentStatus.HIDDEN
    session.commit()
    other = factories.make_user(session)
    client.post("/konto/logga-ut")
    assert client.get(f"/synpunkter/{comment.id}/versioner").status_code == 404
    auth.login(other)
    assert client.get(f"/synpunkter/{comment.id}/versioner").status_code == 404
    client.post("/konto/logga-ut")
    auth.login(factories.make_user(session, role=Role.STAFF))
    assert client.get(f"/synpunkter/{comment.id}/versioner").status_code == 200


def test_htmx_fragment_of_an_edited_comment_carries_its_versions(
    client, auth, session, open_round, now
):
    comment = _edited_twice(client, auth, session, open_round, now)
    fragment = client.get(f"/synpunkter/{comment.id}", headers=HX).get_data(as_text=True)
    assert "Tidigare versioner (2)" in fragment and "redigerad" in fragment


def test_a_text_no_moderator_approved_is_not_published_by_editing_it(
    client, auth, session, now, pre_round
):
    staff = factories.make_user(session, role=Role.STAFF)
    author = auth.login()
    comment = factories.make_comment(
        session,
        pre_round,
        author,
        paragraph=pre_round.document.paragraphs[0],
        body="Osynlig första lydelse",
        status=CommentStatus.PENDING,
        created_at=now.get(),
    )
    now.set(now.get() + timedelta(hours=1))
    _edit(client, comment, "Godkänd andra lydelse")
    decisions.approve(session, staff, comment.id, now=now.get())
    versions_url = f"/synpunkter/{comment.id}/versioner"

    # The author still reads what they wrote.
    assert "Osynlig första lydelse" in client.get(versions_url).get_data(as_text=True)
    client.post("/konto/logga-ut")
    public_page = client.get(versions_url).get_data(as_text=True)
    thread = client.get(_thread(pre_round, comment.paragraph.anchor)).get_data(as_text=True)
    assert "Godkänd andra lydelse" in public_page and "Godkänd andra lydelse" in thread
    assert "Osynlig första lydelse" not in public_page
    assert "Osynlig första lydelse" not in thread
    auth.login(staff)
    assert "Osynlig första lydelse" in client.get(versions_url).get_data(as_text=True)
