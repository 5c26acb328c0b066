"""Roles, organisation claims, merging organisations and finding users (services)."""

import json
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from consult import audit
from consult.errors import Invalid, NotAllowed, WrongState
from consult.models import AuditEntry, Category, ClaimStatus, Comment, Organisation, Role, User
from consult.people import directory, organisations, services

from . import factories


def _entries(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _audit_count(session):
    return session.scalar(select(func.count()).select_from(AuditEntry))


# Roles


@pytest.mark.parametrize("role", ["staff", "admin", "participant"])
def test_admins_grant_and_revoke_roles_with_an_audit_entry(session, now, role):
    admin = factories.make_user(session, role=Role.ADMIN)
    user = factories.make_user(session, role=Role.STAFF if role == "participant" else None)
    before = user.role.value
    services.set_role(
        session, actor=admin, user_id=user.id, role=role, reason="Ny tjänst", now=now.get()
    )
    session.expire_all()
    assert session.get(User, user.id).role == Role(role)
    (entry,) = _entries(session, "user.role")
    assert json.loads(entry.before) == {"role": before}
    assert json.loads(entry.after) == {"role": role}
    assert entry.reason == "Ny tjänst" and entry.actor_id == admin.id


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF])
def test_only_admins_change_roles(session, now, role):
    actor = factories.make_user(session, role=role)
    user = factories.make_user(session)
    with pytest.raises(NotAllowed):
        services.set_role(session, actor=actor, user_id=user.id, role="admin", now=now.get())
    session.rollback()
    assert session.get(User, user.id).role == Role.PARTICIPANT
    assert _audit_count(session) == 0


def test_an_unknown_role_is_refused(session, now):
    admin = factories.make_user(session, role=Role.ADMIN)
    with pytest.raises(Invalid) as refused:
        services.set_role(session, actor=admin, user_id=admin.id, role="king", now=now.get())
    assert refused.value.errors == {"role": "choice"}


def test_the_last_admin_cannot_be_demoted(session, now):
    admin = factories.make_user(session, role=Role.ADMIN)
    with pytest.raises(WrongState) as refused:
        services.set_role(session, actor=admin, user_id=admin.id, role="staff", now=now.get())
    assert refused.value.key == "last_admin"
    session.rollback()
    assert session.get(User, admin.id).role == Role.ADMIN
    assert _audit_count(session) == 0


def test_an_admin_can_step_down_while_another_remains(session, now):
    admin = factories.make_user(session, role=Role.ADMIN)
    factories.make_user(session, role=Role.ADMIN)
    services.set_role(session, actor=admin, user_id=admin.id, role="participant", now=now.get())
    assert session.get(User, admin.id).role == Role.PARTICIPANT


def test_setting_the_same_role_changes_and_logs_nothing(session, now):
    admin = factories.make_user(session, role=Role.ADMIN)
    user = factories.make_user(session, role=Role.STAFF)
    services.set_role(session, actor=admin, user_id=user.id, role="staff", now=now.get())
    assert _audit_count(session) == 0


def test_two_admins_demoting_each_other_at_once_cannot_both_succeed(app, session, now, monkeypatch):
    first = factories.make_user(session, role=Role.ADMIN)
    second = factories.make_user(session, role=Role.ADMIN)
    sessions = app.extensions["db_sessionmaker"]
    first_in, go_on = threading.Event(), threading.Event()
    outcome = {}
    record = audit.record

    def slow_record(session_, actor, *args, **kwargs):
        # The first demotion holds its transaction open after its check, until told to go on.
        if actor.id == first.id:
            first_in.set()
            go_on.wait(10)
        return record(session_, actor, *args, **kwargs)

    monkeypatch.setattr(audit, "record", slow_record)

    def demote(actor_id, user_id):
        with sessions() as own:
            actor = own.get(User, actor_id)
            own.commit()
            try:
                services.set_role(
                    own, actor=actor, user_id=user_id, role="participant", now=now.get()
                )
                outcome[actor_id] = "demoted"
            except (WrongState, OperationalError) as error:
                own.rollback()
                outcome[actor_id] = error

    one = threading.Thread(target=demote, args=(first.id, second.id))
    one.start()
    assert first_in.wait(10)
    two = threading.Thread(target=demote, args=(second.id, first.id))
    two.start()
    # Give the second demotion time to reach its check while the first is still open.
    two.join(0.5)
    go_on.set()
    one.join(10)
    two.join(10)
    session.expire_all()
    admins = session.scalars(select(User.id).where(User.role == Role.ADMIN)).all()
    assert len(admins) == 1
    assert list(outcome.values()).count("demoted") == 1
    if session.bind.dialect.name == "postgresql":
        # Row locks: the second waited for the first, counted again and was refused.
        assert outcome[first.id] == "demoted"
        assert isinstance(outcome[second.id], WrongState)
        assert outcome[second.id].key == "last_admin"


# Organisation claims


def test_staff_verify_a_claim(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    user = factories.make_user(session)
    assert user.organisation_claim == ClaimStatus.CLAIMED and not user.is_verified
    services.verify_claim(session, actor=staff, user_id=user.id, now=now.get())
    session.expire_all()
    user = session.get(User, user.id)
    assert user.is_verified and user.organisation_checked_at == now.get()
    (entry,) = _entries(session, "user.verify")
    assert json.loads(entry.after)["organisation_claim"] == "verified"
    assert json.loads(entry.after)["organisation"] == user.organisation.name


def test_rejecting_a_claim_needs_a_reason(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    user = factories.make_user(session)
    with pytest.raises(Invalid):
        services.reject_claim(session, actor=staff, user_id=user.id, reason=" ", now=now.get())
    session.rollback()
    services.reject_claim(
        session, actor=staff, user_id=user.id, reason="Inte anställd där", now=now.get()
    )
    session.expire_all()
    assert session.get(User, user.id).organisation_claim == ClaimStatus.REJECTED
    assert _entries(session, "user.reject_claim")[0].reason == "Inte anställd där"


def test_a_verified_claim_can_later_be_rejected(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    user = factories.make_user(session)
    services.verify_claim(session, actor=staff, user_id=user.id, now=now.get())
    services.reject_claim(session, actor=staff, user_id=user.id, reason="Slutat", now=now.get())
    assert not session.get(User, user.id).is_verified
    with pytest.raises(WrongState) as refused:
        services.reject_claim(session, actor=staff, user_id=user.id, reason="x", now=now.get())
    assert refused.value.key == "already_rejected"


def test_someone_without_an_organisation_has_no_claim_to_check(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    person = factories.make_user(session, category=Category.INDIVIDUAL)
    with pytest.raises(WrongState) as refused:
        services.verify_claim(session, actor=staff, user_id=person.id, now=now.get())
    assert refused.value.key == "no_organisation"


def test_participants_cannot_check_claims(session, now):
    other = factories.make_user(session)
    user = factories.make_user(session)
    with pytest.raises(NotAllowed):
        services.verify_claim(session, actor=other, user_id=user.id, now=now.get())
    with pytest.raises(NotAllowed):
        services.reject_claim(session, actor=other, user_id=user.id, reason="x", now=now.get())


def test_the_claim_queue_lists_unchecked_claims_oldest_first(session, now):
    staff = factories.make_user(session, role=Role.STAFF)
    older = factories.make_user(session)
    newer = factories.make_user(session)
    checked = factories.make_user(session)
    factories.make_user(session, category=Category.INDIVIDUAL)
    services.verify_claim(session, actor=staff, user_id=checked.id, now=now.get())
    queue, total = directory.claim_queue(session, staff)
    ids = [u.id for u in queue]
    # Staff themselves registered with an organisation too, so they wait as well.
    assert ids == sorted([staff.id, older.id, newer.id]) and total == 3
    assert checked.id not in ids


# Organisations


@pytest.fixture
def duplicate(session, open_round):
    """ "Umea kommun" with two members and a comment, a duplicate of "Umeå kommun"."""
    target = factories.make_organisation(session, "Umeå kommun")
    source = factories.make_organisation(session, "Umea kommun")
    members = [factories.make_user(session, organisation=source) for _ in range(2)]
    comment = factories.make_comment(session, open_round, members[0])
    return source, target, members, comment


def test_admins_merge_a_duplicate_organisation(session, now, duplicate):
    source, target, members, comment = duplicate
    admin = factories.make_user(session, role=Role.ADMIN)
    organisations.merge(
        session,
        actor=admin,
        source_id=source.id,
        target_id=target.id,
        reason="Stavfel",
        now=now.get(),
    )
    session.expire_all()
    assert {session.get(User, m.id).organisation_id for m in members} == {target.id}
    moved = session.get(Comment, comment.id)
    assert (moved.author_organisation_id, moved.author_organisation_name) == (
        target.id,
        "Umeå kommun",
    )
    assert session.get(Organisation, source.id).merged_into_id == target.id
    (entry,) = _entries(session, "organisation.merge")
    assert entry.object_id == source.id and entry.reason == "Stavfel"
    assert json.loads(entry.before) == {"merged_into_id": None, "members": 2, "comments": 1}
    assert json.loads(entry.after)["merged_into_id"] == target.id
    listed = organisations.list_organisations(session, admin, query="umeå")
    assert [(r.organisation.id, r.members, r.comments) for r in listed.rows] == [(target.id, 2, 1)]


def test_merging_into_itself_or_a_merged_organisation_is_refused(session, now, duplicate):
    source, target, members, _ = duplicate
    admin = factories.make_user(session, role=Role.ADMIN)
    third = factories.make_organisation(session, "Umeå Kommun (gammal)")
    with pytest.raises(WrongState) as refused:
        organisations.merge(
            session, actor=admin, source_id=source.id, target_id=source.id, now=now.get()
        )
    assert refused.value.key == "same"
    session.rollback()
    organisations.merge(
        session, actor=admin, source_id=third.id, target_id=target.id, now=now.get()
    )
    with pytest.raises(WrongState) as refused:
        organisations.merge(
            session, actor=admin, source_id=source.id, target_id=third.id, now=now.get()
        )
    assert refused.value.key == "target_merged"
    session.rollback()
    with pytest.raises(WrongState) as refused:
        organisations.merge(
            session, actor=admin, source_id=third.id, target_id=source.id, now=now.get()
        )
    assert refused.value.key == "source_merged"
    session.rollback()
    assert {session.get(User, m.id).organisation_id for m in members} == {source.id}
    assert len(_entries(session, "organisation.merge")) == 1


def test_earlier_merges_follow_the_duplicate_into_its_target(session, now, duplicate):
    source, target, _, _ = duplicate
    admin = factories.make_user(session, role=Role.ADMIN)
    older = factories.make_organisation(session, "Umeå  kn")
    organisations.merge(
        session, actor=admin, source_id=older.id, target_id=source.id, now=now.get()
    )
    organisations.merge(
        session, actor=admin, source_id=source.id, target_id=target.id, now=now.get()
    )
    session.expire_all()
    assert session.get(Organisation, older.id).merged_into_id == target.id


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF])
def test_only_admins_merge(session, now, duplicate, role):
    source, target, _, _ = duplicate
    actor = factories.make_user(session, role=role)
    with pytest.raises(NotAllowed):
        organisations.merge(
            session, actor=actor, source_id=source.id, target_id=target.id, now=now.get()
        )
    session.rollback()
    assert session.get(Organisation, source.id).merged_into_id is None


def test_merged_organisations_are_left_out_of_the_list_unless_asked(session, now, duplicate):
    source, target, _, _ = duplicate
    admin = factories.make_user(session, role=Role.ADMIN)
    organisations.merge(
        session, actor=admin, source_id=source.id, target_id=target.id, now=now.get()
    )
    names = [
        r.organisation.name
        for r in organisations.list_organisations(session, admin, query="ume").rows
    ]
    assert names == ["Umeå kommun"]
    rows = organisations.list_organisations(session, admin, query="ume", include_merged=True).rows
    merged = next(r for r in rows if r.organisation.id == source.id)
    assert merged.merged_into.name == "Umeå kommun" and merged.members == 0


# Finding users


def test_search_by_name_email_or_organisation_with_filters(session, now):
    staff = factories.make_user(session, role=Role.STAFF, name="Stina Handläggare")
    org = factories.make_organisation(session, "Örnsköldsviks kommun")
    anna = factories.make_user(session, name="Anna Berg", email="anna@ovik.se", organisation=org)
    bo = factories.make_user(session, name="Bo Ek", email="bo@example.se")
    services.block_user(
        session, actor=staff, user_id=bo.id, reason="Spam", hide_comments=False, now=now.get()
    )
    services.verify_claim(session, actor=staff, user_id=anna.id, now=now.get())

    def found(**kwargs):
        page = directory.search_users(session, staff, directory.Filters(**kwargs))
        return [u.display_name for u in page.users]

    assert found(query="anna") == ["Anna Berg"]
    assert found(query="OVIK.SE") == ["Anna Berg"]
    assert found(query="örnsköldsviks") == ["Anna Berg"]
    assert found(query="%") == []
    assert found(blocked="yes") == ["Bo Ek"]
    assert found(role="staff") == ["Stina Handläggare"]
    assert found(claim="verified") == ["Anna Berg"]
    assert found(query="Bo", blocked="no") == []
    # Unknown filter values are ignored rather than hiding everyone.
    assert len(found(role="king", blocked="maybe")) == 3


def test_search_pages(session, now):
    staff = factories.make_user(session, role=Role.STAFF, name="A Staff")
    for n in range(5):
        factories.make_user(session, name=f"Person {n:02}")
    page = directory.search_users(session, staff, directory.Filters(), page=2, per_page=4)
    assert (page.total, page.page, page.pages) == (6, 2, 2)
    assert [u.display_name for u in page.users] == ["Person 03", "Person 04"]
    assert directory.search_users(session, staff, directory.Filters(), page=9, per_page=4).page == 2


def test_participants_cannot_search_users(session):
    with pytest.raises(NotAllowed):
        directory.search_users(session, factories.make_user(session), directory.Filters())


# A user's history


def test_a_users_history_is_for_staff_only(session, now):
    admin = factories.make_user(session, role=Role.ADMIN)
    user = factories.make_user(session)
    services.block_user(
        session, actor=admin, user_id=user.id, reason="Spam", hide_comments=False, now=now.get()
    )
    staff = factories.make_user(session, role=Role.STAFF)
    (entry,) = services.history(session, staff, user)
    assert entry.action == "user.block"
    for outsider in (factories.make_user(session), user, None):
        with pytest.raises(NotAllowed):
            services.history(session, outsider, user)


def test_an_organisations_members_are_for_staff_only(session):
    member = factories.make_user(session, name="Maja Medlem")
    organisation = session.get(Organisation, member.organisation_id)
    staff = factories.make_user(session, role=Role.STAFF)
    assert member in organisations.members(session, staff, organisation)
    with pytest.raises(NotAllowed):
        organisations.members(session, member, organisation)
