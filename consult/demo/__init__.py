"""The demo consultation: a draft regional development strategy with realistic comments.

The texts live in ``data/`` (written for this project); this module turns them into rows.
Loading is idempotent: a second load finds the consultation and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .. import clock, sanitise
from ..auth.services import organisation_key
from ..consultations.diff import word_diff
from ..consultations.importer import import_markdown
from ..models import (
    Agreement,
    Category,
    ClaimStatus,
    Comment,
    CommentKind,
    CommentStatus,
    Consultation,
    Document,
    ModerationMode,
    NameShown,
    Organisation,
    Paragraph,
    Role,
    Round,
    Section,
    Stance,
    User,
    utcnow,
)
from ..people import municipalities

DATA = Path(__file__).parent / "data"
VASTERBOTTEN = municipalities.home()
SLUG = "rus-vasterbotten-2030"
TITLE = "Regional utvecklingsstrategi för Västerbottens län 2020–2030"
SUMMARY = (
    "Region Västerbotten har tagit fram ett förslag till ny regional utvecklingsstrategi "
    "tillsammans med kommuner, näringsliv, akademi, civilsamhälle och statliga myndigheter. "
    "Lämna synpunkter på hela förslaget, på ett kapitel eller på enskilda stycken."
)
DEMO_DOMAIN = "demo.consult.example"
# The contact person each demo consultation shows.
DEMO_CONTACT = ("Karin Wikström, Region Västerbotten", f"samrad@{DEMO_DOMAIN}")
PRE_VERIFIED = (Category.MUNICIPALITY, Category.REGION, Category.STATE_AGENCY, Category.ACADEMIA)
DEMO_ACCOUNTS = [
    (f"admin@{DEMO_DOMAIN}", "demo-admin-2030", "admin"),
    (f"handlaggare@{DEMO_DOMAIN}", "demo-handlaggare-2030", "staff"),
    (f"deltagare@{DEMO_DOMAIN}", "demo-deltagare-2030", "participant"),
    # Secretary of the working group Trafik och infrastruktur (demo/process.py).
    (f"gruppmedlem@{DEMO_DOMAIN}", "demo-gruppmedlem-2030", "participant"),
]
# Each demo account's name and stakeholder category, by the first part of its address.
DEMO_PROFILES = {
    "admin": ("Demo Administratör", Category.REGION),
    "handlaggare": ("Demo Handläggare", Category.REGION),
    "deltagare": ("Demo Deltagare", Category.MUNICIPALITY),
    "gruppmedlem": ("Demo Gruppmedlem", Category.REGION),
}
FIRST_NAMES = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Elin",
    "Per",
    "Sara",
    "Nils",
    "Ida",
    "Olof",
    "Linnea",
    "Anders",
    "Emma",
    "Jonas",
    "Frida",
    "Mikael",
    "Hanna",
    "Sven",
    "Ebba",
    "Henrik",
    "Maja",
    "Gustav",
    "Sofia",
]
LAST_NAMES = [
    "Lindgren",
    "Nilsson",
    "Berg",
    "Holmström",
    "Lundberg",
    "Öberg",
    "Sandberg",
    "Marklund",
    "Forsberg",
    "Lindqvist",
    "Burman",
    "Granberg",
    "Strömberg",
    "Nordin",
]


def _read_json(name: str):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _round_dates(now: datetime) -> tuple[datetime, datetime]:
    """Open a month ago; close at 23:59:59 Stockholm time, six weeks from now."""
    closing_day = (now + timedelta(days=42)).astimezone(clock.STOCKHOLM).date()
    closes = datetime.combine(closing_day, time(23, 59, 59), tzinfo=clock.STOCKHOLM)
    return now - timedelta(days=30), closes


def load(session: Session, now: datetime) -> bool:
    """Load the demo consultation, its accounts and comments; False if already there."""
    existing = session.scalar(select(Consultation).where(Consultation.slug == SLUG))
    if existing is not None:
        from . import followup  # a demo loaded before the follow-up existed gets it now

        first = min(existing.rounds, key=lambda r: r.number)
        added = followup.load(session, first, first.document, existing.owner)
        session.commit()
        return added
    rng = random.Random(2030)
    organisations = _organisations(session)
    unusable = generate_password_hash(secrets.token_hex(16), method="scrypt:1024:8:1")
    accounts = _demo_accounts(session, organisations)
    people = _people(session, organisations, unusable)

    round_, document = open_demo_round(session, SLUG, TITLE, SUMMARY, accounts["admin"], now)
    opens_at = round_.opens_at
    targets = _targets(session, document.id)
    data = _read_json("comments.json")
    written = _comments(session, round_, targets, people, data["comments"], now, opens_at, rng)
    signatories = _signatories(session, unusable, max(len(c["texts"]) for c in data["campaigns"]))
    for campaign in data["campaigns"]:
        for person, text in zip(signatories, campaign["texts"], strict=False):
            written.append(
                _comment(
                    round_,
                    targets[campaign["target"]],
                    person,
                    campaign["kind"],
                    campaign.get("stance"),
                    text,
                    None,
                    _written_at(rng, now, opens_at, 3),
                )
            )
    session.add_all(written)
    session.flush()
    _agreements(session, written, data["comments"], list(people.values()), rng)
    from . import process  # the groups and events around the consultation

    process.load(session, round_, document, accounts, people, organisations, unusable, now)
    from . import followup  # the adopted strategy's goals, actions, indicators and reports

    followup.load(session, round_, document, accounts["admin"])
    session.commit()
    return True


def open_demo_round(
    session: Session, slug: str, title: str, summary: str, owner: User, now: datetime
) -> tuple[Round, Document]:
    """Add a consultation with one open, post-moderated round on the demo draft; return the
    round and its draft (paragraph keys derived from the slug, so a reload gives the same)."""
    opens_at, closes_at = _round_dates(now)
    consultation = Consultation(
        slug=slug,
        title=title,
        summary=summary,
        owner=owner,
        contact_name=DEMO_CONTACT[0],
        contact_email=DEMO_CONTACT[1],
    )
    round_ = Round(
        consultation=consultation,
        number=1,
        title="Remissomgång 1",
        opens_at=opens_at,
        closes_at=closes_at,
        moderation=ModerationMode.POST,
    )
    session.add_all([consultation, round_])
    counter = iter(range(1, 10_000))
    document = import_markdown(
        session,
        round_,
        (DATA / "strategy.md").read_text(encoding="utf-8"),
        title=title,
        new_key=lambda: hashlib.sha256(f"{slug}:{next(counter)}".encode()).hexdigest()[:12],
    )
    return round_, document


def _organisations(session: Session) -> dict[str, Organisation]:
    found = {}
    for entry in _read_json("organisations.json"):
        key = organisation_key(entry["name"])
        organisation = session.scalar(select(Organisation).where(Organisation.name_key == key))
        if organisation is None:
            organisation = Organisation(
                name=entry["name"], name_key=key, category=Category(entry["category"])
            )
            session.add(organisation)
        found[entry["name"]] = organisation
    session.flush()
    return found


def _first_of(organisations: dict[str, Organisation], category: Category) -> Organisation:
    return next(o for o in organisations.values() if o.category == category)


def _demo_accounts(session: Session, organisations) -> dict[str, User]:
    """The demo logins, by the first part of their address ("admin", "gruppmedlem" ...)."""
    made = {}
    for email, password, role in DEMO_ACCOUNTS:
        name = email.split("@")[0]
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            display_name, category = DEMO_PROFILES[name]
            user = User(
                email=email,
                display_name=display_name,
                password_hash=generate_password_hash(password),
                role=Role(role),
                category=category,
                organisation=_first_of(organisations, category),
                organisation_claim=ClaimStatus.VERIFIED,
                email_confirmed_at=utcnow(),
            )
            session.add(user)
        made[name] = user
    return made


def _people(session: Session, organisations, password_hash: str) -> dict[str, User]:
    people = {}
    for entry in _read_json("people.json"):
        organisation = organisations.get(entry["organisation"]) if entry["organisation"] else None
        user = User(
            email=f"{entry['key']}@{DEMO_DOMAIN}",
            display_name=entry["display_name"],
            password_hash=password_hash,
            category=Category(entry["category"]),
            organisation=organisation,
            # How they appear publicly: the demo shows every form ("Anna L.", "Privatperson, Umeå").
            municipality=entry.get("municipality"),
            name_shown=NameShown(entry.get("name_shown", "full")),
            email_confirmed_at=utcnow(),
            # Staff have already checked the public bodies; the rest wait in the claim queue.
            organisation_claim=(
                ClaimStatus.VERIFIED
                if Category(entry["category"]) in PRE_VERIFIED
                else ClaimStatus.CLAIMED
            ),
        )
        session.add(user)
        people[entry["key"]] = user
    session.flush()
    return people


def _signatories(session: Session, password_hash: str, count: int) -> list[User]:
    users = []
    for i in range(count):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        users.append(
            User(
                email=f"namninsamling-{i + 1}@{DEMO_DOMAIN}",
                display_name=name,
                password_hash=password_hash,
                category=Category.INDIVIDUAL,
                municipality=VASTERBOTTEN[(i * 5) % len(VASTERBOTTEN)],
                email_confirmed_at=utcnow(),
            )
        )
    session.add_all(users)
    session.flush()
    return users


def _targets(session: Session, document_id: int) -> dict[str, tuple]:
    """Map "doc", "s:<chapter>" and "p:<chapter>/<block>" to (paragraph, section)."""
    sections = list(
        session.scalars(
            select(Section).where(Section.document_id == document_id).order_by(Section.position)
        )
    )
    paragraphs = list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == document_id)
            .order_by(Paragraph.position)
        )
    )
    chapter_of = {}
    chapters = [s for s in sections if s.parent_id is None]
    for section in sections:
        top = section
        while top.parent_id is not None:
            top = next(s for s in sections if s.id == top.parent_id)
        chapter_of[section.id] = chapters.index(top) + 1
    targets: dict[str, tuple] = {"doc": (None, None)}
    for n, chapter in enumerate(chapters, start=1):
        targets[f"s:{n}"] = (None, chapter)
    blocks: dict[int, int] = {}
    for paragraph in paragraphs:
        chapter = chapter_of[paragraph.section_id]
        blocks[chapter] = blocks.get(chapter, 0) + 1
        targets[f"p:{chapter}/{blocks[chapter]}"] = (paragraph, None)
    return targets


def _written_at(
    rng: random.Random, now: datetime, opens_at: datetime, days_before: int
) -> datetime:
    # The demo deadline lies ahead, so "days before the deadline" is scaled into the weeks
    # the round has been open: the most recent comments are the ones nearest the deadline.
    span = (now - opens_at).total_seconds()
    share = min(max(days_before, 1), 40) / 41
    return now - timedelta(seconds=span * share + rng.randint(0, 3600 * 8))


def _comment(round_, target, author, kind, stance, text, proposed, when, parent=None) -> Comment:
    paragraph, section = target
    body = sanitise.normalise_text(text)
    return Comment(
        round=round_,
        paragraph=paragraph,
        section=section,
        parent=parent,
        **Comment.written_by(author),
        kind=CommentKind(kind),
        stance=Stance(stance) if stance else None,
        body=body,
        body_html=sanitise.comment_html(body),
        proposed_text=proposed,
        proposal_diff=str(word_diff(paragraph.text, proposed)) if proposed else None,
        status=CommentStatus.PUBLISHED,
        submission_key=secrets.token_hex(16),
        created_at=when,
        updated_at=when,
    )


def _comments(session, round_, targets, people, entries, now, opens_at, rng) -> list[Comment]:
    written = []
    for entry in entries:
        when = _written_at(rng, now, opens_at, entry.get("days_before_close", 10))
        top = _comment(
            round_,
            targets[entry["target"]],
            people[entry["author"]],
            entry["kind"],
            entry.get("stance"),
            entry["text"],
            entry.get("proposed_text"),
            when,
        )
        written.append(top)
        for i, reply in enumerate(entry.get("replies", []), start=1):
            written.append(
                _comment(
                    round_,
                    targets[entry["target"]],
                    people[reply["author"]],
                    "comment",
                    None,
                    reply["text"],
                    None,
                    min(now, when + timedelta(hours=5 * i)),
                    top,
                )
            )
    return written


def _agreements(session, written, entries, people, rng) -> None:
    tops = [c for c in written if c.parent is None][: len(entries)]
    for comment, entry in zip(tops, entries, strict=True):
        others = [p for p in people if p.id != comment.author_id]
        chosen = rng.sample(others, min(entry.get("agreements", 0), len(others)))
        session.add_all(Agreement(comment_id=comment.id, user_id=p.id) for p in chosen)
        comment.agreement_count = len(chosen)
