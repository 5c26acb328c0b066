"""A working group's workspace: members correct the themes of their chapters' comments and
write their synthesis; staff see every group's progress. Who gets what, route by route."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from consult import clock, errors
from consult import group_access as access
from consult.analysis import board, corrections, drill
from consult.models import (
    AuditEntry,
    Category,
    CommentStatus,
    GroupChapter,
    GroupMembership,
    GroupRole,
    Paragraph,
    Role,
    Section,
    Synthesis,
    Theme,
    ThemeAssignment,
    User,
    WorkingGroup,
    WorkStatus,
)
from consult.synthesis import services as synthesis

from . import factories
from .analysis_helpers import live, theme_of


@dataclass
class Groups:
    seeded: object
    traffic: WorkingGroup  # answers for "Trafik och infrastruktur"
    school: WorkingGroup  # answers for "Inledning"
    closed: WorkingGroup  # closed, with "Vision"
    member: User  # of traffic
    school_member: User
    left: User  # left traffic
    closed_member: User
    outsider: User  # a participant in no group
    traffic_theme: Theme
    school_theme: Theme
    traffic_paragraph: Paragraph
    school_paragraph: Paragraph

    @property
    def round(self):
        return self.seeded.round

    @property
    def staff(self):
        return self.seeded.staff


def _group(session, round_, name, anchors, *, closed=None, position=0) -> WorkingGroup:
    group = WorkingGroup(
        consultation_id=round_.consultation_id,
        slug=name.lower(),
        name=name,
        position=position,
        closed_at=closed,
    )
    session.add(group)
    session.flush()
    for anchor in anchors:
        session.add(
            GroupChapter(
                group_id=group.id, consultation_id=round_.consultation_id, section_anchor=anchor
            )
        )
    session.commit()
    return group


def _join(session, group, user, *, left=None, role=GroupRole.MEMBER) -> None:
    session.add(
        GroupMembership(
            group_id=group.id, user_id=user.id, role=role, category=user.category, left_at=left
        )
    )
    session.commit()


def _section(session, round_, heading) -> Section:
    return session.scalars(
        select(Section).where(Section.document_id == round_.document.id, Section.heading == heading)
    ).one()


@pytest.fixture
def groups(session, analysed):
    round_ = analysed.round
    traffic_section = _section(session, round_, "Trafik och infrastruktur")
    intro = _section(session, round_, "Inledning")
    vision = _section(session, round_, "Vision")
    traffic = _group(session, round_, "Trafikgruppen", [traffic_section.anchor], position=1)
    school = _group(session, round_, "Skolgruppen", [intro.anchor], position=2)
    closed = _group(session, round_, "Visionsgruppen", [vision.anchor], closed=clock.now())
    people = {
        key: factories.make_user(session, category=Category.INDIVIDUAL, name=key.title())
        for key in ("member", "school_member", "left", "closed_member", "outsider")
    }
    _join(session, traffic, people["member"])
    _join(session, school, people["school_member"], role=GroupRole.CHAIR)
    _join(session, traffic, people["left"], left=clock.now())
    _join(session, closed, people["closed_member"])
    traffic_comment, school_comment = analysed.comments[0], analysed.comments[10]
    return Groups(
        analysed,
        traffic,
        school,
        closed,
        traffic_theme=theme_of(session, traffic_comment),
        school_theme=theme_of(session, school_comment),
        traffic_paragraph=traffic_comment.paragraph,
        school_paragraph=school_comment.paragraph,
        **people,
    )


def _on_theme(session, g: Groups, theme: Theme, comments) -> list:
    """Those of ``comments`` tagged with ``theme`` now."""
    tags = live(session, [c.id for c in comments])
    return [c for c in comments if theme.id in tags[c.id]]


def _urls(g: Groups, group: WorkingGroup | None = None) -> list[tuple[str, str]]:
    group = group or g.traffic
    base = f"/arbetsgrupper/{group.id}/arbetsyta"
    r = g.round.id
    return [
        ("get", base),
        ("get", f"{base}/omgang/{r}/tema/{g.traffic_theme.id}"),
        ("get", f"{base}/omgang/{r}/tema/{g.traffic_theme.id}/sammanstallning"),
        ("get", f"{base}/omgang/{r}/stycke/{g.traffic_paragraph.id}/sammanstallning"),
    ]


ROUTE_IDS = [
    "GET /arbetsgrupper/<g>/arbetsyta",
    "GET /arbetsgrupper/<g>/arbetsyta/omgang/<r>/tema/<t>",
    "GET /arbetsgrupper/<g>/arbetsyta/omgang/<r>/tema/<t>/sammanstallning",
    "GET /arbetsgrupper/<g>/arbetsyta/omgang/<r>/stycke/<p>/sammanstallning",
]
ROLES = {
    "anonymous": 302,
    "outsider": 403,
    "school_member": 403,
    "left": 403,
    "member": 200,
    "staff": 200,
    "admin": 200,
}


@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_open_a_groups_workspace(client, auth, session, groups, index, role):
    if role == "admin":
        auth.login(role=Role.ADMIN)
    elif role == "staff":
        auth.login(groups.staff)
    elif role != "anonymous":
        auth.login(getattr(groups, role))
    method, url = _urls(groups)[index]

    response = getattr(client, method)(url)

    assert response.status_code == ROLES[role], url
    if role == "anonymous":
        assert "/konto/logga-in" in response.headers["Location"]


def test_a_closed_groups_member_is_refused_and_staff_still_see_it(client, auth, session, groups):
    url = f"/arbetsgrupper/{groups.closed.id}/arbetsyta"
    auth.login(groups.closed_member)
    assert client.get(url).status_code == 403

    auth.login(groups.staff)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "what",
    ["theme", "theme synthesis", "paragraph synthesis", "rename", "move", "save synthesis"],
)
def test_a_member_cannot_reach_another_groups_work_through_their_own_workspace(
    client, auth, session, groups, what
):
    """The school group's chair, in the school group's workspace, asks for the traffic
    group's theme, paragraph and comment."""
    auth.login(groups.school_member)
    base = f"/arbetsgrupper/{groups.school.id}/arbetsyta/omgang/{groups.round.id}"
    theme, paragraph = groups.traffic_theme, groups.traffic_paragraph
    comment = groups.seeded.comments[0]
    requests = {
        "theme": ("get", f"{base}/tema/{theme.id}", {}),
        "theme synthesis": ("get", f"{base}/tema/{theme.id}/sammanstallning", {}),
        "paragraph synthesis": ("get", f"{base}/stycke/{paragraph.id}/sammanstallning", {}),
        "rename": (
            "post",
            f"{base}/tema/{theme.id}/redigera",
            {"name": "Kapat", "version": theme.version},
        ),
        "move": (
            "post",
            f"{base}/synpunkt/{comment.id}/flytta",
            {"from_theme": theme.id, "to_theme": groups.school_theme.id},
        ),
        "save synthesis": (
            "post",
            f"{base}/stycke/{paragraph.id}/sammanstallning",
            {"summary": "Kapat", "status": "drafted", "version": 0},
        ),
    }
    method, url, data = requests[what]

    response = getattr(client, method)(url, data=data) if data else client.get(url)

    assert response.status_code == 403
    session.expire_all()
    assert session.get(Theme, theme.id).name != "Kapat"
    assert live(session, [comment.id])[comment.id] == {theme.id}
    assert session.scalars(select(Synthesis)).all() == []


def test_the_workspace_shows_the_groups_chapters_themes_and_paragraphs(
    client, auth, session, groups
):
    auth.login(groups.member)

    page = client.get(f"/arbetsgrupper/{groups.traffic.id}/arbetsyta").get_data(as_text=True)

    assert "Trafikgruppen" in page
    assert "Trafik och infrastruktur" in page
    assert groups.traffic_theme.name in page
    # The school theme has no comment on the traffic chapter: not on this group's board.
    assert groups.school_theme.name not in page
    synthesis_url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/tema/{groups.traffic_theme.id}/sammanstallning"
    )
    assert synthesis_url in page
    paragraph_url = f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}/stycke/"
    assert f"{paragraph_url}{groups.traffic_paragraph.id}/sammanstallning" in page
    assert f"{paragraph_url}{groups.school_paragraph.id}/" not in page
    assert '<p class="ws-counts">10 ' in page  # the ten traffic comments


def test_the_drill_down_lists_only_the_chapters_comments(client, auth, session, groups):
    auth.login(groups.member)
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/tema/{groups.traffic_theme.id}"
    )

    page = client.get(url).get_data(as_text=True)

    traffic_ids = {c.id for c in groups.seeded.comments[:10]}
    on_theme = {
        c.id for c in _on_theme(session, groups, groups.traffic_theme, groups.seeded.comments)
    }
    assert on_theme & traffic_ids
    for comment_id in on_theme:
        assert (f'id="ac-{comment_id}"' in page) == (comment_id in traffic_ids)
    # Every action posts to the workspace, none to the staff's analysis pages.
    assert 'action="/analys' not in page and 'hx-post="/analys' not in page
    assert f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/" in page


def test_a_member_sees_no_comment_moderation_has_taken_down(client, auth, session, groups):
    hidden = factories.make_comment(
        session,
        groups.round,
        groups.outsider,
        paragraph=groups.traffic_paragraph,
        body="Dold synpunkt om järnvägen.",
        status=CommentStatus.HIDDEN,
    )
    corrections.add_tag(
        session, groups.staff, groups.round.id, hidden.id, groups.traffic_theme.id, now=clock.now()
    )
    auth.login(groups.member)
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/tema/{groups.traffic_theme.id}?status=all"
    )

    page = client.get(url).get_data(as_text=True)

    assert f'id="ac-{hidden.id}"' not in page
    assert 'name="status"' not in page  # no moderation filter for members


def test_a_member_renames_their_theme_and_the_audit_log_names_them(client, auth, session, groups):
    auth.login(groups.member)
    theme = groups.traffic_theme
    base = f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"

    response = client.post(
        f"{base}/tema/{theme.id}/redigera",
        data={"name": "Norrbotniabanan", "description": "Järnvägen.", "version": theme.version},
    )

    assert response.status_code == 302
    session.expire_all()
    assert session.get(Theme, theme.id).name == "Norrbotniabanan"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.edit")).one()
    assert (entry.actor_id, entry.object_id) == (groups.member.id, theme.id)


def test_a_stale_rename_is_a_conflict(client, auth, session, groups):
    auth.login(groups.member)
    theme = groups.traffic_theme
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/tema/{theme.id}/redigera"
    )
    loaded = theme.version
    assert client.post(url, data={"name": "Först", "version": loaded}).status_code == 302

    response = client.post(url, data={"name": "Sen", "version": loaded})

    assert response.status_code == 409
    session.expire_all()
    assert session.get(Theme, theme.id).name == "Först"


def test_a_member_moves_confirms_and_adds_tags_of_their_chapters_comments(
    client, auth, session, groups
):
    auth.login(groups.member)
    theme, target = groups.traffic_theme, groups.school_theme
    comment, other = _on_theme(session, groups, theme, groups.seeded.comments[:10])[:2]
    base = f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"

    moved = client.post(
        f"{base}/synpunkt/{comment.id}/flytta", data={"from_theme": theme.id, "to_theme": target.id}
    )
    confirmed = client.post(f"{base}/synpunkt/{other.id}/bekrafta", data={"theme": theme.id})
    added = client.post(
        f"{base}/synpunkt/{other.id}/tagga", data={"to_theme": target.id, "back": theme.id}
    )

    assert [moved.status_code, confirmed.status_code, added.status_code] == [302, 302, 302]
    session.expire_all()
    assert live(session, [comment.id, other.id]) == {
        comment.id: {target.id},
        other.id: {theme.id, target.id},
    }
    actions = {
        e.action: e.actor_id
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("theme_assignment.%"))
        )
    }
    assert actions == {
        "theme_assignment.move": groups.member.id,
        "theme_assignment.confirm": groups.member.id,
        "theme_assignment.add": groups.member.id,
    }


def test_a_members_change_to_the_themes_has_the_rounds_analysis_pages_rebuilt(
    client, auth, session, groups, monkeypatch
):
    from consult.analysis import queue

    handed = []
    monkeypatch.setattr(queue, "dispatch_rebuild", lambda _app, round_id: handed.append(round_id))
    theme, target = groups.traffic_theme, groups.school_theme
    comment = _on_theme(session, groups, theme, groups.seeded.comments[:10])[0]
    auth.login(groups.staff)  # a handläggare looks at the round's board: it is kept ready
    assert client.get(f"/analys/omgang/{groups.round.id}/").status_code == 200
    auth.login(groups.member)
    workspace = f"/arbetsgrupper/{groups.traffic.id}/arbetsyta"
    assert client.get(workspace).status_code == 200
    assert handed == []  # a look changes no theme

    moved = client.post(
        f"{workspace}/omgang/{groups.round.id}/synpunkt/{comment.id}/flytta",
        data={"from_theme": theme.id, "to_theme": target.id},
    )
    assert moved.status_code == 302 and handed == [groups.round.id]


def test_a_tag_correction_answers_htmx_with_the_comments_row(client, auth, session, groups):
    auth.login(groups.member)
    comment = _on_theme(session, groups, groups.traffic_theme, groups.seeded.comments[:10])[-1]
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/synpunkt/{comment.id}/bekrafta"
    )

    response = client.post(
        url, data={"theme": groups.traffic_theme.id}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert f'id="ac-{comment.id}"' in response.get_data(as_text=True)


def test_a_member_writes_the_synthesis_of_their_theme_and_paragraph(client, auth, session, groups):
    auth.login(groups.member)
    base = f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
    form = client.get(f"{base}/tema/{groups.traffic_theme.id}/sammanstallning").get_data(
        as_text=True
    )
    assert f'action="{base}/tema/{groups.traffic_theme.id}/sammanstallning"' in form

    theme_saved = client.post(
        f"{base}/tema/{groups.traffic_theme.id}/sammanstallning",
        data={"summary": "Bygg banan.", "response": "accepted", "status": "reviewed", "version": 0},
    )
    paragraph_saved = client.post(
        f"{base}/stycke/{groups.traffic_paragraph.id}/sammanstallning",
        data={"summary": "Tabellen.", "response": "", "status": "drafted", "version": 0},
    )

    assert theme_saved.status_code == paragraph_saved.status_code == 302
    assert theme_saved.headers["Location"].endswith(
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta#ws-theme-{groups.traffic_theme.id}"
    )
    entries = session.scalars(select(Synthesis).order_by(Synthesis.id)).all()
    assert [(e.theme_id, e.paragraph_id, e.updated_by_id) for e in entries] == [
        (groups.traffic_theme.id, None, groups.member.id),
        (None, groups.traffic_paragraph.id, groups.member.id),
    ]
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "synthesis.create"))
    assert {e.actor_id for e in audit} == {groups.member.id}


def test_a_stale_synthesis_save_is_a_conflict_and_keeps_the_first(client, auth, session, groups):
    auth.login(groups.member)
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/stycke/{groups.traffic_paragraph.id}/sammanstallning"
    )
    data = {"summary": "Först.", "status": "drafted", "version": 0}
    assert client.post(url, data=data).status_code == 302

    response = client.post(url, data=data | {"summary": "Sen."})

    assert response.status_code == 409
    assert session.scalars(select(Synthesis)).one().summary == "Först."


def test_staff_see_every_groups_progress(client, auth, session, groups):
    where = synthesis.target(
        session, groups.member, groups.round.id, theme_id=groups.traffic_theme.id
    )
    synthesis.save(
        session,
        groups.member,
        where,
        summary="Bygg banan.",
        response="accepted",
        motivation="",
        status=WorkStatus.REVIEWED.value,
        version=0,
        now=clock.now(),
    )
    url = f"/arbetsgrupper/samrad/{groups.round.consultation_id}/framsteg"
    auth.login(groups.staff)

    page = client.get(url).get_data(as_text=True)

    for group in (groups.traffic, groups.school, groups.closed):
        assert f'href="/arbetsgrupper/{group.id}/arbetsyta"' in page
    row = page.split(f'id="group-{groups.traffic.id}"')[1].split("</tr>")[0]
    assert "Trafik och infrastruktur" in row
    assert "<td>1 / 1 / 1</td>" in row  # its one theme: written and reviewed
    assert "<td>0 / 0 / 1</td>" in row  # its one commented paragraph: not yet


@pytest.mark.parametrize(
    "role,status", [("anonymous", 302), ("member", 403), ("outsider", 403), ("admin", 200)]
)
def test_who_may_see_the_progress_page(client, auth, session, groups, role, status):
    if role == "admin":
        auth.login(role=Role.ADMIN)
    elif role != "anonymous":
        auth.login(getattr(groups, role))

    response = client.get(f"/arbetsgrupper/samrad/{groups.round.consultation_id}/framsteg")

    assert response.status_code == status


def test_the_staff_analysis_and_synthesis_pages_stay_closed_to_members(
    client, auth, session, groups
):
    auth.login(groups.member)
    r = groups.round.id

    assert client.get(f"/analys/omgang/{r}/").status_code == 403
    assert client.get(f"/analys/omgang/{r}/tema/{groups.traffic_theme.id}").status_code == 403
    assert client.get(f"/sammanstallning/omgang/{r}/").status_code == 403


def test_a_member_finds_their_workspace_from_the_account_page(client, auth, session, groups):
    auth.login(groups.member)

    assert 'href="/arbetsgrupper/mina"' in client.get("/konto").get_data(as_text=True)
    response = client.get("/arbetsgrupper/mina")
    assert response.headers["Location"].endswith(f"/arbetsgrupper/{groups.traffic.id}/arbetsyta")

    auth.login(groups.outsider)
    assert "/arbetsgrupper/mina" not in client.get("/konto").get_data(as_text=True)


# The services check by themselves, whatever route is in front of them.


def test_services_refuse_a_member_outside_their_chapters(session, groups):
    member, round_id = groups.member, groups.round.id
    traffic = groups.traffic_theme
    school_comment = groups.seeded.comments[10]
    traffic_sections = access.group_section_ids(session, groups.traffic.id, groups.round)

    with pytest.raises(errors.NotAllowed):
        board.build(session, member, round_id)  # the whole board is staff's
    with pytest.raises(errors.NotAllowed):
        school = {_section(session, groups.round, "Inledning").id}
        board.build(session, member, round_id, sections=school)
    with pytest.raises(errors.NotAllowed):
        drill.comments(session, member, round_id, traffic.id, drill.Filters())
    with pytest.raises(errors.NotAllowed):
        corrections.edit_theme(
            session,
            member,
            round_id,
            groups.school_theme.id,
            name="X",
            description="",
            version=groups.school_theme.version,
            now=clock.now(),
        )
    with pytest.raises(errors.NotAllowed):
        corrections.confirm_tag(
            session, member, round_id, school_comment.id, groups.school_theme.id, now=clock.now()
        )
    with pytest.raises(errors.NotAllowed):
        synthesis.target(session, member, round_id, paragraph_id=groups.school_paragraph.id)
    with pytest.raises(errors.NotAllowed):
        synthesis.overview(session, member, round_id)
    # Within their chapters they pass.
    found = board.build(session, member, round_id, sections=traffic_sections)
    shown = {card.theme.id: card.comments for card in found.themes}
    assert groups.school_theme.id not in shown
    assert shown[traffic.id] == len(
        _on_theme(session, groups, traffic, groups.seeded.comments[:10])
    )
    assert found.total == 10


def test_services_refuse_people_who_left_and_outsiders(session, groups):
    for person in (groups.left, groups.outsider, groups.closed_member, None):
        with pytest.raises(errors.NotAllowed):
            synthesis.target(session, person, groups.round.id, theme_id=groups.traffic_theme.id)
        with pytest.raises(errors.NotAllowed):
            corrections.confirm_tag(
                session,
                person,
                groups.round.id,
                groups.seeded.comments[0].id,
                groups.traffic_theme.id,
                now=clock.now(),
            )


@pytest.mark.parametrize(
    "status", [CommentStatus.PENDING, CommentStatus.HIDDEN, CommentStatus.WITHDRAWN]
)
@pytest.mark.parametrize("action", ["tagga", "bekrafta", "flytta"])
def test_a_member_cannot_tag_or_read_a_comment_that_is_not_published(
    client, auth, session, groups, status, action
):
    body = "Hemlig synpunkt i kön om järnvägen."
    comment = factories.make_comment(
        session,
        groups.round,
        groups.outsider,
        paragraph=groups.traffic_paragraph,
        body=body,
        status=status,
    )
    theme, other = groups.traffic_theme, groups.school_theme
    if action != "tagga":
        # Staff tagged it (e.g. before moderation took it down): a live tag to confirm or move.
        session.add(
            corrections.staff_tag(
                comment.id, theme.id, groups.staff, clock.now(), confirmed_at=None
            )
        )
        session.commit()
    before = session.scalar(select(func.count(ThemeAssignment.id)))
    auth.login(groups.member)
    base = f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
    data = {
        "tagga": {"to_theme": other.id, "back": theme.id},
        "bekrafta": {"theme": theme.id},
        "flytta": {"from_theme": theme.id, "to_theme": other.id},
    }[action]

    response = client.post(
        f"{base}/synpunkt/{comment.id}/{action}", data=data, headers={"HX-Request": "true"}
    )

    assert response.status_code == 404
    assert body not in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count(ThemeAssignment.id))) == before
    tags = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == comment.id)
    ).all()
    assert all(t.confirmed_at is None and t.removed_at is None for t in tags)
    assert all(t.theme_id == theme.id for t in tags)


def test_the_services_refuse_a_member_a_reply_and_a_pending_comment(session, groups):
    pending = factories.make_comment(
        session,
        groups.round,
        groups.outsider,
        paragraph=groups.traffic_paragraph,
        status=CommentStatus.PENDING,
    )
    reply = factories.make_comment(
        session, groups.round, groups.outsider, paragraph=groups.traffic_paragraph
    )
    reply.parent_id = groups.seeded.comments[0].id
    session.commit()
    for comment in (pending, reply):
        with pytest.raises(errors.NotFound):
            corrections.add_tag(
                session,
                groups.member,
                groups.round.id,
                comment.id,
                groups.traffic_theme.id,
                now=clock.now(),
            )
        with pytest.raises(errors.NotFound):
            drill.row(
                session,
                groups.member,
                groups.round.id,
                None,
                comment.id,
                sections=access.group_section_ids(session, groups.traffic.id, groups.round),
            )
    # Staff still may.
    corrections.add_tag(
        session, groups.staff, groups.round.id, pending.id, groups.traffic_theme.id, now=clock.now()
    )


def test_a_members_confirmation_is_shown_neutrally_with_the_event_origin(
    client, auth, session, groups
):
    from .events_seed import make_event

    event = make_event(session, groups.round.consultation, [groups.traffic], title="Dialogdag")
    comment = _on_theme(session, groups, groups.traffic_theme, groups.seeded.comments[:10])[0]
    comment.event_id = event.id
    session.commit()
    auth.login(groups.member)
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/synpunkt/{comment.id}/bekrafta"
    )

    response = client.post(
        url, data={"theme": groups.traffic_theme.id}, headers={"HX-Request": "true"}
    )

    row = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Temat bekräftat" in row
    assert "av handläggare" not in row  # a group member confirmed it, not staff
    assert "event-origin" in row and "Dialogdag" in row
    assert 'name="comments"' not in row  # staff's selection box is not in the workspace


def test_the_history_keeps_a_members_theme_synthesis_after_its_tags_move(
    client, auth, session, groups
):
    from consult.groups import history

    auth.login(groups.member)
    theme = groups.traffic_theme
    url = (
        f"/arbetsgrupper/{groups.traffic.id}/arbetsyta/omgang/{groups.round.id}"
        f"/tema/{theme.id}/sammanstallning"
    )
    data = {"summary": "Bygg banan.", "response": "", "status": "drafted", "version": 0}
    assert client.post(url, data=data).status_code == 302
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "synthesis.create")).one()
    assert json.loads(entry.after)["group_id"] == groups.traffic.id
    # Every tag of the theme is taken away: today its comments lie in no chapter at all.
    for tag in session.scalars(select(ThemeAssignment).where(ThemeAssignment.theme_id == theme.id)):
        tag.removed_at = clock.now()
    session.commit()

    found = history.writings(session, groups.traffic)

    assert [(w.author.id, w.theme.id) for w in found] == [(groups.member.id, theme.id)]
    assert history.writings(session, groups.school) == []


def test_progress_counts_an_entry_saved_as_not_started_as_not_written(
    client, auth, session, groups
):
    where = synthesis.target(
        session, groups.member, groups.round.id, theme_id=groups.traffic_theme.id
    )
    synthesis.save(
        session,
        groups.member,
        where,
        summary="Anteckning.",
        response="",
        motivation="",
        status=WorkStatus.NOT_STARTED.value,
        version=0,
        now=clock.now(),
    )
    auth.login(groups.staff)

    page = client.get(f"/arbetsgrupper/samrad/{groups.round.consultation_id}/framsteg")

    row = page.get_data(as_text=True).split(f'id="group-{groups.traffic.id}"')[1].split("</tr>")[0]
    assert "<td>0 / 0 / 1</td>" in row  # its theme: saved, but not started


def test_the_workspace_tables_have_captions(client, auth, session, groups):
    auth.login(groups.member)

    page = client.get(f"/arbetsgrupper/{groups.traffic.id}/arbetsyta").get_data(as_text=True)

    assert page.count("<caption") == page.count("<table") >= 2


def test_a_comment_on_a_paragraph_is_in_the_paragraphs_section_for_every_check(session, groups):
    from consult.placement import section_of

    intro = _section(session, groups.round, "Inledning")
    # On a traffic paragraph, but naming the introduction as its section: the paragraph wins.
    comment = factories.make_comment(
        session, groups.round, groups.outsider, paragraph=groups.traffic_paragraph
    )
    comment.section_id = intro.id
    session.commit()
    corrections.add_tag(
        session,
        groups.member,
        groups.round.id,
        comment.id,
        groups.traffic_theme.id,
        now=clock.now(),
    )
    with pytest.raises(errors.NotAllowed):
        corrections.add_tag(
            session,
            groups.school_member,
            groups.round.id,
            comment.id,
            groups.school_theme.id,
            now=clock.now(),
        )

    assert section_of(comment) == groups.traffic_paragraph.section_id
    counts = access.round_section_counts(session, groups.round.id)
    theme_id = groups.traffic_theme.id
    assert counts[theme_id] == access.theme_section_counts(session, theme_id)
    assert intro.id not in counts[theme_id]
