"""A large synthetic round for timing the analysis pages: the demo draft and N comments.

The comments recombine sentences of the demo comments, written by a few hundred synthetic
participants across every stakeholder category. Rows go in with bulk inserts, a batch at a
time. Loading is idempotent: a second load finds the consultation and changes nothing.
"""

from __future__ import annotations

import random
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .. import sanitise
from ..db import refresh_statistics
from ..models import (
    Category,
    ClaimStatus,
    Comment,
    CommentKind,
    CommentStatus,
    Consultation,
    NameShown,
    Organisation,
    Role,
    Round,
    Stance,
    User,
    utcnow,
)
from . import (
    FIRST_NAMES,
    LAST_NAMES,
    VASTERBOTTEN,
    _organisations,
    _read_json,
    _targets,
    open_demo_round,
)

SLUG = "rus-vasterbotten-2030-stor"
TITLE = "Regional utvecklingsstrategi för Västerbottens län 2020–2030 (stor testomgång)"
SUMMARY = "En syntetisk remissomgång med många synpunkter, för att mäta analysens sidor."
DOMAIN = "stor.demo.consult.example"
BATCH = 5000
HOME = VASTERBOTTEN
# Most show their full name; every fourth the initial form, every fourth nothing.
NAME_FORMS = (NameShown.FULL, NameShown.INITIAL, NameShown.FULL, NameShown.HIDDEN)
SENTENCE = re.compile(r"(?<=[.!?])\s+")


def participant_count(comments: int) -> int:
    """A few hundred participants for a large round, fewer for a small one."""
    return max(20, min(400, comments // 100))


def exists(session: Session) -> bool:
    """Whether the large round is already loaded."""
    return session.scalar(select(Consultation.id).where(Consultation.slug == SLUG)) is not None


def load(session: Session, now: datetime, comments: int, seed: int = 0) -> bool:
    """Load the large consultation with ``comments`` published comments; False if there."""
    if exists(session):
        return False
    rng = random.Random(seed)
    organisations = list(_organisations(session).values())
    people = _participants(session, organisations, participant_count(comments), rng)
    admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))

    round_, document = open_demo_round(session, SLUG, TITLE, SUMMARY, admin, now)
    session.flush()
    targets = _targets(session, document.id)
    entries = [
        e
        for e in _read_json("comments.json")["comments"]
        if not e.get("proposed_text") and e["target"] in targets
    ]
    sentences = [
        [s for s in SENTENCE.split(e["text"].strip()) if s] or [e["text"]] for e in entries
    ]
    span = (now - round_.opens_at).total_seconds()
    batch: list[dict] = []
    for _ in range(comments):
        i = rng.randrange(len(entries))
        entry, own = entries[i], sentences[i]
        # The entry's first sentence keeps the topic; one or two borrowed sentences vary it.
        parts = [own[0]] + rng.sample(own[1:], min(len(own) - 1, rng.randint(0, 2)))
        for _ in range(rng.randint(0, 2)):
            parts.append(rng.choice(rng.choice(sentences)))
        body = sanitise.normalise_text(" ".join(parts))
        paragraph, section = targets[entry["target"]]
        author = rng.choice(people)
        when = now - timedelta(seconds=rng.uniform(0, span))
        batch.append(
            {
                "round_id": round_.id,
                "paragraph_id": paragraph.id if paragraph else None,
                "section_id": section.id if section else None,
                "parent_id": None,
                **Comment.written_by(author),
                "kind": CommentKind(entry["kind"]),
                "stance": Stance(entry["stance"]) if entry.get("stance") else None,
                "body": body,
                "body_html": sanitise.comment_html(body),
                "proposed_text": None,
                "proposal_diff": None,
                "status": CommentStatus.PUBLISHED,
                "submission_key": secrets.token_hex(16),
                "agreement_count": 0,
                "open_report_count": 0,
                "created_at": when,
                "updated_at": when,
            }
        )
        if len(batch) >= BATCH:
            session.execute(insert(Comment), batch)
            batch = []
    if batch:
        session.execute(insert(Comment), batch)
    session.commit()
    refresh_statistics(session, Comment)
    return True


def comment_count(session: Session) -> int:
    """The number of comments in the large round (0 if it is not loaded)."""
    return session.scalar(
        select(func.count())
        .select_from(Comment)
        .join(Round, Comment.round_id == Round.id)
        .join(Consultation, Round.consultation_id == Consultation.id)
        .where(Consultation.slug == SLUG)
    )


def _participants(
    session: Session, organisations: list[Organisation], count: int, rng: random.Random
) -> list[User]:
    """Synthetic participants in every category, with unusable passwords."""
    unusable = generate_password_hash(secrets.token_hex(16), method="scrypt:1024:8:1")
    by_category: dict[Category, list[Organisation]] = {}
    for organisation in organisations:
        by_category.setdefault(organisation.category, []).append(organisation)
    categories = list(Category)
    users = []
    for i in range(count):
        category = categories[i % len(categories)]
        choices = by_category.get(category, [])
        organisation = rng.choice(choices) if choices else None
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = LAST_NAMES[(i // len(FIRST_NAMES) + i) % len(LAST_NAMES)]
        users.append(
            User(
                email=f"deltagare-{i + 1}@{DOMAIN}",
                display_name=f"{first} {last}",
                password_hash=unusable,
                category=category,
                organisation=organisation,
                organisation_claim=ClaimStatus.VERIFIED,
                email_confirmed_at=utcnow(),
                # Private individuals live somewhere in the county; some hide their name.
                municipality=HOME[i % len(HOME)] if category == Category.INDIVIDUAL else None,
                name_shown=NAME_FORMS[(i // len(categories)) % len(NAME_FORMS)],
            )
        )
    session.add_all(users)
    session.flush()
    return users
