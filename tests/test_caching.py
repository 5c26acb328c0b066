"""Cached figures stay right (every writer raises the round's data version) and pages carry
ETags, so that a reload of an unchanged page is a 304 without a body."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask_babel import refresh
from sqlalchemy import select, update

from consult import caching, clock, create_app, db
from consult.analysis import board, drill, jobs, placement, queue, services, themes
from consult.consultations import comments as commenting
from consult.consultations import services as reading
from consult.consultations.services import Target
from consult.models import Comment, CommentStatus, Role, Round, ThemeAssignment, User
from consult.moderation import decisions
from consult.search import query as search_query

from . import factories, local_redis
from .analysis_helpers import theme_of
from .analysis_seed import SCHOOL
from .conftest import CsrfClient, make_config

HX = {"HX-Request": "true"}


def page_url(round_) -> str:
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/"


def shown_count(client, round_, key="doc") -> int:
    """The comment count the draft page shows beside ``key`` (0 when none is shown)."""
    page = client.get(page_url(round_)).get_data(as_text=True)
    found = re.search(rf'id="count-{key}"[^>]*>\s*(\d+)', page)
    return int(found.group(1)) if found else 0


def version(session, round_) -> int:
    session.expire_all()
    return session.scalar(select(Round.data_version).where(Round.id == round_.id))


def theme_version(session, round_) -> int:
    session.expire_all()
    return session.scalar(select(Round.theme_version).where(Round.id == round_.id))


def board_builds(monkeypatch) -> list[str]:
    """Record which part of the board (``themed``, ``unthemed``) each request builds."""
    builds = []
    for part in ("themed", "unthemed"):
        build = getattr(board, part)
        monkeypatch.setattr(
            board,
            part,
            lambda *a, part=part, build=build, **kw: builds.append(part) or build(*a, **kw),
        )
    return builds


def background_builds(monkeypatch, builds: list[str]) -> None:
    """Record in ``builds`` each board the background builds (``"background"``)."""
    build = board.themed_in_background
    monkeypatch.setattr(
        board, "themed_in_background", lambda *a: builds.append("background") or build(*a)
    )


def post_unplaced(session, round_, monkeypatch) -> Comment:
    """Publish a comment on the draft that no placing pass places (so it is in no theme)."""
    # A placing pass changes the themes (and raises their version): none runs here.
    monkeypatch.setattr(commenting, "place_quietly", lambda *args: None)
    return factories.publish_comment(
        session, round_, "Nattåg till fjällen, skrivet efter analysen."
    )


def without_tokens(page: str) -> str:
    """The page without its CSRF tokens (signed with the time, they change every second)."""
    return re.sub(r'(X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1", page)


def draft_part(round_page: str) -> str:
    """The draft part of a round's page, from its contents to the end of the draft."""
    start, end = round_page.index('<div class="round-layout">'), round_page.index("</article>")
    return round_page[start:end]


def unthemed_count(board_page: str) -> int:
    """The number of comments without a theme the board page shows in its heading."""
    return int(re.search(r'id="unassigned-h">[^(]*\((\d+)\)', board_page)[1])


def theme_card_count(board_page: str, theme_id: int) -> int:
    """The number of comments the board page's card of the theme shows."""
    card = board_page.split(f'id="theme-{theme_id}-h"', 1)[1]
    return int(re.search(r'class="theme-figures"><strong>(\d+)', card)[1])


def test_the_draft_page_counts_a_new_comment_at_once(client, auth, session, open_round, now):
    factories.make_comment(session, open_round, factories.make_user(session))
    assert shown_count(client, open_round) == 1  # now cached
    auth.login()
    response = client.post(
        f"{page_url(open_round)}synpunkter/doc",
        data={"doc-kind": "comment", "doc-body": "Bra förslag.", "doc-submission_key": "a1"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert shown_count(client, open_round) == 2


def test_the_draft_page_drops_a_hidden_and_a_withdrawn_comment_at_once(
    client, session, open_round, now
):
    author = factories.make_user(session)
    staff = factories.make_user(session, role=Role.STAFF)
    hidden, withdrawn, kept = (
        factories.make_comment(session, open_round, author) for _ in range(3)
    )
    assert shown_count(client, open_round) == 3

    decisions.hide(session, staff, hidden.id, reason="offensive", now=now.get())
    assert shown_count(client, open_round) == 2

    commenting.withdraw_comment(session, user=author, comment_id=withdrawn.id, now=now.get())
    assert shown_count(client, open_round) == 1
    assert kept.status == CommentStatus.PUBLISHED


def test_every_write_to_a_rounds_comments_raises_its_version_once_per_commit(
    session, open_round, now
):
    other = factories.make_round(
        session, opens_at=open_round.opens_at, closes_at=open_round.closes_at
    )
    start, other_start = version(session, open_round), version(session, other)
    themes_start = theme_version(session, open_round)
    author = factories.make_user(session)
    for _ in range(3):
        session.add(
            Comment(
                round_id=open_round.id,
                **Comment.written_by(author),
                kind="comment",
                body="x",
                body_html="<p>x</p>",
                status=CommentStatus.PUBLISHED,
                submission_key=uuid.uuid4().hex,
            )
        )
        session.flush()
    session.commit()
    assert version(session, open_round) == start + 1
    assert version(session, other) == other_start  # other rounds keep theirs
    # New comments have no theme yet: the theme figures stay.
    assert theme_version(session, open_round) == themes_start

    # An agreement changes no cached figure: the version stays.
    comment = session.scalars(select(Comment).where(Comment.round_id == open_round.id)).first()
    commenting.toggle_agreement(
        session, user=factories.make_user(session), comment_id=comment.id, now=now.get()
    )
    assert version(session, open_round) == start + 1

    # A bulk statement run through the session is seen as well.
    session.execute(
        update(Comment).where(Comment.round_id == open_round.id).values(status="hidden")
    )
    session.commit()
    assert version(session, open_round) == start + 2
    # A change to existing comments may change what their themes count.
    assert theme_version(session, open_round) == themes_start + 1

    # A write that was rolled back raises nothing.
    session.execute(
        update(Comment).where(Comment.round_id == open_round.id).values(status="published")
    )
    session.rollback()
    session.commit()
    assert version(session, open_round) == start + 2


def test_the_board_changes_after_a_merge_and_after_a_new_comment_is_placed(session, analysed, now):
    staff, round_id = analysed.staff, analysed.round.id
    school = theme_of(session, next(c for c in analysed.comments if c.body == SCHOOL[0]))
    before = board.build(session, staff, round_id)
    sizes = {card.theme.id: card.comments for card in before.themes}
    other = next(t for t in sizes if t != school.id)

    themes.merge_themes(
        session, staff, round_id, school.id, others=[other], version=school.version, now=now.get()
    )
    merged = board.build(session, staff, round_id)
    assert other not in {card.theme.id for card in merged.themes}
    school_card = next(c for c in merged.themes if c.theme.id == school.id)
    assert school_card.comments == sizes[school.id] + sizes[other]

    comment = factories.make_comment(
        session, analysed.round, factories.make_user(session), body=SCHOOL[1]
    )
    waiting = board.build(session, staff, round_id)
    assert waiting.unassigned_count == merged.unassigned_count + 1
    assert placement.place(session, before.analysis.id, comment, now.get())
    tag = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == comment.id)
    ).one()
    placed = board.build(session, staff, round_id)
    card = next(c for c in placed.themes if c.theme.id == tag.theme_id)
    previous = next(c for c in waiting.themes if c.theme.id == tag.theme_id)
    assert card.comments == previous.comments + 1
    assert placed.unassigned_count == waiting.unassigned_count - 1


def test_the_board_is_rendered_once_per_version_and_language(
    client, auth, session, analysed, monkeypatch
):
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/"
    assert '<table class="heatmap">' in client.get(url).get_data(as_text=True)
    builds = board_builds(monkeypatch)

    again = client.get(url).get_data(as_text=True)
    assert builds == [] and '<table class="heatmap">' in again

    theme = theme_of(session, analysed.comments[0])
    theme.name = "Tåg och bussar i inlandet"
    session.commit()
    renamed = client.get(url).get_data(as_text=True)
    assert builds == ["themed", "unthemed"] and "Tåg och bussar i inlandet" in renamed

    assert "Var i utkastet temana hamnar" in renamed
    assert client.post("/sprak", data={"lang": "en", "next": url}).status_code == 302
    refresh()  # the test's app context, and its cached language, outlive each request
    english = client.get(url).get_data(as_text=True)
    assert builds == ["themed", "unthemed"] * 2 and "Where in the draft each theme lands" in english


def test_a_new_comment_renders_the_boards_unthemed_part_alone(
    client, auth, session, analysed, monkeypatch
):
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/"
    before = client.get(url).get_data(as_text=True)
    builds = board_builds(monkeypatch)
    post_unplaced(session, analysed.round, monkeypatch)
    after = client.get(url).get_data(as_text=True)

    assert builds == ["unthemed"]  # the themes' cards and table are the ones kept
    assert unthemed_count(after) == unthemed_count(before) + 1
    assert "Nattåg till fjällen" in after
    assert after.count('class="card theme-card"') == before.count('class="card theme-card"')


def test_placing_passes_and_analyses_build_the_themes_of_a_board_looked_at_lately(
    app, client, auth, session, analysed, monkeypatch
):
    round_id = analysed.round.id
    builds = board_builds(monkeypatch)  # what requests build
    background_builds(monkeypatch, builds)

    def post_and_place(body: str) -> None:
        factories.make_comment(session, analysed.round, factories.make_user(session), body=body)
        with queue.background_context(app):  # as the worker runs it: no request, no user
            assert placement.place_round(db.get_session(), round_id) == 1

    post_and_place(SCHOOL[1])
    assert builds == []  # no one has looked at the board: the pass leaves it to the first look

    auth.login(analysed.staff)
    url = f"/analys/omgang/{round_id}/"
    before = client.get(url).get_data(as_text=True)
    assert builds == ["themed", "unthemed"]
    post_and_place(SCHOOL[2])
    assert builds[2:] == ["background"]  # built by the pass, for every language
    after = client.get(url).get_data(as_text=True)
    assert builds[3:] == ["unthemed"]  # the look found the themes part kept
    assert after != before and unthemed_count(after) == unthemed_count(before)
    caching.store(app)._items.clear()
    rendered = client.get(url).get_data(as_text=True)
    assert without_tokens(rendered) == without_tokens(after)  # as the request renders it
    builds.clear()
    assert client.post("/sprak", data={"lang": "en", "next": url}).status_code == 302
    refresh()
    post_and_place(SCHOOL[3])
    assert "Where in the draft each theme lands" in client.get(url).get_data(as_text=True)
    assert builds == ["background", "unthemed"]

    job = services.start(
        session, analysed.staff, round_id, now=clock.now(), stale_after=timedelta(hours=1)
    )
    with queue.background_context(app):
        jobs.run(db.get_session(), job.id)
    assert builds[2:] == ["background"]  # and by a new analysis, at its end
    assert 'class="card theme-card"' in client.get(url).get_data(as_text=True)
    assert builds[3:] == ["unthemed"]


def test_a_staff_change_to_the_themes_has_what_was_looked_at_rebuilt_in_the_background(
    app, client, auth, session, analysed, monkeypatch
):
    round_id = analysed.round.id
    builds = board_builds(monkeypatch)
    background_builds(monkeypatch, builds)
    counted = []
    page_ids = search_query.page_ids
    monkeypatch.setattr(
        search_query, "page_ids", lambda *args: counted.append(1) or page_ids(*args)
    )

    def background_done() -> None:  # the app's background threads: their work so far
        queue.round_tasks_done(app)

    auth.login(analysed.staff)
    url = f"/analys/omgang/{round_id}/"
    before = client.get(url).get_data(as_text=True)
    first = analysed.comments[0]
    source = theme_of(session, first)
    target = next(t for t in drill.themes_of_round(session, round_id) if t.id != source.id)
    theme_page = f"/analys/omgang/{round_id}/tema/{target.id}"
    client.get(theme_page)
    background_done()
    assert builds == ["themed", "unthemed"] and counted == [1]

    move = f"/analys/omgang/{round_id}/synpunkt/{first.id}/flytta"
    moved = client.post(
        move, data={"from_theme": source.id, "to_theme": target.id}, headers={"HX-Request": "true"}
    )
    assert moved.status_code == 200
    background_done()
    assert builds[2:] == ["background"] and counted == [1, 1]  # the board and the theme's page

    after = client.get(url).get_data(as_text=True)
    assert builds[3:] == ["unthemed"]  # the themes part was kept for this look
    assert theme_card_count(after, target.id) == theme_card_count(before, target.id) + 1
    page = client.get(theme_page).get_data(as_text=True)
    assert counted == [1, 1] and f'id="ac-{first.id}"' in page

    refused = client.post(  # it is no longer in the source theme: nothing changes
        move, data={"from_theme": source.id, "to_theme": target.id}, headers={"HX-Request": "true"}
    )
    background_done()
    assert refused.status_code >= 400 and builds[4:] == [] and counted == [1, 1]


def test_a_moderation_decision_has_a_board_looked_at_lately_rebuilt_in_the_background(
    app, client, auth, session, analysed, monkeypatch
):
    round_id = analysed.round.id
    builds = board_builds(monkeypatch)
    background_builds(monkeypatch, builds)
    handed = []
    dispatch = queue.dispatch_rebuild
    monkeypatch.setattr(queue, "dispatch_rebuild", lambda *a: handed.append(a[1]) or dispatch(*a))

    def hide(comment: Comment) -> None:
        hidden = client.post(
            f"/moderering/synpunkter/{comment.id}/dolj",
            data={f"dolj-{comment.id}-reason": "off_topic"},
            headers={"HX-Request": "true"},
        )
        assert hidden.status_code == 200
        queue.round_tasks_done(app)  # the background's work so far

    auth.login(analysed.staff)
    first, second = analysed.comments[:2]
    hide(first)
    assert handed == [] and builds == []  # no one has looked at the analysis pages lately

    url = f"/analys/omgang/{round_id}/"
    before = client.get(url).get_data(as_text=True)
    assert builds == ["themed", "unthemed"]
    hide(second)
    assert handed == [round_id] and builds[2:] == ["background"]
    after = client.get(url).get_data(as_text=True)
    assert builds[3:] == ["unthemed"]  # the themes part was kept for this look
    theme = theme_of(session, second)
    assert theme_card_count(after, theme.id) == theme_card_count(before, theme.id) - 1


def test_a_placing_pass_counts_the_first_page_of_a_theme_looked_at_lately(
    app, client, auth, session, analysed, monkeypatch
):
    school = theme_of(session, next(c for c in analysed.comments if c.body == SCHOOL[0]))
    other = next(t for t in drill.themes_of_round(session, analysed.round.id) if t != school)
    counted = []
    page_ids = search_query.page_ids
    monkeypatch.setattr(
        search_query, "page_ids", lambda *args: counted.append(1) or page_ids(*args)
    )
    auth.login(analysed.staff)
    client.get(f"/analys/omgang/{analysed.round.id}/tema/{other.id}?q=skolan")
    assert counted == [1]  # a filtered look: not the first page a pass keeps
    url = f"/analys/omgang/{analysed.round.id}/tema/{school.id}"
    before = client.get(url).get_data(as_text=True)
    assert counted == [1, 1]

    new = factories.make_comment(
        session, analysed.round, factories.make_user(session), body=SCHOOL[1]
    )
    with queue.background_context(app):
        assert placement.place_round(db.get_session(), analysed.round.id) == 1
    assert counted == [1] * 3  # the school theme's first page, by the pass; not the other's
    after = client.get(url).get_data(as_text=True)
    assert counted == [1] * 3  # the look found it kept
    assert f'id="ac-{new.id}"' in after and f'id="ac-{new.id}"' not in before
    client.get(f"/analys/omgang/{analysed.round.id}/tema/{other.id}")
    assert counted == [1] * 4


def test_a_themes_page_of_comments_is_counted_once_per_version(
    client, auth, session, analysed, monkeypatch
):
    auth.login(analysed.staff)
    theme = theme_of(session, analysed.comments[0])
    url = f"/analys/omgang/{analysed.round.id}/tema/{theme.id}"
    first = client.get(url).get_data(as_text=True)
    counted = []
    page_ids = search_query.page_ids
    monkeypatch.setattr(
        search_query, "page_ids", lambda *args: counted.append(1) or page_ids(*args)
    )

    assert client.get(url).get_data(as_text=True).count('class="analysis-comment') == (
        first.count('class="analysis-comment')
    )
    assert counted == []

    comment = analysed.comments[0]
    assert f'id="ac-{comment.id}"' in first
    comment.status = CommentStatus.HIDDEN
    session.commit()
    assert f'id="ac-{comment.id}"' not in client.get(url).get_data(as_text=True)
    assert counted == [1]

    # A new comment is in no theme until a placing pass: the theme's page is not counted
    # again, the page of the comments without a theme is, and lists it.
    new = post_unplaced(session, analysed.round, monkeypatch)
    client.get(url)
    assert counted == [1]
    unthemed = client.get(f"/analys/omgang/{analysed.round.id}/tema/ingen")
    assert counted == [1, 1] and f'id="ac-{new.id}"' in unthemed.get_data(as_text=True)


def test_a_themes_organisations_are_read_once_per_version_for_all_its_filters_and_pages(
    client, auth, session, analysed, monkeypatch
):
    theme = theme_of(session, analysed.comments[0])
    in_theme = [c for c in analysed.comments if theme_of(session, c) == theme]
    for comment, name in zip(in_theme, ("Umeå kommun", "Bjurholms kommun"), strict=False):
        organisation = factories.make_organisation(session, name)
        comment.author_organisation_id, comment.author_organisation_name = organisation.id, name
    session.commit()
    read = []
    organisations = drill._organisations
    monkeypatch.setattr(drill, "_organisations", lambda *a: read.append(1) or organisations(*a))
    auth.login(analysed.staff)
    url = f"/analys/omgang/{analysed.round.id}/tema/{theme.id}"

    page = client.get(url).get_data(as_text=True)
    assert read == [1]
    assert page.index(">Bjurholms kommun</option>") < page.index(">Umeå kommun</option>")
    filtered = client.get(f"{url}?kategori=kommun&sida=2").get_data(as_text=True)
    assert read == [1] and ">Umeå kommun</option>" in filtered

    in_theme[0].status = CommentStatus.HIDDEN  # a change to the theme: read again, without it
    session.commit()
    assert ">Umeå kommun</option>" not in client.get(url).get_data(as_text=True)
    assert read == [1, 1]


def test_a_reload_of_an_unchanged_page_is_a_304_without_a_body(client, session, open_round):
    factories.make_comment(session, open_round, factories.make_user(session))
    first = client.get(page_url(open_round))
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]

    again = client.get(page_url(open_round), headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""

    factories.make_comment(session, open_round, factories.make_user(session))
    changed = client.get(page_url(open_round), headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert shown_count(client, open_round) == 2


def test_pages_of_signed_in_people_are_private_and_differ_from_anothers(
    app, client, auth, session, open_round
):
    anonymous = client.get(page_url(open_round)).headers["ETag"]
    auth.login()
    client.get(page_url(open_round))  # shows the message of signing in, once
    mine = client.get(page_url(open_round))
    assert mine.headers["Cache-Control"] == "private, no-cache"
    assert mine.headers["ETag"] != anonymous
    assert client.get(page_url(open_round), headers={"If-None-Match": anonymous}).status_code == 200
    other = app.test_client()
    assert (
        other.get(page_url(open_round), headers={"If-None-Match": mine.headers["ETag"]}).status_code
        == 200
    )


def test_a_page_showing_a_flashed_message_is_not_kept_nor_answered_304(
    client, auth, session, open_round
):
    tag = client.get(page_url(open_round)).headers["ETag"]
    with client.session_transaction() as http:
        http["_flashes"] = [("success", "Sparat!")]
    shown = client.get(page_url(open_round), headers={"If-None-Match": tag})
    assert shown.status_code == 200
    assert "Sparat!" in shown.get_data(as_text=True)
    assert "ETag" not in shown.headers
    assert shown.headers["Cache-Control"] == "private, no-store"


def test_downloads_and_posts_carry_no_etag(client, auth, session, open_round):
    auth.login()
    receipt = client.get("/mina-synpunkter/kvitto.txt")
    assert receipt.status_code == 200
    assert "ETag" not in receipt.headers


def test_the_local_store_is_bounded():
    store = caching.LocalStore(max_entries=2, ttl=60)
    for key in "abc":
        store.set(key, key)
    assert [store.get(k) for k in "abc"] == [None, "b", "c"]


REDIS_URL = "redis://127.0.0.1:6379/3"


def test_two_app_servers_share_the_cache_in_redis_and_see_each_others_writes(
    database_url, session, open_round
):
    local_redis.connect_or_skip(REDIS_URL)
    prefix = f"consult:test:{uuid.uuid4().hex}:"
    config = make_config(database_url, CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    one, two = create_app(config), create_app(config)
    one.test_client_class = two.test_client_class = CsrfClient
    factories.make_comment(session, open_round, factories.make_user(session))
    assert shown_count(one.test_client(), open_round) == 1
    store = caching.RedisStore(REDIS_URL, 60)
    keys = store.client.keys(prefix + "*")
    assert keys  # the figures are in Redis, for every app server
    assert shown_count(two.test_client(), open_round) == 1

    # A comment written through the second server is counted by the first at once.
    author_id = factories.make_user(session).id
    with two.app_context():
        own = db.get_session()
        commenting.create_comment(
            own,
            author=own.get(User, author_id),
            round_id=open_round.id,
            target=Target(key="doc"),
            kind="comment",
            body="Via den andra servern.",
            submission_key=uuid.uuid4().hex,
            now=clock.now(),
            max_chars=5000,
        )
    assert shown_count(one.test_client(), open_round) == 2
    store.client.delete(*store.client.keys(prefix + "*"))
    for app in (one, two):
        app.extensions["db_engine"].dispose()


def test_a_redis_that_is_down_still_serves_right_pages(database_url, session, open_round, caplog):
    config = make_config(database_url, CACHE_REDIS_URL="redis://127.0.0.1:1/3")
    app = create_app(config)
    client = app.test_client()
    factories.make_comment(session, open_round, factories.make_user(session))
    assert shown_count(client, open_round) == 1
    factories.make_comment(session, open_round, factories.make_user(session))
    assert shown_count(client, open_round) == 2
    warnings = [r for r in caplog.records if "Cache in Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1  # logged once, not per request
    app.extensions["db_engine"].dispose()


def test_visitors_share_one_rendering_of_the_draft_that_sets_no_cookie(
    app, session, open_round, monkeypatch
):
    from consult.consultations import routes

    rendered = []
    real = routes.render_template
    monkeypatch.setattr(
        routes, "render_template", lambda *a, **k: rendered.append(1) or real(*a, **k)
    )
    first, second = app.test_client(), app.test_client()
    one = first.get(page_url(open_round))
    two = second.get(page_url(open_round))
    assert len(rendered) == 1
    assert one.get_data() == two.get_data()
    # Nothing personal: no form token and no cookie, so the proxy in front may keep it.
    assert "csrf_token" not in two.get_data(as_text=True)
    assert "Set-Cookie" not in one.headers and "Set-Cookie" not in two.headers
    assert two.headers["X-Accel-Expires"] == "1"
    # The language switch is a link-like form (GET): the visitor who switched reads English.
    switch = second.get("/sprak", query_string={"lang": "en", "next": page_url(open_round)})
    assert switch.status_code == 302 and switch.headers["Location"] == page_url(open_round)
    english = second.get(page_url(open_round))
    assert 'lang="en"' in english.get_data(as_text=True)
    assert 'lang="sv"' in first.get(page_url(open_round)).get_data(as_text=True)


def test_signed_in_readers_share_one_rendering_of_the_draft_per_version(
    client, auth, session, open_round, monkeypatch
):
    reads = []  # renderings of the draft part (each reads the draft from the database)
    document_view = reading.document_view
    monkeypatch.setattr(reading, "document_view", lambda *a: reads.append(1) or document_view(*a))
    url = page_url(open_round)
    auth.login()
    first = client.get(url).get_data(as_text=True)
    assert reads == [1] and "Lämna synpunkt" in first
    auth.login()  # another participant reads the draft as kept
    again = client.get(url).get_data(as_text=True)
    assert reads == [1] and draft_part(again) == draft_part(first)

    blocked = factories.make_user(session)
    blocked.blocked_at = clock.now()
    session.commit()
    auth.login(blocked)  # may not write: the draft without the offer to comment
    refused = client.get(url).get_data(as_text=True)
    assert reads == [1, 1] and "Lämna synpunkt" not in refused

    factories.make_comment(session, open_round, factories.make_user(session))
    auth.login()
    assert shown_count(client, open_round) == 1  # a new comment: the draft is read again
    assert reads == [1, 1, 1]


def test_the_kept_draft_names_a_chapters_working_group_as_it_is_now(
    client, auth, session, open_round
):
    from consult.models import GroupChapter

    from .events_seed import make_group

    chapter = open_round.document.sections[0].anchor
    traffic = make_group(session, open_round.consultation, name="Trafikgruppen")
    session.add(
        GroupChapter(
            group_id=traffic.id, consultation_id=traffic.consultation_id, section_anchor=chapter
        )
    )
    session.commit()
    auth.login()
    assert "Trafikgruppen" in draft_part(client.get(page_url(open_round)).get_data(as_text=True))

    traffic.name = "Gruppen för hållbara resor"  # no version of the round is raised by it
    session.commit()
    renamed = draft_part(client.get(page_url(open_round)).get_data(as_text=True))
    assert "Gruppen för hållbara resor" in renamed and "Trafikgruppen" not in renamed

    session.scalar(select(GroupChapter)).ended_at = clock.now()  # the chapter has no group
    session.commit()
    ended = draft_part(client.get(page_url(open_round)).get_data(as_text=True))
    assert "Gruppen för hållbara resor" not in ended


def test_a_visitors_language_switch_changes_no_account(client, auth, session, open_round):
    user = auth.login()
    assert client.get("/sprak", query_string={"lang": "en", "next": "/"}).status_code == 302
    session.refresh(user)
    assert user.locale != "en"
    client.post("/sprak", data={"lang": "en", "next": "/"})
    session.refresh(user)
    assert user.locale == "en"


def test_signed_in_pages_are_never_kept_by_the_proxy(client, auth, session, open_round):
    auth.login()
    client.get(page_url(open_round))  # shows the message of signing in, once
    page = client.get(page_url(open_round))
    assert "X-Accel-Expires" not in page.headers
    assert 'hx-headers=\'{"X-CSRFToken"' in page.get_data(as_text=True)


def test_a_visitor_reloading_the_stored_page_gets_a_304(app, session, open_round):
    visitor = app.test_client()
    rendered = visitor.get(page_url(open_round))  # rendered, then stored
    assert app.test_client().get(page_url(open_round)).status_code == 200  # from the store
    again = visitor.get(page_url(open_round), headers={"If-None-Match": rendered.headers["ETag"]})
    assert again.status_code == 304  # the stored page's ETag is the rendered page's


def test_app_servers_serve_the_visitors_page_one_of_them_stored_in_redis(
    database_url, session, open_round, monkeypatch
):
    local_redis.connect_or_skip(REDIS_URL)
    from consult.consultations import routes

    rendered = []
    real = routes.render_template
    monkeypatch.setattr(
        routes, "render_template", lambda *a, **k: rendered.append(1) or real(*a, **k)
    )
    prefix = f"consult:test:{uuid.uuid4().hex}:"
    config = make_config(database_url, CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    one, two = create_app(config), create_app(config)
    first = one.test_client().get(page_url(open_round)).get_data(as_text=True)
    visitor = two.test_client()
    second = visitor.get(page_url(open_round))
    assert len(rendered) == 1
    assert second.get_data(as_text=True) == first
    assert second.headers["Content-Type"] == "text/html; charset=utf-8"
    store = caching.RedisStore(REDIS_URL, 60)
    store.client.delete(*store.client.keys(prefix + "*"))
    for app in (one, two):
        app.extensions["db_engine"].dispose()


def test_signed_in_people_never_get_the_visitors_page(client, auth, session, open_round):
    client.get(page_url(open_round))  # stored for visitors
    user = auth.login()
    client.get(page_url(open_round))  # shows the message of signing in, once
    page = client.get(page_url(open_round)).get_data(as_text=True)
    assert user.display_name in page


def test_a_visitors_page_is_kept_no_longer_than_configured(app, session, open_round, monkeypatch):
    clock_now = {"value": 1000.0}
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock_now["value"])
    visitor = app.test_client()
    visitor.get(page_url(open_round))
    # A change the round's data version does not follow (the consultation's summary) shows
    # once the stored page has lived its PAGE_CACHE_SECONDS.
    open_round.consultation.summary = "En ny sammanfattning av strategin."
    session.commit()
    assert "En ny sammanfattning" not in visitor.get(page_url(open_round)).get_data(as_text=True)
    clock_now["value"] += app.config["PAGE_CACHE_SECONDS"] + 1
    assert "En ny sammanfattning" in visitor.get(page_url(open_round)).get_data(as_text=True)
