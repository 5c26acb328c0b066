"""A current theme's name is its own in the round, and a comment is proposed for a theme once:
refused with a message by the services, held by the database when two people act at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consult import clock, db, errors
from consult.analysis import corrections, proposals
from consult.models import Origin, Role, Theme, ThemeProposal, User

from . import factories


@pytest.fixture
def themed(session, open_round):
    """A round with two themes, "Trafik" and "Skola", a comment, and a member of staff."""
    staff = factories.make_user(session, role=Role.STAFF)
    comment = factories.make_comment(session, open_round, factories.make_user(session))
    traffic = Theme(round_id=open_round.id, name="Trafik", origin=Origin.MODEL)
    school = Theme(round_id=open_round.id, name="Skola", origin=Origin.MODEL)
    session.add_all([traffic, school])
    session.commit()
    return {
        "round": open_round,
        "staff": staff,
        "comment": comment,
        "traffic": traffic,
        "school": school,
    }


def rename(session, staff, theme, name):
    return corrections.edit_theme(
        session,
        staff,
        theme.round_id,
        theme.id,
        name=name,
        description="",
        version=theme.version,
        now=clock.now(),
    )


def named(session, round_id, name) -> int:
    return session.scalar(
        select(func.count(Theme.id)).where(
            Theme.round_id == round_id, Theme.name == name, Theme.retired_at.is_(None)
        )
    )


def test_renaming_a_theme_to_another_themes_name_is_refused(session, themed):
    with pytest.raises(errors.Invalid) as refused:
        rename(session, themed["staff"], themed["school"], "trafik")
    assert refused.value.errors == {"name": "taken"}
    session.rollback()
    assert session.get(Theme, themed["school"].id).name == "Skola"
    # Its own name, in other letters, is no clash.
    assert rename(session, themed["staff"], themed["traffic"], "TRAFIK").name == "TRAFIK"


def test_a_retired_themes_name_is_free_again(session, themed, now):
    themed["traffic"].retired_at = now.get()
    session.commit()
    assert rename(session, themed["staff"], themed["school"], "Trafik").name == "Trafik"


def test_the_rename_form_says_the_name_is_taken(client, auth, session, themed):
    auth.login(themed["staff"])
    school = themed["school"]
    response = client.post(
        f"/analys/omgang/{school.round_id}/tema/{school.id}/redigera",
        data={"name": "Trafik", "description": "", "version": str(school.version)},
    )
    assert response.status_code == 422
    assert "Det finns redan ett tema med det namnet" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Theme, school.id).name == "Skola"


def test_the_database_refuses_two_current_themes_with_one_name(session, themed):
    session.add(Theme(round_id=themed["round"].id, name="Trafik", origin=Origin.STAFF))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(
        ThemeProposal(theme_id=themed["traffic"].id, comment_id=themed["comment"].id, score=0.5)
    )
    session.commit()
    session.add(
        ThemeProposal(theme_id=themed["traffic"].id, comment_id=themed["comment"].id, score=0.7)
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def postgresql_only(session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time; concurrent writers meet on PostgreSQL")


def run_waiting(action) -> tuple[threading.Thread, list]:
    """Start ``action`` in a thread; return it and the list its outcome is appended to."""
    outcome: list = []

    def work():
        try:
            outcome.append(action())
        except errors.Invalid as error:
            outcome.append(error.errors)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=1)
    return thread, outcome


def test_two_renames_to_one_name_at_once_leave_one_theme_with_it(app, session, themed):
    postgresql_only(session)
    make_session = app.extensions["db_sessionmaker"]
    round_id, staff_id = themed["round"].id, themed["staff"].id
    traffic_id, school_id = themed["traffic"].id, themed["school"].id

    first = make_session()
    first.get(Theme, traffic_id).name = "Buss"
    first.flush()  # a first rename, written but not yet committed

    def second():
        with make_session() as other:
            theme = other.get(Theme, school_id)
            return rename(other, other.get(User, staff_id), theme, "Buss").name

    thread, outcome = run_waiting(second)
    assert thread.is_alive()  # its check passed; its write waits for the first transaction
    first.commit()
    first.close()
    thread.join(timeout=30)

    assert outcome == [{"name": "taken"}]
    session.expire_all()
    assert named(session, round_id, "Buss") == 1
    assert session.get(Theme, school_id).name == "Skola"


def test_two_people_making_one_theme_at_once_make_it_once(app, session, themed):
    postgresql_only(session)
    make_session = app.extensions["db_sessionmaker"]
    round_id, staff_id = themed["round"].id, themed["staff"].id

    first = make_session()
    first.add(Theme(round_id=round_id, name="Cykel", origin=Origin.STAFF))
    first.flush()

    def second():
        with make_session() as other:
            theme, _ = proposals.create_theme(
                other,
                other.get(User, staff_id),
                round_id,
                name="Cykel",
                description="",
                now=clock.now(),
            )
            return theme.id

    thread, outcome = run_waiting(second)
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=30)

    assert outcome == [{"name": "taken"}]
    session.expire_all()
    assert named(session, round_id, "Cykel") == 1


def test_one_comment_proposed_twice_at_once_is_stored_once(app, session, themed):
    postgresql_only(session)
    make_session = app.extensions["db_sessionmaker"]
    theme_id, comment_id = themed["traffic"].id, themed["comment"].id

    first = make_session()
    first.add(ThemeProposal(theme_id=theme_id, comment_id=comment_id, score=0.5))
    first.flush()
    failed = []

    def second():
        with make_session() as other:
            other.add(ThemeProposal(theme_id=theme_id, comment_id=comment_id, score=0.6))
            try:
                other.commit()
            except IntegrityError:
                failed.append(True)

    thread, _ = run_waiting(second)
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join(timeout=30)

    assert failed == [True]
    count = select(func.count(ThemeProposal.id)).where(ThemeProposal.theme_id == theme_id)
    assert session.scalar(count) == 1


def _round_with_a_comment_at_0008(connection, when: datetime) -> tuple[int, int]:
    """Insert a consultation, a round, an author and a comment; return the round's and the
    comment's ids."""
    at = when.isoformat()

    def insert(sql: str, values: tuple) -> int:
        return connection.exec_driver_sql(sql + " RETURNING id", values).scalar()

    author = insert(
        "INSERT INTO user_account (email, display_name, password_hash, role, category,"
        " created_at) VALUES ('a@example.se', 'A', 'x', 'participant', 'privatperson', ?)",
        (at,),
    )
    consultation = insert(
        "INSERT INTO consultation (slug, title, summary, created_at) VALUES ('s', 'S', '', ?)",
        (at,),
    )
    round_ = insert(
        "INSERT INTO round (consultation_id, number, title, moderation, opens_at, closes_at,"
        " created_at) VALUES (?, 1, 'R', 'post', ?, ?, ?)",
        (consultation, at, at, at),
    )
    comment = insert(
        "INSERT INTO comment (round_id, author_id, author_category, kind, body, body_html,"
        " status, submission_key, agreement_count, created_at, updated_at)"
        " VALUES (?, ?, 'privatperson', 'comment', 'En synpunkt.', '<p>En synpunkt.</p>',"
        " 'published', 'k', 0, ?, ?)",
        (round_, author, at, at),
    )
    return round_, comment


def test_the_migration_resolves_duplicates_it_finds(tmp_path):
    url = f"sqlite:///{tmp_path / 'duplicates.db'}"
    config = db.alembic_config(url)
    command.upgrade(config, "0008")
    engine = db.make_engine(url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        # Rows written in SQL as the 0008 schema has them: the models describe a later one.
        connection = session.connection()
        round_, comment = _round_with_a_comment_at_0008(connection, when)
        for name, retired in [
            ("Trafik", None),
            ("trafik", None),
            ("Trafik", None),
            ("Trafik (2)", None),
            ("Trafik", when),
        ]:
            connection.exec_driver_sql(
                "INSERT INTO theme (round_id, name, origin, position, version, retired_at,"
                " description, keywords, representative_ids, created_at)"
                " VALUES (?, ?, 'model', 0, 1, ?, '', '[]', '[]', ?)",
                (round_, name, retired.isoformat() if retired else None, when.isoformat()),
            )
        first = connection.exec_driver_sql("SELECT min(id) FROM theme").scalar()
        for decided in [None, when.isoformat(), None]:
            connection.exec_driver_sql(
                "INSERT INTO theme_proposal (theme_id, comment_id, score, created_at, decided_at)"
                " VALUES (?, ?, 0.5, ?, ?)",
                (first, comment, when.isoformat(), decided),
            )
        session.commit()
    engine.dispose()

    db.upgrade(url)

    engine = db.make_engine(url)
    with engine.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT name, version FROM theme WHERE retired_at IS NULL ORDER BY id"
        ).all()
        assert names == [("Trafik", 1), ("trafik (3)", 2), ("Trafik (4)", 2), ("Trafik (2)", 1)]
        kept = connection.exec_driver_sql("SELECT decided_at FROM theme_proposal").all()
        assert len(kept) == 1 and kept[0][0] is not None
    engine.dispose()
