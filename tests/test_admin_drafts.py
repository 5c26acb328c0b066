"""Drafts: import from Markdown and Word, refusals of bad files, replacement and preview."""

import io
import zipfile
from datetime import timedelta

import docx as python_docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from sqlalchemy import func, select

from consult.admin import docx, rounds, uploads
from consult.errors import Invalid, WrongState
from consult.models import AuditEntry, Consultation, Document, Paragraph, Role, Round, Section

from . import factories


@pytest.fixture
def consultation(session):
    consultation = Consultation(slug="rus", title="Regional utvecklingsstrategi")
    session.add(consultation)
    session.commit()
    return consultation


def _word_draft() -> bytes:
    """A small Word draft: title, headings (English and Swedish style names), bold text,
    a bullet list with a nested item, a numbered list and a table."""
    document = python_docx.Document()
    document.styles.add_style("Rubrik 2", WD_STYLE_TYPE.PARAGRAPH)
    document.add_heading("Inledning", level=1)
    paragraph = document.add_paragraph("Västerbotten ska vara en ")
    paragraph.add_run("attraktiv").bold = True
    paragraph.add_run(" region att leva och verka i.")
    document.add_paragraph("Strategin gäller 2020–2030 och har * stjärnor och <script>.")
    document.add_paragraph("Vision", style="Rubrik 2")
    document.add_paragraph("Regionen prioriterar:")
    document.add_paragraph("Norrbotniabanan", style="List Bullet")
    document.add_paragraph("E12 genom inlandet", style="List Bullet")
    document.add_paragraph("Särskilt Storuman", style="List Bullet 2")
    document.add_paragraph("")
    document.add_heading("Trafik och infrastruktur", level=1)
    document.add_paragraph("Först detta", style="List Number")
    document.add_paragraph("Sedan detta", style="List Number")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Indikator", "Utgångsläge", "Mål"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["Restid | Umeå", "2 h", "1 h"], strict=True):
        cell.text = text
    document.add_paragraph("Efter tabellen.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _create(session, admin, consultation, filename, data, now):
    return rounds.create_round(
        session,
        admin,
        consultation.id,
        title="Remissomgång 1",
        opens_at=now.get() + timedelta(days=1),
        closes_at=now.get() + timedelta(days=30),
        moderation="post",
        commenters="registered",
        draft=uploads.DraftFile(filename, io.BytesIO(data)),
        now=now.get(),
    )


def _nothing_saved(session):
    session.rollback()
    for model in (Round, Document, Paragraph, AuditEntry):
        assert session.scalar(select(func.count()).select_from(model)) == 0


# Word


def test_word_draft_becomes_sections_and_paragraphs(session, admin, consultation, now):
    round_ = _create(session, admin, consultation, "RUS utkast.DOCX", _word_draft(), now)
    sections = session.scalars(
        select(Section).where(Section.document_id == round_.document.id).order_by(Section.position)
    ).all()
    assert [(s.number, s.heading, s.level) for s in sections] == [
        ("1", "Inledning", 1),
        ("1.1", "Vision", 2),
        ("2", "Trafik och infrastruktur", 1),
    ]
    paragraphs = round_.document.paragraphs
    by_section = [(p.section.heading, p.html) for p in paragraphs]
    assert len(paragraphs) == 7
    assert by_section[0] == (
        "Inledning",
        "<p>Västerbotten ska vara en <strong>attraktiv</strong> region att leva och verka i.</p>\n",
    )
    # Markdown characters in the text stay text; markup in the text stays escaped.
    assert "* stjärnor och &lt;script&gt;." in by_section[1][1]
    # The list, nested item included, is one block.
    bullets = by_section[3]
    assert bullets[0] == "Vision"
    assert bullets[1].count("<ul>") == 2 and "Särskilt Storuman" in bullets[1]
    numbered = by_section[4]
    assert numbered[1].startswith("<ol>") and "Sedan detta" in numbered[1]
    # The table is one block, with its header row.
    table = by_section[5][1]
    assert table.startswith("<table>") and "<th>Indikator</th>" in table
    assert "<td>Restid | Umeå</td>" in table
    assert by_section[6] == ("Trafik och infrastruktur", "<p>Efter tabellen.</p>\n")
    (entry,) = session.scalars(select(AuditEntry))
    assert entry.action == "round.create"
    assert '"draft": "RUS utkast.DOCX"' in entry.after and '"paragraphs": 7' in entry.after


def test_word_conversion_keeps_links_and_escapes_line_starts():
    document = python_docx.Document()
    document.add_paragraph("1. Inte en lista")
    document.add_paragraph("- inte heller")
    document.add_paragraph("# inte en rubrik")
    buffer = io.BytesIO()
    document.save(buffer)
    markdown = docx.to_markdown(buffer.getvalue())
    assert markdown == "1\\. Inte en lista\n\n\\- inte heller\n\n\\# inte en rubrik\n"


# Markdown


def test_markdown_draft_with_byte_order_mark(session, admin, consultation, now):
    data = "\ufeff".encode() + factories.DRAFT.encode()
    round_ = _create(session, admin, consultation, "utkast.md", data, now)
    assert [s.heading for s in round_.document.sections][0] == "Inledning"
    assert len(round_.document.paragraphs) == 6


def test_markdown_is_sanitised(session, admin, consultation, now):
    data = b"# Rubrik\n\nText <script>alert(1)</script> [x](javascript:alert(1))\n"
    round_ = _create(session, admin, consultation, "utkast.md", data, now)
    html = round_.document.paragraphs[0].html
    assert "<script>" not in html and 'href="javascript' not in html


# Refusals: a clear message and nothing changed


@pytest.mark.parametrize(
    ("filename", "data", "key"),
    [
        ("utkast.md", b"", "empty"),
        ("utkast.md", b"   \n\n  ", "empty"),
        ("utkast.md", b"# Bara en rubrik\n\n## Och en till\n", "empty"),
        ("utkast.docx", b"", "empty"),
        ("utkast.md", "Text på latin-1: åäö".encode("latin-1"), "encoding"),
        ("utkast.md", b"Binary\x00\x01 data", "unreadable"),
        ("utkast.doc", b"\xd0\xcf\x11\xe0 old Word", "file_type"),
        ("utkast.pdf", b"%PDF-1.7", "file_type"),
        ("utkast", b"Text", "file_type"),
        ("utkast.docx", b"This is plain text, not a zip.", "not_docx"),
        ("utkast.docx", b"PK\x03\x04 truncated zip", "not_docx"),
    ],
)
def test_bad_files_are_refused(session, admin, consultation, now, filename, data, key):
    with pytest.raises(Invalid) as refused:
        _create(session, admin, consultation, filename, data, now)
    assert refused.value.errors == {"draft": key}
    _nothing_saved(session)


def test_a_zip_that_is_not_a_word_document_is_refused(session, admin, consultation, now):
    data = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
    with pytest.raises(Invalid) as refused:
        _create(session, admin, consultation, "utkast.docx", data, now)
    assert refused.value.errors == {"draft": "not_docx"}
    _nothing_saved(session)


def test_a_broken_word_document_is_refused(session, admin, consultation, now):
    data = _zip({"[Content_Types].xml": b"<nonsense", "word/document.xml": b"<nonsense"})
    with pytest.raises(Invalid) as refused:
        _create(session, admin, consultation, "utkast.docx", data, now)
    assert refused.value.errors == {"draft": "not_docx"}
    _nothing_saved(session)


@pytest.mark.parametrize(
    "entries",
    [
        # Over 50 MB once unpacked, from about 60 kB.
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (51 * 1024 * 1024)},
        # Small enough in total, but 5 MB packed a thousand-fold.
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b" " * (5 * 1024 * 1024)},
        # Too many parts.
        {f"word/media/{i}.xml": b"x" for i in range(docx.MAX_ENTRIES + 1)},
    ],
    ids=["total-size", "ratio", "entries"],
)
def test_zip_bombs_are_refused_before_anything_is_extracted(
    session, admin, consultation, now, monkeypatch, entries
):
    data = _zip(entries)
    assert len(data) < 10 * 1024 * 1024

    def must_not_open(*args, **kwargs):
        raise AssertionError("the archive was opened for reading")

    monkeypatch.setattr(docx.docx, "Document", must_not_open)
    monkeypatch.setattr(zipfile.ZipFile, "read", must_not_open)
    monkeypatch.setattr(zipfile.ZipFile, "open", must_not_open)
    with pytest.raises(Invalid) as refused:
        _create(session, admin, consultation, "utkast.docx", data, now)
    assert refused.value.errors == {"draft": "bomb"}
    _nothing_saved(session)


class _CountingStream(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.largest_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.largest_read = max(self.largest_read, len(data))
        return data


def test_file_over_10_mb_is_refused_without_reading_it_all(session, admin, consultation, now):
    stream = _CountingStream(b"a" * (uploads.MAX_DRAFT_BYTES + 5 * 1024 * 1024))
    with pytest.raises(Invalid) as refused:
        rounds.create_round(
            session,
            admin,
            consultation.id,
            title="R",
            opens_at=None,
            closes_at=None,
            moderation="post",
            commenters="registered",
            draft=uploads.DraftFile("stor.md", stream),
            now=now.get(),
        )
    assert refused.value.errors == {"draft": "too_large"}
    assert stream.largest_read == uploads.MAX_DRAFT_BYTES + 1
    _nothing_saved(session)


def test_file_of_exactly_10_mb_is_read(session, admin, consultation, now):
    data = (b"Ett stycke text.\n\n" * (uploads.MAX_DRAFT_BYTES // 18 + 1))[
        : uploads.MAX_DRAFT_BYTES
    ]
    with pytest.raises(Invalid) as refused:
        _create(session, admin, consultation, "stor.md", data, now)
    # Read in full, then refused by the importer for its length rather than its size.
    assert refused.value.errors == {"draft": "too_long"}


# Through HTTP


def _post_round(client, consultation, filename, data):
    response = client.post(
        f"/admin/samrad/{consultation.id}/ny-omgang",
        data={
            "title": "Remissomgång 1",
            "opens_at": "2027-03-10T08:00",
            "closes_at": "2027-04-30T23:59",
            "moderation": "post",
            "commenters": "registered",
            "draft": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )
    # The test client keeps a large request body in a temporary file and (without
    # follow_redirects) leaves it open.
    response.request.input_stream.close()
    return response


def test_upload_of_a_word_draft_through_the_form(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, consultation, "utkast.docx", _word_draft())
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 avsnitt" in page and "7 stycken" in page


def test_upload_over_10_mb_shows_the_limit_next_to_the_field(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    response = _post_round(client, consultation, "stor.md", b"a" * (uploads.MAX_DRAFT_BYTES + 1000))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="draft-error"' in page and "Filen är för stor: högst 10 MB." in page
    _nothing_saved(session)


def _multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "consult-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="draft"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_upload_of_50_mb_is_refused_unread_with_a_message(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    url = f"/admin/samrad/{consultation.id}/ny-omgang"
    # Sent as one in-memory body (the test client would spool it to a temporary file).
    body, content_type = _multipart(
        {"csrf_token": client.csrf_token(), "title": "R", "moderation": "post"},
        "enorm.docx",
        b"\0" * (50 * 1024 * 1024),
    )
    response = client.post(url, data=body, content_type=content_type, csrf=False)
    assert response.status_code == 302 and response.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "Filen är för stor: högst 10 MB. Ingenting sparades." in page
    _nothing_saved(session)


def test_the_larger_upload_limit_is_only_for_administrators(client, auth, consultation):
    auth.login(role=Role.PARTICIPANT)
    body, content_type = _multipart(
        {"csrf_token": client.csrf_token()}, "utkast.md", b"a" * (3 * 1024 * 1024)
    )
    url = f"/admin/samrad/{consultation.id}/ny-omgang"
    response = client.post(url, data=body, content_type=content_type, csrf=False)
    # Refused by the site-wide limit before anything else looks at it.
    assert response.status_code == 413


def test_zip_bomb_upload_gets_a_clear_message(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * 60_000_000})
    response = _post_round(client, consultation, "utkast.docx", bomb)
    assert response.status_code == 422
    assert "Filen skulle packas upp till mycket mer data" in response.get_data(as_text=True)
    _nothing_saved(session)


def test_missing_file_is_asked_for(client, auth, session, consultation):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/samrad/{consultation.id}/ny-omgang",
        data={"title": "R", "moderation": "post", "commenters": "registered"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Välj filen med förslaget." in response.get_data(as_text=True)


# Replacing the draft, and the preview


def test_draft_of_a_scheduled_round_can_be_replaced(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    old_anchors = {p.anchor for p in scheduled_round.document.paragraphs}
    url = f"/admin/omgang/{scheduled_round.id}/utkast"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        data={"draft": (io.BytesIO(_word_draft()), "ny version.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    session.expire_all()
    paragraphs = session.scalars(select(Paragraph)).all()
    assert len(paragraphs) == 7 and not old_anchors & {p.anchor for p in paragraphs}
    assert session.scalar(select(func.count()).select_from(Document)) == 1
    assert scheduled_round.document.paragraphs[0].text.startswith("Västerbotten ska vara en")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.replace_draft"))
    assert '"paragraphs": 6' in entry.before and '"paragraphs": 7' in entry.after


def test_a_refused_replacement_keeps_the_old_draft(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    before = [p.id for p in scheduled_round.document.paragraphs]
    response = client.post(
        f"/admin/omgang/{scheduled_round.id}/utkast",
        data={"draft": (io.BytesIO(b"not a zip"), "ny.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Filen är inte ett läsbart Word-dokument." in response.get_data(as_text=True)
    session.expire_all()
    assert [p.id for p in scheduled_round.document.paragraphs] == before


def test_the_draft_of_an_opened_round_cannot_be_replaced(session, admin, now, open_round):
    with pytest.raises(WrongState) as refused:
        rounds.replace_draft(
            session,
            admin,
            open_round.id,
            draft=uploads.DraftFile("a.md", io.BytesIO(b"Ny text.")),
            now=now.get(),
        )
    assert refused.value.key == "started"


def test_replacement_page_of_an_opened_round_explains_why_not(client, auth, open_round):
    auth.login(role=Role.ADMIN)
    response = client.get(f"/admin/omgang/{open_round.id}/utkast")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Förslaget kan bara bytas ut innan omgången öppnar." in page


def test_a_draft_with_comments_is_never_replaced(session, admin, now, open_round):
    author = factories.make_user(session)
    factories.make_comment(session, open_round, author, paragraph=open_round.document.paragraphs[0])
    # Even if the round were moved back to "scheduled", the comments keep their paragraphs.
    open_round.opens_at = now.get() + timedelta(days=1)
    session.commit()
    with pytest.raises(WrongState) as refused:
        rounds.replace_draft(
            session,
            admin,
            open_round.id,
            draft=uploads.DraftFile("a.md", io.BytesIO(b"Ny text.")),
            now=now.get(),
        )
    assert refused.value.key == "has_comments"


def test_preview_shows_the_draft_as_participants_see_it(client, auth, session, scheduled_round):
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/omgang/{scheduled_round.id}/forhandsvisning").get_data(as_text=True)
    public = client.get(f"/samrad/{scheduled_round.consultation.slug}/").get_data(as_text=True)
    draft = page[page.index('<article class="draft"') : page.index("</article>")]
    assert draft == public[public.index('<article class="draft"') : public.index("</article>")]
    assert "Förhandsvisning av omgång 1" in page
    assert 'class="para"' in draft and "<table>" in draft


def test_preview_of_a_draft_round_that_is_not_public_yet(client, auth, session):
    round_ = factories.make_round(session, opens_at=None, closes_at=None)
    auth.login(role=Role.ADMIN)
    assert client.get(f"/samrad/{round_.consultation.slug}/").status_code == 404
    page = client.get(f"/admin/omgang/{round_.id}/forhandsvisning").get_data(as_text=True)
    assert "Västerbotten ska vara en attraktiv region" in page
