"""A small analysed round for the analysis tests: three topics, a campaign, replies, noise.

Helpers only (no tests here); kept small so discovery runs in well under a second.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from consult import sanitise
from consult.analysis import jobs
from consult.analysis.selection import comment_text
from consult.models import (
    Category,
    Comment,
    CommentKind,
    CommentStatus,
    Organisation,
    Paragraph,
    Role,
    Stance,
    User,
)

from . import factories

TRAFFIC = [
    "Norrbotniabanan måste byggas snabbt, järnvägen är avgörande för länet.",
    "Bygg Norrbotniabanan hela vägen, järnvägen behövs för godstrafiken.",
    "Järnvägen Norrbotniabanan ger kortare restider mellan städerna.",
    "Utan Norrbotniabanan stannar näringslivet, prioritera järnvägen.",
    "Vi vill se mer godstrafik på järnväg och en snabb Norrbotniabana.",
    "Norrbotniabanan och järnvägen till Skellefteå är viktigast för oss.",
    "Järnvägen längs kusten, Norrbotniabanan, bör komma först i planen.",
    "Satsa på Norrbotniabanan, järnväg är bättre för klimatet än lastbil.",
    "Restiden på järnvägen Umeå–Skellefteå blir kort med Norrbotniabanan.",
    "Norrbotniabanan är en fråga om hela regionens järnvägsnät.",
]
SCHOOL = [
    "Skolan i inlandet behöver fler behöriga lärare och bättre lärarlöner.",
    "Lärarbristen i glesbygdens skolor måste lösas, utbilda fler lärare.",
    "Fler lärare och mindre klasser i skolan, särskilt i små kommuner.",
    "Skolan är grunden för kompetensförsörjning, satsa på lärare.",
    "Distansundervisning kan hjälpa skolor som saknar lärare.",
    "Lärarutbildningen vid universitetet bör ge fler lärare till länets skolor.",
    "Våra skolor tappar lärare till kusten, inlandets skola behöver stöd.",
    "Yrkesutbildning i gymnasieskolan och fler yrkeslärare behövs.",
    "Skolan och lärarna är viktigare än vägarna, satsa på utbildning.",
    "Behöriga lärare i varje skola borde vara ett mål i strategin.",
]
BROADBAND = [
    "Bredband i hela länet är en förutsättning för att bo på landsbygden.",
    "Utbyggnaden av bredband och fiber går för långsamt i byarna.",
    "Fiber till alla hushåll, bredbandet är lika viktigt som vägen.",
    "Mobiltäckning och bredband saknas längs inlandsvägarna.",
    "Digital infrastruktur med snabbt bredband behövs för företagen.",
    "Utan fiber och bredband kan ingen arbeta på distans från byn.",
    "Stöd till byanätsföreningar som bygger fiber och bredband.",
    "Bredbandet i glesbygden ska ha samma kvalitet som i städerna.",
    "Sätt upp ett mål för bredband med 1 Gbit/s till alla.",
    "Bredband och fiber är nyckeln till digitala tjänster i vården.",
]
CAMPAIGN = "Vi kräver att E12 genom inlandet rustas upp nu. Inlandet förtjänar en trygg väg!"
CAMPAIGN_SIZE = 4
CATEGORIES = [Category.MUNICIPALITY, Category.BUSINESS, Category.CIVIL_SOCIETY, Category.INDIVIDUAL]
STANCES = [Stance.AGREE, Stance.DISAGREE, Stance.PARTLY, None]


class Seeded:
    """The seeded round and what is in it."""

    def __init__(self, round_, comments, campaign, reply, hidden, staff):
        self.round = round_
        self.comments = comments  # published top-level comments, in order
        self.campaign = campaign
        self.reply = reply
        self.hidden = hidden
        self.staff = staff


def _person(session, n: int, category: Category) -> User:
    """A participant with an organisation of their own (none for private individuals)."""
    organisation = None
    if category != Category.INDIVIDUAL:
        name = f"Seedorg {n} {uuid.uuid4().hex[:6]}"
        organisation = Organisation(name=name, name_key=name.lower(), category=category)
    user = User(
        email=f"seed{n}-{uuid.uuid4().hex[:8]}@example.se",
        display_name=f"Seed {n}",
        password_hash=factories.PASSWORD_HASH,
        role=Role.PARTICIPANT,
        category=category,
        organisation=organisation,
    )
    session.add(user)
    return user


def _comment(session, round_, author, body, **fields) -> Comment:
    comment = Comment(
        round=round_,
        **Comment.written_by(author),
        body=body,
        body_html=sanitise.comment_html(body),
        submission_key=uuid.uuid4().hex,
        created_at=round_.opens_at,
        updated_at=round_.opens_at,
        **{"kind": CommentKind.COMMENT, "status": CommentStatus.PUBLISHED, **fields},
    )
    session.add(comment)
    return comment


def seed_round(session, round_, *, staff=None) -> Seeded:
    """Add 34 published comments, a reply and a hidden comment to ``round_`` (one commit)."""
    paragraphs = list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == round_.document.id)
            .order_by(Paragraph.position)
        )
    )
    comments = []
    for topic, (texts, paragraph) in enumerate(
        [(TRAFFIC, paragraphs[-2]), (SCHOOL, paragraphs[0]), (BROADBAND, None)]
    ):
        for i, body in enumerate(texts):
            author = _person(session, 10 * topic + i, CATEGORIES[(i + topic) % 4])
            session.flush()
            comments.append(
                _comment(
                    session,
                    round_,
                    author,
                    body,
                    paragraph=paragraph,
                    stance=STANCES[i % 4],
                    kind=CommentKind.PROPOSAL if i == 9 else CommentKind.COMMENT,
                )
            )
    campaign = []
    for i in range(CAMPAIGN_SIZE):
        author = _person(session, 100 + i, Category.INDIVIDUAL)
        session.flush()
        campaign.append(_comment(session, round_, author, CAMPAIGN, stance=Stance.DISAGREE))
    comments += campaign
    someone = _person(session, 200, Category.MUNICIPALITY)
    session.flush()
    reply = _comment(session, round_, someone, "Håller med om järnvägen!", parent=comments[0])
    hidden = _comment(
        session, round_, someone, "Dolt inlägg om bredband.", status=CommentStatus.HIDDEN
    )
    session.commit()
    staff = staff or factories.make_user(session, role=Role.STAFF, category=Category.REGION)
    return Seeded(round_, comments, campaign, reply, hidden, staff)


_readings: dict[tuple[str, ...], jobs.Reading] = {}


def reuse_engine_results(monkeypatch) -> None:
    """Run the engine once per distinct set of texts in this test process.

    Each test seeds the same texts into fresh tables; the engine's answer does not change,
    so the tests of the board and the pages reuse it (the job tests run it for real).
    """
    real = jobs.read

    def cached(comments, progress):
        key = tuple(comment_text(c) for c in comments)
        if key not in _readings:
            _readings[key] = real(comments, progress)
        found = _readings[key]
        return jobs.Reading(
            [c.id for c in comments], found.campaigns, found.model, found.stances, found.languages
        )

    monkeypatch.setattr(jobs, "read", cached)
