"""Plain factory helpers for tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from werkzeug.security import generate_password_hash

from consult.auth.services import organisation_key
from consult.consultations.importer import import_markdown
from consult.models import (
    Category,
    Comment,
    CommentKind,
    CommentStatus,
    Consultation,
    ModerationMode,
    Organisation,
    Role,
    Round,
    Stance,
    User,
)

PASSWORD = "correct horse battery"
# Computed once: hashing per user would dominate the suite's run time.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
_seq = itertools.count(1)

DRAFT = """# Inledning

Västerbotten ska vara en attraktiv region att leva och verka i.

Strategin gäller 2020–2030.

## Vision

Ett hållbart län där hela länet växer.

# Trafik och infrastruktur

Regionen prioriterar:

- Norrbotniabanan
- E12 genom inlandet

| Indikator | Utgångsläge | Mål |
|---|---|---|
| Restid Umeå–Skellefteå | 2 h | 1 h |
"""


def make_organisation(session, name=None, category=Category.MUNICIPALITY) -> Organisation:
    name = name or f"Organisation {next(_seq)}"
    organisation = Organisation(name=name, name_key=organisation_key(name), category=category)
    session.add(organisation)
    session.commit()
    return organisation


def make_user(
    session,
    role=Role.PARTICIPANT,
    category=Category.MUNICIPALITY,
    organisation=None,
    email=None,
    name=None,
    confirmed=True,
) -> User:
    n = next(_seq)
    if organisation is None and category != Category.INDIVIDUAL:
        organisation = make_organisation(session, f"Testkommun {n}", category)
    user = User(
        email=email or f"user{n}@example.se",
        display_name=name or f"Person {n}",
        password_hash=PASSWORD_HASH,
        role=role,
        category=category,
        organisation=organisation,
        email_confirmed_at=datetime.now(UTC) if confirmed else None,
    )
    session.add(user)
    session.commit()
    return user


def make_round(
    session,
    *,
    opens_at: datetime | None,
    closes_at: datetime | None,
    slug=None,
    markdown=DRAFT,
    moderation=ModerationMode.POST,
) -> Round:
    n = next(_seq)
    consultation = Consultation(
        slug=slug or f"samrad-{n}", title=f"Strategi {n}", summary="Ett förslag."
    )
    round_ = Round(
        consultation=consultation,
        number=1,
        title="Remissomgång 1",
        opens_at=opens_at,
        closes_at=closes_at,
        moderation=moderation,
    )
    session.add_all([consultation, round_])
    import_markdown(session, round_, markdown, title=consultation.title)
    session.commit()
    return round_


def make_comment(
    session,
    round_,
    author,
    *,
    paragraph=None,
    section=None,
    body="En synpunkt.",
    kind=CommentKind.COMMENT,
    stance=Stance.AGREE,
    status=CommentStatus.PUBLISHED,
    created_at=None,
    parent=None,
) -> Comment:
    from consult import sanitise

    when = created_at or round_.opens_at
    comment = Comment(
        round=round_,
        paragraph=paragraph,
        section=section,
        parent=parent,
        **Comment.written_by(author),
        kind=kind,
        stance=stance,
        body=body,
        body_html=sanitise.comment_html(body),
        status=status,
        submission_key=f"k{next(_seq)}",
        created_at=when,
        updated_at=when,
    )
    session.add(comment)
    session.commit()
    return comment


def publish_comment(session, round_, body: str) -> Comment:
    """Publish a comment on the whole draft of ``round_`` by a new participant, through the
    service a post goes through (sanitising, versions, placing in the background)."""
    from consult import clock
    from consult.consultations import comments as commenting
    from consult.consultations.services import Target

    return commenting.create_comment(
        session,
        author=make_user(session),
        round_id=round_.id,
        target=Target(key="doc"),
        kind="comment",
        body=body,
        submission_key=uuid.uuid4().hex,
        now=clock.now(),
        max_chars=5000,
    )
