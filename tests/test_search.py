"""Comment search: PostgreSQL's Swedish full-text search or SQLite's FTS5, behind one query
used by the staff drill-down and the public search page (/sok)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import flask_babel
import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult import clock, create_app, db
from consult.analysis import drill
from consult.consultations import comments as writing
from consult.extensions import limiter
from consult.models import Category, CommentKind, CommentStatus, Paragraph, Role
from consult.moderation import decisions
from consult.search import query as search
from consult.search import schema, services

from . import factories
from .conftest import make_config

HOSTILE = [
    '"',
    '""',
    '"unbalanced phrase',
    "*",
    "vind*",
    "NEAR(vind kraft)",
    "NEAR(",
    "vind OR kraft",
    "OR",
    "AND NOT",
    "-vind",
    "vind & !kraft | (",
    "body:vind",
    "^vind",
    "{body proposed_text}: vind",
    "'; DROP TABLE comment; --",
    "\\",
    "%_%",
    "\ue000\ue001",
    "\x00",
    "a" * 5000,
    "ord " * 300,
    "<script>alert(1)</script>",
]


def dialect(session) -> str:
    return session.get_bind().dialect.name


def found_ids(session, q, **kwargs) -> list[int]:
    found = services.published_comments(session, q, clock.now(), **kwargs)
    return [hit.comment.id for hit in found.hits]


@pytest.fixture
def author(session):
    return factories.make_user(session, category=Category.MUNICIPALITY)


@pytest.fixture
def staff(session):
    return factories.make_user(session, role=Role.STAFF)


def paragraphs(session, round_) -> list[Paragraph]:
    return list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == round_.document.id)
            .order_by(Paragraph.position)
        )
    )


# Reading what someone typed


def test_terms_keep_words_and_phrases_and_drop_query_syntax():
    terms = search.Terms.parse('Vindkraft "kollektiv trafik" OR NEAR( e-tjänst* -buss')
    assert terms.phrases == (
        ("kollektiv", "trafik"),
        ("vindkraft",),
        ("or",),
        ("near",),
        ("e", "tjänst"),
        ("buss",),
    )
    assert terms.fts5() == ('"kollektiv trafik"* "vindkraft"* "or"* "near"* "e tjänst"* "buss"*')
    assert terms.websearch() == '"kollektiv trafik" "vindkraft" "or" "near" "e tjänst" "buss"'


@pytest.mark.parametrize("text", ["", "   ", '"', '""', "*", "(-)", "&|!", "\ue000"])
def test_a_query_without_words_has_no_terms(text):
    assert search.Terms.parse(text) is None


def test_a_query_has_at_most_a_dozen_terms_of_limited_length():
    terms = search.Terms.parse(" ".join(f"ord{n}" for n in range(50)) + " " + "x" * 500)
    assert len(terms.phrases) == search.MAX_TERMS
    assert all(len(word) <= search.MAX_WORD_CHARS for p in terms.phrases for word in p)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_do_not_fail_in_the_database(session, open_round, author, text):
    factories.make_comment(session, open_round, author, body="Vindkraft och kollektivtrafik.")
    found = services.published_comments(session, text, clock.now())
    assert found.problem is not None or found.total >= 0


# Matching and ranking


def test_the_comment_saying_it_more_often_ranks_first(session, open_round, author):
    once = factories.make_comment(
        session,
        open_round,
        author,
        body="Vi vill ha bättre cykelvägar mellan orterna och fler bussar på kvällarna.",
    )
    twice = factories.make_comment(
        session,
        open_round,
        author,
        body="Cykelvägar behövs. Fler cykelvägar mellan orterna gör skillnad.",
    )
    factories.make_comment(session, open_round, author, body="Något helt annat om skolan.")
    assert found_ids(session, "cykelvägar") == [twice.id, once.id]


def test_every_word_must_be_found_and_a_phrase_in_order(session, open_round, author):
    both = factories.make_comment(session, open_round, author, body="Kollektiv trafik till alla.")
    one = factories.make_comment(session, open_round, author, body="Trafik är viktigt.")
    reversed_ = factories.make_comment(session, open_round, author, body="Trafik, kollektiv.")
    assert set(found_ids(session, "kollektiv trafik")) == {both.id, reversed_.id}
    assert found_ids(session, '"kollektiv trafik"') == [both.id]
    assert one.id in found_ids(session, "trafik")


def test_a_word_finds_its_longer_forms(session, open_round, author):
    """PostgreSQL stems Swedish words; SQLite matches each word as a prefix."""
    comment = factories.make_comment(
        session, open_round, author, body="Vindkraften måste byggas ut."
    )
    assert found_ids(session, "vindkraft") == [comment.id]
    assert found_ids(session, "VINDKRAFT") == [comment.id]


def test_postgresql_stems_swedish_both_ways(session, open_round, author):
    if dialect(session) != "postgresql":
        pytest.skip("SQLite matches prefixes only (see consult/search/query.py)")
    base = factories.make_comment(session, open_round, author, body="Mer vindkraft i länet.")
    assert found_ids(session, "vindkraften") == [base.id]


def test_swedish_letters_are_not_folded(session, open_round, author):
    goal = factories.make_comment(session, open_round, author, body="Målet är tydligt.")
    moth = factories.make_comment(session, open_round, author, body="Malet mjöl till bageriet.")
    assert found_ids(session, "målet") == [goal.id]
    assert found_ids(session, "malet") == [moth.id]


def test_the_proposed_wording_is_searched_too(session, open_round, author):
    comment = factories.make_comment(session, open_round, author, body="Se mitt förslag.")
    comment.kind = CommentKind.PROPOSAL
    comment.proposed_text = "Regionen ska prioritera järnvägen."
    session.commit()
    assert found_ids(session, "järnvägen") == [comment.id]


# Staying correct as comments change


def test_a_new_comment_is_found_at_once(session, open_round, author):
    assert found_ids(session, "solceller") == []
    comment = factories.make_comment(session, open_round, author, body="Solceller på taken.")
    assert found_ids(session, "solceller") == [comment.id]


def test_an_edited_comment_is_found_by_its_new_words_only(session, open_round, author, now):
    comment = factories.make_comment(session, open_round, author, body="Satsa på tåg.")
    assert found_ids(session, "tåg") == [comment.id]
    writing.edit_comment(
        session,
        user=author,
        comment_id=comment.id,
        kind="comment",
        body="Satsa på flyg.",
        stance=None,
        proposed_text=None,
        now=now.get(),
        max_chars=5000,
    )
    assert found_ids(session, "tåg") == []
    assert found_ids(session, "flyg") == [comment.id]


def test_withdrawn_hidden_rejected_and_pending_comments_are_not_public(
    session, open_round, author, staff, now
):
    shown = factories.make_comment(session, open_round, author, body="Älgar på vägen.")
    withdrawn = factories.make_comment(session, open_round, author, body="Älgar i skogen.")
    hidden = factories.make_comment(session, open_round, author, body="Älgar överallt.")
    rejected = factories.make_comment(
        session, open_round, author, body="Älgar igen.", status=CommentStatus.PENDING
    )
    factories.make_comment(
        session, open_round, author, body="Älgar väntar.", status=CommentStatus.PENDING
    )
    assert set(found_ids(session, "älgar")) == {shown.id, withdrawn.id, hidden.id}

    writing.withdraw_comment(session, user=author, comment_id=withdrawn.id, now=now.get())
    decisions.hide(session, staff, hidden.id, reason="off_topic", now=now.get())
    decisions.reject(session, staff, rejected.id, reason="off_topic", now=now.get())
    assert found_ids(session, "älgar") == [shown.id]


def test_comments_of_a_round_not_yet_open_are_not_public(session, author, now):
    scheduled = factories.make_round(
        session, opens_at=now.get() + timedelta(days=1), closes_at=now.get() + timedelta(days=9)
    )
    factories.make_comment(session, scheduled, author, body="Hemlig älgjakt.")
    assert found_ids(session, "älgjakt") == []


def test_a_deleted_comment_leaves_the_index(session, open_round, author):
    comment = factories.make_comment(session, open_round, author, body="Fjällen lockar.")
    session.delete(comment)
    session.commit()
    assert found_ids(session, "fjällen") == []


# Highlighting


def test_hits_are_marked_and_the_comment_text_stays_text(session, open_round, author):
    """SQLite shows markup typed in a comment as text; PostgreSQL's parser reads it as tags
    and leaves them out of the passage. Neither lets it through as HTML."""
    comment = factories.make_comment(
        session, open_round, author, body='<script>alert("x")</script> Mer skog & <b>vatten</b>.'
    )
    terms = search.Terms.parse("skog")
    snippet = search.snippets(session, terms, [comment.id])[comment.id]
    assert "<mark>skog</mark>" in snippet and "&amp;" in snippet
    assert "<script" not in snippet and "<b>" not in snippet
    if dialect(session) == "sqlite":
        assert "&lt;script&gt;" in snippet


def test_stray_sentinels_typed_in_a_comment_mark_nothing():
    assert search.marked("a \ue000b \ue000c\ue001 d\ue001") == "a b <mark>c</mark> d"


# The public page


def test_the_search_page_lists_hits_with_author_paragraph_and_round(
    client, session, open_round, author
):
    paragraph = paragraphs(session, open_round)[0]
    comment = factories.make_comment(
        session, open_round, author, paragraph=paragraph, body="Vindkraft & <em>sol</em> i norr."
    )
    page = client.get("/sok", query_string={"q": "vindkraft"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'role="search"' in html and '<label class="label" for="search-q">' in html
    assert 'role="status"' in html and "1 publicerad synpunkt" in html
    assert "<mark>Vindkraft</mark> &amp;" in html and "<em>sol" not in html
    assert author.organisation.name in html
    assert f"#{paragraph.anchor}" in html and open_round.title in html
    assert f'href="/synpunkter/{comment.id}"' in html


def test_the_search_page_explains_empty_long_and_wordless_queries(client, session, open_round):
    assert "Skriv ett eller flera ord" in client.get("/sok?q=").get_data(as_text=True)
    assert "Skriv ett eller flera ord" not in client.get("/sok").get_data(as_text=True)
    long = client.get("/sok", query_string={"q": "ord " * 100})
    assert long.status_code == 200 and "för lång" in long.get_data(as_text=True)
    wordless = client.get("/sok", query_string={"q": '"*("'})
    assert "Det finns inga ord att söka efter" in wordless.get_data(as_text=True)
    nothing = client.get("/sok", query_string={"q": "zebra"})
    assert "Ingen publicerad synpunkt" in nothing.get_data(as_text=True)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_get_a_page(client, session, open_round, author, text):
    factories.make_comment(session, open_round, author, body="Vindkraft <script>.")
    response = client.get("/sok", query_string={"q": text})
    assert response.status_code == 200
    assert "<script>alert" not in response.get_data(as_text=True)


def test_the_search_can_be_limited_to_one_consultation(client, session, open_round, author, now):
    other = factories.make_round(
        session, opens_at=now.get() - timedelta(days=1), closes_at=now.get() + timedelta(days=1)
    )
    here = factories.make_comment(session, open_round, author, body="Skärgården är viktig.")
    factories.make_comment(session, other, author, body="Skärgården igen.")
    slug = open_round.consultation.slug
    assert found_ids(session, "skärgården", slug=slug) == [here.id]
    page = client.get("/sok", query_string={"q": "skärgården", "konsultation": slug})
    assert open_round.consultation.title in page.get_data(as_text=True)
    assert client.get("/sok?q=x&konsultation=finns-inte").status_code == 404


def test_the_consultation_page_has_a_search_form(client, session, open_round):
    html = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert 'action="/sok"' in html
    assert f'name="konsultation" value="{open_round.consultation.slug}"' in html


def test_the_results_are_paginated(app, client, session, open_round, author):
    app.config["SEARCH_PER_PAGE"] = 2
    for n in range(5):
        factories.make_comment(session, open_round, author, body=f"Hamnen nummer {n}.")
    first = client.get("/sok?q=hamnen").get_data(as_text=True)
    assert "5 publicerade synpunkter" in first and "Sida 1 av 3" in first
    assert first.count('class="search-result"') == 2
    last = client.get("/sok?q=hamnen&sida=9").get_data(as_text=True)
    assert last.count('class="search-result"') == 1 and "Sida 3 av 3" in last


def test_the_page_works_in_english(client, session, open_round, author):
    factories.make_comment(session, open_round, author, body="Hamnen.")
    client.post("/sprak", data={"lang": "en", "next": "/sok"})
    flask_babel.refresh()  # the tests share one app context, where Babel keeps its locale
    html = client.get("/sok?q=hamnen").get_data(as_text=True)
    assert "1 published comment matches" in html


# The staff drill-down


def test_the_drill_down_search_ranks_marks_and_keeps_other_filters(
    client, auth, session, open_round, staff
):
    municipal = factories.make_user(session, category=Category.MUNICIPALITY)
    business = factories.make_user(session, category=Category.BUSINESS)
    once = factories.make_comment(
        session, open_round, municipal, body="Bredband på landsbygden och mycket annat."
    )
    twice = factories.make_comment(
        session, open_round, municipal, body="Bredband, bredband <i>nu</i>."
    )
    other = factories.make_comment(session, open_round, business, body="Bredband till företag.")
    factories.make_comment(session, open_round, municipal, body="Skolan.")

    def listed(**filters):
        page = drill.comments(session, staff, open_round.id, None, drill.Filters(**filters))
        return [item.comment.id for item in page.items], page

    ids, page = listed(q="bredband")
    assert set(ids) == {once.id, twice.id, other.id}
    assert ids.index(twice.id) < ids.index(once.id)
    assert page.total == 3
    ids, _ = listed(q="bredband", category=Category.BUSINESS.value)
    assert ids == [other.id]
    assert listed(q="*")[0] == []

    auth.login(staff)
    url = f"/analys/omgang/{open_round.id}/tema/{drill.UNASSIGNED}"
    html = client.get(url, query_string={"q": "bredband"}).get_data(as_text=True)
    assert "<mark>Bredband</mark>" in html and "&lt;i&gt;nu" in html


# Migration 0022


def test_the_migration_indexes_existing_comments_and_downgrades_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'search.db'}"
    # Comments written by today's models, then the schema taken back to before the index.
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        round_ = factories.make_round(
            session,
            opens_at=datetime(2026, 1, 1, tzinfo=UTC),
            closes_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        factories.make_comment(session, round_, factories.make_user(session), body="Fäboden.")
    engine.dispose()
    command.downgrade(db.alembic_config(url), "0021")

    def objects() -> set[str]:
        engine = db.make_engine(url)
        with engine.connect() as connection:
            names = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE 'comment_search%'"
            )
            found = set(names.scalars())
        engine.dispose()
        return found

    assert objects() == set()
    db.upgrade(url)
    assert {schema.TABLE, *schema.TRIGGERS} <= objects()
    engine = db.make_engine(url)
    with engine.connect() as connection:
        hits = connection.exec_driver_sql(
            f"SELECT rowid FROM {schema.TABLE} WHERE {schema.TABLE} MATCH '\"fäboden\"'"
        )
        assert len(hits.all()) == 1
    engine.dispose()
    command.downgrade(db.alembic_config(url), "0021")
    assert objects() == set()


def test_the_postgresql_column_and_index_come_and_go_with_the_migration(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL index needs PostgreSQL")
    query = (
        f"SELECT (SELECT count(*) FROM pg_indexes WHERE indexname = '{schema.INDEX}') "
        "+ (SELECT count(*) FROM information_schema.columns "
        f"WHERE table_name = 'comment' AND column_name = '{schema.COLUMN}')"
    )

    def indexed() -> bool:
        engine = db.make_engine(database_url)
        with engine.connect() as connection:
            found = connection.exec_driver_sql(query).scalar()
        assert found in (0, 2)
        engine.dispose()
        return found == 2

    assert indexed()
    try:
        command.downgrade(db.alembic_config(database_url), "0021")
        assert not indexed()
    finally:
        db.upgrade(database_url)
    assert indexed()


def test_searching_is_rate_limited_per_visitor(database_url, session):
    app = create_app(
        make_config(database_url, RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="2 per minute")
    )
    client = app.test_client()
    with app.app_context():
        limiter.reset()
    try:
        codes = [client.get("/sok?q=hamnen").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = client.get("/sok?q=hamnen").get_data(as_text=True)
        assert "Vänta en minut" in refused and 'id="search-q"' in refused
    finally:
        with app.app_context():
            limiter.reset()
        app.extensions["db_engine"].dispose()
