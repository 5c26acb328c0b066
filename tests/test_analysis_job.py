"""The analysis job: its lifecycle on the in-process worker and on Redis/RQ, one job per
round, failures that change nothing, the command line, and placing new comments."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from consult import clock, errors
from consult.analysis import corrections, jobs, queue, saving, services
from consult.consultations import comments as commenting
from consult.consultations.services import Target
from consult.models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    AuditEntry,
    CampaignGroup,
    CommentStatus,
    Role,
    Theme,
    ThemeAssignment,
)
from consult.moderation import decisions
from consult.synthesis import services as synthesis

from . import factories, local_redis
from .analysis_seed import CAMPAIGN_SIZE, SCHOOL, seed_round
from .conftest import make_config

STALE = timedelta(minutes=60)


@pytest.fixture
def seeded(session, open_round):
    return seed_round(session, open_round)


def start(session, seeded, user=None):
    return services.start(
        session, user or seeded.staff, seeded.round.id, now=clock.now(), stale_after=STALE
    )


def reload(session, job) -> Analysis:
    # End the session's transaction so it reads what the worker committed since.
    session.rollback()
    session.expire_all()
    return session.get(Analysis, job.id)


def current_themes(session, round_id):
    return list(
        session.scalars(select(Theme).where(Theme.round_id == round_id, Theme.retired_at.is_(None)))
    )


class Gate:
    """Hold the engine inside discovery until released, to look at a running job."""

    def __init__(self, monkeypatch):
        self.entered = threading.Event()
        self.release = threading.Event()
        real = jobs.nlp.discover_themes

        def held(texts, **kwargs):
            self.entered.set()
            assert self.release.wait(10), "test never released the job"
            return real(texts, **kwargs)

        monkeypatch.setattr(jobs.nlp, "discover_themes", held)


def test_a_job_runs_on_the_in_process_worker_and_stores_themes(app, session, seeded):
    job = start(session, seeded)
    assert reload(session, job).status == AnalysisStatus.QUEUED

    queue.dispatch(app, job.id).result(timeout=60)

    job = reload(session, job)
    assert job.status == AnalysisStatus.DONE
    assert (job.progress, job.message) == (100, "done")
    # Published top-level comments only: not the reply, not the hidden comment.
    assert job.comment_count == len(seeded.comments)
    read = set(session.scalars(select(AnalysedComment.comment_id)))
    assert read == {c.id for c in seeded.comments}
    themes = current_themes(session, seeded.round.id)
    assert len(themes) >= 2
    tags = session.scalars(select(ThemeAssignment)).all()
    assert tags and all(t.removed_at is None and not t.after_analysis for t in tags)
    assert {t.comment_id for t in tags} <= read
    campaign = session.scalars(select(CampaignGroup)).one()
    assert campaign.size == CAMPAIGN_SIZE
    assert campaign.comment_id == seeded.campaign[0].id
    assert session.execute(select(Analysis.model_file)).scalar()[:2] == b"PK"  # a .npz
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "analysis.start")).one()
    assert (entry.actor_id, entry.object_id) == (seeded.staff.id, job.id)


def test_progress_is_visible_while_the_job_runs(app, session, seeded, monkeypatch):
    gate = Gate(monkeypatch)
    job = start(session, seeded)
    future = queue.dispatch(app, job.id)
    assert gate.entered.wait(10)

    running = reload(session, job)
    assert running.status == AnalysisStatus.RUNNING
    assert (running.progress, running.message) == (25, "themes")
    assert running.started_at is not None
    assert current_themes(session, seeded.round.id) == []

    gate.release.set()
    future.result(timeout=60)
    assert reload(session, job).status == AnalysisStatus.DONE


def test_a_second_round_waits_in_the_queue_while_the_worker_is_busy(
    app, session, seeded, now, monkeypatch
):
    other = seed_round(
        session,
        factories.make_round(
            session, opens_at=now.get() - timedelta(days=1), closes_at=now.get() + timedelta(1)
        ),
        staff=seeded.staff,
    )
    gate = Gate(monkeypatch)
    first, second = start(session, seeded), start(session, other)
    futures = [queue.dispatch(app, first.id), queue.dispatch(app, second.id)]
    assert gate.entered.wait(10)

    assert reload(session, first).status == AnalysisStatus.RUNNING
    assert reload(session, second).status == AnalysisStatus.QUEUED

    gate.release.set()
    for future in futures:
        future.result(timeout=60)
    assert reload(session, second).status == AnalysisStatus.DONE


def test_one_queued_or_running_job_per_round(app, session, seeded):
    job = start(session, seeded)
    with pytest.raises(errors.WrongState) as refused:
        start(session, seeded)
    assert refused.value.key == "running"
    assert refused.value.context["job"].id == job.id
    assert session.scalar(select(func.count(Analysis.id))) == 1
    assert session.scalar(select(func.count(AuditEntry.id))) == 1


def test_the_database_refuses_a_second_active_job_for_a_round(app, session, seeded):
    def add(status):
        session.add(Analysis(round_id=seeded.round.id, status=status, message="queued"))
        session.commit()

    add(AnalysisStatus.DONE)
    add(AnalysisStatus.FAILED)
    add(AnalysisStatus.RUNNING)
    with pytest.raises(IntegrityError):
        add(AnalysisStatus.QUEUED)
    session.rollback()


def test_a_job_delivered_twice_runs_once(app, session, seeded):
    job = start(session, seeded)
    assert jobs.run(session, job.id) is True
    assert jobs.run(session, job.id) is False
    assert session.scalar(select(func.count(CampaignGroup.id))) == 1


def test_a_failed_job_says_why_and_keeps_the_last_result(app, session, seeded, monkeypatch):
    jobs.run(session, start(session, seeded).id)
    before = {(t.id, t.name) for t in current_themes(session, seeded.round.id)}
    tags_before = session.scalar(select(func.count(ThemeAssignment.id)))

    def broken(texts, **kwargs):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(jobs.nlp, "discover_themes", broken)
    job = start(session, seeded)
    jobs.run(session, job.id)

    failed = reload(session, job)
    assert failed.status == AnalysisStatus.FAILED
    assert failed.error == "RuntimeError: the engine broke"
    assert failed.finished_at is not None
    assert {(t.id, t.name) for t in current_themes(session, seeded.round.id)} == before
    assert session.scalar(select(func.count(ThemeAssignment.id))) == tags_before
    assert (
        session.scalar(
            select(func.count(ThemeAssignment.id)).where(ThemeAssignment.removed_at.is_not(None))
        )
        == 0
    )
    # The round is free again.
    assert start(session, seeded).status == AnalysisStatus.QUEUED


def theme_of(session, comment) -> Theme:
    return session.scalars(
        select(Theme)
        .join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
        .where(ThemeAssignment.comment_id == comment.id, ThemeAssignment.removed_at.is_(None))
    ).one()


def live_tags(session, theme_id):
    return session.scalars(
        select(ThemeAssignment).where(
            ThemeAssignment.theme_id == theme_id, ThemeAssignment.removed_at.is_(None)
        )
    ).all()


def test_a_second_run_keeps_the_themes_and_replaces_their_model_tags(app, session, seeded):
    jobs.run(session, start(session, seeded).id)
    first = {t.id: t.name for t in current_themes(session, seeded.round.id)}
    first_tags = {t.id for t in session.scalars(select(ThemeAssignment))}
    second_job = start(session, seeded)
    jobs.run(session, second_job.id)
    session.expire_all()

    themes = current_themes(session, seeded.round.id)
    # The same comments give the same clusters: each is matched to its theme of the last run.
    assert {t.id: t.name for t in themes} == first
    assert all(t.analysis_id == second_job.id for t in themes)
    old = session.scalars(select(ThemeAssignment).where(ThemeAssignment.id.in_(first_tags))).all()
    assert old and all(t.removed_at == clock.now() for t in old)
    new = [t for t in session.scalars(select(ThemeAssignment)) if t.id not in first_tags]
    assert len(new) == len(old) and all(t.removed_at is None for t in new)


def test_re_running_keeps_staff_names_confirmed_tags_and_synthesis(
    app, session, seeded, client, now
):
    jobs.run(session, start(session, seeded).id)
    school = theme_of(session, seeded.comments[10])
    corrections.edit_theme(
        session,
        seeded.staff,
        seeded.round.id,
        school.id,
        name="Lärarbristen",
        description="",
        version=school.version,
        now=now.get(),
    )
    confirmed = corrections.confirm_tag(
        session, seeded.staff, seeded.round.id, seeded.comments[10].id, school.id, now=now.get()
    )
    where = synthesis.target(session, seeded.staff, seeded.round.id, theme_id=school.id)
    synthesis.save(
        session,
        seeded.staff,
        where,
        summary="Många vill ha fler lärare.",
        response="accepted",
        motivation="Vi satsar på lärarutbildningen.",
        status="reviewed",
        version=0,
        now=now.get(),
    )
    version = session.get(Theme, school.id).version

    jobs.run(session, start(session, seeded).id)
    session.expire_all()

    theme = session.get(Theme, school.id)
    assert theme.retired_at is None
    assert (theme.name, theme.version) == ("Lärarbristen", version)
    tag = session.get(ThemeAssignment, confirmed.id)
    assert tag.removed_at is None and tag.confirmed
    # The confirmed comment is not tagged a second time by the engine.
    assert [t.id for t in live_tags(session, school.id) if t.comment_id == tag.comment_id] == [
        tag.id
    ]
    assert len(live_tags(session, school.id)) >= len(SCHOOL) - 2
    seeded.round.results_published_at = now.get() - timedelta(hours=1)
    session.commit()
    round_ = seeded.round
    html = client.get(f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/").get_data(
        as_text=True
    )
    assert "Lärarbristen" in html
    assert "Många vill ha fler lärare." in html


def test_re_running_does_not_put_a_comment_back_where_staff_took_it_out(app, session, seeded, now):
    jobs.run(session, start(session, seeded).id)
    comment = seeded.comments[10]
    school, traffic = theme_of(session, comment), theme_of(session, seeded.comments[0])
    corrections.move_tag(
        session,
        seeded.staff,
        seeded.round.id,
        comment.id,
        from_theme_id=school.id,
        to_theme_id=traffic.id,
        now=now.get(),
    )

    jobs.run(session, start(session, seeded).id)
    session.expire_all()

    assert theme_of(session, comment).id == traffic.id


def test_old_themes_no_cluster_matches_retire_unless_staff_worked_on_them(
    app, session, seeded, now, monkeypatch
):
    jobs.run(session, start(session, seeded).id)
    school = theme_of(session, seeded.comments[10])
    traffic = theme_of(session, seeded.comments[0])
    corrections.edit_theme(
        session,
        seeded.staff,
        seeded.round.id,
        school.id,
        name=school.name,
        description="Skolan och lärarna.",
        version=school.version,
        now=now.get(),
    )
    real = jobs.read

    def scattered(comments, progress):
        # The new run leaves the school and traffic comments without a theme.
        reading = real(comments, progress)
        model = copy.copy(reading.model)
        gone = {c.id for c in seeded.comments[:20]}
        model.assignments = [
            -1 if comment_id in gone else theme
            for comment_id, theme in zip(
                reading.comment_ids, reading.model.assignments, strict=True
            )
        ]
        return jobs.Reading(
            reading.comment_ids, reading.campaigns, model, reading.stances, reading.languages
        )

    monkeypatch.setattr(jobs, "read", scattered)
    jobs.run(session, start(session, seeded).id)
    session.expire_all()

    kept = session.get(Theme, school.id)
    assert kept.retired_at is None and kept.description == "Skolan och lärarna."
    assert live_tags(session, school.id)
    assert session.get(Theme, traffic.id).retired_at == clock.now()
    assert live_tags(session, traffic.id) == []


def test_clusters_are_matched_one_to_one_on_enough_shared_comments():
    old = {1: {1, 2, 3, 4}, 2: {5, 6, 7, 8}, 3: {9, 10}}
    new = {0: {1, 2, 3}, 1: {1, 2, 4}, 2: {5, 11, 12, 13, 14, 15, 16, 17}, 3: {9, 20}}
    # 0 and 1 both fit theme 1 best (0 more so); 2 shares too little with 2;
    # 3 shares half of itself with 3.
    assert saving.match(old, new) == {0: 1, 3: 3}


def test_a_job_given_up_while_it_ran_saves_nothing(app, session, seeded, now, monkeypatch):
    real = jobs.read
    later = {}

    def slow(comments, progress):
        reading = real(comments, progress)
        # The engine took so long that the job was given up and another one started.
        now.set(now.get() + STALE + timedelta(minutes=1))
        later["job"] = start(session, seeded)
        return reading

    monkeypatch.setattr(jobs, "read", slow)
    first = start(session, seeded)
    assert jobs.run(session, first.id) is True

    given_up = reload(session, first)
    assert (given_up.status, given_up.error) == (AnalysisStatus.FAILED, "dead")
    assert given_up.model_file is None
    assert current_themes(session, seeded.round.id) == []
    assert session.scalar(select(func.count(ThemeAssignment.id))) == 0
    assert session.scalar(select(func.count(AnalysedComment.id))) == 0
    assert session.scalar(select(func.count(CampaignGroup.id))) == 0
    assert reload(session, later["job"]).status == AnalysisStatus.QUEUED

    monkeypatch.setattr(jobs, "read", real)
    jobs.run(session, later["job"].id)
    assert reload(session, later["job"]).status == AnalysisStatus.DONE
    assert current_themes(session, seeded.round.id)


def test_a_round_without_comments_cannot_be_analysed(app, session, open_round):
    staff = factories.make_user(session, role=Role.STAFF)
    with pytest.raises(errors.WrongState) as refused:
        services.start(session, staff, open_round.id, now=clock.now(), stale_after=STALE)
    assert refused.value.key == "no_comments"


def test_participants_cannot_start_an_analysis(app, session, seeded):
    participant = factories.make_user(session)
    with pytest.raises(errors.NotAllowed):
        start(session, seeded, user=participant)
    assert session.scalar(select(func.count(Analysis.id))) == 0


def test_a_job_that_stopped_reporting_is_given_up(app, session, seeded, now):
    job = start(session, seeded)
    now.set(now.get() + STALE + timedelta(minutes=1))
    fresh = start(session, seeded)

    stale = reload(session, job)
    assert (stale.status, stale.error) == (AnalysisStatus.FAILED, "stale")
    assert fresh.status == AnalysisStatus.QUEUED


def test_the_command_runs_an_analysis_in_the_foreground(app, session, seeded, runner):
    slug = seeded.round.consultation.slug
    result = runner.invoke(args=["analysis", "run", slug, "1"])
    assert result.exit_code == 0, result.output
    assert f"{len(seeded.comments)} comments read" in result.output
    job = session.scalars(select(Analysis)).one()
    assert (job.status, job.started_by_id) == (AnalysisStatus.DONE, None)

    missing = runner.invoke(args=["analysis", "run", slug, "7"])
    assert missing.exit_code != 0
    assert "No round 7" in missing.output


def test_a_new_comment_joins_the_themes_in_the_background(app, session, seeded, now, placed):
    jobs.run(session, start(session, seeded).id)
    school_comment = seeded.comments[len(seeded.comments) - CAMPAIGN_SIZE - 20]
    assert school_comment.body == SCHOOL[0]
    school_theme = session.scalars(
        select(ThemeAssignment.theme_id).where(ThemeAssignment.comment_id == school_comment.id)
    ).one()

    author = factories.make_user(session)
    comment = commenting.create_comment(
        session,
        author=author,
        round_id=seeded.round.id,
        target=Target(key="document"),
        kind="comment",
        body="Skolan behöver fler lärare, lärarbristen i skolan är stor.",
        submission_key=uuid.uuid4().hex,
        now=now.get(),
        max_chars=5000,
    )
    placed()

    tag = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == comment.id)
    ).one()
    assert tag.after_analysis is True
    assert tag.theme_id == school_theme
    assert tag.assigned_at == now.get()
    # Read like the run's comments, so the drill-down's language and stance filters find it.
    reading = session.scalars(
        select(AnalysedComment).where(AnalysedComment.comment_id == comment.id)
    ).one()
    assert reading.language == "sv"


def test_a_comment_in_a_round_never_analysed_gets_no_theme(app, session, seeded, now, placed):
    comment = commenting.create_comment(
        session,
        author=factories.make_user(session),
        round_id=seeded.round.id,
        target=Target(key="document"),
        kind="comment",
        body="Skolan behöver fler lärare.",
        submission_key=uuid.uuid4().hex,
        now=now.get(),
        max_chars=5000,
    )
    placed()
    assert comment.id is not None
    assert session.scalar(select(func.count(ThemeAssignment.id))) == 0


def test_a_comment_approved_by_a_moderator_is_placed_once(app, session, seeded, now, placed):
    jobs.run(session, start(session, seeded).id)
    pending = factories.make_comment(
        session,
        seeded.round,
        factories.make_user(session),
        body="Skolan behöver fler lärare, lärarbristen i skolan är stor.",
        status=CommentStatus.PENDING,
    )

    decisions.approve(session, seeded.staff, pending.id, now=now.get())
    placed()
    decisions.hide(session, seeded.staff, pending.id, reason="off_topic", now=now.get())
    decisions.unhide(session, seeded.staff, pending.id, now=now.get())
    placed()

    tags = session.scalars(
        select(ThemeAssignment).where(ThemeAssignment.comment_id == pending.id)
    ).all()
    assert len(tags) == 1 and tags[0].after_analysis is True


# Redis / RQ


@pytest.fixture
def rq_app(database_url, now):
    """An app whose jobs go to a fresh RQ queue on the local Redis."""
    from consult import create_app

    from .conftest import CsrfClient, empty_tables

    connection = local_redis.connect_or_skip("redis://127.0.0.1:6379/0")
    name = f"consult-analysis-test-{uuid.uuid4().hex}"
    app = create_app(
        make_config(
            database_url, ANALYSIS_REDIS_URL="redis://127.0.0.1:6379/0", ANALYSIS_QUEUE=name
        )
    )
    app.test_client_class = CsrfClient
    yield app
    from rq import Queue

    Queue(name, connection=connection).delete(delete_jobs=True)
    empty_tables(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


def _work(app):
    from rq import SimpleWorker

    with app.app_context():
        rq_queue = queue.rq_queue(app)
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)


def test_on_redis_a_started_job_waits_for_the_worker_then_finishes(rq_app):
    from consult import db

    with rq_app.app_context():
        session = db.get_session()
        seeded = seed_round(
            session,
            factories.make_round(
                session,
                opens_at=clock.now() - timedelta(days=1),
                closes_at=clock.now() + timedelta(days=1),
            ),
        )
        job = start(session, seeded)
        queue.dispatch(rq_app, job.id)
        assert queue.rq_queue(rq_app).count == 1
        assert reload(session, job).status == AnalysisStatus.QUEUED

        _work(rq_app)

        done = reload(session, job)
        assert done.status == AnalysisStatus.DONE
        assert done.comment_count == len(seeded.comments)
        assert current_themes(session, seeded.round.id)


def test_on_redis_a_failing_job_is_recorded_as_failed(rq_app, monkeypatch):
    from consult import db

    def broken(texts, **kwargs):
        raise ValueError("no themes today")

    monkeypatch.setattr(jobs.nlp, "discover_themes", broken)
    with rq_app.app_context():
        session = db.get_session()
        seeded = seed_round(
            session,
            factories.make_round(
                session,
                opens_at=clock.now() - timedelta(days=1),
                closes_at=clock.now() + timedelta(days=1),
            ),
        )
        job = start(session, seeded)
        queue.dispatch(rq_app, job.id)
        _work(rq_app)

        failed = reload(session, job)
        assert failed.status == AnalysisStatus.FAILED
        assert failed.error == "ValueError: no themes today"
        assert current_themes(session, seeded.round.id) == []


def test_postgresql_plans_on_the_new_sizes_as_soon_as_an_analysis_is_saved(session, seeded):
    # Autovacuum may be a minute away (or off): planned on stale sizes, a theme's page of a
    # large round took minutes.
    if session.bind.dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    started = session.scalar(text("SELECT clock_timestamp()"))
    job = start(session, seeded)
    jobs.run(session, job.id)
    assert reload(session, job).status == AnalysisStatus.DONE
    session.execute(text("SELECT pg_stat_clear_snapshot()"))
    for table in ("comment", "theme_assignment", "analysed_comment"):
        analysed_at = session.scalar(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
        )
        assert analysed_at is not None and analysed_at >= started, table
