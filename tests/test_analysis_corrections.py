"""Staff corrections: rename with a version check, move a tag, confirm a tag; each audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import clock, errors
from consult.analysis import board, corrections
from consult.models import AuditEntry, Origin, Role, Theme, ThemeAssignment

from . import factories


def tag_of(session, comment) -> ThemeAssignment:
    return session.scalars(
        select(ThemeAssignment).where(
            ThemeAssignment.comment_id == comment.id, ThemeAssignment.removed_at.is_(None)
        )
    ).one()


def other_theme(session, round_id, theme_id) -> Theme:
    return session.scalars(
        select(Theme).where(
            Theme.round_id == round_id, Theme.id != theme_id, Theme.retired_at.is_(None)
        )
    ).first()


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Renaming


def test_staff_rename_and_describe_a_theme_with_an_audit_entry(client, auth, session, analysed):
    theme_id = tag_of(session, analysed.comments[0]).theme_id
    theme = session.get(Theme, theme_id)
    old_name, version = theme.name, theme.version
    auth.login(analysed.staff)

    response = client.post(
        f"/analys/omgang/{analysed.round.id}/tema/{theme_id}/redigera",
        data={"name": "  Järnväg\x07 och\n gods ", "description": "Om banan.", "version": version},
    )
    assert response.status_code == 302
    session.expire_all()
    theme = session.get(Theme, theme_id)
    assert (theme.name, theme.description) == ("Järnväg och gods", "Om banan.")
    assert theme.version == version + 1
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.edit")).one()
    assert entry.actor_id == analysed.staff.id
    assert old_name in entry.before and "Järnväg och gods" in entry.after
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Järnväg och gods" in page and "Om banan." in page


def test_the_second_of_two_editors_gets_a_conflict_and_overwrites_nothing(
    client, auth, session, analysed
):
    theme_id = tag_of(session, analysed.comments[0]).theme_id
    loaded = session.get(Theme, theme_id).version
    other = factories.make_user(session, role=Role.STAFF)
    corrections.edit_theme(
        session,
        other,
        analysed.round.id,
        theme_id,
        name="Tåg",
        description="Först sparad.",
        version=loaded,
        now=clock.now(),
    )
    auth.login(analysed.staff)

    response = client.post(
        f"/analys/omgang/{analysed.round.id}/tema/{theme_id}/redigera",
        data={"name": "Järnväg", "description": "Min text.", "version": loaded},
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this theme" in page or "Någon annan" in page
    assert "Min text." in page  # the second editor's words are kept in the form
    assert "Först sparad." in page  # and the saved version is shown
    session.expire_all()
    theme = session.get(Theme, theme_id)
    assert (theme.name, theme.description) == ("Tåg", "Först sparad.")
    assert audit_actions(session).count("theme.edit") == 1


def test_an_empty_name_is_refused_and_nothing_changes(client, auth, session, analysed):
    theme_id = tag_of(session, analysed.comments[0]).theme_id
    theme = session.get(Theme, theme_id)
    name, version = theme.name, theme.version
    auth.login(analysed.staff)

    response = client.post(
        f"/analys/omgang/{analysed.round.id}/tema/{theme_id}/redigera",
        data={"name": " \t", "description": "Beskrivning som ska finnas kvar.", "version": version},
    )
    assert response.status_code == 422
    assert "Beskrivning som ska finnas kvar." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Theme, theme_id).name == name
    assert "theme.edit" not in audit_actions(session)


# Tags


def test_moving_a_tag_keeps_the_old_one_as_history(session, analysed, now):
    comment = analysed.comments[0]
    old = tag_of(session, comment)
    target = other_theme(session, analysed.round.id, old.theme_id)
    before = {
        c.theme.id: c.comments
        for c in board.build(session, analysed.staff, analysed.round.id).themes
    }

    corrections.move_tag(
        session,
        analysed.staff,
        analysed.round.id,
        comment.id,
        from_theme_id=old.theme_id,
        to_theme_id=target.id,
        now=now.get(),
    )

    session.expire_all()
    removed = session.get(ThemeAssignment, old.id)
    assert (removed.removed_at, removed.removed_by_id) == (now.get(), analysed.staff.id)
    new = tag_of(session, comment)
    assert (new.theme_id, new.source, new.assigned_by_id) == (
        target.id,
        Origin.STAFF,
        analysed.staff.id,
    )
    assert new.confirmed
    after = {
        c.theme.id: c.comments
        for c in board.build(session, analysed.staff, analysed.round.id).themes
    }
    assert after[old.theme_id] == before[old.theme_id] - 1
    assert after[target.id] == before[target.id] + 1
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "theme_assignment.move")
    ).one()
    assert (entry.object_type, entry.object_id) == ("comment", comment.id)


def test_moving_with_htmx_answers_with_the_row_and_without_javascript_redirects(
    client, auth, session, analysed
):
    first, second = analysed.comments[0], analysed.comments[1]
    from_theme = tag_of(session, first).theme_id
    target = other_theme(session, analysed.round.id, from_theme)
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/synpunkt/{{}}/flytta"
    data = {"from_theme": from_theme, "to_theme": target.id}

    row = client.post(url.format(first.id), data=data, headers={"HX-Request": "true"})
    assert row.status_code == 200
    html = row.get_data(as_text=True)
    assert html.lstrip().startswith(f'<article id="ac-{first.id}"')
    assert target.name in html

    if tag_of(session, second).theme_id == from_theme:
        plain = client.post(url.format(second.id), data=data)
        assert plain.status_code == 302
        assert plain.headers["Location"].endswith(f"/tema/{from_theme}#ac-{second.id}")


def test_a_tag_cannot_be_moved_to_another_rounds_theme(client, auth, session, analysed, now):
    comment = analysed.comments[0]
    from_theme = tag_of(session, comment).theme_id
    elsewhere = factories.make_round(session, opens_at=now.get(), closes_at=now.get())
    foreign = Theme(round_id=elsewhere.id, name="Annat", origin=Origin.STAFF)
    session.add(foreign)
    session.commit()
    auth.login(analysed.staff)

    response = client.post(
        f"/analys/omgang/{analysed.round.id}/synpunkt/{comment.id}/flytta",
        data={"from_theme": from_theme, "to_theme": foreign.id},
    )
    assert response.status_code == 404
    session.expire_all()
    assert tag_of(session, comment).theme_id == from_theme


def test_confirming_a_tag_records_who_and_when_once(client, auth, session, analysed, now):
    comment = analysed.comments[0]
    tag = tag_of(session, comment)
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/synpunkt/{comment.id}/bekrafta"

    response = client.post(url, data={"theme": tag.theme_id}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Confirm the theme" not in response.get_data(as_text=True)
    client.post(url, data={"theme": tag.theme_id})

    session.expire_all()
    confirmed = session.get(ThemeAssignment, tag.id)
    assert (confirmed.confirmed_at, confirmed.confirmed_by_id) == (now.get(), analysed.staff.id)
    assert audit_actions(session).count("theme_assignment.confirm") == 1


def test_a_theme_retired_meanwhile_answers_not_found_not_an_error(
    client, auth, session, analysed, now, monkeypatch
):
    comment = analysed.comments[0]
    tag = tag_of(session, comment)
    real = corrections.confirm_tag

    def confirm_then_retire(session, user, round_id, comment_id, theme_id, *, now):
        # A re-run of the analysis retires the theme between the confirm and the answer.
        confirmed = real(session, user, round_id, comment_id, theme_id, now=now)
        session.get(Theme, theme_id).retired_at = now
        session.commit()
        return confirmed

    monkeypatch.setattr(corrections, "confirm_tag", confirm_then_retire)
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/synpunkt/{comment.id}/bekrafta"

    response = client.post(url, data={"theme": tag.theme_id}, headers={"HX-Request": "true"})
    assert response.status_code == 404


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_only_staff_may_correct(client, auth, session, analysed, role):
    tag = tag_of(session, analysed.comments[0])
    target = other_theme(session, analysed.round.id, tag.theme_id)
    if role is not None:
        auth.login(role=role)
    base = f"/analys/omgang/{analysed.round.id}"
    posts = [
        (f"{base}/tema/{tag.theme_id}/redigera", {"name": "X", "version": 1}),
        (
            f"{base}/synpunkt/{tag.comment_id}/flytta",
            {"from_theme": tag.theme_id, "to_theme": target.id},
        ),
        (f"{base}/synpunkt/{tag.comment_id}/bekrafta", {"theme": tag.theme_id}),
        (f"{base}/synpunkt/{tag.comment_id}/tagga", {"theme": target.id}),
    ]
    for url, data in posts:
        response = client.post(url, data=data)
        if role is None:
            assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
        else:
            assert response.status_code == 403
    session.expire_all()
    assert tag_of(session, analysed.comments[0]).id == tag.id
    assert session.scalar(select(func.count(AuditEntry.id))) == 1  # only the analysis start


def test_the_services_refuse_participants_too(session, analysed, now):
    participant = factories.make_user(session)
    tag = tag_of(session, analysed.comments[0])
    with pytest.raises(errors.NotAllowed):
        corrections.confirm_tag(
            session, participant, analysed.round.id, tag.comment_id, tag.theme_id, now=now.get()
        )
    with pytest.raises(errors.NotAllowed):
        corrections.edit_theme(
            session,
            participant,
            analysed.round.id,
            tag.theme_id,
            name="X",
            description="",
            version=1,
            now=now.get(),
        )


def test_a_comment_without_a_theme_can_be_given_one(client, auth, session, analysed):
    comment = analysed.comments[0]
    for tag in session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == comment.id)
    ):
        session.delete(tag)
    session.commit()
    theme = session.scalars(select(Theme).where(Theme.retired_at.is_(None))).first()
    auth.login(analysed.staff)
    listed = client.get(f"/analys/omgang/{analysed.round.id}/tema/ingen").get_data(as_text=True)
    assert f'id="ac-{comment.id}"' in listed

    row = client.post(
        f"/analys/omgang/{analysed.round.id}/synpunkt/{comment.id}/tagga",
        data={"theme": theme.id},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert theme.name in row.get_data(as_text=True)
    assert 'name="theme"' not in row.get_data(as_text=True)  # no second "add" form
    session.expire_all()
    tag = tag_of(session, comment)
    assert (tag.theme_id, tag.source, tag.assigned_by_id) == (
        theme.id,
        Origin.STAFF,
        analysed.staff.id,
    )
    assert "theme_assignment.add" in audit_actions(session)
    listed = client.get(f"/analys/omgang/{analysed.round.id}/tema/ingen").get_data(as_text=True)
    assert f'id="ac-{comment.id}"' not in listed
