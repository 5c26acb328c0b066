"""The agreement figure: micro-F1 of the model against staff on reviewed comments."""

from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import select

from consult import clock
from consult.analysis import agreement, board, corrections, themes
from consult.models import Theme, ThemeAssignment

# The pure function


def test_perfect_agreement_is_one():
    pairs = [({1}, {1}), ({1, 2}, {1, 2}), ({3}, {3})]
    result = agreement.agreement(pairs)
    assert (result.n, result.f1, result.low, result.high) == (3, 1.0, 1.0, 1.0)


def test_disjoint_tags_are_zero():
    result = agreement.agreement([({1}, {2}), ({3}, {4, 5}), ({1, 2}, set())])
    assert (result.f1, result.low, result.high) == (0.0, 0.0, 0.0)


def test_a_known_partial_case():
    # tp = 1 + 1 = 2, fp = 1 (theme 2), fn = 1 (theme 4): F1 = 4 / 6.
    pairs = [({1, 2}, {1}), ({3}, {3, 4})]
    assert agreement.micro_f1(pairs) == pytest.approx(2 / 3)
    assert agreement.agreement(pairs).f1 == pytest.approx(2 / 3)


def _mixed(n: int, seed: int = 1):
    """Return ``n`` pairs where the model is right about two times in three."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        staff = {rng.randrange(5)}
        model = set(staff) if rng.random() < 2 / 3 else {rng.randrange(5, 8)}
        pairs.append((model, staff))
    return pairs


def test_the_interval_holds_the_estimate_and_narrows_with_more_comments():
    small, large = agreement.agreement(_mixed(20)), agreement.agreement(_mixed(800))
    for result in (small, large):
        assert 0.0 <= result.low <= result.f1 <= result.high <= 1.0
        assert result.low < result.high
    assert large.high - large.low < (small.high - small.low) / 2


def test_the_interval_is_reproducible():
    pairs = _mixed(50)
    assert agreement.agreement(pairs) == agreement.agreement(pairs)


def test_no_pairs_and_too_few_pairs_give_no_figure():
    empty = agreement.agreement([])
    assert (empty.n, empty.f1, empty.enough) == (0, None, False)
    assert not agreement.agreement([({1}, {1})] * (agreement.MIN_REVIEWED - 1)).enough
    assert agreement.agreement([({1}, {1})] * agreement.MIN_REVIEWED).enough


# The query on a seeded round


def _single_tagged(session, seeded) -> list[tuple[int, int]]:
    """Return (comment id, theme id) of the seeded comments with exactly one live tag."""
    found = []
    for comment in seeded.comments:
        tags = list(
            session.scalars(
                select(ThemeAssignment.theme_id).where(
                    ThemeAssignment.comment_id == comment.id,
                    ThemeAssignment.removed_at.is_(None),
                )
            )
        )
        if len(tags) == 1:
            found.append((comment.id, tags[0]))
    return found


def _another_theme(session, round_id: int, *not_ids: int) -> int:
    return session.scalars(
        select(Theme.id)
        .where(Theme.round_id == round_id, Theme.retired_at.is_(None), Theme.id.not_in(not_ids))
        .order_by(Theme.id)
    ).first()


def test_the_query_pairs_the_models_tags_with_staffs_on_reviewed_comments(session, analysed):
    round_id, staff, now = analysed.round.id, analysed.staff, clock.now()
    assert agreement.reviewed_pairs(session, round_id) == []
    (c0, t0), (c1, t1), (c2, t2), (c3, _t3) = _single_tagged(session, analysed)[:4]

    corrections.confirm_tag(session, staff, round_id, c0, t0, now=now)
    moved_to = _another_theme(session, round_id, t1)
    corrections.move_tag(
        session, staff, round_id, c1, from_theme_id=t1, to_theme_id=moved_to, now=now
    )
    added = _another_theme(session, round_id, t2)
    corrections.add_tag(session, staff, round_id, c2, added, now=now)

    pairs = agreement.reviewed_pairs(session, round_id)
    assert pairs == [
        ({t0}, {t0}),  # confirmed
        ({t1}, {moved_to}),  # moved: the model's removed tag still counts as the model's
        ({t2}, {t2, added}),  # a tag added beside the model's
    ]
    # c3 was not reviewed; tp = 2, fp = 1, fn = 2.
    result = agreement.for_round(session, round_id)
    assert result.n == 3 and result.f1 == pytest.approx(4 / 7)
    assert not result.enough
    assert board.build(session, staff, round_id).agreement == result


def test_a_merge_alone_is_no_review_of_the_merged_comments(session, analysed):
    round_id, staff, now = analysed.round.id, analysed.staff, clock.now()
    (c0, t0), *rest = _single_tagged(session, analysed)
    other = next(t for _c, t in rest if t != t0)
    corrections.confirm_tag(session, staff, round_id, c0, t0, now=now)
    target = session.get(Theme, t0)

    themes.merge_themes(
        session, staff, round_id, t0, others=[other], version=target.version, now=now
    )

    # Only the comment staff confirmed counts; the merged theme's comments were not judged.
    assert agreement.for_round(session, round_id).n == 1


# The board


def _agreement_text(page: str) -> str:
    match = re.search(r'<p class="agreement" id="agreement">(.*?)</p>', page, re.S)
    assert match, "the board shows no agreement figure"
    return " ".join(match.group(1).split())


def test_the_board_says_too_few_below_the_minimum(client, auth, session, analysed):
    round_id = analysed.round.id
    for comment_id, theme_id in _single_tagged(session, analysed)[:3]:
        corrections.confirm_tag(
            session, analysed.staff, round_id, comment_id, theme_id, now=clock.now()
        )
    auth.login(analysed.staff)
    text = _agreement_text(client.get(f"/analys/omgang/{round_id}/").get_data(as_text=True))
    assert "F1" not in text
    assert "3" in text and "10" in text


def test_the_board_shows_f1_interval_and_n(client, auth, session, analysed):
    round_id = analysed.round.id
    tagged = _single_tagged(session, analysed)
    assert len(tagged) >= 12
    for comment_id, theme_id in tagged[:10]:
        corrections.confirm_tag(
            session, analysed.staff, round_id, comment_id, theme_id, now=clock.now()
        )
    comment_id, theme_id = tagged[10]
    corrections.move_tag(
        session,
        analysed.staff,
        round_id,
        comment_id,
        from_theme_id=theme_id,
        to_theme_id=_another_theme(session, round_id, theme_id),
        now=clock.now(),
    )
    expected = agreement.for_round(session, round_id)
    assert expected.n == 11 and expected.enough

    auth.login(analysed.staff)
    text = _agreement_text(client.get(f"/analys/omgang/{round_id}/").get_data(as_text=True))
    assert "F1" in text and "n = 11" in text
    assert re.search(r"F1 0[,.]\d\d .*95.*0[,.]\d\d–[01][,.]\d\d", text), text
