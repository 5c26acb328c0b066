"""'My data': what the export holds about a person, what it keeps out, and that it covers every
column that points at an account (a new one fails here until the export says what it does)."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import String, select

from consult import clock
from consult.consultations import comments
from consult.db import Base
from consult.errors import Invalid, NotAllowed, NotFound
from consult.models import (
    AuditEntry,
    Category,
    CommentKind,
    CommentStatus,
    OutboxEmail,
    Role,
    User,
)
from consult.moderation import decisions, reports
from consult.notifications import services as notifications
from consult.people import my_data

from . import factories


@pytest.fixture
def story(session, open_round, now):
    """Alice writes, edits, agrees, reports and follows; Bob reports her; staff hide her comment."""
    alice = factories.make_user(
        session, name="Alice Ämne", email="alice@example.se", category=Category.INDIVIDUAL
    )
    bob = factories.make_user(session, name="Bob Bärgsson", email="bob@example.se")
    staff = factories.make_user(session, name="Stina Staff", role=Role.STAFF)
    paragraph = open_round.document.paragraphs[0]
    mine = factories.make_comment(
        session, open_round, alice, paragraph=paragraph, body="Första versionen."
    )
    comments.edit_comment(
        session,
        user=alice,
        comment_id=mine.id,
        kind="comment",
        body="Andra versionen.",
        stance=None,
        proposed_text=None,
        now=now.get(),
        max_chars=5000,
    )
    withdrawn = factories.make_comment(
        session, open_round, alice, body="Tillbakadragen text.", status=CommentStatus.WITHDRAWN
    )
    pending = factories.make_comment(
        session,
        open_round,
        alice,
        body="Väntar på granskning.",
        status=CommentStatus.PENDING,
        kind=CommentKind.QUESTION,
    )
    theirs = factories.make_comment(session, open_round, bob, body="Bobs egen synpunkt.")
    comments.toggle_agreement(session, user=alice, comment_id=theirs.id, now=now.get())
    reports.report(
        session,
        reporter=alice,
        comment_id=theirs.id,
        reason="other",
        note="Alices anmälan",
        now=now.get(),
    )
    reports.report(
        session,
        reporter=bob,
        comment_id=mine.id,
        reason="other",
        note="Bobs hemliga anmälan",
        now=now.get(),
    )
    notifications.start_following(session, alice, open_round.consultation_id, now=now.get())
    session.commit()
    decisions.hide(
        session,
        staff,
        mine.id,
        reason="offensive",
        note="Håll god ton.",
        now=now.get() + timedelta(minutes=5),
    )
    # An account e-mail (no notification) whose link could still work.
    session.add(
        OutboxEmail(
            user_id=alice.id,
            to_address="Alice@Example.se",
            subject="Bekräfta din e-postadress",
            body="Följ länken: http://localhost/konto/bekrafta/hemlig-token-123 inom ett dygn.",
            created_at=now.get(),
        )
    )
    session.commit()
    return SimpleNamespace(
        alice=alice,
        bob=bob,
        staff=staff,
        mine=mine,
        withdrawn=withdrawn,
        pending=pending,
        theirs=theirs,
        round=open_round,
        paragraph=paragraph,
    )


def _export(session, actor, user):
    return my_data.collect(session, actor, user, now=clock.now(), base_url="http://localhost")


def test_the_export_holds_every_comment_with_its_history_and_place(session, story):
    data = _export(session, story.alice, story.alice)
    by_id = {c["id"]: c for c in data["comments"]}
    assert set(by_id) == {story.mine.id, story.withdrawn.id, story.pending.id}
    edited = by_id[story.mine.id]
    assert edited["body"] == "Andra versionen."
    assert [r["body"] for r in edited["revisions"]] == ["Första versionen."]
    assert edited["revisions"][0]["was_published"] is True
    assert edited["status"] == "hidden"
    assert edited["moderation_reason"] == "offensive"
    assert edited["moderation_note"] == "Håll god ton."
    assert edited["open_report_count"] == 0  # the hide upheld Bob's report
    assert edited["place"] == {
        "type": "paragraph",
        "number": story.paragraph.number,
        "anchor": story.paragraph.anchor,
        "text": story.paragraph.text,
    }
    assert edited["round"]["consultation_title"] == story.round.consultation.title
    assert edited["url"] == f"http://localhost/synpunkter/{story.mine.id}"
    assert by_id[story.withdrawn.id]["status"] == "withdrawn"
    assert by_id[story.pending.id]["kind"] == "question"
    # Times are ISO 8601 with their zone.
    assert edited["created_at"].endswith("+00:00")


def test_the_export_holds_agreements_reports_follows_notifications_and_mail(session, story):
    data = _export(session, story.alice, story.alice)
    assert [a["comment_id"] for a in data["agreements"]] == [story.theirs.id]
    assert [(r["comment_id"], r["note"], r["reason"]) for r in data["reports_made"]] == [
        (story.theirs.id, "Alices anmälan", "other")
    ]
    assert [f["consultation_title"] for f in data["follows"]] == [story.round.consultation.title]
    assert [n["kind"] for n in data["notifications"]] == ["comment.hidden"]
    subjects = [e["subject"] for e in data["emails"]]
    assert "Bekräfta din e-postadress" in subjects and len(subjects) == 2
    account_mail = next(e for e in data["emails"] if e["subject"] == "Bekräfta din e-postadress")
    assert "hemlig-token-123" not in account_mail["body"]
    assert "[link removed]" in account_mail["body"]
    assert data["account"]["email"] == "alice@example.se"
    assert data["account"]["pending_email"] is None
    assert data["account"]["category"] == Category.INDIVIDUAL.value
    assert "password_hash" not in data["account"]
    assert data["organisation"] is None


def test_the_export_reveals_nobody_else(session, story):
    """Bob reported Alice's comment: his name, address and note stay out of her export, and so
    do the staff member's name and the text of the comment she agreed with."""
    text = json.dumps(_export(session, story.alice, story.alice), ensure_ascii=False)
    for other in (
        "Bob Bärgsson",
        "bob@example.se",
        "Bobs hemliga anmälan",
        "Bobs egen synpunkt",
        "Stina Staff",
        story.staff.email,
        story.bob.password_hash,
    ):
        assert other not in text
    hidden = next(
        e
        for e in _export(session, story.alice, story.alice)["audit"]["about_you"]
        if e["action"] == "comment.hide"
    )
    assert hidden["by"] == "staff" and hidden["reason"]


def test_staff_work_is_in_the_staff_members_own_export(session, story):
    data = _export(session, story.staff, story.staff)
    assert {"what": "comment.moderated", "object_id": story.mine.id} in [
        {"what": w["what"], "object_id": w["object_id"]} for w in data["staff_work"]
    ]
    assert [e["action"] for e in data["audit"]["by_you"]] == ["comment.hide"]
    # What they did, not the data of whom they did it to.
    assert "before" not in data["audit"]["by_you"][0]
    assert _export(session, story.alice, story.alice)["staff_work"] == []


def test_only_the_person_or_staff_may_collect(session, story):
    with pytest.raises(NotAllowed):
        _export(session, story.bob, story.alice)
    with pytest.raises(NotAllowed):
        _export(session, None, story.alice)
    assert _export(session, story.staff, story.alice)["account"]["id"] == story.alice.id


def test_staff_export_on_request_is_audited_and_needs_a_reference(session, story):
    with pytest.raises(Invalid):
        my_data.export_for_request(
            session, story.staff, story.alice.id, reason=" ", now=clock.now()
        )
    with pytest.raises(NotAllowed):
        my_data.export_for_request(
            session, story.bob, story.alice.id, reason="Dnr 1", now=clock.now()
        )
    with pytest.raises(NotFound):
        my_data.export_for_request(session, story.staff, 999999, reason="Dnr 1", now=clock.now())
    user, data = my_data.export_for_request(
        session, story.staff, story.alice.id, reason="Dnr RS 2027/12", now=clock.now()
    )
    assert user.id == story.alice.id and len(data["comments"]) == 3
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.export")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        story.staff.id,
        "user_account",
        story.alice.id,
    )
    assert entry.reason == "Dnr RS 2027/12"
    # The person sees the staff download in their own export (by role, not by name).
    about = _export(session, story.alice, story.alice)["audit"]["about_you"]
    assert [e["by"] for e in about if e["action"] == "user.export"] == ["staff"]


def _undocumented(fields: dict, name: str, value) -> list[str]:
    """The keys under ``name`` in ``value`` (an object or a list of them) without a description."""
    rows = value if isinstance(value, list) else [value]
    missing = []
    for row in rows:
        if not isinstance(row, dict) or name not in fields:
            continue
        for key, inner in row.items():
            if key not in fields[name]:
                missing.append(f"{name}.{key}")
            elif isinstance(inner, dict | list) and key not in ("params", "changes", "themes"):
                missing += _undocumented(fields, f"{name}.{key}", inner)
    return missing


def test_every_key_is_documented(session, story):
    for who in (story.alice, story.staff):
        data = _export(session, who, who)
        assert set(data["about"]) == set(data)
        missing = [
            key
            for name in data
            if name not in ("about", "fields")
            for key in _undocumented(data["fields"], name, data[name])
        ]
        assert not missing
    assert data["format"] == "consult.my-data" and data["format_version"] == 1


# Completeness: every column that points at an account or holds an e-mail address is covered.


def _user_columns() -> set[tuple[str, str]]:
    found = set()
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            points_at_user = any(
                fk.column.table.name == "user_account" for fk in column.foreign_keys
            )
            holds_email = isinstance(column.type, String) and (
                "email" in column.name or column.name.endswith("address")
            )
            if points_at_user or holds_email:
                found.add((table.name, column.name))
    return found


def test_every_column_that_points_at_an_account_is_exported():
    missing = _user_columns() - set(my_data.COVERAGE)
    assert not missing, (
        f"Add these to consult.people.my_data.COVERAGE (and to the export): {sorted(missing)}"
    )


def test_the_coverage_table_names_only_real_columns_and_export_keys(session, story):
    assert set(my_data.COVERAGE) <= _user_columns()
    keys = set(_export(session, story.alice, story.alice))
    assert set(my_data.COVERAGE.values()) <= keys


def test_every_account_column_is_exported_or_left_out_for_a_reason():
    columns = {c.name for c in User.__table__.columns}
    accounted = set(my_data.ACCOUNT_FIELDS) | set(my_data.ACCOUNT_LEFT_OUT)
    assert columns == accounted, f"Decide about: {sorted(columns ^ accounted)}"
