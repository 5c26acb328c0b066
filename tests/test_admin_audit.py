"""The audit log: entries written with their change, in the change's transaction, and the
administrators' page that lists and filters them."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import audit
from consult.admin import consultations, round_actions
from consult.errors import Invalid
from consult.models import AuditEntry, Consultation, Role

from . import factories


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry))


def test_entry_belongs_to_the_transaction_of_its_change(session, admin, now, open_round):
    open_round.closed_at = now.get()
    audit.record(session, admin, "round.close", open_round, {"closed_at": None}, {"closed_at": 1})
    session.rollback()
    assert _count(session) == 0
    session.refresh(open_round)
    assert open_round.closed_at is None


def test_entry_for_a_new_object_gets_its_id(session, admin, now):
    consultation = Consultation(slug="ny", title="Ny")
    session.add(consultation)
    entry = audit.record(session, admin, "consultation.create", consultation, None, {"slug": "ny"})
    session.commit()
    assert entry.object_id == consultation.id is not None
    assert entry.created_at == now.get()
    assert entry.before is None and json.loads(entry.after) == {"slug": "ny"}


def test_consultation_create_and_edit_record_before_and_after(session, admin, now):
    consultation = consultations.create_consultation(
        session,
        admin,
        title="RUS",
        slug="rus",
        summary="Om länet.",
        contact_name="Anna",
        contact_email="Anna@Example.se",
        now=now.get(),
    )
    now.set(now.get() + timedelta(hours=1))
    consultations.edit_consultation(
        session,
        admin,
        consultation.id,
        title="RUS 2030",
        slug="rus-2030",
        summary="Om länet.",
        contact_name="Anna",
        contact_email="anna@example.se",
        now=now.get(),
    )
    created, edited = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    assert created.action == "consultation.create" and created.before is None
    assert json.loads(created.after) == {
        "title": "RUS",
        "slug": "rus",
        "summary": "Om länet.",
        "contact_name": "Anna",
        "contact_email": "Anna@example.se",
    }
    assert edited.action == "consultation.edit" and edited.actor_id == admin.id
    # Only what changed.
    assert json.loads(edited.before) == {
        "title": "RUS",
        "slug": "rus",
        "contact_email": "Anna@example.se",
    }
    assert json.loads(edited.after) == {
        "title": "RUS 2030",
        "slug": "rus-2030",
        "contact_email": "anna@example.se",
    }
    assert edited.created_at == created.created_at + timedelta(hours=1)


def test_refused_changes_write_no_entry(session, admin, now, open_round):
    with pytest.raises(Invalid):
        consultations.create_consultation(session, admin, title="", slug="x", now=now.get())
    session.rollback()
    with pytest.raises(Invalid):
        round_actions.extend(session, admin, open_round.id, closes_at=now.get(), now=now.get())
    session.rollback()
    assert _count(session) == 0


def _fill_log(session, now, admin, other, round_):
    for i in range(55):
        now.set(now.get() + timedelta(minutes=1))
        actor = admin if i % 5 else other
        action = "round.extend" if i % 2 else "round.edit"
        audit.record(session, actor, action, round_, {"n": i}, {"n": i + 1}, f"skäl {i}")
    session.commit()


def test_log_page_lists_entries_newest_first_in_pages(client, auth, session, now, open_round):
    admin = auth.login(role=Role.ADMIN)
    other = factories.make_user(session, role=Role.ADMIN, name="Bo Berg")
    _fill_log(session, now, admin, other, open_round)
    page = client.get("/admin/logg").get_data(as_text=True)
    assert "55 händelser" in page
    assert page.index("skäl 54") < page.index("skäl 53") < page.index("skäl 5<")
    assert "skäl 4<" not in page
    assert "Sida 1 av 2" in page
    second = client.get("/admin/logg?sida=2").get_data(as_text=True)
    assert "skäl 4<" in second and "skäl 0<" in second and "skäl 54" not in second
    # Beyond the last page shows the last page.
    assert "Sida 2 av 2" in client.get("/admin/logg?sida=99").get_data(as_text=True)


def test_log_filters_by_action_and_by_actor(client, auth, session, now, open_round):
    admin = auth.login(role=Role.ADMIN)
    other = factories.make_user(session, role=Role.ADMIN, name="Bo Berg")
    _fill_log(session, now, admin, other, open_round)
    by_action = client.get("/admin/logg?atgard=round.extend").get_data(as_text=True)
    assert "27 händelser" in by_action and "Sista dag förlängd" in by_action
    assert "skäl 53" in by_action and "skäl 54" not in by_action
    by_actor = client.get(f"/admin/logg?av={other.id}").get_data(as_text=True)
    assert "11 händelser" in by_actor and "skäl 50" in by_actor and "skäl 51" not in by_actor
    both = client.get(f"/admin/logg?atgard=round.extend&av={other.id}").get_data(as_text=True)
    assert "5 händelser" in both
    # The filter form offers the actions and actors that occur.
    assert 'value="round.edit"' in by_action and f'value="{other.id}" selected' in by_actor
    # Page links keep the filters.
    everything = client.get(f"/admin/logg?atgard=round.edit&av={admin.id}")
    assert "sida=2" not in everything.get_data(as_text=True)


@pytest.mark.parametrize("query", ["?av=abc", "?sida=0", "?sida=-1", "?atgard=", "?sida=x"])
def test_odd_log_parameters_are_ignored(client, auth, query):
    auth.login(role=Role.ADMIN)
    assert client.get(f"/admin/logg{query}").status_code == 200


def test_log_shows_changes_readably(client, auth, session, now, open_round):
    auth.login(role=Role.ADMIN)
    client.post(
        f"/admin/omgang/{open_round.id}/forlang",
        data={"extend-closes_at": "2027-03-20T16:00", "extend-reason": "Önskemål från kommunerna"},
    )
    page = client.get("/admin/logg").get_data(as_text=True)
    assert "Sista dag förlängd" in page and "Önskemål från kommunerna" in page
    assert "Stänger:</span> 8 mars 2027 kl. 13.00 → 20 mars 2027 kl. 16.00" in page
    assert f'href="/admin/omgang/{open_round.id}/"' in page
    assert "Person" in page  # the actor's name


def test_log_names_what_moderation_and_the_people_pages_recorded(
    client, auth, session, now, open_round
):
    from consult.moderation import decisions
    from consult.people import services as people

    admin = auth.login(role=Role.ADMIN)
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    decisions.hide(session, admin, comment.id, reason="offensive", now=now.get())
    people.block_user(
        session,
        actor=admin,
        user_id=comment.author_id,
        reason="Upprepade påhopp",
        hide_comments=False,
        now=now.get(),
    )
    page = client.get("/admin/logg").get_data(as_text=True)
    assert ">comment.hide<" not in page and ">user.block<" not in page
    assert page.count("Synpunkt dold") >= 2  # the filter's choice and the entry
    assert page.count("Spärrad") >= 2


def test_log_shows_names_and_labels_instead_of_codes_and_ids(
    client, auth, session, now, open_round
):
    from consult.models import Analysis, Origin, Theme

    admin = auth.login(role=Role.ADMIN)
    traffic, housing, parking = (
        Theme(round_id=open_round.id, name=name, origin=Origin.STAFF)
        for name in ("Trafik", "Bostäder", "Parkering")
    )
    session.add_all([traffic, housing, parking])
    session.flush()
    author = factories.make_user(session, name="Ada Skribent")
    comment = factories.make_comment(session, open_round, author)
    user = factories.make_user(session, name="Vera Verifierad")
    job = Analysis(round_id=open_round.id, created_at=open_round.opens_at)
    session.add(job)
    session.flush()
    audit.record(session, admin, "analysis.start", job, {}, {"status": "queued"})
    move = ({"theme_id": traffic.id}, {"theme_id": housing.id})
    audit.record(session, admin, "theme_assignment.move", comment, *move)
    audit.record(
        session,
        admin,
        "theme.split",
        traffic,
        {"name": "Trafik"},
        {"parts": [housing.id, parking.id]},
    )
    audit.record(
        session,
        admin,
        "user.verify",
        user,
        {"organisation_claim": "claimed"},
        {"organisation_claim": "verified"},
    )
    audit.record(
        session,
        admin,
        "comment.hide",
        comment,
        {"status": "published"},
        {"status": "hidden", "moderation_reason": "offensive"},
    )
    session.commit()

    page = client.get("/admin/logg").get_data(as_text=True)
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    text = " ".join(" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows)
    for raw in ("claimed", "verified", "published", "hidden", "offensive", "[", "#"):
        assert f" {raw}" not in text, raw
    assert "Inte kontrollerad än → Verifierad" in text
    assert "Publicerad → Dold av en moderator" in text
    theme_url = f"/analys/omgang/{open_round.id}/tema/"
    assert f'<a href="{theme_url}{traffic.id}">Trafik</a> → ' in page
    assert f'<a href="{theme_url}{housing.id}">Bostäder</a>' in page
    assert f'<a href="{theme_url}{parking.id}">Parkering</a>' in page
    # What each entry concerns: the comment, the theme and the user, linked to their pages.
    assert (
        f'<a href="/synpunkter/{comment.id}">Synpunkt av Ada Skribent (nr {comment.id})</a>'
        in page
    )
    round_name = f"{open_round.consultation.title} – {open_round.title}"
    assert f'<a href="/analys/omgang/{open_round.id}/">Analys av {round_name}</a>' in page
    assert f'<a href="/admin/anvandare/{user.id}">Vera Verifierad</a>' in page
