"""Saving an analysis: the engine's reading written as themes, tags and campaign groups in
one transaction, keeping what staff did (see ``save``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

import nlp

from ..models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    AuditEntry,
    CampaignGroup,
    Origin,
    RetiredReason,
    Synthesis,
    Theme,
    ThemeAssignment,
)
from . import stored, training
from .naming import Names
from .selection import comment_text

THEME_NAME_MAX = 200
# A new cluster takes over an old theme when they share this much (see ``match``).
MATCH_JACCARD = 0.3
MATCH_SHARE = 0.5


class Superseded(Exception):
    """The job is no longer running (cancelled, given up as dead): its results are not saved."""


@dataclass
class Reading:
    """What the engine made of a round's comments."""

    comment_ids: list[int]
    campaigns: list[list[int]]  # index lists, one per campaign
    model: nlp.ThemeModel
    stances: list[str]
    languages: list[str]
    # Trained on staff's confirmed tags (see ``training``); None when there are too few.
    tagger: nlp.ThemeTagger | None = None


def theme_name(label: str) -> str:
    """Return an engine label as a theme name: one line, no control characters, bounded."""
    name = re.sub(r"\s+", " ", "".join(c for c in label if c.isprintable() or c.isspace()))
    return name.strip()[:THEME_NAME_MAX] or "–"


@dataclass
class StaffWork:
    """What staff did to the round's themes and tags before the run saves, which it keeps."""

    touched: Touched  # the current themes staff renamed, described, wrote for or tagged
    kept_tags: set[int]  # comments with a live tag staff made or confirmed
    refused: set[tuple[int, int]]  # (comment, theme) pairs whose tag staff removed


@dataclass
class Pairing:
    """How the run's clusters meet the current themes (see ``_pair``)."""

    previous: dict[int, tuple[Theme, set[int]]]  # current theme id -> (theme, its comments)
    matched: dict[int, int]  # cluster position -> current theme it continues
    redirected: dict[int, int | None]  # cluster position -> theme merged into, None if deleted
    split_clusters: dict[int, int]  # cluster position -> the theme staff split, found again

    def renewed(self) -> set[int]:
        """The current themes this run tags: found again, or taking a merged theme's cluster."""
        return set(self.matched.values()) | {i for i in self.redirected.values() if i is not None}


def save(session: Session, job: Analysis, comments, reading: Reading, when: datetime) -> None:
    """Write the reading as themes, tags and campaign groups, keeping staff's work.

    Each theme the engine found is matched to the current theme (the engine's or one staff
    made, split off or merged into) it shares the most comments with (see ``match``). A
    matched theme keeps its id, description, synthesis and the name staff gave it (a name
    staff never changed follows the engine's new label; themes staff made keep theirs); its
    model tags are replaced by the new run's, while tags staff made or confirmed stay. A
    theme found again that matches a theme staff merged (by the comments it had) goes into
    the theme it was merged into, and one that matches a theme staff deleted is dropped (its
    comments stay without a theme): see ``_pair``. Old engine themes that no new theme
    matches are retired, unless staff have worked on them; staff's themes are never retired.
    With a tagger trained on staff's tags (``reading.tagger``), unreviewed comments are
    steered as ``training`` describes, and the map of found themes to themes is saved for
    placing new comments.

    The steps, in order, each a function of its own: claim the finish, save the campaigns,
    pair the clusters with the current themes, note staff's work, retire the unmatched, save
    the themes, renew their model tags, choose each comment's theme, save the tags,
    save the readings, and mark the job done.
    """
    _claim_finish(session, job, when)
    campaign_of = _save_campaigns(session, job, reading)
    pairing = _pair_clusters(session, job.round_id, reading)
    staff = _staff_work(session, job.round_id, list(pairing.previous))
    # Retired first, so that their names are free for the themes found now (see naming).
    _retire_unmatched(session, pairing, staff, when)
    themes = _save_themes(session, job, reading, pairing, staff, campaign_of, when)
    _renew_tags(session, pairing, when)
    session.flush()
    job.theme_map = json.dumps(
        {
            str(position): theme.id if theme is not None else None
            for position, theme in enumerate(themes)
        }
    )
    chosen = _choose_themes(session, job, comments, reading, themes, pairing, staff)
    _save_tags(session, reading.comment_ids, chosen, staff, when)
    _save_readings(session, job, reading, campaign_of)
    _finish(job, reading, when)


def _claim_finish(session: Session, job: Analysis, when: datetime) -> None:
    """Mark the job done in this transaction, or raise Superseded if it no longer runs.

    Claimed first: a job given up or cancelled while the engine ran (and perhaps followed by
    a new job) must not overwrite the round's themes. On PostgreSQL the row stays locked
    until commit, so it cannot be given up meanwhile.
    """
    finished = session.execute(
        update(Analysis)
        .where(Analysis.id == job.id, Analysis.status == AnalysisStatus.RUNNING)
        .values(status=AnalysisStatus.DONE, updated_at=when)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not finished:
        raise Superseded()


def _save_campaigns(session: Session, job: Analysis, reading: Reading) -> dict[int, CampaignGroup]:
    """Add a campaign group per campaign; return {comment index: its group}."""
    ids = reading.comment_ids
    campaign_of: dict[int, CampaignGroup] = {}
    for members in reading.campaigns:
        group = CampaignGroup(analysis_id=job.id, comment_id=ids[members[0]], size=len(members))
        session.add(group)
        for index in members:
            campaign_of[index] = group
    return campaign_of


def _pair_clusters(session: Session, round_id: int, reading: Reading) -> Pairing:
    """Pair each cluster the engine found with the current theme it continues, if any."""
    ids = reading.comment_ids
    members_of: dict[int, set[int]] = {}
    for index, theme in enumerate(reading.model.assignments):
        if theme >= 0:
            members_of.setdefault(int(theme), set()).add(ids[index])
    clusters = {
        position: members_of.get(position, set()) for position in range(len(reading.model.themes))
    }
    previous = _previous_themes(session, round_id)
    matched, redirected, split_clusters = _pair(session, round_id, previous, clusters)
    return Pairing(previous, matched, redirected, split_clusters)


def _staff_work(session: Session, round_id: int, theme_ids: list[int]) -> StaffWork:
    """Note what staff did, before this run changes any theme or tag."""
    return StaffWork(
        _touched(session, round_id, theme_ids),
        _kept_tags(session, round_id),
        _removed_by_staff(session, round_id),
    )


def _save_themes(
    session: Session,
    job: Analysis,
    reading: Reading,
    pairing: Pairing,
    staff: StaffWork,
    campaign_of: dict[int, CampaignGroup],
    when: datetime,
) -> list[Theme | None]:
    """Add or update a theme per cluster; return them by cluster position.

    A cluster redirected to a theme staff merged it into gives that theme; one staff deleted
    gives None.
    """
    ids = reading.comment_ids
    names = Names(session, job.round_id)
    themes: list[Theme | None] = []
    for position, found in enumerate(reading.model.themes):
        if position in pairing.redirected:
            # Staff merged this theme into another (its comments go there) or deleted it
            # (its comments stay without a theme): it does not come back.
            target = pairing.redirected[position]
            themes.append(pairing.previous[target][0] if target is not None else None)
            continue
        representatives = _representatives(found.representatives, campaign_of, ids)
        values = {
            "analysis_id": job.id,
            "model_index": position,
            "keywords": json.dumps(found.keywords, ensure_ascii=False),
            "terms": json.dumps(found.terms, ensure_ascii=False),
            "representative_ids": json.dumps(representatives),
            "position": position,
        }
        old_id = pairing.matched.get(position)
        if old_id is None:
            theme = Theme(
                round_id=job.round_id,
                name=names.claim(theme_name(found.label)),
                description=found.description,
                origin=Origin.MODEL,
                created_at=when,
                **values,
            )
            session.add(theme)
        else:
            theme = pairing.previous[old_id][0]
            if theme.origin == Origin.MODEL:
                engine = {}
                if old_id not in staff.touched.renamed:
                    engine["name"] = names.claim(theme_name(found.label), old_id)
                if old_id not in staff.touched.described:
                    engine["description"] = found.description
                engine = {k: v for k, v in engine.items() if getattr(theme, k) != v}
                if engine:
                    # A change staff with the form open must see (version).
                    values.update(engine, version=Theme.version + 1)
            session.execute(update(Theme).where(Theme.id == old_id).values(**values))
        themes.append(theme)
    return themes


def _retire_unmatched(
    session: Session, pairing: Pairing, staff: StaffWork, when: datetime
) -> None:
    """Retire the old engine themes no cluster continues and staff left alone."""
    renewed = pairing.renewed()
    retiring = [
        i
        for i, (theme, _) in pairing.previous.items()
        if i not in renewed and i not in staff.touched.any and theme.origin == Origin.MODEL
    ]
    _retire(session, retiring, when)


def _renew_tags(session: Session, pairing: Pairing, when: datetime) -> None:
    """End the model tags of the themes this run tags, once each; tags staff made or
    confirmed stay."""
    renewed = pairing.renewed()
    if renewed:
        session.execute(
            update(ThemeAssignment)
            .where(
                ThemeAssignment.theme_id.in_(sorted(renewed)),
                ThemeAssignment.removed_at.is_(None),
                ThemeAssignment.source == Origin.MODEL,
                ThemeAssignment.confirmed_at.is_(None),
            )
            .values(removed_at=when)
        )


def _choose_themes(
    session: Session,
    job: Analysis,
    comments,
    reading: Reading,
    themes: list[Theme | None],
    pairing: Pairing,
    staff: StaffWork,
) -> list[int | None]:
    """Return each comment's theme id (or None): the engine's; a split theme's unreviewed
    comments shared out between its parts; steered by the tagger trained on staff's
    corrections when there is one (see ``training``), which is saved with the job."""
    ids = reading.comment_ids
    chosen = [
        themes[theme].id if theme >= 0 and themes[theme] is not None else None
        for theme in reading.model.assignments
    ]
    # A theme staff split, found again: its unreviewed comments go to the parts.
    training.share_out(
        session,
        pairing.split_clusters,
        reading.model.assignments,
        comments,
        staff.kept_tags,
        chosen,
    )
    if reading.tagger is None:
        return chosen
    open_ = [i for i, comment_id in enumerate(ids) if comment_id not in staff.kept_tags]
    current = set(
        session.scalars(
            select(Theme.id).where(Theme.round_id == job.round_id, Theme.retired_at.is_(None))
        )
    )
    steered = training.steer(
        reading.tagger,
        [comment_text(comments[i]) for i in open_],
        [chosen[i] for i in open_],
        current,
    )
    for i, theme_id in zip(open_, steered, strict=True):
        chosen[i] = theme_id
    job.tagger_file = stored.to_bytes(reading.tagger)
    return chosen


def _save_tags(
    session: Session,
    ids: list[int],
    chosen: list[int | None],
    staff: StaffWork,
    when: datetime,
) -> None:
    """Tag each comment with its chosen theme, unless staff already decided about it."""
    tags = []
    for index, theme_id in enumerate(chosen):
        if theme_id is None:
            continue
        comment_id = ids[index]
        # Staff's word on a comment wins: a comment staff tagged or confirmed is not re-tagged
        # by the engine, nor put back in a theme staff took it out of.
        if comment_id in staff.kept_tags or (comment_id, theme_id) in staff.refused:
            continue
        tags.append(
            {
                "comment_id": comment_id,
                "theme_id": theme_id,
                "source": Origin.MODEL,
                "assigned_at": when,
            }
        )
    if tags:
        session.execute(insert(ThemeAssignment), tags)


def _save_readings(
    session: Session, job: Analysis, reading: Reading, campaign_of: dict[int, CampaignGroup]
) -> None:
    """Store what the run read in each comment: its campaign, stance and language."""
    rows = [
        {
            "analysis_id": job.id,
            "comment_id": comment_id,
            "campaign_id": campaign_of[index].id if index in campaign_of else None,
            "stance": reading.stances[index],
            "language": reading.languages[index],
        }
        for index, comment_id in enumerate(reading.comment_ids)
    ]
    session.execute(insert(AnalysedComment), rows)


def _finish(job: Analysis, reading: Reading, when: datetime) -> None:
    """Store the model and the figures on the job, and mark it done."""
    job.model_file = stored.to_bytes(reading.model)
    job.comment_count = len(reading.comment_ids)
    job.status = AnalysisStatus.DONE
    job.progress = 100
    job.message = "done"
    job.finished_at = when
    job.updated_at = when


def match(old: dict[int, set[int]], new: dict[int, set[int]]) -> dict[int, int]:
    """Pair new clusters with old themes by shared comments; return {new position: old id}.

    One-to-one, best overlap first. A pair counts only if the two share enough comments: a
    Jaccard index of at least MATCH_JACCARD, or at least MATCH_SHARE of the new cluster.
    """
    pairs = []
    for position, members in new.items():
        for theme_id, tagged in old.items():
            shared = len(members & tagged)
            if not shared:
                continue
            jaccard = shared / len(members | tagged)
            if jaccard >= MATCH_JACCARD or shared >= MATCH_SHARE * len(members):
                pairs.append((-jaccard, -shared, position, theme_id))
    pairs.sort()
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, position, theme_id in pairs:
        if position not in matched and theme_id not in taken:
            matched[position] = theme_id
            taken.add(theme_id)
    return matched


@dataclass
class Touched:
    """The current model themes staff have worked on."""

    renamed: set[int]
    described: set[int]
    any: set[int]


def _previous_themes(session: Session, round_id: int) -> dict[int, tuple[Theme, set[int]]]:
    """Return the round's current themes (the engine's and staff's), each with its comments."""
    themes = session.scalars(
        select(Theme).where(Theme.round_id == round_id, Theme.retired_at.is_(None))
    ).all()
    found = {theme.id: (theme, set()) for theme in themes}
    if found:
        rows = session.execute(
            select(ThemeAssignment.theme_id, ThemeAssignment.comment_id).where(
                ThemeAssignment.theme_id.in_(list(found)), ThemeAssignment.removed_at.is_(None)
            )
        )
        for theme_id, comment_id in rows:
            found[theme_id][1].add(comment_id)
    return found


def _pair(
    session: Session,
    round_id: int,
    previous: dict[int, tuple[Theme, set[int]]],
    clusters: dict[int, set[int]],
) -> tuple[dict[int, int], dict[int, int | None], dict[int, int]]:
    """Pair the new clusters with the current themes and with the themes staff retired.

    Returns ({position: current theme id}, {position: current theme id or None},
    {position: split theme id}). The clusters are matched (see ``match``, one-to-one)
    against the current themes and, on an equal footing, against the comments each theme
    staff merged, split or deleted had before. A cluster paired with a merged theme goes to
    the current theme it was merged into (its comments are now there, so it must not come
    back beside it nor take that theme's place); one paired with a deleted theme, or with a
    theme merged into one later deleted, gets None: its comments stay without a theme. One
    paired with a split theme gets None too, and is named in the third map: its comments
    are shared out between the parts (``training.distribute``).
    """
    DELETED, MERGED, SPLIT = RetiredReason.DELETED, RetiredReason.MERGED, RetiredReason.SPLIT

    gone = {
        theme.id: theme
        for theme in session.scalars(
            select(Theme).where(
                Theme.round_id == round_id,
                Theme.retired_reason.in_([MERGED, DELETED, SPLIT]),
            )
        )
    }
    former: dict[int, set[int]] = {theme_id: set() for theme_id in gone}
    if gone:
        rows = session.execute(
            select(ThemeAssignment.theme_id, ThemeAssignment.comment_id).where(
                ThemeAssignment.theme_id.in_(list(gone))
            )
        )
        for theme_id, comment_id in rows:
            former[theme_id].add(comment_id)
    paired = match({**{i: tags for i, (_, tags) in previous.items()}, **former}, clusters)
    matched = {position: i for position, i in paired.items() if i in previous}
    redirected: dict[int, int | None] = {}
    split_clusters: dict[int, int] = {}
    for position, theme_id in paired.items():
        if theme_id in gone:
            theme = gone[theme_id]
            for _ in range(len(gone)):  # follow later merges (never a cycle)
                if theme.retired_reason != MERGED or theme.merged_into_id not in gone:
                    break
                theme = gone[theme.merged_into_id]
            if theme.retired_reason == DELETED:
                redirected[position] = None
            elif theme.retired_reason == SPLIT:
                redirected[position] = None
                split_clusters[position] = theme.id
            elif theme.merged_into_id in previous:
                redirected[position] = theme.merged_into_id
            # Merged into a theme since replaced by a run: found as a new theme.
    return matched, redirected, split_clusters


def _touched(session: Session, round_id: int, theme_ids: list[int]) -> Touched:
    """Find which of ``theme_ids`` staff renamed, described, wrote a synthesis for or tagged."""
    if not theme_ids:
        return Touched(set(), set(), set())
    renamed, described = set(), set()
    edits = session.execute(
        select(AuditEntry.object_id, AuditEntry.after).where(
            AuditEntry.action == "theme.edit",
            AuditEntry.object_type == Theme.__tablename__,
            AuditEntry.object_id.in_(theme_ids),
        )
    )
    for theme_id, after in edits:
        edited = json.loads(after or "{}")
        if "name" in edited:
            renamed.add(theme_id)
        if "description" in edited:
            described.add(theme_id)
    written = session.scalars(select(Synthesis.theme_id).where(Synthesis.theme_id.in_(theme_ids)))
    tagged = session.scalars(
        select(ThemeAssignment.theme_id)
        .where(
            ThemeAssignment.theme_id.in_(theme_ids),
            ThemeAssignment.removed_at.is_(None),
            or_(ThemeAssignment.source == Origin.STAFF, ThemeAssignment.confirmed_at.is_not(None)),
        )
        .distinct()
    )
    return Touched(renamed, described, renamed | described | set(written) | set(tagged))


def _kept_tags(session: Session, round_id: int) -> set[int]:
    """Return the comments of the round with a live tag that staff made or confirmed."""
    return set(
        session.scalars(
            select(ThemeAssignment.comment_id)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(
                Theme.round_id == round_id,
                Theme.retired_at.is_(None),
                ThemeAssignment.removed_at.is_(None),
                or_(
                    ThemeAssignment.source == Origin.STAFF,
                    ThemeAssignment.confirmed_at.is_not(None),
                ),
            )
        )
    )


def _removed_by_staff(session: Session, round_id: int) -> set[tuple[int, int]]:
    """Return the (comment, theme) pairs of the round whose tag staff removed."""
    return set(
        (comment_id, theme_id)
        for comment_id, theme_id in session.execute(
            select(ThemeAssignment.comment_id, ThemeAssignment.theme_id)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(Theme.round_id == round_id, ThemeAssignment.removed_by_id.is_not(None))
        )
    )


def _representatives(indices, campaign_of, ids) -> list[int]:
    """Return the comment ids of a theme's typical texts, one per campaign."""
    chosen, seen = [], set()
    for index in indices:
        group = campaign_of.get(index)
        key = ("campaign", id(group)) if group is not None else ("comment", index)
        if key not in seen:
            seen.add(key)
            chosen.append(ids[index])
    return chosen


def _retire(session: Session, theme_ids: list[int], when: datetime) -> None:
    # Tags on a retired theme are kept as history but no longer count.
    if not theme_ids:
        return
    session.execute(
        update(ThemeAssignment)
        .where(ThemeAssignment.theme_id.in_(theme_ids), ThemeAssignment.removed_at.is_(None))
        .values(removed_at=when)
    )
    session.execute(
        update(Theme)
        .where(Theme.id.in_(theme_ids))
        .values(retired_at=when, retired_reason=RetiredReason.RERUN, version=Theme.version + 1)
    )
