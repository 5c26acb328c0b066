"""The large synthetic round loads once, in every category, with varied texts."""

from sqlalchemy import func, select

from consult import demo
from consult.demo import large
from consult.models import (
    Category,
    Comment,
    CommentKind,
    CommentStatus,
    Consultation,
    Round,
    User,
)


def _round(session):
    return session.scalar(select(Round).join(Consultation).where(Consultation.slug == large.SLUG))


def test_the_command_loads_a_large_round_once(app, session, now, runner):
    demo.load(session, now.get())
    before = session.scalar(select(func.count()).select_from(Comment))

    result = runner.invoke(args=["demo-large", "--comments", "300", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Loaded 300 comments" in result.output
    assert f"flask analysis run {large.SLUG} 1" in result.output

    session.expire_all()
    round_ = _round(session)
    assert round_ is not None and round_.consultation.owner.email.startswith("admin@")
    assert round_.opens_at <= now.get() < round_.closes_at
    assert round_.document is not None and len(round_.document.paragraphs) >= 40
    comments = session.scalars(select(Comment).where(Comment.round_id == round_.id)).all()
    assert len(comments) == 300
    assert {c.status for c in comments} == {CommentStatus.PUBLISHED}
    assert {c.author_category for c in comments} == set(Category)
    assert len({c.author_organisation_id for c in comments} - {None}) >= 10
    assert len({c.author_id for c in comments}) >= 20
    assert len({c.body for c in comments}) >= 250  # recombined, so mostly distinct
    assert all(c.body_html and c.parent_id is None for c in comments)
    # Each comment sits on a paragraph, on a chapter or on the whole draft (never on two at
    # once), only on this round's draft; every level occurs, and comments and questions.
    paragraphs = {p.id for p in round_.document.paragraphs}
    sections = {s.id for s in round_.document.sections}
    assert not any(c.paragraph_id and c.section_id for c in comments)
    assert {c.paragraph_id for c in comments} - {None} <= paragraphs
    assert {c.section_id for c in comments} - {None} <= sections
    assert any(c.paragraph_id for c in comments) and any(c.section_id for c in comments)
    assert any(c.paragraph_id is None and c.section_id is None for c in comments)
    assert {CommentKind.COMMENT, CommentKind.QUESTION} <= {c.kind for c in comments}
    # The demo round is untouched.
    others = session.scalar(
        select(func.count()).select_from(Comment).where(Comment.round_id != round_.id)
    )
    assert others == before

    again = runner.invoke(args=["demo-large", "--comments", "300"])
    assert again.exit_code != 0
    assert "already loaded with 300 comments; nothing changed" in again.output
    assert session.scalar(select(func.count()).select_from(Comment)) == before + 300
    assert large.load(session, now.get(), 50) is False


def test_it_loads_without_the_demo_too(app, session, now):
    assert large.load(session, now.get(), 40, seed=7) is True
    assert session.scalar(select(func.count()).select_from(Comment)) == 40
    users = session.scalar(select(func.count()).select_from(User))
    assert users == large.participant_count(40)
    assert _round(session).consultation.owner is None
