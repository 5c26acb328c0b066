"""Tag actions on many comments at once, and the history of a comment's themes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult import errors
from consult.analysis import bulk, corrections
from consult.models import AuditEntry, Origin, Role, ThemeAssignment

from .analysis_helpers import BASE, biggest_two, english, live, members

BULK = "/analys/omgang/{round}/synpunkter"


def test_staff_move_many_comments_in_one_action(client, auth, session, analysed):
    source, target = biggest_two(session, analysed.round.id)
    chosen = sorted(members(session, source.id))[:3]
    auth.login(analysed.staff)
    english(session, analysed.staff)
    page = client.get(BASE.format(round=analysed.round.id, theme=source.id))
    html = page.get_data(as_text=True)
    assert f'id="sel-{chosen[0]}" name="comments" value="{chosen[0]}" form="bulk-form"' in html
    assert 'id="bulk-form"' in html

    response = client.post(
        BULK.format(round=analysed.round.id),
        data={
            "comments": [str(c) for c in chosen],
            "action": "move",
            "from_theme": str(source.id),
            "to_theme": str(target.id),
            "back": str(source.id),
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tema/{source.id}#list-h")
    session.expire_all()
    assert live(session, chosen) == {c: {target.id} for c in chosen}
    moves = session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.action == "theme_assignment.move")
    )
    assert moves == 3
    assert "3 comments changed." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_confirming_many_records_staff_on_each(session, analysed, now):
    source = biggest_two(session, analysed.round.id)[0]
    chosen = sorted(members(session, source.id))[:4]

    bulk.apply(
        session,
        analysed.staff,
        analysed.round.id,
        action="confirm",
        comment_ids=chosen,
        from_theme_id=source.id,
        to_theme_id=None,
        now=now.get(),
    )

    session.expire_all()
    tags = [corrections.active_tag(session, c, source.id) for c in chosen]
    assert all(t.confirmed_by_id == analysed.staff.id for t in tags)


def test_a_bulk_action_is_all_or_nothing(client, auth, session, analysed):
    source, target = biggest_two(session, analysed.round.id)
    inside = sorted(members(session, source.id))[:2]
    outside = sorted(members(session, target.id))[0]
    before = live(session, [*inside, outside])
    auth.login(analysed.staff)
    english(session, analysed.staff)

    response = client.post(
        BULK.format(round=analysed.round.id),
        data={
            "comments": [str(c) for c in [*inside, outside]],
            "action": "move",
            "from_theme": str(source.id),
            "to_theme": str(target.id),
            "back": str(source.id),
        },
    )

    assert response.status_code == 422
    assert "Nothing was changed" in response.get_data(as_text=True)
    session.expire_all()
    assert live(session, [*inside, outside]) == before
    empty = client.post(
        BULK.format(round=analysed.round.id),
        data={"action": "move", "from_theme": str(source.id), "back": str(source.id)},
    )
    assert empty.status_code == 422 and "Select at least one comment." in empty.get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_only_staff_may_act_in_bulk_or_read_the_history(client, auth, session, analysed, role):
    source, target = biggest_two(session, analysed.round.id)
    chosen = sorted(members(session, source.id))[:2]
    before = live(session, chosen)
    if role is not None:
        auth.login(role=role)
    answers = [
        client.post(
            BULK.format(round=analysed.round.id),
            data={
                "comments": [str(c) for c in chosen],
                "action": "move",
                "from_theme": str(source.id),
                "to_theme": str(target.id),
                "back": str(source.id),
            },
        ),
        client.get(f"/analys/omgang/{analysed.round.id}/synpunkt/{chosen[0]}/historik"),
    ]
    for response in answers:
        if role is None:
            assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
        else:
            assert response.status_code == 403
    session.expire_all()
    assert live(session, chosen) == before
    with pytest.raises(errors.NotAllowed):
        bulk.apply(
            session,
            None,
            analysed.round.id,
            action="confirm",
            comment_ids=chosen,
            from_theme_id=source.id,
            to_theme_id=None,
            now=None,
        )


def test_the_history_shows_who_tagged_moved_and_when(client, auth, session, analysed, now):
    source, target = biggest_two(session, analysed.round.id)
    comment_id = sorted(members(session, source.id))[0]
    corrections.move_tag(
        session,
        analysed.staff,
        analysed.round.id,
        comment_id,
        from_theme_id=source.id,
        to_theme_id=target.id,
        now=now.get(),
    )
    analysed.staff.display_name = "Anna <b>Berg</b>"
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/synpunkt/{comment_id}/historik"

    page = client.get(BASE.format(round=analysed.round.id, theme=target.id))
    assert f'href="{url}"' in page.get_data(as_text=True)
    fragment = " ".join(
        client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True).split()
    )
    assert "<html" not in fragment
    assert f"<strong>{source.name}</strong>: tagged by the engine" in fragment
    name = "Anna &lt;b&gt;Berg&lt;/b&gt;"  # shown as written, never as markup
    assert f"removed by {name}" in fragment
    assert f"<strong>{target.name}</strong>: tagged by {name}" in fragment
    full = client.get(url).get_data(as_text=True)
    assert "<html" in full and "tagged by the engine" in full
    tags = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == comment_id)
    ).all()
    assert {t.source for t in tags} == {Origin.MODEL, Origin.STAFF}
