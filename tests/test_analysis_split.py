"""Splitting a theme: its comments re-clustered into new themes, at once or in the background."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from sqlalchemy import select

from consult.analysis import jobs, queue, split, themes
from consult.models import AuditEntry, Origin, Role, Theme, ThemeAssignment

from . import factories
from .analysis_helpers import BASE, english, live, members, rerun
from .analysis_seed import BROADBAND, SCHOOL


def theme_of_text(session, seeded, text) -> int:
    comment = next(c for c in seeded.comments if c.body == text)
    return next(iter(live(session, [comment.id])[comment.id]))


def school_and_broadband(session, seeded, now) -> Theme:
    """Merge the broadband theme into the school theme: one theme to split again."""
    school = session.get(Theme, theme_of_text(session, seeded, SCHOOL[0]))
    broadband = theme_of_text(session, seeded, BROADBAND[0])
    themes.merge_themes(
        session,
        seeded.staff,
        seeded.round.id,
        school.id,
        others=[broadband],
        version=school.version,
        now=now.get(),
    )
    session.expire_all()
    return session.get(Theme, school.id)


def ids_of(seeded, texts) -> list[int]:
    return [c.id for c in seeded.comments if c.body in texts]


def test_staff_split_a_theme_and_its_comments_go_to_the_new_themes(
    client, auth, session, analysed, now
):
    mixed = school_and_broadband(session, analysed, now)
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=mixed.id)
    assert 'id="split-parts" name="parts"' in client.get(url).get_data(as_text=True)

    response = client.post(url + "/dela", data={"parts": "2", "version": str(mixed.version)})

    assert response.status_code == 302
    session.expire_all()
    old = session.get(Theme, mixed.id)
    assert old.retired_reason == "split"
    parts = session.scalars(select(Theme).where(Theme.split_from_id == mixed.id)).all()
    assert len(parts) == 2 and all(p.origin == Origin.STAFF for p in parts)
    school = {next(iter(t)) for t in live(session, ids_of(analysed, SCHOOL)).values()}
    broadband = {next(iter(t)) for t in live(session, ids_of(analysed, BROADBAND)).values()}
    assert len(school) == 1 and len(broadband) == 1 and school != broadband
    assert {p.id for p in parts} == school | broadband
    history = session.scalars(select(ThemeAssignment).where(ThemeAssignment.theme_id == mixed.id))
    assert all(t.removed_by_id == analysed.staff.id for t in history)
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.split")).one()
    page = client.get(url).get_data(as_text=True)
    assert "This theme was split into:" in page and all(p.name in page for p in parts)


def test_the_split_holds_after_a_rerun(session, analysed, now):
    mixed = school_and_broadband(session, analysed, now)
    parts = split.apply(
        session,
        analysed.staff,
        analysed.round.id,
        mixed.id,
        parts=2,
        version=mixed.version,
        now=now.get(),
    )
    before = live(session, ids_of(analysed, SCHOOL + BROADBAND))

    rerun(session, analysed, now)

    assert live(session, ids_of(analysed, SCHOOL + BROADBAND)) == before
    assert all(session.get(Theme, p.id).retired_at is None for p in parts)


def test_a_rerun_that_finds_a_split_theme_again_shares_its_new_comments_between_the_parts(
    session, analysed, now, monkeypatch
):
    mixed = school_and_broadband(session, analysed, now)
    parts = split.apply(
        session,
        analysed.staff,
        analysed.round.id,
        mixed.id,
        parts=2,
        version=mixed.version,
        now=now.get(),
    )
    school_part = next(iter(live(session, ids_of(analysed, SCHOOL[:1])).values()))
    broadband_part = next(iter(live(session, ids_of(analysed, BROADBAND[:1])).values()))
    assert {*school_part, *broadband_part} == {p.id for p in parts}
    before = live(session, ids_of(analysed, SCHOOL + BROADBAND))
    author = analysed.comments[0].author
    new_school = [
        factories.make_comment(session, analysed.round, author, body=f"{SCHOOL[n]} Snälla.")
        for n in (1, 4)
    ]
    new_broadband = [
        factories.make_comment(session, analysed.round, author, body=f"{BROADBAND[n]} Snälla.")
        for n in (0, 3)
    ]
    staff_split_texts = set(SCHOOL + BROADBAND) | {c.body for c in new_school + new_broadband}
    read = jobs.read

    def one_cluster(comments, progress):
        """The engine finds the theme staff split as one cluster again, new comments in it."""
        reading = read(comments, progress)
        position = reading.model.assignments[
            next(i for i, c in enumerate(comments) if c.body == SCHOOL[0])
        ]
        model = copy.copy(reading.model)
        model.assignments = [
            position if c.body in staff_split_texts else theme
            for c, theme in zip(comments, reading.model.assignments, strict=True)
        ]
        return dataclasses.replace(reading, model=model)

    monkeypatch.setattr(jobs, "read", one_cluster)
    rerun(session, analysed, now)

    # Staff's split stands, and no theme with the split theme's comments comes back …
    assert live(session, ids_of(analysed, SCHOOL + BROADBAND)) == before
    assert all(session.get(Theme, p.id).retired_at is None for p in parts)
    # … and the new comments of its cluster go to the part each is most like.
    placed = live(session, [c.id for c in new_school + new_broadband])
    assert [placed[c.id] for c in new_school] == [school_part] * 2
    assert [placed[c.id] for c in new_broadband] == [broadband_part] * 2


def test_a_large_theme_is_split_in_the_background(
    client, auth, session, analysed, now, monkeypatch
):
    mixed = school_and_broadband(session, analysed, now)
    handed = []
    monkeypatch.setattr(split, "INLINE_MAX", 5)
    monkeypatch.setattr(queue, "dispatch_split", lambda app, *args: handed.append(args))
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=mixed.id)

    response = client.post(url + "/dela", data={"parts": "2", "version": str(mixed.version)})

    assert response.status_code == 302
    assert "being split" in client.get(url).get_data(as_text=True)
    # The theme's page shows the split under way, as the analysis shows its progress: a bar
    # that polls the page's own address, which answers htmx with the fragment alone.
    page = client.get(url).get_data(as_text=True)
    assert "The theme is being split." in page and "<progress" in page
    assert 'hx-trigger="every 2s"' in page and 'hx-select="#theme-work"' in page
    polled = {"HX-Request": "true", "HX-Target": "theme-work"}
    fragment = client.get(url, headers=polled).get_data(as_text=True)
    assert "<html" not in fragment
    assert "The theme is being split." in fragment
    session.expire_all()
    assert session.get(Theme, mixed.id).retired_at is None
    assert handed == [(analysed.round.id, mixed.id, analysed.staff.id, 2, mixed.version)]
    assert split.run_in_background(session, *handed[0]) is True
    assert split.run_in_background(session, *handed[0]) is False  # asked twice: once
    session.expire_all()
    assert session.get(Theme, mixed.id).retired_reason == "split"
    parts = session.scalars(select(Theme).where(Theme.split_from_id == mixed.id)).all()
    assert len(parts) == 2
    # The next poll finds the split done and shows where the comments went.
    done = client.get(url, headers=polled).get_data(as_text=True)
    assert 'id="theme-work"' in done and all(p.name in done for p in parts)


def test_a_background_split_that_fails_says_why_on_the_themes_page(
    client, auth, session, analysed, now, monkeypatch
):
    mixed = school_and_broadband(session, analysed, now)
    handed = []
    monkeypatch.setattr(split, "INLINE_MAX", 5)
    monkeypatch.setattr(queue, "dispatch_split", lambda app, *args: handed.append(args))
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=mixed.id)
    client.post(url + "/dela", data={"parts": "5", "version": str(mixed.version)})
    monkeypatch.setattr(
        split.nlp, "discover_themes", lambda *args, **kwargs: (_ for _ in ()).throw(OSError())
    )

    assert split.run_in_background(session, *handed[0]) is False

    page = client.get(url).get_data(as_text=True)
    assert "The split stopped." in page and "Nothing was changed." in page
    assert 'hx-trigger="every 2s"' not in page


def test_a_bad_number_of_parts_or_an_old_form_changes_nothing(client, auth, session, analysed, now):
    mixed = school_and_broadband(session, analysed, now)
    before = members(session, mixed.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=mixed.id) + "/dela"

    wrong = client.post(url, data={"parts": "9", "version": str(mixed.version)})
    assert wrong.status_code == 422 and "between 2 and 5" in wrong.get_data(as_text=True)
    stale = client.post(url, data={"parts": "2", "version": "0"})
    assert stale.status_code == 409

    session.expire_all()
    assert members(session, mixed.id) == before
    assert session.get(Theme, mixed.id).retired_at is None


@pytest.mark.parametrize("role", [None, Role.PARTICIPANT])
def test_only_staff_may_split(client, auth, session, analysed, role):
    theme_id = theme_of_text(session, analysed, SCHOOL[0])
    if role is not None:
        auth.login(role=role)

    response = client.post(
        BASE.format(round=analysed.round.id, theme=theme_id) + "/dela",
        data={"parts": "2", "version": "1"},
    )

    if role is None:
        assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
    else:
        assert response.status_code == 403
    session.expire_all()
    assert session.get(Theme, theme_id).retired_at is None


def test_the_in_process_queue_runs_a_split_handed_to_it(app, session, analysed, now):
    mixed = school_and_broadband(session, analysed, now)
    args = (analysed.round.id, mixed.id, analysed.staff.id, 2, mixed.version)

    session.commit()  # end this session's read, so it sees what the worker thread wrote

    assert queue.dispatch_split(app, *args).result(timeout=120) is True

    session.rollback()
    session.expire_all()
    assert session.get(Theme, mixed.id).retired_reason == "split"
