"""The Swedish words for things: "synpunkt" for a comment, "anmäl" for reporting one."""

from __future__ import annotations

from . import factories


def test_reporting_a_comment_is_called_anmal_not_rapport(client, auth, session, open_round):
    author = factories.make_user(session)
    paragraph = open_round.document.paragraphs[0]
    factories.make_comment(session, open_round, author, paragraph=paragraph)
    auth.login()
    url = f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/{paragraph.anchor}"
    page = client.get(url).get_data(as_text=True)
    assert "<summary>Anmäl<span" in page
    assert "Rapport" not in page and "kommentar" not in page.lower()
