"""Working groups: creating, editing and closing them, moving chapters, members joining and
leaving, and the history that keeps who wrote what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import audit
from consult.errors import Invalid, NotAllowed, NotFound, WrongState
from consult.groups import history, services
from consult.models import (
    AuditEntry,
    Category,
    GroupChapter,
    GroupMembership,
    GroupRole,
    NameShown,
    Response,
    Role,
    Synthesis,
    WorkStatus,
)

from . import factories

INTRO = "s-inledning"
TRAFFIC = "s-trafik-och-infrastruktur"


@pytest.fixture
def staff(session):
    return factories.make_user(session, role=Role.STAFF, name="Stina Staff")


def make_group(session, staff, round_, name="Digital utveckling", **values):
    return services.create_group(
        session,
        staff,
        round_.consultation_id,
        {"name": name, "description": values.get("description", ""), "position": 0},
    )


def join(session, staff, group, user, role=GroupRole.MEMBER):
    return services.add_member(session, staff, group.id, user.email, role.value)


def actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- groups ----------------------------------------------------------------------------------


def test_staff_create_a_group_with_a_slug_from_its_name(session, staff, open_round):
    group = make_group(session, staff, open_round, name="Energi, miljö och klimat")
    assert group.slug == "energi-miljo-och-klimat"
    assert group.consultation_id == open_round.consultation_id
    assert actions(session) == ["group.create"]


def test_a_participant_may_not_create_a_group(session, open_round):
    participant = factories.make_user(session)
    with pytest.raises(NotAllowed):
        make_group(session, participant, open_round)
    with pytest.raises(NotAllowed):
        make_group(session, None, open_round)


@pytest.mark.parametrize(
    ("name", "key"),
    [("", "required"), ("   ", "required"), ("!!!", "no_slug"), ("x" * 201, "too_long")],
)
def test_a_group_needs_a_name(session, staff, open_round, name, key):
    with pytest.raises(Invalid) as refused:
        make_group(session, staff, open_round, name=name)
    assert refused.value.errors == {"name": key}


def test_a_name_or_slug_is_used_once_per_consultation(session, staff, open_round, now):
    make_group(session, staff, open_round, name="Kultur och livsmiljöer")
    with pytest.raises(Invalid) as refused:
        make_group(session, staff, open_round, name="kultur och livsmiljöer")
    assert refused.value.errors == {"name": "name_taken"}
    with pytest.raises(Invalid):  # the same slug from another spelling
        make_group(session, staff, open_round, name="Kultur och livsmiljoer")
    other = factories.make_round(
        session, opens_at=now.get(), closes_at=now.get() + timedelta(days=3)
    )
    assert make_group(session, staff, other, name="Kultur och livsmiljöer").id


def test_the_chair_edits_the_group_but_an_ordinary_member_may_not(session, staff, open_round):
    group = make_group(session, staff, open_round)
    chair, member = factories.make_user(session), factories.make_user(session)
    join(session, staff, group, chair, GroupRole.CHAIR)
    join(session, staff, group, member)
    values = {"name": "Digitalisering", "description": "Bredband i hela länet.", "position": 2}
    with pytest.raises(NotAllowed):
        services.edit_group(session, member, group.id, values)
    services.edit_group(session, chair, group.id, values)
    assert (group.name, group.slug, group.position) == ("Digitalisering", "digitalisering", 2)
    assert actions(session)[-1] == "group.edit"


def test_the_chair_of_one_group_may_not_manage_another(session, staff, open_round):
    group = make_group(session, staff, open_round)
    other = make_group(session, staff, open_round, name="Energi")
    chair = factories.make_user(session)
    join(session, staff, group, chair, GroupRole.CHAIR)
    with pytest.raises(NotAllowed):
        services.edit_group(session, chair, other.id, {"name": "X", "position": 0})
    with pytest.raises(NotAllowed):
        join(session, chair, other, factories.make_user(session))


def test_closing_a_group_ends_chapters_and_memberships_and_keeps_them(
    session, staff, open_round, now
):
    group = make_group(session, staff, open_round)
    services.assign_chapter(session, staff, group.id, TRAFFIC)
    member = factories.make_user(session)
    join(session, staff, group, member)
    chair = factories.make_user(session)
    join(session, staff, group, chair, GroupRole.CHAIR)
    with pytest.raises(NotAllowed):
        services.close_group(session, chair, group.id)
    now.set(now.get() + timedelta(days=30))
    services.close_group(session, staff, group.id)
    session.expire_all()
    assert group.closed_at == now.get()
    assert [c.ended_at for c in group.chapters] == [now.get()]
    assert {m.left_at for m in group.memberships} == {now.get()}
    assert len(group.memberships) == 2
    with pytest.raises(WrongState):
        services.edit_group(session, staff, group.id, {"name": "Ny", "position": 0})
    with pytest.raises(WrongState):
        join(session, staff, group, factories.make_user(session))
    with pytest.raises(WrongState):
        services.assign_chapter(session, staff, group.id, INTRO)
    with pytest.raises(WrongState):
        services.close_group(session, staff, group.id)
    assert actions(session)[-1] == "group.close"


# -- chapters --------------------------------------------------------------------------------


def test_a_chapter_moves_to_another_group_and_the_history_is_kept(session, staff, open_round, now):
    first = make_group(session, staff, open_round)
    second = make_group(session, staff, open_round, name="Trafik")
    services.assign_chapter(session, staff, first.id, TRAFFIC)
    now.set(now.get() + timedelta(days=2))
    services.assign_chapter(session, staff, second.id, TRAFFIC)
    rows = session.scalars(select(GroupChapter).order_by(GroupChapter.id)).all()
    assert [(r.group_id, r.ended_at) for r in rows] == [
        (first.id, now.get()),
        (second.id, None),
    ]
    assert rows[0].ended_by_id == staff.id
    assert actions(session)[-2:] == ["group.chapter_end", "group.chapter_assign"]


def test_a_subsection_may_be_a_chapter_and_unknown_anchors_are_refused(session, staff, open_round):
    group = make_group(session, staff, open_round)
    services.assign_chapter(session, staff, group.id, "s-vision")
    for anchor in ("s-finns-inte", "", "p-b0d467386d58"):
        with pytest.raises(Invalid) as refused:
            services.assign_chapter(session, staff, group.id, anchor)
        assert refused.value.errors == {"chapter": "unknown_chapter"}
    with pytest.raises(Invalid) as refused:
        services.assign_chapter(session, staff, group.id, "s-vision")
    assert refused.value.errors == {"chapter": "already_held"}


def test_only_staff_assign_and_remove_chapters(session, staff, open_round):
    group = make_group(session, staff, open_round)
    chair = factories.make_user(session)
    join(session, staff, group, chair, GroupRole.CHAIR)
    with pytest.raises(NotAllowed):
        services.assign_chapter(session, chair, group.id, INTRO)
    chapter = services.assign_chapter(session, staff, group.id, INTRO)
    with pytest.raises(NotAllowed):
        services.remove_chapter(session, chair, group.id, chapter.id)
    services.remove_chapter(session, staff, group.id, chapter.id)
    assert chapter.ended_at is not None
    with pytest.raises(WrongState):
        services.remove_chapter(session, staff, group.id, chapter.id)
    other = make_group(session, staff, open_round, name="Annan")
    with pytest.raises(NotFound):
        services.remove_chapter(session, staff, other.id, chapter.id)


def test_the_database_keeps_one_current_owner_of_a_chapter(session, staff, open_round):
    first = make_group(session, staff, open_round)
    second = make_group(session, staff, open_round, name="Trafik")
    services.assign_chapter(session, staff, first.id, TRAFFIC)
    # A second current row, as a racing request that skipped the check would write it.
    session.add(
        GroupChapter(
            group_id=second.id,
            consultation_id=second.consultation_id,
            section_anchor=TRAFFIC,
        )
    )
    with pytest.raises(Exception):  # noqa: B017 - the unique index, whatever the driver says
        session.commit()
    session.rollback()
    current = session.scalar(
        select(func.count())
        .select_from(GroupChapter)
        .where(GroupChapter.section_anchor == TRAFFIC, GroupChapter.ended_at.is_(None))
    )
    assert current == 1


# -- members ---------------------------------------------------------------------------------


def test_a_member_joins_with_their_category_and_organisation_of_the_day(session, staff, open_round):
    group = make_group(session, staff, open_round)
    organisation = factories.make_organisation(session, "Umeå universitet", Category.ACADEMIA)
    person = factories.make_user(
        session, category=Category.ACADEMIA, organisation=organisation, email="lisa@example.se"
    )
    membership = services.add_member(session, staff, group.id, " LISA@example.se ", "secretary")
    assert membership.role == GroupRole.SECRETARY
    assert membership.category == Category.ACADEMIA
    assert membership.organisation_name == "Umeå universitet"
    person.organisation = factories.make_organisation(session, "Annan", Category.BUSINESS)
    person.category = Category.BUSINESS
    session.commit()
    assert membership.organisation_name == "Umeå universitet"
    assert actions(session)[-1] == "group.member_add"


def test_refused_members(session, staff, open_round):
    group = make_group(session, staff, open_round)
    person = factories.make_user(session)
    join(session, staff, group, person)
    with pytest.raises(Invalid) as refused:
        join(session, staff, group, person)
    assert refused.value.errors == {"email": "already_member"}
    with pytest.raises(Invalid) as refused:
        services.add_member(session, staff, group.id, "ingen@example.se", "member")
    assert refused.value.errors == {"email": "cannot_add"}
    with pytest.raises(Invalid) as refused:
        services.add_member(session, staff, group.id, "", "member")
    assert refused.value.errors == {"email": "required"}
    with pytest.raises(Invalid) as refused:
        services.add_member(session, staff, group.id, factories.make_user(session).email, "boss")
    assert refused.value.errors == {"role": "choice"}


def test_the_secretary_manages_members_an_ordinary_member_may_not(session, staff, open_round):
    group = make_group(session, staff, open_round)
    secretary, member = factories.make_user(session), factories.make_user(session)
    join(session, staff, group, secretary, GroupRole.SECRETARY)
    membership = join(session, staff, group, member)
    newcomer = factories.make_user(session)
    with pytest.raises(NotAllowed):
        join(session, member, group, newcomer)
    with pytest.raises(NotAllowed):
        services.change_role(session, member, group.id, membership.id, "chair")
    join(session, secretary, group, newcomer)
    # The chair's and the secretary's roles are staff's to give, take and remove.
    with pytest.raises(NotAllowed):
        services.change_role(session, secretary, group.id, membership.id, "chair")
    with pytest.raises(NotAllowed):
        join(session, secretary, group, factories.make_user(session), GroupRole.CHAIR)
    chair = join(session, staff, group, factories.make_user(session), GroupRole.CHAIR)
    with pytest.raises(NotAllowed):
        services.change_role(session, secretary, group.id, chair.id, "member")
    with pytest.raises(NotAllowed):
        services.leave(session, secretary, group.id, chair.id)
    services.leave(session, secretary, group.id, membership.id)
    services.change_role(session, staff, group.id, chair.id, "secretary")
    assert chair.role == GroupRole.SECRETARY
    assert actions(session)[-1] == "group.member_role"


def test_leaving_keeps_the_row_and_rejoining_makes_a_new_one(session, staff, open_round, now):
    group = make_group(session, staff, open_round)
    person = factories.make_user(session)
    first = join(session, staff, group, person)
    now.set(now.get() + timedelta(days=10))
    services.leave(session, staff, group.id, first.id)
    assert first.left_at == now.get()
    with pytest.raises(WrongState):
        services.leave(session, staff, group.id, first.id)
    with pytest.raises(WrongState):
        services.change_role(session, staff, group.id, first.id, "chair")
    now.set(now.get() + timedelta(days=10))
    second = join(session, staff, group, person)
    rows = session.scalars(
        select(GroupMembership).where(GroupMembership.user_id == person.id)
    ).all()
    assert [r.id for r in rows] == [first.id, second.id]
    assert second.left_at is None
    assert "group.member_leave" in actions(session)


def test_the_database_refuses_a_second_current_membership(session, staff, open_round):
    group = make_group(session, staff, open_round)
    person = factories.make_user(session)
    join(session, staff, group, person)
    session.add(
        GroupMembership(
            group_id=group.id, user_id=person.id, role=GroupRole.MEMBER, category=person.category
        )
    )
    with pytest.raises(Exception):  # noqa: B017
        session.commit()
    session.rollback()


# -- history ---------------------------------------------------------------------------------


def write_synthesis(session, author, round_, paragraph, at, text="Vi tar med det."):
    entry = Synthesis(
        round_id=round_.id,
        paragraph_id=paragraph.id,
        summary=text,
        response=Response.ACCEPTED,
        status=WorkStatus.REVIEWED,
        updated_by_id=author.id,
        updated_at=at,
        created_at=at,
    )
    session.add(entry)
    session.flush()
    audit.record(session, author, "synthesis.create", entry, None, {"summary": text}, now=at)
    session.commit()
    return entry


def test_what_a_member_wrote_stays_theirs_after_they_leave_and_the_chapter_moves(
    session, staff, open_round, now
):
    group = make_group(session, staff, open_round)
    other = make_group(session, staff, open_round, name="Trafik")
    services.assign_chapter(session, staff, group.id, TRAFFIC)
    writer = factories.make_user(session, name="Karin Skrivare")
    membership = join(session, staff, group, writer)
    paragraph = next(p for p in open_round.document.paragraphs if p.section.anchor == TRAFFIC)
    now.set(now.get() + timedelta(days=1))
    entry = write_synthesis(session, writer, open_round, paragraph, now.get())

    now.set(now.get() + timedelta(days=1))
    services.leave(session, staff, group.id, membership.id)
    now.set(now.get() + timedelta(days=1))
    services.assign_chapter(session, staff, other.id, TRAFFIC)
    now.set(now.get() + timedelta(days=1))
    services.close_group(session, staff, group.id)
    session.expire_all()

    kept = session.get(Synthesis, entry.id)
    assert kept.summary == "Vi tar med det."
    assert kept.updated_by_id == writer.id
    found = history.history(session, group)
    assert [(w.author.display_name, w.paragraph.id) for w in found.writings] == [
        ("Karin Skrivare", paragraph.id)
    ]
    assert [m.left_at is not None for m in found.memberships] == [True]
    assert [c.ended_at is not None for c in found.chapters] == [True]
    # The group that holds the chapter now did not write it.
    assert history.history(session, other).writings == []


def test_writing_before_joining_or_outside_the_chapters_is_not_the_groups(
    session, staff, open_round, now
):
    group = make_group(session, staff, open_round)
    services.assign_chapter(session, staff, group.id, TRAFFIC)
    writer = factories.make_user(session)
    intro = next(p for p in open_round.document.paragraphs if p.section.anchor == INTRO)
    traffic = next(p for p in open_round.document.paragraphs if p.section.anchor == TRAFFIC)
    write_synthesis(session, writer, open_round, traffic, now.get() - timedelta(days=1))
    now.set(now.get() + timedelta(days=1))
    join(session, staff, group, writer)
    now.set(now.get() + timedelta(days=1))
    write_synthesis(session, writer, open_round, intro, now.get())
    assert history.writings(session, group) == []


def test_a_hidden_name_is_kept_out_of_nothing_staff_see(session, staff, open_round):
    # Staff's management page shows full names whatever the person chose publicly.
    group = make_group(session, staff, open_round)
    person = factories.make_user(session, name="Hemlig Person")
    person.name_shown = NameShown.HIDDEN
    session.commit()
    join(session, staff, group, person)
    assert [m.user.display_name for m in services.current_members(group)] == ["Hemlig Person"]


def test_a_racing_second_add_is_refused_clearly(session, staff, open_round, monkeypatch):
    # Two requests that both checked before either committed: the index refuses the second.
    group = make_group(session, staff, open_round)
    person = factories.make_user(session)
    join(session, staff, group, person)
    monkeypatch.setattr(services, "current_members", lambda _group: [])
    with pytest.raises(Invalid) as refused:
        join(session, staff, group, person)
    assert refused.value.errors == {"email": "already_member"}
    assert session.scalar(select(func.count()).select_from(GroupMembership)) == 1


def test_a_racing_second_assignment_is_refused_clearly(session, staff, open_round, monkeypatch):
    first = make_group(session, staff, open_round)
    second = make_group(session, staff, open_round, name="Trafik")
    services.assign_chapter(session, staff, first.id, TRAFFIC)
    real_scalar = session.scalar

    def blind(statement, *args, **kwargs):
        # The racing request did not see the current owner when it looked.
        if "group_chapter" in str(statement) and "ended_at IS NULL" in str(statement):
            return None
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(session, "scalar", blind)
    with pytest.raises(Invalid) as refused:
        services.assign_chapter(session, staff, second.id, TRAFFIC)
    assert refused.value.errors == {"chapter": "chapter_race"}
    monkeypatch.undo()
    owners = session.scalars(
        select(GroupChapter.group_id).where(GroupChapter.ended_at.is_(None))
    ).all()
    assert owners == [first.id]
