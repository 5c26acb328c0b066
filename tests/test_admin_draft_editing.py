"""Fixing the draft before the round opens: edit, move and delete paragraphs, edit headings;
who may, when, what the audit log keeps, and the htmx and no-JavaScript paths."""

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.admin import drafts, rounds, uploads
from consult.admin.markdown import to_markdown
from consult.consultations.importer import render_block
from consult.demo import DATA
from consult.errors import Invalid, NotAllowed, NotFound, WrongState
from consult.models import AuditEntry, Paragraph, ParagraphChange, Role, Section

from . import factories
from .routes import DRAFT_ROUTE_COUNT, draft_routes, endpoint_ids, placeholder_round

HX = {"HX-Request": "true"}


def _layout(session, round_):
    """The draft in reading order: "# heading", and "number: first three words"."""
    session.expire_all()
    blocks = drafts.blocks(session, round_)
    return [
        f"# {b.heading}"
        if isinstance(b, Section)
        else f"{b.number}: {' '.join(b.text.split()[:3])}"
        for b in blocks
    ]


def _paragraph(round_, start: str) -> Paragraph:
    return next(p for p in round_.document.paragraphs if p.text.startswith(start))


def _audit(session, action=None):
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


# The factories' draft, in reading order:
INITIAL = [
    "# Inledning",
    "1: Västerbotten ska vara",
    "2: Strategin gäller 2020–2030.",
    "# Vision",
    "3: Ett hållbart län",
    "# Trafik och infrastruktur",
    "4: Regionen prioriterar:",
    "5: Norrbotniabanan E12 genom",
    "6: Indikator Utgångsläge Mål",
]


def test_the_factory_draft_reads_as_expected(session, scheduled_round):
    assert _layout(session, scheduled_round) == INITIAL


# Editing a paragraph's text


def test_edit_replaces_the_text_sanitised_like_an_import(session, now, admin, scheduled_round):
    paragraph = _paragraph(scheduled_round, "Strategin")
    drafts.edit_paragraph(
        session,
        admin,
        scheduled_round.id,
        paragraph.id,
        markdown="Strategin gäller **2021–2030**. <script>alert(1)</script>",
        now=now.get(),
    )
    session.refresh(paragraph)
    assert paragraph.html == (
        "<p>Strategin gäller <strong>2021–2030</strong>. "
        "&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    )
    assert paragraph.text == "Strategin gäller 2021–2030. <script>alert(1)</script>"
    (entry,) = _audit(session, "draft.edit_paragraph")
    assert entry.object_type == "round" and entry.object_id == scheduled_round.id
    assert entry.actor_id == admin.id
    assert json.loads(entry.before) == {
        "paragraph": "2",
        "section": "1 Inledning",
        "text": "Strategin gäller 2020–2030.",
    }
    assert json.loads(entry.after)["text"].startswith("Strategin gäller 2021–2030.")


@pytest.mark.parametrize(
    ("markdown", "key"),
    [
        ("", "empty_text"),
        ("   \n  ", "empty_text"),
        ("Ett stycke.\n\nEtt till.", "one_block"),
        ("# En rubrik\n\nText.", "heading_in_text"),
        ("binärt \x00 innehåll", "unreadable"),
        ("x" * 50_001, "too_long"),
    ],
)
def test_bad_text_is_refused_and_nothing_changes(
    session, now, admin, scheduled_round, markdown, key
):
    paragraph = _paragraph(scheduled_round, "Strategin")
    with pytest.raises(Invalid) as refused:
        drafts.edit_paragraph(
            session, admin, scheduled_round.id, paragraph.id, markdown=markdown, now=now.get()
        )
    assert refused.value.errors == {"text": key}
    session.rollback()
    session.refresh(paragraph)
    assert paragraph.text == "Strategin gäller 2020–2030."
    assert _audit(session) == []


def test_a_list_or_a_table_can_be_edited_as_one_block(session, now, admin, scheduled_round):
    paragraph = _paragraph(scheduled_round, "Norrbotniabanan")
    assert to_markdown(paragraph.html) == "- Norrbotniabanan\n- E12 genom inlandet"
    drafts.edit_paragraph(
        session,
        admin,
        scheduled_round.id,
        paragraph.id,
        markdown="- Norrbotniabanan\n- E12 genom inlandet\n- Blå vägen",
        now=now.get(),
    )
    assert paragraph.html.count("<li>") == 3


def test_the_draft_cannot_be_changed_once_the_round_is_open(session, now, admin, open_round):
    paragraph = open_round.document.paragraphs[0]
    section = open_round.document.sections[0]
    calls = [
        lambda: drafts.edit_paragraph(
            session, admin, open_round.id, paragraph.id, markdown="Ny text.", now=now.get()
        ),
        lambda: drafts.move_paragraph(
            session, admin, open_round.id, paragraph.id, direction="down", now=now.get()
        ),
        lambda: drafts.delete_paragraph(session, admin, open_round.id, paragraph.id, now=now.get()),
        lambda: drafts.edit_heading(
            session, admin, open_round.id, section.id, heading="Ny", now=now.get()
        ),
    ]
    for call in calls:
        with pytest.raises(WrongState) as refused:
            call()
        assert refused.value.key == "draft_locked"
        session.rollback()
    session.expire_all()
    assert paragraph.text.startswith("Västerbotten") and paragraph.number == "1"
    assert section.heading == "Inledning"
    assert _audit(session) == []


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT, Role.STAFF])
def test_only_administrators_may_fix_the_draft(session, now, scheduled_round, role):
    actor = factories.make_user(session, role=role) if role else None
    paragraph = scheduled_round.document.paragraphs[0]
    with pytest.raises(NotAllowed):
        drafts.edit_paragraph(
            session, actor, scheduled_round.id, paragraph.id, markdown="X", now=now.get()
        )
    with pytest.raises(NotAllowed):
        drafts.delete_paragraph(session, actor, scheduled_round.id, paragraph.id, now=now.get())


def test_a_paragraph_of_another_round_is_not_found(session, now, admin, scheduled_round):
    other = factories.make_round(session, opens_at=None, closes_at=None)
    with pytest.raises(NotFound):
        drafts.edit_paragraph(
            session,
            admin,
            scheduled_round.id,
            other.document.paragraphs[0].id,
            markdown="X",
            now=now.get(),
        )


# Moving


def _move(session, now, admin, round_, start, direction):
    paragraph = _paragraph(round_, start)
    drafts.move_paragraph(
        session, admin, round_.id, paragraph.id, direction=direction, now=now.get()
    )
    return paragraph


def test_moving_within_a_section_swaps_and_renumbers(session, now, admin, scheduled_round):
    _move(session, now, admin, scheduled_round, "Norrbotniabanan", "up")
    assert _layout(session, scheduled_round)[5:] == [
        "# Trafik och infrastruktur",
        "4: Norrbotniabanan E12 genom",
        "5: Regionen prioriterar:",
        "6: Indikator Utgångsläge Mål",
    ]


def test_moving_down_past_a_heading_enters_that_section_first(session, now, admin, scheduled_round):
    paragraph = _move(session, now, admin, scheduled_round, "Strategin", "down")
    assert _layout(session, scheduled_round)[:5] == [
        "# Inledning",
        "1: Västerbotten ska vara",
        "# Vision",
        "2: Strategin gäller 2020–2030.",
        "3: Ett hållbart län",
    ]
    assert paragraph.section.heading == "Vision"
    (entry,) = _audit(session, "draft.move_paragraph")
    assert json.loads(entry.before) == {"paragraph": "2", "section": "1 Inledning"}
    assert json.loads(entry.after) == {"paragraph": "2", "section": "1.1 Vision"}


def test_moving_up_past_a_heading_ends_the_previous_section(session, now, admin, scheduled_round):
    paragraph = _move(session, now, admin, scheduled_round, "Regionen prioriterar", "up")
    assert paragraph.section.heading == "Vision"
    assert _layout(session, scheduled_round)[3:6] == [
        "# Vision",
        "3: Ett hållbart län",
        "4: Regionen prioriterar:",
    ]


def test_the_first_paragraph_moves_before_the_first_heading_and_no_further(
    session, now, admin, scheduled_round
):
    paragraph = _move(session, now, admin, scheduled_round, "Västerbotten", "up")
    assert paragraph.section is None
    assert _layout(session, scheduled_round)[:2] == ["1: Västerbotten ska vara", "# Inledning"]
    with pytest.raises(WrongState) as refused:
        _move(session, now, admin, scheduled_round, "Västerbotten", "up")
    assert refused.value.key == "first"


def test_the_last_paragraph_cannot_move_down(session, now, admin, scheduled_round):
    with pytest.raises(WrongState) as refused:
        _move(session, now, admin, scheduled_round, "Indikator", "down")
    assert refused.value.key == "last"
    session.rollback()
    assert _audit(session) == []


# Deleting


def test_deleting_renumbers_and_keeps_the_text_in_the_log(session, now, admin, scheduled_round):
    paragraph = _paragraph(scheduled_round, "Strategin")
    drafts.delete_paragraph(session, admin, scheduled_round.id, paragraph.id, now=now.get())
    layout = _layout(session, scheduled_round)
    assert "# Vision" in layout and "2: Ett hållbart län" in layout
    assert len([line for line in layout if not line.startswith("#")]) == 5
    (entry,) = _audit(session, "draft.delete_paragraph")
    assert json.loads(entry.before)["text"] == "Strategin gäller 2020–2030."
    assert entry.after is None


def test_a_paragraph_with_comments_is_not_deleted(session, now, admin, scheduled_round):
    paragraph = _paragraph(scheduled_round, "Strategin")
    factories.make_comment(
        session, scheduled_round, factories.make_user(session), paragraph=paragraph
    )
    with pytest.raises(WrongState) as refused:
        drafts.delete_paragraph(session, admin, scheduled_round.id, paragraph.id, now=now.get())
    assert refused.value.key == "paragraph_has_comments"
    session.rollback()
    assert session.get(Paragraph, paragraph.id) is not None
    assert _audit(session) == []


def test_the_last_paragraph_of_a_draft_is_not_deleted(session, now, admin):
    round_ = factories.make_round(
        session, opens_at=None, closes_at=None, markdown="# A\n\nBara ett."
    )
    with pytest.raises(WrongState) as refused:
        drafts.delete_paragraph(
            session, admin, round_.id, round_.document.paragraphs[0].id, now=now.get()
        )
    assert refused.value.key == "last_paragraph"


# Headings


def test_editing_a_heading_keeps_its_anchor(session, now, admin, scheduled_round):
    section = scheduled_round.document.sections[0]
    anchor = section.anchor
    drafts.edit_heading(
        session,
        admin,
        scheduled_round.id,
        section.id,
        heading="  Inledning   och syfte ",
        now=now.get(),
    )
    session.refresh(section)
    assert (section.heading, section.anchor) == ("Inledning och syfte", anchor)
    (entry,) = _audit(session, "draft.edit_heading")
    assert json.loads(entry.before) == {"section": "1", "heading": "Inledning"}


@pytest.mark.parametrize(("heading", "key"), [("", "required"), ("x" * 301, "too_long")])
def test_a_bad_heading_is_refused(session, now, admin, scheduled_round, heading, key):
    section = scheduled_round.document.sections[0]
    with pytest.raises(Invalid) as refused:
        drafts.edit_heading(
            session, admin, scheduled_round.id, section.id, heading=heading, now=now.get()
        )
    assert refused.value.errors == {"heading": key}


# A later round: editing keeps its link to the previous draft up to date


def test_editing_a_later_draft_updates_what_changed(session, now, admin):
    first = factories.make_round(
        session, opens_at=now.get() - timedelta(days=30), closes_at=now.get() - timedelta(days=1)
    )
    second = rounds.create_round(
        session,
        admin,
        first.consultation_id,
        title="Omgång 2",
        opens_at=None,
        closes_at=None,
        moderation="post",
        commenters="registered",
        draft=uploads.DraftFile(
            "v2.md", io.BytesIO(factories.DRAFT.replace("2020–2030", "2021–2030").encode())
        ),
        now=now.get(),
    )
    paragraph = _paragraph(second, "Strategin")
    assert paragraph.change == ParagraphChange.CHANGED
    drafts.edit_paragraph(
        session,
        admin,
        second.id,
        paragraph.id,
        markdown="Strategin gäller 2020–2030.",
        now=now.get(),
    )
    assert paragraph.change == ParagraphChange.UNCHANGED


# Over HTTP: who reaches the pages, htmx and no-JavaScript paths


DRAFT_IDS = endpoint_ids(draft_routes(placeholder_round()))


@pytest.mark.parametrize("index", range(DRAFT_ROUTE_COUNT), ids=DRAFT_IDS)
def test_anonymous_visitors_are_sent_to_log_in(client, scheduled_round, index):
    method, url = draft_routes(scheduled_round)[index]
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/logga-in")


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF])
@pytest.mark.parametrize("index", range(DRAFT_ROUTE_COUNT), ids=DRAFT_IDS)
def test_participants_and_staff_are_refused(client, auth, session, scheduled_round, role, index):
    auth.login(role=role)
    method, url = draft_routes(scheduled_round)[index]
    assert getattr(client, method)(url).status_code == 403
    assert _audit(session) == []


@pytest.mark.parametrize("index", range(DRAFT_ROUTE_COUNT), ids=DRAFT_IDS)
def test_administrators_reach_every_route(client, auth, session, scheduled_round, index):
    auth.login(role=Role.ADMIN)
    method, url = draft_routes(scheduled_round)[index]
    if method == "post":
        response = client.post(url, data={"direction": "down"}, headers=HX)
    else:
        response = client.get(url, headers=HX)
    # The comparison needs an earlier round; this round is the first.
    expected = {404} if url.endswith("andringar") else {200, 422}
    assert response.status_code in expected


def test_the_editor_shows_each_paragraph_as_participants_see_it(client, auth, scheduled_round):
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/omgang/{scheduled_round.id}/utkast/redigera").get_data(as_text=True)
    for paragraph in scheduled_round.document.paragraphs:
        assert paragraph.html in page
    assert "Flytta in i 1.1 Vision" in page or "Move into 1.1 Vision" in page


def test_no_js_edit_posts_and_returns_to_the_row(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    paragraph = _paragraph(scheduled_round, "Strategin")
    url = f"/admin/omgang/{scheduled_round.id}/stycke/{paragraph.id}/redigera"
    form = client.get(url).get_data(as_text=True)
    assert "Strategin gäller 2020–2030." in form
    response = client.post(url, data={"text": "Strategin gäller *hela* 2020-talet."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/utkast/redigera#edit-p-{paragraph.id}")
    session.refresh(paragraph)
    assert paragraph.html == "<p>Strategin gäller <em>hela</em> 2020-talet.</p>\n"
    preview = client.get(f"/admin/omgang/{scheduled_round.id}/forhandsvisning")
    assert "Strategin gäller <em>hela</em> 2020-talet." in preview.get_data(as_text=True)


def test_htmx_edit_swaps_the_row_and_keeps_bad_input(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    paragraph = _paragraph(scheduled_round, "Strategin")
    url = f"/admin/omgang/{scheduled_round.id}/stycke/{paragraph.id}/redigera"
    refused = client.post(url, data={"text": "Ett.\n\nTvå."}, headers=HX)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="edit-p-{paragraph.id}"')
    assert "Ett.\n\nTvå." in body and 'aria-invalid="true"' in body
    saved = client.post(url, data={"text": "Ny lydelse."}, headers=HX)
    assert saved.status_code == 200
    body = saved.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li id="edit-p-{paragraph.id}"')
    assert "<p>Ny lydelse.</p>" in body and 'role="status"' in body


def test_htmx_move_swaps_the_whole_editor(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    paragraph = _paragraph(scheduled_round, "Norrbotniabanan")
    url = f"/admin/omgang/{scheduled_round.id}/stycke/{paragraph.id}/flytta"
    response = client.post(url, data={"direction": "up"}, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="draft-editor"')
    session.refresh(paragraph)
    assert paragraph.number == "4"
    # The same button keeps the focus, so that the paragraph can be moved again.
    assert 'value="up" class="button small secondary"\n                  data-autofocus' in body


def test_no_js_move_redirects_and_a_refusal_says_why(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    last = _paragraph(scheduled_round, "Indikator")
    url = f"/admin/omgang/{scheduled_round.id}/stycke/{last.id}/flytta"
    response = client.post(url, data={"direction": "down"}, follow_redirects=True)
    assert response.status_code == 200
    assert "sist i utkastet" in response.get_data(
        as_text=True
    ) or "already last" in response.get_data(as_text=True)
    assert client.post(url, data={"direction": "sideways"}).status_code == 400


def test_delete_over_htmx_and_refusal_for_commented(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    commented = _paragraph(scheduled_round, "Strategin")
    factories.make_comment(
        session, scheduled_round, factories.make_user(session), paragraph=commented
    )
    page = client.get(f"/admin/omgang/{scheduled_round.id}/utkast/redigera").get_data(as_text=True)
    assert f"/stycke/{commented.id}/ta-bort" not in page
    refused = client.post(
        f"/admin/omgang/{scheduled_round.id}/stycke/{commented.id}/ta-bort", headers=HX
    )
    assert refused.status_code == 409
    other = _paragraph(scheduled_round, "Ett hållbart")
    deleted = client.post(
        f"/admin/omgang/{scheduled_round.id}/stycke/{other.id}/ta-bort", headers=HX
    )
    assert deleted.status_code == 200
    assert 'id="draft-editor-notice"' in deleted.get_data(as_text=True)
    assert session.get(Paragraph, other.id) is None


def test_an_open_round_sends_the_editor_back_to_the_round(client, auth, session, open_round):
    auth.login(role=Role.ADMIN)
    paragraph = open_round.document.paragraphs[0]
    response = client.get(f"/admin/omgang/{open_round.id}/utkast/redigera")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/omgang/{open_round.id}/")
    url = f"/admin/omgang/{open_round.id}/stycke/{paragraph.id}/redigera"
    refused = client.post(url, data={"text": "Ändrat i smyg."}, headers=HX)
    assert refused.headers["HX-Redirect"].endswith(f"/admin/omgang/{open_round.id}/")
    session.refresh(paragraph)
    assert paragraph.text.startswith("Västerbotten")


def test_heading_edit_over_htmx(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    section = scheduled_round.document.sections[0]
    url = f"/admin/omgang/{scheduled_round.id}/avsnitt/{section.id}/redigera"
    assert client.post(url, data={"heading": ""}, headers=HX).status_code == 422
    response = client.post(url, data={"heading": "Syfte"}, headers=HX)
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith(f'<li id="edit-s-{section.id}"')
    session.refresh(section)
    assert section.heading == "Syfte"


def test_a_post_without_csrf_token_changes_nothing(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    paragraph = _paragraph(scheduled_round, "Strategin")
    response = client.post(
        f"/admin/omgang/{scheduled_round.id}/stycke/{paragraph.id}/redigera",
        data={"text": "Förfalskat."},
        csrf=False,
    )
    assert response.status_code == 400
    session.refresh(paragraph)
    assert paragraph.text == "Strategin gäller 2020–2030."


def test_the_log_names_the_paragraph_even_when_only_its_text_changed(
    client, auth, session, now, scheduled_round
):
    admin = auth.login(role=Role.ADMIN)
    paragraph = _paragraph(scheduled_round, "Strategin")
    drafts.edit_paragraph(
        session, admin, scheduled_round.id, paragraph.id, markdown="Nytt.", now=now.get()
    )
    page = client.get(f"/admin/omgang/{scheduled_round.id}/").get_data(as_text=True)
    # The new text as a word diff against the old, with text cues besides the styling.
    assert re.search(
        r"<del><span class=\"visually-hidden\">[^<]+</span>Strategin gäller 2020–2030\.</del>", page
    )
    assert re.search(r"<ins><span class=\"visually-hidden\">[^<]+</span>Nytt\.</ins>", page)
    assert "1 Inledning" in page
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 1


# The Markdown an administrator edits gives back exactly the HTML the importer stored


ROUND_TRIP = """Text med *kursiv*, **fet**, `kod`, en [länk](https://example.se/a_b?x=1&y=2) och
https://region.se/sida. Rad två efter brytning\\
med hård brytning. 1. inte en lista

1. Först
2. Sedan
   - underpunkt
   - annan

- lös lista

- andra punkten

> Ett citat
> med två rader

| A | B |
|---|---|
| x \\| y | *z* |

Tecken: # * _ < > & [ ] \\\\ ! ~ | 3) och - + = i början:

\\- inte en punkt
"""


def test_every_paragraph_round_trips_through_markdown(session):
    markdown = (DATA / "strategy.md").read_text(encoding="utf-8") + "\n\n" + ROUND_TRIP
    round_ = factories.make_round(session, opens_at=None, closes_at=None, markdown=markdown)
    paragraphs = round_.document.paragraphs
    assert len(paragraphs) > 60
    for paragraph in paragraphs:
        assert render_block(to_markdown(paragraph.html)) == (paragraph.html, paragraph.text)


def test_the_editor_offers_deletion_exactly_where_the_service_allows_it(
    session, now, admin, scheduled_round
):
    paragraphs = scheduled_round.document.paragraphs
    commented = paragraphs[0]
    factories.make_comment(
        session, scheduled_round, factories.make_user(session), paragraph=commented
    )
    offered = {
        e.block.id: e.deletable
        for e in drafts.editor_blocks(session, admin, scheduled_round)
        if isinstance(e.block, Paragraph)
    }
    assert offered[commented.id] is False
    assert all(offered[p.id] for p in paragraphs[1:])
    with pytest.raises(WrongState) as refused:
        drafts.delete_paragraph(session, admin, scheduled_round.id, commented.id, now=now.get())
    assert refused.value.key == "paragraph_has_comments"
    with pytest.raises(NotAllowed):
        drafts.editor_blocks(
            session, factories.make_user(session, role=Role.STAFF), scheduled_round
        )
