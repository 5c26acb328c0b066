"""Staff's operations on whole themes: merge and delete, and that a re-run respects them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult import clock, errors
from consult.analysis import themes
from consult.models import AuditEntry, Origin, Role, Theme, ThemeAssignment

from .analysis_helpers import (
    BASE,
    biggest_two,
    current_themes,
    english,
    live,
    members,
    rerun,
)

# Merging


def test_staff_merge_a_theme_into_another_and_it_says_where_it_went(
    client, auth, session, analysed
):
    target, merged = biggest_two(session, analysed.round.id)
    moving = members(session, merged.id)
    kept = members(session, target.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)

    page = client.get(BASE.format(round=analysed.round.id, theme=target.id))
    html = page.get_data(as_text=True)
    assert f'name="others" value="{merged.id}"' in html and ">Merge</button>" in html
    response = client.post(
        BASE.format(round=analysed.round.id, theme=target.id) + "/sla-ihop",
        data={"others": [str(merged.id)], "version": str(target.version)},
    )

    assert response.status_code == 302
    session.expire_all()
    assert members(session, target.id) == kept | moving
    new_tags = session.scalars(
        select(ThemeAssignment).where(
            ThemeAssignment.theme_id == target.id,
            ThemeAssignment.comment_id.in_(list(moving)),
            ThemeAssignment.removed_at.is_(None),
        )
    ).all()
    assert {(t.source, t.assigned_by_id) for t in new_tags} == {(Origin.STAFF, analysed.staff.id)}
    old_tags = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.theme_id == merged.id)
    ).all()
    assert old_tags and all(t.removed_by_id == analysed.staff.id for t in old_tags)
    merged = session.get(Theme, merged.id)
    assert (merged.retired_reason, merged.merged_into_id) == ("merged", target.id)
    assert merged not in current_themes(session, analysed.round.id)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.merge")).one()
    assert (entry.object_id, entry.actor_id) == (merged.id, analysed.staff.id)

    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "merged into" in followed
    gone = client.get(BASE.format(round=analysed.round.id, theme=merged.id))
    text = gone.get_data(as_text=True)
    assert gone.status_code == 200 and "This theme was merged into" in text
    assert f'/tema/{target.id}"' in text


def test_a_comment_on_both_themes_keeps_one_tag_after_the_merge(session, analysed, now):
    target, merged = biggest_two(session, analysed.round.id)
    comment_id = next(iter(members(session, merged.id)))
    session.add(
        ThemeAssignment(
            comment_id=comment_id, theme_id=target.id, source=Origin.MODEL, assigned_at=now.get()
        )
    )
    session.commit()

    themes.merge_themes(
        session,
        analysed.staff,
        analysed.round.id,
        target.id,
        others=[merged.id],
        version=target.version,
        now=now.get(),
    )

    session.expire_all()
    assert live(session, [comment_id])[comment_id] == {target.id}


def test_a_rerun_does_not_bring_a_merged_theme_back(session, analysed, now):
    target, merged = biggest_two(session, analysed.round.id)
    moving = members(session, merged.id)
    count = len(current_themes(session, analysed.round.id))
    themes.merge_themes(
        session,
        analysed.staff,
        analysed.round.id,
        target.id,
        others=[merged.id],
        version=target.version,
        now=now.get(),
    )

    rerun(session, analysed, now)

    assert len(current_themes(session, analysed.round.id)) == count - 1
    assert all(tags == {target.id} for tags in live(session, moving).values())
    assert session.get(Theme, merged.id).retired_reason == "merged"


def test_merging_nothing_or_from_an_old_form_changes_nothing(client, auth, session, analysed):
    target, merged = biggest_two(session, analysed.round.id)
    before = live(session, members(session, merged.id))
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=target.id) + "/sla-ihop"

    empty = client.post(url, data={"version": str(target.version)})
    assert empty.status_code == 422
    assert "Choose at least one theme" in empty.get_data(as_text=True)
    stale = client.post(url, data={"others": [str(merged.id)], "version": "0"})
    assert stale.status_code == 409
    assert "Nothing was changed" in stale.get_data(as_text=True)

    session.expire_all()
    assert live(session, list(before)) == before
    assert session.get(Theme, merged.id).retired_at is None


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_only_staff_may_merge_or_delete(client, auth, session, analysed, role):
    target, merged = biggest_two(session, analysed.round.id)
    if role is not None:
        auth.login(role=role)
    url = BASE.format(round=analysed.round.id, theme=target.id)
    answers = [
        client.post(url + "/sla-ihop", data={"others": [str(merged.id)], "version": "1"}),
        client.get(url + "/ta-bort"),
        client.post(url + "/ta-bort", data={"version": str(target.version)}),
    ]
    for response in answers:
        if role is None:
            assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
        else:
            assert response.status_code == 403
    session.expire_all()
    assert len(current_themes(session, analysed.round.id)) >= 2
    assert session.get(Theme, target.id).retired_at is None
    participant = auth.login(role=Role.PARTICIPANT) if role is None else None
    with pytest.raises(errors.NotAllowed):
        themes.delete_theme(
            session,
            participant,
            analysed.round.id,
            target.id,
            version=target.version,
            now=clock.now(),
        )


# Deleting


def test_deleting_asks_first_then_leaves_the_comments_without_a_theme(
    client, auth, session, analysed
):
    theme = biggest_two(session, analysed.round.id)[1]
    comments = members(session, theme.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=theme.id) + "/ta-bort"

    ask = client.get(url)
    html = ask.get_data(as_text=True)
    assert ask.status_code == 200
    assert f"Its {len(comments)} comments will be without a theme" in html
    assert 'method="post"' in html and f'value="{theme.version}"' in html
    response = client.post(url, data={"version": str(theme.version)})

    assert response.status_code == 302
    session.expire_all()
    assert all(not tags for tags in live(session, comments).values())
    history = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.theme_id == theme.id)
    ).all()
    assert history and all(t.removed_by_id == analysed.staff.id for t in history)
    assert session.get(Theme, theme.id).retired_reason == "deleted"
    unassigned = client.get(BASE.format(round=analysed.round.id, theme="ingen"))
    assert f"ac-{next(iter(comments))}" in unassigned.get_data(as_text=True)
    page = client.get(BASE.format(round=analysed.round.id, theme=theme.id))
    assert "This theme was deleted" in page.get_data(as_text=True)


def test_a_rerun_does_not_resurrect_a_deleted_theme(session, analysed, now):
    theme = biggest_two(session, analysed.round.id)[1]
    comments = members(session, theme.id)
    count = len(current_themes(session, analysed.round.id))
    themes.delete_theme(
        session, analysed.staff, analysed.round.id, theme.id, version=theme.version, now=now.get()
    )

    rerun(session, analysed, now)

    assert len(current_themes(session, analysed.round.id)) == count - 1
    assert all(not tags for tags in live(session, comments).values())


def test_deleting_from_an_old_page_changes_nothing(client, auth, session, analysed):
    theme = biggest_two(session, analysed.round.id)[1]
    auth.login(analysed.staff)

    response = client.post(
        BASE.format(round=analysed.round.id, theme=theme.id) + "/ta-bort", data={"version": "0"}
    )

    assert response.status_code == 409
    session.expire_all()
    assert session.get(Theme, theme.id).retired_at is None


@pytest.mark.parametrize("into_bigger", [True, False])
def test_a_rerun_after_a_merge_tags_each_comment_once(session, analysed, now, into_bigger):
    bigger, smaller = biggest_two(session, analysed.round.id)
    target, merged = (bigger, smaller) if into_bigger else (smaller, bigger)
    count = len(current_themes(session, analysed.round.id))
    themes.merge_themes(
        session,
        analysed.staff,
        analysed.round.id,
        target.id,
        others=[merged.id],
        version=target.version,
        now=now.get(),
    )
    before = members(session, target.id)

    rerun(session, analysed, now)

    tags = themes.live_tags(session, target.id)
    assert len(tags) == len({tag.comment_id for tag in tags})  # no comment counted twice
    assert members(session, target.id) >= before  # the target keeps its own comments too
    assert len(current_themes(session, analysed.round.id)) == count - 1


def test_a_repeated_delete_or_split_shows_what_became_of_the_theme(client, auth, session, analysed):
    doomed = biggest_two(session, analysed.round.id)[1]
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=doomed.id)
    data = {"version": str(doomed.version)}
    assert client.post(url + "/ta-bort", data=data).status_code == 302

    for again in (client.post(url + "/ta-bort", data=data), client.get(url + "/ta-bort")):
        # A double click, or the back button: no error page, the theme's fate instead.
        assert again.status_code == 302 and again.headers["Location"].endswith(url)
    again = client.post(url + "/dela", data={"version": str(doomed.version), "parts": "2"})
    assert again.status_code == 302 and again.headers["Location"].endswith(url)
    assert "This theme was deleted" in client.get(url).get_data(as_text=True)


def test_a_new_comment_like_a_merged_theme_goes_where_it_was_merged(session, analysed, now, placed):
    import uuid

    from consult.analysis import placement
    from consult.consultations import comments as commenting
    from consult.consultations.services import Target

    from . import factories
    from .analysis_seed import SCHOOL

    school = next(
        t
        for t in current_themes(session, analysed.round.id)
        if any(c.body == SCHOOL[0] for c in analysed.comments if c.id in members(session, t.id))
    )
    target = next(t for t in current_themes(session, analysed.round.id) if t.id != school.id)
    themes.merge_themes(
        session,
        analysed.staff,
        analysed.round.id,
        target.id,
        others=[school.id],
        version=target.version,
        now=now.get(),
    )
    placement._cache.clear()

    comment = commenting.create_comment(
        session,
        author=factories.make_user(session),
        round_id=analysed.round.id,
        target=Target(key="document"),
        kind="comment",
        body="Skolan behöver fler lärare, lärarbristen i skolan är stor.",
        submission_key=uuid.uuid4().hex,
        now=now.get(),
        max_chars=5000,
    )
    placed()

    assert live(session, [comment.id])[comment.id] == {target.id}


def test_a_repeated_merge_changes_nothing_more_and_says_it_is_done(client, auth, session, analysed):
    target, merged = biggest_two(session, analysed.round.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=target.id)
    data = {"others": [str(merged.id)], "version": str(target.version)}
    assert client.post(url + "/sla-ihop", data=data).status_code == 302
    version = session.get(Theme, target.id).version

    again = client.post(url + "/sla-ihop", data=data)

    assert again.status_code == 302 and again.headers["Location"].endswith(url)
    session.expire_all()
    assert session.get(Theme, target.id).version == version


def test_a_refused_merge_does_not_open_the_rename_form(client, auth, session, analysed):
    target, merged = biggest_two(session, analysed.round.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=target.id) + "/sla-ihop"

    stale = client.post(url, data={"others": [str(merged.id)], "version": "0"})

    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this theme" in html
    # Only the merge was refused: the rename form stays closed, nothing to save there.
    assert '<details class="theme-edit" open>' not in html
