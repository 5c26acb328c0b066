"""Importing a draft from Markdown."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from consult.consultations.importer import DraftError, import_markdown
from consult.models import Consultation, Paragraph, Round, Section

from . import factories


def _import(session, markdown):
    consultation = Consultation(slug="s", title="T")
    round_ = Round(consultation=consultation, number=1, title="R")
    session.add_all([consultation, round_])
    document = import_markdown(session, round_, markdown, title="T")
    session.commit()
    return document


def test_headings_become_nested_numbered_sections(session):
    document = _import(session, factories.DRAFT)
    sections = [(s.number, s.level, s.heading) for s in document.sections]
    assert sections == [
        (("1"), 1, "Inledning"),
        ("1.1", 2, "Vision"),
        ("2", 1, "Trafik och infrastruktur"),
    ]
    vision = document.sections[1]
    assert vision.parent_id == document.sections[0].id
    assert vision.anchor == "s-vision"


def test_blocks_become_paragraphs_and_lists_and_tables_stay_whole(session):
    document = _import(session, factories.DRAFT)
    paragraphs = document.paragraphs
    assert [p.number for p in paragraphs] == ["1", "2", "3", "4", "5", "6"]
    assert paragraphs[0].section.heading == "Inledning"
    assert paragraphs[2].section.heading == "Vision"
    listed = paragraphs[4]
    assert listed.html.startswith("<ul>") and listed.html.count("<li>") == 2
    table = paragraphs[5]
    assert "<table>" in table.html and table.html.count("<tr>") == 2
    assert "Restid Umeå–Skellefteå" in table.text


def test_anchors_are_unique_and_stable_keys(session):
    document = _import(session, factories.DRAFT)
    anchors = [p.anchor for p in document.paragraphs]
    assert len(set(anchors)) == len(anchors)
    assert all(a == f"p-{p.key}" for a, p in zip(anchors, document.paragraphs, strict=True))


def test_imported_text_is_sanitised(session):
    document = _import(
        session, "# Rubrik\n\nText <script>alert(1)</script> och [x](javascript:alert(1)).\n"
    )
    html = document.paragraphs[0].html
    assert "<script>" not in html and "javascript:" not in html.replace("(javascript:", "")
    assert 'href="javascript' not in html


def test_repeated_headings_get_distinct_anchors(session):
    document = _import(session, "# Mål\n\nA\n\n# Mål\n\nB\n")
    assert [s.anchor for s in document.sections] == ["s-mal", "s-mal-2"]


@pytest.mark.parametrize("markdown", ["", "# Bara rubriker\n\n## Och fler\n", "---\n"])
def test_draft_without_paragraphs_is_refused_and_nothing_is_saved(session, markdown):
    with pytest.raises(DraftError):
        _import(session, markdown)
    session.rollback()
    assert session.scalars(select(Paragraph)).first() is None
    assert session.scalars(select(Section)).first() is None


def test_binary_draft_is_refused(session):
    with pytest.raises(DraftError):
        _import(session, "PK\x03\x04\x14\x00\x06\x00binary")


def test_import_draft_command_creates_a_round(runner, session, tmp_path):
    path = tmp_path / "utkast.md"
    path.write_text(factories.DRAFT, encoding="utf-8")
    result = runner.invoke(
        args=[
            "import-draft",
            str(path),
            "--consultation",
            "rus",
            "--title",
            "RUS",
            "--opens",
            "2027-01-10 08:00",
            "--closes",
            "2027-03-15 23:59",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "3 sections and 6 paragraphs" in result.output
    session.expire_all()
    round_ = session.scalar(select(Round))
    # Given in Stockholm time, stored in UTC (Stockholm is UTC+1 in winter).
    assert round_.opens_at == datetime(2027, 1, 10, 7, 0, tzinfo=UTC)
    assert round_.closes_at == datetime(2027, 3, 15, 22, 59, tzinfo=UTC)
    assert round_.opens_at.tzinfo == UTC
    again = runner.invoke(args=["import-draft", str(path), "--consultation", "rus"])
    assert again.exit_code == 0
    assert [r.number for r in session.scalar(select(Consultation)).rounds] == [1, 2]


def test_import_draft_command_refuses_bad_dates_and_empty_files(runner, session, tmp_path):
    empty = tmp_path / "tom.md"
    empty.write_text("# Rubrik\n", encoding="utf-8")
    result = runner.invoke(args=["import-draft", str(empty), "--consultation", "x", "--title", "X"])
    assert result.exit_code != 0 and "no paragraphs" in result.output
    good = tmp_path / "utkast.md"
    good.write_text(factories.DRAFT, encoding="utf-8")
    result = runner.invoke(
        args=[
            "import-draft",
            str(good),
            "--consultation",
            "x",
            "--title",
            "X",
            "--opens",
            "2027-03-15",
            "--closes",
            "2027-03-01",
        ]
    )
    assert result.exit_code != 0 and "after" in result.output
    session.rollback()
    assert session.scalar(select(Consultation)) is None
