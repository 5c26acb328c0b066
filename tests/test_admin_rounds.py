"""Round actions: open now, close now, extend, reopen, publish results, and their effect on
commenting, which follows at once because the state is computed from the dates."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from consult.admin import round_actions
from consult.consultations import comments
from consult.consultations.services import RoundState, Target, round_state
from consult.errors import Invalid, WrongState
from consult.models import AuditEntry, Comment, Role

from . import factories

HX = {"HX-Request": "true"}


@pytest.fixture
def participant(session):
    return factories.make_user(session)


@pytest.fixture
def ended_round(session, now):
    """A round whose deadline passed yesterday."""
    return factories.make_round(
        session, opens_at=now.get() - timedelta(days=20), closes_at=now.get() - timedelta(days=1)
    )


def _comment(session, round_, author, when):
    paragraph = round_.document.paragraphs[0]
    return comments.create_comment(
        session,
        author=author,
        round_id=round_.id,
        target=Target(paragraph.anchor, paragraph=paragraph),
        kind="comment",
        body="En synpunkt.",
        submission_key=f"{round_.id}-{when.isoformat()}",
        now=when,
        max_chars=5000,
    )


def _can_comment(session, round_, author, when) -> bool:
    try:
        _comment(session, round_, author, when)
    except comments.RoundClosed:
        session.rollback()
        return False
    return True


def _entries(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# Each transition and what it means for commenting


def test_open_now_lets_participants_comment_at_once(
    session, now, admin, participant, scheduled_round
):
    assert not _can_comment(session, scheduled_round, participant, now.get())
    round_actions.open_now(
        session, admin, scheduled_round.id, now=now.get(), reason="Klart tidigare"
    )
    assert round_state(scheduled_round, now.get()) == RoundState.OPEN
    assert scheduled_round.opens_at == now.get()
    assert _can_comment(session, scheduled_round, participant, now.get())
    (entry,) = _entries(session, "round.open")
    assert entry.actor_id == admin.id
    assert entry.object_type == "round" and entry.object_id == scheduled_round.id
    assert entry.reason == "Klart tidigare"
    assert json.loads(entry.before) == {"opens_at": "2027-03-02T12:00:00+00:00"}
    assert json.loads(entry.after) == {"opens_at": "2027-03-01T12:00:00+00:00"}


def test_open_now_of_a_draft_round_needs_a_closing_time(session, now, admin, participant):
    draft = factories.make_round(session, opens_at=None, closes_at=None)
    with pytest.raises(Invalid) as refused:
        round_actions.open_now(session, admin, draft.id, now=now.get())
    assert refused.value.errors == {"closes_at": "required"}
    session.rollback()
    assert _entries(session, "round.open") == []
    deadline = now.get() + timedelta(days=14)
    round_actions.open_now(session, admin, draft.id, now=now.get(), closes_at=deadline)
    assert draft.closes_at == deadline
    assert _can_comment(session, draft, participant, now.get())


def test_close_now_refuses_comments_from_that_moment(
    session, now, admin, participant, open_round, placed
):
    assert _can_comment(session, open_round, participant, now.get())
    # The comment is placed in the background, which writes; on SQLite a test transaction
    # begun before that write could not write after it ("database is locked").
    placed()
    round_actions.close_now(session, admin, open_round.id, now=now.get())
    assert round_state(open_round, now.get()) == RoundState.CLOSED
    assert open_round.closed_at == now.get()
    assert not _can_comment(session, open_round, participant, now.get() + timedelta(seconds=1))
    (entry,) = _entries(session, "round.close")
    assert json.loads(entry.before) == {"closed_at": None}
    assert json.loads(entry.after) == {"closed_at": now.get().isoformat()}


def test_extend_keeps_the_round_open_past_the_old_deadline(
    session, now, admin, participant, open_round
):
    old = open_round.closes_at
    new = old + timedelta(days=3)
    round_actions.extend(session, admin, open_round.id, closes_at=new, now=now.get())
    assert open_round.closes_at == new
    assert _can_comment(session, open_round, participant, old + timedelta(hours=1))
    assert not _can_comment(session, open_round, participant, new)
    (entry,) = _entries(session, "round.extend")
    assert json.loads(entry.before) == {"closes_at": old.isoformat()}
    assert json.loads(entry.after) == {"closes_at": new.isoformat()}


@pytest.mark.parametrize(
    ("delta", "key"),
    [(timedelta(0), "not_later"), (-timedelta(days=1), "not_later"), (None, "required")],
)
def test_extend_needs_a_later_deadline(session, now, admin, open_round, delta, key):
    closes_at = open_round.closes_at + delta if delta is not None else None
    with pytest.raises(Invalid) as refused:
        round_actions.extend(session, admin, open_round.id, closes_at=closes_at, now=now.get())
    assert refused.value.errors == {"closes_at": key}


def test_extend_needs_a_deadline_in_the_future(session, now, admin):
    # A round closing in an hour cannot be "extended" to a time before now.
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(days=1), closes_at=now.get() + timedelta(hours=1)
    )
    with pytest.raises(Invalid) as refused:
        round_actions.extend(
            session, admin, round_.id, closes_at=now.get() - timedelta(hours=1), now=now.get()
        )
    assert refused.value.errors == {"closes_at": "in_past"}


def test_reopen_a_round_closed_by_mistake(session, now, admin, participant, open_round):
    round_actions.close_now(session, admin, open_round.id, now=now.get())
    later = now.get() + timedelta(minutes=5)
    assert not _can_comment(session, open_round, participant, later)
    round_actions.reopen(session, admin, open_round.id, now=later, reason="Stängd av misstag")
    assert open_round.closed_at is None
    assert round_state(open_round, later) == RoundState.OPEN
    assert _can_comment(session, open_round, participant, later)
    (entry,) = _entries(session, "round.reopen")
    assert entry.reason == "Stängd av misstag"
    assert json.loads(entry.after) == {"closed_at": None}


def test_reopen_after_the_deadline_needs_a_new_one(session, now, admin, participant, ended_round):
    with pytest.raises(Invalid) as refused:
        round_actions.reopen(session, admin, ended_round.id, now=now.get())
    assert refused.value.errors == {"closes_at": "required_passed"}
    session.rollback()
    with pytest.raises(Invalid):
        round_actions.reopen(
            session, admin, ended_round.id, now=now.get(), closes_at=now.get() - timedelta(hours=1)
        )
    session.rollback()
    assert not _can_comment(session, ended_round, participant, now.get())
    new = now.get() + timedelta(days=2)
    round_actions.reopen(session, admin, ended_round.id, now=now.get(), closes_at=new)
    assert ended_round.closes_at == new
    assert _can_comment(session, ended_round, participant, now.get())


def test_publish_results_only_after_closing(session, now, admin, participant, open_round):
    with pytest.raises(WrongState) as refused:
        round_actions.publish_results(session, admin, open_round.id, now=now.get())
    assert refused.value.key == "not_closed"
    session.rollback()
    round_actions.close_now(session, admin, open_round.id, now=now.get())
    round_actions.publish_results(session, admin, open_round.id, now=now.get())
    assert round_state(open_round, now.get()) == RoundState.PUBLISHED
    assert not _can_comment(session, open_round, participant, now.get())
    with pytest.raises(WrongState):
        round_actions.reopen(
            session, admin, open_round.id, now=now.get(), closes_at=now.get() + timedelta(days=1)
        )


@pytest.mark.parametrize(
    ("fixture", "call"),
    [
        ("open_round", lambda s, a, r, n: round_actions.open_now(s, a, r, now=n)),
        ("scheduled_round", lambda s, a, r, n: round_actions.close_now(s, a, r, now=n)),
        (
            "ended_round",
            lambda s, a, r, n: round_actions.extend(
                s, a, r, closes_at=n + timedelta(days=9), now=n
            ),
        ),
        ("open_round", lambda s, a, r, n: round_actions.reopen(s, a, r, now=n)),
        ("scheduled_round", lambda s, a, r, n: round_actions.publish_results(s, a, r, now=n)),
    ],
)
def test_actions_in_the_wrong_state_change_nothing(request, session, now, admin, fixture, call):
    round_ = request.getfixturevalue(fixture)
    before = (round_.opens_at, round_.closes_at, round_.closed_at, round_.results_published_at)
    with pytest.raises(WrongState):
        call(session, admin, round_.id, now.get())
    session.rollback()
    session.refresh(round_)
    assert (
        round_.opens_at,
        round_.closes_at,
        round_.closed_at,
        round_.results_published_at,
    ) == before
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_state_follows_the_clock_without_any_action(session, now, participant, scheduled_round):
    assert not _can_comment(session, scheduled_round, participant, now.get())
    now.set(scheduled_round.opens_at)
    assert _can_comment(session, scheduled_round, participant, now.get())


# Through HTTP: htmx rows and the form path without JavaScript


def _thread_post(client, round_, body="Synpunkt.", key="k1"):
    paragraph = round_.document.paragraphs[0]
    anchor = paragraph.anchor
    url = f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{anchor}"
    return client.post(
        url,
        data={
            f"{anchor}-kind": "comment",
            f"{anchor}-body": body,
            f"{anchor}-stance": "",
            f"{anchor}-submission_key": key,
        },
    )


def test_close_now_by_htmx_swaps_the_row_and_the_thread_refuses_comments(
    client, auth, session, open_round
):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/stang", data={"confirmed": "yes"}, headers=HX
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith(f'<tr id="round-{open_round.id}"')
    assert "badge-closed" in page and "Omgång 1 är stängd." in page
    assert "Öppna igen" in page
    # A participant's comment is now refused.
    client.post("/konto/logga-ut")
    auth.login()
    assert _thread_post(client, open_round).status_code == 409
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_close_now_without_javascript_redirects_back_with_a_message(
    client, auth, session, open_round
):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/stang",
        data={"next": f"/admin/#round-{open_round.id}", "confirmed": "yes"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/#round-{open_round.id}"
    page = client.get("/admin/").get_data(as_text=True)
    assert "Omgång 1 är stängd." in page


def test_unsafe_next_falls_back_to_the_round_page(client, auth, open_round):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/stang",
        data={"next": "//evil.example/", "confirmed": "yes"},
    )
    assert response.headers["Location"] == f"/admin/omgang/{open_round.id}/"


def test_extend_by_htmx_shows_the_new_date_to_participants_at_once(
    client, auth, session, open_round
):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/forlang",
        data={"extend-closes_at": "2027-03-20T16:00", "extend-reason": "Fler remissvar väntas"},
        headers=HX,
    )
    assert response.status_code == 200
    assert "20 mars 2027 kl. 16.00" in response.get_data(as_text=True)
    session.refresh(open_round)
    assert open_round.closes_at == datetime(2027, 3, 20, 15, 0, tzinfo=UTC)
    public = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert "Öppen för synpunkter till 20 mars 2027 kl. 16.00" in public
    (entry,) = _entries(session, "round.extend")
    assert entry.reason == "Fler remissvar väntas"


def test_refused_extend_by_htmx_shows_the_error_in_the_row(client, auth, session, open_round):
    auth.login(role=Role.ADMIN)
    old = open_round.closes_at
    response = client.post(
        f"/admin/omgang/{open_round.id}/forlang",
        data={"extend-closes_at": "2027-03-05T16:00"},
        headers=HX,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="r{open_round.id}-extend-closes_at-error"' in page
    assert "Den nya stängningstiden måste vara senare än den nuvarande." in page
    assert 'value="2027-03-05T16:00"' in page
    session.refresh(open_round)
    assert open_round.closes_at == old
    assert _entries(session, "round.extend") == []


def test_refused_extend_without_javascript_shows_the_round_page_with_the_error(
    client, auth, session, open_round
):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/forlang", data={"extend-closes_at": "inte ett datum"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="extend-closes_at-error"' in page and "Ange datum och tid" in page


def test_action_in_the_wrong_state_by_htmx_explains_in_the_row(client, auth, open_round):
    auth.login(role=Role.ADMIN)
    response = client.post(f"/admin/omgang/{open_round.id}/publicera", headers=HX)
    assert response.status_code == 409
    assert "Bara en stängd omgång" in response.get_data(as_text=True)


def test_action_in_the_wrong_state_without_javascript_flashes_the_reason(client, auth, open_round):
    auth.login(role=Role.ADMIN)
    response = client.post(f"/admin/omgang/{open_round.id}/publicera")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bara en stängd omgång" in page


def test_full_cycle_through_http(client, auth, session, now, scheduled_round):
    admin = factories.make_user(session, role=Role.ADMIN)
    participant = factories.make_user(session)
    base = f"/admin/omgang/{scheduled_round.id}"

    def as_admin(method_url, **data):
        client.post("/konto/logga-ut")
        auth.login(admin)
        return client.post(method_url, data=data).status_code

    def comment(key):
        client.post("/konto/logga-ut")
        auth.login(participant)
        return _thread_post(client, scheduled_round, key=key).status_code

    assert comment("a") == 409
    assert as_admin(f"{base}/oppna") == 302
    assert comment("b") == 302

    assert as_admin(f"{base}/stang", **{"close-reason": "Fel dag", "confirmed": "yes"}) == 302
    assert comment("c") == 409

    assert as_admin(f"{base}/ateroppna") == 302
    assert comment("d") == 302

    now.set(scheduled_round.closes_at)
    assert comment("e") == 409
    assert as_admin(f"{base}/ateroppna", **{"reopen-closes_at": "2027-04-15T12:00"}) == 302
    assert comment("f") == 302

    assert as_admin(f"{base}/forlang", **{"extend-closes_at": "2027-04-20T12:00"}) == 302
    now.set(datetime(2027, 4, 20, 9, 30, tzinfo=UTC))
    assert comment("g") == 302
    now.set(datetime(2027, 4, 20, 10, 0, tzinfo=UTC))
    assert comment("h") == 409

    assert as_admin(f"{base}/publicera", confirmed="yes") == 302
    session.expire_all()
    assert round_state(scheduled_round, now.get()) == RoundState.PUBLISHED
    assert session.scalar(select(func.count()).select_from(Comment)) == 4

    actions = [
        e.action
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.actor_id == admin.id).order_by(AuditEntry.id)
        )
    ]
    assert actions == [
        "round.open",
        "round.close",
        "round.reopen",
        "round.reopen",
        "round.extend",
        "round.publish",
    ]
    client.post("/konto/logga-ut")
    auth.login(admin)
    history = client.get(f"{base}/").get_data(as_text=True)
    assert "Resultat publicerat" in history and "Fel dag" in history


# Asking before the loud or irreversible actions, and showing a refused action's error


def _follow(session, round_, user):
    from consult.models import Follow

    session.add(Follow(user_id=user.id, consultation_id=round_.consultation_id))
    session.commit()


def test_close_now_without_confirmation_asks_first_and_changes_nothing(
    client, auth, session, now, open_round
):
    _follow(session, open_round, factories.make_user(session))
    _follow(session, open_round, factories.make_user(session))
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/stang",
        data={"close-reason": "Fel dag", "next": f"/admin/#round-{open_round.id}"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Stänga omgång 1 nu?" in page
    assert "2 som följer samrådet får veta att omgången har stängts." in page
    # The confirming form posts again with what was sent, and a way back without acting.
    assert f'action="/admin/omgang/{open_round.id}/stang"' in page
    assert 'name="confirmed" value="yes"' in page and 'value="Fel dag"' in page
    assert f'href="/admin/#round-{open_round.id}">Avbryt</a>' in page
    session.refresh(open_round)
    assert round_state(open_round, now.get()) == RoundState.OPEN
    assert _entries(session, "round.close") == []


def test_close_now_by_htmx_without_confirmation_answers_a_dialog_over_the_page(
    client, auth, session, now, open_round
):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/stang", data={"origin": "row"}, headers=HX
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#admin-dialog"
    assert page.lstrip().startswith('<dialog class="confirm-dialog"')
    # Confirmed from the dialog, the answer swaps the overview's row as before.
    assert f'hx-target="#round-{open_round.id}"' in page
    assert "data-close-dialog" in page
    session.refresh(open_round)
    assert round_state(open_round, now.get()) == RoundState.OPEN


def test_publish_results_asks_first_and_says_it_cannot_be_undone(
    client, auth, session, now, open_round, participant
):
    factories.make_comment(session, open_round, participant)
    open_round.closed_at = now.get()
    session.commit()
    auth.login(role=Role.ADMIN)
    page = client.post(f"/admin/omgang/{open_round.id}/publicera").get_data(as_text=True)
    assert "Publicera resultatet av omgång 1?" in page
    assert "Ett publicerat resultat kan inte dras tillbaka." in page
    assert "(1 publicerad synpunkt)" in page
    session.refresh(open_round)
    assert open_round.results_published_at is None
    response = client.post(f"/admin/omgang/{open_round.id}/publicera", data={"confirmed": "yes"})
    assert response.status_code == 302
    session.refresh(open_round)
    assert open_round.results_published_at == now.get()


def test_the_row_and_the_round_page_put_the_risky_action_last_and_set_apart(
    client, auth, open_round
):
    auth.login(role=Role.ADMIN)
    overview = client.get("/admin/").get_data(as_text=True)
    row = re.search(rf'<tr id="round-{open_round.id}".*?</tr>', overview, re.S).group(0)
    assert row.index("/forlang") < row.index("/stang")
    assert re.search(r'class="button small risky">Stäng nu', row)
    assert "hx-confirm" not in row  # asked by the server, not by the browser's confirm()
    page = client.get(f"/admin/omgang/{open_round.id}/").get_data(as_text=True)
    assert page.index("/forlang") < page.index("/stang")
    assert re.search(r'class="button risky">Stäng nu', page)
    assert 'id="admin-dialog"' in page


def test_a_refused_action_without_javascript_summarises_the_error_at_the_top(
    client, auth, session, open_round
):
    auth.login(role=Role.ADMIN)
    response = client.post(
        f"/admin/omgang/{open_round.id}/forlang", data={"extend-closes_at": "2027-03-05T16:00"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    # Before the page's heading, linked to the field with the error.
    assert page.index(summary) < page.index("<h1>")
    assert 'href="#extend-closes_at"' in summary
    assert "Den nya stängningstiden måste vara senare än den nuvarande." in summary
    assert 'id="extend-closes_at"' in page


def test_the_round_page_names_what_its_comment_count_counts(
    client, auth, session, open_round, participant
):
    from consult.models import CommentStatus

    first = factories.make_comment(session, open_round, participant)
    factories.make_comment(session, open_round, participant)
    factories.make_comment(session, open_round, participant, parent=first)
    factories.make_comment(session, open_round, participant, status=CommentStatus.PENDING)
    auth.login(role=Role.ADMIN)
    page = client.get(f"/admin/omgang/{open_round.id}/").get_data(as_text=True)
    counted = re.search(r"<dt>Synpunkter</dt><dd>(.*?)</dd>", page, re.S).group(1)
    assert " ".join(counted.split()) == (
        "2 synpunkter, 1 svar, 1 ej publicerad (väntar, dold, avvisad eller tillbakadragen)"
    )
