"""Commenting rules: write, edit, withdraw, reply and agree, each in one transaction.

Every write re-reads its round inside its own transaction and checks that the round is open
at that moment, so a late write is refused even if the page was loaded before the deadline.
On PostgreSQL the write holds the round with a shared lock (``round_locks``): writers do not
wait for each other, but an administrator closing the round waits for writes in flight (and
they for it). SQLite runs one writer at a time and the read belongs to the same transaction
(see ``db.make_engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm import Session

from .. import group_access as access
from .. import round_locks, sanitise
from ..analysis.placement import place_quietly
from ..errors import Invalid, NotAllowed, NotFound, WrongState
from ..models import (
    Agreement,
    Category,
    Comment,
    CommentKind,
    CommentRevision,
    CommentStatus,
    ModerationMode,
    Round,
    Stance,
    User,
)
from ..notifications import events as notification_events
from ..notifications.services import start_following
from ..people.rules import write_refusal
from .diff import word_diff
from .services import Target, is_open

EDITABLE = (CommentStatus.PENDING, CommentStatus.PUBLISHED)
ROUND_COLUMNS = [column.key for column in Round.__mapper__.column_attrs]


@dataclass(frozen=True)
class EventOrigin:
    """Where a point recorded from a dialogue event was raised, and by whom (a category)."""

    event_id: int
    event_session_id: int | None
    category: Category

    def columns(self) -> dict:
        """The comment's columns that differ from what its recorder writes."""
        return {
            "event_id": self.event_id,
            "event_session_id": self.event_session_id,
            "author_category": self.category,
            "author_organisation_id": None,
            "author_organisation_name": None,
        }


class RoundClosed(WrongState):
    """The comment's round is not open (any more): the text is given back, not saved."""

    def __init__(self):
        super().__init__("round_closed")


class WriteRefused(NotAllowed):
    """The user may not write in this round; ``reason`` is one of ``people.rules``'.

    ``counts`` for an agreement (or a report), which needs a confirmed address everywhere.
    """

    def __init__(self, reason: str, counts: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.counts = counts


def _open_round(session: Session, round_id: int, now: datetime) -> Round:
    round_locks.for_writing(session, round_id)
    # Re-read if loaded: the caller read it before this transaction began. Its columns only:
    # what was loaded with it (its consultation) stays loaded for the answer.
    round_ = session.identity_map.get(session.identity_key(Round, round_id))
    if round_ is None:
        round_ = session.get(Round, round_id)
    else:
        try:
            session.refresh(round_, ROUND_COLUMNS)
        except InvalidRequestError:
            if session.scalar(select(Round.id).where(Round.id == round_id)) is not None:
                raise  # not a round deleted since: an error of the session's
            round_ = None
    if round_ is None:
        raise NotFound()
    if not is_open(round_, now):
        raise RoundClosed()
    return round_


def _check_writer(session: Session, user: User, round_: Round, *, counts: bool = False) -> None:
    """Refuse a blocked user, and an unverified one in a round for verified organisations."""
    # Re-read in this transaction, FOR SHARE: a block being applied waits for this write
    # (and so hides it too), and this write waits for the block.
    fresh = session.scalar(
        select(User)
        .where(User.id == user.id)
        .with_for_update(read=True, of=User)
        .execution_options(populate_existing=True)
    )
    reason = write_refusal(fresh, round_, counts=counts)
    if reason is not None:
        raise WriteRefused(reason, counts)


def _clean_body(body: str, max_chars: int, required: bool) -> tuple[str, str]:
    try:
        text = sanitise.normalise_text(body or "")
    except sanitise.UnsafeText as error:
        raise Invalid({"body": "binary"}) from error
    if not text:
        if required:
            raise Invalid({"body": "empty"})
        return "", ""
    if len(text) > max_chars:
        raise Invalid({"body": "too_long"})
    try:
        html = sanitise.comment_html(text)
    except sanitise.UnsafeText as error:
        raise Invalid({"body": "nesting"}) from error
    if not sanitise.plain_text(html) and required:
        raise Invalid({"body": "empty"})
    return text, html


def _clean_fields(
    kind: str,
    stance: str | None,
    body: str,
    proposed_text: str | None,
    target: Target,
    max_chars: int,
) -> dict:
    try:
        kind_ = CommentKind(kind)
    except ValueError as error:
        raise Invalid({"kind": "invalid"}) from error
    stance_ = None
    if stance and kind_ != CommentKind.QUESTION:
        try:
            stance_ = Stance(stance)
        except ValueError as error:
            raise Invalid({"stance": "invalid"}) from error
    proposal = None
    if kind_ == CommentKind.PROPOSAL:
        if target.paragraph is None:
            raise Invalid({"kind": "proposal_needs_paragraph"})
        try:
            proposal = sanitise.normalise_text(proposed_text or "")
        except sanitise.UnsafeText as error:
            raise Invalid({"proposed_text": "binary"}) from error
        if not proposal:
            raise Invalid({"proposed_text": "empty"})
        if len(proposal) > max_chars:
            raise Invalid({"proposed_text": "too_long"})
        if " ".join(proposal.split()) == target.paragraph.text:
            raise Invalid({"proposed_text": "unchanged"})
    text, html = _clean_body(body, max_chars, required=kind_ != CommentKind.PROPOSAL)
    return {
        "kind": kind_,
        "stance": stance_,
        "body": text,
        "body_html": html,
        "proposed_text": proposal,
        "proposal_diff": str(word_diff(target.paragraph.text, proposal)) if proposal else None,
    }


def _by_submission_key(session: Session, author: User, key: str) -> Comment | None:
    """Return the comment ``author`` already sent with this form, if the form was sent twice."""
    if not key or len(key) > 64:
        raise Invalid({"submission_key": "invalid"})
    found = session.scalar(
        select(Comment.id).where(Comment.author_id == author.id, Comment.submission_key == key)
    )
    return session.get(Comment, found) if found is not None else None


def create_comment(
    session: Session,
    *,
    author: User,
    round_id: int,
    target: Target,
    kind: str,
    body: str,
    stance: str | None = None,
    proposed_text: str | None = None,
    submission_key: str,
    now: datetime,
    max_chars: int,
    event_origin: EventOrigin | None = None,
) -> Comment:
    """Add a comment on ``target``; a repeated ``submission_key`` returns the first comment.

    With ``event_origin`` it is a point raised at a dialogue event, recorded by ``author``
    (who may manage the event: the caller checks), in the category of who raised it and for
    no organisation. It keeps the round's moderation (a chair or secretary is a member, not
    a moderator) unless the recorder is staff, whose points are published at once.
    """

    def checked_text():
        try:
            return _clean_fields(kind, stance, body, proposed_text, target, max_chars), None
        except Invalid as error:
            return {}, error

    # The text is checked and rendered before the first statement, outside the transaction
    # (and so outside SQLite's write lock); a refusal of it still comes after the others.
    # A post the request already knows is late (its round, as read, has closed) is refused
    # without reading the text: after a deadline, every late post of a rush gets that answer.
    as_read = session.get(Round, round_id)  # loaded by the request: no statement
    late = as_read is not None and not is_open(as_read, now)
    fields, invalid = ({}, None) if late else checked_text()
    existing = _by_submission_key(session, author, submission_key)
    if existing is not None:
        return existing
    round_ = _open_round(session, round_id, now)
    _check_writer(session, author, round_)
    if late:  # its deadline was moved since the request read the round
        fields, invalid = checked_text()
    if invalid is not None:
        raise invalid
    written_by = Comment.written_by(author)
    status = _initial_status(round_, author)
    if event_origin is not None:
        written_by |= event_origin.columns()
        status = _event_point_status(round_, author)
    comment = Comment(
        round_id=round_.id,
        paragraph_id=target.paragraph.id if target.paragraph else None,
        section_id=target.section.id if target.section else None,
        **written_by,
        status=status,
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
        **fields,
    )
    # Writing in a consultation follows it: the writer hears when its rounds change.
    start_following(session, author, round_.consultation_id, now=now)
    saved = _insert_once(session, comment)
    if saved is comment and saved.status == CommentStatus.PUBLISHED:
        # In a round already analysed, the new comment joins the themes at once.
        place_quietly(session, saved, now)
    return saved


def create_reply(
    session: Session,
    *,
    author: User,
    parent_id: int,
    body: str,
    submission_key: str,
    now: datetime,
    max_chars: int,
) -> Comment:
    """Reply to a published comment; a reply to a reply joins the same thread (one level)."""
    parent = session.get(Comment, parent_id)
    if parent is not None and parent.parent_id is not None:
        parent = session.get(Comment, parent.parent_id)
    if parent is None or parent.status != CommentStatus.PUBLISHED:
        raise NotFound()
    existing = _by_submission_key(session, author, submission_key)
    if existing is not None:
        return existing
    round_ = _open_round(session, parent.round_id, now)
    _check_writer(session, author, round_)
    text, html = _clean_body(body, max_chars, required=True)
    reply = Comment(
        round_id=round_.id,
        paragraph_id=parent.paragraph_id,
        section_id=parent.section_id,
        parent_id=parent.id,
        **Comment.written_by(author),
        kind=CommentKind.COMMENT,
        body=text,
        body_html=html,
        status=_initial_status(round_, author),
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
    )
    start_following(session, author, round_.consultation_id, now=now)
    # Told once the reply has its id: the notification names the replier through it.
    return _insert_once(
        session,
        reply,
        then=lambda: notification_events.comment_replied(session, reply, parent, now=now),
    )


def points_wait(round_: Round, recorder: User) -> bool:
    """Whether the points ``recorder`` records from a dialogue event wait for review."""
    return _event_point_status(round_, recorder) == CommentStatus.PENDING


def _event_point_status(round_: Round, recorder: User) -> CommentStatus:
    """A point recorded from an event: published at once when staff record it, otherwise
    as the round's moderation says (a chair or secretary is a member, not a moderator)."""
    if access.is_staff(recorder):
        return CommentStatus.PUBLISHED
    return _initial_status(round_, recorder)


def _initial_status(round_: Round, author: User) -> CommentStatus:
    """Published at once, or waiting: for review, or until the author confirms their address.

    A comment of an author who has not confirmed their e-mail address waits (PENDING) outside
    the moderation queue (see ``moderation_queue.in_queue``) until ``release_held``.
    """
    if round_.moderation == ModerationMode.PRE or not author.is_confirmed:
        return CommentStatus.PENDING
    return CommentStatus.PUBLISHED


def release_held(session: Session, author: User, *, now: datetime) -> list[Comment]:
    """Publish what ``author`` wrote before confirming their address, as each round says.

    Called in the transaction that confirms the address, before its commit. In a round
    moderated afterwards a held comment is published now; in a pre-moderated one it stays
    waiting and so joins the moderation queue. Returns the comments published, which the
    caller hands to ``place_quietly`` after committing.
    """
    held = session.scalars(
        select(Comment)
        .where(Comment.author_id == author.id, Comment.status == CommentStatus.PENDING)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    published = []
    for comment in held:
        if comment.round.moderation == ModerationMode.POST:
            comment.status = CommentStatus.PUBLISHED
            published.append(comment)
    session.flush()
    for comment in published:
        if comment.parent_id is not None:
            notification_events.comment_replied(session, comment, comment.parent, now=now)
    return published


def _insert_once(session: Session, comment: Comment, then=None) -> Comment:
    """Insert ``comment`` (then call ``then``, in the same transaction); if a concurrent double
    submit won the race, return that one."""
    session.add(comment)
    try:
        if then is not None:
            session.flush()
            then()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = session.scalar(
            select(Comment).where(
                Comment.author_id == comment.author_id,
                Comment.submission_key == comment.submission_key,
            )
        )
        if existing is None:
            raise
        return existing
    return comment


def editable_own_comment(session: Session, user: User, comment_id: int) -> Comment:
    """Return ``user``'s own editable comment, or raise NotFound/NotAllowed."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    if comment.author_id != user.id:
        raise NotAllowed()
    if comment.status not in EDITABLE:
        raise NotFound()
    return comment


def edit_comment(
    session: Session,
    *,
    user: User,
    comment_id: int,
    kind: str,
    body: str,
    stance: str | None,
    proposed_text: str | None,
    now: datetime,
    max_chars: int,
) -> Comment:
    """Change ``user``'s own comment while its round is open, keeping the old text as a revision."""
    comment = editable_own_comment(session, user, comment_id)
    round_ = _open_round(session, comment.round_id, now)
    _check_writer(session, user, round_)
    if comment.parent_id is not None:
        text, html = _clean_body(body, max_chars, required=True)
        fields = {
            "kind": CommentKind.COMMENT,
            "stance": None,
            "body": text,
            "body_html": html,
            "proposed_text": None,
            "proposal_diff": None,
        }
    else:
        target = Target("", paragraph=comment.paragraph, section=comment.section)
        fields = _clean_fields(kind, stance, body, proposed_text, target, max_chars)
    session.add(
        CommentRevision(
            comment=comment,
            kind=comment.kind,
            stance=comment.stance,
            body=comment.body,
            proposed_text=comment.proposed_text,
            written_at=comment.updated_at,
            replaced_at=now,
            was_published=comment.status == CommentStatus.PUBLISHED,
        )
    )
    for name, value in fields.items():
        setattr(comment, name, value)
    # Changed text is new text: in a pre-moderated round it is reviewed again.
    comment.status = _initial_status(round_, user)
    comment.updated_at = now
    session.commit()
    return comment


def withdraw_comment(session: Session, *, user: User, comment_id: int, now: datetime) -> Comment:
    """Withdraw ``user``'s own comment while its round is open; it is kept, not deleted."""
    comment = editable_own_comment(session, user, comment_id)
    _open_round(session, comment.round_id, now)
    comment.status = CommentStatus.WITHDRAWN
    comment.updated_at = now
    session.commit()
    return comment


def toggle_agreement(session: Session, *, user: User, comment_id: int, now: datetime) -> bool:
    """Agree with a published comment, or take the agreement back; return whether agreed now."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.PUBLISHED:
        raise NotFound()
    if comment.author_id == user.id:
        raise NotAllowed()
    _check_writer(session, user, _open_round(session, comment.round_id, now), counts=True)
    removed = session.execute(
        delete(Agreement).where(Agreement.comment_id == comment.id, Agreement.user_id == user.id)
    ).rowcount
    if not removed:
        session.add(Agreement(comment_id=comment.id, user_id=user.id, created_at=now))
    try:
        session.flush()
    except IntegrityError:
        # A concurrent click already recorded the agreement; the state is as the user wants.
        session.rollback()
        return True
    # Counted, not incremented: concurrent toggles can never make the count drift.
    count = select(func.count()).where(Agreement.comment_id == comment.id).scalar_subquery()
    session.execute(update(Comment).where(Comment.id == comment.id).values(agreement_count=count))
    session.commit()
    session.refresh(comment)
    return not removed
