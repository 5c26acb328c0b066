"""The demo consultation loads realistic data once."""

from collections import Counter

from sqlalchemy import func, select

from consult import demo
from consult.models import (
    Category,
    ClaimStatus,
    Comment,
    CommentKind,
    Consultation,
    Organisation,
    User,
)


def test_demo_loads_a_full_consultation_once(session, now):
    assert demo.load(session, now.get()) is True
    consultation = session.scalar(select(Consultation))
    round_ = consultation.rounds[0]
    document = round_.document
    chapters = [s.heading for s in document.sections if s.parent_id is None]
    assert chapters[0] == "Inledning" and len(chapters) == 9
    assert "Energi, miljö och klimat" in chapters and "Digital utveckling" in chapters
    assert len(document.paragraphs) >= 40

    comments = session.scalars(select(Comment)).all()
    assert len(comments) >= 400
    kinds = Counter(c.kind for c in comments)
    assert all(kinds[k] > 0 for k in CommentKind)
    assert len({c.paragraph_id for c in comments if c.paragraph_id}) > len(document.paragraphs) // 2
    assert any(c.section_id for c in comments) and any(
        c.paragraph_id is None and c.section_id is None for c in comments
    )
    assert sum(1 for c in comments if c.parent_id) >= 20
    assert sum(1 for c in comments if " the " in f" {c.body} ") >= 10  # some English
    bodies = Counter(c.body[:60] for c in comments)
    assert bodies.most_common(1)[0][1] >= 3  # a campaign of near-identical texts
    categories = {o.category for o in session.scalars(select(Organisation))}
    assert categories >= set(Category) - {Category.INDIVIDUAL}
    assert session.scalar(select(func.count()).select_from(Organisation)) >= 20
    assert all(c.created_at <= now.get() for c in comments)
    claims = Counter(
        (u.category, u.organisation_claim) for u in session.scalars(select(User)) if u.organisation
    )
    assert claims[(Category.MUNICIPALITY, ClaimStatus.VERIFIED)] > 0  # "verifierad" on comments
    assert claims[(Category.BUSINESS, ClaimStatus.CLAIMED)] > 0  # and work in the claim queue

    before = session.scalar(select(func.count()).select_from(Comment))
    assert demo.load(session, now.get()) is False
    assert session.scalar(select(func.count()).select_from(Comment)) == before


def test_demo_round_is_open_and_accounts_log_in(client, session, now):
    demo.load(session, now.get())
    page = client.get("/").get_data(as_text=True)
    assert demo.TITLE in page and "Öppen för synpunkter till" in page and "kl. 23.59" in page
    for email, password, role in demo.DEMO_ACCOUNTS:
        user = session.scalar(select(User).where(User.email == email))
        assert user.role.value == role
        response = client.post("/konto/logga-in", data={"email": email, "password": password})
        assert response.status_code == 302, email
        client.post("/konto/logga-ut")


def test_demo_command_prints_accounts(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "admin@demo.consult.example" in result.output
    assert "already loaded" in runner.invoke(args=["demo"]).output


# Fixes pinned by an earlier review (moved here from test_review_fixes.py)


def test_demo_refuses_a_database_with_real_consultations(runner, open_round):
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0 and "real consultations" in result.output
